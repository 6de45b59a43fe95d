//! Schemas over HTTP (issue 11, item 1): `epc validate`, `--repo` and `serve`
//! against a loopback server that serves `../shared/data/schemas` the way
//! schema.wikimedia.org does (`/repositories/<repo>/jsonschema/<title>/<X.Y.Z>`
//! extensionless, `latest`, `.yaml`; YAML bodies; `ETag`), with no local
//! checkout. Shows the request counts (at most one per distinct URL on a first
//! run, none on a second), `--offline` with and without a cache, the fence (a
//! `$ref` to another host, a redirect out of the base: never connected to),
//! the timeout, and `--repo` on secondary with primary only remote.
//!
//! Every run has the hermetic environment of `support` (a dead proxy for
//! every non-loopback host), so the public bases can never be reached.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use assert_cmd::assert::Assert;
use serde_json::{Value, json};

use crate::support::{epc, error_lines, path_str, require_shared, serve, stderr_text, stdout_json, stdout_ndjson};

/// What the loopback schema server answers besides the shared repositories.
#[derive(Clone)]
enum Route {
    /// 200 with this YAML/JSON body.
    Body(String),
    /// 302 to this location.
    Redirect(String),
    /// Waits this long, then answers 200 with a schema.
    Slow(Duration),
}

/// One request the schema server answered.
#[derive(Debug, Clone)]
struct Hit {
    path: String,
    status: u16,
    conditional: bool,
    user_agent: String,
}

/// A loopback server shaped like schema.wikimedia.org over a copy of
/// `../shared/data/schemas` (read at run time; symlink stubs followed), plus
/// `routes` at exact paths.
struct SchemaServer {
    origin: String,
    server: Arc<tiny_http::Server>,
    hits: Arc<Mutex<Vec<Hit>>>,
    thread: Option<JoinHandle<()>>,
}

impl SchemaServer {
    fn start(routes: Vec<(String, Route)>) -> Self {
        let root = require_shared("data/schemas");
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind a loopback port"));
        let origin = format!("http://{}", server.server_addr().to_ip().expect("an IP listener"));
        let hits = Arc::new(Mutex::new(Vec::new()));
        let (s, h) = (Arc::clone(&server), Arc::clone(&hits));
        let routes: BTreeMap<String, Route> = routes.into_iter().collect();
        let thread = std::thread::spawn(move || {
            for request in s.incoming_requests() {
                let hits = Arc::clone(&h);
                let path = request.url().split('?').next().unwrap_or("").to_owned();
                let header = |name: &str| {
                    request
                        .headers()
                        .iter()
                        .find(|x| x.field.as_str().as_str().eq_ignore_ascii_case(name))
                        .map(|x| x.value.as_str().to_owned())
                };
                let (if_none_match, user_agent) = (header("if-none-match"), header("user-agent").unwrap_or_default());
                let route = routes.get(&path).cloned();
                let root = root.clone();
                // Each request on its own thread: a slow answer does not hold up the others.
                std::thread::spawn(move || {
                    let (status, body, headers) = match route {
                        Some(Route::Body(body)) => (200, body, vec![]),
                        Some(Route::Redirect(to)) => (302, String::new(), vec![("Location", to)]),
                        Some(Route::Slow(wait)) => {
                            std::thread::sleep(wait);
                            (200, "title: slow\n$id: /test/slow/1.0.0\ntype: object\n".to_owned(), vec![])
                        }
                        None => match schema_file(&root, &path) {
                            Some(body) => {
                                let etag = format!("\"{:016x}\"", fnv(&body));
                                if if_none_match.as_deref() == Some(etag.as_str()) {
                                    (304, String::new(), vec![("ETag", etag)])
                                } else {
                                    (200, body, vec![("ETag", etag)])
                                }
                            }
                            None => (404, "Not Found".to_owned(), vec![]),
                        },
                    };
                    hits.lock().unwrap().push(Hit { path, status, conditional: if_none_match.is_some(), user_agent });
                    let mut response = tiny_http::Response::from_string(body).with_status_code(status);
                    for (name, value) in headers {
                        response = response.with_header(tiny_http::Header::from_bytes(name, value).unwrap());
                    }
                    let _ = request.respond(response);
                });
            }
        });
        Self { origin, server, hits, thread: Some(thread) }
    }

    fn base(&self, repo: &str) -> String {
        format!("{}/repositories/{repo}/jsonschema", self.origin)
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    fn take_hits(&self) -> Vec<Hit> {
        std::mem::take(&mut *self.hits.lock().unwrap())
    }
}

impl Drop for SchemaServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The text of `/repositories/<repo>/jsonschema/<rest>` under `root`, with
/// symlink stubs (a file whose whole content names a sibling) followed, as
/// the real server's symlinks are; `None` for anything else.
fn schema_file(root: &Path, url_path: &str) -> Option<String> {
    let rest = url_path.strip_prefix("/repositories/")?;
    let (repo, rest) = rest.split_once("/jsonschema/")?;
    if !matches!(repo, "primary" | "secondary") || rest.split('/').any(|s| s.is_empty() || s == "..") {
        return None;
    }
    let mut path = root.join(repo).join("jsonschema").join(rest);
    for _ in 0..8 {
        if !path.is_file() {
            return None;
        }
        let text = std::fs::read_to_string(&path).ok()?;
        let sibling = path.parent()?.join(text.trim());
        let stub = text.len() < 255 && !text.trim().is_empty() && !text.trim().contains(['/', ' ', '\n', ':']);
        if stub && sibling.is_file() {
            path = sibling;
            continue;
        }
        return Some(text);
    }
    None
}

/// A listener that only counts the connections made to it.
struct Counter {
    port: u16,
    count: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Counter {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let (count, stop) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
        let (c, s) = (Arc::clone(&count), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok(_) => {
                        c.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Self { port, count, stop }
    }

    fn connections(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }
}

impl Drop for Counter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// `epc validate --format ndjson ARGS…` with `EPC_CACHE_DIR=cache`.
fn validate(cache: &Path, args: &[&str]) -> crate::support::Epc {
    let mut cmd = epc();
    cmd.env("EPC_CACHE_DIR", cache).args(["validate", "--format", "ndjson"]).args(args);
    cmd
}

/// The result records and the summary of an NDJSON run.
fn records(assert: &Assert) -> (Vec<Value>, Value) {
    let mut all = stdout_ndjson(assert);
    let summary = all.pop().expect("a summary record");
    assert_eq!(summary["type"], "summary", "{summary}");
    (all, summary)
}

fn messages(record: &Value) -> String {
    record["errors"].as_array().into_iter().flatten().map(|e| e["message"].as_str().unwrap_or("")).collect()
}

/// Writes events as NDJSON into `dir/name`.
fn ndjson(dir: &Path, name: &str, events: &[Value]) -> PathBuf {
    let path = dir.join(name);
    let text: String = events.iter().map(|e| serde_json::to_string(e).unwrap() + "\n").collect();
    std::fs::write(&path, text).unwrap();
    path
}

/// Request counts per path, and the largest.
fn per_path(hits: &[Hit]) -> (BTreeMap<String, usize>, usize) {
    let mut counts = BTreeMap::new();
    for h in hits {
        *counts.entry(h.path.clone()).or_insert(0) += 1;
    }
    let max = counts.values().copied().max().unwrap_or(0);
    (counts, max)
}

/// The examples of every versioned schema of a shared repository: event
/// examples (with `$schema` set to the `$id` when missing) for one NDJSON
/// file, and fragment examples by schema `$id`, for `--schema`.
fn examples(repo: &str) -> (Vec<Value>, BTreeMap<String, Vec<Value>>) {
    let dir = require_shared(&format!("data/schemas/{repo}"));
    let repository = epc::schema::repository::SchemaRepository::open(&dir).unwrap();
    let (mut events, mut fragments) = (Vec::new(), BTreeMap::new());
    for file in repository.versioned_files().unwrap() {
        let schema = epc::schema::yaml::load_file(&file.path).unwrap();
        let id = schema["$id"].as_str().unwrap().to_owned();
        // A data problem (not epc's): its `$id` is not its path, so no base has it.
        if id == "/webrequest/1.0.0" {
            continue;
        }
        for example in schema.get("examples").and_then(Value::as_array).into_iter().flatten() {
            let mut example = example.clone();
            if schema.pointer("/properties/$schema").is_some() {
                example.as_object_mut().unwrap().entry("$schema").or_insert_with(|| json!(id));
                events.push(example);
            } else {
                fragments.entry(id.clone()).or_insert_with(Vec::new).push(example);
            }
        }
    }
    (events, fragments)
}

#[test]
fn every_real_example_validates_with_no_local_checkout_once_per_url_then_from_the_cache() {
    let server = SchemaServer::start(Vec::new());
    let (primary, secondary) = (server.base("primary"), server.base("secondary"));
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let mut runs: Vec<(PathBuf, Option<String>, usize)> = Vec::new();
    for repo in ["primary", "secondary"] {
        let (events, fragments) = examples(repo);
        runs.push((ndjson(tmp.path(), &format!("{repo}.ndjson"), &events), None, events.len()));
        for (i, (id, examples)) in fragments.into_iter().enumerate() {
            let len = examples.len();
            runs.push((ndjson(tmp.path(), &format!("{repo}-fragment-{i}.ndjson"), &examples), Some(id), len));
        }
    }
    let events: usize = runs.iter().map(|r| r.2).sum();
    let pass = |label: &str| -> Duration {
        let started = Instant::now();
        for (file, schema, len) in &runs {
            let mut cmd =
                validate(&cache, &["--jobs", "2", "--schema-base-uri", &primary, "--schema-base-uri", &secondary]);
            if let Some(id) = schema {
                cmd.args(["--schema", id]);
            }
            let a = cmd.arg(file).assert();
            let (results, summary) = records(&a);
            let bad: Vec<&Value> = results.iter().filter(|r| r["outcome"] != "valid").collect();
            assert!(bad.is_empty(), "{label}: {} not valid, such as {}", bad.len(), bad[0]);
            assert_eq!(summary["valid"], *len as u64, "{label} {}: {summary}", file.display());
            a.code(0);
        }
        started.elapsed()
    };
    let first_time = pass("first run");
    let first = server.take_hits();
    let (counts, max) = per_path(&first);
    assert!(
        max <= 1,
        "at most one request per distinct URL: {:?}",
        counts.iter().filter(|(_, n)| **n > 1).collect::<Vec<_>>()
    );
    assert!(first.iter().all(|h| h.user_agent.starts_with("epc/")), "the User-Agent is epc's");
    let found = first.iter().filter(|h| h.status == 200).count();
    let not_found = first.iter().filter(|h| h.status == 404).count();
    assert!(found > 400, "{found}");
    let second_time = pass("second run");
    let second = server.take_hits();
    assert_eq!(second.len(), 0, "the second run is served by the cache: {second:?}");
    eprintln!(
        "remote examples: {events} examples in {} epc runs, no local checkout: first run {} requests for {} distinct URLs \
         ({found} found, {not_found} 404 from primary for secondary's schemas), max {max} per URL, {first_time:.1?}; \
         second run 0 requests, {second_time:.1?}",
        runs.len(),
        first.len(),
        counts.len(),
    );
}

#[test]
fn latest_is_revalidated_by_etag_and_offline_reads_only_the_cache() {
    let server = SchemaServer::start(Vec::new());
    let primary = server.base("primary");
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let event = json!({"$schema": "/test/event/latest", "meta": {"stream": "test.event", "dt": "2024-01-01T00:00:00Z"},
        "dt": "2024-01-01T00:00:00Z", "test": "x"});
    let file = ndjson(tmp.path(), "latest.ndjson", &[event]);
    let run = |args: &[&str]| validate(&cache, args).arg(&file).assert();

    run(&["--schema-base-uri", &primary]).code(0);
    let hits = server.take_hits();
    assert_eq!(
        hits.iter().map(|h| (h.path.as_str(), h.status, h.conditional)).collect::<Vec<_>>(),
        [("/repositories/primary/jsonschema/test/event/latest", 200, false)]
    );
    // A second run asks once, conditionally, and keeps its copy on 304.
    run(&["--schema-base-uri", &primary]).code(0);
    let hits = server.take_hits();
    assert_eq!(hits.iter().map(|h| (h.status, h.conditional)).collect::<Vec<_>>(), [(304, true)]);
    // Offline with the cache: no request.
    let a = run(&["--schema-base-uri", &primary, "--offline"]).code(0);
    assert_eq!(records(&a).1["valid"], 1);
    assert_eq!(server.take_hits().len(), 0);
    // Offline without a cache: unresolved, naming what is missing; no request.
    let empty = tmp.path().join("empty-cache");
    let a = validate(&empty, &["--schema-base-uri", &primary, "--offline"]).arg(&file).assert().code(1);
    let (results, _) = records(&a);
    assert_eq!(results[0]["outcome"], "unresolved");
    let m = messages(&results[0]);
    assert!(m.contains(&format!("{primary}/test/event/latest")) && m.contains("nor in the schema cache"), "{m}");
    assert!(m.contains("no request is made offline"), "{m}");
    assert_eq!(server.take_hits().len(), 0);
    // The defaults (the public repositories) offline: said on stderr, and the same message.
    let a = validate(&empty, &["--offline"]).arg(&file).assert().code(1);
    let stderr = stderr_text(&a);
    assert!(
        stderr.contains("schemas come from https://schema.wikimedia.org/repositories/primary/jsonschema/"),
        "{stderr}"
    );
    let m = messages(&records(&a).0[0]);
    assert!(m.contains("https://schema.wikimedia.org/repositories/secondary/jsonschema/test/event/latest"), "{m}");
}

#[test]
fn a_ref_or_schema_on_a_host_that_is_not_a_base_is_refused_without_a_connection() {
    let other = Counter::start();
    let elsewhere = format!("http://127.0.0.1:{}/repositories/primary/jsonschema/fragment/common/1.0.0", other.port);
    let evil = format!(
        "title: test/evil\n$id: /test/evil/1.0.0\n$schema: https://json-schema.org/draft-07/schema#\ntype: object\n\
         properties:\n  meta:\n    $ref: '{elsewhere}#/properties/meta'\n"
    );
    let server =
        SchemaServer::start(vec![("/repositories/primary/jsonschema/test/evil/1.0.0".into(), Route::Body(evil))]);
    let tmp = tempfile::tempdir().unwrap();
    let file = ndjson(
        tmp.path(),
        "evil.ndjson",
        &[json!({"$schema": "/test/evil/1.0.0", "meta": {}}), json!({"$schema": elsewhere, "meta": {}})],
    );
    let a = validate(&tmp.path().join("cache"), &["--schema-base-uri", &server.base("primary")])
        .arg(&file)
        .assert()
        .code(1);
    let (results, _) = records(&a);
    for r in &results {
        assert_eq!(r["outcome"], "unresolved", "{r}");
        let m = messages(r);
        assert!(m.contains(&elsewhere) && m.contains("not under any schema base URI"), "{m}");
        assert!(m.contains(&format!("({}/)", server.base("primary"))), "the bases are named: {m}");
    }
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(other.connections(), 0, "no connection to a host that is not a base");
    assert_eq!(server.hits().len(), 1, "only the schema under the base was fetched");
}

#[test]
fn a_redirect_is_followed_within_its_base_and_refused_out_of_it() {
    let other = Counter::start();
    let away = format!("http://127.0.0.1:{}/repositories/primary/jsonschema/test/event/1.0.0", other.port);
    let p = "/repositories/primary/jsonschema";
    let server = SchemaServer::start(vec![
        (format!("{p}/test/renamed/1.0.0"), Route::Redirect(format!("{p}/test/event/1.0.0"))),
        (format!("{p}/test/away/1.0.0"), Route::Redirect(away.clone())),
        (
            format!("{p}/test/sideways/1.0.0"),
            Route::Redirect("/repositories/secondary/jsonschema/test/event/1.0.0".into()),
        ),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let base = json!({"meta": {"stream": "s", "dt": "2024-01-01T00:00:00Z"}, "dt": "2024-01-01T00:00:00Z"});
    let with = |schema: &str| {
        let mut e = base.clone();
        e["$schema"] = json!(schema);
        e
    };
    let file = ndjson(
        tmp.path(),
        "moved.ndjson",
        &[with("/test/renamed/1.0.0"), with("/test/away/1.0.0"), with("/test/sideways/1.0.0")],
    );
    let a = validate(
        &tmp.path().join("cache"),
        &["--schema-base-uri", &server.base("primary"), "--schema-base-uri", &server.base("secondary")],
    )
    .arg(&file)
    .assert()
    .code(1);
    let (results, _) = records(&a);
    assert_eq!(results[0]["outcome"], "valid", "{}", results[0]);
    for (r, location) in
        [(&results[1], away.as_str()), (&results[2], "/repositories/secondary/jsonschema/test/event/1.0.0")]
    {
        assert_eq!(r["outcome"], "unresolved", "{r}");
        let m = messages(r);
        assert!(m.contains(location) && m.contains("outside the schema base") && m.contains("not followed"), "{m}");
    }
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(other.connections(), 0, "the redirect out of the base is never followed");
    let paths: Vec<String> = server.hits().into_iter().map(|h| h.path).collect();
    assert!(!paths.iter().any(|p| p.starts_with("/repositories/secondary/jsonschema/test/event")), "{paths:?}");
}

#[test]
fn a_slow_server_hits_the_timeout() {
    let p = "/repositories/primary/jsonschema";
    let server = SchemaServer::start(vec![(format!("{p}/test/slow/1.0.0"), Route::Slow(Duration::from_secs(8)))]);
    let tmp = tempfile::tempdir().unwrap();
    let file = ndjson(
        tmp.path(),
        "slow.ndjson",
        &[json!({"$schema": "/test/slow/1.0.0"}), json!({"$schema": "/test/event/1.0.0"})],
    );
    let started = Instant::now();
    let a = validate(
        &tmp.path().join("cache"),
        &["--schema-base-uri", &server.base("primary"), "--timeout", "1", "--jobs", "1"],
    )
    .arg(&file)
    .assert()
    .code(1);
    let elapsed = started.elapsed();
    let (results, _) = records(&a);
    for r in &results {
        assert_eq!(r["outcome"], "unresolved", "{r}");
    }
    let m = messages(&results[0]);
    assert!(m.contains(&format!("{}/test/slow/1.0.0", server.base("primary"))) && m.ends_with("timed out"), "{m}");
    // The base failed: the next schema is not asked for (no second timeout).
    assert!(messages(&results[1]).contains("the base failed earlier in this run"), "{}", results[1]);
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    eprintln!("slow base: timed out after {elapsed:.1?} with --timeout 1 (the server waits 8 s)");
}

#[test]
fn an_absolute_schema_url_under_a_base_with_a_local_checkout_is_read_locally() {
    let server = SchemaServer::start(Vec::new());
    let tmp = tempfile::tempdir().unwrap();
    let primary_dir = require_shared("data/schemas/primary");
    let event = |schema: String| json!({"$schema": schema, "meta": {"stream": "s", "dt": "2024-01-01T00:00:00Z"}, "dt": "2024-01-01T00:00:00Z"});
    let file = ndjson(
        tmp.path(),
        "absolute.ndjson",
        &[
            event("https://schema.wikimedia.org/repositories/primary/jsonschema/test/event/1.0.0".into()),
            event(format!("{}/test/event/1.0.0", server.base("primary"))),
        ],
    );
    let a = validate(
        &tmp.path().join("cache"),
        &["--schema-repo", path_str(&primary_dir), "--schema-base-uri", &server.base("primary")],
    )
    .arg(&file)
    .assert()
    .code(0);
    assert_eq!(records(&a).1["valid"], 2);
    assert_eq!(server.hits().len(), 0, "both read from the local checkout");
}

/// The per-check `(pass, fail, skip)` of a `--repo` run's JSON summary.
fn check_counts(assert: &Assert) -> Value {
    stdout_json(assert)["summary"]["checks"].clone()
}

#[test]
fn repo_on_secondary_with_primary_only_remote_passes_with_the_same_counts_as_with_a_local_primary() {
    let server = SchemaServer::start(Vec::new());
    // Real symlinks (the stub form fails S12). Default mode fails exactly R9 on the
    // published `mexLength` & co. (`repo_blind`), whichever primary resolves the `$ref`s.
    let secondary = crate::support::symlinked_schemas().join("secondary");
    let primary = crate::support::symlinked_schemas().join("primary");
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let repo = |args: &[&str]| {
        let mut cmd = epc();
        cmd.env("EPC_CACHE_DIR", &cache)
            .args(["validate", "--format", "json", "--repo", path_str(&secondary)])
            .args(args);
        let started = Instant::now();
        let a = cmd.assert().code(1);
        (check_counts(&a), started.elapsed())
    };
    let (local, local_time) = repo(&["--schema-repo", path_str(&primary)]);
    assert_eq!(server.hits().len(), 0);
    let (remote, remote_time) = repo(&["--schema-base-uri", &server.base("primary")]);
    assert_eq!(remote, local, "the same per-check counts");
    let first = server.take_hits();
    let (counts, max) = per_path(&first);
    assert!(max <= 1, "{counts:?}");
    assert!(!first.is_empty());
    let (again, again_time) = repo(&["--schema-base-uri", &server.base("primary")]);
    assert_eq!(again, local);
    assert_eq!(server.take_hits().len(), 0, "the second run is served by the cache");
    eprintln!(
        "--repo secondary: local primary {local_time:.1?}; remote primary {} requests for {} URLs (max {max} each) \
         {remote_time:.1?}; second run 0 requests {again_time:.1?}",
        first.len(),
        counts.len()
    );
}

#[test]
fn repo_with_a_base_that_cannot_be_reached_is_one_error_and_exit_2() {
    let secondary = require_shared("data/schemas/secondary");
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{closed}/repositories/primary/jsonschema");
    let tmp = tempfile::tempdir().unwrap();
    for offline in [false, true] {
        let mut cmd = epc();
        cmd.env("EPC_CACHE_DIR", tmp.path().join("cache")).args([
            "validate",
            "--repo",
            path_str(&secondary),
            "--schema-base-uri",
            &base,
        ]);
        if offline {
            cmd.arg("--offline");
        }
        let a = cmd.assert().code(2);
        let stderr = stderr_text(&a);
        let errors = error_lines(&stderr);
        assert_eq!(errors.len(), 1, "one error: {stderr}");
        assert!(errors[0].starts_with(&format!("error: schema base {base}/ cannot serve what ")), "{stderr}");
        assert!(errors[0].contains("files of the repository need"), "{stderr}");
        let why = if offline { "nor in the schema cache" } else { "cannot connect" };
        assert!(errors[0].contains(why), "{stderr}");
        let hint = if offline { "hint: run once without --offline" } else { "hint: give a local checkout" };
        assert!(stderr.contains(hint), "{stderr}");
        assert_eq!(a.get_output().stdout.len(), 0, "no report");
    }
}

#[test]
fn serve_validates_against_a_remote_base() {
    let server = SchemaServer::start(Vec::new());
    let gate = serve(["--schema-base-uri", &server.base("primary")]);
    let event = json!({"$schema": "/test/event/1.0.0", "meta": {"stream": "test.event"}, "test": "x"});
    let answer = reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(&gate.url)
        .header("content-type", "application/json")
        .body(json!([event]).to_string())
        .send()
        .unwrap();
    assert_eq!(answer.status().as_u16(), 201, "{:?}", answer.text());
    let hits = server.hits();
    assert_eq!(
        hits.iter().map(|h| h.path.as_str()).collect::<Vec<_>>(),
        ["/repositories/primary/jsonschema/test/event/1.0.0"]
    );
    drop(gate);
}

#[test]
fn a_hundred_thousand_events_make_one_request_per_distinct_schema() {
    let server = SchemaServer::start(Vec::new());
    let tmp = tempfile::tempdir().unwrap();
    let schemas = ["/test/event/0.0.2", "/test/event/0.0.3", "/test/event/1.0.0", "/test/event/latest"];
    let text: String = (0..100_000)
        .map(|i| {
            let e = json!({"$schema": schemas[i % schemas.len()], "n": i,
                "meta": {"stream": "s", "dt": "2024-01-01T00:00:00Z", "id": "0aac0b29-76c1-42a6-a58a-0123456789ab", "domain": "d"}});
            e.to_string() + "\n"
        })
        .collect();
    let file = tmp.path().join("many.ndjson");
    std::fs::write(&file, text).unwrap();
    let started = Instant::now();
    let a = validate(&tmp.path().join("cache"), &["--schema-base-uri", &server.base("primary"), "--jobs", "2"])
        .arg(&file)
        .assert()
        .code(0);
    let elapsed = started.elapsed();
    let (results, summary) = records(&a);
    assert_eq!((results.len(), &summary["valid"]), (100_000, &json!(100_000)));
    let (counts, max) = per_path(&server.hits());
    assert_eq!((counts.len(), max), (schemas.len(), 1), "{counts:?}");
    eprintln!("100000 events over {} schemas: {} requests, {elapsed:.1?}", schemas.len(), counts.len());
}

#[test]
fn send_validates_against_a_remote_base_and_a_dry_run_reads_only_the_cache() {
    let server = SchemaServer::start(Vec::new());
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let gate = crate::support::mock_eventgate();
    let send = |extra: &[&str]| {
        let mut cmd = epc();
        cmd.env("EPC_CACHE_DIR", &cache)
            .current_dir(tmp.path())
            .args(["send", "--format", "ndjson", "--failed-out"])
            .arg(tmp.path().join("failed.ndjson"))
            .args(["--no-stream-config", "--stream", "test.event", "--schema", "/test/event/1.0.0"])
            .args(["--schema-base-uri", &server.base("primary"), "--intake-url", &gate.url])
            .args(["--data", r#"{"meta": {"stream": "test.event"}, "test": "x", "action": "click"}"#])
            .args(extra);
        cmd.assert()
    };
    // A dry run before anything is cached: nothing fetched, and it says what is missing.
    let a = send(&["--dry-run"]).code(1);
    let out = format!("{}{}", crate::support::stdout_text(&a), stderr_text(&a));
    assert!(out.contains("nor in the schema cache"), "{out}");
    assert_eq!(server.take_hits().len(), 0);
    // A real run fetches the schema once, validates and delivers.
    send(&[]).code(0);
    assert_eq!(server.take_hits().len(), 1);
    // Now a dry run validates from the cache.
    send(&["--dry-run"]).code(0);
    assert_eq!(server.take_hits().len(), 0);
    let seen = gate.finish();
    assert_eq!(seen.iter().map(|r| r.accepted.len()).sum::<usize>(), 1);
}
