//! `epc serve` against hostile clients and awkward input, for real on loopback:
//! slowloris heads, dribbled heads, idle keep-alive connections, stalled bodies
//! (with the server's peak RSS read from `/proc`), signals with a request half
//! sent, stream names that cannot be file names, and a store that fails
//! midway. Each test is bounded in connections and time.

use std::io::{ErrorKind, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::serve::{
    Intake, Reply, actions, client, errors_texts, event, head, ndjson_file, post_json, read_answer, request,
};
use crate::support::{Serve, fixture, path_str, serve};

/// Slowloris connections opened by the test (the acceptance run in
/// `examples/hostile.rs` uses the same count against a release build).
const SLOWLORIS: usize = 3000;
/// Clients that send most of a large body and stall.
const STALLED: usize = 48;

/// A `/proc/PID/status` field in kB, as bytes (`VmRSS`, `VmHWM`: peak RSS).
fn proc_status_bytes(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/PID/status");
    let line = text.lines().find(|l| l.starts_with(&format!("{field}:"))).unwrap_or_else(|| panic!("no {field}"));
    let kb: u64 = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("a number of kB");
    kb * 1024
}

const MIB: u64 = 1024 * 1024;

/// Whether the server closed this (non-blocking) connection: EOF or a reset.
fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    }
}

/// `GET /healthz` answers 200 within a few seconds: returns how long it took.
#[track_caller]
fn assert_healthz(serve: &Serve) -> Duration {
    let started = Instant::now();
    let r = request(client().get(serve.at("/healthz")));
    assert_eq!(r.status, 200, "{r:?}");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "/healthz took {took:?}");
    took
}

#[test]
fn slowloris_heads_are_closed_within_the_header_timeout_while_healthz_and_posts_are_answered() {
    const HEADER_TIMEOUT: f64 = 2.0;
    let intake = Intake::start(&["--header-timeout", &HEADER_TIMEOUT.to_string()]);
    let addr = intake.serve.addr;
    // Every connection sends a partial header line, then a byte every 200 ms.
    let mut open: Vec<(TcpStream, Instant)> = Vec::with_capacity(SLOWLORIS);
    let mut lifetimes: Vec<Duration> = Vec::with_capacity(SLOWLORIS);
    let opening = Instant::now();
    for _ in 0..SLOWLORIS {
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
        stream.write_all(format!("POST /v1/events HTTP/1.1\r\nHost: {addr}\r\nX-Slow: a").as_bytes()).unwrap();
        stream.set_nonblocking(true).unwrap();
        open.push((stream, Instant::now()));
    }
    let opened = opening.elapsed();
    // Meanwhile, a real client is served at once.
    let healthz = assert_healthz(&intake.serve);
    let started = Instant::now();
    let r = post_json(&intake.serve.url, &json!([event("amid-slowloris")]));
    let post_took = started.elapsed();
    assert_eq!(r.status, 201, "{r:?}");
    // The header timeout, and slack for a loaded machine (the server may accept late,
    // and this loop looks every 200 ms); without the timeout they stay open for good.
    let limit = Duration::from_secs_f64(HEADER_TIMEOUT + 4.0);
    let deadline = Instant::now() + limit;
    while !open.is_empty() && Instant::now() < deadline {
        let now = Instant::now();
        open.retain_mut(|(stream, since)| {
            let gone = closed_by_server(stream) || stream.write(b"a").is_err_and(|e| e.kind() != ErrorKind::WouldBlock);
            if gone {
                lifetimes.push(now - *since);
            }
            !gone
        });
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(open.is_empty(), "{} of {SLOWLORIS} slowloris connections still open after {limit:?}", open.len());
    let longest = lifetimes.iter().max().copied().unwrap_or_default();
    assert!(longest <= limit, "a slowloris connection lived {longest:?}");
    eprintln!(
        "slowloris: {SLOWLORIS} opened in {opened:?}, all closed, the longest after {longest:?}; \
         /healthz {healthz:?}, POST {post_took:?}"
    );
    intake.assert_serving();
    assert_eq!(actions(&intake.stored("test.event.ndjson")), ["amid-slowloris", "alive"]);
}

#[test]
fn a_dribbled_head_is_closed_at_the_header_timeout_and_a_keep_alive_one_at_the_idle_timeout() {
    let intake = Intake::start(&["--header-timeout", "1", "--idle-timeout", "2.5"]);
    let addr = intake.serve.addr;
    // A head dribbled a byte every 100 ms: the bytes do not extend the deadline.
    let mut dribbled = TcpStream::connect(addr).unwrap();
    dribbled.set_nonblocking(true).unwrap();
    let connected = Instant::now();
    dribbled.write_all(b"POST /v1/events HTTP/1.1\r\nX-Slow: ").unwrap();
    let lived = loop {
        if closed_by_server(&mut dribbled) || dribbled.write(b"a").is_err() {
            break connected.elapsed();
        }
        assert!(connected.elapsed() < Duration::from_secs(5), "the dribbled head is still open after 5 s");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(lived >= Duration::from_millis(900) && lived < Duration::from_millis(3000), "closed after {lived:?}");

    // Keep-alive: a request, then a pause longer than the header timeout but
    // shorter than the idle timeout, then another request on the same connection.
    let body = json!([event("keep-alive")]).to_string();
    let request = format!(
        "POST /v1/events HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut kept = TcpStream::connect(addr).unwrap();
    kept.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    for _ in 0..2 {
        kept.write_all(request.as_bytes()).unwrap();
        let mut answer = [0u8; 4096];
        let n = kept.read(&mut answer).unwrap();
        assert!(answer[..n].starts_with(b"HTTP/1.1 201"), "{}", String::from_utf8_lossy(&answer[..n]));
        std::thread::sleep(Duration::from_millis(1500));
    }
    // Then idle: closed 2.5 s after the last answer (1.5 s of it already slept).
    let idle_since = Instant::now() - Duration::from_millis(1500);
    let mut rest = Vec::new();
    let read = kept.read_to_end(&mut rest);
    let idle = idle_since.elapsed();
    assert!(read.is_ok() && rest.is_empty(), "{read:?} {rest:?}");
    assert!(idle >= Duration::from_millis(2300) && idle < Duration::from_millis(5000), "idle for {idle:?}");
    assert_eq!(actions(&intake.stored("test.event.ndjson")), ["keep-alive", "keep-alive"]);
    intake.assert_serving();
}

#[test]
fn stalled_bodies_get_408_at_the_body_timeout_and_rss_stays_under_connections_times_body_size() {
    const MAX_CONNECTIONS: u64 = 16;
    const MAX_BODY: u64 = 4 * MIB;
    let max_connections = MAX_CONNECTIONS.to_string();
    let intake = Intake::start(&["--max-connections", &max_connections, "--body-timeout", "1.5"]);
    let (addr, pid) = (intake.serve.addr, intake.serve.pid());
    intake.assert_serving();
    let base = proc_status_bytes(pid, "VmRSS");
    // Each announces 4,000,000 bytes, sends 3,900,000 and stalls; the server
    // takes 16 at a time, the others wait for a free connection.
    let started = Instant::now();
    let clients: Vec<_> = (0..STALLED)
        .map(|_| {
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(addr).expect("connect");
                stream.set_write_timeout(Some(Duration::from_secs(30))).unwrap();
                stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                stream.write_all(head(addr, 4_000_000).as_bytes()).unwrap();
                let chunk = vec![b' '; 100_000];
                for _ in 0..39 {
                    if stream.write_all(&chunk).is_err() {
                        break;
                    }
                }
                let (status, answer) = read_answer(stream);
                (status, answer, started.elapsed())
            })
        })
        .collect();
    let answers: Vec<(u16, String, Duration)> = clients.into_iter().map(|c| c.join().expect("a client")).collect();
    let took = started.elapsed();
    let peak = proc_status_bytes(pid, "VmHWM");
    for (status, answer, _) in &answers {
        assert_eq!(*status, 408, "{answer}");
        assert!(answer.contains("--body-timeout"), "{answer}");
    }
    // 48 clients, 16 at a time, 1.5 s each: about 4.5 s.
    assert!(took < Duration::from_secs(20), "the stalled clients took {took:?}");
    // The bound the README states, connections × (body size + 1 MiB) over the base,
    // and half as much again: the allocator hands freed bodies back lazily, so a
    // round of clients may get fresh memory before the last round's is reused.
    // Without the limit and the timeout, the 48 bodies alone are 187 MB.
    let bound = base + MAX_CONNECTIONS * (MAX_BODY + MIB) * 3 / 2;
    eprintln!(
        "stalled bodies: {STALLED} × 3.9 MB, --max-connections {MAX_CONNECTIONS}: base RSS {} MiB, peak {} MiB \
         (bound {} MiB), all answered 408 in {took:?}",
        base / MIB,
        peak / MIB,
        bound / MIB
    );
    assert!(peak < bound, "peak RSS {} MiB is over the bound {} MiB", peak / MIB, bound / MIB);
    assert_healthz(&intake.serve);
    intake.assert_serving();
    assert!(!intake.out("_invalid.ndjson").exists(), "nothing of a stalled body is stored");
}

/// Whether process `pid` has exited (a zombie not yet reaped, or gone).
fn exited(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_or(true, |stat| stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')))
}

fn kill(signal: &str, pid: u32) {
    let status = std::process::Command::new("kill").args([signal, &pid.to_string()]).status().unwrap();
    assert!(status.success(), "kill {signal} {pid}");
}

/// Waits at most `limit` for `pid` to exit; returns how long it took.
#[track_caller]
fn wait_exit(pid: u32, limit: Duration) -> Duration {
    let started = Instant::now();
    while !exited(pid) {
        assert!(started.elapsed() < limit, "epc serve is still running {limit:?} after the signal");
        std::thread::sleep(Duration::from_millis(10));
    }
    started.elapsed()
}

/// A connection that sent a request head and half its body, and then nothing.
fn half_sent(addr: SocketAddr) -> TcpStream {
    let body = json!([event("half")]).to_string();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(head(addr, body.len()).as_bytes()).unwrap();
    stream.write_all(&body.as_bytes()[..body.len() / 2]).unwrap();
    stream
}

#[test]
fn signals_with_a_request_half_sent_exit_within_the_shutdown_timeout_and_a_second_one_at_once() {
    // SIGINT: the half-sent request gets --shutdown-timeout, then epc serve exits 0.
    let intake = Intake::start(&["--shutdown-timeout", "1"]);
    let pid = intake.serve.pid();
    let _in_flight = half_sent(intake.serve.addr);
    intake.assert_serving();
    kill("-INT", pid);
    let took = wait_exit(pid, Duration::from_secs(6));
    assert!(took >= Duration::from_millis(900), "it waited for the request in flight: {took:?}");
    let stopped = intake.serve.stop();
    assert_eq!(stopped.status.code(), Some(0), "{stopped:?}");
    assert!(stopped.stderr.contains("1 connection still open"), "{}", stopped.stderr);

    // A second SIGINT exits at once, with 130; a second SIGTERM with 143.
    for (first, second, code) in [("-INT", "-INT", 130), ("-TERM", "-TERM", 143), ("-TERM", "-INT", 130)] {
        let intake = Intake::start(&[]);
        let pid = intake.serve.pid();
        let _in_flight = half_sent(intake.serve.addr);
        intake.assert_serving();
        kill(first, pid);
        std::thread::sleep(Duration::from_millis(300));
        assert!(!exited(pid), "the default --shutdown-timeout is 5 s");
        kill(second, pid);
        let took = wait_exit(pid, Duration::from_secs(4));
        assert_eq!(actions(&intake.stored("test.event.ndjson")), ["alive"]);
        let stopped = intake.serve.stop();
        assert_eq!(stopped.status.code(), Some(code), "{first} {second} after {took:?}: {stopped:?}");
        assert!(stopped.stderr.contains("second signal"), "{}", stopped.stderr);
    }

    // SIGTERM with nothing in flight but a stalled head: a graceful stop at once, exit 0.
    let intake = Intake::start(&[]);
    let pid = intake.serve.pid();
    intake.assert_serving();
    let mut stalled_head = TcpStream::connect(intake.serve.addr).unwrap();
    stalled_head.write_all(b"POST /v1/events HTTP/1.1\r\nX-Slow: ").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    kill("-TERM", pid);
    let took = wait_exit(pid, Duration::from_secs(4));
    assert!(took < Duration::from_secs(2), "a stalled head does not hold up the shutdown: {took:?}");
    let stopped = intake.serve.stop();
    assert_eq!(stopped.status.code(), Some(0), "{stopped:?}");
    assert!(stopped.stderr.contains("every answered request was stored"), "{}", stopped.stderr);
}

/// `epc serve` without stream config (any stream goes) storing into a temporary folder.
fn any_stream_intake() -> (tempfile::TempDir, Serve) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let serve = serve(["--schema-repo", path_str(&fixture("schemas/primary")), "--output-dir", path_str(&out)]);
    (dir, serve)
}

fn on_stream(stream: &str, action: &str) -> Value {
    let mut e = event(action);
    e["meta"]["stream"] = json!(stream);
    e
}

fn files(dir: &std::path::Path) -> std::collections::BTreeSet<String> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

#[test]
fn stream_names_that_cannot_be_file_names_are_refused_per_event_and_streams_never_share_a_file() {
    let (dir, server) = any_stream_intake();
    let out = dir.path().join("out");
    // `a/b` and `a_b`: two files; `../up` stays inside the folder.
    let r = post_json(
        &server.url,
        &json!([on_stream("a/b", "slash"), on_stream("a_b", "underscore"), on_stream("../up", "up")]),
    );
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(actions(&ndjson_file(&out.join("a%2Fb.ndjson"))), ["slash"]);
    assert_eq!(actions(&ndjson_file(&out.join("a_b.ndjson"))), ["underscore"]);
    assert_eq!(actions(&ndjson_file(&out.join("%2E.%2Fup.ndjson"))), ["up"]);
    // A 300-byte stream name beside a valid event: a 207, the valid one stored.
    let long = "s".repeat(300);
    let r: Reply = post_json(&server.url, &json!([on_stream(&long, "too-long"), on_stream("test.event", "fine")]));
    assert_eq!(r.status, 207, "{r:?}");
    let answer = r.json();
    assert_eq!(actions(answer["invalid"].as_array().unwrap()), ["too-long"]);
    assert_eq!(answer["error"], json!([]));
    let text = errors_texts(&answer["invalid"])[0];
    assert!(text.starts_with("'.meta.stream' stream `sss") && text.contains("300 bytes"), "{text}");
    assert!(text.contains("cannot be a file name"), "{text}");
    assert_eq!(actions(&ndjson_file(&out.join("test.event.ndjson"))), ["fine"]);
    // Alone, it is a 400 (all invalid), never a 500.
    let r = post_json(&server.url, &json!([on_stream(&long, "alone")]));
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(
        files(&out),
        ["%2E.%2Fup.ndjson", "_invalid.ndjson", "a%2Fb.ndjson", "a_b.ndjson", "test.event.ndjson"]
            .map(str::to_owned)
            .into(),
    );
    assert_eq!(actions(&ndjson_file(&out.join("_invalid.ndjson"))), ["too-long", "alone"]);
    assert!(server.stop().status.success());
}

#[test]
fn a_store_that_fails_midway_answers_which_events_were_not_stored() {
    let (dir, server) = any_stream_intake();
    let out = dir.path().join("out");
    // A folder where the file of stream `test.broken` would go: it cannot be opened.
    std::fs::create_dir_all(out.join("test.broken.ndjson")).unwrap();
    let r = post_json(
        &server.url,
        &json!([on_stream("test.event", "first"), on_stream("test.broken", "lost"), on_stream("test.event", "last")]),
    );
    assert_eq!(r.status, 207, "the stored events are accepted, the other is an error: {r:?}");
    let answer = r.json();
    assert_eq!(answer["invalid"], json!([]));
    assert_eq!(actions(answer["error"].as_array().unwrap()), ["lost"]);
    let message = answer["error"][0]["context"]["message"].as_str().unwrap();
    assert!(message.contains("could not be stored") && message.contains("test.broken.ndjson"), "{message}");
    assert_eq!(actions(&ndjson_file(&out.join("test.event.ndjson"))), ["first", "last"]);
    let recorded = ndjson_file(&out.join("_invalid.ndjson"));
    assert_eq!((actions(&recorded), &recorded[0]["status"]), (vec!["lost"], &json!("error")), "{recorded:?}");
    // Only that stream: a 500, nothing stored.
    let r = post_json(&server.url, &json!([on_stream("test.broken", "again")]));
    assert_eq!(r.status, 500, "{r:?}");
    assert_eq!(actions(r.json()["error"].as_array().unwrap()), ["again"]);
    // The rest is served as before.
    let r = post_json(&server.url, &json!([on_stream("test.event", "after")]));
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(actions(&ndjson_file(&out.join("test.event.ndjson"))), ["first", "last", "after"]);
    assert!(server.stop().status.success());
}
