//! Nothing lost under faults: a real `epc send` child against a misbehaving
//! loopback intake (by schedule: drop, hang, 429 with Retry-After, 503, 207
//! garbage, truncated 201, redirect), real signals, a closed stdout and bad
//! input lines; after each run, the reconciliation: accepted at the intake ∪
//! the failed-events file = the input, nothing in both unless its outcome is
//! `unknown`, no torn line, no event accepted twice.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{epc, error_lines, path_str as s};

/// What the intake does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Stores every event, answers 201.
    Ok,
    /// Reads the request, closes the connection without an answer (nothing stored).
    Drop,
    /// Reads the request and answers nothing for `hang` (nothing stored).
    Hang,
    /// 429 with `Retry-After: 1` (nothing stored).
    TooMany,
    /// 503 (nothing stored).
    Unavailable,
    /// Stores the first half, answers 207 with a body that is not EventGate's.
    Garbage207,
    /// Stores everything, answers 201 with a body that breaks off.
    Truncated201,
    /// 301 to another path (nothing stored).
    Redirect,
    /// Stores all but events whose `n` is a multiple of 7, lists those as invalid (EventGate's 207).
    Reject207,
}

#[derive(Default)]
struct Store {
    /// `n` of every stored event, once per store (duplicates show).
    accepted: Vec<u64>,
    requests: usize,
}

/// A loopback intake that follows `schedule` request by request, then `Fault::Ok`.
struct FaultyGate {
    url: String,
    store: Arc<Mutex<Store>>,
}

fn n_of(event: &Value) -> u64 {
    event["n"].as_u64().expect("every test event has `n`")
}

fn respond(stream: &mut TcpStream, status: &str, headers: &[(&str, String)], body: &[u8], declared: Option<usize>) {
    let mut head = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", declared.unwrap_or(body.len()));
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
    let _ = stream.flush();
}

/// Reads one HTTP/1.1 request with a Content-Length body; `None` at EOF.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut length = 0usize;
    let mut first = true;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if first {
            first = false;
            continue;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(body)
}

fn handle(mut stream: TcpStream, schedule: &Arc<Mutex<Vec<Fault>>>, store: &Arc<Mutex<Store>>, delay: Duration) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone the connection"));
    while let Some(body) = read_request(&mut reader) {
        if body.is_empty() {
            // A POST turned into a GET by following a redirect: a 201 that stores nothing.
            respond(&mut stream, "201 Created", &[], b"", None);
            continue;
        }
        let events: Vec<Value> = serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("epc posts a JSON array ({e}): {}", String::from_utf8_lossy(&body)));
        let fault = {
            let mut st = store.lock().unwrap();
            st.requests += 1;
            let mut schedule = schedule.lock().unwrap();
            if schedule.is_empty() { Fault::Ok } else { schedule.remove(0) }
        };
        std::thread::sleep(delay);
        let keep = |ns: Vec<u64>| store.lock().unwrap().accepted.extend(ns);
        match fault {
            Fault::Ok => {
                keep(events.iter().map(n_of).collect());
                respond(&mut stream, "201 All events were accepted.", &[], b"", None);
            }
            Fault::Drop => return,
            Fault::Hang => {
                std::thread::sleep(Duration::from_secs(3));
                return;
            }
            Fault::TooMany => {
                respond(&mut stream, "429 Too Many Requests", &[("retry-after", "1".into())], b"slow down", None);
            }
            Fault::Unavailable => respond(&mut stream, "503 Service Unavailable", &[], b"<html>busy</html>", None),
            Fault::Garbage207 => {
                keep(events.iter().take(events.len() / 2).map(n_of).collect());
                respond(&mut stream, "207 Multi-Status", &[], b"<html>proxy error", None);
            }
            Fault::Truncated201 => {
                keep(events.iter().map(n_of).collect());
                respond(&mut stream, "201 Created", &[], b"{\"inva", Some(400));
                return;
            }
            Fault::Redirect => {
                respond(&mut stream, "301 Moved Permanently", &[("location", "/v2/events".into())], b"", None);
            }
            Fault::Reject207 => {
                let (bad, good): (Vec<&Value>, Vec<&Value>) = events.iter().partition(|e| n_of(e).is_multiple_of(7));
                keep(good.iter().map(|e| n_of(e)).collect());
                let invalid: Vec<Value> = bad
                    .iter()
                    .map(|e| json!({"status": "invalid", "event": e, "context": {"errorsText": "'.n' is a multiple of 7"}}))
                    .collect();
                let status = if good.is_empty() { "400 Bad Request" } else { "207 Multi-Status" };
                let answer = json!({"invalid": invalid, "error": []}).to_string();
                respond(&mut stream, status, &[], answer.as_bytes(), None);
            }
        }
    }
}

impl FaultyGate {
    fn start(schedule: Vec<Fault>, delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let url = format!("http://{}/v1/events", listener.local_addr().unwrap());
        let store = Arc::new(Mutex::new(Store::default()));
        let schedule = Arc::new(Mutex::new(schedule));
        let (st, sc) = (Arc::clone(&store), Arc::clone(&schedule));
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (st, sc) = (Arc::clone(&st), Arc::clone(&sc));
                std::thread::spawn(move || handle(conn, &sc, &st, delay));
            }
        });
        Self { url, store }
    }

    fn accepted(&self) -> Vec<u64> {
        self.store.lock().unwrap().accepted.clone()
    }
}

/// `count` events `{"n": i, …}`, one per line.
fn input(dir: &Path, count: u64) -> PathBuf {
    let path = dir.join("events.ndjson");
    let mut text = String::new();
    for n in 0..count {
        text.push_str(&json!({"n": n, "action": "click", "pad": "x".repeat(40)}).to_string());
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// The `n` of every line of the failed-events file; panics on a torn line.
fn failed_ns(path: &Path) -> Vec<u64> {
    let Ok(text) = std::fs::read_to_string(path) else { return Vec::new() };
    assert!(text.is_empty() || text.ends_with('\n'), "the failed-events file ends in a torn line");
    text.lines()
        .map(|l| n_of(&serde_json::from_str(l).unwrap_or_else(|e| panic!("torn or broken line {l:?}: {e}"))))
        .collect()
}

/// The figures of one run (printed through `Debug` for the note).
#[derive(Debug)]
#[allow(dead_code)]
struct Reconciled {
    input: u64,
    accepted: usize,
    in_file: usize,
    duplicated_at_intake: usize,
    in_both: usize,
    lost: usize,
}

/// Accepted ∪ file = input; accepted ∩ file ⊆ unknown; no event accepted twice.
#[track_caller]
fn reconcile(count: u64, accepted: &[u64], failed: &[u64], unknown: &BTreeSet<u64>) -> Reconciled {
    let mut at_intake: BTreeMap<u64, usize> = BTreeMap::new();
    for n in accepted {
        *at_intake.entry(*n).or_default() += 1;
    }
    let duplicated = at_intake.values().filter(|c| **c > 1).count();
    let file: BTreeSet<u64> = failed.iter().copied().collect();
    assert_eq!(file.len(), failed.len(), "an event is in the failed-events file twice");
    let both: Vec<u64> = file.iter().filter(|n| at_intake.contains_key(n)).copied().collect();
    let lost: Vec<u64> = (0..count).filter(|n| !at_intake.contains_key(n) && !file.contains(n)).collect();
    let r = Reconciled {
        input: count,
        accepted: at_intake.len(),
        in_file: file.len(),
        duplicated_at_intake: duplicated,
        in_both: both.len(),
        lost: lost.len(),
    };
    eprintln!("reconciliation: {r:?}");
    assert!(lost.is_empty(), "lost: {} events, e.g. {:?}", lost.len(), &lost[..lost.len().min(10)]);
    assert_eq!(duplicated, 0, "events accepted twice at the intake");
    let unmarked: Vec<&u64> = both.iter().filter(|n| !unknown.contains(n)).collect();
    assert!(unmarked.is_empty(), "accepted and in the file, not marked unknown: {unmarked:?}");
    r
}

/// `n` of the events whose record says `unknown` (`source` is `file:line`, line = n + 1).
fn unknown_ns(records: &[Value]) -> BTreeSet<u64> {
    records
        .iter()
        .filter(|r| r["status"] == "unknown")
        .filter_map(|r| r["source"].as_str()?.rsplit_once(':')?.1.parse::<u64>().ok())
        .map(|line| line - 1)
        .collect()
}

fn records(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

fn send_args(gate: &FaultyGate, events: &Path, failed: &Path) -> Vec<String> {
    [
        "--format",
        "ndjson",
        "send",
        "--no-stream-config",
        "--no-validate",
        "--stream",
        "test.faults",
        "--schema",
        "/test/faults/1.0.0",
        "--batch-size",
        "50",
        "--retries",
        "6",
        "--retry-delay",
        "0.01",
        "--timeout",
        "1",
        "--intake-url",
        &gate.url,
        "--failed-out",
        s(failed),
        s(events),
    ]
    .iter()
    .map(ToString::to_string)
    .collect()
}

#[test]
fn five_thousand_events_under_the_fault_schedule_are_all_accounted_for() {
    use Fault::{Drop, Garbage207, Hang, Ok, Redirect, Reject207, TooMany, Truncated201, Unavailable};
    let dir = tempfile::tempdir().unwrap();
    let events = input(dir.path(), 5000);
    let failed = dir.path().join("failed.ndjson");
    let schedule = vec![
        Ok,
        Drop,
        Ok,
        TooMany,
        Unavailable,
        Ok,
        Garbage207,
        Truncated201,
        Hang,
        Ok,
        Redirect,
        Reject207,
        Reject207,
    ];
    let gate = FaultyGate::start(schedule, Duration::ZERO);
    let out = epc().args(send_args(&gate, &events, &failed)).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Unknown outcomes (the 207 garbage) make it exit 2.
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let recs = records(&out.stdout);
    let summary = recs.last().expect("a summary");
    assert_eq!(summary["type"], "summary", "{summary}");
    let unknown = unknown_ns(&recs);
    assert_eq!(unknown.len(), 50, "the 207 garbage batch is unknown: {stderr}");
    let r = reconcile(5000, &gate.accepted(), &failed_ns(&failed), &unknown);
    // The redirect's batch is not followed and not retried: unsent, in the file.
    assert!(stderr.contains("/v2/events"), "{stderr}");
    // The truncated 201 counts as accepted: never in the file.
    assert_eq!(r.in_both, 25, "only the stored half of the garbage 207: {r:?}");
    let rejected = summary["rejected"].as_u64().unwrap();
    // 50 unknown (garbage 207), 50 unsent (redirect), 15 rejected (multiples
    // of 7 in 350..450); the rest accepted.
    assert_eq!(rejected, 15, "{summary}");
    assert_eq!(summary["accepted"], 4885, "{summary}");
    assert_eq!(summary["failed_events"], 115, "{summary}");
    assert_eq!((r.accepted, r.in_file), (4885 + 25, 115), "{r:?}");
}

/// A real `epc send` child, started with default signal handling.
fn spawn_send(gate: &FaultyGate, events: &Path, failed: &Path) -> Child {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("epc"));
    cmd.args(send_args(gate, events, failed))
        .env("NO_COLOR", "1")
        .env("HOME", failed.parent().unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.spawn().expect("start epc send")
}

fn kill(child: &Child, signal: &str) {
    let ok = std::process::Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(ok.success());
}

/// Waits until the intake has seen `requests`, then sends `signal`.
fn signal_after(gate: &FaultyGate, child: &Child, requests: usize, signal: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while gate.store.lock().unwrap().requests < requests {
        assert!(Instant::now() < deadline, "the intake never saw {requests} requests");
        std::thread::sleep(Duration::from_millis(5));
    }
    kill(child, signal);
}

fn wait(mut child: Child, within: Duration) -> (Option<i32>, Vec<u8>, String) {
    // Both pipes are drained while the child runs: a full pipe would block it.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let deadline = Instant::now() + within;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("epc send did not exit within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = out.join().unwrap();
    let stderr = String::from_utf8_lossy(&err.join().unwrap()).into_owned();
    (status.code(), stdout, stderr)
}

#[test]
fn sigint_and_sigterm_stop_the_run_and_keep_every_event_not_accepted() {
    for (signal, code) in [("-INT", 130), ("-TERM", 143)] {
        let dir = tempfile::tempdir().unwrap();
        let events = input(dir.path(), 5000);
        let failed = dir.path().join("failed.ndjson");
        // Slow answers (20 ms), under the fault schedule, the signal after it.
        use Fault::{Drop, Garbage207, Ok, Redirect, Reject207, TooMany, Truncated201, Unavailable};
        let schedule = vec![Ok, Drop, TooMany, Unavailable, Garbage207, Truncated201, Redirect, Reject207, Reject207];
        let gate = FaultyGate::start(schedule, Duration::from_millis(20));
        let child = spawn_send(&gate, &events, &failed);
        signal_after(&gate, &child, 12, signal);
        let (status, stdout, stderr) = wait(child, Duration::from_secs(20));
        assert_eq!(status, Some(code), "{signal}: {stderr}");
        assert!(stderr.contains("stopped by SIG"), "{stderr}");
        let recs = records(&stdout);
        let r = reconcile(5000, &gate.accepted(), &failed_ns(&failed), &unknown_ns(&recs));
        assert!(r.accepted >= 300 && r.in_file > 3000 && r.in_both == 25, "{signal}: {r:?}");
        let summary = recs.last().unwrap();
        assert_eq!(summary["stopped_by"], if code == 130 { "SIGINT" } else { "SIGTERM" }, "{summary}");
    }
}

#[test]
fn a_request_in_flight_is_abandoned_as_unknown_after_a_second_sigint() {
    let dir = tempfile::tempdir().unwrap();
    let events = input(dir.path(), 500);
    let failed = dir.path().join("failed.ndjson");
    // The third request hangs (3 s, past the 1 s timeout); the test signals twice during it.
    let gate = FaultyGate::start(vec![Fault::Ok, Fault::Ok, Fault::Hang], Duration::ZERO);
    let child = spawn_send(&gate, &events, &failed);
    signal_after(&gate, &child, 3, "-INT");
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    kill(&child, "-INT");
    let (status, stdout, stderr) = wait(child, Duration::from_secs(10));
    assert!(started.elapsed() < Duration::from_secs(2), "a second SIGINT abandons the request at once");
    assert_eq!(status, Some(130), "{stderr}");
    let recs = records(&stdout);
    let unknown = unknown_ns(&recs);
    assert_eq!(unknown.len(), 50, "{stderr}");
    reconcile(500, &gate.accepted(), &failed_ns(&failed), &unknown);
}

#[test]
fn kill_9_leaves_whole_lines_and_nothing_in_both_places() {
    let dir = tempfile::tempdir().unwrap();
    let events = input(dir.path(), 5000);
    let failed = dir.path().join("failed.ndjson");
    let gate = FaultyGate::start(vec![Fault::Reject207; 40], Duration::from_millis(5));
    let child = spawn_send(&gate, &events, &failed);
    signal_after(&gate, &child, 20, "-KILL");
    let (status, _, _) = wait(child, Duration::from_secs(10));
    assert_eq!(status, None, "killed by a signal");
    // Every rejected event of an answered batch is in the file, as whole lines;
    // nothing accepted is in it. (Events in flight and unread are not recorded:
    // kill -9 can't be handled.)
    let file: BTreeSet<u64> = failed_ns(&failed).into_iter().collect();
    let accepted: BTreeSet<u64> = gate.accepted().into_iter().collect();
    assert!(file.is_disjoint(&accepted));
    assert!(file.iter().all(|n| n.is_multiple_of(7)), "only rejected events");
    // The 19 batches answered before the 20th request was seen were synced before it was sent.
    let answered: BTreeSet<u64> = (0..19 * 50u64).filter(|n| n.is_multiple_of(7)).collect();
    assert!(answered.is_subset(&file), "{} in the file", file.len());
}

#[test]
fn a_closed_stdout_is_not_success_and_delivery_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let events = input(dir.path(), 5000);
    let failed = dir.path().join("failed.ndjson");
    let gate = FaultyGate::start(vec![Fault::Reject207; 100], Duration::ZERO);
    let mut child = spawn_send(&gate, &events, &failed);
    // `| head -1`: read one line, close the pipe.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    drop(stdout);
    let (status, _, stderr) = wait(child, Duration::from_secs(60));
    assert_eq!(status, Some(2), "{stderr}");
    assert!(stderr.contains("stdout was closed"), "{stderr}");
    let r = reconcile(5000, &gate.accepted(), &failed_ns(&failed), &BTreeSet::new());
    assert_eq!((r.accepted, r.in_file), (5000 - 715, 715), "{r:?}");
}

#[test]
fn bad_lines_are_reported_with_their_number_and_the_rest_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = Vec::new();
    for n in 0..40u64 {
        match n {
            20 => bytes.extend_from_slice(b"{\"n\": 20, \"bad\": \"\xff\"}"),
            30 => bytes.extend_from_slice(b"{\"n\": 30, oops"),
            _ => bytes.extend_from_slice(json!({"n": n}).to_string().as_bytes()),
        }
        bytes.push(b'\n');
    }
    let events = dir.path().join("events.ndjson");
    std::fs::write(&events, &bytes).unwrap();
    let failed = dir.path().join("failed.ndjson");
    let gate = FaultyGate::start(Vec::new(), Duration::ZERO);
    let out = epc().args(send_args(&gate, &events, &failed)).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("{}:21: not UTF-8 (byte 19 of the line is 0xff)", s(&events))), "{stderr}");
    assert!(stderr.contains(&format!("{}:31:", s(&events))), "{stderr}");
    let mut accepted = gate.accepted();
    accepted.sort_unstable();
    assert_eq!(accepted, (0..40).filter(|n| *n != 20 && *n != 30).collect::<Vec<_>>());
    // The two lines are kept as read, byte for byte.
    let kept = std::fs::read(&failed).unwrap();
    assert_eq!(kept, b"{\"n\": 20, \"bad\": \"\xff\"}\n{\"n\": 30, oops\n");
}

#[test]
fn the_failed_events_file_is_never_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let events = input(dir.path(), 10);
    let gate = FaultyGate::start(Vec::new(), Duration::ZERO);
    let before = std::fs::read(&events).unwrap();
    let out = epc().args(send_args(&gate, &events, &events)).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--failed-out") && stderr.contains("is also an input"), "{stderr}");
    assert_eq!(std::fs::read(&events).unwrap(), before);
    assert_eq!(gate.store.lock().unwrap().requests, 0, "nothing sent");
    // Through standard input, too.
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("epc"))
        .args(send_args(&gate, Path::new("-"), &events))
        .env("NO_COLOR", "1")
        .stdin(std::fs::File::open(&events).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_missing_later_input_is_said_before_anything_is_read_or_sent() {
    let dir = tempfile::tempdir().unwrap();
    let events = input(dir.path(), 30);
    let failed = dir.path().join("failed.ndjson");
    let gate = FaultyGate::start(Vec::new(), Duration::ZERO);
    let missing = dir.path().join("second.ndjson");
    let out = epc().args(send_args(&gate, &events, &failed)).arg(&missing).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("cannot read {}", s(&missing))), "{stderr}");
    // Nothing was read, so nothing is half-sent: the run can be repeated as it is.
    assert_eq!(gate.store.lock().unwrap().requests, 0);
    assert!(!failed.exists());
}

#[test]
fn a_signal_is_seen_while_standard_input_is_idle_and_the_events_read_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let failed = dir.path().join("failed.ndjson");
    // Nothing is accepted, so the read events must all end in the file.
    let gate = FaultyGate::start(vec![Fault::Redirect; 10], Duration::ZERO);
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("epc"));
    cmd.args(send_args(&gate, Path::new("-"), &failed))
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for n in 0..3u64 {
        writeln!(stdin, "{}", json!({"n": n})).unwrap();
    }
    stdin.flush().unwrap();
    // The pipe stays open and idle: epc waits for more input.
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    kill(&child, "-INT");
    let (status, _, stderr) = wait(child, Duration::from_secs(10));
    drop(stdin);
    assert_eq!(status, Some(130), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(3), "{stderr}");
    assert!(stderr.contains("stopped by SIGINT"), "{stderr}");
    let mut kept = failed_ns(&failed);
    kept.sort_unstable();
    assert_eq!(kept, [0, 1, 2], "{stderr}");
}

#[test]
fn a_failed_events_file_that_cannot_be_written_stops_the_run_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let events = input(dir.path(), 500);
    let gate = FaultyGate::start(vec![Fault::Reject207; 10], Duration::ZERO);
    let out = epc().args(send_args(&gate, &events, Path::new("/dev/full"))).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let errors = error_lines(&stderr);
    let about_file: Vec<&&str> = errors.iter().filter(|l| l.contains("/dev/full")).collect();
    assert_eq!(about_file.len(), 2, "said once when it fails, once at the end: {stderr}");
    assert!(about_file[0].contains("the run stops"), "{stderr}");
    // It stopped: not every batch was sent.
    assert!(gate.store.lock().unwrap().requests < 10, "{stderr}");
    // No record claims a rejected event was kept.
    let recs = records(&out.stdout);
    assert!(recs.iter().all(|r| r["status"] != "rejected"), "{recs:?}");
}
