//! Hostile clients for `epc serve`, to measure how it holds up (loopback only).
//!
//! `slowloris`: `--connections N` connections each send a partial header line,
//! then a byte every 200 ms. Meanwhile `GET /healthz` and a valid `POST
//! /v1/events` (fixture stream `test.event`) are timed every 500 ms on fresh
//! connections. Runs until the server has closed every slowloris connection or
//! `--max-seconds` pass.
//!
//! `stalled`: `--connections N` clients each announce `--announce` bytes of
//! body, send `--send` of them and stall, waiting for the answer (408 after
//! the server's body timeout).
//!
//! With `--pid` (the `epc serve` process), its RSS is sampled every 50 ms from
//! `/proc/PID/status`: the peak sampled, `VmHWM` (the kernel's peak) and the RSS
//! 2 s after the run. Prints one line of `key=value` pairs on stdout.
//!
//! ```sh
//! cargo run --release --example hostile -- slowloris --addr 127.0.0.1:8192 --connections 3000 --pid PID
//! cargo run --release --example hostile -- stalled --addr 127.0.0.1:8192 --connections 250 --pid PID
//! ```

use std::io::{ErrorKind, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Options {
    mode: String,
    addr: SocketAddr,
    connections: usize,
    announce: usize,
    send: usize,
    pid: Option<u32>,
    max_seconds: f64,
}

fn main() {
    let options = parse_args();
    let sampler = options.pid.map(RssSampler::start);
    let started = Instant::now();
    let mut report = match options.mode.as_str() {
        "slowloris" => slowloris(&options),
        "stalled" => stalled(&options),
        other => usage(&format!("unknown mode `{other}`")),
    };
    report.push(format!("seconds={:.2}", started.elapsed().as_secs_f64()));
    if let (Some(sampler), Some(pid)) = (sampler, options.pid) {
        let peak = sampler.stop();
        std::thread::sleep(Duration::from_secs(2));
        report.push(format!("rss_peak_sampled_mib={:.1}", mib(peak)));
        report.push(format!("vm_hwm_mib={:.1}", mib(proc_status(pid, "VmHWM").unwrap_or(0))));
        report.push(format!("rss_after_2s_mib={:.1}", mib(proc_status(pid, "VmRSS").unwrap_or(0))));
    }
    println!("{}", report.join(" "));
}

#[allow(clippy::cast_precision_loss)]
fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// A `/proc/PID/status` field (`VmRSS`, `VmHWM`), in bytes.
fn proc_status(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(&format!("{field}:")))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

/// Samples a process's RSS every 50 ms, keeping the peak.
struct RssSampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<()>,
}

impl RssSampler {
    fn start(pid: u32) -> Self {
        let (stop, peak) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)));
        let thread = {
            let (stop, peak) = (Arc::clone(&stop), Arc::clone(&peak));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Some(rss) = proc_status(pid, "VmRSS") {
                        peak.fetch_max(rss, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
        };
        Self { stop, peak, thread }
    }

    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        self.peak.load(Ordering::Relaxed)
    }
}

/// One request on a fresh connection: its status (0 when none came) and how long it took.
fn probe(addr: SocketAddr, request: &[u8]) -> (u16, Duration) {
    let started = Instant::now();
    let status = (|| {
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(10)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        stream.write_all(request).ok()?;
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        std::str::from_utf8(answer.get(9..12)?).ok()?.parse().ok()
    })();
    (status.unwrap_or(0), started.elapsed())
}

/// A probe's kind, status and time.
type Probe = (&'static str, u16, Duration);

fn slowloris(o: &Options) -> Vec<String> {
    let addr = o.addr;
    let deadline = Instant::now() + Duration::from_secs_f64(o.max_seconds);
    let mut open: Vec<(TcpStream, Instant)> = Vec::with_capacity(o.connections);
    let mut lifetimes: Vec<Duration> = Vec::new();
    let mut failed_connects = 0;
    let opening = Instant::now();
    for _ in 0..o.connections {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(5)) {
            Ok(mut s) => {
                let _ = s.write_all(format!("POST /v1/events HTTP/1.1\r\nHost: {addr}\r\nX-Slow: a").as_bytes());
                let _ = s.set_nonblocking(true);
                open.push((s, Instant::now()));
            }
            Err(_) => failed_connects += 1,
        }
    }
    let opened = opening.elapsed();
    // The probes, on their own thread while the slowloris connections are held.
    let done = Arc::new(AtomicBool::new(false));
    let probes: Arc<Mutex<Vec<Probe>>> = Arc::default();
    let prober = {
        let (done, probes) = (Arc::clone(&done), Arc::clone(&probes));
        std::thread::spawn(move || {
            let body = r#"[{"$schema":"/test/event/1.0.0","meta":{"stream":"test.event"},"dt":"2024-05-01T10:00:00Z","action":"probe"}]"#;
            let post = format!(
                "POST /v1/events HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
            let healthz = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
            while !done.load(Ordering::Relaxed) {
                let (s, t) = probe(addr, healthz.as_bytes());
                probes.lock().unwrap().push(("healthz", s, t));
                let (s, t) = probe(addr, post.as_bytes());
                probes.lock().unwrap().push(("post", s, t));
                std::thread::sleep(Duration::from_millis(500));
            }
        })
    };
    let mut buf = [0u8; 1024];
    while !open.is_empty() && Instant::now() < deadline {
        let now = Instant::now();
        open.retain_mut(|(s, since)| {
            let closed = match s.read(&mut buf) {
                Ok(_) => true,
                Err(e) => e.kind() != ErrorKind::WouldBlock,
            } || s.write(b"a").is_err_and(|e| e.kind() != ErrorKind::WouldBlock);
            if closed {
                lifetimes.push(now - *since);
            }
            !closed
        });
        std::thread::sleep(Duration::from_millis(200));
    }
    done.store(true, Ordering::Relaxed);
    let _ = prober.join();
    lifetimes.sort();
    let probes = probes.lock().unwrap();
    let of = |kind: &str, want: u16| {
        let mine: Vec<_> = probes.iter().filter(|(k, _, _)| *k == kind).collect();
        let ok = mine.iter().filter(|(_, s, _)| *s == want).count();
        let max = mine.iter().map(|(_, _, t)| *t).max().unwrap_or_default();
        (ok, mine.len(), max)
    };
    let (h_ok, h_all, h_max) = of("healthz", 200);
    let (p_ok, p_all, p_max) = of("post", 201);
    vec![
        format!("mode=slowloris connections={} failed_connects={failed_connects}", o.connections),
        format!("opened_seconds={:.2}", opened.as_secs_f64()),
        format!("closed_by_server={} still_open={}", lifetimes.len(), open.len()),
        format!("lifetime_p50_s={:.2}", lifetimes.get(lifetimes.len() / 2).map_or(0.0, Duration::as_secs_f64)),
        format!("lifetime_max_s={:.2}", lifetimes.last().map_or(0.0, Duration::as_secs_f64)),
        format!("healthz_200={h_ok}/{h_all} healthz_max_ms={}", h_max.as_millis()),
        format!("post_201={p_ok}/{p_all} post_max_ms={}", p_max.as_millis()),
    ]
}

fn stalled(o: &Options) -> Vec<String> {
    let addr = o.addr;
    let (announce, send) = (o.announce, o.send.min(o.announce));
    let started = Instant::now();
    let clients: Vec<_> = (0..o.connections)
        .map(|_| {
            std::thread::spawn(move || -> (u16, Duration) {
                let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(10)) else {
                    return (0, started.elapsed());
                };
                let _ = s.set_read_timeout(Some(Duration::from_secs(120)));
                let _ = s.set_write_timeout(Some(Duration::from_secs(120)));
                let head = format!(
                    "POST /v1/events HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
                     Content-Length: {announce}\r\nConnection: close\r\n\r\n"
                );
                let _ = s.write_all(head.as_bytes());
                let chunk = vec![b' '; 64 * 1024];
                let mut sent = 0;
                while sent < send {
                    let n = chunk.len().min(send - sent);
                    if s.write_all(&chunk[..n]).is_err() {
                        break;
                    }
                    sent += n;
                }
                let mut answer = Vec::new();
                let _ = s.read_to_end(&mut answer);
                let status =
                    std::str::from_utf8(answer.get(9..12).unwrap_or_default()).ok().and_then(|s| s.parse().ok());
                (status.unwrap_or(0), started.elapsed())
            })
        })
        .collect();
    let results: Vec<(u16, Duration)> = clients.into_iter().map(|c| c.join().unwrap_or((0, Duration::ZERO))).collect();
    let count = |code: u16| results.iter().filter(|(s, _)| *s == code).count();
    let last = results.iter().map(|(_, t)| *t).max().unwrap_or_default();
    let healthz = probe(addr, format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes());
    vec![
        format!("mode=stalled connections={} announce={announce} send={send}", o.connections),
        format!("status_408={} no_answer={} other={}", count(408), count(0), results.len() - count(408) - count(0)),
        format!("last_answer_s={:.2}", last.as_secs_f64()),
        format!("healthz_after={} healthz_ms={}", healthz.0, healthz.1.as_millis()),
    ]
}

fn parse_args() -> Options {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| usage("a mode: slowloris or stalled"));
    let mut o = Options {
        mode,
        addr: "127.0.0.1:8192".parse().unwrap(),
        connections: 3000,
        announce: 4_000_000,
        send: 3_900_000,
        pid: None,
        max_seconds: 60.0,
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().unwrap_or_else(|| usage(&format!("{name} needs a value")));
        let mut count = |name: &str| value(name).parse::<usize>().unwrap_or_else(|_| usage(&format!("{name} N")));
        match arg.as_str() {
            "--addr" => o.addr = value("--addr").parse().unwrap_or_else(|_| usage("--addr IP:PORT")),
            "--connections" => o.connections = count("--connections").max(1),
            "--announce" => o.announce = count("--announce"),
            "--send" => o.send = count("--send"),
            "--pid" => o.pid = Some(value("--pid").parse().unwrap_or_else(|_| usage("--pid PID"))),
            "--max-seconds" => {
                o.max_seconds = value("--max-seconds").parse().unwrap_or_else(|_| usage("--max-seconds SECONDS"));
            }
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument `{other}`")),
        }
    }
    if !o.addr.ip().is_loopback() {
        usage("loopback addresses only");
    }
    o
}

#[allow(clippy::exit)]
fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("error: {problem}");
    }
    eprintln!(
        "usage: hostile slowloris|stalled [--addr 127.0.0.1:8192] [--connections 3000] [--announce 4000000] \
         [--send 3900000] [--pid PID] [--max-seconds 60]"
    );
    std::process::exit(2);
}
