//! `epc serve`: a local EventGate-compatible intake.
//!
//! Point a client's intake URL at it: every event is validated exactly as
//! `epc validate` does, answered exactly as EventGate answers (see
//! `epc::eventgate`), and stored per stream. The HTTP stack is axum on tokio,
//! the same tokio that reqwest already brings: it reads bodies with a size
//! limit, survives slow and vanishing clients, serves many connections at once
//! and shuts down gracefully, finishing in-flight requests. Validation and file
//! writes run on tokio's blocking pool, so the network side never waits on them.
//!
//! Storage: with `--output-dir DIR`, accepted events are appended as NDJSON to
//! `DIR/<stream>.ndjson` and rejected ones, with their status, to
//! `DIR/_invalid.ndjson`; each write reaches the operating system before the
//! answer is sent (`--fsync`: the disk too). Without it, one line per event on stdout.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use anyhow::{Context as _, Result};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use clap::Args;
use serde_json::{Value, json};

use super::{ExitStatus, StreamConfigArgs, env};
use crate::output::Printer;
use epc::constraint::Constraints;
use epc::eventgate::{self, Answer, EventStatus, Intake, RequestHeaders};
use epc::validate::EventValidator;

/// Arguments of `epc serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the address is printed on stderr).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8192")]
    listen: SocketAddr,
    /// Schema repository folders (repeatable, searched in order).
    #[arg(long = "schema-repo", value_name = "DIR", env = env::EPC_SCHEMA_REPOS, value_delimiter = ':')]
    schema_repos: Vec<PathBuf>,
    /// Further schema base URIs (repeatable). With neither, schemas come from schema.wikimedia.org's
    /// primary and secondary repositories.
    #[arg(long = "schema-base-uri", value_name = "URI")]
    schema_base_uris: Vec<String>,
    /// Stream config: each event's stream must be configured with its schema's title.
    #[arg(long, value_name = "PATH|URL|-")]
    stream_config: Option<String>,
    /// Make no network request: remote schemas (and stream config) come from the cache only.
    #[arg(long)]
    offline: bool,
    /// Timeout for each request (remote schemas, stream config), in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, value_parser = super::parse_timeout)]
    timeout: f64,
    /// Store events as NDJSON per stream in this folder (default: a line per event on stdout).
    #[arg(long, value_name = "DIR")]
    output_dir: Option<PathBuf>,
    /// Largest request body in bytes (EventGate's example config: 4 MB); larger ones get 413.
    #[arg(long, value_name = "BYTES", default_value_t = 4 * 1024 * 1024)]
    max_body_size: usize,
    /// Sync every write to disk before answering (slower; default: written to the OS).
    #[arg(long, requires = "output_dir")]
    fsync: bool,
}

/// Appends records to per-stream files, one lock for all (writes are small).
struct Store {
    dir: Option<PathBuf>,
    fsync: bool,
    files: Mutex<HashMap<String, File>>,
}

struct AppState {
    intake: Intake,
    store: Store,
    printer: Printer,
    max_body_size: usize,
}

pub(crate) fn run(args: &ServeArgs, printer: &Printer) -> Result<ExitStatus> {
    let sources = super::schema_sources(&args.schema_repos, &args.schema_base_uris, args.offline, args.timeout)?;
    let resolver = super::schema_resolver(sources, printer)?;
    let streams = match &args.stream_config {
        None => None,
        Some(src) => {
            let a = StreamConfigArgs { stream_config: src.clone(), offline: args.offline, timeout: args.timeout };
            Some(a.load(printer, &[], &Constraints::default())?.configs)
        }
    };
    if let Some(configs) = &streams {
        // The stream config lint, as `epc streams` shows it: a warning per finding (at most 20).
        let findings: Vec<String> = configs
            .iter()
            .flat_map(|c| {
                let key = c.key().to_owned();
                c.problems()
                    .into_iter()
                    .chain(c.warnings())
                    .map(move |p| format!("stream `{key}`: `{}` {}", p.field, p.message))
            })
            .collect();
        for finding in findings.iter().take(20) {
            printer.warning(finding);
        }
        if findings.len() > 20 {
            printer
                .warning(format!("{} more stream config findings: `epc streams` lists them all", findings.len() - 20));
        }
    }
    if let Some(dir) = &args.output_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create the output folder {}", dir.display()))?;
    }
    let state = Arc::new(AppState {
        intake: Intake::new(EventValidator::new(Arc::new(resolver), streams)),
        store: Store { dir: args.output_dir.clone(), fsync: args.fsync, files: Mutex::default() },
        printer: printer.clone(),
        max_body_size: args.max_body_size,
    });
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the server runtime")?;
    runtime.block_on(serve(args, state, printer))?;
    Ok(ExitStatus::Success)
}

async fn serve(args: &ServeArgs, state: Arc<AppState>, printer: &Printer) -> Result<()> {
    let app = axum::Router::new()
        .route("/v1/events", any(events))
        // Express routes are not strict: EventGate answers `/v1/events/` too.
        .route("/v1/events/", any(events))
        .route(
            "/healthz",
            get(|| async { cors((StatusCode::OK, axum::Json(json!({"status": "ok"}))).into_response()) }),
        )
        .layer(DefaultBodyLimit::max(args.max_body_size))
        // Outermost, so that answers made before a handler runs (413 for a body
        // over the limit, 404) carry CORS headers too: a page on another origin
        // sees the 413, not an opaque network error.
        .layer(axum::middleware::from_fn(|request: axum::extract::Request, next: axum::middleware::Next| async move {
            let (method, uri) = (request.method().clone(), request.uri().clone());
            cors(with_problem_body(next.run(request).await, &method, &uri))
        }))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    // Always printed (also with --quiet): clients and tests need the address.
    eprintln!("epc serve: listening on http://{addr}/v1/events");
    printer.note("Ctrl-C stops after finishing the requests in flight");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("the server stopped")?;
    printer.note("epc serve: stopped; every answered request was stored");
    Ok(())
}

/// EventGate's CORS headers (its `app.js`), on every answer.
fn cors(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST, OPTIONS"));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(CORS_ALLOW_HEADERS));
    h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("etag"));
    response
}

/// Plain bodies up to this size are parsed on the async worker; larger or
/// compressed ones on the blocking pool.
const INLINE_PARSE_BYTES: usize = 64 * 1024;

/// The request headers a page may send (EventGate's list).
const CORS_ALLOW_HEADERS: &str = "accept, x-requested-with, content-type";

fn reply(answer: &Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = match &answer.body {
        Some(body) => (status, axum::Json(body.clone())).into_response(),
        None => status.into_response(),
    };
    // EventGate's status message as the HTTP/1 reason phrase (`201 All 1 out of 1
    // events were accepted.`); only visible ASCII and spaces can go there.
    let phrase: String =
        answer.message.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { ' ' }).take(512).collect();
    if let Ok(reason) = hyper::ext::ReasonPhrase::try_from(phrase) {
        response.extensions_mut().insert(reason);
    }
    if answer.status >= 400
        && let Ok(v) = HeaderValue::from_str(&answer.message.replace(['\r', '\n'], " "))
    {
        response.headers_mut().insert("x-epc-message", v);
    }
    cors(response)
}

/// The request target as EventGate's error bodies give it (`req.url`: path and query).
fn target(uri: &axum::http::Uri) -> &str {
    uri.path_and_query().map_or("/", axum::http::uri::PathAndQuery::as_str)
}

/// A 413 made by the body limit before any handler runs gets the JSON problem body too.
fn with_problem_body(response: Response, method: &Method, uri: &axum::http::Uri) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_json {
        let answer = Answer::problem(413, "request entity too large: the body is over --max-body-size");
        return reply(&answer.for_request(method.as_str(), target(uri)));
    }
    response
}

/// The request headers, for enrichment (`enrich_fields_from_http_headers`),
/// with an `x-request-id` made up when none was sent, as EventGate does.
fn request_headers(headers: &HeaderMap) -> RequestHeaders {
    let mut out = RequestHeaders::new();
    for (name, value) in headers {
        // Node reads header bytes as latin1: a UTF-8 user agent arrives as its bytes' characters.
        let v: String = match value.to_str() {
            Ok(v) => v.to_owned(),
            Err(_) => value.as_bytes().iter().map(|&b| char::from(b)).collect(),
        };
        out.insert(name.as_str(), v);
    }
    out.ensure_request_id();
    out
}

async fn events(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: axum::http::Uri,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    if method == Method::OPTIONS {
        return cors(StatusCode::NO_CONTENT.into_response());
    }
    if method != Method::POST {
        let answer = Answer::problem(405, format!("{method} is not allowed: POST events to /v1/events"));
        return reply(&answer.for_request(method.as_str(), target(&uri)));
    }
    let received = SystemTime::now();
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let parsed = if !body.is_empty() && !eventgate::readable_content_type(content_type) {
        // EventGate reads no body of another type, and then finds it empty.
        Err(Answer::problem(
            400,
            format!(
                "Request body was empty. Must provide JSON encoded events. (Content-Type {} is not \
                 application/json, text/plain or application/reports+json, so the body is not read)",
                content_type.map_or_else(|| "(none)".to_owned(), |c| format!("`{c}`"))
            ),
        ))
    } else {
        let encoding = headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let limit = state.max_body_size;
        if encoding.is_none() && body.len() <= INLINE_PARSE_BYTES {
            // A small plain body parses in microseconds: no hop to the blocking pool.
            eventgate::parse_body(&body)
        } else {
            // Inflating and parsing up to --max-body-size is CPU work: off the async workers.
            let body = body.clone();
            tokio::task::spawn_blocking(move || {
                eventgate::inflate_body(&body, encoding.as_deref(), limit).and_then(|b| eventgate::parse_body(&b))
            })
            .await
            .unwrap_or_else(|e| Err(Answer { status: 500, message: format!("internal error: {e}"), body: None }))
        }
    };
    let events = match parsed {
        Ok(e) => e,
        Err(answer) => {
            state.printer.note(format!("POST /v1/events {} {}", answer.status, answer.message));
            return reply(&answer.for_request(method.as_str(), target(&uri)));
        }
    };
    let request_headers = request_headers(&headers);
    let n = events.len();
    if eventgate::is_hasty(query.get("hasty").map(String::as_str)) {
        let st = Arc::clone(&state);
        tokio::task::spawn_blocking(move || {
            let statuses = st.intake.judge(events, &request_headers, received);
            if let Err(e) = st.store.save(&statuses, &st.printer) {
                st.printer.error(format!("cannot store events: {e:#}"));
            }
        });
        state.printer.note(format!("POST /v1/events 202 {n} events hastily received"));
        return reply(&Answer { status: 202, message: format!("{n} events hastily received."), body: None });
    }
    let st = Arc::clone(&state);
    let result = tokio::task::spawn_blocking(move || {
        let statuses = st.intake.judge(events, &request_headers, received);
        st.store.save(&statuses, &st.printer).map(|()| eventgate::answer(&statuses))
    })
    .await;
    let answer = match result {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => {
            state.printer.error(format!("cannot store events: {e:#}"));
            Answer {
                status: 500,
                message: format!("events could not be stored: {e}"),
                body: Some(json!({"error": format!("{e:#}")})),
            }
        }
        Err(e) => Answer { status: 500, message: format!("internal error: {e}"), body: None },
    };
    state.printer.note(format!(
        "POST /v1/events {} {} ({:.1} ms)",
        answer.status,
        answer.message,
        started.elapsed().as_secs_f64() * 1000.0
    ));
    reply(&answer)
}

impl Store {
    /// Writes every status durably (to the OS, or the disk with `--fsync`) before returning.
    fn save(&self, statuses: &[EventStatus], printer: &Printer) -> Result<()> {
        let Some(dir) = &self.dir else {
            for s in statuses {
                let stream = s.stream.as_deref().unwrap_or("-");
                let schema = s.event.get("$schema").and_then(Value::as_str).unwrap_or("-");
                let detail = s
                    .context
                    .as_ref()
                    .and_then(|c| c.get("errorsText").or_else(|| c.get("message")))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let line = format!("{:<8} {stream} {schema} {detail}", s.status);
                printer.line(line.trim_end()).context("cannot write to stdout")?;
            }
            return Ok(());
        };
        let mut by_file: HashMap<String, Vec<u8>> = HashMap::new();
        for s in statuses {
            let (name, record) = if s.status == "success" {
                let stream = s.stream.as_deref().map_or_else(|| "_no_stream".to_owned(), eventgate::file_safe_stream);
                (format!("{stream}.ndjson"), s.event.clone())
            } else {
                ("_invalid.ndjson".to_owned(), s.to_json())
            };
            let buf = by_file.entry(name).or_default();
            serde_json::to_writer(&mut *buf, &record)?;
            buf.push(b'\n');
        }
        let mut files = self.files.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (name, bytes) in by_file {
            let file = match files.entry(name.clone()) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    let path = dir.join(&name);
                    let f = OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&path)
                        .with_context(|| format!("cannot open {}", path.display()))?;
                    v.insert(f)
                }
            };
            file.write_all(&bytes).with_context(|| format!("cannot write {}", dir.join(&name).display()))?;
            if self.fsync {
                file.sync_data().with_context(|| format!("cannot sync {}", dir.join(&name).display()))?;
            }
        }
        Ok(())
    }
}
