//! Delivery to an intake: EventGate's `POST /v1/events`, read exactly as
//! epc-spec.md §6.2 describes it, retrying only what is safe to retry.
//!
//! - Events go out as JSON arrays (`application/json`), in input order.
//! - 201: every event accepted. 202: accepted *without validation* (`?hasty`).
//! - 207 and 400: the body lists the failed events (`{"invalid": [...],
//!   "error": [...]}`, each an `EventStatus` carrying the event); each is
//!   matched back to its position in the batch, and the rest of a 207 was accepted.
//! - 500, other 5xx and network errors: nothing was accepted, so the batch is
//!   retried with exponential backoff and jitter, bounded in attempts and time
//!   (decisions.md, "Sending"); when retries run out, every event is reported
//!   as not delivered. Other statuses are not retried.
//!
//! Every event of a batch gets exactly one [`Delivered`] outcome, so a caller
//! can put each event either among the accepted or among the failed, never both
//! and never neither.

use std::time::{Duration, Instant};

use serde_json::{Map, Value};

/// The public analytics intake (`eventgate-analytics-external`).
pub const ANALYTICS_INTAKE: &str = "https://intake-analytics.wikimedia.org/v1/events";
/// The public logging intake (`eventgate-logging-external`).
pub const LOGGING_INTAKE: &str = "https://intake-logging.wikimedia.org/v1/events";

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
    /// Never accepted: network errors or 5xx until retries ran out, or another status.
    Unsent(String),
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
    /// The first delay; each retry doubles it, plus up to 50% jitter.
    pub base_delay: Duration,
    /// No retry starts after this much time since the first attempt.
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

impl EventGate {
    /// A client for `url` (`…/v1/events`, with `?hasty=true` appended when
    /// `hasty`), with a per-request timeout and epc's User-Agent.
    ///
    /// # Errors
    /// [`IntakeError`] when the HTTP client cannot be built.
    pub fn new(url: &str, timeout: Duration, hasty: bool) -> Result<Self, IntakeError> {
        let client = reqwest::blocking::Client::builder()
            .user_agent(crate::source::USER_AGENT)
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
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
        let started = Instant::now();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let (retryable, mut report) = self.attempt(events, &body);
            report.attempts = attempts;
            let elapsed = started.elapsed();
            if !retryable || attempts > retry.retries {
                return report;
            }
            let delay = backoff(retry.base_delay, attempts - 1);
            if elapsed + delay > retry.max_total {
                return report;
            }
            std::thread::sleep(delay);
        }
    }

    /// One request: the report, and whether it may be retried.
    fn attempt(&self, events: &[Value], body: &[u8]) -> (bool, BatchReport) {
        let all = |d: Delivered| vec![d; events.len()];
        let report = |outcomes, status| BatchReport { outcomes, status, attempts: 0, unattributed: Vec::new() };
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
                return (true, report(all(Delivered::Unsent(format!("cannot reach {}: {why}", self.url))), None));
            }
        };
        let status = response.status().as_u16();
        let text = match response.text() {
            Ok(t) => t,
            Err(e) => {
                let why = format!("the answer from {} broke off (HTTP {status}): {}", self.url, innermost(&e));
                return (true, report(all(Delivered::Unsent(why)), Some(status)));
            }
        };
        match status {
            201 => (false, report(all(Delivered::Accepted), Some(status))),
            202 => (false, report(all(Delivered::AcceptedHasty), Some(status))),
            207 | 400 | 500 => {
                let (outcomes, unattributed) = read_statuses(events, &text, status);
                let nothing_accepted = !outcomes.iter().any(Delivered::is_accepted);
                let retry = status == 500 && nothing_accepted;
                (retry, BatchReport { outcomes, status: Some(status), attempts: 0, unattributed })
            }
            s if s >= 500 => {
                let why = format!("{} answered HTTP {s}: {}", self.url, snippet(&text));
                (true, report(all(Delivered::Unsent(why)), Some(status)))
            }
            s => {
                let why = format!("{} answered HTTP {s}: {}", self.url, snippet(&text));
                (false, report(all(Delivered::Unsent(why)), Some(status)))
            }
        }
    }
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

/// Maps a 207/400/500 body back onto the batch.
fn read_statuses(events: &[Value], body: &str, status: u16) -> (Vec<Delivered>, Vec<Value>) {
    let parsed: Option<Map<String, Value>> = serde_json::from_str(body).ok();
    let mut outcomes: Vec<Option<Delivered>> = vec![None; events.len()];
    let mut unattributed = Vec::new();
    let comparables: Vec<Value> = events.iter().map(comparable).collect();
    if let Some(body) = &parsed {
        for (key, invalid) in [("invalid", true), ("error", false)] {
            for st in body.get(key).and_then(Value::as_array).into_iter().flatten() {
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
        }
    }
    let rest = match status {
        207 => Delivered::Accepted,
        400 => Delivered::Invalid(format!("rejected by the intake (HTTP 400): {}", snippet(body))),
        _ => Delivered::Error(format!("the intake failed (HTTP {status}): {}", snippet(body))),
    };
    (outcomes.into_iter().map(|o| o.unwrap_or_else(|| rest.clone())).collect(), unattributed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statuses_map_back_to_batch_positions() {
        let events = vec![
            json!({"action": "click", "meta": {"stream": "s"}}),
            json!({"action": "bad", "meta": {"stream": "s"}}),
        ];
        let body = json!({"invalid": [{"status": "invalid", "event": {"meta": {"stream": "s", "dt": "x", "id": "y"}, "action": "bad"},
                            "context": {"errorsText": "'.action' should be equal to one of the allowed values"}}], "error": []});
        let (o, u) = read_statuses(&events, &body.to_string(), 207);
        assert_eq!(
            o,
            [Delivered::Accepted, Delivered::Invalid("'.action' should be equal to one of the allowed values".into())]
        );
        assert!(u.is_empty());
        let body = json!({"invalid": [], "error": [{"status": "error", "event": events[1], "context": {"message": "produce failed"}}]});
        let (o, _) = read_statuses(&events, &body.to_string(), 207);
        assert_eq!(o[1], Delivered::Error("produce failed".into()));
    }

    #[test]
    fn duplicate_events_are_matched_once_each_and_strangers_kept() {
        let e = json!({"a": 1});
        let body =
            json!({"invalid": [{"event": e, "context": {"message": "m"}}, {"event": {"other": 1}, "context": {}}]});
        let (o, u) = read_statuses(&[e.clone(), e.clone()], &body.to_string(), 207);
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
        let (o, u) = read_statuses(&events, &body.to_string(), 207);
        assert_eq!(o, [Delivered::Accepted, Delivered::Invalid("bad".into())]);
        assert!(u.is_empty());
        // A changed field is not a match: the echo is kept as a stranger.
        let body = json!({"invalid": [{"event": {"action": "c", "meta": {"stream": "s"}}, "context": {}}]});
        let (o, u) = read_statuses(&events, &body.to_string(), 207);
        assert_eq!(o, [Delivered::Accepted, Delivered::Accepted]);
        assert_eq!(u.len(), 1);
        // An exact match wins over an earlier event the echo merely contains.
        let events = vec![json!({"meta": {"stream": "s"}}), json!({"action": "a", "meta": {"stream": "s"}})];
        let body = json!({"invalid": [{"event": {"action": "a", "meta": {"stream": "s"}}, "context": {}}]});
        let (o, _) = read_statuses(&events, &body.to_string(), 207);
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
}
