//! Events as a client sends them: decoration, Metrics Platform interactions,
//! context attributes, curation and cc copies.
//!
//! Decoration follows decisions.md ("Decoration") and case 19:
//! - `$schema` comes from the event or the command line; both present and
//!   different is an error (the event would go to the wrong schema), and
//!   neither is an error.
//! - `meta.stream` is the target stream; an event that names another stream
//!   is an error, never silently overwritten. Each cc copy gets its own.
//! - `meta.domain` comes from the command line when given, else is kept.
//! - `dt` is kept when present, else set to the current UTC time as
//!   `YYYY-MM-DDTHH:MM:SS.sssZ` (exactly three fraction digits, as
//!   `Date.prototype.toISOString()`). An event with a truthy `client_dt` is a
//!   legacy EventLogging event: it gets no `dt` (epc-spec.md §5.2).
//! - Identifier fields the schema declares at the top level and the event
//!   lacks are filled: `web_session_id`/`app_session_id` with the session id,
//!   `web_pageview_id` with the pageview id, `app_install_id` with the device id.
//!
//! Metrics Platform interactions are built as MP-JS `submitInteraction` does
//! (epc-spec.md §7.1, §7.2, key order §5.4), so that the cross-language
//! consistency suite reproduces.

use std::time::SystemTime;

use serde_json::{Map, Value};

use crate::identifier::{self, IdentifierKind};
use crate::sampling::{SamplingUnit, js_truthy};
use crate::stream::{StreamConfig, json_type};

/// The identifiers a client holds: they fill identifier fields, context
/// attributes and drive sampling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifiers {
    /// Session id (20 lower-case hex characters on the web).
    pub session: String,
    /// Pageview id.
    pub pageview: String,
    /// Device id (`app_install_id`, a UUID).
    pub device: String,
}

impl Identifiers {
    /// Fresh standard identifiers (decisions.md, "Identifiers").
    ///
    /// # Errors
    /// Only if the operating system's random generator fails.
    pub fn generate() -> Result<Self, getrandom::Error> {
        Ok(Self {
            session: identifier::generate(IdentifierKind::Session)?,
            pageview: identifier::generate(IdentifierKind::Pageview)?,
            device: identifier::generate(IdentifierKind::Device)?,
        })
    }

    /// The identifier a sampling unit samples on.
    #[must_use]
    pub fn for_unit(&self, unit: SamplingUnit) -> &str {
        match unit {
            SamplingUnit::Session => &self.session,
            SamplingUnit::Pageview => &self.pageview,
            SamplingUnit::Device => &self.device,
        }
    }
}

/// Why an event cannot be decorated for its stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecorateError {
    /// The event is not a JSON object.
    #[error("an event must be a JSON object, found {0}")]
    NotAnObject(&'static str),
    /// No `$schema` in the event nor on the command line.
    #[error("the event has no `$schema` and none was given (pass --schema URI)")]
    MissingSchema,
    /// The event's `$schema` differs from the one given.
    #[error("the event's `$schema` is `{event}` but `{given}` was given; remove one of them")]
    SchemaConflict {
        /// The event's `$schema`.
        event: String,
        /// The command line's.
        given: String,
    },
    /// The event names another stream in `meta.stream`.
    #[error("the event's `meta.stream` is `{event}` but it is being sent to `{stream}`")]
    StreamConflict {
        /// The event's `meta.stream`.
        event: String,
        /// The target stream.
        stream: String,
    },
    /// `meta` is not an object, or `$schema` not a string.
    #[error("`{field}` must be {expected}, found {found}")]
    WrongType {
        /// The field.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
        /// What it is.
        found: &'static str,
    },
}

/// What decoration adds, fixed for a run.
#[derive(Debug, Clone)]
pub struct Decoration {
    /// The target stream.
    pub stream: String,
    /// The `$schema` from the command line, if any.
    pub schema_uri: Option<String>,
    /// `meta.domain` from the command line, if any.
    pub domain: Option<String>,
    /// The `dt` given to events without one.
    pub now: String,
    /// The identifiers.
    pub ids: Identifiers,
    /// Top-level identifier fields the schema declares (`web_session_id`, …).
    pub id_fields: Vec<String>,
}

/// The identifier fields epc fills when the schema declares them.
pub const ID_FIELDS: [&str; 4] = ["web_session_id", "web_pageview_id", "app_session_id", "app_install_id"];

/// `YYYY-MM-DDTHH:MM:SS.sssZ`, UTC, three fraction digits.
#[must_use]
pub fn format_dt(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

/// The identifier fields of [`ID_FIELDS`] that a schema declares in its top-level `properties`.
#[must_use]
pub fn declared_id_fields(schema: &Value) -> Vec<String> {
    let props = schema.get("properties").and_then(Value::as_object);
    ID_FIELDS.iter().filter(|f| props.is_some_and(|p| p.contains_key(**f))).map(|f| (*f).to_owned()).collect()
}

/// Decorates one event for `decoration.stream` (see the module documentation).
///
/// # Errors
/// [`DecorateError`] for a non-object, a missing or conflicting `$schema`, or
/// a conflicting `meta.stream`.
pub fn decorate(event: Value, decoration: &Decoration) -> Result<Map<String, Value>, DecorateError> {
    let Value::Object(mut event) = event else {
        return Err(DecorateError::NotAnObject(json_type(&event)));
    };
    match (event.get("$schema"), &decoration.schema_uri) {
        (Some(Value::String(e)), Some(g)) if e != g => {
            return Err(DecorateError::SchemaConflict { event: e.clone(), given: g.clone() });
        }
        (Some(Value::String(_)), _) => {}
        (Some(other), _) => {
            return Err(DecorateError::WrongType { field: "$schema", expected: "a string", found: json_type(other) });
        }
        (None, Some(g)) => {
            event.shift_insert(0, "$schema".to_owned(), Value::String(g.clone()));
        }
        (None, None) => return Err(DecorateError::MissingSchema),
    }
    if let Some(meta) = event.get("meta") {
        let Value::Object(meta) = meta else {
            return Err(DecorateError::WrongType { field: "meta", expected: "an object", found: json_type(meta) });
        };
        if let Some(s) = meta.get("stream")
            && s.as_str() != Some(decoration.stream.as_str())
        {
            return Err(DecorateError::StreamConflict {
                event: s.as_str().map_or_else(|| s.to_string(), str::to_owned),
                stream: decoration.stream.clone(),
            });
        }
    }
    if js_truthy(event.get("client_dt")) {
        event.shift_remove("dt");
    } else if !event.contains_key("dt") {
        event.insert("dt".to_owned(), Value::String(decoration.now.clone()));
    }
    let meta = event.entry("meta").or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(meta) = meta {
        meta.insert("stream".to_owned(), Value::String(decoration.stream.clone()));
        if let Some(domain) = &decoration.domain {
            meta.insert("domain".to_owned(), Value::String(domain.clone()));
        }
    }
    for field in &decoration.id_fields {
        if !event.contains_key(field) {
            let ids = &decoration.ids;
            let value = match field.as_str() {
                "web_session_id" | "app_session_id" => &ids.session,
                "web_pageview_id" => &ids.pageview,
                "app_install_id" => &ids.device,
                _ => continue,
            };
            event.insert(field.clone(), Value::String(value.clone()));
        }
    }
    Ok(event)
}

/// Rewrites numbers as JavaScript's `JSON.stringify` writes them, recursively:
/// an integer-valued float (`1.0`, `100.0`) becomes an integer and `-0` becomes
/// `0`; other floats and all integers stay exact. For the JS client profiles,
/// whose events carry numbers from stream config or callers as JS numbers.
pub fn js_numbers(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f == 0.0 {
                *value = Value::from(0);
            } else if f.fract() == 0.0 && f.abs() < 9.2e18 {
                #[allow(clippy::cast_possible_truncation)]
                let i = f as i64;
                *value = Value::from(i);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(js_numbers),
        Value::Object(map) => map.values_mut().for_each(js_numbers),
        _ => {}
    }
}

/// A copy of a decorated event for a cc stream: the same fields (`dt`,
/// identifiers, everything), its own `meta.stream` (decisions.md, "Stream cc'ing").
#[must_use]
pub fn copy_for_stream(event: &Map<String, Value>, stream: &str) -> Map<String, Value> {
    let mut copy = event.clone();
    if let Some(Value::Object(meta)) = copy.get_mut("meta") {
        meta.insert("stream".to_owned(), Value::String(stream.to_owned()));
    }
    copy
}

/// The context attributes every interaction asks for, after `provide_values`.
const ALWAYS_PROVIDED: [&str; 2] = ["agent_client_platform", "agent_client_platform_family"];

/// Builds a Metrics Platform interaction event as MP-JS `submitInteraction`
/// does (epc-spec.md §7.1, §7.2, §5.4): `{action}`, then the interaction
/// data (which may override `action`), then `$schema` (which it may not);
/// then the context attributes of `provide_values` and the two
/// `agent_client_platform*` ones, read from `context` (the shape of the
/// consistency suite's `integration_data.json`), `null`s omitted, caller
/// values overwritten; then `sample` when the stream's sample block is valid
/// for MP-JS (`js_coercion`: with MP-JS's coercion of the rate, under the
/// mp-js profile; else a numeric rate only). `dt` and `meta` are added by [`decorate`]; `meta.domain`
/// should come from the context's `hostname`.
#[must_use]
pub fn interaction_event(
    action: &str,
    interaction_data: &Map<String, Value>,
    schema_uri: &str,
    config: Option<&StreamConfig>,
    context: &Value,
    js_coercion: bool,
) -> Map<String, Value> {
    let mut event = Map::new();
    event.insert("action".to_owned(), Value::String(action.to_owned()));
    for (k, v) in interaction_data {
        event.insert(k.clone(), v.clone());
    }
    event.insert("$schema".to_owned(), Value::String(schema_uri.to_owned()));
    let provided = config.map(StreamConfig::provide_values).unwrap_or_default();
    for name in provided.iter().copied().chain(ALWAYS_PROVIDED) {
        let Some((group, field)) = name.split_once('_') else { continue };
        let Some(value) = context.get(group).and_then(|g| g.get(field)).filter(|v| !v.is_null()) else { continue };
        let slot = event.entry(group.to_owned()).or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        if let Value::Object(g) = slot {
            g.insert(field.to_owned(), value.clone());
        }
    }
    if let Some(sample) = config.and_then(StreamConfig::sample_raw)
        && valid_sample(sample, js_coercion)
    {
        event.insert("sample".to_owned(), sample.clone());
    }
    event
}

/// Whether the `sample` block is valid for MP-JS: with `js_coercion` exactly as
/// MP-JS reads it ([`crate::sampling::mp_js_valid_sample`]: a string or
/// one-element-array rate counts, and is then copied as configured); without,
/// only a numeric rate in (0, 1] (epc's other profiles never copy a string rate).
fn valid_sample(sample: &Value, js_coercion: bool) -> bool {
    if js_coercion {
        crate::sampling::mp_js_valid_sample(sample)
    } else {
        js_truthy(sample.get("unit")) && sample.get("rate").and_then(Value::as_f64).is_some_and(|r| r > 0.0 && r <= 1.0)
    }
}

/// Evaluates Metrics Platform curation rules (`producers.metrics_platform_client.curation`)
/// against an event with MP-JS semantics (epc-spec.md §7.4): every listed
/// attribute must pass every operator; a missing or `null` value rejects;
/// unknown operators are ignored. Returns one message per failed rule (empty: passes).
#[must_use]
pub fn curation_failures(rules: &Value, event: &Map<String, Value>) -> Vec<String> {
    let Some(rules) = rules.as_object() else { return Vec::new() };
    let mut failures = Vec::new();
    for (attribute, ops) in rules {
        let value = attribute
            .split_once('_')
            .and_then(|(group, field)| event.get(group).and_then(|g| g.get(field)))
            .filter(|v| !v.is_null());
        let Some(value) = value else {
            failures.push(format!("{attribute}: no value in the event (is it in provide_values?)"));
            continue;
        };
        let Some(ops) = ops.as_object() else { continue };
        for (op, operand) in ops {
            if !curation_passes(op, operand, value) {
                failures.push(format!("{attribute}: {value} fails {op} {operand}"));
            }
        }
    }
    failures
}

fn js_number(v: &Value) -> f64 {
    crate::sampling::js_number(Some(v))
}

/// JavaScript `indexOf` on an array (strict equality) or a string (substring).
fn js_contains(haystack: &Value, needle: &Value) -> bool {
    match (haystack, needle) {
        (Value::Array(items), n) => items.contains(n),
        (Value::String(s), Value::String(n)) => s.contains(n.as_str()),
        _ => false,
    }
}

fn curation_passes(op: &str, operand: &Value, value: &Value) -> bool {
    let num = || (js_number(value), js_number(operand));
    match op {
        "equals" => value == operand,
        "not_equals" => value != operand,
        "greater_than" => {
            let (v, o) = num();
            v > o
        }
        "less_than" => {
            let (v, o) = num();
            v < o
        }
        "greater_than_or_equals" => {
            let (v, o) = num();
            v >= o
        }
        "less_than_or_equals" => {
            let (v, o) = num();
            v <= o
        }
        "in" => operand.as_array().is_none_or(|a| a.contains(value)),
        "not_in" => operand.as_array().is_none_or(|a| !a.contains(value)),
        "contains" => js_contains(value, operand),
        "does_not_contain" => !js_contains(value, operand),
        "contains_all" => operand.as_array().is_none_or(|a| a.iter().all(|o| js_contains(value, o))),
        "contains_any" => operand.as_array().is_none_or(|a| a.iter().any(|o| js_contains(value, o))),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decoration() -> Decoration {
        Decoration {
            stream: "test.widget_click".into(),
            schema_uri: Some("/analytics/widget_click/1.0.0".into()),
            domain: None,
            now: "2026-01-02T03:04:05.678Z".into(),
            ids: Identifiers {
                session: "0aac0b2976c12a600a58".into(),
                pageview: "ba618e81066d4ea60b42".into(),
                device: "00c0ffee-1234-4abc-8def-0123456789ab".into(),
            },
            id_fields: vec!["web_session_id".into(), "web_pageview_id".into()],
        }
    }

    #[test]
    fn js_numbers_are_written_as_json_stringify_writes_them() {
        let mut v = json!({"a": 1.0, "b": [100.0, -0.0, 0.5, 3], "c": {"d": 1e300, "e": -2.0}});
        js_numbers(&mut v);
        assert_eq!(v.to_string(), r#"{"a":1,"b":[100,0,0.5,3],"c":{"d":1e+300,"e":-2}}"#);
    }

    #[test]
    fn bare_event_gets_schema_stream_dt_and_declared_ids() {
        let e = decorate(json!({"action": "click"}), &decoration()).unwrap();
        assert_eq!(
            Value::Object(e),
            json!({"$schema": "/analytics/widget_click/1.0.0", "action": "click", "dt": "2026-01-02T03:04:05.678Z",
                   "meta": {"stream": "test.widget_click"}, "web_session_id": "0aac0b2976c12a600a58",
                   "web_pageview_id": "ba618e81066d4ea60b42"})
        );
    }

    #[test]
    fn own_dt_and_meta_domain_are_kept_and_legacy_events_get_no_dt() {
        let e =
            decorate(json!({"dt": "2021-06-01T12:00:00.000Z", "meta": {"domain": "x.org"}}), &decoration()).unwrap();
        assert_eq!(e["dt"], "2021-06-01T12:00:00.000Z");
        assert_eq!(e["meta"], json!({"domain": "x.org", "stream": "test.widget_click"}));
        let e = decorate(json!({"client_dt": "2021-06-01T12:00:00Z", "dt": "x"}), &decoration()).unwrap();
        assert!(!e.contains_key("dt"));
        let mut d = decoration();
        d.domain = Some("en.wikipedia.org".into());
        assert_eq!(decorate(json!({"meta": {"domain": "x.org"}}), &d).unwrap()["meta"]["domain"], "en.wikipedia.org");
    }

    #[test]
    fn conflicts_are_errors() {
        let e = decorate(json!({"meta": {"stream": "test.other_stream"}}), &decoration()).unwrap_err();
        assert!(matches!(e, DecorateError::StreamConflict { .. }), "{e}");
        let e = decorate(json!({"$schema": "/analytics/widget_click/0.9.0"}), &decoration()).unwrap_err();
        assert!(matches!(e, DecorateError::SchemaConflict { .. }), "{e}");
        let mut d = decoration();
        d.schema_uri = None;
        assert_eq!(decorate(json!({}), &d).unwrap_err(), DecorateError::MissingSchema);
        assert_eq!(decorate(json!([1]), &d).unwrap_err(), DecorateError::NotAnObject("a list"));
    }

    #[test]
    fn cc_copies_share_everything_but_meta_stream() {
        let e = decorate(json!({"action": "click"}), &decoration()).unwrap();
        let c = copy_for_stream(&e, "test.widget_click.sampled");
        assert_eq!(c["meta"]["stream"], "test.widget_click.sampled");
        assert_eq!((c["dt"].clone(), c["web_session_id"].clone()), (e["dt"].clone(), e["web_session_id"].clone()));
    }

    #[test]
    fn dt_has_exactly_three_fraction_digits() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_614_684_904_000);
        assert_eq!(format_dt(t), "2021-03-02T11:35:04.000Z");
    }

    #[test]
    fn interaction_follows_mp_js_order_and_omits_nulls() {
        let config = StreamConfig::new(
            "s",
            json!({"sample": {"unit": "session", "rate": 1.0},
                   "producers": {"metrics_platform_client": {"provide_values": ["page_id", "performer_name", "mediawiki_skin"]}}})
            .as_object()
            .unwrap()
            .clone(),
        );
        let context = json!({"page": {"id": 1}, "performer": {"name": null}, "mediawiki": {"skin": "vector"},
                             "agent": {"client_platform": "mediawiki_js", "client_platform_family": "desktop_browser"}});
        let data = json!({"test": "x", "$schema": "ignored"}).as_object().unwrap().clone();
        let e = interaction_event("click", &data, "/s/1.0.0", Some(&config), &context, true);
        let keys: Vec<&str> = e.keys().map(String::as_str).collect();
        assert_eq!(keys, ["action", "test", "$schema", "page", "mediawiki", "agent", "sample"]);
        assert_eq!(e["$schema"], "/s/1.0.0");
        assert!(e.get("performer").is_none());
    }

    #[test]
    fn curation_vectors_from_the_mp_js_tests() {
        let pass = |value: Value, rules: Value| {
            let event = json!({"page": {"id": value}}).as_object().unwrap().clone();
            curation_failures(&json!({"page_id": rules}), &event).is_empty()
        };
        assert!(pass(json!(1), json!({"equals": 1})));
        assert!(pass(json!("a"), json!({"equals": "a"})));
        assert!(!pass(json!(1), json!({"equals": 0})));
        assert!(!pass(json!("1"), json!({"equals": 1})));
        assert!(pass(json!(1), json!({"greater_than": 0})));
        assert!(!pass(json!(1.1), json!({"greater_than": 1.1})));
        assert!(!pass(json!(1.1), json!({"less_than": 1.1})));
        assert!(pass(json!(1), json!({"in": [1]})));
        assert!(pass(json!([1]), json!({"contains": 1})));
        assert!(pass(json!([0, 1]), json!({"contains_all": [1, 0]})));
        assert!(!pass(json!([]), json!({"contains_all": [1]})));
        assert!(pass(json!([0, 1]), json!({"contains_any": [1, 2]})));
        assert!(pass(json!("talkpage"), json!({"contains": "talk"})));
        let empty = Map::new();
        assert_eq!(curation_failures(&json!({"page_id": {"equals": 1}}), &empty).len(), 1);
    }
}
