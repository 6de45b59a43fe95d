//! EventGate's handling of `POST /v1/events`, as values: how a body becomes
//! events, how each event is judged, and which status and body answer the
//! request. `epc serve` puts HTTP around this; `epc send` reads the same shapes.
//!
//! The contract (epc-spec.md §6.2, schema-repos.md §5.3):
//! - an empty body is 400 "Request body was empty. Must provide JSON encoded events.";
//! - a body is one event or an array of events (a non-array is wrapped);
//! - each event is `success`, `invalid` (it fails its schema, or its stream
//!   check) or `error` (no `$schema`, a schema that cannot be loaded);
//! - all succeed: 201, no body; all invalid: 400 `{"invalid": [...]}`; some
//!   succeed: 207 `{"invalid": [...], "error": [...]}`; none succeeds and at
//!   least one is an error: 500 `{"invalid": [...], "error": [...]}`;
//! - an `EventStatus` is `{"status", "event", "context"}`; for invalid events the
//!   context holds `errors` (ajv-style: `keyword`, `dataPath`, `instancePath`,
//!   `schemaPath`, `message`) and `errorsText` (`'<dataPath>' <message>` joined
//!   by `, `), as EventGate's serialized ValidationError; for errors it holds
//!   only `message`.
//!
//! Accepted events get what the WMF deployment fills in when absent
//! (schema-repos.md §5.4): `meta.dt` (receive time) and `meta.id` (a UUID).

use std::time::SystemTime;

use serde_json::{Map, Value, json};

use crate::stream::StreamConfig;
use crate::validate::defaults::Declared;
use crate::validate::{CompiledSchema, EventValidator, Outcome, TextCheck, Violation};

/// The judgement on one event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventStatus {
    /// `success`, `invalid` or `error`.
    pub status: &'static str,
    /// The event (for accepted events, with `meta.dt` and `meta.id` filled).
    pub event: Value,
    /// The EventStatus context (absent for successes).
    pub context: Option<Value>,
    /// The event's stream (`meta.stream`), when it has one.
    pub stream: Option<String>,
}

impl EventStatus {
    /// The EventStatus JSON EventGate writes in 207/400/500 bodies.
    #[must_use]
    pub fn to_json(&self) -> Value {
        json!({"status": self.status, "event": self.event, "context": self.context})
    }
}

/// The answer to a request: status, reason phrase and JSON body (if any).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// A one-line description (EventGate's status message).
    pub message: String,
    /// The JSON body, when there is one.
    pub body: Option<Value>,
}

/// The JSON body of an answer that is not about events (400 for a body that
/// cannot be read, 405, 413, 415): the problem named, in the shape of the HTTP
/// errors EventGate's service template writes (`status`, `type`, `title`,
/// `detail`, `method`, `uri`), for `POST /v1/events` until
/// [`Answer::for_request`] names the actual request.
#[must_use]
pub fn problem_body(status: u16, detail: &str) -> Value {
    let (kind, title) = match status {
        400 => ("bad_request", "Bad Request"),
        405 => ("method_not_allowed", "Method Not Allowed"),
        413 => ("entity_too_large", "Payload Too Large"),
        415 => ("unsupported_encoding", "Unsupported Media Type"),
        _ => ("error", "Error"),
    };
    json!({"status": status, "type": kind, "title": title, "detail": detail, "method": "POST", "uri": "/v1/events"})
}

impl Answer {
    /// A 4xx answer about the request itself, its message also as a JSON body.
    #[must_use]
    pub fn problem(status: u16, message: impl Into<String>) -> Self {
        let message = message.into();
        let body = problem_body(status, &message);
        Self { status, message, body: Some(body) }
    }

    /// A problem answer naming the request it answers, as EventGate's error
    /// handler does: `method` is the request method as sent (`POST`), `uri`
    /// the request target, query string included (`/v1/events?hasty=true`).
    /// Other answers are returned as they are.
    #[must_use]
    pub fn for_request(mut self, method: &str, uri: &str) -> Self {
        if let Some(Value::Object(body)) = &mut self.body
            && body.contains_key("detail")
        {
            body.insert("method".to_owned(), Value::String(method.to_owned()));
            body.insert("uri".to_owned(), Value::String(uri.to_owned()));
        }
        self
    }
}

/// Whether EventGate reads a body of this Content-Type: `application/json`,
/// `text/plain` (so that `navigator.sendBeacon` works, case 31) and
/// `application/reports+json`, parameters such as `charset` ignored.
#[must_use]
pub fn readable_content_type(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return false };
    let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    matches!(mime.as_str(), "application/json" | "text/plain" | "application/reports+json")
}

/// Inflates a request body per its `Content-Encoding`, as EventGate's body
/// parser does: none or `identity` as is, `gzip` and `deflate` (zlib) inflated;
/// `limit` bounds the *inflated* size, so a small compression bomb is refused.
///
/// # Errors
/// 415 naming an encoding other than these three; 413 when the inflated body
/// is over `limit` bytes; 400 when the compressed data is corrupt.
pub fn inflate_body<'a>(
    body: &'a [u8],
    content_encoding: Option<&str>,
    limit: usize,
) -> Result<std::borrow::Cow<'a, [u8]>, Answer> {
    use std::io::Read as _;
    if body.is_empty() {
        // No body, nothing to inflate: the empty-body answer follows (as EventGate's parser skips it).
        return Ok(std::borrow::Cow::Borrowed(body));
    }
    let encoding = content_encoding.map(|e| e.trim().to_ascii_lowercase()).unwrap_or_default();
    let mut reader: Box<dyn std::io::Read + 'a> = match encoding.as_str() {
        "" | "identity" => return Ok(std::borrow::Cow::Borrowed(body)),
        // Node's gunzip reads concatenated gzip members, as gzip(1) does.
        "gzip" => Box::new(flate2::read::MultiGzDecoder::new(body)),
        "deflate" => Box::new(flate2::read::ZlibDecoder::new(body)),
        other => return Err(Answer::problem(415, format!("unsupported content encoding \"{other}\""))),
    };
    let mut out = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    (&mut reader)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| Answer::problem(400, format!("the {encoding} request body cannot be inflated: {e}")))?;
    if out.len() > limit {
        return Err(Answer::problem(
            413,
            format!("request entity too large: the {encoding} body inflates to more than {limit} bytes"),
        ));
    }
    Ok(std::borrow::Cow::Owned(out))
}

/// Reads a request body into events.
///
/// # Errors
/// The 400 [`Answer`] for an empty body or one that is not JSON (a
/// duplicate key counts: EventGate would silently keep the last value).
pub fn parse_body(body: &[u8]) -> Result<Vec<Value>, Answer> {
    let empty = || Answer {
        status: 400,
        message: "Request body was empty. Must provide JSON encoded events.".to_owned(),
        body: Some(problem_body(400, "Request body was empty. Must provide JSON encoded events.")),
    };
    let text =
        std::str::from_utf8(body).map_err(|e| Answer::problem(400, format!("Request body is not UTF-8: {e}")))?;
    if text.trim().is_empty() {
        return Err(empty());
    }
    let value = crate::schema::yaml::parse_json_str(text, "request body")
        .map_err(|e| Answer::problem(400, format!("Request body was not valid JSON: {e}")))?;
    match value {
        Value::Array(events) if events.is_empty() => Err(empty()),
        Value::Array(events) => Ok(events),
        Value::Object(ref m) if m.is_empty() => Err(empty()),
        other => Ok(vec![other]),
    }
}

/// HTTP request headers as the intake reads them: names compared
/// case-insensitively (stored lower-case), the first value of a name kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestHeaders {
    headers: Vec<(String, String)>,
    /// With [`RequestHeaders::ensure_request_id`]: the id made for a request
    /// without one, on first use (most requests need none).
    made_request_id: Option<std::sync::OnceLock<String>>,
}

impl RequestHeaders {
    /// No headers.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a header (a name already present keeps its first value).
    pub fn insert(&mut self, name: &str, value: impl Into<String>) {
        let name = name.to_ascii_lowercase();
        if !self.headers.iter().any(|(n, _)| *n == name) {
            self.headers.push((name, value.into()));
        }
    }

    /// Gives the request an `x-request-id` (a fresh UUID v4) when it has none
    /// or an empty one. EventGate's service template does this for every
    /// request before any route runs (`req.headers['x-request-id'] ||
    /// uuidv1()`, lib/util.js `initAndLogRequest`), so enrichment of
    /// `meta.request_id` from `x-request-id` always finds a value there.
    pub fn ensure_request_id(&mut self) {
        self.made_request_id = Some(std::sync::OnceLock::new());
    }

    /// The value of a header, by case-insensitive name.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        let sent = self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
        match (&self.made_request_id, sent) {
            (Some(made), None | Some("")) if name.eq_ignore_ascii_case("x-request-id") => {
                Some(made.get_or_init(|| uuid::Uuid::new_v4().to_string()).as_str())
            }
            _ => sent,
        }
    }
}

/// The stream config block that maps event fields to request headers:
/// `producers.eventgate.enrich_fields_from_http_headers`, `{"meta.request_id":
/// "x-request-id", "http.request_headers.user-agent": "user-agent"}`. A header
/// name of `false` switches a field off (production's user-agent opt-out).
/// Returns `(dotted field path, header name)` pairs in config order.
#[must_use]
pub fn enrichment_fields(config: &StreamConfig) -> Vec<(&str, &str)> {
    config
        .get_path("producers.eventgate.enrich_fields_from_http_headers")
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(field, header)| Some((field.as_str(), header.as_str()?))).collect())
        .unwrap_or_default()
}

/// The JSON pointer of a dotted field path (`http.request_headers.user-agent`
/// is `/http/request_headers/user-agent`).
fn dotted_pointer(field: &str) -> String {
    format!("/{}", field.replace('~', "~0").replace('/', "~1").replace('.', "/"))
}

/// The longest header value eventgate-wikimedia copies into an event, in UTF-16 code units.
pub const MAX_HEADER_LENGTH: usize = 400;

/// `text` cut to at most `max` UTF-16 code units (JavaScript's `slice`), never inside a character.
fn truncate_utf16(text: &str, max: usize) -> String {
    let mut units = 0;
    let mut out = String::new();
    for c in text.chars() {
        units += c.len_utf16();
        if units > max {
            break;
        }
        out.push(c);
    }
    out
}

/// Sets `value` at a dotted path (`http.request_headers.user-agent`: the
/// first dot splits `http` from the rest, and so on) only when the field is
/// absent, creating objects on the way as lodash `_.set` does (eventgate-wikimedia
/// uses it): a non-object in the way is replaced by an object; `false` when the
/// field is already there or an array stands in the way.
fn fill_path(event: &mut Map<String, Value>, path: &str, value: impl FnOnce() -> Value) -> bool {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    match rest {
        None => {
            if event.contains_key(head) {
                false
            } else {
                event.insert(head.to_owned(), value());
                true
            }
        }
        Some(rest) => {
            let slot = event.entry(head.to_owned()).or_insert_with(|| Value::Object(Map::new()));
            // lodash `_.set` replaces a non-object on the way (`null`, a string) with
            // an object; an array it keeps, and a named key on it never reaches the JSON.
            if !slot.is_object() && !slot.is_array() {
                *slot = Value::Object(Map::new());
            }
            match slot {
                Value::Object(inner) => fill_path(inner, rest, value),
                _ => false,
            }
        }
    }
}

/// The intake as Wikimedia's production deployment (eventgate-wikimedia) runs
/// it, on one validator (decisions.md, "The intake"). For each event, in order:
/// 1. defaults: `meta.dt` = the receive time (`YYYY-MM-DDTHH:MM:SS.sssZ`) and
///    `meta.id` = a fresh UUID, each only when absent;
/// 2. enrichment: each field of the stream's
///    `producers.eventgate.enrich_fields_from_http_headers` gets its header's
///    value, when the header was sent and the field is absent;
/// 3. the schema's `default`s, as ajv 6 `useDefaults` assigns them while it
///    validates (before `required` is checked: [`crate::validate::defaults`]);
/// 4. the stream check and schema validation ([`EventValidator::validate`]).
///
/// Steps 1–3 are [`Intake::fill`]: `epc send` runs them on a scratch copy to
/// check what the intake will check, and sends the event as a client does.
#[derive(Debug)]
pub struct Intake {
    validator: EventValidator,
}

impl Intake {
    /// An intake validating with `validator` (with stream config, events'
    /// streams are checked and enriched from headers).
    #[must_use]
    pub fn new(validator: EventValidator) -> Self {
        Self { validator }
    }

    /// The validator.
    #[must_use]
    pub fn validator(&self) -> &EventValidator {
        &self.validator
    }

    /// Whether [`Intake::fill`] would leave the event of a [`TextCheck`]
    /// unchanged with `headers`: it is an object, already has the `meta.dt`,
    /// `meta.id` and legacy `dt` its schema declares, its stream has no
    /// header enrichment that applies, and its schema has no `default`s
    /// (`false` whenever that cannot be told from what the check read).
    #[must_use]
    pub fn fills_nothing(&self, check: &TextCheck<'_, '_>, headers: &RequestHeaders) -> bool {
        let probe = &check.probe;
        if !probe.object || check.schema.has_defaults() {
            return false;
        }
        let has_meta = |key: &str| probe.meta_object && probe.meta_keys.iter().any(|k| k == key);
        let [meta_dt, meta_id, legacy_dt] = check.schema.fills_meta();
        if (meta_dt && !has_meta("dt"))
            || (meta_id && !has_meta("id"))
            || (legacy_dt && !probe.keys.iter().any(|k| k == "dt"))
        {
            return false;
        }
        let config = probe.stream.as_deref().and_then(|s| self.validator.streams()?.resolve(s)).map(|r| r.config);
        if let Some(config) = config {
            for (field, header) in enrichment_fields(config) {
                if headers.get(header).is_some_and(|h| !h.is_empty())
                    && matches!(check.schema.declares(field), Declared::Field | Declared::Parent)
                {
                    return false;
                }
            }
        }
        true
    }

    /// The JSON pointers of every field the intake would fill in `event` were
    /// it absent (steps 1–3 of [`Intake::fill`], for the event's schema and
    /// stream): `meta.dt`, `meta.id` and the legacy `dt` where the schema
    /// declares them, the stream's enrichment fields the schema can hold, and
    /// the schema's defaults. Remove these from a stored event and the intake
    /// puts them back: the client-shaped event. Empty when the schema cannot be
    /// resolved.
    #[must_use]
    pub fn fillable(&self, event: &Value) -> Vec<String> {
        let Some(schema) = self.validator.schema_of(event) else { return Vec::new() };
        let mut out = Vec::new();
        for (path, pointer) in [("meta.dt", "/meta/dt"), ("meta.id", "/meta/id")] {
            if schema.declares(path) == Declared::Field {
                out.push(pointer.to_owned());
            }
        }
        if schema.title().is_some_and(|t| t.starts_with("analytics/legacy/"))
            && schema.declares("dt") == Declared::Field
        {
            out.push("/dt".to_owned());
        }
        let stream = event.pointer("/meta/stream").and_then(Value::as_str);
        if let Some(config) = stream.and_then(|s| self.validator.streams()?.resolve(s)).map(|r| r.config) {
            for (field, _) in enrichment_fields(config) {
                if matches!(schema.declares(field), Declared::Field | Declared::Parent) {
                    out.push(dotted_pointer(field));
                }
            }
        }
        out.extend(schema.default_pointers());
        out
    }

    /// Steps 1–3 on one event (an object; anything else is left alone):
    /// returns the JSON pointers of what was filled, in order. As
    /// eventgate-wikimedia does, a field is filled only when the event's
    /// schema declares it (`meta.dt`, `meta.id`; for header enrichment, the
    /// field or its parent as `type: object`, so `http.request_headers` maps
    /// take any header), never over a value already there (`null` included),
    /// and a header value is cut to 400 UTF-16 code units. A legacy
    /// EventLogging event (schema title `analytics/legacy/…`) also gets `dt`.
    pub fn fill(&self, event: &mut Value, headers: &RequestHeaders, received_dt: &str) -> Vec<String> {
        self.fill_recording(event, headers, received_dt, true)
    }

    /// [`Intake::fill`], naming what was filled only when `record` (the hot path of
    /// [`Intake::judge`] does not need the pointers).
    fn fill_recording(
        &self,
        event: &mut Value,
        headers: &RequestHeaders,
        received_dt: &str,
        record: bool,
    ) -> Vec<String> {
        if !event.is_object() {
            return Vec::new();
        }
        let Some(schema) = self.validator.schema_of(event) else {
            // No schema to ask: validation reports why; nothing is filled.
            return Vec::new();
        };
        self.fill_with(&schema, event, headers, received_dt, record)
    }

    /// [`Intake::fill`] with the event's schema known.
    fn fill_with(
        &self,
        schema: &CompiledSchema<'_>,
        event: &mut Value,
        headers: &RequestHeaders,
        received_dt: &str,
        record: bool,
    ) -> Vec<String> {
        let mut filled = Vec::new();
        let v = &self.validator;
        let mut fills: Vec<(&str, Value)> = Vec::new();
        let [meta_dt, meta_id, legacy_dt] = schema.fills_meta();
        if meta_dt {
            fills.push(("meta.dt", Value::String(received_dt.to_owned())));
        }
        if meta_id {
            fills.push(("meta.id", Value::String(uuid::Uuid::new_v4().to_string())));
        }
        if legacy_dt {
            fills.push(("dt", Value::String(received_dt.to_owned())));
        }
        let stream = event.pointer("/meta/stream").and_then(Value::as_str).map(str::to_owned);
        if let Some(config) = stream.as_deref().and_then(|s| v.streams()?.resolve(s)).map(|r| r.config) {
            for (field, header) in enrichment_fields(config) {
                let Some(value) = headers.get(header).filter(|h| !h.is_empty()) else { continue };
                if matches!(schema.declares(field), Declared::Field | Declared::Parent) {
                    fills.push((field, Value::String(truncate_utf16(value, MAX_HEADER_LENGTH))));
                }
            }
        }
        if let Value::Object(map) = event {
            for (field, value) in fills {
                if fill_path(map, field, || value) && record {
                    filled.push(dotted_pointer(field));
                }
            }
        }
        filled.extend(schema.apply_defaults(event));
        filled
    }

    /// Judges every event of a request (steps 1–4), in order.
    #[must_use]
    pub fn judge(&self, events: Vec<Value>, headers: &RequestHeaders, received: SystemTime) -> Vec<EventStatus> {
        let dt = crate::event::format_dt(received);
        events
            .into_iter()
            .map(|mut event| {
                if !event.is_object() {
                    return status_for(&self.validator, event);
                }
                match self.validator.schema_of(&event) {
                    Some(schema) => {
                        self.fill_with(&schema, &mut event, headers, &dt, false);
                        let report = schema.validate(&event);
                        status_from(report, event)
                    }
                    None => status_for(&self.validator, event),
                }
            })
            .collect()
    }
}

/// The status of one event after the intake's fills.
fn status_for(validator: &EventValidator, event: Value) -> EventStatus {
    let report = validator.validate(&event);
    status_from(report, event)
}

/// The status of one event from its validation report.
fn status_from(report: crate::validate::EventReport, event: Value) -> EventStatus {
    let stream = report.stream.clone();
    match report.outcome {
        Outcome::Valid => EventStatus { status: "success", event, context: None, stream },
        Outcome::Invalid => {
            let errors: Vec<Value> = report.violations.iter().map(ajv_error).collect();
            let text = report
                .violations
                .iter()
                .map(|v| format!("'{}' {}", data_path(&v.instance_path), v.message))
                .collect::<Vec<_>>()
                .join(", ");
            // EventGate's ValidationError context: `errors` and `errorsText` only.
            let context = json!({"errors": errors, "errorsText": text});
            EventStatus { status: "invalid", event, context: Some(context), stream }
        }
        Outcome::Unresolved => {
            let message = report.violations.first().map_or_else(String::new, |v| v.message.clone());
            EventStatus { status: "error", event, context: Some(json!({"message": message})), stream }
        }
    }
}

/// ajv 6's `.a.b` data path for a JSON pointer `/a/b` (array indices as `[0]`).
fn data_path(pointer: &str) -> String {
    pointer
        .split('/')
        .skip(1)
        .map(|seg| {
            let seg = seg.replace("~1", "/").replace("~0", "~");
            if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
                format!("[{seg}]")
            } else {
                format!(".{seg}")
            }
        })
        .collect()
}

fn ajv_error(v: &Violation) -> Value {
    json!({
        "keyword": v.keyword,
        "dataPath": data_path(&v.instance_path),
        "instancePath": v.instance_path,
        "schemaPath": format!("#{}", v.schema_path),
        "message": v.message,
    })
}

/// The status and body for judged events (see the module documentation).
#[must_use]
pub fn answer(statuses: &[EventStatus]) -> Answer {
    let count = |s: &str| statuses.iter().filter(|e| e.status == s).count();
    let (ok, invalid, error) = (count("success"), count("invalid"), count("error"));
    let list = |s: &str| Value::Array(statuses.iter().filter(|e| e.status == s).map(EventStatus::to_json).collect());
    if invalid + error == 0 {
        Answer { status: 201, message: format!("All {ok} out of {} events were accepted.", statuses.len()), body: None }
    } else if ok == 0 && error == 0 {
        let mut body = Map::new();
        body.insert("invalid".to_owned(), list("invalid"));
        Answer {
            status: 400,
            message: format!("{invalid} out of {} events were invalid and not accepted.", statuses.len()),
            body: Some(Value::Object(body)),
        }
    } else {
        let body = json!({"invalid": list("invalid"), "error": list("error")});
        let total = statuses.len();
        let failed = invalid + error;
        if ok == 0 {
            Answer {
                status: 500,
                message: format!(
                    "{failed} out of {total} events had failures and were not accepted. ({invalid} invalid and {error} errored)."
                ),
                body: Some(body),
            }
        } else {
            Answer {
                status: 207,
                message: format!(
                    "{ok} out of {total} events were accepted, but {failed} failed ({invalid} invalid and {error} errored)."
                ),
                body: Some(body),
            }
        }
    }
}

/// Whether a `hasty` query value asks for a hasty answer: any non-empty value,
/// `false` included, as EventGate's truthiness test does.
#[must_use]
pub fn is_hasty(value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.is_empty())
}

/// The longest file name most file systems take (`NAME_MAX`), in bytes.
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// A stream name as a file name stem, one-to-one: bytes outside
/// `[A-Za-z0-9._-]` become `%XX` (upper-case hex), and so do a leading `.` and
/// `_`, so that no stem is a dot file, `.` or `..`, or starts like the
/// intake's own `_invalid` and `_no_stream` files. Wikimedia's stream names
/// (`mediawiki.web_ui_actions`) come out unchanged; `a/b` is `a%2Fb`, `a_b`
/// stays `a_b`, `%` is `%25`: two different streams never share a file.
#[must_use]
pub fn file_safe_stream(stream: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(stream.len());
    for (i, b) in stream.bytes().enumerate() {
        let plain = b.is_ascii_alphanumeric() || b == b'-' || (i > 0 && matches!(b, b'.' | b'_'));
        if plain {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The file `epc serve` stores a stream's events in: `<file_safe_stream>.ndjson`.
///
/// # Errors
/// A one-line reason when there is none: the name is empty, or its file name
/// would be over [`MAX_FILE_NAME_BYTES`].
pub fn stream_file_name(stream: &str) -> Result<String, String> {
    if stream.is_empty() {
        return Err("an empty stream name cannot be a file name".to_owned());
    }
    let name = format!("{}.ndjson", file_safe_stream(stream));
    if name.len() > MAX_FILE_NAME_BYTES {
        return Err(format!(
            "stream `{}` ({} bytes) cannot be a file name: `{}.ndjson` would be {} bytes, over the {MAX_FILE_NAME_BYTES} a file name can have",
            shown_stream(stream),
            stream.len(),
            shown_stream(&file_safe_stream(stream)),
            name.len()
        ));
    }
    Ok(name)
}

/// A stream name for a one-line message: control characters escaped, cut after 60 characters.
fn shown_stream(stream: &str) -> String {
    let mut shown: String = stream.chars().take(60).flat_map(char::escape_default).collect();
    if stream.chars().nth(60).is_some() {
        shown.push('…');
    }
    shown
}

/// Makes each accepted event whose stream has no file name ([`stream_file_name`])
/// `invalid`, with an ajv-style error on `/meta/stream`, so that the intake
/// refuses it alone rather than failing the request when it comes to store it.
pub fn refuse_unstorable_streams(statuses: &mut [EventStatus]) {
    for status in statuses.iter_mut().filter(|s| s.status == "success") {
        let Some(Err(message)) = status.stream.as_deref().map(stream_file_name) else { continue };
        let violation = Violation {
            instance_path: "/meta/stream".to_owned(),
            schema_path: "stream/file_name".to_owned(),
            keyword: "file_name".to_owned(),
            message,
        };
        let text = format!("'{}' {}", data_path(&violation.instance_path), violation.message);
        status.status = "invalid";
        status.context = Some(json!({"errors": [ajv_error(&violation)], "errorsText": text}));
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::sync::Arc;

    use super::*;
    use crate::schema::repository::{SchemaRepository, SchemaResolver};
    use crate::stream::StreamConfigs;

    fn st(status: &'static str) -> EventStatus {
        EventStatus { status, event: json!({}), context: None, stream: None }
    }

    /// Declares `meta.dt`, `meta.id`, `meta.request_id` and the `http.request_headers` map;
    /// `mode` is required and has a default, `label` has one too.
    const FULL: &str = "title: test/full\n$id: /test/full/1.0.0\n$schema: https://json-schema.org/draft-07/schema#\n\
        type: object\nrequired: [$schema, meta, mode]\nproperties:\n  $schema: {type: string}\n  \
        meta:\n    type: object\n    required: [stream]\n    properties:\n      stream: {type: string}\n      \
        dt: {type: string, format: date-time}\n      id: {type: string}\n      request_id: {type: string}\n  \
        http:\n    type: object\n    properties:\n      request_headers:\n        type: object\n        \
        additionalProperties: {type: string}\n  mode: {type: string, default: auto}\n  \
        label: {type: string, default: none}\n  dt: {type: string}\n";
    /// Declares only `meta.stream`, `meta` without `type: object`, and no `http`.
    const BARE: &str = "title: test/bare\n$id: /test/bare/1.0.0\n$schema: https://json-schema.org/draft-07/schema#\n\
        type: object\nproperties:\n  $schema: {type: string}\n  meta:\n    properties:\n      stream: {type: string}\n  \
        dt: {type: string}\n";
    /// A legacy EventLogging schema: top-level `dt` and `meta.dt`/`meta.id`.
    const LEGACY: &str = "title: analytics/legacy/thing\n$id: /analytics/legacy/thing/1.0.0\n\
        $schema: https://json-schema.org/draft-07/schema#\ntype: object\nproperties:\n  $schema: {type: string}\n  \
        dt: {type: string, format: date-time}\n  meta:\n    type: object\n    properties:\n      \
        stream: {type: string}\n      dt: {type: string}\n      id: {type: string}\n";
    const NOW: &str = "2024-05-01T10:00:00.123Z";

    /// An intake over a temporary repository with FULL, BARE and LEGACY, and
    /// stream config enriching `meta.request_id` and the user agent (one stream
    /// turns the user agent off with `false`).
    fn intake() -> (tempfile::TempDir, Intake) {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in [
            ("test/full/1.0.0.yaml", FULL),
            ("test/bare/1.0.0.yaml", BARE),
            ("analytics/legacy/thing/1.0.0.yaml", LEGACY),
        ] {
            let p = dir.path().join("jsonschema").join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let resolver = SchemaResolver::new(vec![SchemaRepository::open(dir.path()).unwrap()], &[], false).unwrap();
        let enrich = json!({"meta.request_id": "x-request-id", "http.request_headers.user-agent": "user-agent"});
        let no_ua = json!({"meta.request_id": "x-request-id", "http.request_headers.user-agent": false});
        let streams = json!({"streams": {
            "test.full": {"schema_title": "test/full", "producers": {"eventgate": {"enrich_fields_from_http_headers": enrich}}},
            "test.full.no_ua": {"schema_title": "test/full", "producers": {"eventgate": {"enrich_fields_from_http_headers": no_ua}}},
            "test.full.plain": {"schema_title": "test/full"},
            "test.bare": {"schema_title": "test/bare", "producers": {"eventgate": {"enrich_fields_from_http_headers": enrich}}},
            "test.legacy": {"schema_title": "analytics/legacy/thing"}
        }});
        let streams = StreamConfigs::from_value(streams, "test").unwrap();
        (dir, Intake::new(EventValidator::new(Arc::new(resolver), Some(streams))))
    }

    fn full(stream: &str) -> Value {
        json!({"$schema": "/test/full/1.0.0", "meta": {"stream": stream}})
    }

    fn headers(pairs: &[(&str, &str)]) -> RequestHeaders {
        let mut h = RequestHeaders::new();
        for (name, value) in pairs {
            h.insert(name, *value);
        }
        h
    }

    #[test]
    fn fillable_is_what_fill_writes_into_an_event_stripped_of_it() {
        let (_dir, intake) = intake();
        for stream in ["test.full", "test.full.no_ua", "test.full.plain"] {
            let mut e = full(stream);
            let fillable = intake.fillable(&e);
            assert!(fillable.contains(&"/meta/dt".to_owned()), "{fillable:?}");
            let filled = intake.fill(&mut e, &headers(&[("x-request-id", "r"), ("user-agent", "ua")]), NOW);
            assert_eq!(filled, fillable, "{stream}");
        }
        assert!(intake.fillable(&json!({"$schema": "/no/such/1.0.0"})).is_empty());
    }

    #[test]
    fn meta_dt_and_meta_id_are_filled_when_declared_and_absent() {
        let (_dir, intake) = intake();
        let mut e = full("test.full.plain");
        let filled = intake.fill(&mut e, &RequestHeaders::new(), NOW);
        assert_eq!(filled, ["/meta/dt", "/meta/id", "/mode", "/label"]);
        assert_eq!(e["meta"]["dt"], NOW);
        let id = uuid::Uuid::parse_str(e["meta"]["id"].as_str().unwrap()).unwrap();
        assert_eq!(id.get_version_num(), 4);
        // Present values are kept, `null` included.
        let mut e = full("test.full.plain");
        e["meta"]["dt"] = json!("2020-01-01T00:00:00Z");
        e["meta"]["id"] = Value::Null;
        assert_eq!(intake.fill(&mut e, &RequestHeaders::new(), NOW), ["/mode", "/label"]);
        assert_eq!(e["meta"], json!({"stream": "test.full.plain", "dt": "2020-01-01T00:00:00Z", "id": null}));
        // A schema that does not declare them gets neither (nor a top-level `dt`: not legacy).
        let mut e = json!({"$schema": "/test/bare/1.0.0", "meta": {"stream": "test.bare"}});
        assert!(intake.fill(&mut e, &RequestHeaders::new(), NOW).is_empty());
        assert_eq!(e, json!({"$schema": "/test/bare/1.0.0", "meta": {"stream": "test.bare"}}));
        // An unknown schema: nothing is filled (validation reports it).
        let mut e = json!({"$schema": "/test/none/1.0.0", "meta": {"stream": "test.full"}});
        assert!(intake.fill(&mut e, &headers(&[("x-request-id", "r")]), NOW).is_empty());
        // Not an object: left alone.
        let mut e = json!([1]);
        assert!(intake.fill(&mut e, &RequestHeaders::new(), NOW).is_empty());
    }

    #[test]
    fn legacy_schemas_get_a_top_level_dt() {
        let (_dir, intake) = intake();
        let mut e = json!({"$schema": "/analytics/legacy/thing/1.0.0", "meta": {"stream": "test.legacy"}});
        assert_eq!(intake.fill(&mut e, &RequestHeaders::new(), NOW), ["/meta/dt", "/meta/id", "/dt"]);
        assert_eq!((&e["dt"], &e["meta"]["dt"]), (&json!(NOW), &json!(NOW)));
        let mut e = json!({"$schema": "/analytics/legacy/thing/1.0.0", "dt": "2020-01-01T00:00:00Z"});
        intake.fill(&mut e, &RequestHeaders::new(), NOW);
        assert_eq!(e["dt"], "2020-01-01T00:00:00Z");
        // FULL declares `dt` too, but it is not a legacy schema.
        let mut e = full("test.full.plain");
        intake.fill(&mut e, &RequestHeaders::new(), NOW);
        assert!(e.get("dt").is_none(), "{e}");
    }

    #[test]
    fn headers_enrich_declared_absent_fields_of_configured_streams() {
        let (_dir, intake) = intake();
        let sent = headers(&[("X-Request-ID", "req-1"), ("User-Agent", "curl/8")]);
        let mut e = full("test.full");
        let filled = intake.fill(&mut e, &sent, NOW);
        assert_eq!(
            filled,
            ["/meta/dt", "/meta/id", "/meta/request_id", "/http/request_headers/user-agent", "/mode", "/label"]
        );
        assert_eq!(e["meta"]["request_id"], "req-1");
        assert_eq!(e["http"], json!({"request_headers": {"user-agent": "curl/8"}}));
        // A header that is absent or empty leaves the field absent.
        let mut e = full("test.full");
        intake.fill(&mut e, &headers(&[("x-request-id", "")]), NOW);
        assert!(e["meta"].get("request_id").is_none() && e.get("http").is_none(), "{e}");
        // Never over a value already there, `null` included.
        let mut e = full("test.full");
        e["meta"]["request_id"] = json!("mine");
        e["http"] = json!({"request_headers": {"user-agent": null}});
        intake.fill(&mut e, &sent, NOW);
        assert_eq!(
            (&e["meta"]["request_id"], &e["http"]["request_headers"]["user-agent"]),
            (&json!("mine"), &Value::Null)
        );
        // A non-object in the way is replaced by an object, as lodash `_.set` does.
        let mut e = full("test.full");
        e["http"] = json!("x");
        intake.fill(&mut e, &sent, NOW);
        assert_eq!(e["http"], json!({"request_headers": {"user-agent": "curl/8"}}));
        // An array in the way is kept, and the field not set.
        let mut e = full("test.full");
        e["http"] = json!([1]);
        intake.fill(&mut e, &sent, NOW);
        assert_eq!(e["http"], json!([1]));
        // `false` switches a field off; a stream without the block enriches nothing.
        let mut e = full("test.full.no_ua");
        intake.fill(&mut e, &sent, NOW);
        assert_eq!((&e["meta"]["request_id"], e.get("http")), (&json!("req-1"), None));
        let mut e = full("test.full.plain");
        intake.fill(&mut e, &sent, NOW);
        assert!(e["meta"].get("request_id").is_none() && e.get("http").is_none(), "{e}");
        // The schema must declare the field, or its parent as `type: object`:
        // BARE's `meta` has no type and it has no `http`.
        let mut e = json!({"$schema": "/test/bare/1.0.0", "meta": {"stream": "test.bare"}});
        assert!(intake.fill(&mut e, &sent, NOW).is_empty());
        assert_eq!(e["meta"], json!({"stream": "test.bare"}));
    }

    #[test]
    fn header_values_are_cut_to_400_utf16_units() {
        let (_dir, intake) = intake();
        let long = format!("{}{}", "a".repeat(399), "bc");
        let emoji = "😀".repeat(250); // 500 UTF-16 units
        let odd = format!("a{}", "😀".repeat(200)); // 401 units: the 200th emoji would be split
        let mut e = full("test.full");
        intake.fill(&mut e, &headers(&[("x-request-id", &long), ("user-agent", &emoji)]), NOW);
        assert_eq!(e["meta"]["request_id"].as_str().unwrap(), format!("{}b", "a".repeat(399)));
        assert_eq!(e["http"]["request_headers"]["user-agent"].as_str().unwrap(), "😀".repeat(200));
        let mut e = full("test.full");
        intake.fill(&mut e, &headers(&[("user-agent", &odd)]), NOW);
        let ua = e["http"]["request_headers"]["user-agent"].as_str().unwrap();
        assert_eq!((ua.encode_utf16().count(), ua.chars().count()), (399, 200), "never inside a character");
        assert_eq!(truncate_utf16("é", 0), "");
        assert_eq!(truncate_utf16("short", 400), "short");
    }

    #[test]
    fn request_headers_are_case_insensitive_and_keep_the_first_value() {
        let h = headers(&[("User-Agent", "one"), ("user-agent", "two")]);
        assert_eq!(h.get("user-agent"), Some("one"));
        assert_eq!(h.get("USER-AGENT"), Some("one"));
        assert_eq!(h.get("x-request-id"), None);
    }

    #[test]
    fn every_request_gets_an_x_request_id_as_on_eventgate() {
        let is_v4 = |h: &RequestHeaders| {
            uuid::Uuid::parse_str(h.get("x-request-id").unwrap()).is_ok_and(|u| u.get_version_num() == 4)
        };
        let mut none = RequestHeaders::new();
        none.ensure_request_id();
        assert!(is_v4(&none));
        let mut empty = headers(&[("X-Request-Id", "")]);
        empty.ensure_request_id();
        assert!(is_v4(&empty));
        let mut sent = headers(&[("X-Request-Id", "req-1")]);
        sent.ensure_request_id();
        assert_eq!(sent.get("x-request-id"), Some("req-1"));
    }

    #[test]
    fn schema_defaults_are_written_and_a_required_property_with_a_default_passes() {
        let (_dir, intake) = intake();
        let mut e = full("test.full.plain");
        e["label"] = Value::Null;
        let statuses = intake.judge(vec![e], &RequestHeaders::new(), SystemTime::now());
        // `label: null` is kept (not defaulted) and fails `type`; `mode` got its default.
        assert_eq!(statuses[0].status, "invalid", "{:?}", statuses[0]);
        assert_eq!(statuses[0].event["mode"], "auto");
        assert_eq!(statuses[0].context.as_ref().unwrap()["errorsText"].as_str().unwrap().matches("'.").count(), 1);
        let statuses = intake.judge(vec![full("test.full.plain")], &RequestHeaders::new(), SystemTime::now());
        assert_eq!(statuses[0].status, "success", "{:?}", statuses[0]);
        let keys: Vec<&str> = statuses[0].event.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["$schema", "meta", "mode", "label"], "defaults appended in schema order");
        assert_eq!((&statuses[0].event["mode"], &statuses[0].event["label"]), (&json!("auto"), &json!("none")));
        assert_eq!(statuses[0].stream.as_deref(), Some("test.full.plain"));
    }

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

    const LIMIT: usize = 4 * 1024 * 1024;

    #[test]
    fn bodies_inflate_per_content_encoding() {
        let body = br#"[{"a":1}]"#;
        for encoding in [None, Some("identity"), Some("IDENTITY"), Some("")] {
            let out = inflate_body(body, encoding, LIMIT).unwrap();
            assert!(matches!(out, std::borrow::Cow::Borrowed(_)), "{encoding:?} passes through");
            assert_eq!(&*out, body);
        }
        for encoding in ["gzip", "GZIP", " gzip "] {
            assert_eq!(&*inflate_body(&gzip(body), Some(encoding), LIMIT).unwrap(), body, "{encoding}");
        }
        assert_eq!(&*inflate_body(&zlib(body), Some("deflate"), LIMIT).unwrap(), body);
        // Concatenated gzip members, as Node's gunzip reads them.
        let two = [gzip(b"[{\"a\":"), gzip(b"1}]")].concat();
        assert_eq!(&*inflate_body(&two, Some("gzip"), LIMIT).unwrap(), body);
        // Exactly at the limit is fine; the limit is on the inflated size.
        let at = vec![b' '; 1000];
        assert_eq!(inflate_body(&gzip(&at), Some("gzip"), 1000).unwrap().len(), 1000);
        assert_eq!(inflate_body(&gzip(&at), Some("gzip"), 999).unwrap_err().status, 413);
    }

    #[test]
    fn unsupported_encodings_bombs_and_corrupt_data_are_refused() {
        for (encoding, named) in
            [("br", "br"), ("BR", "br"), ("gzip, identity", "gzip, identity"), ("compress", "compress")]
        {
            let a = inflate_body(b"[]", Some(encoding), LIMIT).unwrap_err();
            assert_eq!(a.status, 415, "{encoding}");
            assert_eq!(a.message, format!("unsupported content encoding \"{named}\""));
            assert_eq!(a.body.as_ref().unwrap()["detail"], a.message);
            assert_eq!(a.body.as_ref().unwrap()["status"], 415);
        }
        // 10 MB of zeros: about 10 KB compressed, refused while inflating.
        let bomb = gzip(&vec![0; 10_000_000]);
        assert!(bomb.len() < 100_000, "{}", bomb.len());
        let a = inflate_body(&bomb, Some("gzip"), LIMIT).unwrap_err();
        assert_eq!(a.status, 413, "{a:?}");
        assert!(a.message.starts_with("request entity too large"), "{}", a.message);
        assert_eq!(inflate_body(&zlib(&vec![0; 10_000_000]), Some("deflate"), LIMIT).unwrap_err().status, 413);
        // Corrupt: not gzip at all, a truncated stream, zlib data labelled gzip.
        let whole = gzip(br#"[{"a":1}]"#);
        for (what, data, encoding) in [
            ("plain", b"[{\"a\":1}]".to_vec(), "gzip"),
            ("truncated", whole[..whole.len() - 6].to_vec(), "gzip"),
            ("zlib as gzip", zlib(b"[]"), "gzip"),
            ("gzip as deflate", whole.clone(), "deflate"),
        ] {
            let a = inflate_body(&data, Some(encoding), LIMIT).unwrap_err();
            assert_eq!(a.status, 400, "{what}: {a:?}");
            assert!(a.message.contains("cannot be inflated"), "{what}: {}", a.message);
        }
    }

    #[test]
    fn reason_phrases_are_eventgates_templates() {
        let cases: [(&[&'static str], u16, &str); 6] = [
            (&["success", "success"], 201, "All 2 out of 2 events were accepted."),
            (&["success"], 201, "All 1 out of 1 events were accepted."),
            (&["success", "invalid"], 207, "1 out of 2 events were accepted, but 1 failed (1 invalid and 0 errored)."),
            (&["invalid", "invalid"], 400, "2 out of 2 events were invalid and not accepted."),
            (
                &["invalid", "error"],
                500,
                "2 out of 2 events had failures and were not accepted. (1 invalid and 1 errored).",
            ),
            (&["error"], 500, "1 out of 1 events had failures and were not accepted. (0 invalid and 1 errored)."),
        ];
        for (statuses, status, message) in cases {
            let a = answer(&statuses.iter().map(|s| st(s)).collect::<Vec<_>>());
            assert_eq!((a.status, a.message.as_str()), (status, message), "{statuses:?}");
        }
    }

    #[test]
    fn problem_bodies_name_the_problem_and_the_request() {
        let a = Answer::problem(405, "GET is not allowed");
        assert_eq!(
            a.body.as_ref().unwrap(),
            &json!({"status": 405, "type": "method_not_allowed", "title": "Method Not Allowed",
                    "detail": "GET is not allowed", "method": "POST", "uri": "/v1/events"})
        );
        let a = a.for_request("GET", "/v1/events?hasty=true");
        assert_eq!(
            (&a.body.as_ref().unwrap()["method"], &a.body.as_ref().unwrap()["uri"]),
            (&json!("GET"), &json!("/v1/events?hasty=true"))
        );
        // An answer about events is left as it is.
        let events = answer(&[st("invalid")]).for_request("POST", "/x");
        assert!(events.body.unwrap().get("uri").is_none());
        let empty = parse_body(b"").unwrap_err();
        assert_eq!(empty.body.unwrap()["detail"], "Request body was empty. Must provide JSON encoded events.");
    }

    #[test]
    fn bodies_parse_like_eventgate() {
        assert_eq!(parse_body(b"").unwrap_err().status, 400);
        assert_eq!(parse_body(b"  ").unwrap_err().message, "Request body was empty. Must provide JSON encoded events.");
        assert_eq!(parse_body(b"[]").unwrap_err().status, 400);
        assert_eq!(parse_body(b"{not json").unwrap_err().status, 400);
        assert!(parse_body(br#"{"a":1,"a":2}"#).unwrap_err().message.contains("duplicate"));
        assert_eq!(parse_body(br#"{"a":1}"#).unwrap(), [json!({"a": 1})]);
        assert_eq!(parse_body(br#"[{"a":1},2]"#).unwrap(), [json!({"a": 1}), json!(2)]);
    }

    #[test]
    fn statuses_pick_the_answer() {
        assert_eq!(answer(&[st("success"), st("success")]).status, 201);
        assert_eq!(answer(&[st("invalid"), st("invalid")]).status, 400);
        assert_eq!(answer(&[st("success"), st("invalid")]).status, 207);
        assert_eq!(answer(&[st("success"), st("error")]).status, 207);
        assert_eq!(answer(&[st("invalid"), st("error")]).status, 500);
        assert_eq!(answer(&[st("error")]).status, 500);
        let a = answer(&[st("invalid")]);
        assert_eq!(a.body.unwrap(), json!({"invalid": [{"status": "invalid", "event": {}, "context": null}]}));
    }

    #[test]
    fn data_paths_and_hasty_and_file_names() {
        assert_eq!(data_path("/meta/stream"), ".meta.stream");
        assert_eq!(data_path("/items/0/a~1b"), ".items[0].a/b");
        assert_eq!(data_path(""), "");
        assert!(is_hasty(Some("false")));
        assert!(!is_hasty(Some("")));
        assert!(!is_hasty(None));
        assert_eq!(file_safe_stream("mediawiki.web_ui_actions"), "mediawiki.web_ui_actions");
        assert_eq!(file_safe_stream("eventlogging_NavigationTiming-2"), "eventlogging_NavigationTiming-2");
        assert_eq!(file_safe_stream("../../etc/passwd"), "%2E.%2F..%2Fetc%2Fpasswd");
        assert_eq!(file_safe_stream("a/b"), "a%2Fb");
        assert_eq!(file_safe_stream("a_b"), "a_b");
        assert_eq!(file_safe_stream("a%2Fb"), "a%252Fb");
        assert_eq!(file_safe_stream("_invalid"), "%5Finvalid");
        assert_eq!(file_safe_stream(".hidden"), "%2Ehidden");
        assert_eq!(file_safe_stream("é \n"), "%C3%A9%20%0A");
        assert_eq!(file_safe_stream(""), "");
    }

    /// Undoes [`file_safe_stream`], to show it is one-to-one.
    fn decode(stem: &str) -> Vec<u8> {
        let bytes = stem.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                out.push(u8::from_str_radix(&stem[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        out
    }

    #[test]
    fn file_names_are_one_to_one_and_at_most_255_bytes() {
        let names = [
            "a/b",
            "a_b",
            "a%2Fb",
            "a%2fb",
            "a b",
            "a.b",
            ".a",
            "_a",
            "%2Ea",
            "a..b",
            "..",
            ".",
            "_",
            "é",
            "e\u{301}",
            "A",
            "a",
            "a\nb",
            "a\0b",
            "_invalid",
            "invalid",
            "_no_stream",
        ];
        let mut seen = std::collections::BTreeSet::new();
        for name in names {
            let stem = file_safe_stream(name);
            assert_eq!(decode(&stem), name.as_bytes(), "{name:?} -> {stem}");
            assert!(stem.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-%".contains(&b)), "{stem}");
            assert!(!stem.starts_with(['.', '_']), "{stem}");
            assert!(seen.insert(stem), "{name:?} shares a file");
        }
        assert_eq!(stream_file_name("a/b").unwrap(), "a%2Fb.ndjson");
        assert!(stream_file_name("").unwrap_err().contains("empty"));
        // 248 plain bytes + `.ndjson` is 255: the longest; one more is refused, and so
        // is a shorter name that grows past it when encoded.
        assert_eq!(stream_file_name(&"a".repeat(248)).unwrap().len(), 255);
        let long = stream_file_name(&"a".repeat(249)).unwrap_err();
        assert!(long.contains("249 bytes") && long.contains("256 bytes") && !long.contains('\n'), "{long}");
        assert!(stream_file_name(&"/".repeat(83)).is_err(), "83 bytes, 249 encoded");
        let shown = stream_file_name(&format!("{}\n", "x".repeat(300))).unwrap_err();
        assert!(!shown.contains('\n') && shown.contains('…'), "{shown}");
    }

    #[test]
    fn unstorable_streams_are_refused_per_event() {
        let ok = |stream: &str| EventStatus {
            status: "success",
            event: json!({"meta": {"stream": stream}}),
            context: None,
            stream: Some(stream.to_owned()),
        };
        let long = "s".repeat(300);
        let mut statuses = vec![ok("fine"), ok(&long), st("invalid"), st("success")];
        refuse_unstorable_streams(&mut statuses);
        let kinds: Vec<&str> = statuses.iter().map(|s| s.status).collect();
        assert_eq!(kinds, ["success", "invalid", "invalid", "success"]);
        let context = statuses[1].context.as_ref().unwrap();
        assert_eq!(context["errors"][0]["instancePath"], "/meta/stream");
        assert_eq!(context["errors"][0]["keyword"], "file_name");
        assert!(context["errorsText"].as_str().unwrap().starts_with("'.meta.stream' stream `sss"), "{context}");
        assert_eq!(answer(&statuses).status, 207);
    }
}
