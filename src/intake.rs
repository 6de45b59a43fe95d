//! Delivery to an intake: EventGate's `POST /v1/events`, read exactly as
//! epc-spec.md §6.2 describes it, retrying only what is safe to retry, and
//! saying so when the answer cannot be read.
//!
//! - Events go out as JSON arrays (`application/json`), in input order.
//! - 201: every event accepted. 202: accepted *without validation* (`?hasty`).
//!   The status line is EventGate's commitment: a 2xx whose body then breaks
//!   off, or runs past the size limit, is still accepted and never retried
//!   (a retry would store the events twice).
//! - 207 and 400: the body lists the failed events (`{"invalid": [...],
//!   "error": [...]}`, each an `EventStatus` carrying the event); each is
//!   matched back to its position in the batch, and the rest of a 207 was accepted.
//!   A listed event that matches none sent is kept in [`BatchReport::unattributed`].
//! - A 207 or 400 whose body is not that shape (not JSON, not an object, no
//!   `invalid`/`error` array, an entry that is not an `EventStatus` object
//!   with `event`, nothing listed), or whose body broke off or ran past the
//!   size limit, says nothing reliable about each event: every event of the
//!   batch is [`Delivered::Unknown`], never accepted, and not retried. For a 207
//!   some events were stored; for a 400 from something that is not EventGate
//!   (a proxy, a load balancer) probably none were, but the body does not say
//!   so per event, and a resend could duplicate, so it is unknown too.
//! - 500 with EventGate's body: every event failed, as listed; retried when
//!   nothing was accepted. A 500 whose body is not EventGate's is read as any
//!   other 5xx.
//! - 429, 503, other 5xx and network errors: nothing was accepted, so the batch
//!   is retried with exponential backoff and jitter, bounded in attempts and time
//!   ([`RetryPolicy`]; decisions.md, "Sending"). A `Retry-After` (delta-seconds
//!   or an HTTP-date, RFC 9110 §10.2.3) replaces the backoff delay; when it asks
//!   for longer than the time left in [`RetryPolicy::max_total`], or longer than
//!   [`MAX_WAIT`], the batch is not retried and the events are
//!   [`Delivered::Unsent`] with a message naming the wait. When retries run out,
//!   every event is reported as not delivered.
//! - 3xx: redirects are not followed (a client following a 301/302 turns the
//!   POST into a GET); the events are [`Delivered::Unsent`] with a message
//!   naming the `Location`. Not retried. Other statuses are not retried either.
//! - Every answer body is read incrementally up to [`answer_limit`] bytes
//!   (at least [`MIN_ANSWER_LIMIT`], 16 MiB; a 207 echoes the failed events,
//!   so the limit grows with the request body), never further: over it, a 2xx
//!   is accepted, a 207/400 unknown and a 5xx a retryable failure.
//!
//! Every event of a batch gets exactly one [`Delivered`] outcome, so a caller
//! can put each event either among the accepted or among the failed, never both
//! and never neither. This module never prints.

use std::io::Read;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Map, Value};

/// The public analytics intake (`eventgate-analytics-external`).
pub const ANALYTICS_INTAKE: &str = "https://intake-analytics.wikimedia.org/v1/events";
/// The public logging intake (`eventgate-logging-external`).
pub const LOGGING_INTAKE: &str = "https://intake-logging.wikimedia.org/v1/events";

/// The smallest limit on an answer body, in bytes (16 MiB); see [`answer_limit`].
pub const MIN_ANSWER_LIMIT: u64 = 16 * 1024 * 1024;

/// The longest single wait between two attempts, whether asked for by a
/// `Retry-After` or made by the backoff: 120 s. A `Retry-After` asking for more
/// ends the retries.
pub const MAX_WAIT: Duration = Duration::from_secs(120);

/// The most bytes of an answer read for a request body of `request_bytes`:
/// `max(16 MiB, 8 × request_bytes)`. An EventGate 207/400 echoes every failed
/// event with the fields it added and its validation errors, so its body can
/// be several times the request; 8× leaves room for that, and 16 MiB for
/// small batches with verbose errors.
#[must_use]
pub fn answer_limit(request_bytes: usize) -> u64 {
    MIN_ANSWER_LIMIT.max((request_bytes as u64).saturating_mul(8))
}

/// The public intake URL for a stream's `destination_event_service`; `None`
/// for internal services, which are not reachable from outside.
#[must_use]
pub fn intake_for_service(service: &str) -> Option<&'static str> {
    match service {
        "eventgate-analytics-external" => Some(ANALYTICS_INTAKE),
        "eventgate-logging-external" => Some(LOGGING_INTAKE),
        _ => None,
    }
}

/// What happened to one event of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    /// Accepted (201, or not listed in a 207).
    Accepted,
    /// Accepted without validation (202, hasty).
    AcceptedHasty,
    /// Rejected as invalid by the intake (its schema validation), with its message.
    Invalid(String),
    /// Failed on the intake's side (an `error` status: schema load, produce), with its message.
    Error(String),
    /// Never accepted: network errors, 429 or 5xx until retries ran out, a
    /// redirect, or another status; the message says which.
    Unsent(String),
    /// The intake answered, but not in a way that says whether this event was
    /// stored (a 207 or 400 whose body is not EventGate's, broke off or is over
    /// the size limit); the message says why. Never counted as accepted, never
    /// retried: sending it again may duplicate it.
    Unknown(String),
}

impl Delivered {
    /// Whether the intake took the event.
    #[must_use]
    pub fn is_accepted(&self) -> bool {
        matches!(self, Self::Accepted | Self::AcceptedHasty)
    }
}

/// How hard to retry a batch nothing of which was accepted.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts after the first.
    pub retries: u32,
    /// The first delay; each retry doubles it, plus up to 50% jitter (at most [`MAX_WAIT`]).
    pub base_delay: Duration,
    /// No retry starts after this much time since the first attempt; a
    /// `Retry-After` that would start one later ends the retries.
    pub max_total: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { retries: 3, base_delay: Duration::from_millis(500), max_total: Duration::from_secs(30) }
    }
}

/// The result of sending one batch.
#[derive(Debug, Clone)]
pub struct BatchReport {
    /// One outcome per event, in batch order.
    pub outcomes: Vec<Delivered>,
    /// The last HTTP status, if any answer came.
    pub status: Option<u16>,
    /// Requests made.
    pub attempts: u32,
    /// Events the intake reported as failed that could not be matched to
    /// the batch (the intake changed them); kept so nothing is lost.
    pub unattributed: Vec<Value>,
}

/// One event serialized once, as it goes into a POST body: its compact JSON
/// (exactly what `serde_json` writes for it), and the event itself for the
/// rare answers that must be matched back event by event (207, 400, 500).
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    bytes: Vec<u8>,
    /// The event; `None` when `bytes` is canonical text it is parsed from on demand.
    value: Option<Value>,
}

impl Encoded {
    /// Serializes `event` once.
    #[must_use]
    pub fn new(event: Value) -> Self {
        // Serializing a `Value` can't fail (its keys are strings).
        let bytes = serde_json::to_vec(&event).unwrap_or_default();
        Self { bytes, value: Some(event) }
    }

    /// An event given as its JSON text, which must be canonical: exactly
    /// what `serde_json` writes for the event the text parses to (see
    /// [`crate::json::is_canonical`]), so that the bytes sent are the ones
    /// [`Self::new`] would make. The event is parsed only if asked for.
    #[must_use]
    pub fn from_canonical_text(text: String) -> Self {
        Self { bytes: text.into_bytes(), value: None }
    }

    /// The event's compact JSON.
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The event (parsed from its text when it was given as text; `null` if
    /// that text, against the contract of [`Self::from_canonical_text`], is not JSON).
    #[must_use]
    pub fn value(&self) -> std::borrow::Cow<'_, Value> {
        match &self.value {
            Some(v) => std::borrow::Cow::Borrowed(v),
            None => std::borrow::Cow::Owned(
                std::str::from_utf8(&self.bytes)
                    .ok()
                    .and_then(|t| crate::schema::yaml::parse_json_str(t, "event").ok())
                    .unwrap_or(Value::Null),
            ),
        }
    }
}

/// The POST body of a batch: a JSON array of the events, as `serde_json`
/// writes the array of their values.
fn body_of(events: &[Encoded]) -> Vec<u8> {
    let mut body = Vec::with_capacity(2 + events.iter().map(|e| e.bytes.len() + 1).sum::<usize>());
    body.push(b'[');
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(&e.bytes);
    }
    body.push(b']');
    body
}

/// An error setting up the HTTP client.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the HTTP client for {url}: {message}")]
pub struct IntakeError {
    /// The intake URL.
    pub url: String,
    /// What failed.
    pub message: String,
}

/// An EventGate intake at one URL.
#[derive(Debug, Clone)]
pub struct EventGate {
    client: reqwest::blocking::Client,
    url: String,
}

/// One request's result: the report, whether it may be retried, and the
/// wait the intake asked for (`Retry-After`), if any.
struct Attempt {
    report: BatchReport,
    retry: bool,
    retry_after: Option<Duration>,
}

impl EventGate {
    /// A client for `url` (`…/v1/events`, with `?hasty=true` appended when
    /// `hasty`), with a per-request timeout and epc's User-Agent. Redirects
    /// are never followed (see the module documentation).
    ///
    /// # Errors
    /// [`IntakeError`] when the HTTP client cannot be built.
    pub fn new(url: &str, timeout: Duration, hasty: bool) -> Result<Self, IntakeError> {
        let client = reqwest::blocking::Client::builder()
            .user_agent(crate::source::USER_AGENT)
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| IntakeError { url: url.to_owned(), message: e.to_string() })?;
        let url = if hasty && !url.contains("hasty=") {
            format!("{url}{}hasty=true", if url.contains('?') { '&' } else { '?' })
        } else {
            url.to_owned()
        };
        Ok(Self { client, url })
    }

    /// The URL posted to.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends one batch (see the module documentation); never fails: every
    /// problem is an outcome.
    #[must_use]
    pub fn submit(&self, events: &[Value], retry: &RetryPolicy) -> BatchReport {
        let body = serde_json::to_vec(events).unwrap_or_default();
        self.submit_body(events.len(), &body, &|| std::borrow::Cow::Borrowed(events), retry)
    }

    /// [`Self::submit`] for events serialized once ([`Encoded`]): the body is
    /// their bytes, and the events are only looked at for an answer that
    /// lists failed events.
    #[must_use]
    pub fn submit_encoded(&self, events: &[Encoded], retry: &RetryPolicy) -> BatchReport {
        let body = body_of(events);
        let values = || std::borrow::Cow::Owned(events.iter().map(|e| e.value().into_owned()).collect());
        self.submit_body(events.len(), &body, &values, retry)
    }

    /// Sends `body`, a batch of `count` events (`values` gives them, when an answer must be matched back).
    fn submit_body<'v>(
        &self,
        count: usize,
        body: &[u8],
        values: &dyn Fn() -> std::borrow::Cow<'v, [Value]>,
        retry: &RetryPolicy,
    ) -> BatchReport {
        let limit = answer_limit(body.len());
        let started = Instant::now();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let Attempt { mut report, retry: retryable, retry_after } = self.attempt(count, values, body, limit);
            report.attempts = attempts;
            if !retryable || attempts > retry.retries {
                return report;
            }
            let left = retry.max_total.saturating_sub(started.elapsed());
            let delay = match retry_after {
                Some(wait) if wait > left.min(MAX_WAIT) => {
                    let why = format!(
                        "the intake asked to wait {} s before retrying (Retry-After), longer than epc waits \
                         ({} s left of the retry bound, at most {} s at a time); not retried",
                        whole_seconds(wait),
                        left.as_secs(),
                        MAX_WAIT.as_secs()
                    );
                    for outcome in &mut report.outcomes {
                        if let Delivered::Unsent(m) = outcome {
                            *m = format!("{m}; {why}");
                        }
                    }
                    return report;
                }
                Some(wait) => wait,
                None => backoff(retry.base_delay, attempts - 1).min(MAX_WAIT),
            };
            if delay > left {
                return report;
            }
            std::thread::sleep(delay);
        }
    }

    /// One request, its answer read up to `limit` bytes.
    fn attempt<'v>(
        &self,
        count: usize,
        values: &dyn Fn() -> std::borrow::Cow<'v, [Value]>,
        body: &[u8],
        limit: u64,
    ) -> Attempt {
        let all = |d: Delivered| vec![d; count];
        let done = |outcomes, status, retry| Attempt {
            report: BatchReport { outcomes, status, attempts: 0, unattributed: Vec::new() },
            retry,
            retry_after: None,
        };
        let response = self
            .client
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body.to_vec())
            .send();
        let response = match response {
            Ok(r) => r,
            Err(e) => {
                let why = if e.is_timeout() { "timed out".to_owned() } else { innermost(&e) };
                return done(all(Delivered::Unsent(format!("cannot reach {}: {why}", self.url))), None, true);
            }
        };
        let status = response.status().as_u16();
        let header = |name: reqwest::header::HeaderName| {
            response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
        };
        let location = header(reqwest::header::LOCATION);
        let retry_after = header(reqwest::header::RETRY_AFTER).and_then(|v| parse_retry_after(&v, SystemTime::now()));
        let answer = read_capped(response, limit);
        let text = String::from_utf8_lossy(answer.bytes());
        match status {
            201 => done(all(Delivered::Accepted), Some(status), false),
            202 => done(all(Delivered::AcceptedHasty), Some(status), false),
            300..=399 => {
                let target = location.as_deref().map_or_else(
                    || "an unnamed location (no Location header)".to_owned(),
                    |l| {
                        reqwest::Url::parse(&self.url)
                            .and_then(|u| u.join(l))
                            .map_or_else(|_| l.to_owned(), String::from)
                    },
                );
                let why = format!(
                    "the intake redirected to {target} (HTTP {status}); epc does not follow redirects for POSTs: \
                     pass that URL as --intake-url"
                );
                done(all(Delivered::Unsent(why)), Some(status), false)
            }
            207 | 400 | 500 => {
                let read = match &answer {
                    Answer::Whole(bytes) => read_statuses(&values(), status, bytes)
                        .map_err(|why| format!("that is not EventGate's ({why})")),
                    Answer::Cut { why, .. } => Err(why.clone()),
                };
                match read {
                    Ok((outcomes, unattributed)) => {
                        let nothing_accepted = !outcomes.iter().any(Delivered::is_accepted);
                        Attempt {
                            retry: status == 500 && nothing_accepted,
                            retry_after,
                            report: BatchReport { outcomes, status: Some(status), attempts: 0, unattributed },
                        }
                    }
                    Err(body) if status == 500 => {
                        let why = format!("{} answered HTTP {status} with a body {body}: {}", self.url, snippet(&text));
                        Attempt { retry_after, ..done(all(Delivered::Unsent(why)), Some(status), true) }
                    }
                    Err(body) => {
                        let consequence = if status == 400 {
                            "; HTTP 400 usually means nothing was stored, but this body names no event, so \
                             whether this event was stored is unknown"
                        } else {
                            ", so whether this event was stored is unknown"
                        };
                        let why = format!(
                            "the intake answered HTTP {status} with a body {body}{consequence}: {}",
                            snippet(&text)
                        );
                        done(all(Delivered::Unknown(why)), Some(status), false)
                    }
                }
            }
            s if s == 429 || s >= 500 => {
                let body = match &answer {
                    Answer::Whole(_) => String::new(),
                    Answer::Cut { why, .. } => format!(" with a body {why}"),
                };
                let why = format!("{} answered HTTP {s}{body}: {}", self.url, snippet(&text));
                Attempt { retry_after, ..done(all(Delivered::Unsent(why)), Some(status), true) }
            }
            s => {
                let why = format!("{} answered HTTP {s}: {}", self.url, snippet(&text));
                done(all(Delivered::Unsent(why)), Some(status), false)
            }
        }
    }
}

/// An answer body as read: whole, or cut short (broke off, or over the limit;
/// `why` completes "a body …").
#[derive(Debug)]
enum Answer {
    Whole(Vec<u8>),
    Cut { bytes: Vec<u8>, why: String },
}

impl Answer {
    fn bytes(&self) -> &[u8] {
        match self {
            Self::Whole(b) | Self::Cut { bytes: b, .. } => b,
        }
    }
}

/// Reads `body` incrementally, never more than `limit` + 1 bytes.
fn read_capped(body: impl Read, limit: u64) -> Answer {
    let mut bytes = Vec::new();
    let mut capped = body.take(limit.saturating_add(1));
    match capped.read_to_end(&mut bytes) {
        Ok(_) if bytes.len() as u64 > limit => {
            bytes.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            Answer::Cut { bytes, why: format!("longer than epc reads ({limit} bytes)") }
        }
        Ok(_) => Answer::Whole(bytes),
        Err(e) => {
            let why = format!("that broke off after {} bytes ({})", bytes.len(), innermost_io(&e));
            Answer::Cut { bytes, why }
        }
    }
}

/// A `Retry-After` value as a wait from `now`: delta-seconds (`120`) or an
/// HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`, and the two obsolete forms),
/// RFC 9110 §10.2.3. A date in the past is no wait; anything else is `None`.
#[must_use]
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits for u64 is a very long wait.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Seconds, rounded up.
fn whole_seconds(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// `base × 2^n`, plus up to 50% random jitter.
fn backoff(base: Duration, n: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << n.min(16));
    let mut b = [0u8; 2];
    let jitter = if getrandom::fill(&mut b).is_ok() { f64::from(u16::from_le_bytes(b)) / 65535.0 * 0.5 } else { 0.25 };
    exp.mul_f64(1.0 + jitter)
}

fn innermost(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut inner: Option<&dyn std::error::Error> = e.source();
    while let Some(next) = inner.and_then(|c| c.source()) {
        inner = Some(next);
    }
    inner.map_or_else(|| e.to_string(), ToString::to_string)
}

fn innermost_io(e: &std::io::Error) -> String {
    let mut inner: Option<&dyn std::error::Error> = e.get_ref().map(|c| c as &dyn std::error::Error);
    while let Some(next) = inner.and_then(|c| c.source()) {
        inner = Some(next);
    }
    inner.map_or_else(|| e.to_string(), ToString::to_string)
}

fn snippet(body: &str) -> String {
    let one_line: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.is_empty() {
        "(empty body)".to_owned()
    } else if one_line.chars().count() > 300 {
        format!("{}…", one_line.chars().take(300).collect::<String>())
    } else {
        one_line
    }
}

/// An event as compared with the intake's echo: without the fields EventGate fills in.
fn comparable(event: &Value) -> Value {
    let mut e = event.clone();
    if let Some(Value::Object(meta)) = e.get_mut("meta") {
        meta.remove("dt");
        meta.remove("id");
    }
    e
}

/// The message of an `EventStatus`: `errorsText` for validation errors, else `message`.
fn status_message(status: &Value) -> String {
    let context = status.get("context");
    context
        .and_then(|c| c.get("errorsText"))
        .and_then(Value::as_str)
        .or_else(|| context.and_then(|c| c.get("message")).and_then(Value::as_str))
        .map_or_else(|| context.map_or_else(|| "(no message)".to_owned(), Value::to_string), str::to_owned)
}

/// Whether `echo` is `sent` with at most fields added (at any depth), none changed or removed.
fn contained_in(sent: &Value, echo: &Value) -> bool {
    match (sent, echo) {
        (Value::Object(s), Value::Object(e)) => s.iter().all(|(k, v)| e.get(k).is_some_and(|ev| contained_in(v, ev))),
        _ => sent == echo,
    }
}

/// Maps a complete 207/400/500 answer body back onto the batch: one outcome
/// per event of `events` (listed as invalid → [`Delivered::Invalid`], as error
/// → [`Delivered::Error`]; the rest accepted on a 207, invalid on a 400, an
/// error on a 500), and the listed events that match none sent.
///
/// An echoed event is matched to the first unmatched sent event equal to it
/// without `meta.dt`/`meta.id`, else to the first that it contains with only
/// fields added (eventgate-wikimedia enriches events before validating them).
///
/// # Errors
/// Why the body is not EventGate's shape (epc-spec.md §6.2): not JSON, not an
/// object, neither an `invalid` nor an `error` array, an entry that is not an
/// object carrying `event`, or no failure listed at all (which these statuses
/// contradict). The caller decides what that means for the events.
pub fn read_statuses(events: &[Value], status: u16, body: &[u8]) -> Result<(Vec<Delivered>, Vec<Value>), String> {
    let parsed: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(parsed) = parsed else { return Err("not a JSON object".into()) };
    let listed = eventgate_statuses(&parsed)?;
    let mut outcomes: Vec<Option<Delivered>> = vec![None; events.len()];
    let mut unattributed = Vec::new();
    let comparables: Vec<Value> = events.iter().map(comparable).collect();
    for (invalid, st) in listed {
        let message = status_message(st);
        let outcome = if invalid { Delivered::Invalid(message) } else { Delivered::Error(message) };
        let echo = st.get("event").map(comparable);
        // The same event first; else one the intake only added fields to
        // (eventgate-wikimedia enriches from HTTP headers and fills in `dt`).
        let free = |i: &usize| outcomes[*i].is_none();
        let slot = echo.and_then(|e| {
            (0..events.len())
                .filter(free)
                .find(|&i| comparables[i] == e)
                .or_else(|| (0..events.len()).filter(free).find(|&i| contained_in(&comparables[i], &e)))
        });
        match slot {
            Some(i) => outcomes[i] = Some(outcome),
            None => unattributed.push(st.get("event").cloned().unwrap_or(Value::Null)),
        }
    }
    let text = String::from_utf8_lossy(body);
    let rest = match status {
        207 => Delivered::Accepted,
        400 => Delivered::Invalid(format!("rejected by the intake (HTTP 400): {}", snippet(&text))),
        _ => Delivered::Error(format!("the intake failed (HTTP {status}): {}", snippet(&text))),
    };
    Ok((outcomes.into_iter().map(|o| o.unwrap_or_else(|| rest.clone())).collect(), unattributed))
}

/// The `EventStatus` entries of an EventGate body, as `(invalid?, entry)`; see [`read_statuses`].
fn eventgate_statuses(body: &Map<String, Value>) -> Result<Vec<(bool, &Value)>, String> {
    if !body.contains_key("invalid") && !body.contains_key("error") {
        return Err("neither an `invalid` nor an `error` list".into());
    }
    let mut listed = Vec::new();
    for (key, invalid) in [("invalid", true), ("error", false)] {
        let Some(list) = body.get(key) else { continue };
        let Value::Array(list) = list else { return Err(format!("`{key}` is not an array")) };
        for (i, st) in list.iter().enumerate() {
            if !st.as_object().is_some_and(|o| o.contains_key("event")) {
                return Err(format!("`{key}[{i}]` is not an EventStatus object carrying `event`"));
            }
            listed.push((invalid, st));
        }
    }
    if listed.is_empty() {
        return Err("it lists no failed event".into());
    }
    Ok(listed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(events: &[Value], body: &Value, status: u16) -> (Vec<Delivered>, Vec<Value>) {
        read_statuses(events, status, body.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn statuses_map_back_to_batch_positions() {
        let events = vec![
            json!({"action": "click", "meta": {"stream": "s"}}),
            json!({"action": "bad", "meta": {"stream": "s"}}),
        ];
        let body = json!({"invalid": [{"status": "invalid", "event": {"meta": {"stream": "s", "dt": "x", "id": "y"}, "action": "bad"},
                            "context": {"errorsText": "'.action' should be equal to one of the allowed values"}}], "error": []});
        let (o, u) = read(&events, &body, 207);
        assert_eq!(
            o,
            [Delivered::Accepted, Delivered::Invalid("'.action' should be equal to one of the allowed values".into())]
        );
        assert!(u.is_empty());
        let body = json!({"invalid": [], "error": [{"status": "error", "event": events[1], "context": {"message": "produce failed"}}]});
        let (o, _) = read(&events, &body, 207);
        assert_eq!(o[1], Delivered::Error("produce failed".into()));
    }

    #[test]
    fn duplicate_events_are_matched_once_each_and_strangers_kept() {
        let e = json!({"a": 1});
        let body =
            json!({"invalid": [{"event": e, "context": {"message": "m"}}, {"event": {"other": 1}, "context": {}}]});
        let (o, u) = read(&[e.clone(), e.clone()], &body, 207);
        assert_eq!(o, [Delivered::Invalid("m".into()), Delivered::Accepted]);
        assert_eq!(u, [json!({"other": 1})]);
    }

    #[test]
    fn echoes_with_fields_the_intake_added_are_matched() {
        let events = vec![
            json!({"action": "a", "meta": {"stream": "s"}}),
            json!({"action": "b", "meta": {"stream": "s"}, "http": {"x": 1}}),
        ];
        // The intake added `http.request_headers` and `dt` to the second event.
        let echo = json!({"action": "b", "dt": "2026-01-02T03:04:05.678Z", "meta": {"stream": "s", "dt": "x", "id": "y"},
                          "http": {"x": 1, "request_headers": {"user-agent": "ua"}}});
        let body = json!({"invalid": [{"event": echo, "context": {"errorsText": "bad"}}], "error": []});
        let (o, u) = read(&events, &body, 207);
        assert_eq!(o, [Delivered::Accepted, Delivered::Invalid("bad".into())]);
        assert!(u.is_empty());
        // A changed field is not a match: the echo is kept as a stranger.
        let body = json!({"invalid": [{"event": {"action": "c", "meta": {"stream": "s"}}, "context": {}}]});
        let (o, u) = read(&events, &body, 207);
        assert_eq!(o, [Delivered::Accepted, Delivered::Accepted]);
        assert_eq!(u.len(), 1);
        // An exact match wins over an earlier event the echo merely contains.
        let events = vec![json!({"meta": {"stream": "s"}}), json!({"action": "a", "meta": {"stream": "s"}})];
        let body = json!({"invalid": [{"event": {"action": "a", "meta": {"stream": "s"}}, "context": {}}]});
        let (o, _) = read(&events, &body, 207);
        assert!(matches!(o[1], Delivered::Invalid(_)), "{o:?}");
        assert_eq!(o[0], Delivered::Accepted);
    }

    #[test]
    fn services_map_to_public_intakes() {
        assert_eq!(intake_for_service("eventgate-analytics-external"), Some(ANALYTICS_INTAKE));
        assert_eq!(intake_for_service("eventgate-logging-external"), Some(LOGGING_INTAKE));
        assert_eq!(intake_for_service("eventgate-main"), None);
    }

    #[test]
    fn backoff_grows_with_jitter() {
        let b = Duration::from_millis(100);
        let d0 = backoff(b, 0);
        let d3 = backoff(b, 3);
        assert!(d0 >= b && d0 <= b.mul_f64(1.5), "{d0:?}");
        assert!(d3 >= b * 8 && d3 <= (b * 8).mul_f64(1.5), "{d3:?}");
    }

    #[test]
    fn bodies_that_are_not_eventgates_are_refused_with_the_reason() {
        let events = vec![json!({"a": 1}), json!({"a": 2})];
        let full =
            json!({"invalid": [{"status": "invalid", "event": {"a": 1}, "context": {"errorsText": "x"}}], "error": []})
                .to_string();
        let cases: [(&[u8], &str); 11] = [
            (b"<html>502 Bad Gateway</html>", "not JSON"),
            (b"", "not JSON"),
            (&full.as_bytes()[..full.len() - 3], "not JSON"),
            (b"[]", "not a JSON object"),
            (b"\"invalid\"", "not a JSON object"),
            (b"{}", "neither an `invalid` nor an `error` list"),
            (
                br#"{"type": "https://mediawiki.org/wiki/HyperSwitch/errors/bad_request", "title": "Bad Request"}"#,
                "neither",
            ),
            (br#"{"invalid": {"event": {"a": 1}}}"#, "`invalid` is not an array"),
            (br#"{"invalid": [], "error": [1]}"#, "`error[0]` is not an EventStatus object carrying `event`"),
            (br#"{"invalid": [{"status": "invalid", "context": {}}]}"#, "`invalid[0]` is not an EventStatus"),
            (br#"{"invalid": [], "error": []}"#, "it lists no failed event"),
        ];
        for (body, why) in cases {
            for status in [207, 400, 500] {
                let err = read_statuses(&events, status, body).unwrap_err();
                assert!(err.contains(why), "{status} {:?}: {err}", String::from_utf8_lossy(body));
            }
        }
        // The whole body reads.
        let (o, u) = read_statuses(&events, 207, full.as_bytes()).unwrap();
        assert_eq!(o, [Delivered::Invalid("x".into()), Delivered::Accepted]);
        assert!(u.is_empty());
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_470); // Wed, 21 Oct 2015 07:27:50 GMT
        assert_eq!(parse_retry_after("1", now), Some(Duration::from_secs(1)));
        assert_eq!(parse_retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("0", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("99999999999999999999999", now), Some(Duration::from_secs(u64::MAX)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), Some(Duration::from_secs(10)));
        assert_eq!(parse_retry_after("Wednesday, 21-Oct-15 07:28:00 GMT", now), Some(Duration::from_secs(10)));
        assert_eq!(parse_retry_after("Wed Oct 21 07:28:00 2015", now), Some(Duration::from_secs(10)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), Some(Duration::ZERO), "in the past");
        for bad in ["", "-1", "1.5", "soon", "Wed, 21 Oct 2015"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn answers_are_read_up_to_the_limit_and_no_further() {
        let limit = 1000;
        let Answer::Cut { bytes, why } = read_capped(std::io::repeat(b'x'), limit) else { panic!("not cut") };
        assert_eq!(bytes.len(), 1000);
        assert!(why.contains("longer than epc reads (1000 bytes)"), "{why}");
        assert!(matches!(read_capped(&[b'x'; 1000][..], limit), Answer::Whole(b) if b.len() == 1000));
        assert_eq!(answer_limit(10), MIN_ANSWER_LIMIT);
        assert_eq!(answer_limit(4 << 20), 32 << 20);
    }

    // A misbehaving loopback intake: raw bytes over a std TcpListener.

    use std::io::Write as _;
    use std::net::{TcpListener, TcpStream};
    use std::sync::mpsc;

    /// How the loopback intake answers one connection.
    enum Raw {
        /// These bytes, then close.
        Bytes(String),
        /// This head, then body bytes until the client goes away (at most 30 s).
        Endless(String),
    }

    fn bytes(s: &str) -> Raw {
        Raw::Bytes(s.to_owned())
    }

    /// A whole answer: status line, `Content-Length`, `Connection: close`, more headers, body.
    fn answer(status: &str, headers: &str, body: &str) -> Raw {
        Raw::Bytes(format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n{body}",
            body.len()
        ))
    }

    /// A loopback intake answering one connection per entry of `answers`, in
    /// order; then it stops (later connections are refused). Returns its URL and
    /// the request line and body of each request it got.
    fn raw_intake(answers: Vec<Raw>) -> (String, mpsc::Receiver<(String, Vec<u8>)>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let url = format!("http://{}/v1/events", listener.local_addr().unwrap());
        let (tx, rx) = mpsc::channel();
        listener.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            for raw in answers {
                let stream = loop {
                    match listener.accept() {
                        Ok((s, _)) => break s,
                        Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(2)),
                        Err(_) => return,
                    }
                };
                if let Some(request) = read_request(&stream) {
                    let _ = tx.send(request);
                }
                answer_with(stream, raw);
            }
        });
        (url, rx)
    }

    fn read_request(mut stream: &TcpStream) -> Option<(String, Vec<u8>)> {
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
        let line = head.lines().next().unwrap_or_default().to_owned();
        Some((line, buf[head_end..head_end + length].to_vec()))
    }

    fn answer_with(mut stream: TcpStream, raw: Raw) {
        match raw {
            Raw::Bytes(b) => {
                let _ = stream.write_all(b.as_bytes());
            }
            Raw::Endless(head) => {
                let started = Instant::now();
                let chunk = vec![b'x'; 64 * 1024];
                if stream.write_all(head.as_bytes()).is_ok() {
                    while started.elapsed() < Duration::from_secs(30) && stream.write_all(&chunk).is_ok() {}
                }
            }
        }
        let _ = stream.shutdown(std::net::Shutdown::Both);
    }

    fn batch() -> Vec<Value> {
        vec![json!({"action": "a", "meta": {"stream": "s"}}), json!({"action": "b", "meta": {"stream": "s"}})]
    }

    fn quick() -> RetryPolicy {
        RetryPolicy { retries: 3, base_delay: Duration::from_millis(10), max_total: Duration::from_secs(20) }
    }

    /// Sends `batch()` to an intake answering `answers`: the report and the requests it got.
    fn send(answers: Vec<Raw>, retry: &RetryPolicy) -> (BatchReport, Vec<(String, Vec<u8>)>, Duration) {
        let (url, seen) = raw_intake(answers);
        let gate = EventGate::new(&url, Duration::from_secs(20), false).unwrap();
        let started = Instant::now();
        let report = gate.submit(&batch(), retry);
        let took = started.elapsed();
        (report, seen.try_iter().collect(), took)
    }

    fn unknown(outcome: &Delivered) -> &str {
        match outcome {
            Delivered::Unknown(m) => m,
            other => panic!("not unknown: {other:?}"),
        }
    }

    fn unsent(outcome: &Delivered) -> &str {
        match outcome {
            Delivered::Unsent(m) => m,
            other => panic!("not unsent: {other:?}"),
        }
    }

    #[test]
    fn a_207_or_400_with_a_body_that_is_not_eventgates_is_unknown_and_not_retried() {
        for (status, body, why) in [
            ("207 Multi-Status", "<html>oops</html>", "not JSON"),
            ("207 Multi-Status", r#"{"invalid": "x"}"#, "`invalid` is not an array"),
            ("207 Multi-Status", "{\"invalid\": [{\"event\": {\"action\": \"a\"", "not JSON"),
            ("400 Bad Request", "<html><body>400 Bad Request</body></html>", "not JSON"),
            ("400 Bad Request", r#"{"title": "Bad Request"}"#, "neither"),
        ] {
            let (report, seen, _) = send(vec![answer(status, "", body)], &quick());
            assert_eq!((report.attempts, seen.len()), (1, 1), "{status} {body}");
            let code = &status[..3];
            for o in &report.outcomes {
                let m = unknown(o);
                assert!(m.contains(&format!("HTTP {code} with a body that is not EventGate's ({why}")), "{m}");
                assert!(m.ends_with(&format!(": {}", snippet(body))), "{m}");
                assert!(m.contains("whether this event was stored is unknown"), "{m}");
            }
        }
    }

    #[test]
    fn a_207_whose_body_breaks_off_is_unknown_even_when_its_start_reads() {
        let body = json!({"invalid": [{"status": "invalid", "event": batch()[1], "context": {"errorsText": "bad"}}],
                          "error": []})
        .to_string();
        // Content-Length promises more than is sent, then the connection closes.
        let head = format!(
            "HTTP/1.1 207 Multi-Status\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len() + 100
        );
        let (report, seen, _) = send(vec![bytes(&format!("{head}{body}"))], &quick());
        assert_eq!((report.attempts, seen.len(), report.status), (1, 1, Some(207)));
        for o in &report.outcomes {
            let m = unknown(o);
            assert!(m.contains("HTTP 207 with a body that broke off after ") && m.contains("stored is unknown"), "{m}");
        }
        // A Content-Length shorter than the body: what is read is not JSON.
        let head =
            format!("HTTP/1.1 207 Multi-Status\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len() - 5);
        let (report, _, _) = send(vec![bytes(&format!("{head}{body}"))], &quick());
        assert!(unknown(&report.outcomes[0]).contains("not JSON"), "{:?}", report.outcomes);
    }

    #[test]
    fn a_2xx_whose_body_breaks_off_or_never_ends_is_accepted_and_not_retried() {
        let broken = "HTTP/1.1 201 Created\r\nContent-Length: 100\r\n\r\n{\"a\"";
        let (report, seen, _) = send(vec![bytes(broken), answer("201 Created", "", "")], &quick());
        assert_eq!(report.outcomes, [Delivered::Accepted, Delivered::Accepted]);
        assert_eq!((report.attempts, seen.len()), (1, 1), "a 201 is never sent twice");
        let broken = "HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab";
        let (report, seen, _) = send(vec![bytes(broken)], &quick());
        assert_eq!(report.outcomes, [Delivered::AcceptedHasty, Delivered::AcceptedHasty]);
        assert_eq!(seen.len(), 1);
        let endless = "HTTP/1.1 201 Created\r\nContent-Length: 1000000000000\r\n\r\n";
        let (report, seen, took) = send(vec![Raw::Endless(endless.into())], &quick());
        assert_eq!(report.outcomes, [Delivered::Accepted, Delivered::Accepted]);
        assert_eq!(seen.len(), 1);
        assert!(took < Duration::from_secs(15), "{took:?}");
    }

    #[test]
    fn an_endless_207_is_unknown_and_an_endless_503_is_retried() {
        let endless = "HTTP/1.1 207 Multi-Status\r\nTransfer-Encoding: chunked\r\n\r\n";
        // An endless chunked body: one chunk header, then bytes forever.
        let (report, _, took) = send(vec![Raw::Endless(format!("{endless}fffffffffff\r\n"))], &quick());
        for o in &report.outcomes {
            let m = unknown(o);
            assert!(m.contains(&format!("longer than epc reads ({MIN_ANSWER_LIMIT} bytes)")), "{m}");
        }
        assert!(took < Duration::from_secs(15), "{took:?}");
        let endless = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 1000000000000\r\n\r\n";
        let (report, seen, _) = send(vec![Raw::Endless(endless.into()), answer("201 Created", "", "")], &quick());
        assert_eq!(report.outcomes, [Delivered::Accepted, Delivered::Accepted]);
        assert_eq!((report.attempts, seen.len()), (2, 2));
    }

    #[test]
    fn a_429_or_503_is_retried_after_the_wait_it_asks_for() {
        for status in ["429 Too Many Requests", "503 Service Unavailable"] {
            let answers = vec![answer(status, "Retry-After: 1\r\n", "slow down"), answer("201 Created", "", "")];
            let (report, seen, took) = send(answers, &quick());
            assert_eq!(report.outcomes, [Delivered::Accepted, Delivered::Accepted], "{status}");
            assert_eq!((report.attempts, seen.len()), (2, 2));
            assert!(took >= Duration::from_secs(1), "Retry-After: 1 was not honoured: {took:?}");
            assert!(took < Duration::from_secs(10), "{took:?}");
            // Both requests carried the same batch.
            assert_eq!(seen[0].1, seen[1].1);
        }
        // Without Retry-After: the backoff, then the next answer.
        let (report, seen, _) =
            send(vec![answer("503 Service Unavailable", "", ""), answer("201 Created", "", "")], &quick());
        assert_eq!((report.outcomes[0].clone(), seen.len()), (Delivered::Accepted, 2));
        // Retries run out: unsent, naming the status.
        let answers = (0..2).map(|_| answer("429 Too Many Requests", "", "busy")).collect();
        let (report, seen, _) = send(answers, &RetryPolicy { retries: 1, ..quick() });
        assert_eq!(seen.len(), 2);
        assert!(unsent(&report.outcomes[1]).contains("answered HTTP 429: busy"), "{:?}", report.outcomes);
    }

    #[test]
    fn a_retry_after_beyond_the_bound_ends_the_retries_and_says_so() {
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3600));
        for value in ["3600".to_owned(), later] {
            let answers = vec![answer("429 Too Many Requests", &format!("Retry-After: {value}\r\n"), "")];
            let (report, seen, took) = send(answers, &quick());
            assert_eq!((report.attempts, seen.len(), report.status), (1, 1, Some(429)));
            assert!(took < Duration::from_secs(5), "{took:?}");
            for o in &report.outcomes {
                let m = unsent(o);
                assert!(m.contains("answered HTTP 429"), "{m}");
                assert!(
                    m.contains("the intake asked to wait 3") && m.contains("s before retrying (Retry-After)"),
                    "{m}"
                );
                assert!(m.contains("not retried"), "{m}");
            }
        }
        // Within the bound but over the time left.
        let answers = vec![answer("503 Service Unavailable", "Retry-After: 5\r\n", "")];
        let (report, _, _) = send(answers, &RetryPolicy { max_total: Duration::from_secs(2), ..quick() });
        assert!(unsent(&report.outcomes[0]).contains("asked to wait 5 s"), "{:?}", report.outcomes);
    }

    #[test]
    fn a_redirect_is_reported_with_its_location_and_not_followed() {
        for (status, location, named) in [
            ("301 Moved Permanently", "https://intake.example.org/v1/events", "https://intake.example.org/v1/events"),
            ("302 Found", "/v2/events", "/v2/events"),
            ("307 Temporary Redirect", "/v1/events?x=1", "/v1/events?x=1"),
        ] {
            let answers = vec![answer(status, &format!("Location: {location}\r\n"), ""), answer("201 Created", "", "")];
            let (report, seen, _) = send(answers, &quick());
            assert_eq!((report.attempts, seen.len()), (1, 1), "{status}: followed or retried");
            assert!(seen[0].0.starts_with("post /v1/events "), "{:?}", seen[0].0);
            let code = &status[..3];
            for o in &report.outcomes {
                let m = unsent(o);
                assert!(m.starts_with("the intake redirected to "), "{m}");
                assert!(m.contains(named) && m.contains(&format!("(HTTP {code})")), "{m}");
                assert!(m.contains("epc does not follow redirects for POSTs: pass that URL as --intake-url"), "{m}");
            }
            if location.starts_with('/') {
                // A relative Location is named as an absolute URL.
                assert!(
                    unsent(&report.outcomes[0]).contains("redirected to http://127.0.0.1:"),
                    "{:?}",
                    report.outcomes
                );
            }
        }
    }

    #[test]
    fn a_500_whose_body_is_not_eventgates_is_retried_as_any_5xx() {
        let answers = vec![answer("500 Internal Server Error", "", "<html>oops</html>"), answer("201 Created", "", "")];
        let (report, seen, _) = send(answers, &quick());
        assert_eq!((report.outcomes[0].clone(), seen.len()), (Delivered::Accepted, 2));
        let (report, _, _) = send(
            vec![answer("500 Internal Server Error", "", "<html>oops</html>")],
            &RetryPolicy { retries: 0, ..quick() },
        );
        let m = unsent(&report.outcomes[0]);
        assert!(m.contains("answered HTTP 500 with a body that is not EventGate's (not JSON"), "{m}");
        assert!(m.ends_with(": <html>oops</html>"), "{m}");
    }
}
