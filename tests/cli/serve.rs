//! `epc serve`: the real binary on a free loopback port (`support::serve`),
//! with the fixture schema repository and stream config and a temporary
//! `--output-dir`. End to end with `epc send` (and case 20's table with
//! `epc serve` as the intake), robustness against bad and badly behaved
//! clients (the server keeps serving after each), and a graceful shutdown on
//! SIGINT that loses nothing answered 201.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use assert_cmd::assert::Assert;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::{Epc, Serve, epc, fixture, read, serve, shared, stderr_text, stdout_ndjson};

const CASE_20: &str = "cases/20-send-eventgate-status-codes";
const WIDGET_SCHEMA: &str = "/analytics/widget_click/1.0.0";
/// A schema no server-side repository has: the event is an `error`, as a produce failure is on EventGate.
const UNKNOWN_WIDGET_SCHEMA: &str = "/analytics/widget_click/9.9.9";

/// A running `epc serve` with its own temporary folder (`out/` is its `--output-dir`).
pub(crate) struct Intake {
    pub(crate) dir: TempDir,
    pub(crate) serve: Serve,
}

impl Intake {
    /// `epc serve --schema-repo fixtures/schemas/primary --stream-config
    /// fixtures/streamconfigs-validate.json --output-dir <tmp>/out EXTRA…`.
    pub(crate) fn start(extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let mut args: Vec<String> = vec![
            "--schema-repo".into(),
            path_str(&fixture("schemas/primary")).into(),
            "--stream-config".into(),
            path_str(&fixture("streamconfigs-validate.json")).into(),
            "--output-dir".into(),
            path_str(&dir.path().join("out")).into(),
        ];
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        let serve = serve(&args);
        Self { dir, serve }
    }

    pub(crate) fn out(&self, name: &str) -> PathBuf {
        self.dir.path().join("out").join(name)
    }

    /// The records of `out/NAME` (none when it does not exist).
    pub(crate) fn stored(&self, name: &str) -> Vec<Value> {
        ndjson_file(&self.out(name))
    }

    /// The file names in `out/`.
    pub(crate) fn files(&self) -> BTreeSet<String> {
        match std::fs::read_dir(self.dir.path().join("out")) {
            Ok(entries) => entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect(),
            Err(_) => BTreeSet::new(),
        }
    }

    /// Polls `out/NAME` for up to 10 s until it holds `n` records (for hasty requests).
    fn wait_for(&self, name: &str, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let records = self.stored(name);
            if records.len() >= n || Instant::now() > deadline {
                return records;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A valid event POSTed now gets 201: the server is still serving.
    #[track_caller]
    pub(crate) fn assert_serving(&self) {
        let before = self.stored("test.event.ndjson").len();
        let r = post(&self.serve.url, "application/json", &json!([event("alive")]).to_string());
        assert_eq!(r.status, 201, "the server still serves: {r:?}");
        assert_eq!(self.stored("test.event.ndjson").len(), before + 1);
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

pub(crate) fn ndjson_file(path: &Path) -> Vec<Value> {
    if !path.exists() {
        return Vec::new();
    }
    read(path)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{} line is not JSON ({e}): {l}", path.display())))
        .collect()
}

/// A valid `test.event` event (schema 1.0.0) with this `action`.
pub(crate) fn event(action: &str) -> Value {
    json!({"$schema": "/test/event/1.0.0", "meta": {"stream": "test.event"}, "dt": "2024-05-01T10:00:00Z", "action": action})
}

/// An event of `test.event` that fails its schema (`count` below 0).
fn invalid_event(action: &str) -> Value {
    let mut e = event(action);
    e["count"] = json!(-1);
    e
}

/// An HTTP answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) text: String,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("the body is not JSON ({e}): {}", self.text))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub(crate) fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().timeout(Duration::from_secs(30)).build().expect("an HTTP client")
}

pub(crate) fn request(builder: reqwest::blocking::RequestBuilder) -> Reply {
    let r = builder.send().expect("an answer");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    Reply { status, headers, text: r.text().expect("a body") }
}

/// POSTs `body` with this Content-Type (none when empty).
fn post(url: &str, content_type: &str, body: &str) -> Reply {
    let mut b = client().post(url).body(body.to_owned());
    if !content_type.is_empty() {
        b = b.header("content-type", content_type);
    }
    request(b)
}

pub(crate) fn post_json(url: &str, body: &Value) -> Reply {
    post(url, "application/json", &body.to_string())
}

/// Writes `request` on a fresh connection and reads the whole answer (the
/// request should say `Connection: close`); returns the status and the raw answer.
fn raw(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect to epc serve");
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    stream.write_all(request).expect("write the request");
    read_answer(stream)
}

pub(crate) fn read_answer(mut stream: TcpStream) -> (u16, String) {
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    (status_of(&answer), answer)
}

#[track_caller]
fn status_of(answer: &str) -> u16 {
    answer
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP/1.1 answer: {answer:?}"))
}

/// Request head for `POST /v1/events` with a Content-Length and `Connection: close`.
pub(crate) fn head(addr: SocketAddr, length: usize) -> String {
    format!(
        "POST /v1/events HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n"
    )
}

/// The `errorsText` of each EventStatus in a list.
pub(crate) fn errors_texts(statuses: &Value) -> Vec<&str> {
    statuses.as_array().expect("a list").iter().map(|s| s["context"]["errorsText"].as_str().unwrap_or("")).collect()
}

#[track_caller]
fn assert_uuid(id: &Value) {
    let id = id.as_str().unwrap_or_else(|| panic!("meta.id is not a string: {id}"));
    let shape = regex::Regex::new(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$").unwrap();
    assert!(shape.is_match(id), "meta.id is not a v4 UUID: {id}");
}

/// A `YYYY-MM-DDTHH:MM:SS.sssZ` timestamp within five minutes of now.
#[track_caller]
fn assert_dt_is_now(dt: &Value) {
    let dt = dt.as_str().unwrap_or_else(|| panic!("dt is not a string: {dt}"));
    let shape = regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$").unwrap();
    assert!(shape.is_match(dt), "dt is not YYYY-MM-DDTHH:MM:SS.sssZ: {dt}");
    let when = humantime::parse_rfc3339(dt).unwrap_or_else(|e| panic!("dt {dt} does not parse: {e}"));
    let skew = SystemTime::now().duration_since(when).unwrap_or_else(|e| e.duration());
    assert!(skew < Duration::from_secs(300), "dt {dt} is not now (off by {skew:?})");
}

/// The `action`s of some events (or of the `event`s of EventStatus records).
pub(crate) fn actions(records: &[Value]) -> Vec<&str> {
    records.iter().map(|r| r.get("event").unwrap_or(r)["action"].as_str().unwrap_or("?")).collect()
}

/// The HTTP statuses `epc serve` logged (`POST /v1/events NNN …` on stderr).
fn logged_statuses(stderr: &str) -> Vec<u16> {
    stderr
        .lines()
        .filter_map(|l| l.split("POST /v1/events ").nth(1))
        .filter_map(|rest| rest.get(..3)?.parse().ok())
        .collect()
}

// End to end with `epc send`.

/// `epc send --format ndjson --failed-out DIR/failed.ndjson --retry-delay 0.01
/// --intake-url URL ARGS…`, run in `dir`.
fn send(dir: &Path, url: &str, args: &[&str]) -> Epc {
    let mut cmd = epc();
    cmd.env_remove("EPC_INTAKE_URL")
        .current_dir(dir)
        .args(["send", "--format", "ndjson", "--retry-delay", "0.01", "--intake-url", url, "--failed-out"])
        .arg(dir.join("failed.ndjson"))
        .args(args);
    cmd
}

/// The delivery records of `epc send --format ndjson`, by source, and the summary.
#[track_caller]
fn deliveries(assert: &Assert) -> (BTreeMap<String, Value>, Value) {
    let mut all = stdout_ndjson(assert);
    let summary = all.pop().expect("the summary record");
    assert_eq!(summary["type"], "summary", "{summary}");
    let by_source: BTreeMap<String, Value> =
        all.into_iter().map(|r| (r["source"].as_str().expect("a source").to_owned(), r)).collect();
    (by_source, summary)
}

/// `epc send` with the fixture repository and stream config to `test.event`
/// (schema 1.1.0), without copies to its cc streams (`test.event.slash`, …).
fn send_test_events(intake: &Intake, input: &Path, extra: &[&str]) -> Epc {
    let args = ["--stream", "test.event", "--schema", "/test/event/1.1.0", "--no-cc"];
    let mut cmd = send(intake.dir.path(), &intake.serve.url, &args);
    cmd.arg("--schema-repo")
        .arg(fixture("schemas/primary"))
        .arg("--stream-config")
        .arg(fixture("streamconfigs-validate.json"))
        .args(extra)
        .arg(input);
    cmd
}

#[test]
fn send_end_to_end_valid_events_stored_once_invalid_ones_rejected_with_their_status() {
    let intake = Intake::start(&[]);
    let input = intake.dir.path().join("events.ndjson");
    std::fs::write(
        &input,
        [
            r#"{"action": "click", "count": 1}"#,
            r#"{"action": "hover", "label": "ok"}"#,
            r#"{"action": "click", "count": -1}"#,
            r#"{"action": "scroll", "label": "far too long"}"#,
            r#"{"action": "tap", "meta": {"stream": "test.event"}}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let src = |line: usize| format!("{}:{line}", input.display());

    // Sent unvalidated, so the server judges: 3 of 5 accepted, a 207.
    let a = send_test_events(&intake, &input, &["--no-validate"]).assert().code(1);
    let (records, summary) = deliveries(&a);
    assert_eq!(records.len(), 5, "{records:?}");
    for line in [1, 2, 5] {
        assert_eq!(records[&src(line)]["status"], "accepted", "{:?}", records[&src(line)]);
    }
    for (line, path) in [(3, "'.count'"), (4, "'.label'")] {
        let r = &records[&src(line)];
        assert_eq!(r["status"], "rejected", "{r}");
        assert!(r["message"].as_str().unwrap().starts_with(path), "the server's errorsText: {r}");
    }
    assert_eq!((summary["accepted"].as_u64(), summary["rejected"].as_u64()), (Some(3), Some(2)), "{summary}");

    // Each accepted event stored exactly once, as sent plus meta.dt and meta.id.
    let stored = intake.stored("test.event.ndjson");
    assert_eq!(actions(&stored), ["click", "hover", "tap"]);
    for e in &stored {
        assert_eq!(e["$schema"], "/test/event/1.1.0");
        assert_eq!(e["meta"]["stream"], "test.event");
        assert_dt_is_now(&e["meta"]["dt"]);
        assert_dt_is_now(&e["dt"]);
        assert_uuid(&e["meta"]["id"]);
    }
    assert_eq!(stored[0]["count"], 1);
    assert_eq!(stored[1]["label"], "ok");
    // The rejected ones, with their EventStatus, and the same events in send's failed-events file.
    let invalid = intake.stored("_invalid.ndjson");
    assert_eq!(actions(&invalid), ["click", "scroll"]);
    for (status, line) in invalid.iter().zip([3, 4]) {
        assert_eq!(status["status"], "invalid", "{status}");
        let context = &status["context"];
        assert!(context.get("message").is_none(), "EventGate's ValidationError context has no message: {status}");
        assert!(!context["errors"].as_array().unwrap().is_empty(), "{status}");
        assert_eq!(context["errorsText"], records[&src(line)]["message"], "send reports the server's errorsText");
        assert_uuid(&status["event"]["meta"]["id"]);
        assert_dt_is_now(&status["event"]["meta"]["dt"]);
    }
    let failed = ndjson_file(&intake.dir.path().join("failed.ndjson"));
    assert_eq!(actions(&failed), ["click", "scroll"]);
    assert_eq!(intake.files(), BTreeSet::from(["test.event.ndjson".to_owned(), "_invalid.ndjson".to_owned()]));

    // All valid: 201 and exit 0; all invalid: 400 and exit 1.
    let good = intake.dir.path().join("good.ndjson");
    std::fs::write(&good, "{\"action\": \"a\"}\n{\"action\": \"b\"}\n").unwrap();
    let a = send_test_events(&intake, &good, &["--no-validate"]).assert().code(0);
    assert_eq!(deliveries(&a).1["accepted"], 2);
    let bad = intake.dir.path().join("bad.ndjson");
    std::fs::write(&bad, "{\"action\": \"c\", \"count\": -1}\n{\"count\": 1}\n").unwrap();
    let a = send_test_events(&intake, &bad, &["--no-validate"]).assert().code(1);
    let (records, summary) = deliveries(&a);
    assert_eq!(summary["rejected"], 2, "{summary}");
    assert!(records.values().all(|r| r["status"] == "rejected"), "{records:?}");

    // Validated locally first: the invalid events are never sent.
    let a = send_test_events(&intake, &input, &[]).assert().code(1);
    let (records, summary) = deliveries(&a);
    assert_eq!((summary["accepted"].as_u64(), summary["invalid"].as_u64()), (Some(3), Some(2)), "{summary}");
    assert_eq!(records[&src(3)]["status"], "invalid");

    let stored = intake.stored("test.event.ndjson");
    assert_eq!(actions(&stored), ["click", "hover", "tap", "a", "b", "click", "hover", "tap"]);
    let ids: BTreeSet<&str> = stored.iter().map(|e| e["meta"]["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), stored.len(), "every meta.id is unique");
    assert_eq!(actions(&intake.stored("_invalid.ndjson")), ["click", "scroll", "c", "?"], "nothing more was rejected");

    let stopped = intake.serve.stop();
    assert!(stopped.status.success(), "{stopped:?}");
    assert_eq!(logged_statuses(&stopped.stderr), [207, 201, 400, 201], "{}", stopped.stderr);
}

/// Case 20's inputs for `epc serve`: every event carries its `$schema`; `explode`
/// (a produce failure on EventGate) gets a schema the server cannot load, the
/// way an event becomes an `error` on a validating intake.
fn case_20_input(dir: &Path, case: &Path, name: &str) -> PathBuf {
    let text = read(&case.join("events").join(name));
    let lines: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut e: Value = serde_json::from_str(l).expect("a case 20 event");
            let schema = if e["action"] == "explode" { UNKNOWN_WIDGET_SCHEMA } else { WIDGET_SCHEMA };
            e.as_object_mut().unwrap().insert("$schema".into(), json!(schema));
            e.to_string()
        })
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// A server-side schema repository: case 20's schema with `action` ∈ {click, hover},
/// the "newer server-side schema" of the case's mock.
fn case_20_server_repo(dir: &Path, case: &Path) -> PathBuf {
    let text = read(&case.join("schemas/jsonschema/analytics/widget_click/1.0.0.yaml"));
    let from = "  action:\n    type: string\n";
    assert!(text.contains(from), "case 20's schema has an `action` string");
    let server = text.replace(from, "  action:\n    type: string\n    enum: [click, hover]\n");
    let repo = dir.join("server-schemas");
    let folder = repo.join("jsonschema/analytics/widget_click");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("1.0.0.yaml"), server).unwrap();
    repo
}

#[test]
fn case_20_table_holds_with_epc_serve_as_the_intake() {
    let Some(case) = shared(CASE_20) else { return };
    // (input, hasty, --retries, send's exit, statuses served, send status per line, stored, rejected)
    type Row<'a> = (&'a str, bool, &'a str, i32, &'a [u16], &'a [&'a str], &'a [&'a str], &'a [&'a str]);
    let table: [Row; 6] = [
        ("one-good.json", false, "0", 0, &[201], &["accepted"], &["click"], &[]),
        ("mixed-one-rejected.jsonl", false, "0", 1, &[207], &["accepted", "rejected"], &["click"], &["tap"]),
        ("all-rejected.jsonl", false, "0", 1, &[400], &["rejected", "rejected"], &[], &["tap", "swipe"]),
        ("one-produce-error.jsonl", false, "0", 2, &[207], &["accepted", "error"], &["click"], &["explode"]),
        ("only-produce-error.json", false, "2", 2, &[500, 500, 500], &["error"], &[], &["explode"; 3]),
        ("mixed-one-rejected.jsonl", true, "0", 0, &[202], &["accepted_without_validation"; 2], &["click"], &["tap"]),
    ];
    for (input, hasty, retries, code, served, statuses, stored, rejected) in table {
        let dir = tempfile::tempdir().unwrap();
        let repo = case_20_server_repo(dir.path(), &case);
        let out = dir.path().join("out");
        let server = serve(["--schema-repo", path_str(&repo), "--output-dir", path_str(&out)]);
        let url = if hasty { format!("{}?hasty=true", server.url) } else { server.url.clone() };
        let events = case_20_input(dir.path(), &case, input);
        let mut cmd = send(dir.path(), &url, &["--no-stream-config", "--no-validate", "--stream", "test.widget_click"]);
        cmd.args(["--retries", retries]).arg("--schema-repo").arg(case.join("schemas")).arg(&events);
        let a = cmd.assert();
        let a = a.code(code);
        let (records, _) = deliveries(&a);
        let got: Vec<&str> = records.values().map(|r| r["status"].as_str().unwrap()).collect();
        assert_eq!(got, statuses, "{input} (hasty: {hasty}): {records:?}\n{}", stderr_text(&a));
        for r in records.values() {
            let message = r["message"].as_str().unwrap();
            match r["status"].as_str().unwrap() {
                "rejected" => assert!(message.starts_with("'.action' "), "{input}: {r}"),
                "error" => assert!(message.contains("9.9.9"), "the server's message names the schema: {r}"),
                _ => {}
            }
        }
        let store = |name: &str| {
            let expected = if name == "_invalid.ndjson" { rejected.len() } else { stored.len() };
            let path = out.join(name);
            let deadline = Instant::now() + Duration::from_secs(10);
            while ndjson_file(&path).len() < expected && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            ndjson_file(&path)
        };
        assert_eq!(actions(&store("test.widget_click.ndjson")), stored, "{input} (hasty: {hasty})");
        let invalid = store("_invalid.ndjson");
        assert_eq!(actions(&invalid), rejected, "{input} (hasty: {hasty})");
        for s in &invalid {
            let expected = if s["event"]["action"] == "explode" { "error" } else { "invalid" };
            assert_eq!(s["status"], expected, "{s}");
        }
        let stopped = server.stop();
        assert!(stopped.status.success(), "{stopped:?}");
        assert_eq!(logged_statuses(&stopped.stderr), served, "{input} (hasty: {hasty}): {}", stopped.stderr);
    }
}

// Robustness: each answer as documented, and the server keeps serving.

#[test]
fn malformed_json_is_400_and_nothing_is_stored() {
    let intake = Intake::start(&[]);
    for body in ["{not json", "[{\"a\": 1},", "{\"action\": \"x\", \"action\": \"y\"}", "\u{feff}nope"] {
        let r = post(&intake.serve.url, "application/json", body);
        assert_eq!(r.status, 400, "{body}: {r:?}");
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
        assert!(r.header("x-epc-message").is_some_and(|m| m.contains("JSON")), "{body}: {r:?}");
    }
    // Not UTF-8.
    let r = request(client().post(&intake.serve.url).header("content-type", "application/json").body(vec![0xff, 0xfe]));
    assert_eq!(r.status, 400, "{r:?}");
    assert!(intake.files().is_empty(), "{:?}", intake.files());
    intake.assert_serving();
}

#[test]
fn a_non_object_in_the_array_gets_its_own_status_and_the_others_are_judged() {
    let intake = Intake::start(&[]);
    let body = json!([event("first"), 42, "text", null, [1], invalid_event("bad"), event("last")]);
    let r = post_json(&intake.serve.url, &body);
    assert_eq!(r.status, 207, "{r:?}");
    let answer = r.json();
    let invalid = answer["invalid"].as_array().unwrap();
    let mut events: Vec<Value> = invalid.iter().map(|s| s["event"].clone()).collect();
    // The intake filled `meta.dt` and `meta.id` before it validated (as production does).
    let filled = &mut events[4]["meta"];
    assert_dt_is_now(&filled["dt"]);
    assert_uuid(&filled["id"]);
    let meta = filled.as_object_mut().unwrap();
    meta.remove("dt");
    meta.remove("id");
    assert_eq!(events, [json!(42), json!("text"), Value::Null, json!([1]), invalid_event("bad")]);
    for s in &invalid[..4] {
        assert_eq!(s["status"], "invalid");
        assert!(s["context"]["errorsText"].as_str().unwrap().contains("must be a JSON object"), "{s}");
    }
    assert_eq!(answer["error"], json!([]));
    assert_eq!(actions(&intake.stored("test.event.ndjson")), ["first", "last"]);
    assert_eq!(intake.stored("_invalid.ndjson").len(), 5);
    // A single non-object body is one event.
    let r = post(&intake.serve.url, "application/json", "42");
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(r.json()["invalid"][0]["event"], 42);
    intake.assert_serving();
}

#[test]
fn a_missing_schema_is_an_error_500_alone_and_207_beside_an_accepted_event() {
    let intake = Intake::start(&[]);
    let mut no_schema = event("orphan");
    no_schema.as_object_mut().unwrap().remove("$schema");
    let r = post_json(&intake.serve.url, &no_schema);
    assert_eq!(r.status, 500, "{r:?}");
    let answer = r.json();
    assert_eq!(answer["invalid"], json!([]));
    assert_eq!(answer["error"][0]["status"], "error");
    assert_eq!(answer["error"][0]["event"], no_schema);
    assert!(answer["error"][0]["context"]["message"].as_str().unwrap().contains("$schema"), "{answer}");
    // An unknown schema is an error too; with an accepted event, a 207.
    let mut unknown = event("stranger");
    unknown["$schema"] = json!("/test/no_such_event/1.0.0");
    let r = post_json(&intake.serve.url, &json!([unknown, event("fine"), invalid_event("bad")]));
    assert_eq!(r.status, 207, "{r:?}");
    let answer = r.json();
    assert_eq!(actions(answer["error"].as_array().unwrap()), ["stranger"]);
    assert_eq!(actions(answer["invalid"].as_array().unwrap()), ["bad"]);
    // Invalid and error, none accepted: 500.
    let r = post_json(&intake.serve.url, &json!([no_schema, invalid_event("bad")]));
    assert_eq!(r.status, 500, "{r:?}");
    let statuses: Vec<String> =
        intake.stored("_invalid.ndjson").iter().map(|s| s["status"].as_str().unwrap().to_owned()).collect();
    assert_eq!(statuses, ["error", "error", "invalid", "error", "invalid"]);
    assert_eq!(actions(&intake.stored("test.event.ndjson")), ["fine"]);
    intake.assert_serving();
}

#[test]
fn an_unknown_stream_is_invalid_with_stream_config() {
    let intake = Intake::start(&[]);
    let mut stray = event("stray");
    stray["meta"]["stream"] = json!("test.no_such_stream");
    let r = post_json(&intake.serve.url, &json!([stray]));
    assert_eq!(r.status, 400, "{r:?}");
    let answer = r.json();
    assert_eq!(
        errors_texts(&answer["invalid"]),
        ["'.meta.stream' stream `test.no_such_stream` is not configured in the stream config"]
    );
    // A stream whose schema_title is not the schema's title.
    let mut wrong = event("wrong");
    wrong["meta"]["stream"] = json!("test.event.slash");
    let r = post_json(&intake.serve.url, &json!([wrong, event("ok")]));
    assert_eq!(r.status, 207, "{r:?}");
    assert!(errors_texts(&r.json()["invalid"])[0].contains("schema_title"), "{r:?}");
    assert!(!intake.files().iter().any(|f| f.contains("no_such") || f.contains("slash")), "{:?}", intake.files());
    assert_eq!(actions(&intake.stored("test.event.ndjson")), ["ok"]);
    intake.assert_serving();
}

#[test]
fn an_oversized_body_is_413_and_nothing_of_it_is_stored() {
    let intake = Intake::start(&["--max-body-size", "1000"]);
    let many = json!((0..20).map(|i| event(&format!("big{i}"))).collect::<Vec<_>>()).to_string();
    assert!(many.len() > 1000);
    let r = post(&intake.serve.url, "application/json", &many);
    assert_eq!(r.status, 413, "{r:?}");
    assert_eq!(r.header("access-control-allow-origin"), Some("*"), "a page on another origin can read the 413");
    // Also when the size is not announced (chunked): the limit holds while reading.
    let chunk = &many[..900];
    let mut request = format!(
        "POST /v1/events HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        intake.serve.addr
    );
    for _ in 0..2 {
        request.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    request.push_str("0\r\n\r\n");
    let (status, answer) = raw(intake.serve.addr, request.as_bytes());
    assert_eq!(status, 413, "{answer}");
    // Just under the limit is fine.
    let small = json!([event("small")]).to_string();
    assert!(small.len() < 1000);
    assert_eq!(post(&intake.serve.url, "application/json", &small).status, 201);
    assert_eq!(actions(&intake.stored("test.event.ndjson")), ["small"]);
    assert!(!intake.out("_invalid.ndjson").exists());
    intake.assert_serving();
}

#[test]
fn a_slow_client_still_gets_its_answer() {
    let intake = Intake::start(&[]);
    let body = json!([event("slow1"), event("slow2")]).to_string();
    let mut stream = TcpStream::connect(intake.serve.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    stream.set_nodelay(true).unwrap();
    let head = head(intake.serve.addr, body.len());
    // The head in two pieces, then the body in four, with pauses; meanwhile others are served.
    let (h1, h2) = head.split_at(20);
    stream.write_all(h1.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    stream.write_all(h2.as_bytes()).unwrap();
    let step = body.len().div_ceil(4);
    for (i, piece) in body.as_bytes().chunks(step).enumerate() {
        std::thread::sleep(Duration::from_millis(250));
        stream.write_all(piece).unwrap();
        if i == 1 {
            intake.assert_serving();
        }
    }
    let (status, answer) = read_answer(stream);
    assert_eq!(status, 201, "{answer}");
    assert_eq!(actions(&intake.stored("test.event.ndjson")), ["alive", "slow1", "slow2"]);
    intake.assert_serving();
}

#[test]
fn a_client_that_disconnects_mid_body_does_not_stop_the_server() {
    let intake = Intake::start(&[]);
    let body = json!([event("never"), event("stored")]).to_string();
    for cut in [0, 10, body.len() / 2, body.len() - 1] {
        let mut stream = TcpStream::connect(intake.serve.addr).unwrap();
        stream.write_all(head(intake.serve.addr, body.len()).as_bytes()).unwrap();
        stream.write_all(&body.as_bytes()[..cut]).unwrap();
        drop(stream);
    }
    // A connection that stops mid-head too.
    let mut stream = TcpStream::connect(intake.serve.addr).unwrap();
    stream.write_all(b"POST /v1/events HTTP/1.1\r\nContent-Le").unwrap();
    drop(stream);
    std::thread::sleep(Duration::from_millis(200));
    intake.assert_serving();
    assert_eq!(actions(&intake.stored("test.event.ndjson")), ["alive"], "no part of a cut-off body is stored");
    assert!(!intake.out("_invalid.ndjson").exists());
}

#[test]
fn content_types_text_plain_is_read_others_are_400_and_an_empty_body_is_400() {
    let intake = Intake::start(&[]);
    let body = json!([event("beacon")]).to_string();
    for ct in ["text/plain;charset=UTF-8", "application/json; charset=utf-8", "Application/JSON"] {
        let r = post(&intake.serve.url, ct, &body);
        assert_eq!(r.status, 201, "{ct}: {r:?}");
    }
    for ct in ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""] {
        let r = post(&intake.serve.url, ct, &body);
        assert_eq!(r.status, 400, "{ct}: {r:?}");
        assert!(r.header("x-epc-message").is_some_and(|m| m.contains("Content-Type")), "{ct}: {r:?}");
    }
    for empty in ["", "  \n", "[]", "{}"] {
        let r = post(&intake.serve.url, "application/json", empty);
        assert_eq!(r.status, 400, "{empty:?}: {r:?}");
        assert_eq!(
            r.header("x-epc-message"),
            Some("Request body was empty. Must provide JSON encoded events."),
            "{empty:?}"
        );
    }
    assert_eq!(actions(&intake.stored("test.event.ndjson")), ["beacon"; 3]);
    intake.assert_serving();
}

#[test]
fn hasty_is_202_at_once_for_any_non_empty_value_and_the_events_are_still_stored() {
    let intake = Intake::start(&[]);
    for (i, value) in ["true", "false", "0", "1"].iter().enumerate() {
        let body = json!([event(&format!("hasty-{value}")), invalid_event("hasty-bad")]);
        let r = post_json(&format!("{}?hasty={value}", intake.serve.url), &body);
        assert_eq!(r.status, 202, "hasty={value}: {r:?}");
        assert_eq!(r.text, "", "a 202 has no body");
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
        assert_eq!(intake.wait_for("test.event.ndjson", i + 1).len(), i + 1, "hasty={value} stored");
        assert_eq!(intake.wait_for("_invalid.ndjson", i + 1).len(), i + 1, "hasty={value} stored");
    }
    // An empty value is not hasty.
    let r = post_json(&format!("{}?hasty=", intake.serve.url), &json!([event("patient")]));
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(
        actions(&intake.stored("test.event.ndjson")),
        ["hasty-true", "hasty-false", "hasty-0", "hasty-1", "patient"]
    );
    // A hasty empty body is still a 400: the body is read before answering.
    assert_eq!(post(&format!("{}?hasty=true", intake.serve.url), "application/json", "").status, 400);
    intake.assert_serving();
}

#[test]
fn cors_on_answers_options_preflight_204_healthz_200_and_other_methods_405() {
    let intake = Intake::start(&[]);
    let r = post_json(&intake.serve.url, &json!([event("cors")]));
    assert_eq!((r.status, r.header("access-control-allow-origin")), (201, Some("*")));
    let r = post_json(&intake.serve.url, &json!([invalid_event("cors")]));
    assert_eq!((r.status, r.header("access-control-allow-origin")), (400, Some("*")));
    let r = request(
        client()
            .request(reqwest::Method::OPTIONS, &intake.serve.url)
            .header("origin", "https://example.org")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type"),
    );
    assert_eq!(r.status, 204, "{r:?}");
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert!(r.header("access-control-allow-methods").is_some_and(|m| m.contains("POST")), "{r:?}");
    assert!(r.header("access-control-allow-headers").is_some_and(|h| h.contains("content-type")), "{r:?}");
    let r = request(client().get(intake.serve.at("/healthz")));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json(), json!({"status": "ok"}));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let r = request(client().get(&intake.serve.url));
    assert_eq!(r.status, 405, "{r:?}");
    let r = request(client().post(intake.serve.at("/v2/events")).body("[]"));
    assert_eq!(r.status, 404, "{r:?}");
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    intake.assert_serving();
}

#[test]
fn without_output_dir_each_event_is_a_line_on_stdout() {
    let server = serve(["--schema-repo", path_str(&fixture("schemas/primary"))]);
    let r = post_json(&server.url, &json!([event("shown"), invalid_event("bad")]));
    assert_eq!(r.status, 207, "{r:?}");
    let stopped = server.stop();
    assert!(stopped.status.success(), "{stopped:?}");
    let lines: Vec<&str> = stopped.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", stopped.stdout);
    assert!(lines[0].starts_with("success  test.event /test/event/1.0.0"), "{}", lines[0]);
    assert!(lines[1].starts_with("invalid  test.event /test/event/1.0.0 '.count'"), "{}", lines[1]);
}

#[test]
fn format_ndjson_prints_one_record_per_event_with_its_outcome_for_jq() {
    for (format, extra) in [("ndjson", false), ("json", false), ("ndjson", true)] {
        let out = tempfile::tempdir().unwrap();
        let mut args = vec!["--schema-repo".to_owned(), path_str(&fixture("schemas/primary")).to_owned()];
        args.extend(["--format".to_owned(), format.to_owned()]);
        if extra {
            args.extend(["--output-dir".to_owned(), path_str(out.path()).to_owned()]);
        }
        let server = serve(args);
        let r = post_json(&server.url, &json!([event("shown"), invalid_event("bad")]));
        assert_eq!(r.status, 207, "{r:?}");
        let stopped = server.stop();
        assert!(stopped.status.success(), "{stopped:?}");
        let records: Vec<Value> =
            stopped.stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
        assert_eq!(records.len(), 2, "{format}: {}", stopped.stdout);
        assert_eq!(records[0]["type"], "event");
        assert_eq!(records[0]["outcome"], "accepted");
        assert_eq!(records[0]["stream"], "test.event");
        assert_eq!(records[0]["schema"], "/test/event/1.0.0");
        assert_eq!(records[0]["event"]["action"], "shown");
        assert!(records[0]["event"]["meta"]["dt"].is_string(), "the stored event, meta.dt filled: {}", records[0]);
        assert_eq!(records[1]["outcome"], "invalid");
        assert!(records[1]["message"].as_str().is_some_and(|m| m.contains("'.count'")), "{}", records[1]);
        assert!(records[1]["errors"].is_array(), "{}", records[1]);
        assert!(!stopped.stderr.contains("\"type\":\"event\""), "logs stay on stderr, records on stdout");
        if extra {
            let stored = std::fs::read_to_string(out.path().join("test.event.ndjson")).unwrap();
            assert_eq!(stored.lines().count(), 1, "--output-dir still stores: {stored}");
        }
    }
}

// Content-Encoding, reason phrases, CORS, problem bodies, enrichment and defaults.

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// POSTs raw bytes as `application/json` with these extra headers.
fn post_bytes(url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Reply {
    let mut b = client().post(url).header("content-type", "application/json").body(body);
    for (name, value) in headers {
        b = b.header(*name, *value);
    }
    request(b)
}

/// The JSON problem body of a 4xx: its `status` is the answer's, and its `detail`
/// (also in `x-epc-message`) contains `names`.
#[track_caller]
fn assert_problem(r: &Reply, status: u16, names: &str) -> Value {
    assert_eq!(r.status, status, "{r:?}");
    assert!(r.header("content-type").is_some_and(|c| c.starts_with("application/json")), "{r:?}");
    let body = r.json();
    assert_eq!(body["status"], status, "{body}");
    let detail = body["detail"].as_str().unwrap_or_else(|| panic!("no detail: {body}"));
    assert!(detail.contains(names), "the detail names {names:?}: {body}");
    assert_eq!(r.header("x-epc-message"), Some(detail), "{r:?}");
    assert_eq!(r.header("access-control-allow-origin"), Some("*"), "{r:?}");
    body
}

#[test]
fn gzip_and_deflate_bodies_are_read_br_is_415_and_a_gzip_bomb_is_413() {
    let intake = Intake::start(&["--max-body-size", "100000"]);
    let body = |action: &str| json!([event(action)]).to_string().into_bytes();
    for (action, encoding, data) in [
        ("gzipped", "gzip", gzip(&body("gzipped"))),
        ("deflated", "deflate", zlib(&body("deflated"))),
        ("upper", "GZIP", gzip(&body("upper"))),
        ("identity", "identity", body("identity")),
    ] {
        let r = post_bytes(&intake.serve.url, &[("content-encoding", encoding)], data);
        assert_eq!(r.status, 201, "{action}: {r:?}");
    }
    assert_eq!(actions(&intake.stored("test.event.ndjson")), ["gzipped", "deflated", "upper", "identity"]);

    let r = post_bytes(&intake.serve.url, &[("content-encoding", "br")], body("brotli"));
    let problem = assert_problem(&r, 415, r#"unsupported content encoding "br""#);
    assert_eq!((&problem["method"], &problem["uri"]), (&json!("POST"), &json!("/v1/events")));
    // 2 MB inflated from about 2 KB: the limit holds for the inflated size.
    let mut bomb_json = body("bomb");
    bomb_json.extend(std::iter::repeat_n(b' ', 2_000_000));
    let bomb = gzip(&bomb_json);
    assert!(bomb.len() < 100_000, "{}", bomb.len());
    let r = post_bytes(&intake.serve.url, &[("content-encoding", "gzip")], bomb);
    assert_problem(&r, 413, "request entity too large");
    // A body that is not gzip at all.
    let r = post_bytes(&intake.serve.url, &[("content-encoding", "gzip")], body("plain"));
    assert_problem(&r, 400, "cannot be inflated");

    assert_eq!(actions(&intake.stored("test.event.ndjson")), ["gzipped", "deflated", "upper", "identity"]);
    assert!(!intake.out("_invalid.ndjson").exists(), "nothing of a refused body is stored");
    intake.assert_serving();
}

/// POSTs `body` to `path` over a raw connection and returns the status line.
fn status_line(addr: SocketAddr, path: &str, body: &str) -> String {
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (_, answer) = raw(addr, request.as_bytes());
    answer.lines().next().unwrap_or("").to_owned()
}

#[test]
fn reason_phrases_are_eventgates_status_messages() {
    let intake = Intake::start(&[]);
    let addr = intake.serve.addr;
    let one = json!([event("reason")]).to_string();
    assert_eq!(status_line(addr, "/v1/events", &one), "HTTP/1.1 201 All 1 out of 1 events were accepted.");
    let mixed = json!([event("reason"), invalid_event("reason")]).to_string();
    assert_eq!(
        status_line(addr, "/v1/events", &mixed),
        "HTTP/1.1 207 1 out of 2 events were accepted, but 1 failed (1 invalid and 0 errored)."
    );
    let bad = json!([invalid_event("a"), invalid_event("b")]).to_string();
    assert_eq!(status_line(addr, "/v1/events", &bad), "HTTP/1.1 400 2 out of 2 events were invalid and not accepted.");
    let mut orphan = event("orphan");
    orphan.as_object_mut().unwrap().remove("$schema");
    let failed = json!([orphan, invalid_event("c")]).to_string();
    assert_eq!(
        status_line(addr, "/v1/events", &failed),
        "HTTP/1.1 500 2 out of 2 events had failures and were not accepted. (1 invalid and 1 errored)."
    );
    assert_eq!(
        status_line(addr, "/v1/events", "[]"),
        "HTTP/1.1 400 Request body was empty. Must provide JSON encoded events."
    );
    assert_eq!(status_line(addr, "/v1/events?hasty=true", &one), "HTTP/1.1 202 1 events hastily received.");
    intake.wait_for("test.event.ndjson", 3);
    intake.assert_serving();
}

#[test]
fn cors_headers_are_eventgates_on_answers_and_on_preflights() {
    let intake = Intake::start(&[]);
    #[track_caller]
    fn assert_cors(r: &Reply) {
        assert_eq!(r.header("access-control-allow-origin"), Some("*"), "{r:?}");
        assert_eq!(r.header("access-control-allow-headers"), Some("accept, x-requested-with, content-type"), "{r:?}");
        assert_eq!(r.header("access-control-expose-headers"), Some("etag"), "{r:?}");
        assert!(r.header("access-control-allow-methods").is_some_and(|m| m.contains("POST")), "{r:?}");
    }
    let r = post_json(&intake.serve.url, &json!([event("cors")]));
    assert_eq!(r.status, 201, "{r:?}");
    assert_cors(&r);
    let r = request(
        client()
            .request(reqwest::Method::OPTIONS, &intake.serve.url)
            .header("origin", "https://example.org")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "x-requested-with"),
    );
    // EventGate answers 200 with `Allow: POST`; epc 204, on purpose.
    assert_eq!((r.status, r.text.as_str()), (204, ""), "{r:?}");
    assert_cors(&r);
    let r = post_bytes(&intake.serve.url, &[("content-encoding", "br")], b"[]".to_vec());
    assert_eq!(r.status, 415, "{r:?}");
    assert_cors(&r);
    intake.assert_serving();
}

#[test]
fn every_4xx_about_the_request_has_a_json_body_whose_detail_names_the_problem() {
    let intake = Intake::start(&["--max-body-size", "1000"]);
    let url = &intake.serve.url;
    let cases: Vec<(&str, Reply, u16, &str)> = vec![
        ("empty", post(url, "application/json", ""), 400, "Request body was empty. Must provide JSON encoded events."),
        ("malformed", post(url, "application/json", "{not json"), 400, "Request body was not valid JSON"),
        (
            "duplicate key",
            post(url, "application/json", r#"{"action": "x", "action": "y"}"#),
            400,
            "duplicate key `action`",
        ),
        ("content type", post(url, "application/xml", "[{}]"), 400, "Content-Type `application/xml`"),
        ("method", request(client().get(url)), 405, "GET is not allowed"),
        ("size", post(url, "application/json", &" ".repeat(1001)), 413, "request entity too large"),
        (
            "encoding",
            post_bytes(url, &[("content-encoding", "br")], b"[]".to_vec()),
            415,
            "unsupported content encoding \"br\"",
        ),
    ];
    for (what, reply, status, names) in &cases {
        let body = assert_problem(reply, *status, names);
        let method = if *what == "method" { "GET" } else { "POST" };
        assert_eq!((&body["method"], &body["uri"]), (&json!(method), &json!("/v1/events")), "{what}: {body}");
    }
    // `uri` is the request target, query string included (EventGate's `req.url`).
    let r = post(&format!("{url}?hasty=true"), "application/json", "{not json");
    assert_eq!(assert_problem(&r, 400, "not valid JSON")["uri"], "/v1/events?hasty=true");
    assert!(intake.files().is_empty(), "{:?}", intake.files());
    intake.assert_serving();
}

/// A schema declaring `meta.request_id` and the `http.request_headers` map,
/// with a required `mode` that has a default.
const ENRICHED_SCHEMA: &str = "title: test/enriched
$id: /test/enriched/1.0.0
$schema: 'https://json-schema.org/draft-07/schema#'
type: object
required: [$schema, meta, mode]
properties:
  $schema: {type: string}
  meta:
    type: object
    required: [stream]
    properties:
      stream: {type: string}
      dt: {type: string, format: date-time}
      id: {type: string}
      request_id: {type: string}
  http:
    type: object
    properties:
      request_headers:
        type: object
        additionalProperties: {type: string}
  mode: {type: string, default: auto}
";

/// `epc serve` with the fixture repository plus one holding ENRICHED_SCHEMA, and
/// stream config where `test.enriched` enriches from headers and `test.event` does not.
fn enriched_intake() -> (TempDir, Serve) {
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("repo/jsonschema/test/enriched/1.0.0.yaml");
    std::fs::create_dir_all(schema.parent().unwrap()).unwrap();
    std::fs::write(&schema, ENRICHED_SCHEMA).unwrap();
    let enrich = json!({"meta.request_id": "x-request-id", "http.request_headers.user-agent": "user-agent"});
    let config = json!({"streams": {
        "test.enriched": {"schema_title": "test/enriched", "producers": {"eventgate": {"enrich_fields_from_http_headers": enrich}}},
        "test.event": {"schema_title": "test/event"}
    }});
    let config_path = dir.path().join("streams.json");
    std::fs::write(&config_path, config.to_string()).unwrap();
    let out = dir.path().join("out");
    let serve = serve([
        "--schema-repo",
        path_str(&fixture("schemas/primary")),
        "--schema-repo",
        path_str(&dir.path().join("repo")),
        "--stream-config",
        path_str(&config_path),
        "--output-dir",
        path_str(&out),
    ]);
    (dir, serve)
}

#[test]
fn headers_enrich_defaults_fill_and_meta_dt_is_the_receive_time() {
    let (dir, server) = enriched_intake();
    let stored = || ndjson_file(&dir.path().join("out/test.enriched.ndjson"));
    let enriched = |action: &str| json!({"$schema": "/test/enriched/1.0.0", "meta": {"stream": "test.enriched"}, "action": action});
    let headers = [("x-request-id", "req-42"), ("user-agent", "epc-test/1.0")];

    let before = SystemTime::now() - Duration::from_millis(1);
    let r = post_bytes(&server.url, &headers, json!([enriched("with")]).to_string().into_bytes());
    let after = SystemTime::now() + Duration::from_millis(1);
    assert_eq!(r.status, 201, "{r:?}");
    let e = &stored()[0];
    assert_eq!(e["meta"]["request_id"], "req-42", "{e}");
    assert_eq!(e["http"], json!({"request_headers": {"user-agent": "epc-test/1.0"}}), "{e}");
    assert_eq!(e["mode"], "auto", "the schema default, so the required `mode` passed: {e}");
    assert_uuid(&e["meta"]["id"]);
    assert_dt_is_now(&e["meta"]["dt"]);
    let dt = humantime::parse_rfc3339(e["meta"]["dt"].as_str().unwrap()).unwrap();
    assert!(before <= dt && dt <= after, "meta.dt is the receive time: {e}");

    // Without the headers: no user agent; `meta.request_id` is the request id
    // the intake gave the request, as EventGate gives every request one.
    let r = post_json(&server.url, &json!([enriched("without")]));
    assert_eq!(r.status, 201, "{r:?}");
    let e = &stored()[1];
    assert!(e.get("http").is_none(), "{e}");
    assert_uuid(&e["meta"]["request_id"]);
    assert_ne!(e["meta"]["request_id"], e["meta"]["id"]);

    // Values already there are kept; the schema default too.
    let mut own = enriched("own");
    own["meta"]["request_id"] = json!("mine");
    own["meta"]["dt"] = json!("2024-05-01T10:00:00Z");
    own["meta"]["id"] = json!("given");
    own["http"] = json!({"request_headers": {"user-agent": "theirs"}});
    own["mode"] = json!("manual");
    assert_eq!(post_bytes(&server.url, &headers, json!([own]).to_string().into_bytes()).status, 201);
    assert_eq!(stored()[2], own);

    // A stream without the setting is not enriched (`test.event`'s schema has an object `meta`).
    let r = post_bytes(&server.url, &headers, json!([event("plain")]).to_string().into_bytes());
    assert_eq!(r.status, 201, "{r:?}");
    let e = &ndjson_file(&dir.path().join("out/test.event.ndjson"))[0];
    assert!(e["meta"].get("request_id").is_none() && e.get("http").is_none(), "{e}");
    assert_eq!(actions(&stored()), ["with", "without", "own"]);
    assert!(server.stop().status.success());
}

// Graceful shutdown.

#[test]
fn sigint_finishes_requests_in_flight_exits_0_and_loses_nothing_answered_201() {
    let intake = Intake::start(&[]);
    let addr = intake.serve.addr;
    // A request in flight at SIGINT: its head and half its body are sent.
    let body = json!([event("in-flight-1"), event("in-flight-2")]).to_string();
    let mut in_flight = TcpStream::connect(addr).unwrap();
    in_flight.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    in_flight.write_all(head(addr, body.len()).as_bytes()).unwrap();
    in_flight.write_all(&body.as_bytes()[..body.len() / 2]).unwrap();

    // Clients posting as fast as they can, each event named by client and sequence.
    let answered: Arc<Mutex<Vec<String>>> = Arc::default();
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let answered = Arc::clone(&answered);
            let url = intake.serve.url.clone();
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
                let mut sent = Vec::new();
                for n in 0..10_000 {
                    let names: Vec<String> = (0..3).map(|k| format!("c{c}-{n}-{k}")).collect();
                    let batch: Vec<Value> = names.iter().map(|a| event(a)).collect();
                    sent.extend(names.iter().cloned());
                    let body = Value::Array(batch).to_string();
                    match client.post(&url).header("content-type", "application/json").body(body).send() {
                        Ok(r) if r.status().as_u16() == 201 => answered.lock().unwrap().extend(names),
                        Ok(r) => panic!("unexpected status {}", r.status()),
                        Err(_) => break,
                    }
                }
                sent
            })
        })
        .collect();
    // Let them run, then stop while they are still posting.
    let deadline = Instant::now() + Duration::from_secs(10);
    while answered.lock().unwrap().len() < 300 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid = intake.serve.pid();
    let status = std::process::Command::new("kill").args(["-INT", &pid.to_string()]).status().unwrap();
    assert!(status.success());
    // Shutting down: it takes no new connection (within 10 s) …
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok() {
        assert!(Instant::now() < deadline, "epc serve still accepts connections 10 s after SIGINT");
        std::thread::sleep(Duration::from_millis(10));
    }
    // … but finishes the request in flight.
    in_flight.write_all(&body.as_bytes()[body.len() / 2..]).unwrap();
    let (code, answer) = read_answer(in_flight);
    assert_eq!(code, 201, "{answer}");
    let sent: BTreeSet<String> = clients.into_iter().flat_map(|t| t.join().expect("a client thread")).collect();

    // The SIGINT above stops it: a second one would stop it at once (exit 130).
    let stopped = intake.serve.wait();
    assert_eq!(stopped.status.code(), Some(0), "{stopped:?}");
    assert!(stopped.stderr.contains("stopped"), "{}", stopped.stderr);
    // Nothing listens any more.
    assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err(), "the port is closed");

    let stored = ndjson_file(&intake.dir.path().join("out/test.event.ndjson"));
    let stored_names: Vec<&str> = actions(&stored);
    let unique: BTreeSet<&str> = stored_names.iter().copied().collect();
    assert_eq!(unique.len(), stored_names.len(), "no event stored twice");
    let answered = answered.lock().unwrap();
    assert!(answered.len() >= 300, "the clients got going: {}", answered.len());
    for name in answered.iter().map(String::as_str).chain(["in-flight-1", "in-flight-2"]) {
        assert!(unique.contains(name), "{name} was answered 201 but is not stored");
    }
    for name in &unique {
        assert!(name.starts_with("in-flight") || sent.contains(*name), "{name} was never sent");
    }
}
