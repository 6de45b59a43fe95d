//! Stream config: the `action=streamconfigs` model, stream resolution and cc streams.
//!
//! A *stream config* maps each stream (or a `/regex/` of stream names) to its
//! settings: `schema_title`, `destination_event_service`, sampling (`sample:
//! {unit, rate}`), Metrics Platform producer settings, `topics` and more
//! (epc-spec.md §1). [`StreamConfigs`] keeps every entry's settings exactly as
//! given, key order included, and offers typed accessors for the fields the
//! clients read; unknown keys are kept and shown, never dropped.
//!
//! Accepted input shapes (decisions.md, "Stream config"): the API response
//! `{"streams": {...}}`, a bare map of stream name to settings, and the old PHP
//! empty array `[]` for an empty map at the top level, for `streams`, and for a
//! stream's settings (case 01). Deeper lists are real lists and stay lists.
//!
//! [`StreamConfig::problems`] and [`StreamConfig::warnings`] lint each entry
//! (sampling, known event services, setting keys and their types; see [`lint`]).

use std::fmt;

use serde_json::{Map, Value};

use crate::sampling::{SamplingConfig, SamplingProblem};

mod document;
pub mod lint;

pub use lint::{
    KNOWN_EVENT_SERVICES, KNOWN_SETTINGS, UnknownEventService, check_event_service, known_event_service,
    suggest_event_service,
};

/// An error reading a stream config document.
#[derive(Debug, thiserror::Error)]
pub enum StreamConfigError {
    /// The text is not JSON.
    #[error("{source_name}: malformed stream config JSON: {error}")]
    Json {
        /// File, URL or `-` the text came from.
        source_name: String,
        /// The parser's message, with line and column.
        error: serde_json::Error,
    },
    /// The JSON does not have a stream config shape.
    #[error("{source_name}: not a stream config: {reason}")]
    Shape {
        /// File, URL or `-` the text came from.
        source_name: String,
        /// What was found instead.
        reason: String,
    },
}

/// How a requested stream name matched a stream config entry
/// (EventStreamConfig: exact key first, then the first regex key in config order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKind {
    /// The name is a key of the stream config.
    Exact,
    /// The name matched a `/regex/` key.
    Regex,
}

impl MatchKind {
    /// `exact` or `regex`, as used in epc's JSON output.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Regex => "regex",
        }
    }
}

/// One entry of a stream config: the configured key and its settings.
#[derive(Debug, Clone)]
pub struct StreamConfig {
    key: String,
    settings: Map<String, Value>,
    regex: Option<Result<regex::Regex, String>>,
}

/// A stream config entry resolved for a requested stream name.
#[derive(Debug, Clone, Copy)]
pub struct Resolved<'a> {
    /// The requested stream name.
    pub stream: &'a str,
    /// The matching entry.
    pub config: &'a StreamConfig,
    /// Whether the key matched exactly or as a regex.
    pub matched: MatchKind,
}

/// A problem in one stream's config, named by stream and field.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigProblem {
    /// The configured key (stream name or regex).
    pub stream: String,
    /// The field, dotted (`sample.rate`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stream `{}`: `{}` {}", self.stream, self.field, self.message)
    }
}

impl StreamConfig {
    /// Builds an entry from a key and its settings object.
    #[must_use]
    pub fn new(key: impl Into<String>, settings: Map<String, Value>) -> Self {
        let key = key.into();
        let settings = document::compact_map(settings);
        let regex = is_regex_key(&key).then(|| compile_pcre_literal(&key));
        Self { key, settings, regex }
    }

    /// The configured key: a stream name, or a `/regex/` for regex entries.
    #[must_use]
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Whether the key is a `/regex/` (a PCRE literal, epc-spec.md §1.1).
    #[must_use]
    pub fn is_regex(&self) -> bool {
        self.regex.is_some()
    }

    /// All settings as given, in their original order.
    #[must_use]
    pub fn settings(&self) -> &Map<String, Value> {
        &self.settings
    }

    /// A setting by dotted path (`producers.metrics_platform_client.events`).
    #[must_use]
    pub fn get_path(&self, path: &str) -> Option<&Value> {
        let mut parts = path.split('.');
        let mut current = self.settings.get(parts.next()?)?;
        for part in parts {
            current = current.as_object()?.get(part)?;
        }
        Some(current)
    }

    /// `schema_title`, when it is a string.
    #[must_use]
    pub fn schema_title(&self) -> Option<&str> {
        self.settings.get("schema_title").and_then(Value::as_str)
    }

    /// `destination_event_service`, when it is a string.
    #[must_use]
    pub fn destination_event_service(&self) -> Option<&str> {
        self.settings.get("destination_event_service").and_then(Value::as_str)
    }

    /// `canary_events_enabled`, when it is a boolean.
    #[must_use]
    pub fn canary_events_enabled(&self) -> Option<bool> {
        self.settings.get("canary_events_enabled").and_then(Value::as_bool)
    }

    /// `topics`: the string items of the list (regex entries carry regex topics).
    #[must_use]
    pub fn topics(&self) -> Vec<&str> {
        string_list(self.settings.get("topics"))
    }

    /// The raw `sample` block (`None` when absent or `null`).
    #[must_use]
    pub fn sample_raw(&self) -> Option<&Value> {
        self.settings.get("sample").filter(|v| !v.is_null())
    }

    /// The legacy `sampling: {identifier, rate}` block, read only by the iOS
    /// client and the 2020 web client (decisions.md).
    #[must_use]
    pub fn legacy_sampling_raw(&self) -> Option<&Value> {
        self.settings.get("sampling").filter(|v| !v.is_null())
    }

    /// The canonical sampling config: `Ok(None)` without a `sample` block,
    /// `Ok(Some(..))` for a valid one, `Err` naming the field for an invalid one
    /// (decisions.md, "Sampling (canonical)").
    ///
    /// # Errors
    /// [`SamplingProblem`] for a `sample` that is not an object, a missing or
    /// unknown `unit`, or a `rate` that is missing, not a number or outside `[0, 1]`.
    pub fn sample(&self) -> Result<Option<SamplingConfig>, SamplingProblem> {
        self.sample_raw().map(SamplingConfig::from_json).transpose()
    }

    /// `producers.metrics_platform_client`, when it is an object.
    #[must_use]
    pub fn metrics_platform_client(&self) -> Option<&Map<String, Value>> {
        self.get_path("producers.metrics_platform_client").and_then(Value::as_object)
    }

    /// `producers.metrics_platform_client.events`: event names routed to this
    /// stream; a single string counts as a one-element list, as MP-JS reads it
    /// (epc-spec.md §1.3).
    #[must_use]
    pub fn metrics_platform_events(&self) -> Vec<&str> {
        match self.get_path("producers.metrics_platform_client.events") {
            Some(Value::String(s)) => vec![s.as_str()],
            other => string_list(other),
        }
    }

    /// `producers.metrics_platform_client.provide_values`: the context
    /// attributes the stream asks for (a non-list reads as empty, as MP-JS).
    #[must_use]
    pub fn provide_values(&self) -> Vec<&str> {
        string_list(self.get_path("producers.metrics_platform_client.provide_values"))
    }

    /// `producers.metrics_platform_client.curation`, as given.
    #[must_use]
    pub fn curation(&self) -> Option<&Value> {
        self.get_path("producers.metrics_platform_client.curation")
    }

    /// Every problem epc finds in this entry, the things that make it not do
    /// what it says: an invalid `sample` block, a regex key that does not
    /// compile, a `destination_event_service` that is not one of the
    /// [`KNOWN_EVENT_SERVICES`], known settings of the wrong JSON type ([`lint`]).
    #[must_use]
    pub fn problems(&self) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        let mut push = |field: &str, message: String| {
            out.push(ConfigProblem { stream: self.key.clone(), field: field.to_owned(), message });
        };
        if let Some(Err(e)) = &self.regex {
            push("stream", format!("is not a usable regex: {e}"));
        }
        if let Err(p) = self.sample() {
            push(p.field(), p.to_string());
        }
        for (field, message) in lint::problems(&self.settings) {
            push(&field, message);
        }
        out
    }

    /// Warnings that do not make the entry invalid: a legacy `sampling` block
    /// the canonical profile does not apply (decisions.md); producer blocks
    /// outside `producers`, which no client reads (case 22); setting keys
    /// production config does not use, with a "did you mean" ([`lint`]).
    #[must_use]
    pub fn warnings(&self) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        if self.legacy_sampling_raw().is_some() {
            out.push(ConfigProblem {
                stream: self.key.clone(),
                field: "sampling".into(),
                message: if self.sample_raw().is_some() {
                    "is the legacy sampling block; it is ignored in favour of `sample`".into()
                } else {
                    "is the legacy sampling block; it is ignored, so the stream is unsampled (only the ios profile applies it)".into()
                },
            });
        }
        out.extend(lint::warnings(&self.settings).into_iter().map(|(field, message)| ConfigProblem {
            stream: self.key.clone(),
            field,
            message,
        }));
        out
    }

    /// Whether `name` matches this entry's `/regex/` key (always false for
    /// exact keys and for regexes that do not compile).
    #[must_use]
    pub fn regex_matches(&self, name: &str) -> bool {
        matches!(&self.regex, Some(Ok(re)) if re.is_match(name))
    }
}

/// The whole stream config: entries in their original order.
#[derive(Debug, Clone, Default)]
pub struct StreamConfigs {
    entries: Vec<StreamConfig>,
    index: std::collections::HashMap<String, usize>,
    /// Exact (non-regex) keys by their cc parent (the key up to its last
    /// dot), as indexes into `entries` in config order: the prefix index
    /// [`Self::cc_children`] reads, so listing cc streams is linear, not O(n²).
    children: std::collections::HashMap<String, Vec<usize>>,
    /// Whether the document had a `streams` member (an API answer) rather
    /// than being a bare map of streams.
    streams_member: bool,
}

impl StreamConfigs {
    /// Parses a stream config document (see the module documentation for the shapes).
    ///
    /// # Errors
    /// [`StreamConfigError`] naming `source_name` for malformed JSON or a
    /// document that is not a map of stream settings.
    pub fn from_json_str(text: &str, source_name: &str) -> Result<Self, StreamConfigError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.trim().is_empty() {
            return Err(StreamConfigError::Shape {
                source_name: source_name.to_owned(),
                reason: "the document is empty".into(),
            });
        }
        Self::from_json(serde_json::Deserializer::from_str(text), source_name)
    }

    /// Parses a stream config document read from `reader` (a file, stdin),
    /// without holding its text: as [`Self::from_json_str`], a leading byte
    /// order mark skipped.
    ///
    /// # Errors
    /// As [`Self::from_json_str`]; a read error is a [`StreamConfigError::Json`]
    /// whose error is of the I/O category.
    pub fn from_json_reader(reader: impl std::io::Read, source_name: &str) -> Result<Self, StreamConfigError> {
        let mut reader = document::Watched::new(std::io::BufReader::with_capacity(1 << 16, reader));
        let parsed = Self::from_json(serde_json::Deserializer::from_reader(&mut reader), source_name);
        match parsed {
            Err(StreamConfigError::Json { error, .. })
                if error.classify() == serde_json::error::Category::Eof && !reader.saw_content() =>
            {
                Err(StreamConfigError::Shape {
                    source_name: source_name.to_owned(),
                    reason: "the document is empty".into(),
                })
            }
            other => other,
        }
    }

    fn from_json<'de, R: serde_json::de::Read<'de>>(
        mut de: serde_json::Deserializer<R>,
        source_name: &str,
    ) -> Result<Self, StreamConfigError> {
        let json = |error| StreamConfigError::Json { source_name: source_name.to_owned(), error };
        let parsed = serde::de::DeserializeSeed::deserialize(document::Document, &mut de).map_err(json)?;
        de.end().map_err(json)?;
        parsed.map_err(|reason| StreamConfigError::Shape { source_name: source_name.to_owned(), reason })
    }

    /// Builds from an already parsed document.
    ///
    /// # Errors
    /// [`StreamConfigError::Shape`] when it is not a map of stream settings.
    pub fn from_value(value: Value, source_name: &str) -> Result<Self, StreamConfigError> {
        let shape = |reason: String| StreamConfigError::Shape { source_name: source_name.to_owned(), reason };
        let mut streams_member = false;
        let map = match value {
            Value::Object(mut obj) => {
                if obj.contains_key("error") && !obj.contains_key("streams") {
                    let e = &obj["error"];
                    return Err(shape(format!(
                        "the API answered with an error: {} {}",
                        e.get("code").and_then(Value::as_str).unwrap_or("?"),
                        e.get("info").and_then(Value::as_str).unwrap_or("")
                    )));
                }
                streams_member = obj.contains_key("streams");
                match obj.remove("streams") {
                    Some(Value::Object(m)) => m,
                    Some(Value::Array(a)) if a.is_empty() => Map::new(),
                    Some(other) => {
                        return Err(shape(format!("`streams` must be an object, found {}", json_type(&other))));
                    }
                    None => obj,
                }
            }
            Value::Array(a) if a.is_empty() => Map::new(),
            other => {
                return Err(shape(format!("expected an object of streams, found {}", json_type(&other))));
            }
        };
        let mut configs = Self { streams_member, ..Self::default() };
        for (key, settings) in map {
            let settings = match settings {
                Value::Object(m) => m,
                Value::Array(a) if a.is_empty() => Map::new(),
                other => {
                    return Err(shape(format!(
                        "the settings of stream `{key}` must be an object, found {}",
                        json_type(&other)
                    )));
                }
            };
            configs.insert(StreamConfig::new(key, settings));
        }
        Ok(configs)
    }

    /// Adds or replaces an entry (a replaced entry keeps its position).
    pub fn insert(&mut self, entry: StreamConfig) {
        if let Some(&i) = self.index.get(entry.key()) {
            self.entries[i] = entry;
        } else {
            let i = self.entries.len();
            if !entry.is_regex()
                && let Some(parent) = cc_parent(entry.key())
            {
                self.children.entry(parent.to_owned()).or_default().push(i);
            }
            self.index.insert(entry.key().to_owned(), i);
            self.entries.push(entry);
        }
    }

    /// Whether the document was an API answer with a `streams` member
    /// (`{"streams": {…}}`, even an empty one) rather than a bare map of
    /// streams. An empty bare map (`{}`) is then told apart from an API
    /// answer that no stream matched.
    #[must_use]
    pub fn has_streams_member(&self) -> bool {
        self.streams_member
    }

    /// Number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries in config order.
    pub fn iter(&self) -> impl Iterator<Item = &StreamConfig> {
        self.entries.iter()
    }

    /// The entry with exactly this key.
    #[must_use]
    pub fn get_exact(&self, key: &str) -> Option<&StreamConfig> {
        self.index.get(key).map(|&i| &self.entries[i])
    }

    /// Resolves a stream name like EventStreamConfig (`StreamConfigs::get`,
    /// epc-spec.md §1.1 rule 2): the exact key if there is one, else the first
    /// regex key, in config order, that matches.
    #[must_use]
    pub fn resolve<'a>(&'a self, stream: &'a str) -> Option<Resolved<'a>> {
        if let Some(config) = self.get_exact(stream) {
            return Some(Resolved { stream, config, matched: MatchKind::Exact });
        }
        self.entries.iter().find(|e| e.regex_matches(stream)).map(|config| Resolved {
            stream,
            config,
            matched: MatchKind::Regex,
        })
    }

    /// The direct cc streams of `stream`: every configured exact key with
    /// exactly one more dot-separated segment (`a` → `a.x`, not `a.x.y`), in
    /// config order. `stream` itself need not be configured.
    ///
    /// This is the canonical rule of decisions.md ("Stream cc'ing"), after the
    /// iOS 2020 EPC (epc-spec.md §4.2): direct children only, parents
    /// synthesised from dotted names, so recursion reaches grandchildren once.
    #[must_use]
    pub fn cc_children(&self, stream: &str) -> Vec<&str> {
        self.children.get(stream).map_or_else(Vec::new, |kids| kids.iter().map(|&i| self.entries[i].key()).collect())
    }

    /// Every stream an event submitted to `stream` reaches through cc'ing,
    /// depth first (child, then its children), without `stream` itself and
    /// without duplicates (decisions.md). Linear in the streams reached.
    #[must_use]
    pub fn cc_streams(&self, stream: &str) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        let mut stack: Vec<&str> = self.cc_children(stream);
        stack.reverse();
        while let Some(s) = stack.pop() {
            if s == stream || !seen.insert(s) {
                continue;
            }
            out.push(s);
            let mut kids = self.cc_children(s);
            kids.reverse();
            stack.extend(kids);
        }
        out
    }

    /// Configured names close to `name` (edit distance), for "did you mean" hints.
    #[must_use]
    pub fn suggest(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .filter(|e| !e.is_regex())
            .map(|e| (strsim::damerau_levenshtein(name, e.key()), e.key()))
            .filter(|(d, k)| *d <= (name.len().max(k.len()) / 4).max(2))
            .min_by_key(|(d, _)| *d)
            .map(|(_, k)| k)
    }
}

/// The stream a key is a direct cc child of: the key up to its last dot,
/// when a non-empty segment follows that dot (`a.b.c` → `a.b`, `a..b` →
/// `a.`, `.a` → ``; `a.` and `a` have none). This is the one parent for
/// which [`StreamConfigs::cc_children`]'s rule ("exactly one more
/// dot-separated segment") holds.
fn cc_parent(key: &str) -> Option<&str> {
    let dot = key.rfind('.')?;
    (dot + 1 < key.len()).then(|| &key[..dot])
}

/// Whether a stream config key is a regex: a string that starts with `/` and
/// has a closing `/` (epc-spec.md §1.1 rule 2).
fn is_regex_key(key: &str) -> bool {
    key.len() >= 2 && key.starts_with('/') && key[1..].contains('/')
}

/// Compiles a PCRE literal `/pattern/flags` with the `regex` crate. The flags
/// `i`, `m`, `s`, `x` and `u` are honoured; PCRE features the crate lacks
/// (look-around, back-references) give an error, reported as a config problem.
fn compile_pcre_literal(key: &str) -> Result<regex::Regex, String> {
    let close = key.rfind('/').unwrap_or(0);
    let (pattern, flags) = (&key[1..close], &key[close + 1..]);
    let mut builder = regex::RegexBuilder::new(pattern);
    for flag in flags.chars() {
        match flag {
            'i' => builder.case_insensitive(true),
            'm' => builder.multi_line(true),
            's' => builder.dot_matches_new_line(true),
            'x' => builder.ignore_whitespace(true),
            'u' => builder.unicode(true),
            other => return Err(format!("unsupported PCRE flag `{other}`")),
        };
    }
    builder.build().map_err(|e| e.to_string().lines().last().unwrap_or("invalid").trim().to_owned())
}

fn string_list(value: Option<&Value>) -> Vec<&str> {
    value.and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default()
}

/// The JSON type name of a value, for messages.
#[must_use]
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn configs(v: Value) -> StreamConfigs {
        StreamConfigs::from_value(v, "test").unwrap()
    }

    #[test]
    fn reads_api_shape_bare_map_and_php_empty_arrays() {
        assert_eq!(configs(json!({"streams": {"a": {}}})).len(), 1);
        assert_eq!(configs(json!({"a": {}, "b": {}})).len(), 2);
        assert_eq!(configs(json!({"streams": []})).len(), 0);
        assert_eq!(configs(json!([])).len(), 0);
        let c = configs(json!({"streams": {"x": [], "y": {"topics": ["t1", "t2"]}}}));
        assert!(c.get_exact("x").unwrap().settings().is_empty());
        assert_eq!(c.get_exact("y").unwrap().topics(), ["t1", "t2"]);
    }

    /// The one-stream-at-a-time parsers (from text and from a reader) give
    /// what parsing into a `Value` and [`StreamConfigs::from_value`] gives:
    /// the same entries in the same order, or the same error text.
    #[test]
    fn streaming_parse_agrees_with_parsing_into_a_value() {
        let docs = [
            r#"{"streams": {"a": {"topics": ["x", "y"], "sample": {"unit": "session", "rate": 0.5}}, "a.b": []}}"#,
            r#"{"a": {}, "b": {"stream": "b"}, "a": {"x": 1}}"#,
            r#"{"batchcomplete": true, "streams": {"s": {}}}"#,
            r#"{"streams": {"s": {}}, "streams": {"t": {"k": [1, 2.5, null]}}}"#,
            r#"{"streams": {}}"#,
            r#"{"streams": []}"#,
            "[]",
            "  {\n}  ",
            "\u{feff}{\"a\": {}}",
            r#"{"streams": [1]}"#,
            r#"{"streams": "x"}"#,
            r#"{"streams": null}"#,
            r#"{"a": {}, "b": 3, "c": true}"#,
            r#"{"streams": {"a": [1], "b": "x"}}"#,
            r#"{"error": {"code": "badvalue", "info": "no"}, "x": {}}"#,
            r#"{"error": {"code": "badvalue"}, "streams": {"a": {}}}"#,
            "3",
            "\"s\"",
            "null",
            "[1, 2]",
            r#"{"a": {}"#,
            r#"{"a": 1, "b": "#,
            r#"{"a": {}} x"#,
            "",
            "   \n ",
            "\u{feff}",
        ];
        let describe = |r: Result<StreamConfigs, StreamConfigError>| match r {
            Ok(c) => Ok((
                c.has_streams_member(),
                c.iter().map(|e| (e.key().to_owned(), Value::Object(e.settings().clone()))).collect::<Vec<_>>(),
            )),
            Err(e) => Err(e.to_string()),
        };
        for doc in docs {
            let trimmed = doc.strip_prefix('\u{feff}').unwrap_or(doc);
            let reference = if trimmed.trim().is_empty() {
                Err("d: not a stream config: the document is empty".to_owned())
            } else {
                match serde_json::from_str::<Value>(trimmed) {
                    Ok(v) => describe(StreamConfigs::from_value(v, "d")),
                    Err(error) => Err(StreamConfigError::Json { source_name: "d".into(), error }.to_string()),
                }
            };
            assert_eq!(describe(StreamConfigs::from_json_str(doc, "d")), reference, "from text: {doc:?}");
            let from_reader = describe(StreamConfigs::from_json_reader(doc.as_bytes(), "d"));
            match (&from_reader, &reference) {
                // A reader's syntax errors may point one column further on.
                (Err(a), Err(b)) if b.contains("malformed") => assert!(a.contains("malformed"), "{doc:?}: {a}"),
                _ => assert_eq!(from_reader, reference, "from a reader: {doc:?}"),
            }
        }
    }

    #[test]
    fn settings_are_kept_without_spare_capacity_and_unchanged() {
        let c = StreamConfigs::from_json_str(r#"{"a": {"topics": ["x", "y"], "m": {"k": [1]}}}"#, "d").unwrap();
        let settings = c.get_exact("a").unwrap().settings();
        assert_eq!(Value::Object(settings.clone()), json!({"topics": ["x", "y"], "m": {"k": [1]}}));
        assert_eq!(settings["topics"].as_array().unwrap().capacity(), 2);
    }

    #[test]
    fn rejects_non_stream_shapes_naming_the_source() {
        let e = StreamConfigs::from_json_str("{\"streams\": 3}", "f.json").unwrap_err();
        assert_eq!(e.to_string(), "f.json: not a stream config: `streams` must be an object, found a number");
        let e = StreamConfigs::from_json_str("{\"a\": [1]}", "f.json").unwrap_err();
        assert!(e.to_string().contains("stream `a` must be an object, found a list"), "{e}");
        let e = StreamConfigs::from_json_str("{\"a\": ", "f.json").unwrap_err();
        assert!(e.to_string().starts_with("f.json: malformed stream config JSON"), "{e}");
        let e = StreamConfigs::from_json_str(r#"{"error":{"code":"toomanyvalues","info":"x"}}"#, "u").unwrap_err();
        assert!(e.to_string().contains("toomanyvalues"), "{e}");
    }

    #[test]
    fn keeps_settings_order_and_unknown_keys() {
        let c =
            StreamConfigs::from_json_str(r#"{"s": {"zeta": 1, "alpha": {"k": 2}, "schema_title": "t"}}"#, "t").unwrap();
        let keys: Vec<_> = c.get_exact("s").unwrap().settings().keys().cloned().collect();
        assert_eq!(keys, ["zeta", "alpha", "schema_title"]);
        assert_eq!(c.get_exact("s").unwrap().get_path("alpha.k"), Some(&json!(2)));
    }

    #[test]
    fn resolves_exact_first_then_first_matching_regex_in_order() {
        let c = configs(json!({
            "/^mediawiki\\.job\\..+/": {"schema_title": "first"},
            "/^mediawiki\\..+/": {"schema_title": "second"},
            "mediawiki.job.exact": {"schema_title": "exact"},
            "/^SWIFT\\.x$/i": {"schema_title": "ci"},
        }));
        let r = c.resolve("mediawiki.job.exact").unwrap();
        assert_eq!((r.config.schema_title(), r.matched), (Some("exact"), MatchKind::Exact));
        let r = c.resolve("mediawiki.job.refreshLinks").unwrap();
        assert_eq!((r.config.schema_title(), r.matched), (Some("first"), MatchKind::Regex));
        assert_eq!(c.resolve("mediawiki.other").unwrap().config.schema_title(), Some("second"));
        assert_eq!(c.resolve("swift.X").unwrap().config.schema_title(), Some("ci"));
        assert!(c.resolve("other").is_none());
    }

    #[test]
    fn bad_regex_keys_are_problems_not_errors() {
        let c = configs(json!({"/(?<=a)b/": {}}));
        assert!(c.resolve("ab").is_none());
        let p = c.get_exact("/(?<=a)b/").unwrap().problems();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].field, "stream");
    }

    #[test]
    fn cc_streams_are_direct_children_recursively_and_parent_need_not_exist() {
        let c = configs(json!({
            "a.b": {}, "a.b.c": {}, "a.b.c.d": {}, "a.bx": {}, "ab.c": {}, "a.e.f": {}, "/^a\\..*/": {}
        }));
        assert_eq!(c.cc_children("a"), ["a.b", "a.bx"]);
        assert_eq!(c.cc_streams("a"), ["a.b", "a.b.c", "a.b.c.d", "a.bx"]);
        assert_eq!(c.cc_streams("a.b"), ["a.b.c", "a.b.c.d"]);
        assert!(c.cc_streams("a.b.c.d").is_empty());
        // `a.e` is not configured, so `a.e.f` is not a direct child of `a`.
        assert!(!c.cc_streams("a").contains(&"a.e.f"));
        assert_eq!(c.cc_streams("a.e"), ["a.e.f"]);
    }

    #[test]
    fn metrics_platform_fields() {
        let c = configs(
            json!({"s": {"producers": {"metrics_platform_client": {"events": "one", "provide_values": ["page_id", 3]}}}}),
        );
        let s = c.get_exact("s").unwrap();
        assert_eq!(s.metrics_platform_events(), ["one"]);
        assert_eq!(s.provide_values(), ["page_id"]);
    }

    #[test]
    fn suggests_close_names() {
        let c = configs(json!({"mediawiki.client.session_tick": {}, "other": {}}));
        assert_eq!(c.suggest("mediawiki.client.sesion_tick"), Some("mediawiki.client.session_tick"));
        assert_eq!(c.suggest("zzzzzzzzzzzzzz"), None);
    }

    /// The old O(n²) rule, kept here as the reference for the prefix index.
    fn naive_children<'a>(c: &'a StreamConfigs, stream: &str) -> Vec<&'a str> {
        c.iter()
            .filter(|e| !e.is_regex())
            .map(StreamConfig::key)
            .filter(|k| {
                k.len() > stream.len() + 1
                    && k.starts_with(stream)
                    && k.as_bytes()[stream.len()] == b'.'
                    && !k[stream.len() + 1..].contains('.')
            })
            .collect()
    }

    fn naive_cc<'a>(c: &'a StreamConfigs, stream: &str) -> Vec<&'a str> {
        let mut out: Vec<&str> = Vec::new();
        let mut stack = naive_children(c, stream);
        stack.reverse();
        while let Some(s) = stack.pop() {
            if out.contains(&s) {
                continue;
            }
            out.push(s);
            let mut kids = naive_children(c, s);
            kids.reverse();
            stack.extend(kids);
        }
        out
    }

    #[test]
    fn cc_prefix_index_gives_exactly_the_naive_rule_on_tricky_names() {
        let mut names: Vec<String> = [
            "a",
            "a.b",
            "a.b.c",
            "ab",
            "a..b",
            "a.",
            "a..",
            ".a",
            ".",
            "..",
            "",
            "a.b.",
            "a.b..c",
            "ab.c",
            "a.bc",
            "a.b.c.d",
            "é.ü",
            "é",
            "/a\\..*/",
            "/a/",
            "b.a",
            "a.b.c.d.e",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        // A generated tree whose keys come in no particular order (children before parents too).
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..400 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let depth = (x % 4) as usize;
            let mut name = ["a", "ab", "a.", ""][(x >> 8) as usize % 4].to_owned();
            for d in 0..depth {
                name.push('.');
                name.push_str(["b", "c", "", "a"][((x >> (16 + 2 * d)) % 4) as usize]);
            }
            names.push(name);
        }
        let mut map = serde_json::Map::new();
        for n in &names {
            map.insert(n.clone(), json!({}));
        }
        let c = configs(json!({"streams": map}));
        let mut queried: Vec<&str> = names.iter().map(String::as_str).collect();
        queried.extend(["zzz", "a.b.c.d.e.f", "é.ü.x"]);
        let mut nonempty = 0;
        for q in queried {
            assert_eq!(c.cc_children(q), naive_children(&c, q), "children of {q:?}");
            assert_eq!(c.cc_streams(q), naive_cc(&c, q), "cc streams of {q:?}");
            nonempty += usize::from(!c.cc_streams(q).is_empty());
        }
        assert!(nonempty > 20, "the generated tree has cc streams ({nonempty})");
        // `ab` and `ab.c` are not under `a`; `a.` (empty last segment) is no child.
        assert_eq!(c.cc_children("a"), ["a.b", "a.bc", "a.a", "a.c"]);
        assert!(c.cc_children("a.").contains(&"a..b"));
        assert_eq!(c.cc_children(""), naive_children(&c, ""));
        assert!(c.cc_children("").contains(&".a"));
    }

    #[test]
    fn an_empty_bare_map_is_told_apart_from_an_empty_api_answer() {
        assert!(!configs(json!({})).has_streams_member());
        assert!(configs(json!({"streams": []})).has_streams_member());
        assert!(configs(json!({"streams": {}})).has_streams_member());
        assert!(!configs(json!({"a": {}})).has_streams_member());
    }
}
