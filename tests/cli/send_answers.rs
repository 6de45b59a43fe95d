//! `epc send` against a misbehaving loopback intake that writes raw bytes:
//! answers that are not EventGate's, bodies that break off, 429 with
//! `Retry-After`, redirects. Each test checks what the intake got against the
//! failed-events file and epc's records.

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use crate::support::{epc, read, stderr_text, stdout_ndjson};

const INPUT: &str = "{\"action\": \"click\", \"n\": 1}\n{\"action\": \"click\", \"n\": 2}\n";

/// A loopback intake answering one connection per entry of `answers` with
/// those raw bytes, then closing it; then it stops. Its URL, and the request
/// line of each request it got.
fn raw_intake(answers: Vec<String>) -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/v1/events", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        for raw in answers {
            let mut stream = loop {
                match listener.accept() {
                    Ok((s, _)) => break s,
                    Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(2)),
                    Err(_) => return,
                }
            };
            if let Some(line) = read_request(&mut stream) {
                let _ = tx.send(line);
            }
            let _ = stream.write_all(raw.as_bytes());
            let _ = stream.shutdown(Shutdown::Both);
        }
    });
    (url, rx)
}

/// Reads one request (head and `Content-Length` body); its request line.
fn read_request(stream: &mut TcpStream) -> Option<String> {
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).ok().filter(|&n| n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize =
        head.lines().find_map(|l| l.strip_prefix("content-length:")).map_or(0, |v| v.trim().parse().unwrap());
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).ok().filter(|&n| n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    }
    head.lines().next().map(str::to_owned)
}

fn answer(status: &str, headers: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n{body}",
        body.len()
    )
}

/// The outcome of one `epc send` of [`INPUT`] (one batch) to `url`.
struct Run {
    code: Option<i32>,
    records: Vec<Value>,
    summary: Value,
    failed: Vec<Value>,
    stderr: String,
    took: Duration,
}

fn send(url: &str) -> Run {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("events.ndjson");
    std::fs::write(&input, INPUT).unwrap();
    let failed_path: PathBuf = dir.path().join("failed.ndjson");
    let started = Instant::now();
    let a = epc()
        .current_dir(dir.path())
        .args(["send", "--format", "ndjson", "--retry-delay", "0.01", "--timeout", "10", "--failed-out"])
        .arg(&failed_path)
        .args(["--no-stream-config", "--no-validate", "--stream", "test.widget_click"])
        .args(["--schema", "/analytics/widget_click/1.0.0", "--intake-url", url])
        .arg(&input)
        .assert();
    let took = started.elapsed();
    let mut records = stdout_ndjson(&a);
    let summary = records.pop().expect("a summary record");
    let failed = if failed_path.exists() {
        read(&failed_path).lines().map(|l| serde_json::from_str(l).expect("a complete JSON line")).collect()
    } else {
        Vec::new()
    };
    Run { code: a.get_output().status.code(), records, summary, failed, stderr: stderr_text(&a), took }
}

fn statuses(run: &Run) -> Vec<&str> {
    run.records.iter().map(|r| r["status"].as_str().unwrap_or("?")).collect()
}

fn numbers(events: &[Value]) -> Vec<u64> {
    events.iter().map(|e| e["n"].as_u64().unwrap()).collect()
}

#[test]
fn send_a_207_whose_body_is_not_eventgates_is_unknown_exit_2_and_every_event_kept() {
    let (url, seen) = raw_intake(vec![answer("207 Multi-Status", "", "<html>upstream says hi</html>")]);
    let run = send(&url);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert_eq!(statuses(&run), ["unknown", "unknown"], "{:?}", run.records);
    let message = run.records[0]["message"].as_str().unwrap();
    assert!(
        message.contains("HTTP 207 with a body that is not EventGate's") && message.contains("unknown"),
        "{message}"
    );
    assert_eq!(run.summary["accepted"], 0, "{}", run.summary);
    assert_eq!(numbers(&run.failed), [1, 2]);
    assert_eq!(seen.try_iter().count(), 1, "not retried");
}

#[test]
fn send_a_201_whose_body_breaks_off_is_accepted_once() {
    let broken = "HTTP/1.1 201 Created\r\nContent-Length: 50\r\n\r\n{\"trunc".to_owned();
    let (url, seen) = raw_intake(vec![broken, answer("201 Created", "", "")]);
    let run = send(&url);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.summary["accepted"], 2, "{}", run.summary);
    assert!(run.failed.is_empty(), "{:?}", run.failed);
    assert_eq!(seen.try_iter().count(), 1, "a 201 is never sent again");
}

#[test]
fn send_a_429_with_retry_after_waits_and_retries() {
    let (url, seen) =
        raw_intake(vec![answer("429 Too Many Requests", "Retry-After: 1\r\n", ""), answer("201 Created", "", "")]);
    let run = send(&url);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.summary["accepted"], 2, "{}", run.summary);
    assert_eq!(seen.try_iter().count(), 2);
    assert!(run.took >= Duration::from_secs(1), "Retry-After: 1 not honoured: {:?}", run.took);
}

#[test]
fn send_a_redirect_is_unsent_naming_the_location_and_is_not_followed() {
    let (url, seen) = raw_intake(vec![
        answer("301 Moved Permanently", "Location: https://intake.example.org/v1/events\r\n", ""),
        answer("201 Created", "", ""),
    ]);
    let run = send(&url);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert_eq!(statuses(&run), ["unsent", "unsent"]);
    let message = run.records[1]["message"].as_str().unwrap();
    assert!(message.contains("redirected to https://intake.example.org/v1/events (HTTP 301)"), "{message}");
    assert!(message.contains("pass that URL as --intake-url"), "{message}");
    assert_eq!(numbers(&run.failed), [1, 2]);
    let requests: Vec<String> = seen.try_iter().collect();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(requests[0].starts_with("post /v1/events"), "{requests:?}");
}
