//! A small HTTP/1.1 load generator for `epc serve` (loopback benchmarks).
//!
//! `--connections N` threads, each with one keep-alive connection (raw
//! `TcpStream`), POST `--requests R` batches of `--batch B` events each to
//! `--url`, one request at a time, timing every request. Every event is unique
//! (`action` = `c<conn>-r<request>-e<index>`) and valid for the fixture schema
//! `/test/event/1.0.0` on stream `test.event`, so a run can be checked for lost
//! or duplicated events afterwards. `--max-seconds` bounds the run: a thread
//! stops sending when it is over.
//!
//! Prints one line of `key=value` pairs on stdout:
//! `requests=… status_201=… other=… failed=… events_201=… seconds=… rps=… p50_ms=… p99_ms=… max_ms=…`
//!
//! ```sh
//! cargo run --release --example loadgen -- --url http://127.0.0.1:8192/v1/events \
//!     --connections 16 --requests 2000 --batch 10
//! ```

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs as _};
use std::time::{Duration, Instant};

struct Options {
    addr: SocketAddr,
    host: String,
    path: String,
    connections: usize,
    requests: usize,
    batch: usize,
    max_seconds: f64,
}

/// What one connection did.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    statuses: BTreeMap<u16, u64>,
    failed: u64,
}

fn main() {
    let options = &parse_args();
    let deadline = Instant::now() + Duration::from_secs_f64(options.max_seconds);
    let started = Instant::now();
    let tallies: Vec<Tally> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            (0..options.connections).map(|c| scope.spawn(move || connection(options, c, deadline))).collect();
        handles.into_iter().map(|h| h.join().expect("a load thread panicked")).collect()
    });
    let seconds = started.elapsed().as_secs_f64();

    let mut latencies: Vec<Duration> = tallies.iter().flat_map(|t| t.latencies.iter().copied()).collect();
    latencies.sort_unstable();
    let mut statuses: BTreeMap<u16, u64> = BTreeMap::new();
    for t in &tallies {
        for (s, n) in &t.statuses {
            *statuses.entry(*s).or_default() += n;
        }
    }
    let failed: u64 = tallies.iter().map(|t| t.failed).sum();
    let answered = latencies.len();
    let created = statuses.get(&201).copied().unwrap_or(0);
    let other: u64 = statuses.iter().filter(|(s, _)| **s != 201).map(|(_, n)| n).sum();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pct = |p: f64| {
        if latencies.is_empty() {
            0.0
        } else {
            let i = ((p * answered as f64).ceil() as usize).clamp(1, answered) - 1;
            ms(latencies[i])
        }
    };
    println!(
        "requests={answered} status_201={created} other={other} failed={failed} events_201={} seconds={seconds:.3} \
         rps={:.0} events_per_s={:.0} p50_ms={:.2} p99_ms={:.2} max_ms={:.2}",
        created * options.batch as u64,
        answered as f64 / seconds,
        (created * options.batch as u64) as f64 / seconds,
        pct(0.50),
        pct(0.99),
        latencies.last().map_or(0.0, |d| ms(*d)),
    );
    if other > 0 {
        eprintln!("statuses: {statuses:?}");
    }
}

/// One keep-alive connection posting its requests in turn (reconnecting after an error).
fn connection(options: &Options, c: usize, deadline: Instant) -> Tally {
    let mut tally = Tally { latencies: Vec::with_capacity(options.requests), ..Tally::default() };
    let mut conn: Option<(TcpStream, BufReader<TcpStream>)> = None;
    let mut request = Vec::with_capacity(4096);
    let mut body = String::with_capacity(2048);
    for r in 0..options.requests {
        if Instant::now() > deadline {
            break;
        }
        body.clear();
        body.push('[');
        for e in 0..options.batch {
            if e > 0 {
                body.push(',');
            }
            body.push_str(&format!(
                r#"{{"$schema":"/test/event/1.0.0","meta":{{"stream":"test.event","domain":"bench.example.org"}},"dt":"2024-05-01T10:00:00.000Z","action":"c{c}-r{r}-e{e}","count":{e}}}"#
            ));
        }
        body.push(']');
        request.clear();
        write!(
            request,
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            options.path,
            options.host,
            body.len()
        )
        .expect("format a request");
        request.extend_from_slice(body.as_bytes());

        if conn.is_none() {
            match TcpStream::connect(options.addr) {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
                    let reader = BufReader::new(s.try_clone().expect("clone a socket"));
                    conn = Some((s, reader));
                }
                Err(_) => {
                    tally.failed += 1;
                    continue;
                }
            }
        }
        let (stream, reader) = conn.as_mut().expect("connected");
        let sent = Instant::now();
        let outcome = stream.write_all(&request).map_err(|e| e.to_string()).and_then(|()| read_response(reader));
        match outcome {
            Ok((status, keep_alive)) => {
                tally.latencies.push(sent.elapsed());
                *tally.statuses.entry(status).or_default() += 1;
                if !keep_alive {
                    conn = None;
                }
            }
            Err(_) => {
                tally.failed += 1;
                conn = None;
            }
        }
    }
    tally
}

/// Reads one response: its status and whether the connection stays open.
fn read_response(reader: &mut BufReader<TcpStream>) -> Result<(u16, bool), String> {
    let mut line = String::new();
    if reader.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
        return Err("connection closed".into());
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP status line: {line:?}"))?;
    let (mut length, mut keep_alive, mut chunked) = (0usize, true, false);
    loop {
        line.clear();
        if reader.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            return Err("connection closed in the head".into());
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let Some((name, value)) = l.split_once(':') else { continue };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.parse().map_err(|_| format!("bad content-length {value:?}"))?,
            "connection" => keep_alive = !value.eq_ignore_ascii_case("close"),
            "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
            _ => {}
        }
    }
    if chunked {
        loop {
            line.clear();
            reader.read_line(&mut line).map_err(|e| e.to_string())?;
            let size = usize::from_str_radix(line.trim(), 16).map_err(|_| "bad chunk size".to_owned())?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).map_err(|e| e.to_string())?;
            if size == 0 {
                break;
            }
        }
    } else {
        let mut rest = vec![0; length];
        reader.read_exact(&mut rest).map_err(|e| e.to_string())?;
    }
    Ok((status, keep_alive))
}

fn parse_args() -> Options {
    let mut url = None;
    let (mut connections, mut requests, mut batch, mut max_seconds) = (16usize, 1000usize, 10usize, 60.0f64);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().unwrap_or_else(|| usage(&format!("{name} needs a value")));
        let mut count = |name: &str| value(name).parse::<usize>().unwrap_or_else(|_| usage(&format!("{name} N")));
        match arg.as_str() {
            "--url" => url = Some(value("--url")),
            "--connections" => connections = count("--connections").max(1),
            "--requests" => requests = count("--requests"),
            "--batch" => batch = count("--batch").max(1),
            "--max-seconds" => {
                max_seconds = value("--max-seconds").parse().unwrap_or_else(|_| usage("--max-seconds SECONDS"));
            }
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument `{other}`")),
        }
    }
    let url = url.unwrap_or_else(|| usage("--url http://127.0.0.1:PORT/v1/events is required"));
    let rest = url.strip_prefix("http://").unwrap_or_else(|| usage("only http:// URLs"));
    let (host, path) = rest.split_once('/').map_or((rest, "/"), |(h, p)| (h, p));
    let path = if path == "/" { path.to_owned() } else { format!("/{path}") };
    let addr = host
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .unwrap_or_else(|| usage(&format!("cannot resolve `{host}`")));
    if !addr.ip().is_loopback() {
        usage("loopback addresses only: this is a benchmark, not a load test of someone's server");
    }
    Options { addr, host: host.to_owned(), path, connections, requests, batch, max_seconds }
}

#[allow(clippy::exit)]
fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("error: {problem}");
    }
    eprintln!(
        "usage: loadgen --url http://127.0.0.1:PORT/v1/events [--connections 16] [--requests 1000 (each)] \
         [--batch 10] [--max-seconds 60]"
    );
    std::process::exit(2)
}
