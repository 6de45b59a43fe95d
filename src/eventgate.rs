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
//!   context holds `message`, `errors` (ajv-style: `keyword`, `dataPath`,
//!   `instancePath`, `schemaPath`, `message`) and `errorsText` (`'<dataPath>'
//!   <message>` joined by `, `); for errors it holds only `message`.
//!
//! Accepted events get what the WMF deployment fills in when absent
//! (schema-repos.md §5.4): `meta.dt` (receive time) and `meta.id` (a UUID).

use std::time::SystemTime;

use serde_json::{Map, Value, json};

use crate::validate::{EventValidator, Outcome, Violation};

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

/// Reads a request body into events.
///
/// # Errors
/// The 400 [`Answer`] for an empty body or one that is not JSON (a
/// duplicate key counts: EventGate would silently keep the last value).
pub fn parse_body(body: &[u8]) -> Result<Vec<Value>, Answer> {
    let bad = |message: String| Answer { status: 400, message, body: None };
    let text = std::str::from_utf8(body).map_err(|e| bad(format!("Request body is not UTF-8: {e}")))?;
    if text.trim().is_empty() {
        return Err(bad("Request body was empty. Must provide JSON encoded events.".to_owned()));
    }
    let value = crate::schema::yaml::parse_json_str(text, "request body")
        .map_err(|e| bad(format!("Request body was not valid JSON: {e}")))?;
    match value {
        Value::Array(events) if events.is_empty() => {
            Err(bad("Request body was empty. Must provide JSON encoded events.".to_owned()))
        }
        Value::Array(events) => Ok(events),
        Value::Object(ref m) if m.is_empty() => {
            Err(bad("Request body was empty. Must provide JSON encoded events.".to_owned()))
        }
        other => Ok(vec![other]),
    }
}

/// Judges every event; accepted ones get `meta.dt = received` and a `meta.id` when absent.
#[must_use]
pub fn judge(validator: &EventValidator, events: Vec<Value>, received: SystemTime) -> Vec<EventStatus> {
    let dt = crate::event::format_dt(received);
    events
        .into_iter()
        .map(|mut event| {
            let report = validator.validate(&event);
            let stream = report.stream.clone();
            match report.outcome {
                Outcome::Valid => {
                    if let Some(Value::Object(meta)) = event.get_mut("meta") {
                        meta.entry("dt").or_insert_with(|| Value::String(dt.clone()));
                        if !meta.contains_key("id") {
                            meta.insert("id".to_owned(), Value::String(uuid::Uuid::new_v4().to_string()));
                        }
                    }
                    EventStatus { status: "success", event, context: None, stream }
                }
                Outcome::Invalid => {
                    let errors: Vec<Value> = report.violations.iter().map(ajv_error).collect();
                    let text = report
                        .violations
                        .iter()
                        .map(|v| format!("'{}' {}", data_path(&v.instance_path), v.message))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let message = match &report.schema_uri {
                        Some(uri) => format!("Event failed validation with schema at {uri}"),
                        None => "Event failed validation".to_owned(),
                    };
                    let context = json!({"message": message, "errors": errors, "errorsText": text});
                    EventStatus { status: "invalid", event, context: Some(context), stream }
                }
                Outcome::Unresolved => {
                    let message = report.violations.first().map_or_else(String::new, |v| v.message.clone());
                    EventStatus { status: "error", event, context: Some(json!({"message": message})), stream }
                }
            }
        })
        .collect()
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
        Answer { status: 201, message: format!("All {ok} out of {ok} events were accepted."), body: None }
    } else if ok == 0 && error == 0 {
        let mut body = Map::new();
        body.insert("invalid".to_owned(), list("invalid"));
        Answer {
            status: 400,
            message: format!("{invalid} out of {invalid} events were invalid and not accepted."),
            body: Some(Value::Object(body)),
        }
    } else {
        let body = json!({"invalid": list("invalid"), "error": list("error")});
        let total = statuses.len();
        if ok == 0 {
            Answer { status: 500, message: format!("0 out of {total} events were accepted."), body: Some(body) }
        } else {
            Answer { status: 207, message: format!("{ok} out of {total} events were accepted."), body: Some(body) }
        }
    }
}

/// Whether a `hasty` query value asks for a hasty answer: any non-empty value,
/// `false` included, as EventGate's truthiness test does.
#[must_use]
pub fn is_hasty(value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.is_empty())
}

/// A stream name safe as a file name: characters outside `[A-Za-z0-9_.-]`
/// become `_` and leading `_`/`.` are stripped (EventGate's topic rule, plus no dot files).
#[must_use]
pub fn file_safe_stream(stream: &str) -> String {
    let s: String = stream
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') { c } else { '_' })
        .collect();
    let s = s.trim_start_matches(['_', '.']).to_owned();
    if s.is_empty() { "_unnamed".to_owned() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(status: &'static str) -> EventStatus {
        EventStatus { status, event: json!({}), context: None, stream: None }
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
        assert_eq!(file_safe_stream("../../etc/passwd"), "etc_passwd");
        assert_eq!(file_safe_stream("mediawiki.web_ui_actions"), "mediawiki.web_ui_actions");
        assert_eq!(file_safe_stream(""), "_unnamed");
    }
}
