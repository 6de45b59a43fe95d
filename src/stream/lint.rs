//! Stream config lint: known event services, setting keys and their JSON types.
//!
//! Nothing checks stream config keys on the way to the clients: the API and
//! every client accept a misspelled `destination_event_service` (case 23, no
//! intake then loads the stream) or a producer block one level too high (case
//! 22, the block is silently ignored). These checks feed
//! [`StreamConfig::problems`](super::StreamConfig::problems) (wrong values and
//! types: the entry does not do what it says) and
//! [`StreamConfig::warnings`](super::StreamConfig::warnings) (keys nobody reads).
//!
//! The known keys are the ones production config uses (`production-default.json`,
//! 244 streams), which gets no finding at all; `null` counts as absent, and an
//! empty list `[]` counts as an empty object (PHP's empty array, case 01).

use std::fmt;

use serde_json::{Map, Value};

use super::json_type;

/// The event services (EventGate clusters) a stream's `destination_event_service`
/// may name: the services production stream config uses (epc-spec.md §1.2). Each
/// EventGate loads only the streams that name it, so any other value means no
/// intake accepts the stream's events.
pub const KNOWN_EVENT_SERVICES: [&str; 4] =
    ["eventgate-main", "eventgate-analytics", "eventgate-analytics-external", "eventgate-logging-external"];

/// The top-level stream settings production config uses; any other key draws a
/// warning (the legacy `sampling` block has a warning of its own).
pub const KNOWN_SETTINGS: [&str; 10] = [
    "stream",
    "schema_title",
    "destination_event_service",
    "topic_prefixes",
    "topics",
    "canary_events_enabled",
    "producers",
    "consumers",
    "message_key_fields",
    "sample",
];

/// The producer blocks that take effect only under `producers`, with the
/// settings each is known to read.
const PRODUCERS: [Producer; 4] = [
    Producer {
        name: "eventgate",
        reader: "EventGate",
        keys: &["enrich_fields_from_http_headers", "use_edge_uniques"],
        closed: true,
    },
    Producer {
        name: "metrics_platform_client",
        reader: "every client",
        // `sampling` is MP-Swift's sampling block (epc-spec.md §1.3).
        keys: &["events", "provide_values", "curation", "stream_name", "sampling"],
        closed: true,
    },
    Producer {
        name: "mediawiki_eventbus",
        reader: "EventBus",
        keys: &["enabled", "event_service_name"],
        closed: false,
    },
    Producer { name: "test_kitchen", reader: "Test Kitchen", keys: &["is_test_kitchen_stream"], closed: false },
];

/// A producer block: its key under `producers`, who reads it, its known settings,
/// and whether any other setting in it is worth a warning (`closed`) or only a
/// near miss of a known one.
struct Producer {
    name: &'static str,
    reader: &'static str,
    keys: &'static [&'static str],
    closed: bool,
}

/// Whether `name` is one of the [`KNOWN_EVENT_SERVICES`] (exact, case-sensitive,
/// as EventGate and the API constraint compare it).
///
/// ```
/// assert!(epc::stream::known_event_service("eventgate-analytics-external"));
/// assert!(!epc::stream::known_event_service("eventgate-analyics-external"));
/// ```
#[must_use]
pub fn known_event_service(name: &str) -> bool {
    KNOWN_EVENT_SERVICES.contains(&name)
}

/// The known event service closest to a misspelled `name`, if one is close.
#[must_use]
pub fn suggest_event_service(name: &str) -> Option<&'static str> {
    closest(name, &KNOWN_EVENT_SERVICES)
}

/// Checks that `name` is a known event service.
///
/// # Errors
/// [`UnknownEventService`], with the closest known service when there is one.
///
/// ```
/// let e = epc::stream::check_event_service("eventgate-analyics-external").unwrap_err();
/// assert_eq!(
///     e.to_string(),
///     "`eventgate-analyics-external` is not a known event service; did you mean `eventgate-analytics-external`?"
/// );
/// ```
pub fn check_event_service(name: &str) -> Result<(), UnknownEventService> {
    if known_event_service(name) {
        Ok(())
    } else {
        Err(UnknownEventService { name: name.to_owned(), suggestion: suggest_event_service(name) })
    }
}

/// A `destination_event_service` that is not one of the [`KNOWN_EVENT_SERVICES`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEventService {
    /// The value as configured.
    pub name: String,
    /// The closest known service, for a "did you mean" hint.
    pub suggestion: Option<&'static str>,
}

impl UnknownEventService {
    /// The explanation after the value: `did you mean …?` or the known services.
    fn tail(&self) -> String {
        match self.suggestion {
            Some(s) => format!("; did you mean `{s}`?"),
            None => format!(" (known: `{}`)", KNOWN_EVENT_SERVICES.join("`, `")),
        }
    }

    /// The message as a predicate of the field, as in a [`ConfigProblem`](super::ConfigProblem):
    /// ``is `x`, not a known event service; did you mean `y`?``.
    #[must_use]
    pub fn field_message(&self) -> String {
        format!("is `{}`, not a known event service{}", self.name, self.tail())
    }
}

impl fmt::Display for UnknownEventService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a known event service{}", self.name, self.tail())
    }
}

impl std::error::Error for UnknownEventService {}

/// The candidate closest to `name` by edit distance (case-insensitive), if it
/// is within a quarter of the longer length (at least 2 edits).
pub(crate) fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = name.to_lowercase();
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(&lower, &c.to_lowercase()), *c))
        .filter(|(d, c)| *d <= (name.len().max(c.len()) / 4).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The JSON type a setting must have.
#[derive(Clone, Copy)]
enum Expected {
    String,
    Bool,
    Object,
    StringList,
    /// MP-JS reads a single string as a one-element list (epc-spec.md §1.3).
    StringOrStringList,
    /// EventGate's `enrich_fields_from_http_headers`: field path → header name, or
    /// `false` to drop the field (107 production streams drop the user agent so).
    HeaderMap,
}

/// The typed settings, in the order their problems are reported.
const TYPED: [(&str, Expected); 16] = [
    ("stream", Expected::String),
    ("schema_title", Expected::String),
    ("destination_event_service", Expected::String),
    ("topic_prefixes", Expected::StringList),
    ("topics", Expected::StringList),
    ("canary_events_enabled", Expected::Bool),
    ("producers", Expected::Object),
    ("consumers", Expected::Object),
    ("message_key_fields", Expected::Object),
    ("producers.eventgate", Expected::Object),
    ("producers.eventgate.enrich_fields_from_http_headers", Expected::HeaderMap),
    ("producers.eventgate.use_edge_uniques", Expected::Bool),
    ("producers.metrics_platform_client", Expected::Object),
    ("producers.metrics_platform_client.events", Expected::StringOrStringList),
    ("producers.metrics_platform_client.provide_values", Expected::StringList),
    ("producers.metrics_platform_client.stream_name", Expected::String),
];

/// A setting by dotted path; `None` when absent, `null`, or below a non-object.
fn get<'a>(settings: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut current = settings.get(parts.next()?)?;
    for part in parts {
        current = current.as_object()?.get(part)?;
    }
    Some(current).filter(|v| !v.is_null())
}

/// Whether `v` is an object, or PHP's empty array standing for one.
fn is_object(v: &Value) -> bool {
    v.is_object() || v.as_array().is_some_and(Vec::is_empty)
}

fn type_problem(value: &Value, expected: Expected) -> Option<String> {
    let found = json_type(value);
    match expected {
        Expected::String => (!value.is_string()).then(|| format!("must be a string, found {found}")),
        Expected::Bool => match value {
            Value::Bool(_) => None,
            Value::String(s) if s == "true" || s == "false" => {
                Some(format!("must be a boolean, found a string (write `{s}` without quotes)"))
            }
            _ => Some(format!("must be a boolean, found {found}")),
        },
        Expected::Object => (!is_object(value)).then(|| format!("must be an object, found {found}")),
        Expected::StringList => list_problem(value, "must be a list of strings"),
        Expected::StringOrStringList => {
            if value.is_string() {
                None
            } else {
                list_problem(value, "must be a string or a list of strings")
            }
        }
        Expected::HeaderMap => {
            if value.as_array().is_some_and(Vec::is_empty) {
                return None;
            }
            let Some(map) = value.as_object() else {
                return Some(format!("must be an object mapping field paths to header names, found {found}"));
            };
            map.iter().find(|(_, v)| !(v.is_string() || *v == &Value::Bool(false))).map(|(k, v)| {
                format!(
                    "must map each field path to a header name (a string) or `false`, found {} for `{k}`",
                    json_type(v)
                )
            })
        }
    }
}

fn list_problem(value: &Value, must: &str) -> Option<String> {
    let Some(items) = value.as_array() else {
        return Some(format!("{must}, found {}", json_type(value)));
    };
    items.iter().position(|v| !v.is_string()).map(|i| format!("{must}, found {} at index {i}", json_type(&items[i])))
}

/// Problems: settings of the wrong JSON type, and a `destination_event_service`
/// that names no known service. Each is `(field, message)`.
pub(super) fn problems(settings: &Map<String, Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, expected) in TYPED {
        if let Some(message) = get(settings, path).and_then(|v| type_problem(v, expected)) {
            out.push((path.to_owned(), message));
        }
    }
    if let Some(Value::String(service)) = settings.get("destination_event_service")
        && let Err(e) = check_event_service(service)
    {
        out.push(("destination_event_service".to_owned(), e.field_message()));
    }
    out
}

/// Where a producer setting takes effect: `producers.<producer>.<key>`.
fn producer_home(key: &str) -> Option<String> {
    PRODUCERS.iter().find(|p| p.keys.contains(&key)).map(|p| format!("producers.{}.{key}", p.name))
}

fn with_hint(message: &str, suggestion: Option<String>) -> String {
    match suggestion {
        Some(s) => format!("{message}; did you mean `{s}`?"),
        None => message.to_owned(),
    }
}

/// Warnings: producer blocks and producer settings at the top level, unknown
/// top-level keys, and unknown (or, for open blocks, misspelled) keys under
/// `producers`. Each is `(field, message)`. The legacy `sampling` is left to its
/// own warning.
pub(super) fn warnings(settings: &Map<String, Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for key in settings.keys() {
        let key = key.as_str();
        if key == "sampling" || KNOWN_SETTINGS.contains(&key) {
            continue;
        }
        let message = if let Some(p) = PRODUCERS.iter().find(|p| p.name == key) {
            let home = format!("producers.{key}");
            if get(settings, &home).is_some() {
                format!("at the top level is ignored by {}: only `{home}` takes effect", p.reader)
            } else {
                format!("at the top level is ignored by {}: it takes effect only under `{home}`", p.reader)
            }
        } else if let Some(home) = producer_home(key) {
            format!("at the top level is ignored by every client: it takes effect only under `{home}`")
        } else {
            with_hint("is not a known stream setting", closest(key, &KNOWN_SETTINGS).map(str::to_owned))
        };
        out.push((key.to_owned(), message));
    }
    if let Some(Value::Object(producers)) = settings.get("producers") {
        producer_warnings(producers, &mut out);
    }
    out
}

fn producer_warnings(producers: &Map<String, Value>, out: &mut Vec<(String, String)>) {
    let names: Vec<&str> = PRODUCERS.iter().map(|p| p.name).collect();
    for (name, block) in producers {
        let field = format!("producers.{name}");
        let Some(producer) = PRODUCERS.iter().find(|p| p.name == name) else {
            if let Some(home) = producer_home(name) {
                out.push((field, format!("is ignored: it takes effect only under `{home}`")));
            } else if let Some(s) = closest(name, &names) {
                out.push((field, with_hint("is not a known producer", Some(format!("producers.{s}")))));
            }
            continue;
        };
        let Value::Object(block) = block else { continue };
        for key in block.keys() {
            if producer.keys.contains(&key.as_str()) {
                continue;
            }
            let suggestion = closest(key, producer.keys);
            if producer.closed || suggestion.is_some() {
                let message = format!("is not a known `{}` setting", producer.name);
                out.push((format!("{field}.{key}"), with_hint(&message, suggestion.map(|s| format!("{field}.{s}")))));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[track_caller]
    fn problems_of(v: Value) -> Vec<(String, String)> {
        problems(&settings(v))
    }

    #[track_caller]
    fn warnings_of(v: Value) -> Vec<(String, String)> {
        warnings(&settings(v))
    }

    fn pair(field: &str, message: &str) -> (String, String) {
        (field.to_owned(), message.to_owned())
    }

    #[test]
    fn known_event_services_and_suggestions() {
        for s in KNOWN_EVENT_SERVICES {
            assert!(known_event_service(s), "{s}");
            assert_eq!(check_event_service(s), Ok(()));
        }
        assert!(!known_event_service("EventGate-Main"));
        assert_eq!(suggest_event_service("EventGate-Main"), Some("eventgate-main"));
        assert_eq!(suggest_event_service("eventgate-analyics-external"), Some("eventgate-analytics-external"));
        assert_eq!(suggest_event_service("eventgate-analytic"), Some("eventgate-analytics"));
        assert_eq!(suggest_event_service("eventbus"), None);
        let e = check_event_service("eventbus").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`eventbus` is not a known event service (known: `eventgate-main`, `eventgate-analytics`, \
             `eventgate-analytics-external`, `eventgate-logging-external`)"
        );
    }

    #[test]
    fn unknown_destination_event_service_is_a_problem_with_a_did_you_mean() {
        assert_eq!(
            problems_of(json!({"destination_event_service": "eventgate-analyics-external"})),
            [pair(
                "destination_event_service",
                "is `eventgate-analyics-external`, not a known event service; did you mean `eventgate-analytics-external`?"
            )]
        );
        assert_eq!(
            problems_of(json!({"destination_event_service": 3})),
            [pair("destination_event_service", "must be a string, found a number")]
        );
        assert!(problems_of(json!({"destination_event_service": null})).is_empty());
    }

    #[test]
    fn wrong_types_name_the_field_and_both_types() {
        let cases = [
            (
                json!({"canary_events_enabled": "true"}),
                "canary_events_enabled",
                "must be a boolean, found a string (write `true` without quotes)",
            ),
            (json!({"canary_events_enabled": 1}), "canary_events_enabled", "must be a boolean, found a number"),
            (json!({"schema_title": ["a"]}), "schema_title", "must be a string, found a list"),
            (json!({"stream": {}}), "stream", "must be a string, found an object"),
            (json!({"topics": "eqiad.x"}), "topics", "must be a list of strings, found a string"),
            (
                json!({"topic_prefixes": ["eqiad.", 2]}),
                "topic_prefixes",
                "must be a list of strings, found a number at index 1",
            ),
            (json!({"producers": ["eventgate"]}), "producers", "must be an object, found a list"),
            (json!({"consumers": true}), "consumers", "must be an object, found a boolean"),
            (
                json!({"producers": {"eventgate": {"enrich_fields_from_http_headers": ["user-agent"]}}}),
                "producers.eventgate.enrich_fields_from_http_headers",
                "must be an object mapping field paths to header names, found a list",
            ),
            (
                json!({"producers": {"eventgate": {"enrich_fields_from_http_headers": {"meta.request_id": 1}}}}),
                "producers.eventgate.enrich_fields_from_http_headers",
                "must map each field path to a header name (a string) or `false`, found a number for `meta.request_id`",
            ),
            (
                json!({"producers": {"metrics_platform_client": {"provide_values": "page_id"}}}),
                "producers.metrics_platform_client.provide_values",
                "must be a list of strings, found a string",
            ),
            (
                json!({"producers": {"metrics_platform_client": {"events": [1]}}}),
                "producers.metrics_platform_client.events",
                "must be a string or a list of strings, found a number at index 0",
            ),
        ];
        for (config, field, message) in cases {
            assert_eq!(problems_of(config.clone()), [pair(field, message)], "{config}");
        }
    }

    #[test]
    fn accepted_shapes_are_not_problems() {
        let ok = json!({
            "stream": "s", "schema_title": "t", "destination_event_service": "eventgate-main",
            "topic_prefixes": null, "topics": [], "canary_events_enabled": false, "consumers": [],
            "producers": {
                "eventgate": {"enrich_fields_from_http_headers": {"meta.request_id": "x-request-id",
                    "http.request_headers.user-agent": false}, "use_edge_uniques": true},
                "metrics_platform_client": {"events": "one", "provide_values": []},
            },
        });
        assert!(problems_of(ok.clone()).is_empty());
        assert!(warnings_of(ok).is_empty());
    }

    #[test]
    fn misplaced_producer_blocks_and_settings_warn_naming_producers() {
        assert_eq!(
            warnings_of(json!({"eventgate": {}, "metrics_platform_client": {}, "provide_values": []})),
            [
                pair(
                    "eventgate",
                    "at the top level is ignored by EventGate: it takes effect only under `producers.eventgate`"
                ),
                pair(
                    "metrics_platform_client",
                    "at the top level is ignored by every client: it takes effect only under `producers.metrics_platform_client`"
                ),
                pair(
                    "provide_values",
                    "at the top level is ignored by every client: it takes effect only under `producers.metrics_platform_client.provide_values`"
                ),
            ]
        );
        assert_eq!(
            warnings_of(json!({"test_kitchen": {}, "producers": {"test_kitchen": {}}})),
            [pair(
                "test_kitchen",
                "at the top level is ignored by Test Kitchen: only `producers.test_kitchen` takes effect"
            )]
        );
    }

    #[test]
    fn unknown_keys_warn_with_a_did_you_mean() {
        assert_eq!(
            warnings_of(json!({"schema_titel": "t", "owner": "x", "sampling": {}})),
            [
                pair("schema_titel", "is not a known stream setting; did you mean `schema_title`?"),
                pair("owner", "is not a known stream setting"),
            ]
        );
        assert_eq!(
            warnings_of(json!({"producers": {
                "metrics_platfrom_client": {}, "some_new_producer": {}, "events": [],
                "eventgate": {"enrich_fields_from_http_header": {}, "other": 1},
                "metrics_platform_client": {"provide_value": []},
                "mediawiki_eventbus": {"enabeld": true, "future_setting": 1},
            }})),
            [
                pair(
                    "producers.metrics_platfrom_client",
                    "is not a known producer; did you mean `producers.metrics_platform_client`?"
                ),
                pair(
                    "producers.events",
                    "is ignored: it takes effect only under `producers.metrics_platform_client.events`"
                ),
                pair(
                    "producers.eventgate.enrich_fields_from_http_header",
                    "is not a known `eventgate` setting; did you mean `producers.eventgate.enrich_fields_from_http_headers`?"
                ),
                pair("producers.eventgate.other", "is not a known `eventgate` setting"),
                pair(
                    "producers.metrics_platform_client.provide_value",
                    "is not a known `metrics_platform_client` setting; did you mean `producers.metrics_platform_client.provide_values`?"
                ),
                pair(
                    "producers.mediawiki_eventbus.enabeld",
                    "is not a known `mediawiki_eventbus` setting; did you mean `producers.mediawiki_eventbus.enabled`?"
                ),
            ]
        );
    }

    /// The 244 production streams use exactly the keys and types the lint knows:
    /// no finding at all (`../shared` is part of every checkout CI runs).
    #[test]
    fn production_config_has_no_lint_findings() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data/streamconfigs/production-default.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let configs = crate::stream::StreamConfigs::from_json_str(&text, "production").unwrap();
        assert_eq!(configs.len(), 244);
        for c in configs.iter() {
            assert_eq!(problems(c.settings()), [], "{}", c.key());
            assert_eq!(warnings(c.settings()), [], "{}", c.key());
        }
    }
}
