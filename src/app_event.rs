//! Metrics Platform events as the apps' Java client builds them
//! (`MetricsClient.submitMetricsEvent`, wikimedia/mediawiki-libs-metrics-platform
//! `java/` at 351eaee; epc-spec.md §7.1, §7.2, §7.4, §8.2).
//!
//! [`crate::event::interaction_event`] builds the MP-JS (web) event; this
//! module builds what MP-Java serializes, so that the apps consistency suite
//! (`../shared/data/conformance/metrics-platform-apps/`) reproduces.
//! Paths below are under `java/src/main/java/org/wikimedia/metrics_platform/`.
//!
//! # Submit
//!
//! `submitMetricsEvent(stream, schemaId, eventName, clientData, customData,
//! interactionData)` (`MetricsClient.java:179-220`) makes an `Event`
//! (`:206`), wraps it in an `EventProcessed` (`:113`) and stamps it
//! (`addRequiredMetadata`, `:394-401`): `performer.session_id` from the
//! `SessionController`, `dt` as `yyyy-MM-dd'T'HH:mm:ss'Z'` in UTC (`:55-57`,
//! `:399`) and `meta.domain` from `ClientData.domain` (`:400`). At send time
//! `EventProcessor.sendEnqueuedEvents` (`EventProcessor.java:70-94`) fills the
//! context attributes (`ContextController.enrichEvent`), samples again and
//! curates, then Gson serializes (`EventSenderDefault.java:37`).
//!
//! # Rules of [`app_interaction_event`]
//!
//! 1. **Context groups.** `agent`, `page`, `mediawiki` and `performer` are
//!    always present, as objects, even empty (`{}`): the constructor falls back
//!    to the `NULL_*_DATA` objects (`EventProcessed.java:92-95`,
//!    `ClientData.java:37-59`) and the filter rebuilds all four
//!    (`ContextController.java:190-195`). Only the fields of the Java model
//!    exist (`AgentData.java:25-34`, `PageData.java:26-32`,
//!    `MediawikiData.java:25`, `PerformerData.java:29-38`); other keys of the
//!    context are dropped. A value the Java field cannot hold (a string for
//!    `page.id`, a number beyond `Integer` for an `Integer` field, …) is dropped
//!    too; integral floats count as integers, as Gson reads them.
//! 2. **`provide_values` absent** (`StreamConfig.java:63-67`): the early return
//!    at `ContextController.java:72-74` passes **all** client data through.
//!    **Present** (even `[]`): each group is rebuilt with only the requested
//!    fields **plus** the ten agent fields of `REQUIRED_PROPERTIES`
//!    (`ContextController.java:58-69`, `:79-80`). An unknown name makes Java
//!    throw `IllegalArgumentException` (`:185-186`) and the event is never sent;
//!    here it is ignored, and [`app_unsupported_provide_values`] names such
//!    entries so the caller can refuse them.
//! 3. **Nulls omitted**: `GsonHelper.java:17-22` does not `serializeNulls()`.
//! 4. **`performer.language_groups`** is cut to 255 UTF-16 units
//!    (`PerformerData.java:55-65`); a cut through a surrogate pair leaves a lone
//!    surrogate, which `String.getBytes(UTF_8)` sends as `?`.
//!    **`performer.registration_dt`** is an `Instant` written with
//!    `ISO_INSTANT` (`InstantConverter.java:16-21`): UTC, `Z`, 0/3/6/9
//!    fraction digits.
//! 5. **Interaction data.** The keys of `InteractionData`
//!    (`InteractionData.java:26-33`: `action`, `action_subtype`,
//!    `action_source`, `action_context`, `element_id`,
//!    `element_friendly_name`, `funnel_entry_token` as strings,
//!    `funnel_event_sequence_position` as an `Integer`) become top-level fields
//!    (`EventProcessed.java:149-158`). **`action` comes only from there**
//!    (`:99`): the event name is stored as `name` (`Event.java:22`) and removed
//!    at serialization (`EventProcessedSerializer.java:87`), so the
//!    `event_name` argument never reaches the output.
//! 6. **Custom data.** Every other key of `data` (and an interaction key whose
//!    value has the wrong type) is custom data, appended at the top level after
//!    Gson's fields, in the map's order; only strings, numbers and booleans
//!    survive (`EventProcessedSerializer.java:51-64`). A custom key equal to a
//!    field already written replaces its value in place (`JsonObject.add`);
//!    custom keys `name`, `sample`, `custom_data`, `client_data` and
//!    `interaction_data` are removed with the model's own
//!    (`EventProcessedSerializer.java:71-72`, `:87-88`, `:96-97`).
//! 7. **`meta`** is `{stream, domain}` (`Event.java:69-73`), `domain` from the
//!    context's `hostname` (`MetricsClient.java:400`), omitted when absent.
//! 8. **`sample`**: Java sets the stream's `sample` on the event
//!    (`MetricsClient.java:215-217`, `EventProcessor.java:86-88`) but the
//!    serializer removes it (`EventProcessedSerializer.java:88`), so the output
//!    has **no `sample`**. Sampling itself is
//!    [`crate::sampling::Profile::MpJava`] (`SamplingController.java:34-76`).
//! 9. **`dt`** is set at submit time, so it is left to the caller:
//!    [`set_app_dt`] puts [`app_dt`]'s value where Gson writes it.
//! 10. **Key order** is Gson's reflective order, subclass fields first
//!     (`EventProcessed.java:27-39`, then `Event.java:21-28`): `agent, page,
//!     mediawiki, performer, action, action_subtype, action_source,
//!     action_context, element_id, element_friendly_name, funnel_entry_token,
//!     funnel_event_sequence_position, $schema, dt, meta`, then custom data;
//!     nested objects in field declaration order. (`getDeclaredFields` order
//!     is what HotSpot and ART do, not a JVM guarantee; epc-spec.md §11.5.)
//!
//! # Context shape
//!
//! `context` has the shape of `integration_data_apps.json`: `{hostname, agent:
//! {…}, page: {…}, mediawiki: {…}, performer: {…}}`, field names as in the
//! serialized event. Java keeps two session ids apart: without
//! `provide_values` it sends the `SessionController`'s, with `provide_values`
//! the caller's `ClientData` one (the filter reads the original client data,
//! `ContextController.java:81`, not the stamped one); epc has one,
//! `context.performer.session_id`, for both.
//!
//! # Curation
//!
//! Java curates every event at **send** time, after the context filter
//! (`EventProcessor.java:91`, `:96-101`; `CurationController.java:9-13`):
//! [`app_curation_failures`]. It differs from the MP-JS
//! [`crate::event::curation_failures`]: rules are typed per attribute
//! (`CurationFilter.java:28-51`), only those 21 attributes can be curated,
//! the numeric and date attributes read `is_equals` (not `equals`) and never
//! test `in` (`ComparableCurationRules.java:16-36`), string and boolean
//! attributes know only `equals`, `not_equals`, `in`, `not_in`
//! (`CurationRules.java:16-29`), `performer_groups` only `contains`,
//! `does_not_contain`, `contains_all`, `contains_any`
//! (`CollectionCurationRules.java:16-29`), and there is no substring test.

use std::cmp::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::stream::StreamConfig;

/// `METRICS_PLATFORM_SCHEMA_BASE` (`MetricsClient.java:61-62`), the schema of
/// `submitInteraction`, `submitClick` and `submitView`.
pub const APP_BASE_SCHEMA: &str = "/analytics/product_metrics/app/base/1.2.2";

/// The Java type of a model field, which decides the JSON values it can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JavaType {
    Str,
    /// `PerformerData.languageGroups`: a string cut to 255 UTF-16 units.
    Str255,
    Int,
    Long,
    Bool,
    StrList,
    Instant,
}

use JavaType::{Bool, Instant, Int, Long, Str, Str255, StrList};

/// `AgentData.java:25-34`, in declaration order.
const AGENT: [(&str, JavaType); 10] = [
    ("app_flavor", Str),
    ("app_install_id", Str),
    ("app_theme", Str),
    ("app_version", Int),
    ("app_version_name", Str),
    ("client_platform", Str),
    ("client_platform_family", Str),
    ("device_family", Str),
    ("device_language", Str),
    ("release_status", Str),
];

/// `PageData.java:26-32`.
const PAGE: [(&str, JavaType); 7] = [
    ("id", Int),
    ("title", Str),
    ("namespace_id", Int),
    ("namespace_name", Str),
    ("revision_id", Long),
    ("wikidata_qid", Str),
    ("content_language", Str),
];

/// `MediawikiData.java:25`.
const MEDIAWIKI: [(&str, JavaType); 1] = [("database", Str)];

/// `PerformerData.java:29-38`.
const PERFORMER: [(&str, JavaType); 10] = [
    ("id", Int),
    ("name", Str),
    ("is_logged_in", Bool),
    ("is_temp", Bool),
    ("session_id", Str),
    ("pageview_id", Str),
    ("groups", StrList),
    ("language_groups", Str255),
    ("language_primary", Str),
    ("registration_dt", Instant),
];

/// The context groups in `EventProcessed` field order (`EventProcessed.java:27-30`).
const GROUPS: [(&str, &[(&str, JavaType)]); 4] =
    [("agent", &AGENT), ("page", &PAGE), ("mediawiki", &MEDIAWIKI), ("performer", &PERFORMER)];

/// `InteractionData.java:26-33` / `EventProcessed.java:32-39`.
const INTERACTION: [(&str, JavaType); 8] = [
    ("action", Str),
    ("action_subtype", Str),
    ("action_source", Str),
    ("action_context", Str),
    ("element_id", Str),
    ("element_friendly_name", Str),
    ("funnel_entry_token", Str),
    ("funnel_event_sequence_position", Int),
];

/// Keys the serializer removes after adding custom data
/// (`EventProcessedSerializer.java:71-72`, `:87-88`, `:96-97`).
const REMOVED_BY_SERIALIZER: [&str; 5] = ["custom_data", "client_data", "name", "sample", "interaction_data"];

/// `ContextController.REQUIRED_PROPERTIES` (`ContextController.java:58-69`):
/// added to every non-absent `provide_values`.
pub const APP_REQUIRED_CONTEXT_VALUES: [&str; 10] = [
    "agent_app_flavor",
    "agent_app_install_id",
    "agent_app_theme",
    "agent_app_version",
    "agent_app_version_name",
    "agent_client_platform",
    "agent_client_platform_family",
    "agent_device_family",
    "agent_device_language",
    "agent_release_status",
];

/// Builds the event MP-Java's `submitMetricsEvent` serializes for `stream`
/// (rules and sources in the module documentation), without `dt`.
///
/// - `data`: interaction data and custom data in one map (rules 5 and 6);
///   `event_name` is accepted for parity with Java and never serialized.
/// - `config`: the stream's config; `None` reads as a config without
///   `provide_values`. (Java itself drops an event for a stream it has no
///   config for, `MetricsClient.java:196-198`, `EventProcessor.java:83`.)
/// - `context`: the shape of `integration_data_apps.json`.
#[must_use]
pub fn app_interaction_event(
    stream: &str,
    schema_uri: &str,
    event_name: &str,
    data: &Map<String, Value>,
    config: Option<&StreamConfig>,
    context: &Value,
) -> Map<String, Value> {
    // Stored as `name` (Event.java:22) and removed (EventProcessedSerializer.java:87).
    let _ = event_name;
    let requested = requested_values(config);
    let mut event = Map::new();
    for (group, fields) in GROUPS {
        let source = context.get(group).and_then(Value::as_object);
        let mut out = Map::new();
        for &(field, ty) in fields {
            let wanted = requested.as_ref().is_none_or(|names| {
                names.iter().any(|n| n.split_once('_').is_some_and(|(g, f)| g == group && f == field))
            });
            if let Some(value) = source.and_then(|s| s.get(field)).filter(|_| wanted).and_then(|v| java_value(ty, v)) {
                out.insert(field.to_owned(), value);
            }
        }
        event.insert(group.to_owned(), Value::Object(out));
    }
    for (field, ty) in INTERACTION {
        if let Some(value) = data.get(field).and_then(|v| java_value(ty, v)) {
            event.insert(field.to_owned(), value);
        }
    }
    event.insert("$schema".to_owned(), Value::String(schema_uri.to_owned()));
    let mut meta = Map::new();
    meta.insert("stream".to_owned(), Value::String(stream.to_owned()));
    if let Some(domain) = context.get("hostname").filter(|v| v.is_string()) {
        meta.insert("domain".to_owned(), domain.clone());
    }
    event.insert("meta".to_owned(), Value::Object(meta));
    for (key, value) in data {
        let is_interaction = INTERACTION.iter().any(|&(f, ty)| f == key && java_value(ty, value).is_some());
        if !is_interaction && matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_)) {
            event.insert(key.clone(), value.clone());
        }
    }
    for key in REMOVED_BY_SERIALIZER {
        event.shift_remove(key);
    }
    event
}

/// The `provide_values` entries MP-Java's `ContextController` does not know:
/// each makes it throw `IllegalArgumentException` at send time
/// (`ContextController.java:185-186`), so no event of the stream is sent.
/// [`app_interaction_event`] ignores them.
#[must_use]
pub fn app_unsupported_provide_values(config: &StreamConfig) -> Vec<&str> {
    config.provide_values().into_iter().filter(|name| !is_known_context_value(name)).collect()
}

/// MP-Java's `dt`: `yyyy-MM-dd'T'HH:mm:ss'Z'` in UTC, no fraction
/// (`MetricsClient.java:55-57`, `:399`).
#[must_use]
pub fn app_dt(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}

/// Sets `dt` where Gson writes it, right after `$schema`. A custom-data `dt`
/// (already in `event`) wins, as it replaces Java's in the serializer
/// (`EventProcessedSerializer.java:54-61`); it only moves to that position.
pub fn set_app_dt(event: &mut Map<String, Value>, dt: &str) {
    let value = event.shift_remove("dt").unwrap_or_else(|| Value::String(dt.to_owned()));
    let at = event.keys().position(|k| k == "$schema").map_or(event.len(), |i| i + 1);
    event.shift_insert(at, "dt".to_owned(), value);
}

/// Evaluates the stream's `producers.metrics_platform_client.curation` against
/// an event from [`app_interaction_event`] with MP-Java semantics (module
/// documentation, "Curation"): one message per failed rule, empty when the
/// event would be sent. A rule Gson cannot bind (an operand of the wrong
/// type, a non-object) is a failure too: Java then fails to parse the whole
/// stream config and sends nothing.
#[must_use]
pub fn app_curation_failures(config: &StreamConfig, event: &Map<String, Value>) -> Vec<String> {
    let Some(rules) = config.curation().filter(|v| !v.is_null()) else { return Vec::new() };
    let Some(rules) = rules.as_object() else {
        return vec![format!("curation must be an object, found {rules}: MP-Java cannot parse this stream config")];
    };
    let mut failures = Vec::new();
    for (attribute, kind) in CURATABLE {
        let Some(ops) = rules.get(attribute).filter(|v| !v.is_null()) else { continue };
        let value = attribute
            .split_once('_')
            .and_then(|(group, field)| event.get(group).and_then(|g| g.get(field)))
            .filter(|v| !v.is_null());
        match check_rules(kind, ops, value) {
            Ok(fails) => failures.extend(fails.into_iter().map(|f| format!("{attribute}: {f}"))),
            Err(e) => failures.push(format!("{attribute}: {e}: MP-Java cannot parse this stream config")),
        }
    }
    failures
}

fn requested_values(config: Option<&StreamConfig>) -> Option<Vec<&str>> {
    let config = config?;
    config.get_path("producers.metrics_platform_client.provide_values").filter(|v| !v.is_null())?;
    let mut names = config.provide_values();
    names.extend(APP_REQUIRED_CONTEXT_VALUES);
    Some(names)
}

fn is_known_context_value(name: &str) -> bool {
    GROUPS.iter().any(|(group, fields)| {
        name.strip_prefix(group)
            .and_then(|rest| rest.strip_prefix('_'))
            .is_some_and(|f| fields.iter().any(|(n, _)| *n == f))
    })
}

/// The JSON value a Java field of type `ty` holds for `v`, or `None` when the
/// field would be null (omitted) or cannot hold it.
fn java_value(ty: JavaType, v: &Value) -> Option<Value> {
    match ty {
        Str => v.as_str().map(|_| v.clone()),
        Str255 => v.as_str().map(|s| Value::String(java_truncate(s, 255))),
        Int => integral(v).filter(|i| i32::try_from(*i).is_ok()).map(Value::from),
        Long => integral(v).map(Value::from),
        Bool => v.as_bool().map(Value::Bool),
        StrList => v.as_array().filter(|a| a.iter().all(|e| e.is_string() || e.is_null())).map(|_| v.clone()),
        Instant => v.as_str().and_then(parse_instant).map(|t| Value::String(iso_instant(t))),
    }
}

/// An integer, or a float with no fraction (Gson's `nextInt`/`nextLong`).
#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
fn integral(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| {
        v.as_f64().filter(|f| f.fract() == 0.0 && *f >= i64::MIN as f64 && *f < i64::MAX as f64).map(|f| f as i64)
    })
}

/// Java `s.substring(0, max)` on UTF-16 units, then UTF-8 encoding (a lone
/// surrogate becomes `?`).
fn java_truncate(s: &str, max: usize) -> String {
    let mut units = 0;
    let mut out = String::new();
    for c in s.chars() {
        let n = c.len_utf16();
        if units + n > max {
            if units < max {
                out.push('?');
            }
            break;
        }
        units += n;
        out.push(c);
    }
    out
}

fn parse_instant(s: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339(s).ok()
}

/// `DateTimeFormatter.ISO_INSTANT`: fraction digits in groups of three, as needed.
fn iso_instant(t: SystemTime) -> String {
    let nanos = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let text = if nanos == 0 {
        humantime::format_rfc3339_seconds(t)
    } else if nanos.is_multiple_of(1_000_000) {
        humantime::format_rfc3339_millis(t)
    } else if nanos.is_multiple_of(1_000) {
        humantime::format_rfc3339_micros(t)
    } else {
        humantime::format_rfc3339_nanos(t)
    };
    text.to_string()
}

/// How `CurationFilter` types the rules of an attribute.
#[derive(Debug, Clone, Copy)]
enum RuleKind {
    /// `CurationRules<T>`: `equals`, `not_equals`, `in`, `not_in`.
    Plain(JavaType),
    /// `ComparableCurationRules<T>`: `is_equals`, `not_equals`, the four
    /// comparisons, `not_in` (`in` is bound but never tested).
    Comparable(JavaType),
    /// `CollectionCurationRules<String>`: `contains`, `does_not_contain`,
    /// `contains_all`, `contains_any`.
    Collection,
}

/// `CurationFilter.java:28-51`, in the order `test` evaluates them (`:53-91`).
const CURATABLE: [(&str, RuleKind); 21] = [
    ("agent_app_install_id", RuleKind::Plain(Str)),
    ("agent_client_platform", RuleKind::Plain(Str)),
    ("agent_client_platform_family", RuleKind::Plain(Str)),
    ("mediawiki_database", RuleKind::Plain(Str)),
    ("page_id", RuleKind::Comparable(Int)),
    ("page_namespace_id", RuleKind::Comparable(Int)),
    ("page_namespace_name", RuleKind::Plain(Str)),
    ("page_title", RuleKind::Plain(Str)),
    ("page_revision_id", RuleKind::Comparable(Long)),
    ("page_wikidata_qid", RuleKind::Plain(Str)),
    ("page_content_language", RuleKind::Plain(Str)),
    ("performer_id", RuleKind::Comparable(Int)),
    ("performer_name", RuleKind::Plain(Str)),
    ("performer_session_id", RuleKind::Plain(Str)),
    ("performer_pageview_id", RuleKind::Plain(Str)),
    ("performer_groups", RuleKind::Collection),
    ("performer_is_logged_in", RuleKind::Plain(Bool)),
    ("performer_is_temp", RuleKind::Plain(Bool)),
    ("performer_registration_dt", RuleKind::Comparable(Instant)),
    ("performer_language_groups", RuleKind::Plain(Str)),
    ("performer_language_primary", RuleKind::Plain(Str)),
];

/// A Java-typed scalar.
#[derive(Debug, Clone, PartialEq)]
enum J {
    S(String),
    I(i64),
    B(bool),
    T(i128),
}

impl J {
    fn compare(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (Self::I(a), Self::I(b)) => Some(a.cmp(b)),
            (Self::T(a), Self::T(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// What Gson binds for a JSON value into a field of type `ty` (`Ok(None)`:
/// null), or `Err` when it throws.
fn gson_read(ty: JavaType, v: &Value) -> Result<Option<J>, String> {
    let bad = || format!("{v} is not a {}", java_type_name(ty));
    let j = match (ty, v) {
        (_, Value::Null) => return Ok(None),
        (Str | Str255 | StrList, Value::String(s)) => J::S(s.clone()),
        (Str | Str255 | StrList, Value::Number(n)) => J::S(n.to_string()),
        (Str | Str255 | StrList, Value::Bool(b)) => J::S(b.to_string()),
        (Int | Long, Value::Number(_) | Value::String(_)) => {
            let i = match v {
                Value::String(s) => {
                    s.trim().parse::<i64>().ok().or_else(|| integral(&s.trim().parse::<f64>().ok()?.into()))
                }
                _ => integral(v),
            };
            let i = i.filter(|i| ty == Long || i32::try_from(*i).is_ok()).ok_or_else(bad)?;
            J::I(i)
        }
        (Bool, Value::Bool(b)) => J::B(*b),
        (Bool, Value::String(s)) => J::B(s.eq_ignore_ascii_case("true")),
        (Instant, Value::String(s)) => J::T(parse_instant(s).map(instant_nanos).ok_or_else(bad)?),
        _ => return Err(bad()),
    };
    Ok(Some(j))
}

fn java_type_name(ty: JavaType) -> &'static str {
    match ty {
        Str | Str255 | StrList => "String",
        Int => "Integer",
        Long => "Long",
        Bool => "Boolean",
        Instant => "Instant (ISO_INSTANT)",
    }
}

fn instant_nanos(t: SystemTime) -> i128 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| i128::try_from(d.as_nanos()).unwrap_or(i128::MAX))
}

fn gson_list(ty: JavaType, v: &Value) -> Result<Vec<Option<J>>, String> {
    match v {
        Value::Array(items) => items.iter().map(|i| gson_read(ty, i)).collect(),
        _ => Err(format!("{v} is not a list")),
    }
}

/// One operator's operand, bound as Gson would: `None` when absent or null.
fn operand(ops: &Map<String, Value>, op: &str, ty: JavaType) -> Result<Option<J>, String> {
    ops.get(op).map_or(Ok(None), |v| gson_read(ty, v).map_err(|e| format!("`{op}`: {e}")))
}

fn operand_list(ops: &Map<String, Value>, op: &str, ty: JavaType) -> Result<Option<Vec<Option<J>>>, String> {
    match ops.get(op).filter(|v| !v.is_null()) {
        None => Ok(None),
        Some(v) => gson_list(ty, v).map(Some).map_err(|e| format!("`{op}`: {e}")),
    }
}

/// The failed operators of one attribute's rules (`Err`: Gson cannot bind them).
fn check_rules(kind: RuleKind, rules: &Value, value: Option<&Value>) -> Result<Vec<String>, String> {
    let Some(ops) = rules.as_object() else { return Err(format!("{rules} is not an object")) };
    let mut fails = Vec::new();
    let mut fail = |op: &str, v: &Value| fails.push(format!("{v} fails {op} {}", ops[op]));
    match kind {
        RuleKind::Plain(ty) | RuleKind::Comparable(ty) => {
            let comparable = matches!(kind, RuleKind::Comparable(_));
            let eq_key = if comparable { "is_equals" } else { "equals" };
            let eq = operand(ops, eq_key, ty)?;
            let ne = operand(ops, "not_equals", ty)?;
            let not_in = operand_list(ops, "not_in", ty)?;
            let is_in = operand_list(ops, "in", ty)?;
            let mut cmps = Vec::new();
            if comparable {
                for (op, want) in [
                    ("greater_than", [Ordering::Greater].as_slice()),
                    ("less_than", &[Ordering::Less]),
                    ("greater_than_or_equals", &[Ordering::Greater, Ordering::Equal]),
                    ("less_than_or_equals", &[Ordering::Less, Ordering::Equal]),
                ] {
                    if let Some(o) = operand(ops, op, ty)? {
                        cmps.push((op, want, o));
                    }
                }
            }
            let Some(raw) = value else { return Ok(vec!["no value in the event (is it in provide_values?)".into()]) };
            let Some(v) = gson_read(ty, raw).ok().flatten() else {
                return Ok(vec![format!("{raw} is not a {}", java_type_name(ty))]);
            };
            if eq.as_ref().is_some_and(|e| *e != v) {
                fail(eq_key, raw);
            }
            if ne.as_ref().is_some_and(|e| *e == v) {
                fail("not_equals", raw);
            }
            for (op, want, o) in cmps {
                if !v.compare(&o).is_some_and(|ord| want.contains(&ord)) {
                    fail(op, raw);
                }
            }
            // `in` is bound but only `CurationRules` tests it (ComparableCurationRules.java:30-36).
            if !comparable && is_in.as_ref().is_some_and(|l| !l.contains(&Some(v.clone()))) {
                fail("in", raw);
            }
            if not_in.as_ref().is_some_and(|l| l.contains(&Some(v.clone()))) {
                fail("not_in", raw);
            }
        }
        RuleKind::Collection => {
            let contains = operand(ops, "contains", Str)?;
            let does_not_contain = operand(ops, "does_not_contain", Str)?;
            let all = operand_list(ops, "contains_all", Str)?;
            let any = operand_list(ops, "contains_any", Str)?;
            let Some(raw) = value else { return Ok(vec!["no value in the event (is it in provide_values?)".into()]) };
            let Ok(items) = gson_list(StrList, raw) else { return Ok(vec![format!("{raw} is not a list of strings")]) };
            if contains.is_some_and(|c| !items.contains(&Some(c))) {
                fail("contains", raw);
            }
            if does_not_contain.is_some_and(|c| items.contains(&Some(c))) {
                fail("does_not_contain", raw);
            }
            if all.is_some_and(|a| !a.iter().all(|x| items.contains(x))) {
                fail("contains_all", raw);
            }
            if any.is_some_and(|a| !items.iter().any(|x| a.contains(x))) {
                fail("contains_any", raw);
            }
        }
    }
    Ok(fails)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::StreamConfigs;
    use serde_json::json;

    const SUITE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/conformance/metrics-platform-apps/");

    fn read_suite_file(name: &str) -> Value {
        let path = format!("{SUITE}{name}");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!("the apps consistency suite needs {path} (../shared/data beside the project): {e}")
        });
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
    }

    /// Sorts object keys and sorts arrays by their JSON text, recursively.
    fn normalize(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut entries: Vec<(&String, Value)> = m.iter().map(|(k, v)| (k, normalize(v))).collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                Value::Object(entries.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            Value::Array(items) => {
                let mut items: Vec<Value> = items.iter().map(normalize).collect();
                items.sort_by_cached_key(Value::to_string);
                Value::Array(items)
            }
            other => other.clone(),
        }
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().expect("an object").clone()
    }

    fn config(settings: Value) -> StreamConfig {
        StreamConfig::new("test.app", obj(settings))
    }

    fn mp(client: Value) -> StreamConfig {
        config(json!({"producers": {"metrics_platform_client": client}}))
    }

    #[test]
    fn apps_consistency_suite_reproduces() {
        let configs =
            StreamConfigs::from_value(read_suite_file("stream_configs_apps.json"), "stream_configs_apps.json")
                .expect("stream_configs_apps.json is a stream config");
        let context = read_suite_file("integration_data_apps.json");
        let expected = read_suite_file("expected_event_apps.json");
        let config = configs.get_exact("test.consistency").expect("test.consistency is configured");
        let data = obj(json!({"test": "consistency"}));
        let mut event = app_interaction_event(
            "test.consistency",
            APP_BASE_SCHEMA,
            "test_consistency_event",
            &data,
            Some(config),
            &context,
        );
        event.shift_remove("dt");
        event.shift_remove("sample");
        if let Some(Value::Object(performer)) = event.get_mut("performer") {
            performer.shift_remove("registration_dt");
        }
        let (got, want) = (normalize(&Value::Object(event)), normalize(&expected));
        assert!(
            got == want,
            "the MP-Java event differs from expected_event_apps.json\n got: {}\nwant: {}",
            serde_json::to_string_pretty(&got).unwrap_or_default(),
            serde_json::to_string_pretty(&want).unwrap_or_default()
        );
        assert!(app_unsupported_provide_values(config).is_empty());
    }

    #[test]
    fn key_order_is_gsons_field_order_then_custom_data() {
        let context = json!({"hostname": "en.wikipedia.org",
            "performer": {"registration_dt": "2023-03-01T01:08:30Z", "groups": ["*"], "id": 3, "name": "A"},
            "agent": {"device_family": "x", "app_install_id": "y"}});
        let data = obj(json!({"zz": 1, "element_id": "e", "action": "tap", "aa": true}));
        let e = app_interaction_event("s", APP_BASE_SCHEMA, "tap_event", &data, None, &context);
        let keys: Vec<&str> = e.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["agent", "page", "mediawiki", "performer", "action", "element_id", "$schema", "meta", "zz", "aa"]
        );
        let performer: Vec<&str> = e["performer"].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(performer, ["id", "name", "groups", "registration_dt"]);
        assert_eq!(e["agent"].as_object().unwrap().keys().collect::<Vec<_>>(), ["app_install_id", "device_family"]);
        assert_eq!(e["meta"], json!({"stream": "s", "domain": "en.wikipedia.org"}));
        assert_eq!((e["page"].clone(), e["mediawiki"].clone()), (json!({}), json!({})));
    }

    #[test]
    fn action_comes_only_from_interaction_data_and_the_event_name_is_not_serialized() {
        let e = app_interaction_event("s", APP_BASE_SCHEMA, "click", &Map::new(), None, &json!({}));
        assert!(!e.contains_key("action"), "{e:?}");
        assert!(!e.contains_key("name"), "{e:?}");
        assert!(!e.values().any(|v| v == "click"), "the event name leaked: {e:?}");
        let e = app_interaction_event("s", APP_BASE_SCHEMA, "click", &obj(json!({"action": "view"})), None, &json!({}));
        assert_eq!(e["action"], "view");
    }

    #[test]
    fn nulls_unknown_fields_and_values_java_cannot_hold_are_omitted() {
        let context = json!({"hostname": null,
            "agent": {"ua_string": "Mozilla", "app_version": 2_147_483_648_i64, "client_platform": "android"},
            "page": {"id": "12", "namespace_id": 0.0, "revision_id": 5_000_000_000_i64, "is_redirect": false},
            "performer": {"name": null, "is_logged_in": false, "groups": [], "is_temp": "no"}});
        let e = app_interaction_event("s", APP_BASE_SCHEMA, "x", &Map::new(), None, &context);
        assert_eq!(e["agent"], json!({"client_platform": "android"}));
        assert_eq!(e["page"], json!({"namespace_id": 0, "revision_id": 5_000_000_000_i64}));
        assert_eq!(e["performer"], json!({"is_logged_in": false, "groups": []}));
        assert_eq!(e["meta"], json!({"stream": "s"}));
    }

    #[test]
    fn unknown_provide_values_entry_is_ignored_but_named() {
        let c = mp(json!({"provide_values": ["performer_is_bot", "page_id", "mediawiki_skin"]}));
        let context = json!({"page": {"id": 1, "title": "T"}, "performer": {"is_bot": false},
                             "mediawiki": {"skin": "minerva", "database": "enwiki"}});
        let e = app_interaction_event("s", APP_BASE_SCHEMA, "x", &Map::new(), Some(&c), &context);
        assert_eq!(e["page"], json!({"id": 1}));
        assert_eq!((e["performer"].clone(), e["mediawiki"].clone()), (json!({}), json!({})));
        assert_eq!(app_unsupported_provide_values(&c), ["performer_is_bot", "mediawiki_skin"]);
    }

    #[test]
    fn provide_values_absent_passes_everything_present_filters_but_keeps_the_agent_set() {
        let context = json!({"agent": {"app_theme": "DARK", "client_platform": "android"},
                             "page": {"id": 1, "title": "T"}, "performer": {"session_id": "abc"}});
        let all = app_interaction_event("s", APP_BASE_SCHEMA, "x", &Map::new(), Some(&mp(json!({}))), &context);
        assert_eq!(
            (all["page"].clone(), all["performer"].clone()),
            (context["page"].clone(), context["performer"].clone())
        );
        let c = mp(json!({"provide_values": []}));
        let some = app_interaction_event("s", APP_BASE_SCHEMA, "x", &Map::new(), Some(&c), &context);
        assert_eq!(some["agent"], context["agent"]);
        assert_eq!((some["page"].clone(), some["performer"].clone()), (json!({}), json!({})));
    }

    #[test]
    fn custom_data_keeps_scalars_and_loses_the_serializers_keys() {
        let data = obj(json!({"n": 1.5, "b": false, "s": "", "nil": null, "list": [1], "o": {},
                              "name": "x", "sample": 1, "custom_data": 1, "action_subtype": 7, "$schema": "/x/1.0.0"}));
        let c = config(
            json!({"sample": {"rate": 1.0, "identifier": "session"}, "producers": {"metrics_platform_client": {}}}),
        );
        let e = app_interaction_event("s", APP_BASE_SCHEMA, "x", &data, Some(&c), &json!({}));
        let keys: Vec<&str> = e.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["agent", "page", "mediawiki", "performer", "$schema", "meta", "n", "b", "s", "action_subtype"]
        );
        assert_eq!((e["$schema"].clone(), e["action_subtype"].clone()), (json!("/x/1.0.0"), json!(7)));
    }

    #[test]
    fn language_groups_are_cut_to_255_utf16_units_and_registration_dt_is_iso_instant() {
        let long = format!("{}😀x", "a".repeat(254));
        let context = json!({"performer": {"language_groups": long, "registration_dt": "2023-03-01T01:08:30.120Z"}});
        let e = app_interaction_event("s", APP_BASE_SCHEMA, "x", &Map::new(), None, &context);
        assert_eq!(e["performer"]["language_groups"], format!("{}?", "a".repeat(254)));
        assert_eq!(e["performer"]["registration_dt"], "2023-03-01T01:08:30.120Z");
        let t = humantime::parse_rfc3339("2023-03-01T01:08:30.000Z").unwrap();
        assert_eq!(iso_instant(t), "2023-03-01T01:08:30Z");
        let t = humantime::parse_rfc3339("2023-03-01T01:08:30.000001Z").unwrap();
        assert_eq!(iso_instant(t), "2023-03-01T01:08:30.000001Z");
    }

    #[test]
    fn dt_has_no_fraction_and_goes_after_schema() {
        let t = UNIX_EPOCH + std::time::Duration::from_millis(1_614_684_904_567);
        assert_eq!(app_dt(t), "2021-03-02T11:35:04Z");
        let mut e = app_interaction_event("s", APP_BASE_SCHEMA, "x", &obj(json!({"k": 1})), None, &json!({}));
        set_app_dt(&mut e, &app_dt(t));
        let keys: Vec<&str> = e.keys().map(String::as_str).collect();
        assert_eq!(keys, ["agent", "page", "mediawiki", "performer", "$schema", "dt", "meta", "k"]);
        let mut e = app_interaction_event("s", APP_BASE_SCHEMA, "x", &obj(json!({"dt": "mine"})), None, &json!({}));
        set_app_dt(&mut e, "now");
        assert_eq!((e["dt"].clone(), e.keys().position(|k| k == "dt")), (json!("mine"), Some(5)));
    }

    #[test]
    fn curation_is_typed_per_attribute() {
        let event = obj(json!({"page": {"id": 42, "title": "T"},
                               "performer": {"groups": ["user", "autoconfirmed"], "is_logged_in": true,
                                             "registration_dt": "2023-03-01T01:08:30Z"}}));
        let fails = |rules: Value| app_curation_failures(&mp(json!({"curation": rules})), &event);
        // Comparable rules read `is_equals` and ignore `equals` and `in`.
        assert!(fails(json!({"page_id": {"equals": 1, "in": [1]}})).is_empty());
        assert_eq!(fails(json!({"page_id": {"is_equals": 1}})).len(), 1);
        assert!(fails(json!({"page_id": {"greater_than": 41, "less_than_or_equals": "42", "not_in": [1]}})).is_empty());
        assert_eq!(fails(json!({"page_id": {"greater_than": 42}})).len(), 1);
        assert!(fails(json!({"performer_registration_dt": {"less_than": "2024-01-01T00:00:00Z"}})).is_empty());
        // Plain rules test `in`; no substring test; booleans bind "true".
        assert_eq!(fails(json!({"page_title": {"in": ["U"]}})).len(), 1);
        assert!(
            fails(
                json!({"page_title": {"in": ["T"], "not_equals": "U"}, "performer_is_logged_in": {"equals": "TRUE"}})
            )
            .is_empty()
        );
        // Collections.
        assert!(
            fails(
                json!({"performer_groups": {"contains_all": ["autoconfirmed", "user"], "does_not_contain": "sysop"}})
            )
            .is_empty()
        );
        assert_eq!(fails(json!({"performer_groups": {"contains_any": []}})).len(), 1);
        // A missing value rejects; an attribute Java cannot curate is ignored.
        assert_eq!(fails(json!({"page_namespace_id": {}})).len(), 1);
        assert!(fails(json!({"performer_edit_count_bucket": {"equals": "1-4 edits"}})).is_empty());
        // Operands Gson cannot bind: Java loses the whole stream config.
        let f = fails(json!({"page_id": {"is_equals": "abc"}}));
        assert!(f.len() == 1 && f[0].contains("cannot parse"), "{f:?}");
        assert!(app_curation_failures(&mp(json!({})), &event).is_empty());
    }
}
