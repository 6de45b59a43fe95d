//! Shared helpers: a hermetic `epc` command, fixture paths, JSON readers and a
//! loopback stand-in for the MediaWiki Action API.

use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use assert_cmd::Command;
use assert_cmd::assert::Assert;
use serde_json::Value;
use tempfile::TempDir;

/// The crate root (where `Cargo.toml`, `fixtures/` and `completions/` live).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file under `fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    root().join("fixtures").join(name)
}

/// A file under `../shared` (the team's shared data and cases). CI always has
/// that checkout, so a missing one fails the test (it panics) instead of
/// letting it pass by returning early; the `Option` is kept for the call sites
/// written as `let Some(p) = shared(..) else { return }`, which never return now.
#[track_caller]
pub fn shared(path: &str) -> Option<PathBuf> {
    Some(require_shared(path))
}

/// A file under `../shared` that the test cannot do without: panics when that
/// checkout is absent, so a missing `../shared` fails the test instead of
/// skipping it (CI always has it).
#[track_caller]
pub fn require_shared(path: &str) -> PathBuf {
    let full = root().join("..").join("shared").join(path);
    assert!(full.exists(), "../shared/{path} is absent; these tests need the shared checkout next to the crate");
    full
}

/// An `epc` command that does not depend on the caller's environment: no
/// `EPC_*` variables, `NO_COLOR=1`, a fixed `COLUMNS`, a fresh cache directory
/// and `HOME`, run from the crate root. Derefs to [`Command`].
pub struct Epc {
    cmd: Command,
    // Kept alive for the command's lifetime; removed when the `Epc` drops.
    _home: TempDir,
}

impl Deref for Epc {
    type Target = Command;
    fn deref(&self) -> &Command {
        &self.cmd
    }
}

impl DerefMut for Epc {
    fn deref_mut(&mut self) -> &mut Command {
        &mut self.cmd
    }
}

/// The hermetic `epc` command (see [`Epc`]).
pub fn epc() -> Epc {
    let home = tempfile::tempdir().expect("create a temporary HOME");
    let mut std_cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("epc"));
    hermetic(&mut std_cmd, home.path());
    Epc { cmd: Command::from_std(std_cmd), _home: home }
}

/// A proxy nothing listens on: every request to a host other than loopback
/// fails at once, so a test can never reach the public network (the default
/// schema bases, a repository's `schemaBaseUris`) even by mistake.
const DEAD_PROXY: &str = "http://127.0.0.1:9";

/// The environment every test run of `epc` gets: no `EPC_*` settings from the
/// caller, no colour, a fixed width, a temporary HOME and cache, the crate root
/// as cwd, and [`DEAD_PROXY`] for every host but loopback.
fn hermetic(cmd: &mut std::process::Command, home: &Path) {
    for var in ["http_proxy", "https_proxy", "all_proxy", "no_proxy"] {
        cmd.env_remove(var);
    }
    cmd.env("HTTP_PROXY", DEAD_PROXY)
        .env("HTTPS_PROXY", DEAD_PROXY)
        .env("ALL_PROXY", DEAD_PROXY)
        .env("NO_PROXY", "127.0.0.1,localhost,::1");
    cmd.env_remove("EPC_STREAM_CONFIG")
        .env_remove("EPC_SCHEMA_REPOS")
        .env_remove("EPC_INTAKE_URL")
        .env_remove("EPC_COLOR")
        .env_remove("XDG_CACHE_HOME")
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env("HOME", home)
        .env("EPC_CACHE_DIR", home.join("cache"))
        .current_dir(root());
}

/// `epc` with `--stream-config fixtures/<name>` appended after `args`.
pub fn epc_with_fixture(name: &str, args: &[&str]) -> Epc {
    let mut cmd = epc();
    cmd.args(args).arg("--stream-config").arg(fixture(name));
    cmd
}

/// stdout as one JSON document.
#[track_caller]
pub fn stdout_json(assert: &Assert) -> Value {
    let out = &assert.get_output().stdout;
    serde_json::from_slice(out)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", String::from_utf8_lossy(out)))
}

/// stdout as NDJSON records, one per line.
#[track_caller]
pub fn stdout_ndjson(assert: &Assert) -> Vec<Value> {
    let out = String::from_utf8(assert.get_output().stdout.clone()).expect("stdout is UTF-8");
    out.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON record ({e}): {line}")))
        .collect()
}

/// stdout as text.
pub fn stdout_text(assert: &Assert) -> String {
    String::from_utf8(assert.get_output().stdout.clone()).expect("stdout is UTF-8")
}

/// stderr as text.
pub fn stderr_text(assert: &Assert) -> String {
    String::from_utf8(assert.get_output().stderr.clone()).expect("stderr is UTF-8")
}

/// The `error:` lines of stderr.
pub fn error_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.starts_with("error:")).collect()
}

/// The string items of a JSON list.
#[track_caller]
pub fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap_or_else(|| panic!("not a string: {v}")))
        .collect()
}

/// The record of `streams` whose `stream` is `name`.
#[track_caller]
pub fn stream_record<'a>(records: &'a Value, name: &str) -> &'a Value {
    records
        .as_array()
        .expect("a list of records")
        .iter()
        .find(|r| r["stream"] == name)
        .unwrap_or_else(|| panic!("no record for stream `{name}` in {records}"))
}

/// One request the mock API received.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path without the query.
    pub path: String,
    /// Decoded query parameters, in order.
    pub query: Vec<(String, String)>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
}

impl Seen {
    /// The first value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The names in `streams=` (`|`-separated), empty when absent.
    pub fn stream_names(&self) -> Vec<&str> {
        self.param("streams").map(|s| s.split('|').filter(|n| !n.is_empty()).collect()).unwrap_or_default()
    }
}

/// What the mock API answers.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Reply {
    /// HTTP 200 with a JSON body.
    pub fn json(body: impl Into<String>) -> Self {
        Self { status: 200, headers: Vec::new(), body: body.into() }
    }

    /// Another status, with a plain body.
    pub fn status(status: u16, body: impl Into<String>) -> Self {
        Self { status, headers: Vec::new(), body: body.into() }
    }

    /// Adds a response header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// A loopback HTTP server on 127.0.0.1 (port 0) answering at most a bounded
/// number of requests in a thread, recording each one.
pub type MockApi = MockServer<Seen>;

/// A loopback tiny_http server answering on a thread; `finish` (or drop) stops
/// it and returns what it recorded of each request.
pub struct MockServer<T> {
    /// The URL clients use (`http://127.0.0.1:PORT/...`).
    pub url: String,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<Vec<T>>>,
}

impl<T> MockServer<T> {
    /// Stops the server (closing its port) and returns the requests it saw.
    pub fn finish(mut self) -> Vec<T> {
        self.stop()
    }

    fn stop(&mut self) -> Vec<T> {
        self.server.unblock();
        self.thread.take().map(|t| t.join().expect("the mock server thread panicked")).unwrap_or_default()
    }
}

impl<T> Drop for MockServer<T> {
    fn drop(&mut self) {
        if self.thread.is_some() && !std::thread::panicking() {
            self.stop();
        }
    }
}

/// Starts a [`MockApi`] that answers up to `max_requests` requests with `handler`
/// (and gives up after 30 s without a request).
pub fn mock_api(max_requests: usize, mut handler: impl FnMut(&Seen) -> Reply + Send + 'static) -> MockApi {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind a loopback port"));
    let port = server.server_addr().to_ip().expect("an IP listener").port();
    let thread_server = Arc::clone(&server);
    let thread = std::thread::spawn(move || {
        let mut seen = Vec::new();
        while seen.len() < max_requests {
            let Ok(Some(request)) = thread_server.recv_timeout(Duration::from_secs(30)) else {
                break;
            };
            let (path, query) = request.url().split_once('?').unwrap_or((request.url(), ""));
            let header = |name: &str| {
                request
                    .headers()
                    .iter()
                    .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
                    .map(|h| h.value.as_str().to_owned())
            };
            let s = Seen {
                method: request.method().as_str().to_owned(),
                path: path.to_owned(),
                query: parse_query(query),
                user_agent: header("user-agent"),
            };
            let reply = handler(&s);
            seen.push(s);
            let mut response = tiny_http::Response::from_string(reply.body)
                .with_status_code(reply.status)
                .with_header(tiny_http::Header::from_bytes("Content-Type", "application/json; charset=utf-8").unwrap());
            for (name, value) in reply.headers {
                response = response.with_header(tiny_http::Header::from_bytes(name, value).unwrap());
            }
            let _ = request.respond(response);
        }
        seen
    });
    MockServer { url: format!("http://127.0.0.1:{port}/w/api.php"), server, thread: Some(thread) }
}

fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(b) = hex {
                    out.push(b);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).expect("a UTF-8 query")
}

/// Reads a whole file as text.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// What EventGate (`POST /v1/events`) answers to a batch, by the rules of
/// wikimedia/eventgate `routes/events.js` as `../shared/cases/20-…/mock_eventgate.py`
/// states them: hasty → 202; nothing failed → 201; every event invalid → 400
/// `{invalid}`; some accepted → 207 `{invalid, error}`; everything failed with
/// an error → 500 `{invalid, error}`. Server-side schema: `action` must be
/// `click` or `hover` (else `invalid`); `action: "explode"` is a produce `error`.
pub struct GateAnswer {
    pub status: u16,
    /// The JSON body (`None`: empty).
    pub body: Option<Value>,
    /// The events the server took (all of them for 201 and 202).
    pub accepted: Vec<Value>,
}

/// [`GateAnswer`] for one request body (the raw bytes) and `?hasty`.
pub fn eventgate_answer(raw: &[u8], hasty: bool) -> GateAnswer {
    let none = |status| GateAnswer { status, body: None, accepted: Vec::new() };
    let Ok(body) = serde_json::from_slice::<Value>(if raw.is_empty() { b"null" } else { raw }) else {
        return none(400);
    };
    let events = match body {
        Value::Null => return none(400),
        Value::Array(a) if a.is_empty() => return none(400),
        Value::Object(ref o) if o.is_empty() => return none(400),
        Value::Array(a) => a,
        other => vec![other],
    };
    if hasty {
        return GateAnswer { status: 202, body: None, accepted: events };
    }
    let (mut accepted, mut invalid, mut error) = (Vec::new(), Vec::new(), Vec::new());
    for event in &events {
        // EventGate fills in meta.dt and meta.id before it answers; the echo carries them.
        let mut echo = event.clone();
        if let Some(Value::Object(meta)) = echo.get_mut("meta") {
            meta.insert("dt".into(), Value::String("2026-01-02T03:04:05.678Z".into()));
            meta.insert("id".into(), Value::String("00000000-0000-4000-8000-000000000000".into()));
        }
        match event.get("action") {
            Some(Value::String(a)) if a == "explode" => error.push(serde_json::json!({
                "status": "error", "event": echo,
                "context": {"message": "Local: Message timed out (simulated produce failure)"},
            })),
            Some(Value::String(a)) if a == "click" || a == "hover" => accepted.push(event.clone()),
            other => {
                let (keyword, message) = if matches!(other, Some(Value::String(_))) {
                    ("enum", "should be equal to one of the allowed values")
                } else {
                    ("type", "should be string")
                };
                invalid.push(serde_json::json!({
                    "status": "invalid", "event": echo,
                    "context": {
                        "message": format!("Event failed validation with schema at {}",
                                           event.get("$schema").and_then(Value::as_str).unwrap_or("null")),
                        "errors": [{"keyword": keyword, "dataPath": ".action",
                                    "schemaPath": format!("#/properties/action/{keyword}"), "message": message}],
                        "errorsText": format!("'.action' {message}"),
                    },
                }));
            }
        }
    }
    let (n, failed) = (events.len(), invalid.len() + error.len());
    let (status, body) = if failed == 0 {
        (201, None)
    } else if invalid.len() == n {
        (400, Some(serde_json::json!({"invalid": invalid})))
    } else if failed != n {
        (207, Some(serde_json::json!({"invalid": invalid, "error": error})))
    } else {
        (500, Some(serde_json::json!({"invalid": invalid, "error": error})))
    };
    GateAnswer { status, body, accepted }
}

/// One request the mock EventGate received.
#[derive(Debug, Clone)]
pub struct GateRequest {
    /// The path without the query.
    pub path: String,
    /// Whether `?hasty` was truthy.
    pub hasty: bool,
    /// The events of the body (a single object counts as one).
    pub events: Vec<Value>,
    /// The status answered.
    pub status: u16,
    /// The events it took.
    pub accepted: Vec<Value>,
}

/// A loopback EventGate on 127.0.0.1 (port 0) answering by [`eventgate_answer`]
/// until [`MockEventGate::finish`] (or 30 s without a request).
pub type MockEventGate = MockServer<GateRequest>;

/// Starts a [`MockEventGate`].
pub fn mock_eventgate() -> MockEventGate {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind a loopback port"));
    let port = server.server_addr().to_ip().expect("an IP listener").port();
    let thread_server = Arc::clone(&server);
    let thread = std::thread::spawn(move || {
        let mut seen = Vec::new();
        while let Ok(Some(mut request)) = thread_server.recv_timeout(Duration::from_secs(30)) {
            let (path, query) = request.url().split_once('?').unwrap_or((request.url(), ""));
            let path = path.to_owned();
            // EventGate: any non-empty `hasty` value is truthy, even "false".
            let hasty = parse_query(query).iter().any(|(k, v)| k == "hasty" && !v.is_empty());
            let mut raw = Vec::new();
            let _ = std::io::Read::read_to_end(request.as_reader(), &mut raw);
            let answer = if path == "/v1/events" {
                eventgate_answer(&raw, hasty)
            } else {
                GateAnswer { status: 404, body: None, accepted: Vec::new() }
            };
            let events = match serde_json::from_slice::<Value>(&raw) {
                Ok(Value::Array(a)) => a,
                Ok(other) => vec![other],
                Err(_) => Vec::new(),
            };
            let mut response =
                tiny_http::Response::from_string(answer.body.as_ref().map(Value::to_string).unwrap_or_default())
                    .with_status_code(answer.status);
            if answer.body.is_some() {
                response = response.with_header(
                    tiny_http::Header::from_bytes("Content-Type", "application/json; charset=utf-8").unwrap(),
                );
            }
            seen.push(GateRequest { path, hasty, events, status: answer.status, accepted: answer.accepted });
            let _ = request.respond(response);
        }
        seen
    });
    MockServer { url: format!("http://127.0.0.1:{port}/v1/events"), server, thread: Some(thread) }
}

// A running `epc serve`: the real binary as a child process on a free loopback port.

/// `epc serve --listen 127.0.0.1:0 ARGS…` running as a child process, with the
/// hermetic environment of [`epc`]. Stopped with SIGINT (graceful shutdown) by
/// [`Serve::stop`] or on drop.
pub struct Serve {
    /// The address it listens on.
    pub addr: std::net::SocketAddr,
    /// `http://ADDR/v1/events`.
    pub url: String,
    child: Option<std::process::Child>,
    stderr: Option<JoinHandle<Vec<String>>>,
    stdout: Option<JoinHandle<String>>,
    _home: TempDir,
}

/// How a [`Serve`] ended.
#[derive(Debug)]
pub struct Stopped {
    pub status: std::process::ExitStatus,
    /// All of stderr, the listening line included.
    pub stderr: String,
    pub stdout: String,
}

/// Starts `epc serve --listen 127.0.0.1:0 ARGS…` and waits (at most 30 s) for its
/// `epc serve: listening on http://ADDR/v1/events` line on stderr.
pub fn serve<I, S>(args: I) -> Serve
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    use std::io::{BufRead as _, Read as _};
    use std::process::Stdio;

    let home = tempfile::tempdir().expect("create a temporary HOME");
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("epc"));
    hermetic(&mut cmd, home.path());
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start epc serve");
    let mut out = child.stdout.take().expect("piped stdout");
    let stdout = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = out.read_to_string(&mut text);
        text
    });
    let err = child.stderr.take().expect("piped stderr");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stderr = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in std::io::BufReader::new(err).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line.clone());
            lines.push(line);
        }
        lines
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    let addr = loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                if let Some(rest) = line.strip_prefix("epc serve: listening on http://") {
                    let addr = rest.strip_suffix("/v1/events").unwrap_or(rest);
                    break addr.parse().unwrap_or_else(|e| panic!("not an address ({e}): {line}"));
                }
                seen.push(line);
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("epc serve printed no listening line within 30 s; stderr:\n{}", seen.join("\n"));
            }
        }
    };
    Serve {
        addr,
        url: format!("http://{addr}/v1/events"),
        child: Some(child),
        stderr: Some(stderr),
        stdout: Some(stdout),
        _home: home,
    }
}

impl Serve {
    /// `http://ADDR{path}`.
    pub fn at(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Sends SIGINT (Ctrl-C) and waits at most 30 s for the process to exit.
    pub fn stop(mut self) -> Stopped {
        self.shutdown().expect("epc serve was running")
    }

    /// Waits at most 30 s for the process to exit after a signal the test sent itself.
    pub fn wait(mut self) -> Stopped {
        self.finish(false).expect("epc serve was running")
    }

    fn shutdown(&mut self) -> Option<Stopped> {
        self.finish(true)
    }

    fn finish(&mut self, signal: bool) -> Option<Stopped> {
        let mut child = self.child.take()?;
        let sent = if signal {
            std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status()
        } else {
            std::process::Command::new("true").status()
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for epc serve") {
                break status;
            }
            if std::time::Instant::now() > deadline || !sent.as_ref().is_ok_and(std::process::ExitStatus::success) {
                let _ = child.kill();
                let status = child.wait().expect("wait for epc serve");
                if !std::thread::panicking() {
                    panic!("epc serve did not stop on SIGINT within 30 s (killed: {status})");
                }
                break status;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let stderr = self.stderr.take().map(|t| t.join().unwrap_or_default().join("\n")).unwrap_or_default();
        let stdout = self.stdout.take().map(|t| t.join().unwrap_or_default()).unwrap_or_default();
        Some(Stopped { status, stderr, stdout })
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// Copies a folder tree into `to`: files become writable copies, symlinks stay symlinks.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().unwrap();
        if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src).unwrap(), &dst).unwrap();
        } else if kind.is_dir() {
            copy_tree(&src, &dst);
        } else {
            std::fs::write(&dst, std::fs::read(&src).unwrap()).unwrap();
        }
    }
}

/// A path as `&str` (test paths are UTF-8).
pub fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// The hermetic `epc` (see [`Epc`]) as a [`std::process::Command`] to
/// spawn, for tests that talk to a running child; the [`TempDir`] is its
/// HOME and must outlive it.
pub fn epc_process() -> (std::process::Command, TempDir) {
    let home = tempfile::tempdir().expect("create a temporary HOME");
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("epc"));
    hermetic(&mut cmd, home.path());
    (cmd, home)
}

/// Waits for `child` while draining its piped stdout and stderr; kills it
/// and fails the test if it is still running after `within` (a guard
/// against a hang, not a timing check). Returns the exit code, stdout and stderr.
pub fn wait_child(mut child: std::process::Child, within: Duration) -> (Option<i32>, String, String) {
    use std::io::Read as _;
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let deadline = std::time::Instant::now() + within;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the child did not exit within {within:?}; stderr:\n{}", err.join().unwrap_or_default());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    (status.code(), out.join().unwrap_or_default(), err.join().unwrap_or_default())
}

/// `../shared/data/schemas-symlinked.tar.gz` unpacked once per test binary:
/// the folder holding `primary` and `secondary` with real symlinks, as a git
/// checkout with `core.symlinks=true` has them (the folders under
/// `../shared/data/schemas` are the stub form: git's symlink stubs as plain
/// files). Read-only: copy (with [`copy_tree`]) before changing anything.
pub fn symlinked_schemas() -> PathBuf {
    static UNPACKED: std::sync::OnceLock<TempDir> = std::sync::OnceLock::new();
    let dir = UNPACKED.get_or_init(|| unpack_shared("schemas-symlinked.tar.gz"));
    let schemas = dir.path().join("schemas");
    let latest = schemas.join("primary/jsonschema/test/event/latest");
    assert!(std::fs::symlink_metadata(&latest).expect("test/event/latest").file_type().is_symlink());
    schemas
}

/// A `../shared/data/` archive unpacked with `tar -xzf` into a new temporary
/// folder (a writable copy of its own for the test). Panics when `../shared`
/// is absent or `tar` fails.
pub fn unpack_shared(archive: &str) -> TempDir {
    let path = require_shared(&format!("data/{archive}"));
    let dir = tempfile::tempdir().expect("a temporary folder");
    let status =
        std::process::Command::new("tar").arg("-xzf").arg(&path).arg("-C").arg(dir.path()).status().expect("run tar");
    assert!(status.success(), "tar -xzf {}", path.display());
    dir
}

/// Runs `git -C dir ARGS…` as a fixed test user, without the caller's git
/// config, asserting that it succeeds.
pub fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=epc test", "-c", "user.email=epc@example.org", "-c", "commit.gpgsign=false"])
        .args(["-c", "core.symlinks=true"])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// [`copy_tree`], turning git's symlink stubs back into symlinks: a file of
/// at most 255 bytes named like a version (`1.0.0`) or `latest*`, whose whole
/// content (a final newline allowed) is the name of a sibling file, becomes
/// a symlink to that sibling (what a checkout with `core.symlinks=true` has).
pub fn copy_with_real_symlinks(from: &Path, to: &Path) {
    copy_tree(from, to);
    fn walk(dir: &Path) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                walk(&path);
                continue;
            }
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let link_name = name.starts_with("latest") || name.chars().all(|c| c.is_ascii_digit() || c == '.');
            if !meta.is_file() || meta.len() > 255 || !link_name {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let target = text.strip_suffix('\n').unwrap_or(&text).to_owned();
            if !target.is_empty() && !target.contains('/') && path.with_file_name(&target).is_file() {
                std::fs::remove_file(&path).unwrap();
                std::os::unix::fs::symlink(&target, &path).unwrap();
            }
        }
    }
    walk(to);
}
