//! `epc serve`: a local EventGate-compatible intake.
//!
//! Point a client's intake URL at it: every event is validated exactly as
//! `epc validate` does, answered exactly as EventGate answers (see
//! `epc::eventgate`), and stored per stream. The HTTP side is axum's router on
//! hyper's HTTP/1 connections, driven by this module's own accept loop
//! ([`connections`]) so that clients are bounded: header, body and idle
//! timeouts and a connection limit. Validation and file writes run on tokio's
//! blocking pool, a few requests at a time, so the network side never waits on
//! them and memory stays bounded.
//!
//! Each request is decided, then stored, then answered: every event's status
//! is known before anything is written, and if a write fails the answer names
//! the events that were not stored (as `error`s), so a client's retry does not
//! duplicate the others.
//!
//! Storage: with `--output-dir DIR`, accepted events are appended as NDJSON to
//! `DIR/<stream>.ndjson` (the name by [`eventgate::file_safe_stream`]) and
//! rejected ones, with their status, to `DIR/_invalid.ndjson`; each write
//! reaches the operating system before the answer is sent (`--fsync`: the disk
//! too). Without it, one line per event on stdout.
//!
//! Ctrl-C or SIGTERM: no new connections, those without a request in flight
//! are closed, requests in flight get `--shutdown-timeout` to finish, then
//! exit 0; a second signal exits at once (130 or 143). Either way no write is
//! cut off mid-line.

mod connections;

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context as _, Result};
use axum::body::{Body, Bytes, HttpBody as _};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use clap::Args;
use serde_json::{Value, json};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{Notify, Semaphore};

use super::{ExitStatus, StreamConfigArgs, env};
use crate::output::{Format, Printer};
use connections::{Connections, Limits};
use epc::constraint::Constraints;
use epc::eventgate::{self, Answer, EventStatus, Intake, RequestHeaders};
use epc::validate::EventValidator;

/// Arguments of `epc serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on, HOST:PORT (a host name resolves; port 0 picks a free port; the address is printed on stderr).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8192", value_parser = parse_listen)]
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
    /// Most connections open at once; at the limit, the one waiting longest for a request head makes room.
    #[arg(long, value_name = "N", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    max_connections: u32,
    /// Seconds from a request's first byte to its complete head; then the connection is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = super::parse_timeout)]
    header_timeout: f64,
    /// Seconds from a request's head to the end of its body; then 408 and the connection is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, value_parser = super::parse_timeout)]
    body_timeout: f64,
    /// Seconds a keep-alive connection may wait for its next request.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0, value_parser = super::parse_timeout)]
    idle_timeout: f64,
    /// Seconds that requests in flight get to finish after Ctrl-C or SIGTERM; then epc serve exits.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0, value_parser = super::parse_timeout)]
    shutdown_timeout: f64,
}

/// Appends records to per-stream files, one lock for all (writes are small).
/// The lock is also held while printing to stdout, and taken for good on exit,
/// so that no write is cut off mid-line.
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
    body_timeout: Duration,
    /// Requests being parsed, judged and stored at once: a few, as this is CPU
    /// work, and each holds its events in memory several times over.
    judges: Arc<Semaphore>,
    /// Hasty requests still being judged and stored after their 202.
    background: Arc<Background>,
}

/// A count of background tasks, to wait for at shutdown.
#[derive(Default)]
struct Background {
    running: AtomicUsize,
    done: Notify,
}

/// One background task, counted while it lives.
struct BackgroundTask(Arc<Background>);

impl Background {
    fn start(self: &Arc<Self>) -> BackgroundTask {
        self.running.fetch_add(1, Ordering::SeqCst);
        BackgroundTask(Arc::clone(self))
    }

    async fn drained(&self) {
        loop {
            let done = self.done.notified();
            let mut done = std::pin::pin!(done);
            done.as_mut().enable();
            if self.running.load(Ordering::SeqCst) == 0 {
                return;
            }
            done.await;
        }
    }
}

impl Drop for BackgroundTask {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
        self.0.done.notify_waiters();
    }
}

/// How a run of the server ended.
enum Ended {
    /// Every request in flight finished.
    Drained,
    /// The shutdown deadline passed with this many connections still open.
    Deadline(usize),
    /// A second signal: the exit status for it (130 for SIGINT, 143 for SIGTERM).
    Forced(u8),
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
    // As many as cores (2 to 8): a 4 MB batch takes about 80 MiB while it is judged.
    let judges = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 8);
    let state = Arc::new(AppState {
        intake: Intake::new(EventValidator::new(Arc::new(resolver), streams)),
        store: Store { dir: args.output_dir.clone(), fsync: args.fsync, files: Mutex::default() },
        printer: printer.clone(),
        max_body_size: args.max_body_size,
        body_timeout: Duration::from_secs_f64(args.body_timeout),
        judges: Arc::new(Semaphore::new(judges)),
        background: Arc::default(),
    });
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the server runtime")?;
    let ended = runtime.block_on(serve(args, Arc::clone(&state), printer));
    // Whatever still runs (a stalled client, a request past the deadline) is
    // dropped, but a write in progress ends first: the store stays locked from
    // here until the process exits.
    runtime.shutdown_background();
    let files = state.store.files.lock().unwrap_or_else(PoisonError::into_inner);
    std::mem::forget(files);
    match ended? {
        Ended::Drained => printer.note("epc serve: stopped; every answered request was stored"),
        Ended::Deadline(open) => printer.note(format!(
            "epc serve: stopped after --shutdown-timeout with {open} connections still open and not answered; \
             every answered request was stored"
        )),
        Ended::Forced(code) => {
            printer.note("epc serve: stopped at once by a second signal; every answered request was stored");
            return Ok(ExitStatus::Signal(code));
        }
    }
    Ok(ExitStatus::Success)
}

/// SIGINT and SIGTERM, as a stream of exit statuses (130, 143).
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Result<Self> {
        Ok(Self {
            interrupt: signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
            terminate: signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
        })
    }

    async fn next(&mut self) -> u8 {
        tokio::select! {
            _ = self.interrupt.recv() => 130,
            _ = self.terminate.recv() => 143,
        }
    }
}

async fn serve(args: &ServeArgs, state: Arc<AppState>, printer: &Printer) -> Result<Ended> {
    let mut signals = Signals::new()?;
    let app = axum::Router::new()
        .route("/v1/events", any(events))
        // Express routes are not strict: EventGate answers `/v1/events/` too.
        .route("/v1/events/", any(events))
        .route(
            "/healthz",
            get(|| async { cors((StatusCode::OK, axum::Json(json!({"status": "ok"}))).into_response()) }),
        )
        // Outermost, so that answers made before a handler runs (404) carry CORS
        // headers too, and a 413 from anywhere has its problem body.
        .layer(axum::middleware::from_fn(|request: axum::extract::Request, next: axum::middleware::Next| async move {
            let (method, uri) = (request.method().clone(), request.uri().clone());
            cors(with_problem_body(next.run(request).await, &method, &uri))
        }))
        .with_state(Arc::clone(&state));
    let listener = listen(args.listen).with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let limits = Limits {
        max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
        header: Duration::from_secs_f64(args.header_timeout),
        idle: Duration::from_secs_f64(args.idle_timeout),
    };
    let connections = Connections::new(limits);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let on_accept_error = {
        let printer = printer.clone();
        move |e: &std::io::Error| printer.warning(format!("epc serve: cannot accept a connection: {e}"))
    };
    let accepting =
        tokio::spawn(connections::accept_loop(listener, app, Arc::clone(&connections), stopped, on_accept_error));
    // Always printed (also with --quiet): clients and tests need the address.
    eprintln!("epc serve: listening on http://{addr}/v1/events");
    printer.note(format!(
        "Ctrl-C stops after finishing the requests in flight (at most --shutdown-timeout {} s); a second Ctrl-C \
         stops at once",
        args.shutdown_timeout
    ));
    signals.next().await;
    let _ = stop.send(true);
    // The listener is dropped with the accept loop: the port closes now.
    let _ = accepting.await;
    let open = connections.open();
    if open > 0 {
        printer.note(format!(
            "epc serve: stopping; {} still open",
            super::count_of(open as u64, "connection", "connections")
        ));
    }
    let drained = async {
        connections.drained().await;
        state.background.drained().await;
    };
    let deadline = Duration::from_secs_f64(args.shutdown_timeout);
    let ended = tokio::select! {
        () = drained => Ended::Drained,
        () = tokio::time::sleep(deadline) => Ended::Deadline(connections.open()),
        code = signals.next() => Ended::Forced(code),
    };
    if connections.closed_by_limits() > 0 {
        printer.note(format!(
            "epc serve: {} connections were closed by --header-timeout, --idle-timeout or --max-connections",
            connections.closed_by_limits()
        ));
    }
    Ok(ended)
}

/// Parses `--listen`: an IP socket address (`127.0.0.1:8192`, `[::1]:8192`)
/// or `HOST:PORT` with a host name, resolved once (`localhost` is always the
/// IPv4 loopback, 127.0.0.1; other names take their first IPv4 address, else
/// their first address).
fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let example = "give HOST:PORT, e.g. 127.0.0.1:8192, localhost:8192 or [::1]:8192";
    let Some((host, port)) = text.rsplit_once(':') else {
        return Err(format!("`{text}` has no port; {example}"));
    };
    let port: u16 = port.parse().map_err(|_| format!("port `{port}` is not a number from 0 to 65535; {example}"))?;
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    if host.is_empty() {
        return Err(format!("`{text}` has no host; {example}"));
    }
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    if host.eq_ignore_ascii_case("localhost") {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    let addrs: Vec<SocketAddr> = std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
        .map_err(|e| format!("host `{host}` does not resolve ({e}); {example}"))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
        .ok_or_else(|| format!("host `{host}` has no address; {example}"))
}

/// A listening socket with a long backlog, so that a burst of connections waits
/// for the accept loop rather than being refused.
fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
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

/// The body of a request, read within `--body-timeout` of its head and at most
/// `--max-body-size` bytes: into one buffer of the announced size (each piece
/// copied in as it arrives, so a stalled body holds what it sent and no more).
///
/// # Errors
/// 413 over the limit (announced or sent), 408 past the deadline, 400 when the
/// client breaks off; the first two close the connection.
async fn read_body(mut body: Body, headers: &HeaderMap, limit: usize, timeout: Duration) -> Result<Bytes, Answer> {
    let too_large = || Answer::problem(413, "request entity too large: the body is over --max-body-size");
    let announced =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return Err(too_large());
    }
    let mut buffer = Vec::with_capacity(announced.and_then(|n| usize::try_from(n).ok()).unwrap_or(0));
    let read = async {
        while let Some(frame) = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await {
            let frame = frame.map_err(|e| Answer::problem(400, format!("the request body could not be read: {e}")))?;
            if let Ok(data) = frame.into_data() {
                if buffer.len() + data.len() > limit {
                    return Err(too_large());
                }
                buffer.extend_from_slice(&data);
            }
        }
        Ok(())
    };
    match tokio::time::timeout(timeout, read).await {
        Ok(Ok(())) => Ok(Bytes::from(buffer)),
        Ok(Err(answer)) => Err(answer),
        Err(_) => {
            let mut answer = Answer::problem(
                408,
                format!("request timeout: the body did not arrive within --body-timeout ({} s)", timeout.as_secs_f64()),
            );
            if let Some(Value::Object(problem)) = &mut answer.body {
                problem.insert("type".to_owned(), json!("request_timeout"));
                problem.insert("title".to_owned(), json!("Request Timeout"));
            }
            Err(answer)
        }
    }
}

async fn events(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: axum::http::Uri,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    if method == Method::OPTIONS {
        return cors(StatusCode::NO_CONTENT.into_response());
    }
    if method != Method::POST {
        let answer = Answer::problem(405, format!("{method} is not allowed: POST events to /v1/events"));
        return reply(&answer.for_request(method.as_str(), target(&uri)));
    }
    let body = match read_body(body, &headers, state.max_body_size, state.body_timeout).await {
        Ok(body) => body,
        Err(answer) => {
            state.printer.note(format!("POST /v1/events {} {}", answer.status, answer.message));
            let close = answer.status != 400;
            let mut response = reply(&answer.for_request(method.as_str(), target(&uri)));
            if close {
                // The rest of the body is not read: the connection cannot carry another request.
                response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            return response;
        }
    };
    let received = SystemTime::now();
    // Parsing, judging and storing: a few requests at a time (the permit is held until stored).
    let Ok(permit) = Arc::clone(&state.judges).acquire_owned().await else {
        return reply(&Answer { status: 503, message: "epc serve is stopping".to_owned(), body: None });
    };
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
        let task = state.background.start();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _task = task;
            let mut statuses = st.decide(events, &request_headers, received);
            st.store.save(&mut statuses, &st.printer);
        });
        // The answer's message is EventGate's own text, kept as it is; the log line reads right.
        state
            .printer
            .note(format!("POST /v1/events 202 {} hastily received", super::count_of(n as u64, "event", "events")));
        return reply(&Answer { status: 202, message: format!("{n} events hastily received."), body: None });
    }
    let st = Arc::clone(&state);
    let result = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        // Decided, then stored, then answered: the answer names what could not be stored.
        let mut statuses = st.decide(events, &request_headers, received);
        st.store.save(&mut statuses, &st.printer);
        eventgate::answer(&statuses)
    })
    .await;
    let answer = result.unwrap_or_else(|e| Answer { status: 500, message: format!("internal error: {e}"), body: None });
    state.printer.note(format!(
        "POST /v1/events {} {} ({:.1} ms)",
        answer.status,
        answer.message,
        started.elapsed().as_secs_f64() * 1000.0
    ));
    reply(&answer)
}

impl AppState {
    /// Every event's status, before anything is stored: judged by the intake,
    /// and (with `--output-dir`) an accepted event whose stream cannot be a
    /// file name is invalid.
    fn decide(&self, events: Vec<Value>, headers: &RequestHeaders, received: SystemTime) -> Vec<EventStatus> {
        let mut statuses = self.intake.judge(events, headers, received);
        if self.store.dir.is_some() {
            eventgate::refuse_unstorable_streams(&mut statuses);
        }
        statuses
    }
}

/// The `--format ndjson` record of one event the intake decided on:
/// `{"type":"event","outcome":"accepted|invalid|error","stream","schema","event","errors"?,"message"?}`
/// (`outcome` is EventGate's status with `success` named `accepted`;
/// `errors` are EventGate's validation errors, `message` the reason for an `error`).
fn event_record(s: &EventStatus) -> Value {
    let outcome = match s.status {
        "success" => "accepted",
        other => other,
    };
    let mut record = json!({
        "type": "event",
        "outcome": outcome,
        "stream": s.stream,
        "schema": s.event.get("$schema").and_then(Value::as_str),
    });
    if let Some(context) = &s.context {
        if let Some(errors) = context.get("errors") {
            record["errors"] = errors.clone();
        }
        if let Some(message) = context.get("errorsText").or_else(|| context.get("message")) {
            record["message"] = message.clone();
        }
    }
    record["event"] = s.event.clone();
    record
}

/// The lines for one file (name, bytes) and, per line, its status's index and where it ends.
type FileLines = (String, Vec<u8>, Vec<(usize, usize)>);

/// An accepted event that could not be stored becomes an `error`, so that the
/// answer names it (and a retry sends only it).
fn not_stored(status: &mut EventStatus, why: &str) {
    status.status = "error";
    status.context = Some(json!({"message": format!("the event was accepted but could not be stored: {why}")}));
}

impl Store {
    /// Writes every status (to the OS, or the disk with `--fsync`) before
    /// returning. An accepted event whose line was not completely written is
    /// turned into an `error` naming why; a torn last line is cut off again.
    /// A failure to record rejected events is only logged: they were not accepted.
    fn save(&self, statuses: &mut [EventStatus], printer: &Printer) {
        let mut files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        if matches!(printer.format, Format::Json | Format::Ndjson) {
            for s in statuses.iter_mut() {
                // Without --output-dir, stdout is the store: an event it can't take is not stored.
                if let Err(e) = printer.json_line(&event_record(s))
                    && s.status == "success"
                    && self.dir.is_none()
                {
                    not_stored(s, &format!("cannot write to stdout: {e}"));
                }
            }
        }
        let Some(dir) = &self.dir else {
            if matches!(printer.format, Format::Json | Format::Ndjson) {
                return;
            }
            for s in statuses.iter_mut() {
                let stream = s.stream.as_deref().unwrap_or("-");
                let schema = s.event.get("$schema").and_then(Value::as_str).unwrap_or("-");
                let detail = s
                    .context
                    .as_ref()
                    .and_then(|c| c.get("errorsText").or_else(|| c.get("message")))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let line = format!("{:<8} {stream} {schema} {detail}", s.status);
                if let Err(e) = printer.line(line.trim_end())
                    && s.status == "success"
                {
                    not_stored(s, &format!("cannot write to stdout: {e}"));
                }
            }
            return;
        };
        // Accepted events first, per stream file: each line's end, with its status's index.
        let mut by_file: Vec<FileLines> = Vec::new();
        for (i, s) in statuses.iter().enumerate().filter(|(_, s)| s.status == "success") {
            let name = match s.stream.as_deref() {
                None => "_no_stream.ndjson".to_owned(),
                // `decide` refused streams without a file name; this is for safety.
                Some(stream) => match eventgate::stream_file_name(stream) {
                    Ok(name) => name,
                    Err(_) => continue,
                },
            };
            let at = by_file.iter().position(|(n, _, _)| *n == name).unwrap_or_else(|| {
                by_file.push((name, Vec::new(), Vec::new()));
                by_file.len() - 1
            });
            let (_, buf, ends) = &mut by_file[at];
            if serde_json::to_writer(&mut *buf, &s.event).is_ok() {
                buf.push(b'\n');
                ends.push((i, buf.len()));
            }
        }
        for (name, bytes, ends) in by_file {
            let (written, error) = append(&mut files, dir, &name, &bytes, self.fsync);
            if let Some(error) = error {
                let error = format!("{error:#}");
                printer.error(format!("cannot store events: {error}"));
                for (i, _) in ends.iter().filter(|(_, end)| *end > written) {
                    not_stored(&mut statuses[*i], &error);
                }
            }
        }
        // Then the rejected ones, and those that could not be stored, with their status.
        let mut rejected = Vec::new();
        for s in statuses.iter().filter(|s| s.status != "success") {
            if serde_json::to_writer(&mut rejected, &s.to_json()).is_ok() {
                rejected.push(b'\n');
            }
        }
        if !rejected.is_empty()
            && let (_, Some(error)) = append(&mut files, dir, "_invalid.ndjson", &rejected, self.fsync)
        {
            printer.error(format!("cannot record rejected events: {error:#}"));
        }
    }
}

/// Appends `bytes` (whole lines) to the file `name`, opened once and kept:
/// returns how many bytes are stored, and the error that stopped it. A line
/// cut off by the error is removed from the file again; with `fsync`, a failed
/// sync stores nothing of `bytes`.
fn append(
    files: &mut HashMap<String, File>,
    dir: &std::path::Path,
    name: &str,
    bytes: &[u8],
    fsync: bool,
) -> (usize, Option<anyhow::Error>) {
    let path = &dir.join(name);
    let file = match files.entry(name.to_owned()) {
        std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
        std::collections::hash_map::Entry::Vacant(v) => match OpenOptions::new().create(true).append(true).open(path) {
            Ok(f) => v.insert(f),
            Err(e) => return (0, Some(anyhow::Error::new(e).context(format!("cannot open {}", path.display())))),
        },
    };
    let mut written = 0;
    while written < bytes.len() {
        match file.write(&bytes[written..]) {
            Ok(0) => {
                let e = std::io::Error::from(std::io::ErrorKind::WriteZero);
                return cut_back(file, path, bytes, written, e.into());
            }
            Ok(n) => written += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return cut_back(file, path, bytes, written, e.into()),
        }
    }
    if fsync && let Err(e) = file.sync_data() {
        return (0, Some(anyhow::Error::new(e).context(format!("cannot sync {}", path.display()))));
    }
    (written, None)
}

/// After a failed write of `bytes` of which `written` reached the file: removes
/// the part of a line that did, so the file ends in a whole line.
fn cut_back(
    file: &File,
    path: &std::path::Path,
    bytes: &[u8],
    written: usize,
    error: anyhow::Error,
) -> (usize, Option<anyhow::Error>) {
    let whole = bytes[..written].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let error = error.context(format!("cannot write {}", path.display()));
    if whole < written
        && let Ok(meta) = file.metadata()
    {
        let torn = u64::try_from(written - whole).unwrap_or(0);
        let _ = file.set_len(meta.len().saturating_sub(torn));
    }
    (whole, Some(error))
}
