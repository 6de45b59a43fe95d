//! Loading YAML and JSON documents into [`serde_json::Value`], strictly.
//!
//! Schema files are YAML (`current.yaml`, `<version>.yaml`); events and some
//! schemas are JSON. Both load into a `serde_json::Value` with these rules
//! (decisions.md, "Validation"; cases 14 and 15 in `../shared/cases/`):
//!
//! - YAML 1.2 core scalars: only `true`/`True`/`TRUE`/`false`/`False`/`FALSE`
//!   are booleans, so `on`, `off`, `yes`, `no`, `NO`, `y`, `n` stay strings, as
//!   js-yaml (jsonschema-tools, EventGate) reads them. `1_000` stays a string
//!   (YAML 1.2 has no `_` digit separators), and so does `0755` (octal 493 to
//!   js-yaml 3, decimal 755 to YAML 1.2: a string makes the ambiguity visible).
//! - There is no timestamp type: an unquoted `2021-06-01T00:00:00Z` is the
//!   string `"2021-06-01T00:00:00Z"`. (js-yaml 3 would build a `Date` here:
//!   [`ambiguous_scalars`] lists such scalars, and YAML 1.1 booleans and
//!   number forms, so that a caller can warn about them, case 14.)
//! - A duplicate mapping key is an error naming the key and its line, in YAML
//!   (js-yaml 3 rejects these too) and in JSON (where `JSON.parse` and
//!   serde_json silently keep the last value, which can hide an invalid first
//!   value: case 15). For JSON the error also gives the JSON pointer of the
//!   repeated member (`/meta/stream`).
//! - `.inf` and `.nan` are errors (JSON has no such numbers); a YAML stream
//!   with more than one document is an error.
//! - Nesting deeper than [`MAX_DEPTH`] (64, YAML) or 128 (JSON) levels, and YAML
//!   documents of more than [`MAX_NODES`] nodes, are errors, not a stack
//!   overflow or runaway memory.
//!
//! YAML is read with [`serde_saphyr`], a maintained serde YAML crate built on a
//! pure-Rust YAML 1.2 parser (serde_yaml is deprecated upstream). Errors carry
//! the source name (a file path, URI or `-`) and, when known, line and column.

use std::cell::RefCell;
use std::fmt;
use std::path::Path;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// A 1-based line and column in a document, when the parser knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// 1-based line; 0 when unknown.
    pub line: u64,
    /// 1-based column; 0 when unknown.
    pub column: u64,
}

impl fmt::Display for Position {
    /// `:line:column`, `:line`, or nothing when the position is unknown, so
    /// that it can follow a file name (`schema.yaml:22:3`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => Ok(()),
            (line, 0) => write!(f, ":{line}"),
            (line, column) => write!(f, ":{line}:{column}"),
        }
    }
}

/// What went wrong loading a document.
#[derive(Debug, thiserror::Error)]
pub enum DocumentErrorKind {
    /// The file could not be read.
    #[error("cannot read: {0}")]
    Io(#[source] std::io::Error),
    /// A mapping (YAML) or object (JSON) has the same key twice.
    #[error(
        "duplicate key `{key}`{}: keys must be unique (a parser that keeps one of them would hide the other)",
        pointer.as_deref().map(|p| format!(" at {p}")).unwrap_or_default()
    )]
    DuplicateKey {
        /// The repeated key.
        key: String,
        /// JSON pointer of the repeated member, when known (JSON only).
        pointer: Option<String>,
    },
    /// The text is not well-formed YAML or JSON, or holds something JSON
    /// cannot represent (`.nan`, more than one YAML document).
    #[error("{0}")]
    Syntax(String),
}

/// An error loading a YAML or JSON document: `source:line:column: problem`.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}{position}: {kind}")]
pub struct DocumentError {
    /// The file path, URI or `-` the text came from.
    pub source_name: String,
    /// Where in the text, when known.
    pub position: Position,
    /// What is wrong.
    #[source]
    pub kind: DocumentErrorKind,
}

/// The syntax a document is parsed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML 1.2 (also reads JSON, which is almost a subset).
    Yaml,
    /// JSON (RFC 8259), with duplicate keys rejected.
    Json,
}

impl Format {
    /// The format for a file name: `.json` is JSON; everything else, including
    /// `.yaml`, `.yml` and extensionless files (the repositories' `1.0.0`
    /// symlinks), is YAML.
    #[must_use]
    pub fn for_path(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("json") => Self::Json,
            _ => Self::Yaml,
        }
    }
}

/// Reads and parses a file, choosing the format by [`Format::for_path`].
///
/// # Errors
/// [`DocumentError`] naming `path`: unreadable file, malformed text or a
/// duplicate key, with the line where known.
pub fn load_file(path: &Path) -> Result<Value, DocumentError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| DocumentError {
        source_name: name.clone(),
        position: Position::default(),
        kind: DocumentErrorKind::Io(e),
    })?;
    parse_str(&text, Format::for_path(path), &name)
}

/// Parses text in the given format.
///
/// # Errors
/// As [`parse_yaml_str`] or [`parse_json_str`].
pub fn parse_str(text: &str, format: Format, source_name: &str) -> Result<Value, DocumentError> {
    match format {
        Format::Yaml => parse_yaml_str(text, source_name),
        Format::Json => parse_json_str(text, source_name),
    }
}

/// The deepest nesting of YAML collections accepted (serde-saphyr's default,
/// safe on a 2 MiB thread stack in debug builds; deeper overflows there).
/// Wikimedia schemas nest far less; serde_json's limit for JSON is 128.
pub const MAX_DEPTH: usize = 64;

/// The most YAML nodes (collections and scalars) one document may hold.
pub const MAX_NODES: usize = 20_000_000;

/// The serde-saphyr options that give the rules in the module docs.
fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
        strict_booleans: true,
        legacy_octal_numbers: false,
        underscored_numbers_as_strings: true,
        leading_zero_numbers_as_strings: true,
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::Reject,
        with_snippet: false,
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            max_nodes: MAX_NODES,
            max_events: 2 * MAX_NODES,
        },
    }
}

/// Parses one YAML 1.2 document (see the module docs for the scalar rules).
/// An empty document is `null`.
///
/// # Errors
/// [`DocumentError`] naming `source_name` with line and column: malformed
/// YAML, a duplicate key ([`DocumentErrorKind::DuplicateKey`]), `.nan`/`.inf`,
/// or more than one document.
pub fn parse_yaml_str(text: &str, source_name: &str) -> Result<Value, DocumentError> {
    // The fast path reads the parser's events straight into a `Value`; it
    // accepts only documents whose every node it can type exactly as
    // serde-saphyr does with these options, and gives the same value (tested
    // on every file of both real repositories). Anything else (anchors,
    // aliases, tags, duplicate keys, number forms other than the plainest,
    // errors) is parsed again by serde-saphyr, which decides.
    if let Some(value) = parse_yaml_fast(text) {
        return Ok(value);
    }
    serde_saphyr::from_str_with_options::<Value>(text, yaml_options()).map_err(|error| {
        let inner = error.without_snippet();
        let position = inner.location().map(|l| Position { line: l.line(), column: l.column() }).unwrap_or_default();
        let kind = match inner {
            serde_saphyr::Error::DuplicateMappingKey { key, .. } => DocumentErrorKind::DuplicateKey {
                key: key.clone().unwrap_or_else(|| "(non-scalar key)".to_owned()),
                pointer: None,
            },
            serde_saphyr::Error::MultipleDocuments { .. } => {
                DocumentErrorKind::Syntax("more than one YAML document (`---`); expected one".to_owned())
            }
            serde_saphyr::Error::Budget { breach: serde_saphyr::budget::BudgetBreach::Depth { .. }, .. } => {
                DocumentErrorKind::Syntax(format!(
                    "nesting too deep: more than {MAX_DEPTH} levels of mappings and lists"
                ))
            }
            other => DocumentErrorKind::Syntax(explain_recursion_limit(strip_location_suffix(&other.to_string()))),
        };
        DocumentError { source_name: source_name.to_owned(), position, kind }
    })
}

/// A YAML collection being filled by [`parse_yaml_fast`]; a mapping holds
/// the key whose value comes next.
enum Open {
    Map(Map<String, Value>, Option<String>),
    Seq(Vec<Value>),
}

/// [`parse_yaml_str`]'s fast path: the parser's events into a `Value`, or
/// `None` when the document holds anything whose reading it leaves to
/// serde-saphyr (see [`plain_scalar_fast`] for the plain scalars it types).
fn parse_yaml_fast(text: &str) -> Option<Value> {
    use granit_parser::{Event, Parser, ScalarStyle};
    let mut stack: Vec<Open> = Vec::new();
    let mut root = None;
    let mut documents = 0_usize;
    let mut nodes = 0_usize;
    for item in Parser::new_from_str(text) {
        let (event, _) = item.ok()?;
        let expecting_key = matches!(stack.last(), Some(Open::Map(_, None)));
        let value = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => continue,
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return None;
                }
                continue;
            }
            Event::Scalar(scalar, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                nodes += 1;
                let value = if style == ScalarStyle::Plain {
                    plain_scalar_fast(&scalar)?
                } else {
                    Value::String(scalar.into_owned())
                };
                if expecting_key {
                    let Value::String(key) = value else { return None };
                    if key == "<<" {
                        return None;
                    }
                    if let Some(Open::Map(_, slot)) = stack.last_mut() {
                        *slot = Some(key);
                    }
                    continue;
                }
                value
            }
            Event::MappingStart(_, anchor, tag) | Event::SequenceStart(_, anchor, tag)
                if anchor != 0 || tag.is_some() =>
            {
                return None;
            }
            Event::MappingStart(..) | Event::SequenceStart(..) if expecting_key || stack.len() + 1 >= MAX_DEPTH => {
                return None;
            }
            Event::MappingStart(..) => {
                nodes += 1;
                stack.push(Open::Map(Map::new(), None));
                continue;
            }
            Event::SequenceStart(..) => {
                nodes += 1;
                stack.push(Open::Seq(Vec::new()));
                continue;
            }
            Event::MappingEnd => match stack.pop() {
                Some(Open::Map(map, None)) => Value::Object(map),
                _ => return None,
            },
            Event::SequenceEnd => match stack.pop() {
                Some(Open::Seq(items)) => Value::Array(items),
                _ => return None,
            },
            _ => return None,
        };
        match stack.last_mut() {
            None if root.is_none() => root = Some(value),
            None => return None,
            Some(Open::Seq(items)) => items.push(value),
            Some(Open::Map(map, key)) => {
                if map.insert(key.take()?, value).is_some() {
                    return None;
                }
            }
        }
    }
    if nodes > MAX_NODES || !stack.is_empty() {
        return None;
    }
    root
}

/// Types a plain (unquoted, untagged) YAML scalar as serde-saphyr does under
/// [`yaml_options`], for the forms this fast path decides: the YAML 1.2
/// booleans and nulls, decimal integers without a sign `+` or leading zero
/// that fit 64 bits, decimals `-12.5`/`0.25e-3` with digits on both sides of
/// the point, and strings that cannot read as a number: not starting with a
/// digit, `+`, `-` or `.` (`inf` and `nan` are strings too: serde-saphyr
/// takes only `.inf`/`.nan` and numerals), or holding what no number form
/// holds (a space, two points, an inner sign, a letter other than an
/// exponent's). `None` for every other form: the caller leaves the document
/// to serde-saphyr.
fn plain_scalar_fast(text: &str) -> Option<Value> {
    match text {
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        _ => {}
    }
    let first = text.as_bytes()[0];
    let numeral_bytes = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-' | b'_' | b':');
    if (first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) && !text.bytes().all(numeral_bytes) {
        // No number form holds a byte outside these, whatever its sign or radix.
        return Some(Value::String(text.to_owned()));
    }
    if text.bytes().filter(|&b| b == b'.').count() > 1 && !text.contains(':') {
        // Two points: no number (`10.0.2.2`); a sexagesimal form has a colon.
        return Some(Value::String(text.to_owned()));
    }
    let bytes = text.as_bytes();
    if (1..bytes.len()).any(|i| matches!(bytes[i], b'+' | b'-') && !matches!(bytes[i - 1], b'e' | b'E')) {
        // A sign inside, not after an exponent mark: no number (a UUID, `2021-06-01`).
        return Some(Value::String(text.to_owned()));
    }
    let radix_prefix = first == b'0' && matches!(bytes.get(1), Some(b'x' | b'X' | b'o' | b'O' | b'b' | b'B'));
    if first.is_ascii_digit()
        && !radix_prefix
        && text.bytes().any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E')
    {
        // A letter other than an exponent's, after a leading digit and no
        // radix prefix (`0x`): neither an integer nor a float (`338abe4c`).
        return Some(Value::String(text.to_owned()));
    }
    if first.is_ascii_digit() || first == b'-' {
        let digits = text.strip_prefix('-').unwrap_or(text);
        let int_len = digits.bytes().take_while(u8::is_ascii_digit).count();
        if int_len == 0 || (int_len > 1 && digits.starts_with('0')) {
            return None;
        }
        let rest = &digits[int_len..];
        if rest.is_empty() {
            return if text.starts_with('-') {
                text.parse::<i64>().ok().map(Value::from)
            } else {
                text.parse::<u64>().ok().map(Value::from)
            };
        }
        let fraction = rest.strip_prefix('.')?;
        let fraction_len = fraction.bytes().take_while(u8::is_ascii_digit).count();
        let exponent = &fraction[fraction_len..];
        let exponent_ok = exponent.is_empty()
            || exponent.strip_prefix(['e', 'E']).is_some_and(|e| {
                let e = e.strip_prefix(['+', '-']).unwrap_or(e);
                !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
            });
        if fraction_len == 0 || !exponent_ok {
            return None;
        }
        let number = text.parse::<f64>().ok().filter(|v| v.is_finite())?;
        return serde_json::Number::from_f64(number).map(Value::Number);
    }
    if first == b'+' || (first == b'.' && text.as_bytes().get(1).is_none_or(|b| b.is_ascii_alphanumeric())) {
        return None;
    }
    Some(Value::String(text.to_owned()))
}

/// Parses one JSON value, rejecting duplicate object keys (which serde_json
/// and `JSON.parse` would silently collapse to the last one).
///
/// # Errors
/// [`DocumentError`] naming `source_name` with line and column: malformed
/// JSON, trailing characters, nesting deeper than 128, or a duplicate key
/// ([`DocumentErrorKind::DuplicateKey`] with the member's JSON pointer).
pub fn parse_json_str(text: &str, source_name: &str) -> Result<Value, DocumentError> {
    // The fast path builds each object once at its final size; it accepts
    // exactly what the checked path below accepts, and gives the same value.
    // Anything it refuses is parsed again by the checked path, for the error.
    let stack = RefCell::new(Vec::new());
    let mut de = serde_json::Deserializer::from_str(text);
    let fast = FastValue { stack: &stack };
    if let Ok(value) = fast.deserialize(&mut de).and_then(|value| de.end().map(|()| value)) {
        return Ok(value);
    }
    let duplicate = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let result = UniqueValue { duplicate: &duplicate }.deserialize(&mut de).and_then(|value| de.end().map(|()| value));
    result.map_err(|error| {
        let position = Position { line: error.line() as u64, column: error.column() as u64 };
        let kind = match duplicate.into_inner() {
            Some((key, pointer)) => DocumentErrorKind::DuplicateKey { key, pointer: Some(pointer) },
            None => DocumentErrorKind::Syntax(explain_recursion_limit(strip_location_suffix(&error.to_string()))),
        };
        DocumentError { source_name: source_name.to_owned(), position, kind }
    })
}

/// Says what a parser's bare "recursion limit exceeded" means (serde_json's
/// limit of 127 nested arrays and objects; the YAML scanner's for flow collections).
fn explain_recursion_limit(message: String) -> String {
    if message == "recursion limit exceeded" {
        "nesting too deep: too many levels of nested arrays and objects (recursion limit exceeded)".to_owned()
    } else {
        message
    }
}

/// Drops a parser's own " at line L column C" suffix: the position is
/// reported separately.
fn strip_location_suffix(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) if message[i..].split_whitespace().count() == 5 => message[..i].to_owned(),
        _ => message.to_owned(),
    }
}

/// Escapes a key for a JSON pointer (RFC 6901: `~` → `~0`, `/` → `~1`).
fn pointer_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The `DeserializeSeed` of a `serde_json::Value` visitor: deserialize any value with itself.
macro_rules! json_value_seed {
    ($visitor:ident) => {
        impl<'de> DeserializeSeed<'de> for $visitor<'_> {
            type Value = Value;

            fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
                deserializer.deserialize_any(self)
            }
        }
    };
}

/// The scalar arms every `serde_json::Value` visitor here shares (they differ
/// only in how they build arrays and objects).
macro_rules! json_value_scalars {
    () => {
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON value")
        }

        fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
            Ok(Value::Bool(v))
        }

        fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
            Ok(Value::from(v))
        }

        fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
            Ok(Value::from(v))
        }

        fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
            Ok(Value::from(v))
        }

        fn visit_str<E>(self, v: &str) -> Result<Value, E> {
            Ok(Value::String(v.to_owned()))
        }

        fn visit_string<E>(self, v: String) -> Result<Value, E> {
            Ok(Value::String(v))
        }

        fn visit_unit<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }

        fn visit_none<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }

        fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
            self.deserialize(deserializer)
        }
    };
}

/// A `serde_json::Value` seed that fails on a repeated object key. The
/// duplicate's key and pointer are recorded in `duplicate`: the object that
/// finds it sets `(key, "/key")`, and each enclosing object or array prefixes
/// its own member name or index as the error passes through, so nothing is
/// tracked while parsing succeeds.
struct UniqueValue<'a> {
    duplicate: &'a RefCell<Option<(String, String)>>,
}

impl UniqueValue<'_> {
    /// Prefixes `/token` to the recorded pointer, if a duplicate caused the error.
    fn prefix(&self, token: &str) {
        if let Some((_, pointer)) = self.duplicate.borrow_mut().as_mut() {
            pointer.insert_str(0, &format!("/{}", pointer_token(token)));
        }
    }
}

json_value_seed!(UniqueValue);

impl<'de> Visitor<'de> for UniqueValue<'_> {
    type Value = Value;

    json_value_scalars!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        loop {
            match seq.next_element_seed(UniqueValue { duplicate: self.duplicate }) {
                Ok(Some(value)) => items.push(value),
                Ok(None) => return Ok(Value::Array(items)),
                Err(e) => {
                    self.prefix(&items.len().to_string());
                    return Err(e);
                }
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            match map.entry(key) {
                serde_json::map::Entry::Occupied(entry) => {
                    let key = entry.key().clone();
                    let message = format!("duplicate key `{key}`");
                    *self.duplicate.borrow_mut() = Some((key.clone(), format!("/{}", pointer_token(&key))));
                    return Err(de::Error::custom(message));
                }
                serde_json::map::Entry::Vacant(entry) => {
                    match access.next_value_seed(UniqueValue { duplicate: self.duplicate }) {
                        Ok(value) => entry.insert(value),
                        Err(e) => {
                            self.prefix(entry.key());
                            return Err(e);
                        }
                    };
                }
            }
        }
        Ok(Value::Object(map))
    }
}

/// The fast path of [`parse_json_str`]: a `serde_json::Value` seed that
/// gathers an object's members on a stack shared by all levels, then builds
/// the map at its final size (no rehash as it grows, no entry lookups while
/// parsing). A repeated key fails without saying where: [`UniqueValue`] says.
struct FastValue<'a> {
    stack: &'a RefCell<Vec<(String, Value)>>,
}

json_value_seed!(FastValue);

impl<'de> Visitor<'de> for FastValue<'_> {
    type Value = Value;

    json_value_scalars!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(value) = seq.next_element_seed(FastValue { stack: self.stack })? {
            items.push(value);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let start = self.stack.borrow().len();
        while let Some(key) = access.next_key::<String>()? {
            let value = access.next_value_seed(FastValue { stack: self.stack })?;
            self.stack.borrow_mut().push((key, value));
        }
        let mut stack = self.stack.borrow_mut();
        let mut map = Map::with_capacity(stack.len() - start);
        for (key, value) in stack.drain(start..) {
            if map.insert(key, value).is_some() {
                return Err(de::Error::custom("duplicate key"));
            }
        }
        Ok(Value::Object(map))
    }
}

/// How a plain (unquoted) YAML scalar is read differently by other YAML
/// loaders than by [`parse_yaml_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ambiguity {
    /// A YAML 1.1 timestamp (`2021-06-01T00:00:00Z`, `2021-06-01`): a string
    /// here, a `Date` to js-yaml 3 (jsonschema-tools, EventGate), which fails
    /// `type: string` (case 14).
    Timestamp,
    /// A YAML 1.1 boolean (`yes`, `no`, `on`, `off`, `y`, `n` in any case
    /// form): a string here and to js-yaml, a boolean to PyYAML and other
    /// YAML 1.1 loaders.
    Boolean,
    /// A YAML 1.1 number form (`0755` octal, `1_000`, sexagesimal `1:30`): a
    /// string here, a number to js-yaml 3.
    Number,
}

impl Ambiguity {
    /// What other loaders make of the scalar, for a message.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::Timestamp => {
                "an unquoted timestamp: js-yaml 3 (jsonschema-tools, EventGate) reads it as a Date, not a string"
            }
            Self::Boolean => {
                "an unquoted YAML 1.1 boolean: a string to YAML 1.2 and js-yaml, a boolean to YAML 1.1 loaders"
            }
            Self::Number => "an unquoted YAML 1.1 number form: a string to YAML 1.2, a number to js-yaml 3",
        }
    }
}

/// A plain scalar that YAML loaders disagree about; quoting it removes the
/// ambiguity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmbiguousScalar {
    /// JSON pointer of the value, or of the member when the scalar is a key
    /// (`/examples/0/dt`).
    pub pointer: String,
    /// Whether the scalar is a mapping key rather than a value.
    pub is_key: bool,
    /// Where it starts.
    pub position: Position,
    /// The scalar as written.
    pub text: String,
    /// How loaders differ.
    pub ambiguity: Ambiguity,
}

/// Classifies a plain scalar's text (the patterns of the YAML 1.1 type
/// repository as js-yaml 3 and PyYAML implement them).
#[must_use]
pub fn ambiguity_of(text: &str) -> Option<Ambiguity> {
    use std::sync::LazyLock;
    static TIMESTAMP: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$",
        )
        .expect("valid regex")
    });
    static NUMBER: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r"^[-+]?(?:0[0-7_]+|0b[01_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|[0-9]*_[0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?)$",
        )
        .expect("valid regex")
    });
    const BOOLEANS: [&str; 20] = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "true",
        "True", "false", "False",
    ];
    if BOOLEANS[..16].contains(&text) {
        Some(Ambiguity::Boolean)
    } else if TIMESTAMP.is_match(text) {
        Some(Ambiguity::Timestamp)
    } else if text.bytes().any(|b| b.is_ascii_digit()) && NUMBER.is_match(text) && !text.starts_with("0x") {
        Some(Ambiguity::Number)
    } else {
        None
    }
}

/// A frame of the scan: where the next node of a collection goes.
enum Frame {
    Map { key: String, expecting_key: bool },
    Seq { index: usize },
}

fn frames_pointer(stack: &[Frame]) -> String {
    let mut out = String::new();
    for frame in stack {
        out.push('/');
        match frame {
            Frame::Map { key, .. } => out.push_str(&pointer_token(key)),
            Frame::Seq { index } => out.push_str(&index.to_string()),
        }
    }
    out
}

/// Marks the node at the top of `stack` complete: a key makes the mapping
/// expect its value, a value makes it expect the next key.
fn node_done(stack: &mut [Frame]) {
    match stack.last_mut() {
        Some(Frame::Map { expecting_key, .. }) => *expecting_key = !*expecting_key,
        Some(Frame::Seq { index }) => *index += 1,
        None => {}
    }
}

/// Lists the plain, untagged scalars of a YAML text that YAML 1.1 loaders
/// (js-yaml 3 in jsonschema-tools and EventGate, PyYAML) read differently
/// from [`parse_yaml_str`]: timestamps, YAML 1.1 booleans and number forms
/// (case 14). Quoted scalars and explicitly tagged ones are never listed.
///
/// # Errors
/// [`DocumentError`] naming `source_name` when the text is not well-formed YAML.
pub fn ambiguous_scalars(text: &str, source_name: &str) -> Result<Vec<AmbiguousScalar>, DocumentError> {
    use granit_parser::{Event, Parser, ScalarStyle};
    let mut found = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| DocumentError {
            source_name: source_name.to_owned(),
            position: Position { line: e.marker().line() as u64, column: e.marker().col() as u64 + 1 },
            kind: DocumentErrorKind::Syntax(e.info()),
        })?;
        match event {
            Event::Scalar(value, style, _, tag) => {
                let is_key = matches!(stack.last(), Some(Frame::Map { expecting_key: true, .. }));
                if is_key && let Some(Frame::Map { key, .. }) = stack.last_mut() {
                    *key = value.to_string();
                }
                if style == ScalarStyle::Plain
                    && tag.is_none()
                    && let Some(ambiguity) = ambiguity_of(&value)
                {
                    found.push(AmbiguousScalar {
                        pointer: frames_pointer(&stack),
                        is_key,
                        position: Position { line: span.start.line() as u64, column: span.start.col() as u64 + 1 },
                        text: value.to_string(),
                        ambiguity,
                    });
                }
                node_done(&mut stack);
            }
            Event::Alias(_) => node_done(&mut stack),
            Event::MappingStart(..) => stack.push(Frame::Map { key: String::new(), expecting_key: true }),
            Event::SequenceStart(..) => stack.push(Frame::Seq { index: 0 }),
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
                node_done(&mut stack);
            }
            _ => {}
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// serde-saphyr's reading, without the fast path.
    fn saphyr(text: &str) -> Option<Value> {
        serde_saphyr::from_str_with_options::<Value>(text, yaml_options()).ok()
    }

    #[test]
    fn the_fast_path_types_scalars_as_serde_saphyr_or_leaves_them() {
        let scalars = [
            "true",
            "True",
            "TRUE",
            "tRUE",
            "false",
            "FALSE",
            "null",
            "Null",
            "NULL",
            "nULL",
            "~",
            "0",
            "-0",
            "7",
            "-7",
            "007",
            "-007",
            "+7",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "1.5",
            "-0.0",
            "0.25e-3",
            "1.0E+2",
            "1.",
            ".5",
            "1e5",
            "1_000",
            "0x1F",
            "0o7",
            "0b1",
            ".inf",
            "-.inf",
            ".nan",
            "inf",
            "Infinity",
            "NaN",
            "nan",
            "1:30",
            "2021-06-01",
            "yes",
            "no",
            "on",
            "y",
            "abc",
            "a b",
            "ü",
            "/x/y",
            "$schema",
            "_x",
            "-x",
            "1.5.5",
            "1.5e",
            "1.5e+",
            "12abc",
            "1.7976931348623157e309",
            "'q'",
            "\"q\"",
            "5-99 edits",
            "0aac0b2976c12a600a58",
            "0b12",
            "0o8",
            "0X1",
            "0e5",
            "0.e5",
            "Inf",
            "INFINITY",
            "-inf",
            "-nan",
            "nan.5",
            "33333333-3333-3333-3333-333333333333",
            "2021-06-01",
            "1-2",
            "1e-2",
            "1E+2",
            "--1",
            "-+1",
            "1.5e-3-",
            "0x1-2",
            "10.0.2.2",
            "1..2",
            "-1.2.3",
            ".1.2",
            "1:2.3.4",
            "338abe4c324c68675fb2",
            "1x",
            "0x",
            "0xg1",
            "1e",
            "1E5",
            "9z9e9",
            "1 2",
            "12/3",
            "1,000",
            "-1 x",
            "+1 x",
            ".5 x",
            ". x",
            "1.5 %",
            "[1, 2]",
            "{a: 1}",
            "- 1",
            "|\n  x\n",
            ">-\n  x\n  y\n",
            "a: b",
            "x # c",
        ];
        for scalar in scalars {
            for text in [format!("v: {scalar}\n"), format!("- {scalar}\n"), format!("{scalar}: 1\n")] {
                if let Some(fast) = parse_yaml_fast(&text) {
                    assert_eq!(Some(&fast), saphyr(&text).as_ref(), "{text:?}");
                    assert_eq!(fast.to_string(), saphyr(&text).unwrap().to_string(), "{text:?}");
                }
            }
        }
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: 1\na: 2\n",
            "a: 1\n---\nb: 2\n",
            "? [a]\n: 1\n",
            "<<: {a: 1}\n",
            "",
        ] {
            assert_eq!(parse_yaml_fast(text), None, "{text:?}");
        }
        assert_eq!(parse_yaml_fast("v: 1.5\nw: [-3, x]\n"), Some(json!({"v": 1.5, "w": [-3, "x"]})));
    }

    #[test]
    fn the_fast_path_reads_every_real_schema_file_as_serde_saphyr_does() {
        let root = crate::schema::shared("data/schemas").expect("shared");
        let mut files = Vec::new();
        let mut pending = vec![root];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    files.push(path);
                }
            }
        }
        let mut fast_count = 0;
        let mut documents = 0;
        for path in &files {
            let text = std::fs::read_to_string(path).unwrap();
            let reference = saphyr(&text);
            if !reference.as_ref().is_some_and(Value::is_object) {
                continue;
            }
            documents += 1;
            if let Some(fast) = parse_yaml_fast(&text) {
                fast_count += 1;
                assert_eq!(Some(&fast), reference.as_ref(), "{}", path.display());
                assert_eq!(fast.to_string(), reference.unwrap().to_string(), "{}", path.display());
            }
        }
        assert!(documents > 700, "{documents} YAML documents");
        assert!(fast_count * 100 >= documents * 99, "the fast path read {fast_count} of {documents} documents");
    }

    #[test]
    fn yaml_12_scalars_stay_strings() {
        let v = parse_yaml_str(
            "a: [on, off, yes, no, NO, y, n, On]\nb: [true, False, TRUE]\nc: 2021-06-01T00:00:00Z\nd: 1_000\ne: 0755\nf: ~\ng: 1.5\nh: [5, -1, 9007199254740993, 1.0]\n",
            "t.yaml",
        )
        .unwrap();
        assert_eq!(v["a"], json!(["on", "off", "yes", "no", "NO", "y", "n", "On"]));
        assert_eq!(v["b"], json!([true, false, true]));
        assert_eq!(v["c"], json!("2021-06-01T00:00:00Z"));
        assert_eq!(v["d"], json!("1_000"));
        assert_eq!(v["e"], json!("0755"));
        assert_eq!(v["f"], Value::Null);
        assert_eq!(v["g"], json!(1.5));
        assert_eq!(v["h"], json!([5, -1, 9_007_199_254_740_993_u64, 1.0]));
        assert!(v["h"][2].is_u64() && v["h"][3].is_f64());
    }

    #[test]
    fn yaml_keeps_key_order_and_reads_json() {
        let v = parse_yaml_str("{\"z\": 1, \"a\": [1, 2.5, null, \"x\"]}", "t.json").unwrap();
        assert_eq!(v.as_object().unwrap().keys().collect::<Vec<_>>(), ["z", "a"]);
        assert_eq!(v["a"], json!([1, 2.5, null, "x"]));
        assert_eq!(parse_yaml_str("", "empty.yaml").unwrap(), Value::Null);
    }

    #[test]
    fn yaml_duplicate_key_names_key_and_line() {
        let err = parse_yaml_str("a: 1\nb:\n  c: 1\n  c: 2\n", "dup.yaml").unwrap_err();
        assert!(matches!(err.kind, DocumentErrorKind::DuplicateKey { ref key, .. } if key == "c"), "{err}");
        assert_eq!(err.position.line, 4, "{err}");
        assert!(err.to_string().starts_with("dup.yaml:4:"), "{err}");
    }

    #[test]
    fn yaml_errors_name_file_and_line() {
        for bad in ["a: [1, 2\nb: 3\n", "a: .nan\n", "a: 1\n---\nb: 2\n", "a: b: c\n", "a: &x 1\nb: *y\n"] {
            let err = parse_yaml_str(bad, "bad.yaml").unwrap_err();
            assert!(matches!(err.kind, DocumentErrorKind::Syntax(_)), "{bad:?}: {err}");
            assert!(err.to_string().starts_with("bad.yaml:"), "{err}");
            assert!(err.position.line > 0, "{bad:?}: {err}");
        }
        let err = parse_yaml_str("a: 1\n---\nb: 2\n", "two.yaml").unwrap_err();
        assert_eq!(err.to_string(), "two.yaml:3:1: more than one YAML document (`---`); expected one");
    }

    #[test]
    fn json_duplicates_are_errors_with_pointer_and_line() {
        let err = parse_json_str("{\"a\": 1,\n \"m\": {\"s\": 1,\n \"s\": 2}}", "e.json").unwrap_err();
        match &err.kind {
            DocumentErrorKind::DuplicateKey { key, pointer } => {
                assert_eq!(key, "s");
                assert_eq!(pointer.as_deref(), Some("/m/s"));
            }
            other => panic!("{other}"),
        }
        assert_eq!(err.position.line, 3, "{err}");
        assert!(err.to_string().starts_with("e.json:3:"), "{err}");
        let err = parse_json_str(r#"[{"a/b": 1}, {"x": {"a~": 1, "a~": 1}}]"#, "e.json").unwrap_err();
        assert!(matches!(err.kind, DocumentErrorKind::DuplicateKey { pointer: Some(ref p), .. } if p == "/1/x/a~0"));
    }

    #[test]
    fn json_parses_like_serde_json_otherwise() {
        let text = r#"{"b": [1, -2, 3.5, 18446744073709551615, true, null, "s"], "a": {"x": {}}, "c": []}"#;
        assert_eq!(parse_json_str(text, "-").unwrap(), serde_json::from_str::<Value>(text).unwrap());
        let err = parse_json_str("{\"a\": 1}\n x", "t.json").unwrap_err();
        assert!(matches!(err.kind, DocumentErrorKind::Syntax(_)));
        assert_eq!(err.to_string(), "t.json:2:2: trailing characters");
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(parse_json_str(&deep, "deep.json").unwrap_err().to_string().contains("recursion limit"));
    }

    /// The fast path builds maps at their final size: same members, same
    /// order, and a repeated key anywhere still reports through the checked path.
    #[test]
    fn json_fast_path_keeps_order_and_defers_duplicates_to_the_checked_path() {
        let text = r#"{"z": 1, "m": {"q": [{"b": 2, "a": 1}, "x\"\u00e9"], "c": {}}, "a": [[], {}], "k": 1.0}"#;
        let value = parse_json_str(text, "-").unwrap();
        assert_eq!(value.to_string(), serde_json::from_str::<Value>(text).unwrap().to_string());
        assert_eq!(value.as_object().unwrap().keys().collect::<Vec<_>>(), ["z", "m", "a", "k"]);
        let members: Vec<String> = (0..40).map(|i| format!("\"k{i}\": {i}")).collect();
        let text = format!("{{\"o\": [0, {{{}, \"k7\": 0}}]}}", members.join(", "));
        let err = parse_json_str(&text, "e.json").unwrap_err();
        assert!(matches!(err.kind, DocumentErrorKind::DuplicateKey { pointer: Some(ref p), .. } if p == "/o/1/k7"));
    }

    #[test]
    fn format_by_extension() {
        assert_eq!(Format::for_path(Path::new("a/b.JSON")), Format::Json);
        assert_eq!(Format::for_path(Path::new("a/1.0.0")), Format::Yaml);
        assert_eq!(Format::for_path(Path::new("a/current.yaml")), Format::Yaml);
    }

    /// Case 14: schema YAML read with YAML 1.2 scalars, as js-yaml reads it.
    #[test]
    fn case_14_yaml_scalars_in_a_real_schema_file() {
        let Some(dir) = crate::schema::shared("cases/14-yaml-scalar-coercion") else { return };
        for file in ["1.0.0.yaml", "current.yaml"] {
            let schema = load_file(&dir.join("repo/jsonschema/analytics/toggle").join(file)).unwrap();
            let props = &schema["properties"];
            assert_eq!(props["toggle_state"]["enum"], json!(["on", "off"]));
            assert_eq!(props["answer"]["enum"], json!(["yes", "no", "maybe"]));
            assert_eq!(props["country_code"]["enum"], json!(["NO", "SE", "DK"]));
            let example = &schema["examples"][0];
            // Unquoted timestamp: a string here (js-yaml 3 makes it a Date; see the case).
            assert_eq!(example["dt"], json!("2021-06-01T00:00:00Z"));
            assert_eq!(
                (&example["toggle_state"], &example["answer"], &example["country_code"]),
                (&json!("on"), &json!("no"), &json!("NO"))
            );
        }
        let events = dir.join("events");
        let ok = load_file(&events.join("ok-string-values.json")).unwrap();
        assert_eq!(ok["toggle_state"], json!("on"));
        assert_eq!(load_file(&events.join("bad-boolean-toggle.json")).unwrap()["toggle_state"], json!(true));
        assert_eq!(load_file(&events.join("bad-boolean-answer.json")).unwrap()["answer"], json!(false));
    }

    /// Case 15: duplicate keys are errors naming the key and the line (YAML)
    /// or the member's pointer (JSON), never silently collapsed.
    #[test]
    fn case_15_duplicate_keys() {
        let Some(dir) = crate::schema::shared("cases/15-duplicate-keys") else { return };
        let clean = load_file(&dir.join("schema.yaml")).unwrap();
        assert_eq!(clean["properties"]["action"]["type"], json!("string"));
        let err = load_file(&dir.join("schema-duplicate-key.yaml")).unwrap_err();
        assert!(
            matches!(err.kind, DocumentErrorKind::DuplicateKey { ref key, pointer: None } if key == "action"),
            "{err}"
        );
        assert_eq!(err.position.line, 22, "{err}");
        assert!(err.to_string().contains("schema-duplicate-key.yaml:22:3: duplicate key `action`"), "{err}");

        let events = dir.join("events");
        assert_eq!(load_file(&events.join("ok-no-duplicates.json")).unwrap()["position"], json!(3));
        for (file, pointer) in [
            ("bad-duplicate-hides-invalid-first.json", "/position"),
            ("bad-duplicate-nested-meta-stream.json", "/meta/stream"),
        ] {
            let err = load_file(&events.join(file)).unwrap_err();
            assert!(
                matches!(err.kind, DocumentErrorKind::DuplicateKey { pointer: Some(ref p), .. } if p == pointer),
                "{file}: {err}"
            );
            assert!(err.to_string().contains(&format!("{file}:1:")), "{err}");
            assert!(err.to_string().contains(&format!("at {pointer}")), "{err}");
            // As YAML (JSON is YAML), the duplicate is caught too.
            let text = std::fs::read_to_string(events.join(file)).unwrap();
            assert!(matches!(parse_yaml_str(&text, file).unwrap_err().kind, DocumentErrorKind::DuplicateKey { .. }));
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let depth = |n: usize| "[".repeat(n) + &"]".repeat(n);
        assert!(parse_yaml_str(&depth(MAX_DEPTH - 1), "ok.yaml").is_ok());
        let block: String = (0..MAX_DEPTH - 1).map(|i| " ".repeat(i) + "a:\n").collect();
        assert!(parse_yaml_str(&block, "ok.yaml").is_ok());
        for text in [depth(MAX_DEPTH + 1), depth(100_000), (0..MAX_DEPTH + 1).map(|i| " ".repeat(i) + "a:\n").collect()]
        {
            let err = parse_yaml_str(&text, "deep.yaml").unwrap_err();
            assert!(matches!(err.kind, DocumentErrorKind::Syntax(_)) && err.position.line > 0, "{err}");
        }
        assert!(parse_json_str(&depth(127), "ok.json").is_ok());
        let objects = "{\"a\":".repeat(127) + "1" + &"}".repeat(127);
        assert!(parse_json_str(&objects, "ok.json").is_ok());
        assert!(parse_json_str(&depth(129), "deep.json").is_err());
        assert!(parse_json_str(&depth(100_000), "deep.json").is_err());
        // The messages say what is wrong, with where.
        let err = parse_json_str(&depth(100_000), "deep.json").unwrap_err().to_string();
        assert!(err.starts_with("deep.json:1:128: nesting too deep") && err.contains("recursion limit"), "{err}");
        let err = parse_yaml_str(&("a:\n".to_owned() + &depth(100_000)), "deep.yaml").unwrap_err().to_string();
        assert!(err.starts_with("deep.yaml:2:") && err.contains("nesting too deep"), "{err}");
        let block: String = (0..100).map(|i| " ".repeat(i) + "a:\n").collect();
        let err = parse_yaml_str(&block, "deep.yaml").unwrap_err().to_string();
        assert_eq!(err, "deep.yaml:65:65: nesting too deep: more than 64 levels of mappings and lists");
    }

    #[test]
    fn ambiguous_scalars_are_listed_with_pointer_and_line() {
        let text = "title: x\nenum: [on, 'off', NO, maybe]\nexamples:\n  - dt: 2021-06-01T00:00:00Z\n    d: 2021-06-01\n    q: \"2021-06-01\"\n    t: !!str 2021-06-01\n    oct: 0755\n    u: 1_000\n    s: 1:30\n    k: {yes: 1, ok: true, h: 0x1F}\n    a/b: [y, &x on, *x]\n";
        let found = ambiguous_scalars(text, "t.yaml").unwrap();
        let summary: Vec<(String, bool, u64, &str, Ambiguity)> = found
            .iter()
            .map(|a| (a.pointer.clone(), a.is_key, a.position.line, a.text.as_str(), a.ambiguity))
            .collect();
        use Ambiguity::{Boolean, Number, Timestamp};
        assert_eq!(
            summary,
            [
                ("/enum/0".to_owned(), false, 2, "on", Boolean),
                ("/enum/2".to_owned(), false, 2, "NO", Boolean),
                ("/examples/0/dt".to_owned(), false, 4, "2021-06-01T00:00:00Z", Timestamp),
                ("/examples/0/d".to_owned(), false, 5, "2021-06-01", Timestamp),
                ("/examples/0/oct".to_owned(), false, 8, "0755", Number),
                ("/examples/0/u".to_owned(), false, 9, "1_000", Number),
                ("/examples/0/s".to_owned(), false, 10, "1:30", Number),
                ("/examples/0/k/yes".to_owned(), true, 11, "yes", Boolean),
                ("/examples/0/a~1b/0".to_owned(), false, 12, "y", Boolean),
                ("/examples/0/a~1b/1".to_owned(), false, 12, "on", Boolean),
            ]
        );
        assert_eq!(found[2].position.column, 9);
        for plain in ["1.5", "10", "-3", "0", "1e5", "0x1F", "true", "null", "12:30 pm", "2021-6-1", "v1_2", "a:b"] {
            assert_eq!(ambiguity_of(plain), None, "{plain}");
        }
        let err = ambiguous_scalars("a: [1, 2\nb: 3\n", "bad.yaml").unwrap_err();
        assert!(err.to_string().starts_with("bad.yaml:2:"), "{err}");
    }

    /// Case 14: the unquoted example `dt` that CI reads as a Date is found.
    #[test]
    fn case_14_unquoted_timestamp_is_reported() {
        let Some(dir) = crate::schema::shared("cases/14-yaml-scalar-coercion") else { return };
        let path = dir.join("repo/jsonschema/analytics/toggle/1.0.0.yaml");
        let found = ambiguous_scalars(&std::fs::read_to_string(&path).unwrap(), "1.0.0.yaml").unwrap();
        let timestamps: Vec<&str> =
            found.iter().filter(|a| a.ambiguity == Ambiguity::Timestamp).map(|a| a.pointer.as_str()).collect();
        assert_eq!(timestamps, ["/examples/0/dt"]);
        let booleans = found.iter().filter(|a| a.ambiguity == Ambiguity::Boolean).count();
        assert_eq!(booleans, 2 + 2 + 1 + 3, "{found:?}");
    }
}
