//! A loopback intake for benchmarks: answers `201 Created` (empty body) to
//! every `POST /v1/events` on 127.0.0.1 and counts the events (the body is a
//! JSON array, or one object), as EventGate does when everything is accepted.
//!
//! It prints its port on the first line of stdout, then serves until it has
//! counted `--expect N` events or `--timeout SECONDS` passed without a
//! request (default 60), and prints `events=N requests=M bytes=B` on stdout.
//!
//! ```sh
//! cargo run --release --example intake_sink -- --expect 200000 --timeout 60
//! ```

use std::io::Write as _;
use std::time::Duration;

use serde::de::IgnoredAny;

fn main() {
    let mut expect: Option<u64> = None;
    let mut timeout = 60.0_f64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().unwrap_or_else(|| usage(&format!("{name} needs a value")));
        match arg.as_str() {
            "--expect" => expect = Some(value("--expect").parse().unwrap_or_else(|_| usage("--expect N: a count"))),
            "--timeout" => timeout = value("--timeout").parse().unwrap_or_else(|_| usage("--timeout SECONDS")),
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument `{other}`")),
        }
    }
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap_or_else(|e| usage(&format!("cannot bind: {e}")));
    let port = server.server_addr().to_ip().map(|a| a.port()).unwrap_or_else(|| usage("not an IP listener"));
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{port}");
        let _ = out.flush();
    }
    let (mut events, mut requests, mut bytes) = (0u64, 0u64, 0u64);
    let mut body = Vec::with_capacity(1 << 20);
    while expect.is_none_or(|n| events < n) {
        let Ok(Some(mut request)) = server.recv_timeout(Duration::from_secs_f64(timeout)) else { break };
        body.clear();
        let read = request.as_reader().read_to_end(&mut body);
        let path = request.url().split('?').next().unwrap_or_default();
        let status = if request.method() != &tiny_http::Method::Post || path != "/v1/events" {
            404
        } else if read.is_err() {
            400
        } else if let Ok(list) = serde_json::from_slice::<Vec<IgnoredAny>>(&body) {
            events += list.len() as u64;
            201
        } else if serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&body).is_ok() {
            events += 1;
            201
        } else {
            400
        };
        requests += 1;
        bytes += body.len() as u64;
        let _ = request.respond(tiny_http::Response::empty(status));
    }
    println!("events={events} requests={requests} bytes={bytes}");
}

#[allow(clippy::exit)]
fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("intake_sink: {problem}");
    }
    eprintln!("usage: intake_sink [--expect N] [--timeout SECONDS]");
    std::process::exit(2)
}
