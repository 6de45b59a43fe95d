//! `epc send`: decoration and `--dry-run` (case 19), EventGate's answers
//! (case 20) against a loopback mock, a fault test that proves no event is lost
//! or counted twice, cc copies, curation, and the Metrics Platform conformance
//! event. Every run happens in a temporary directory with `--failed-out` in it,
//! so nothing is written into the repository or `../shared`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use assert_cmd::assert::Assert;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::{
    Epc, GateRequest, Reply, epc, error_lines, mock_api, mock_eventgate, read, require_shared, shared, stderr_text,
    stdout_ndjson, stdout_text,
};

const CASE_19: &str = "cases/19-send-dry-run-decoration";
const CASE_20: &str = "cases/20-send-eventgate-status-codes";
const CONFORMANCE: &str = "data/conformance/metrics-platform-web";
const WIDGET_SCHEMA: &str = "/analytics/widget_click/1.0.0";
const SESSION: &str = "0aac0b2976c12a600a58";
const PAGEVIEW: &str = "ba618e81066d4ea60b42";
/// A closed loopback port, as in case 19: a dry run must not care.
const DEAD_INTAKE: &str = "http://127.0.0.1:9/v1/events";

/// A temporary working directory for one test: `epc send` runs in it and
/// writes its failed-events file there.
struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    fn new() -> Self {
        Self { dir: tempfile::tempdir().expect("create a temporary directory") }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `text` to `name` in the sandbox and returns its path.
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).expect("write a sandbox file");
        path
    }

    fn failed_path(&self) -> PathBuf {
        self.path("failed.ndjson")
    }

    /// `epc send --format ndjson --failed-out <sandbox>/failed.ndjson --retry-delay 0.01 ARGS…`,
    /// run in the sandbox, with no intake URL from the environment.
    fn send(&self, args: &[&str]) -> Epc {
        let mut cmd = epc();
        cmd.env_remove("EPC_INTAKE_URL")
            .current_dir(self.dir.path())
            .args(["send", "--format", "ndjson", "--retry-delay", "0.01", "--failed-out"])
            .arg(self.failed_path())
            .args(args);
        cmd
    }

    /// The events of the failed-events file (none when it was not created).
    fn failed_events(&self) -> Vec<Value> {
        let path = self.failed_path();
        if !path.exists() {
            return Vec::new();
        }
        read(&path)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("failed-events line is not JSON ({e}): {l}")))
            .collect()
    }

    /// The names of the files in the sandbox.
    fn files(&self) -> BTreeSet<String> {
        std::fs::read_dir(self.dir.path())
            .expect("list the sandbox")
            .map(|e| e.expect("a directory entry").file_name().to_string_lossy().into_owned())
            .collect()
    }
}

fn s(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// The delivery records of NDJSON output, and the final summary.
#[track_caller]
fn records(assert: &Assert) -> (Vec<Value>, Value) {
    let mut all = stdout_ndjson(assert);
    let summary = all.pop().expect("at least the summary record");
    assert_eq!(summary["type"], "summary", "the last record is the summary: {summary}");
    for r in &all {
        assert_eq!(r["type"], "delivery", "{r}");
        let keys: BTreeSet<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, BTreeSet::from(["type", "source", "stream", "status", "message"]), "{r}");
    }
    (all, summary)
}

/// The record whose `source` is `source`.
#[track_caller]
fn record_for<'a>(records: &'a [Value], source: &str) -> &'a Value {
    let found: Vec<&Value> = records.iter().filter(|r| r["source"] == source).collect();
    assert_eq!(found.len(), 1, "one record for `{source}` in {records:?}");
    found[0]
}

/// A `YYYY-MM-DDTHH:MM:SS.sssZ` timestamp within five minutes of now.
#[track_caller]
fn assert_dt_is_now(dt: &Value) {
    let dt = dt.as_str().unwrap_or_else(|| panic!("dt is not a string: {dt}"));
    let shape = regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$").unwrap();
    assert!(shape.is_match(dt), "dt is not YYYY-MM-DDTHH:MM:SS.sssZ: {dt}");
    let when = humantime::parse_rfc3339(dt).unwrap_or_else(|e| panic!("dt {dt} does not parse: {e}"));
    let now = SystemTime::now();
    let skew = now.duration_since(when).unwrap_or_else(|e| e.duration());
    assert!(skew < Duration::from_secs(300), "dt {dt} is not now (off by {skew:?})");
}

/// The top-level keys of an event.
fn keys(event: &Value) -> BTreeSet<&str> {
    event.as_object().unwrap_or_else(|| panic!("not an object: {event}")).keys().map(String::as_str).collect()
}

/// A port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().unwrap().port()
}

// Case 19: `--dry-run` decoration.

/// Stream config with `test.widget_click` (unsampled, so always in-sample).
fn widget_stream_config(sb: &Sandbox) -> PathBuf {
    sb.write(
        "streams.json",
        r#"{"streams": {"test.widget_click": {"schema_title": "analytics/widget_click",
            "destination_event_service": "eventgate-analytics-external"}}}"#,
    )
}

/// The case's command line: `epc send --schema-repo … --stream test.widget_click
/// --schema /analytics/widget_click/1.0.0 --intake-url <closed port> --dry-run ARGS…`.
fn case_19(sb: &Sandbox, case: &Path, args: &[&str]) -> Epc {
    let config = widget_stream_config(sb);
    let mut cmd = sb.send(&["--dry-run", "--schema-repo", s(&case.join("schemas")), "--stream-config", s(&config)]);
    cmd.args(["--stream", "test.widget_click", "--schema", WIDGET_SCHEMA, "--intake-url", DEAD_INTAKE]).args(args);
    cmd
}

#[test]
fn identifier_fields_of_the_events_own_schema_are_filled_without_schema_flag() {
    let case = require_shared(CASE_19);
    let sb = Sandbox::new();
    let config = widget_stream_config(&sb);
    let event = sb.write("own.json", &json!({"$schema": WIDGET_SCHEMA, "action": "click"}).to_string());
    let a = sb
        .send(&["--dry-run", "--schema-repo", s(&case.join("schemas")), "--stream-config", s(&config)])
        .args(["--stream", "test.widget_click", "--session-id", SESSION, "--pageview-id", PAGEVIEW, s(&event)])
        .assert()
        .code(0);
    let events = stdout_ndjson(&a);
    assert_eq!(events.len(), 1, "{}", stderr_text(&a));
    assert_bare_decorated(&events[0]);
    // Fresh ids that fill a field are said, too.
    let a = sb
        .send(&["--dry-run", "--schema-repo", s(&case.join("schemas")), "--stream-config", s(&config)])
        .args(["--stream", "test.widget_click", "--session-id", SESSION, s(&event)])
        .assert()
        .code(0);
    let printed = stdout_ndjson(&a);
    let pageview = printed[0]["web_pageview_id"].as_str().unwrap();
    assert!(
        stderr_text(&a).contains(&format!("used a fresh pageview id {pageview} in the events' identifier fields")),
        "{}",
        stderr_text(&a)
    );
}

/// check_dry_run.py, in Rust: the decorated `bare.json`.
#[track_caller]
fn assert_bare_decorated(event: &Value) {
    assert_eq!(
        keys(event),
        BTreeSet::from(["$schema", "meta", "dt", "web_session_id", "web_pageview_id", "action"]),
        "exactly these fields: {event}"
    );
    assert_eq!(event["$schema"], WIDGET_SCHEMA);
    assert_eq!(event["meta"], json!({"stream": "test.widget_click"}), "no meta.dt, no meta.domain");
    assert_dt_is_now(&event["dt"]);
    assert_eq!(event["web_session_id"], SESSION);
    assert_eq!(event["web_pageview_id"], PAGEVIEW);
    assert_eq!(event["action"], "click");
    assert!(event.get("client_dt").is_none());
}

#[test]
fn case_19_bare_event_from_stdin_is_decorated_exactly() {
    let Some(case) = shared(CASE_19) else { return };
    let sb = Sandbox::new();
    let a = case_19(&sb, &case, &["--session-id", SESSION, "--pageview-id", PAGEVIEW])
        .write_stdin(read(&case.join("events/bare.json")))
        .assert()
        .code(0);
    let events = stdout_ndjson(&a);
    assert_eq!(events.len(), 1, "{}", stdout_text(&a));
    assert_bare_decorated(&events[0]);
    let stderr = stderr_text(&a);
    assert!(stderr.contains("stream test.widget_click: in-sample"), "{stderr}");
    assert!(stderr.contains("nothing sent"), "{stderr}");
    // A dry run writes no failed-events file and nothing else.
    assert_eq!(sb.files(), BTreeSet::from(["streams.json".to_owned()]));
}

#[test]
fn case_19_bare_event_without_stream_config_is_decorated_the_same() {
    let Some(case) = shared(CASE_19) else { return };
    let sb = Sandbox::new();
    let a = sb
        .send(&["--dry-run", "--no-stream-config", "--schema-repo", s(&case.join("schemas"))])
        .args(["--stream", "test.widget_click", "--schema", WIDGET_SCHEMA, "--intake-url", DEAD_INTAKE])
        .args(["--session-id", SESSION, "--pageview-id", PAGEVIEW])
        .arg(case.join("events/bare.json"))
        .assert()
        .code(0);
    let events = stdout_ndjson(&a);
    assert_eq!(events.len(), 1);
    assert_bare_decorated(&events[0]);
    assert!(sb.files().is_empty(), "{:?}", sb.files());
}

#[test]
fn case_19_own_dt_is_kept_exactly() {
    let Some(case) = shared(CASE_19) else { return };
    let sb = Sandbox::new();
    let a = case_19(&sb, &case, &["--session-id", SESSION, "--pageview-id", PAGEVIEW])
        .arg(case.join("events/with-own-dt.json"))
        .assert()
        .code(0);
    let events = stdout_ndjson(&a);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["dt"], "2021-06-01T12:00:00.000Z");
    assert_eq!(events[0]["meta"], json!({"stream": "test.widget_click"}));
    assert_eq!(events[0]["$schema"], WIDGET_SCHEMA);
}

#[test]
fn case_19_meta_domain_is_merged_not_replaced() {
    let Some(case) = shared(CASE_19) else { return };
    let sb = Sandbox::new();
    let a = case_19(&sb, &case, &["--session-id", SESSION, "--pageview-id", PAGEVIEW])
        .arg(case.join("events/with-meta-domain.json"))
        .assert()
        .code(0);
    let events = stdout_ndjson(&a);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["meta"], json!({"domain": "test.example.org", "stream": "test.widget_click"}));
    assert_dt_is_now(&events[0]["dt"]);
}

#[test]
fn case_19_conflicting_meta_stream_is_a_usage_error_naming_both_streams() {
    let Some(case) = shared(CASE_19) else { return };
    let sb = Sandbox::new();
    let a = case_19(&sb, &case, &[]).arg(case.join("events/conflicting-meta-stream.json")).assert().code(2);
    assert_eq!(stdout_text(&a), "", "nothing printed");
    let stderr = stderr_text(&a);
    let errors = error_lines(&stderr);
    assert_eq!(errors.len(), 1, "{stderr}");
    for word in ["meta.stream", "test.other_stream", "test.widget_click", "conflicting-meta-stream.json"] {
        assert!(errors[0].contains(word), "`{word}` missing: {stderr}");
    }
}

#[test]
fn case_19_conflicting_schema_is_a_usage_error_naming_both_uris() {
    let Some(case) = shared(CASE_19) else { return };
    let sb = Sandbox::new();
    let a = case_19(&sb, &case, &[]).arg(case.join("events/conflicting-schema.json")).assert().code(2);
    assert_eq!(stdout_text(&a), "", "nothing printed");
    let stderr = stderr_text(&a);
    let errors = error_lines(&stderr);
    assert_eq!(errors.len(), 1, "{stderr}");
    for word in ["$schema", "/analytics/widget_click/0.9.0", WIDGET_SCHEMA] {
        assert!(errors[0].contains(word), "`{word}` missing: {stderr}");
    }
}

#[test]
fn case_19_two_events_give_two_decorated_events_each_with_a_dt() {
    let Some(case) = shared(CASE_19) else { return };
    let sb = Sandbox::new();
    let a = case_19(&sb, &case, &["--session-id", SESSION, "--pageview-id", PAGEVIEW])
        .arg(case.join("events/two-events.jsonl"))
        .assert()
        .code(0);
    let events = stdout_ndjson(&a);
    assert_eq!(events.len(), 2, "{}", stdout_text(&a));
    let actions: Vec<&Value> = events.iter().map(|e| &e["action"]).collect();
    assert_eq!(actions, [&json!("click"), &json!("hover")], "input order");
    for e in &events {
        assert_eq!(e["meta"], json!({"stream": "test.widget_click"}));
        assert_eq!(e["$schema"], WIDGET_SCHEMA);
        assert_dt_is_now(&e["dt"]);
    }
}

#[test]
fn case_19_upper_case_session_id_fails_validation_and_the_dry_run_still_shows_the_copy() {
    let Some(case) = shared(CASE_19) else { return };
    let sb = Sandbox::new();
    let a = case_19(&sb, &case, &["--session-id", "0AAC0B2976C12A600A58", "--pageview-id", PAGEVIEW])
        .arg(case.join("events/bare.json"))
        .assert()
        .code(1);
    // Issue 9: a dry run prints every copy it built, invalid ones too, so the
    // author sees the event; stderr marks it with its errors, exit 1.
    let printed = stdout_ndjson(&a);
    assert_eq!(printed.len(), 1, "{}", stdout_text(&a));
    assert_eq!(printed[0]["web_session_id"], "0AAC0B2976C12A600A58");
    let stderr = stderr_text(&a);
    assert!(stderr.contains("(printed, would not be sent)"), "{stderr}");
    let errors = error_lines(&stderr);
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("/web_session_id"), "{stderr}");
    assert!(errors[0].contains("^[0-9a-z]{20}$"), "{stderr}");
    assert!(errors[0].contains("0AAC0B2976C12A600A58"), "{stderr}");
}

// --dry-run makes no request at all.

#[test]
fn dry_run_makes_no_request_to_the_intake() {
    let sb = Sandbox::new();
    let intake = mock_api(100, |_| Reply::status(201, ""));
    let url = intake.url.replace("/w/api.php", "/v1/events");
    let a = sb
        .send(&["--dry-run", "--no-stream-config", "--no-validate", "--stream", "test.widget_click"])
        .args(["--schema", WIDGET_SCHEMA, "--intake-url", &url])
        .write_stdin("{\"action\": \"click\"}\n{\"action\": \"hover\"}\n")
        .assert()
        .code(0);
    assert_eq!(stdout_ndjson(&a).len(), 2);
    assert_eq!(intake.finish().len(), 0, "a dry run must not POST");
    assert!(sb.files().is_empty(), "{:?}", sb.files());

    // The same through EPC_INTAKE_URL.
    let intake = mock_api(100, |_| Reply::status(201, ""));
    let url = intake.url.replace("/w/api.php", "/v1/events");
    sb.send(&["--dry-run", "--no-stream-config", "--no-validate", "--stream", "test.widget_click"])
        .env("EPC_INTAKE_URL", &url)
        .args(["--schema", WIDGET_SCHEMA, "--data", r#"{"action": "click"}"#])
        .assert()
        .code(0);
    assert_eq!(intake.finish().len(), 0);
}

#[test]
fn dry_run_does_not_fetch_stream_config_from_a_url_but_uses_the_cache() {
    let sb = Sandbox::new();
    let cache = tempfile::tempdir().unwrap();
    let config = r#"{"streams": {"test.widget_click": {"destination_event_service": "eventgate-analytics-external"}}}"#;
    let api = mock_api(100, move |_| Reply::json(config));
    let intake = mock_api(100, |_| Reply::status(201, ""));
    let intake_url = intake.url.replace("/w/api.php", "/v1/events");
    let dry_run = |sb: &Sandbox| {
        let mut cmd = sb.send(&["--dry-run", "--no-validate", "--stream", "test.widget_click"]);
        cmd.env("EPC_CACHE_DIR", cache.path())
            .args(["--schema", WIDGET_SCHEMA, "--stream-config", &api.url, "--intake-url", &intake_url])
            .args(["--data", r#"{"action": "click"}"#]);
        cmd
    };

    // Nothing cached: it fails with a hint rather than fetching.
    let a = dry_run(&sb).assert().code(2);
    assert_eq!(stdout_text(&a), "");
    let stderr = stderr_text(&a);
    assert!(stderr.contains("--dry-run makes no network request"), "{stderr}");
    assert!(stderr.contains("--no-stream-config"), "{stderr}");

    // A fetch by `epc streams` fills the cache; the dry run then reads it, still without a request.
    epc().env("EPC_CACHE_DIR", cache.path()).args(["streams", "--stream-config", &api.url]).assert().code(0);
    let a = dry_run(&sb).assert().code(0);
    let events = stdout_ndjson(&a);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["meta"]["stream"], "test.widget_click");
    assert!(stderr_text(&a).contains("using cached stream config"), "{}", stderr_text(&a));

    assert_eq!(api.finish().len(), 1, "only `epc streams` asked the API");
    assert_eq!(intake.finish().len(), 0);
}

// Case 20: EventGate's answers, from a loopback mock with EventGate's rules.

/// `epc send --schema-repo … --no-stream-config --stream test.widget_click
/// --schema /analytics/widget_click/1.0.0 --intake-url URL INPUT`.
fn case_20(sb: &Sandbox, case: &Path, url: &str, input: &str) -> Epc {
    let mut cmd = sb.send(&["--schema-repo", s(&case.join("schemas")), "--no-stream-config"]);
    cmd.args(["--stream", "test.widget_click", "--schema", WIDGET_SCHEMA, "--intake-url", url])
        .args(["--session-id", SESSION, "--pageview-id", PAGEVIEW])
        .arg(case.join("events").join(input));
    cmd
}

/// The `action`s of some events.
fn actions(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["action"].as_str().unwrap_or("?")).collect()
}

#[test]
fn case_20_201_with_an_empty_body_is_success() {
    let Some(case) = shared(CASE_20) else { return };
    let sb = Sandbox::new();
    let gate = mock_eventgate();
    let a = case_20(&sb, &case, &gate.url, "one-good.json").assert().code(0);
    let (records, summary) = records(&a);
    assert_eq!(records.len(), 1);
    let source = case.join("events/one-good.json");
    let r = record_for(&records, s(&source));
    assert_eq!((&r["stream"], &r["status"]), (&json!("test.widget_click"), &json!("accepted")));
    assert_eq!(summary["accepted"], 1);
    assert_eq!(summary["failed_events_file"], Value::Null);
    let seen = gate.finish();
    assert_eq!(seen.len(), 1);
    assert_eq!((seen[0].status, seen[0].hasty, seen[0].path.as_str()), (201, false, "/v1/events"));
    // The server got the decorated event.
    let e = &seen[0].events[0];
    assert_eq!(e["$schema"], WIDGET_SCHEMA);
    assert_eq!(e["meta"], json!({"stream": "test.widget_click"}));
    assert_eq!(e["web_session_id"], SESSION);
    assert_dt_is_now(&e["dt"]);
    assert!(!sb.failed_path().exists(), "nothing failed, no file");
    let stderr = stderr_text(&a);
    assert!(error_lines(&stderr).is_empty() && !stderr.contains("unexpected"), "{stderr}");
}

#[test]
fn case_20_207_reports_the_rejected_event_by_position_with_the_server_message() {
    let Some(case) = shared(CASE_20) else { return };
    let sb = Sandbox::new();
    let gate = mock_eventgate();
    let a = case_20(&sb, &case, &gate.url, "mixed-one-rejected.jsonl").assert().code(1);
    let (records, summary) = records(&a);
    let source = case.join("events/mixed-one-rejected.jsonl");
    let source = s(&source);
    assert_eq!(records.len(), 2);
    assert_eq!(record_for(&records, &format!("{source}:1"))["status"], "accepted");
    let rejected = record_for(&records, &format!("{source}:2"));
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["message"], "'.action' should be equal to one of the allowed values");
    assert_eq!((summary["accepted"].as_u64(), summary["rejected"].as_u64()), (Some(1), Some(1)));
    assert_eq!(summary["failed_events_file"], s(&sb.failed_path()));
    let stderr = stderr_text(&a);
    assert!(
        stderr.contains(&format!("{source}:2")) && stderr.contains("'.action' should be equal to one of the allowed"),
        "{stderr}"
    );
    assert!(stderr.contains(s(&sb.failed_path())), "the failed-events path is printed: {stderr}");
    // Only the rejected event is in the failed-events file, decorated as sent.
    let failed = sb.failed_events();
    assert_eq!(actions(&failed), ["tap"]);
    let seen = gate.finish();
    assert_eq!(seen.len(), 1, "one POST per batch");
    assert_eq!(seen[0].status, 207);
    assert_eq!(failed[0], seen[0].events[1]);
    assert_eq!(actions(&seen[0].accepted), ["click"]);
}

#[test]
fn case_20_400_lists_every_rejected_event() {
    let Some(case) = shared(CASE_20) else { return };
    let sb = Sandbox::new();
    let gate = mock_eventgate();
    let a = case_20(&sb, &case, &gate.url, "all-rejected.jsonl").assert().code(1);
    let (records, summary) = records(&a);
    let source = case.join("events/all-rejected.jsonl");
    for line in [1, 2] {
        let r = record_for(&records, &format!("{}:{line}", s(&source)));
        assert_eq!(r["status"], "rejected", "{r}");
        assert_eq!(r["message"], "'.action' should be equal to one of the allowed values", "{r}");
    }
    assert_eq!((summary["accepted"].as_u64(), summary["rejected"].as_u64()), (Some(0), Some(2)));
    // One stderr line for the two events of the batch rejected alike (stdout has a record each).
    let stderr = stderr_text(&a);
    let errors = error_lines(&stderr);
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains(&format!("2 events from {}:1 on → test.widget_click: rejected:", s(&source))),
        "{errors:?}"
    );
    assert_eq!(actions(&sb.failed_events()), ["tap", "swipe"]);
    let seen = gate.finish();
    assert_eq!(seen.iter().map(|r| r.status).collect::<Vec<_>>(), [400], "a 400 is not retried");
}

#[test]
fn case_20_207_with_a_produce_error_is_a_server_error_for_that_event() {
    let Some(case) = shared(CASE_20) else { return };
    let sb = Sandbox::new();
    let gate = mock_eventgate();
    let a = case_20(&sb, &case, &gate.url, "one-produce-error.jsonl").assert().code(2);
    let (records, summary) = records(&a);
    let source = case.join("events/one-produce-error.jsonl");
    let source = s(&source);
    assert_eq!(record_for(&records, &format!("{source}:1"))["status"], "accepted");
    let failed = record_for(&records, &format!("{source}:2"));
    assert_eq!(failed["status"], "error", "a server error, not a schema problem: {failed}");
    assert_eq!(failed["message"], "Local: Message timed out (simulated produce failure)");
    assert_eq!((summary["errors"].as_u64(), summary["rejected"].as_u64()), (Some(1), Some(0)));
    let stderr = stderr_text(&a);
    let errors = error_lines(&stderr);
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains(&format!("{source}:2")) && errors[0].contains("simulated produce failure"), "{stderr}");
    assert_eq!(actions(&sb.failed_events()), ["explode"]);
    let seen = gate.finish();
    assert_eq!(seen.iter().map(|r| r.status).collect::<Vec<_>>(), [207], "part was accepted: no retry");
}

#[test]
fn case_20_500_is_retried_then_a_server_error_with_the_body() {
    let Some(case) = shared(CASE_20) else { return };
    let sb = Sandbox::new();
    let gate = mock_eventgate();
    let a = case_20(&sb, &case, &gate.url, "only-produce-error.json").args(["--retries", "2"]).assert().code(2);
    let (records, summary) = records(&a);
    let source = case.join("events/only-produce-error.json");
    let r = record_for(&records, s(&source));
    assert_eq!(r["status"], "error", "{r}");
    assert_eq!(r["message"], "Local: Message timed out (simulated produce failure)");
    assert_eq!(summary["errors"], 1);
    let stderr = stderr_text(&a);
    assert!(stderr.contains("took 3 attempts"), "{stderr}");
    let seen = gate.finish();
    assert_eq!(seen.iter().map(|r| r.status).collect::<Vec<_>>(), [500, 500, 500], "1 + 2 retries");
    assert_eq!(actions(&sb.failed_events()), ["explode"], "written once, not once per attempt");
}

#[test]
fn case_20_hasty_202_is_accepted_without_validation() {
    let Some(case) = shared(CASE_20) else { return };
    let valid = regex::Regex::new(r"\bvalid\b").unwrap();
    for hasty in ["url", "flag"] {
        let sb = Sandbox::new();
        let gate = mock_eventgate();
        let url = if hasty == "url" { format!("{}?hasty=true", gate.url) } else { gate.url.clone() };
        let mut cmd = case_20(&sb, &case, &url, "mixed-one-rejected.jsonl");
        if hasty == "flag" {
            cmd.arg("--hasty");
        }
        let a = cmd.assert().code(0);
        let (records, summary) = records(&a);
        assert_eq!(records.len(), 2);
        for r in &records {
            assert_eq!(r["status"], "accepted_without_validation", "{r}");
        }
        assert_eq!((summary["accepted"].as_u64(), summary["accepted_without_validation"].as_u64()), (Some(0), Some(2)));
        let stderr = stderr_text(&a);
        assert!(stderr.contains("without validation"), "{stderr}");
        assert!(!valid.is_match(&stderr), "a 202 must not be called valid: {stderr}");
        let seen = gate.finish();
        assert_eq!(seen.len(), 1);
        assert_eq!((seen[0].status, seen[0].hasty), (202, true));
        assert!(!sb.failed_path().exists());
    }
}

#[test]
fn case_20_unreachable_intake_is_a_transport_error_naming_the_url() {
    let Some(case) = shared(CASE_20) else { return };
    let sb = Sandbox::new();
    let url = format!("http://127.0.0.1:{}/v1/events", closed_port());
    let a = case_20(&sb, &case, &url, "one-good.json").args(["--retries", "1"]).assert().code(2);
    let (records, summary) = records(&a);
    let source = case.join("events/one-good.json");
    let r = record_for(&records, s(&source));
    assert_eq!(r["status"], "unsent", "{r}");
    assert!(r["message"].as_str().unwrap().contains(&url), "{r}");
    assert_eq!((summary["unsent"].as_u64(), summary["invalid"].as_u64()), (Some(1), Some(0)));
    assert_eq!((summary["rejected"].as_u64(), summary["accepted"].as_u64()), (Some(0), Some(0)));
    let stderr = stderr_text(&a);
    let errors = error_lines(&stderr);
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains(&url) && !errors[0].contains("invalid"), "{stderr}");
    assert_eq!(actions(&sb.failed_events()), ["click"]);
}

// Fault test: every event ends up accepted or in the failed-events file, never both, never neither.

/// A raw-socket intake that reads each request whole and then, by request
/// number: 0 mod 3 closes the connection without answering, 1 mod 3 answers
/// 503, 2 mod 3 answers 207 rejecting the batch's first event (400 when that
/// is the whole batch), as EventGate would, echoing it with `meta.dt` and `meta.id`.
struct FaultIntake {
    url: String,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<FaultLog>>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default, Clone)]
struct FaultLog {
    /// What each request got: `drop`, `503`, `207`, `400`.
    answers: Vec<&'static str>,
    /// The events the server took, in order.
    accepted: Vec<Value>,
}

impl FaultIntake {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}/v1/events", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(FaultLog::default()));
        let (thread_stop, thread_log) = (Arc::clone(&stop), Arc::clone(&log));
        let thread = std::thread::spawn(move || {
            let started = std::time::Instant::now();
            while !thread_stop.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(60) {
                match listener.accept() {
                    Ok((stream, _)) => Self::serve(stream, &thread_log),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    Err(e) => panic!("accept failed: {e}"),
                }
            }
        });
        Self { url, stop, log, thread: Some(thread) }
    }

    /// Reads one request (head and `Content-Length` body) and answers it.
    fn serve(mut stream: TcpStream, log: &Mutex<FaultLog>) {
        stream.set_nonblocking(false).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map_or(0, |v| v.trim().parse().expect("a Content-Length"));
        while buf.len() < head_end + length {
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let events: Vec<Value> = serde_json::from_slice(&buf[head_end..head_end + length]).expect("a JSON array");
        let mut log = log.lock().unwrap();
        let (status, body) = match log.answers.len() % 3 {
            0 => {
                log.answers.push("drop");
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
            1 => {
                log.answers.push("503");
                ("503 Service Unavailable", "upstream connect error".to_owned())
            }
            _ => {
                let mut echo = events[0].clone();
                echo["meta"]["dt"] = json!("2026-01-02T03:04:05.678Z");
                echo["meta"]["id"] = json!("00000000-0000-4000-8000-000000000000");
                // eventgate-wikimedia enriches events from HTTP headers before validating them.
                echo["http"] = json!({"request_headers": {"user-agent": "epc-test"}});
                let invalid = json!([{"status": "invalid", "event": echo, "context": {
                    "message": "Event failed validation", "errorsText": "'.n' rejected by the fault intake"}}]);
                log.accepted.extend(events[1..].iter().cloned());
                if events.len() == 1 {
                    log.answers.push("400");
                    ("400 Bad Request", json!({"invalid": invalid}).to_string())
                } else {
                    log.answers.push("207");
                    ("207 Multi-Status", json!({"invalid": invalid, "error": []}).to_string())
                }
            }
        };
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(response.as_bytes());
        let _ = stream.shutdown(Shutdown::Both);
    }

    fn finish(mut self) -> FaultLog {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().expect("the fault intake thread panicked");
        }
        self.log.lock().unwrap().clone()
    }
}

/// The `n` of each event.
fn numbers(events: &[Value]) -> Vec<u64> {
    events.iter().map(|e| e["n"].as_u64().unwrap_or_else(|| panic!("no n in {e}"))).collect()
}

#[test]
fn faults_lose_no_event_and_count_none_twice() {
    const N: u64 = 11;
    let input: String = (1..=N).map(|n| format!("{{\"action\": \"click\", \"n\": {n}}}\n")).collect();
    // retries 3: every batch reaches its 207; retries 1: batches alternate between running
    // out of retries (drop, 503) and a 207.
    for (retries, code, accepted_count) in [("3", 1, N - 4), ("1", 2, 3)] {
        let sb = Sandbox::new();
        let events = sb.write("events.ndjson", &input);
        let intake = FaultIntake::start();
        let a = sb
            .send(&["--no-stream-config", "--no-validate", "--stream", "test.widget_click"])
            .args(["--schema", WIDGET_SCHEMA, "--intake-url", &intake.url, "--batch-size", "3"])
            .args(["--retries", retries, "--timeout", "10"])
            .arg(&events)
            .assert()
            .code(code);
        let log = intake.finish();
        let accepted = numbers(&log.accepted);
        let failed = numbers(&sb.failed_events());
        let accepted_set: BTreeSet<u64> = accepted.iter().copied().collect();
        let failed_set: BTreeSet<u64> = failed.iter().copied().collect();
        assert_eq!(accepted.len(), accepted_set.len(), "accepted twice: {accepted:?}");
        assert_eq!(failed.len(), failed_set.len(), "failed twice: {failed:?}");
        assert!(accepted_set.is_disjoint(&failed_set), "both accepted and failed: {accepted:?} {failed:?}");
        let all: BTreeSet<u64> = accepted_set.union(&failed_set).copied().collect();
        assert_eq!(all, (1..=N).collect(), "lost: accepted {accepted:?}, failed {failed:?}");
        assert_eq!(accepted.len() as u64, accepted_count, "retries {retries}: {:?}", log.answers);

        // epc's own account agrees with the server's, event by event.
        let (records, summary) = records(&a);
        assert_eq!(records.len() as u64, N);
        let mut by_status: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
        for r in &records {
            let line: u64 = r["source"].as_str().unwrap().rsplit(':').next().unwrap().parse().unwrap();
            by_status.entry(r["status"].as_str().unwrap().to_owned()).or_default().insert(line);
        }
        assert_eq!(by_status.remove("accepted").unwrap_or_default(), accepted_set, "{records:?}");
        let not_accepted: BTreeSet<u64> = by_status.values().flatten().copied().collect();
        assert_eq!(not_accepted, failed_set);
        assert_eq!(summary["failed_events_file"], s(&sb.failed_path()));
        if retries == "3" {
            assert_eq!(log.answers, ["drop", "503", "207"].repeat(4));
        } else {
            assert_eq!(log.answers, ["drop", "503", "207", "drop", "503", "207"]);
            assert!(by_status.contains_key("unsent") && by_status.contains_key("rejected"), "{by_status:?}");
        }
    }
}

// cc: copies for each in-sample stream, exactly once.

#[test]
fn cc_copies_go_to_every_in_sample_descendant_exactly_once() {
    let sb = Sandbox::new();
    let config = sb.write(
        "streams.json",
        r#"{"streams": {
            "a": {"sample": {"unit": "session", "rate": 1}},
            "a.b": {},
            "a.b.c": {"sample": {"unit": "session", "rate": 1}},
            "a.x": {},
            "a.out": {"sample": {"unit": "session", "rate": 0}},
            "ab": {}
        }}"#,
    );
    for (ignore_sampling, expected) in
        [(false, vec!["a", "a.b", "a.b.c", "a.x"]), (true, vec!["a", "a.b", "a.b.c", "a.out", "a.x"])]
    {
        let gate = mock_eventgate();
        let mut cmd = sb.send(&["--no-validate", "--stream-config", s(&config), "--stream", "a"]);
        cmd.args(["--schema", WIDGET_SCHEMA, "--intake-url", &gate.url, "--session-id", SESSION])
            .args(["--data", r#"{"action": "click"}"#]);
        if ignore_sampling {
            cmd.arg("--ignore-sampling");
        }
        let a = cmd.assert().code(0);
        let stderr = stderr_text(&a);
        let verdict = if ignore_sampling { "out-of-sample, sent anyway" } else { "out-of-sample, not sent" };
        assert!(stderr.contains(&format!("stream a.out: {verdict}")), "{stderr}");
        let seen = gate.finish();
        let received: Vec<Value> = seen.iter().flat_map(|r| r.events.clone()).collect();
        let mut streams: Vec<&str> = received.iter().map(|e| e["meta"]["stream"].as_str().unwrap()).collect();
        streams.sort_unstable();
        assert_eq!(streams, expected, "each in-sample stream exactly once");
        // Every copy is the same event but for meta.stream: one dt for all.
        let strip = |e: &Value| {
            let mut e = e.clone();
            e["meta"].as_object_mut().unwrap().remove("stream");
            e
        };
        for e in &received {
            assert_eq!(strip(e), strip(&received[0]), "{received:?}");
        }
        assert_dt_is_now(&received[0]["dt"]);
        let (records, summary) = records(&a);
        assert_eq!(records.len(), expected.len());
        assert_eq!(summary["accepted"], expected.len());
    }

    // --no-cc: the stream only.
    let gate = mock_eventgate();
    sb.send(&["--no-validate", "--stream-config", s(&config), "--stream", "a", "--no-cc"])
        .args(["--schema", WIDGET_SCHEMA, "--intake-url", &gate.url, "--data", r#"{"action": "click"}"#])
        .assert()
        .code(0);
    let seen = gate.finish();
    let streams: Vec<&Value> = seen.iter().flat_map(|r| r.events.iter().map(|e| &e["meta"]["stream"])).collect();
    assert_eq!(streams, [&json!("a")]);
}

#[test]
fn cc_dry_run_prints_one_line_per_copy() {
    let sb = Sandbox::new();
    let config = sb.write("streams.json", r#"{"streams": {"a": {}, "a.b": {}, "a.b.c": {}, "a.x": {}}}"#);
    let a = sb
        .send(&["--dry-run", "--no-validate", "--stream-config", s(&config), "--stream", "a"])
        .args(["--schema", WIDGET_SCHEMA, "--intake-url", DEAD_INTAKE, "--data", r#"{"action": "click"}"#])
        .assert()
        .code(0);
    let events = stdout_ndjson(&a);
    let streams: BTreeSet<&str> = events.iter().map(|e| e["meta"]["stream"].as_str().unwrap()).collect();
    assert_eq!(events.len(), 4);
    assert_eq!(streams, BTreeSet::from(["a", "a.b", "a.b.c", "a.x"]));
}

// Metrics Platform conformance (spec §8.1).

#[test]
fn conformance_metrics_platform_web_interaction_matches_expected_event() {
    let dir = require_shared(CONFORMANCE);
    let sb = Sandbox::new();
    let a = sb
        .send(&["--dry-run", "--stream-config", s(&dir.join("stream_configs.json")), "--stream", "test.consistency"])
        .args(["--schema", "/analytics/product_metrics/web/base/1.5.0", "--action", "test_consistency_event"])
        .args(["--interaction-data", r#"{"test":"consistency"}"#, "--no-validate"])
        .arg("--context")
        .arg(dir.join("integration_data.json"))
        .assert()
        .code(0);
    let events = stdout_ndjson(&a);
    assert_eq!(events.len(), 1, "{}", stdout_text(&a));
    let mut event = events[0].clone();
    assert_dt_is_now(&event["dt"]);
    // MP-JS copies the sample block, and JSON.stringify writes 1.0 as 1.
    assert_eq!(event["sample"], json!({"rate": 1, "unit": "session"}));
    assert!(stdout_text(&a).contains(r#""sample":{"rate":1,"unit":"session"}"#), "{}", stdout_text(&a));
    for field in ["dt", "sample", "http"] {
        event.as_object_mut().unwrap().shift_remove(field);
    }
    let expected: Value = serde_json::from_str(&read(&dir.join("expected_event.json"))).unwrap();
    assert_eq!(event, expected);
}

/// Arrays sorted by their JSON text, recursively (the apps suite ignores list order).
fn without_order(v: &Value) -> Value {
    match v {
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(without_order).collect();
            items.sort_by_key(Value::to_string);
            Value::Array(items)
        }
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), without_order(v))).collect()),
        other => other.clone(),
    }
}

#[test]
fn conformance_metrics_platform_apps_event_matches_expected_event() {
    // spec §8.2: MP-Java `submitMetricsEvent`, compared after removing `dt`,
    // `sample` and `performer.registration_dt`, ignoring key and list order.
    let dir = require_shared("data/conformance/metrics-platform-apps");
    let sb = Sandbox::new();
    let a = sb
        .send(&["--dry-run", "--client", "app", "--stream-config", s(&dir.join("stream_configs_apps.json"))])
        .args(["--stream", "test.consistency", "--action", "test_consistency_event"])
        .args(["--interaction-data", r#"{"test":"consistency"}"#, "--no-validate"])
        .arg("--context")
        .arg(dir.join("integration_data_apps.json"))
        .assert()
        .code(0);
    let events = stdout_ndjson(&a);
    assert_eq!(events.len(), 1, "{}", stdout_text(&a));
    let mut event = events[0].clone();
    // MP-Java's `dt` has no fraction: yyyy-MM-dd'T'HH:mm:ss'Z'.
    let dt = event["dt"].as_str().unwrap().to_owned();
    assert!(dt.len() == 20 && dt.ends_with('Z'), "{dt}");
    assert_eq!(event["$schema"], "/analytics/product_metrics/app/base/1.2.2", "--schema defaults to the apps base");
    assert!(event.get("action").is_none(), "the event name is not serialized: {event}");
    for field in ["dt", "sample"] {
        event.as_object_mut().unwrap().shift_remove(field);
    }
    if let Some(performer) = event["performer"].as_object_mut() {
        performer.shift_remove("registration_dt");
    }
    let expected: Value = serde_json::from_str(&read(&dir.join("expected_event_apps.json"))).unwrap();
    assert_eq!(without_order(&event), without_order(&expected));
}

// Client profiles (issue 15): `send --profile` decides as `sample --profile` does.

#[test]
fn send_and_sample_under_mp_js_decide_alike_on_the_grid() {
    let sb = Sandbox::new();
    let ids = [
        "00000000000000000000",
        "33333333333333333333",
        "33333334000000000000",
        "7fffffffffffffffffff",
        "80000000000000000000",
        "fffffffeffffffffffff",
        "ffffffffffffffffffff",
        "0aac0b2976c12a600a58",
    ];
    let ids_file = sb.write("ids.txt", &ids.join("\n"));
    let samples = [
        json!({"unit": "session", "rate": 0.2}),
        json!({"unit": "session", "rate": 1}),
        json!({"unit": "session", "rate": 0}),
        json!({"unit": "pageview", "rate": 0.5}),
        json!({"unit": "session", "rate": "0x1"}),
        json!({"unit": "session", "rate": [0.5]}),
        json!(false),
        json!(0),
        json!(""),
        json!({"unit": "device", "rate": 0.5}),
    ];
    for (n, sample) in samples.iter().enumerate() {
        let config = sb.write(
            &format!("streams-{n}.json"),
            &json!({"streams": {"test.grid": {"sample": sample}, "test.grid.child": {}}}).to_string(),
        );
        let a = epc()
            .args(["sample", "--profile", "mp-js", "--format", "ndjson", "--no-cc", "--stream-config", s(&config)])
            .args(["--stream", "test.grid", "--ids", s(&ids_file)])
            .assert();
        let decisions: Vec<bool> = stdout_ndjson(&a)
            .iter()
            .filter(|r| r["type"] == "decision")
            .map(|r| r["in_sample"].as_bool().unwrap())
            .collect();
        assert_eq!(decisions.len(), ids.len(), "{sample}: {}", stdout_text(&a));
        for (id, in_sample) in ids.iter().zip(decisions) {
            let a = sb
                .send(&["--dry-run", "--no-validate", "--profile", "mp-js", "--stream-config", s(&config)])
                .args(["--stream", "test.grid", "--session-id", id, "--pageview-id", id, "--schema", WIDGET_SCHEMA])
                .args(["--data", "{}"])
                .assert();
            let sent = stdout_ndjson(&a);
            assert_eq!(!sent.is_empty(), in_sample, "{sample} {id}: {}", stderr_text(&a));
            // MP-JS never cc's.
            assert!(sent.iter().all(|e| e["meta"]["stream"] == "test.grid"), "{sent:?}");
        }
    }
}

#[test]
fn mp_js_profile_follows_mp_js_for_dt_meta_redirect_curation_and_empty_actions() {
    // MPL js/src/MetricsClient.js at 351eaee: processSubmitCall, addRequiredMetadata, submitInteraction.
    let sb = Sandbox::new();
    let config = sb.write(
        "streams.json",
        &json!({"streams": {
            "test.mp": {"producers": {"metrics_platform_client": {"curation": {"page_id": {"equals": 1}}, "provide_values": ["page_id"]}}},
            "test.mp.child": {},
            "test.redirect": {"producers": {"metrics_platform_client": {"stream_name": "test.target"}}},
            "test.target": {},
            "test.redirect_nowhere": {"producers": {"metrics_platform_client": {"stream_name": "test.nowhere"}}},
            "test.ids": {"producers": {"metrics_platform_client": {"provide_values": ["performer_session_id", "performer_pageview_id"]}}}
        }})
        .to_string(),
    );
    let context = sb.write(
        "context.json",
        &json!({"hostname": "en.wikipedia.org", "page": {"id": 2},
                "agent": {"client_platform": "mediawiki_js", "client_platform_family": "desktop_browser"}})
        .to_string(),
    );
    let run = |stream: &str, action: &str, data: &str| {
        sb.send(&["--dry-run", "--no-validate", "--stream-config", s(&config), "--context", s(&context)])
            .args(["--stream", stream, "--schema", WIDGET_SCHEMA, "--action", action, "--interaction-data", data])
            .assert()
    };
    // dt is the call time, meta.stream/domain the client's, no curation, no cc copy.
    let a = run(
        "test.mp",
        "click",
        r#"{"dt": "2001-02-03T04:05:06.789Z", "meta": {"stream": "other", "id": "abc"}, "n": 1.0}"#,
    )
    .code(0);
    let events = stdout_ndjson(&a);
    assert_eq!(events.len(), 1, "no cc copy: {events:?}");
    let e = &events[0];
    assert_ne!(e["dt"], "2001-02-03T04:05:06.789Z");
    assert_dt_is_now(&e["dt"]);
    assert_eq!(e["meta"], json!({"stream": "test.mp", "id": "abc", "domain": "en.wikipedia.org"}));
    assert_eq!(e["page"]["id"], 2, "sent although it fails page_id equals 1: no curation in submitInteraction");
    assert!(stdout_text(&a).contains(r#""n":1,"#), "JSON.stringify writes 1.0 as 1: {}", stdout_text(&a));
    // The redirect, and the silent drop when its target is not configured.
    let a = run("test.redirect", "click", "{}").code(0);
    assert_eq!(stdout_ndjson(&a)[0]["meta"]["stream"], "test.target");
    let a = run("test.redirect_nowhere", "click", "{}").code(1);
    assert_eq!(stdout_text(&a), "");
    assert!(stderr_text(&a).contains("which is not configured: MP-JS drops the event"), "{}", stderr_text(&a));
    // An empty action: a warning and no event.
    let a = run("test.mp", "", "{}").code(1);
    assert_eq!(stdout_text(&a), "");
    assert!(
        stderr_text(&a).contains(r#"called without required field "action": MP-JS produces no event"#),
        "{}",
        stderr_text(&a)
    );
    // Identifiers come from the context as it is: none there, none in the event (MP-JS
    // ContextController copies only what the integration has), and no fresh one announced.
    let a = run("test.ids", "click", "{}").code(0);
    assert!(stdout_ndjson(&a)[0].get("performer").is_none(), "{}", stdout_text(&a));
    assert!(!stderr_text(&a).contains("fresh session id"), "{}", stderr_text(&a));
    // Interaction data that is an array adds nothing (Object.assign).
    let a = run("test.mp", "click", "[]").code(0);
    assert_eq!(stdout_ndjson(&a)[0]["action"], "click");
}

// Stream config mistakes (cases 22, 23) and production traffic.

#[test]
fn case_23_a_misspelled_destination_service_exits_2_and_keeps_every_event() {
    let case = require_shared("cases/23-stream-config-destination-service-typo");
    let sb = Sandbox::new();
    let a = sb
        .send(&["--no-validate", "--stream-config", s(&case.join("stream-config.json"))])
        .args(["--stream", "eventgate-analytics-external.test.event", "--session-id", SESSION])
        .arg(case.join("event.json"))
        .assert()
        .code(2);
    let stderr = stderr_text(&a);
    assert!(
        stderr.contains(
            "error: stream `eventgate-analytics-external.test.event` names `eventgate-analyics-external`, which is not a \
             known event service (did you mean `eventgate-analytics-external`?); every event goes to the failed-events file"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("internal intake"), "unknown, not internal: {stderr}");
    let failed = sb.failed_events();
    assert_eq!(failed.len(), 1, "{stderr}");
    assert_eq!(failed[0]["test"], "hello");
    let (records, summary) = records(&a);
    assert_eq!(records[0]["status"], "unsent");
    assert_eq!(summary["unsent"], 1);
    // The dry run prints the copy and warns.
    let a = sb
        .send(&["--dry-run", "--no-validate", "--stream-config", s(&case.join("stream-config.json"))])
        .args(["--stream", "eventgate-analytics-external.test.event"])
        .arg(case.join("event.json"))
        .assert()
        .code(0);
    assert_eq!(stdout_ndjson(&a).len(), 1);
    let stderr = stderr_text(&a);
    assert!(
        stderr.contains("warning: stream `eventgate-analytics-external.test.event`: `destination_event_service` is `eventgate-analyics-external`, not a known event service; did you mean `eventgate-analytics-external`?"),
        "{stderr}"
    );
}

#[test]
fn case_22_provide_values_outside_producers_are_ignored_as_mp_js_does_with_a_warning() {
    let case = require_shared("cases/22-stream-config-misplaced-producer-block");
    let sb = Sandbox::new();
    let a = sb
        .send(&["--dry-run", "--no-validate", "--stream-config", s(&case.join("stream-config.json"))])
        .args(["--stream", "mediawiki.product_metrics.widget_toggle", "--action", "click"])
        .args(["--schema", "/analytics/product_metrics/web/base/1.3.0", "--context"])
        .arg(case.join("context.json"))
        .assert()
        .code(0);
    let events = stdout_ndjson(&a);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert!(e.get("page").is_none() && e.get("performer").is_none(), "provide_values are not read: {e}");
    let agent: Vec<&String> = e["agent"].as_object().unwrap().keys().collect();
    assert_eq!(agent, ["client_platform", "client_platform_family"]);
    let stderr = stderr_text(&a);
    assert!(
        stderr.contains("warning: stream `mediawiki.product_metrics.widget_toggle`: `metrics_platform_client`"),
        "{stderr}"
    );
    assert!(stderr.contains("`producers.metrics_platform_client`"), "{stderr}");
}

#[test]
fn a_public_production_intake_needs_production_and_nothing_is_sent_without_it() {
    let sb = Sandbox::new();
    let config = sb.write(
        "streams.json",
        r#"{"streams": {"test.public": {"destination_event_service": "eventgate-analytics-external"}}}"#,
    );
    let a = sb
        .send(&["--no-validate", "--stream-config", s(&config), "--stream", "test.public"])
        .args(["--schema", WIDGET_SCHEMA, "--data", r#"{"action": "click"}"#])
        .assert()
        .code(2);
    let stderr = stderr_text(&a);
    assert_eq!(
        error_lines(&stderr),
        ["error: stream `test.public` goes to `eventgate-analytics-external`, the public production intake \
          https://intake-analytics.wikimedia.org/v1/events; nothing was sent"],
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: pass --intake-url URL (for example a local `epc serve`), or --production"),
        "{stderr}"
    );
    assert_eq!(stdout_text(&a), "");
    assert!(!sb.failed_path().exists(), "nothing was read, nothing lost");
}

// Curation (spec §7.4).

#[test]
fn curation_failure_is_not_sent_unless_ignored() {
    let sb = Sandbox::new();
    let config = sb.write(
        "streams.json",
        r#"{"streams": {"test.curated": {"producers": {"metrics_platform_client": {
            "events": ["click"],
            "provide_values": ["page_id", "performer_is_logged_in"],
            "curation": {"page_id": {"less_than": 500}, "performer_is_logged_in": {"equals": true}}}}}}}"#,
    );
    let context = |page_id: u32| {
        let path = sb.path(&format!("context-{page_id}.json"));
        std::fs::write(
            &path,
            json!({"hostname": "en.wikipedia.org", "page": {"id": page_id}, "performer": {"is_logged_in": true},
                   "agent": {"client_platform": "mediawiki_js", "client_platform_family": "desktop_browser"}})
            .to_string(),
        )
        .unwrap();
        path
    };
    let (fails, passes) = (context(1000), context(42));
    let send = |ctx: &Path, url: &str, extra: &[&str]| {
        // epc's canonical profile curates at submit time; MP-JS's submitInteraction does not.
        let mut cmd = sb.send(&["--no-validate", "--stream-config", s(&config), "--stream", "test.curated"]);
        cmd.args(["--profile", "canonical"]);
        cmd.args(["--schema", "/analytics/product_metrics/web/base/1.5.0", "--action", "click"])
            .args(["--context", s(ctx), "--intake-url", url])
            .args(extra);
        cmd
    };

    // Fails page_id < 500: not sent, reported, kept in the failed-events file.
    let gate = mock_eventgate();
    let a = send(&fails, &gate.url, &[]).assert().code(1);
    let (records, summary) = records(&a);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["status"], "curation_failed");
    let message = records[0]["message"].as_str().unwrap();
    assert!(message.contains("page_id") && message.contains("less_than"), "{message}");
    assert!(!message.contains("performer_is_logged_in"), "only the failing rule: {message}");
    assert_eq!(summary["curation_failed"], 1);
    assert!(stderr_text(&a).contains("--ignore-curation"), "{}", stderr_text(&a));
    assert_eq!(gate.finish().len(), 0, "nothing sent");
    let failed = sb.failed_events();
    assert_eq!(failed.len(), 1);
    assert_eq!((&failed[0]["action"], &failed[0]["page"]["id"]), (&json!("click"), &json!(1000)));
    std::fs::remove_file(sb.failed_path()).unwrap();

    // --ignore-curation sends it.
    let gate = mock_eventgate();
    let a = send(&fails, &gate.url, &["--ignore-curation"]).assert().code(0);
    assert_eq!(self::records(&a).0[0]["status"], "accepted");
    let seen = gate.finish();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].events[0]["page"], json!({"id": 1000}));
    assert_eq!(seen[0].events[0]["meta"], json!({"stream": "test.curated", "domain": "en.wikipedia.org"}));

    // An event that passes is sent without the flag.
    let gate = mock_eventgate();
    send(&passes, &gate.url, &[]).assert().code(0);
    let seen: Vec<GateRequest> = gate.finish();
    assert_eq!(seen.iter().map(|r| r.events.len()).sum::<usize>(), 1);
    assert!(!sb.failed_path().exists());

    // A dry run says so too, and prints nothing.
    let a = send(&fails, DEAD_INTAKE, &["--dry-run"]).assert().code(1);
    assert_eq!(stdout_text(&a), "");
    assert!(stderr_text(&a).contains("curation"), "{}", stderr_text(&a));
}

/// A real analytics event that decoration and the intake's fills leave as it
/// is: a canonical line goes out byte for byte as read (no tree built), a line
/// written otherwise (spaces, `\/`) goes out as epc writes the parsed event,
/// and an invalid one is still reported and not sent.
#[test]
fn lines_left_as_they_are_go_out_byte_for_byte_and_the_others_as_before() {
    let (Some(secondary), Some(primary)) = (shared("data/schemas/secondary"), shared("data/schemas/primary")) else {
        return;
    };
    let canonical = "{\"$schema\":\"/analytics/product_metrics/web/base/1.3.0\",\"action\":\"impression\",\"action_context\":\"{\\\"query_length\\\": 1, \\\"results\\\": 5}\",\"action_source\":\"main_menu\",\"action_subtype\":\"expand\",\"agent\":{\"client_platform\":\"mediawiki_js\",\"client_platform_family\":\"desktop_browser\",\"release_status\":\"prod\"},\"dt\":\"2025-03-01T00:00:00.025Z\",\"element_id\":\"searchform\",\"instrument_name\":\"SearchInteraction\",\"mediawiki\":{\"database\":\"commonswiki\",\"site_content_language\":\"en\",\"skin\":\"vector\",\"version\":\"1.44.0-wmf.20\"},\"meta\":{\"domain\":\"commons.wikimedia.org\",\"dt\":\"2025-03-01T00:00:00.911Z\",\"id\":\"c17af08a-1745-46d8-be57-0ddf827050a8\",\"stream\":\"product_metrics.web_base\",\"uri\":\"https://commons.wikimedia.org/wiki/Special:Search\"},\"page\":{\"title\":\"Special:Search\",\"content_language\":\"en\",\"id\":6323853,\"is_redirect\":false,\"namespace_id\":0,\"namespace_name\":\"\",\"revision_id\":816314860},\"performer\":{\"edit_count\":0,\"edit_count_bucket\":\"0 edits\",\"groups\":[\"*\"],\"id\":0,\"is_bot\":false,\"is_logged_in\":false,\"is_temp\":false,\"language\":\"en\",\"name\":\"\",\"pageview_id\":\"tnanmdh4ayfatohzek3e\",\"session_id\":\"2kph4dkdvpt9g8fzygrp\"},\"sample\":{\"rate\":0.5,\"unit\":\"pageview\"}}";
    let spaced = "{ \"$schema\": \"/analytics/product_metrics/web/base/1.3.0\",\"action\":\"impression\",\"action_context\":\"{\\\"query_length\\\": 1, \\\"results\\\": 5}\",\"action_source\":\"main_menu\",\"action_subtype\":\"expand\",\"agent\":{\"client_platform\":\"mediawiki_js\",\"client_platform_family\":\"desktop_browser\",\"release_status\":\"prod\"},\"dt\":\"2025-03-01T00:00:00.025Z\",\"element_id\":\"searchform\",\"instrument_name\":\"SearchInteraction\",\"mediawiki\":{\"database\":\"commonswiki\",\"site_content_language\":\"en\",\"skin\":\"vector\",\"version\":\"1.44.0-wmf.20\"},\"meta\":{\"domain\":\"commons.wikimedia.org\",\"dt\":\"2025-03-01T00:00:00.911Z\",\"id\":\"c17af08a-1745-46d8-be57-0ddf827050a8\",\"stream\":\"product_metrics.web_base\",\"uri\":\"https:\\/\\/commons.wikimedia.org/wiki/Special:Search\"},\"page\":{\"title\":\"Special:Search\",\"content_language\":\"en\",\"id\":6323853,\"is_redirect\":false,\"namespace_id\":0,\"namespace_name\":\"\",\"revision_id\":816314860},\"performer\":{\"edit_count\":0,\"edit_count_bucket\":\"0 edits\",\"groups\":[\"*\"],\"id\":0,\"is_bot\":false,\"is_logged_in\":false,\"is_temp\":false,\"language\":\"en\",\"name\":\"\",\"pageview_id\":\"tnanmdh4ayfatohzek3e\",\"session_id\":\"2kph4dkdvpt9g8fzygrp\"},\"sample\":{\"rate\":0.5,\"unit\":\"pageview\"}}";
    let invalid = "{\"$schema\":\"/analytics/product_metrics/web/base/1.3.0\",\"action\":5,\"action_context\":\"{\\\"query_length\\\": 1, \\\"results\\\": 5}\",\"action_source\":\"main_menu\",\"action_subtype\":\"expand\",\"agent\":{\"client_platform\":\"mediawiki_js\",\"client_platform_family\":\"desktop_browser\",\"release_status\":\"prod\"},\"dt\":\"2025-03-01T00:00:00.025Z\",\"element_id\":\"searchform\",\"instrument_name\":\"SearchInteraction\",\"mediawiki\":{\"database\":\"commonswiki\",\"site_content_language\":\"en\",\"skin\":\"vector\",\"version\":\"1.44.0-wmf.20\"},\"meta\":{\"domain\":\"commons.wikimedia.org\",\"dt\":\"2025-03-01T00:00:00.911Z\",\"id\":\"c17af08a-1745-46d8-be57-0ddf827050a8\",\"stream\":\"product_metrics.web_base\",\"uri\":\"https://commons.wikimedia.org/wiki/Special:Search\"},\"page\":{\"title\":\"Special:Search\",\"content_language\":\"en\",\"id\":6323853,\"is_redirect\":false,\"namespace_id\":0,\"namespace_name\":\"\",\"revision_id\":816314860},\"performer\":{\"edit_count\":0,\"edit_count_bucket\":\"0 edits\",\"groups\":[\"*\"],\"id\":0,\"is_bot\":false,\"is_logged_in\":false,\"is_temp\":false,\"language\":\"en\",\"name\":\"\",\"pageview_id\":\"tnanmdh4ayfatohzek3e\",\"session_id\":\"2kph4dkdvpt9g8fzygrp\"},\"sample\":{\"rate\":0.5,\"unit\":\"pageview\"}}";
    let sb = Sandbox::new();
    let input = sb.write("events.ndjson", &format!("{canonical}\n{spaced}\n{invalid}\n"));
    let a = sb
        .send(&[
            "--no-stream-config",
            "--stream",
            "product_metrics.web_base",
            "--schema",
            "/analytics/product_metrics/web/base/1.3.0",
            "--schema-repo",
            s(&secondary),
            "--schema-repo",
            s(&primary),
            "--intake-url",
            DEAD_INTAKE,
            "--retries",
            "0",
            s(&input),
        ])
        .assert()
        .code(2);
    let records = stdout_ndjson(&a);
    let status = |line: usize| {
        let source = format!("{}:{line}", s(&input));
        records.iter().find(|r| r["source"] == source.as_str()).map(|r| r["status"].clone())
    };
    assert_eq!(
        (status(1), status(2), status(3)),
        (Some(json!("unsent")), Some(json!("unsent")), Some(json!("invalid")))
    );
    let stderr = stderr_text(&a);
    assert!(
        stderr.contains(&format!("{}:3 → product_metrics.web_base: invalid event: /action:", s(&input))),
        "{stderr}"
    );
    // The failed-events file keeps the bytes each event was sent as.
    let written = |text: &str| serde_json::to_string(&serde_json::from_str::<Value>(text).unwrap()).unwrap();
    assert_eq!(written(canonical), canonical, "the bench's line is canonical");
    let mut kept: Vec<String> = read(&sb.failed_path()).lines().map(str::to_owned).collect();
    kept.sort();
    let mut expected = vec![canonical.to_owned(), written(spaced), written(invalid)];
    expected.sort();
    assert_eq!(kept, expected);
}
