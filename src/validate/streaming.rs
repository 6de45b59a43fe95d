//! The streaming check: a valid NDJSON line validated while it is parsed,
//! with no tree built for it.
//!
//! A schema whose keywords are all covered is turned once into a
//! [`Program`]: a tree of [`Node`]s that mirrors the schema's `properties`,
//! `additionalProperties` and `items`. An event's text is then read by
//! `serde_json`'s own deserializer (so numbers, escapes, UTF-8, nesting limits
//! and trailing characters are judged exactly as the reference parser judges
//! them), and each value is checked as it is read, against the node for its
//! place in the schema. Strings without escapes stay borrowed from the line;
//! nothing is allocated for a valid event but the scalar checks' own work.
//!
//! What the program checks itself is only structure: `type` for objects and
//! arrays, `properties`, `required`, `additionalProperties`, `items` (one
//! schema), `minItems`, `maxItems`, and that no key repeats (the reference
//! path's strict parser refuses a repeated key). A scalar's keywords (`type`,
//! `enum`, `const`, `minLength`, `maxLength`, `pattern`, `format`, `minimum`,
//! `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf`) are judged
//! by the `jsonschema` crate itself: each distinct set of them is compiled
//! once into a small validator with the root's `$schema` and the reference
//! validator's options, so their meaning cannot drift from the reference
//! path's. A `type` that is all a scalar schema says is checked directly.
//!
//! Any other keyword that asserts something (`$ref`, `allOf`, `anyOf`,
//! `oneOf`, `not`, `if`, `patternProperties`, `uniqueItems`, an `items` list,
//! an `enum` that may match an object, …) means no program: such schemas
//! keep the [`super::fast`] path. Annotations and unknown keywords are
//! ignored, as `jsonschema` ignores them.
//! The program only ever says "valid": an event it finds invalid, or text it
//! cannot parse, stops the read at once and goes through the reference path,
//! which reports it, so output never changes.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::fast::{Fast, FastNode};

/// A schema turned into a streaming check (see the module documentation).
pub struct Program {
    root: Node,
}

impl fmt::Debug for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Program")
    }
}

/// What the value at one place of the schema must be.
enum Node {
    /// Any value (`{}`, `true`, or a schema of annotations only).
    Any,
    /// No value (`false`).
    Never,
    /// A schema with checks.
    Check(Box<Check>),
}

/// The checks of one (sub)schema.
struct Check {
    /// Whether `type` allows an object (or there is no `type`).
    objects: bool,
    /// Whether `type` allows an array (or there is no `type`).
    arrays: bool,
    /// How a string, number, boolean or null is checked.
    scalar: Scalar,
    /// `properties`, `required`, `additionalProperties`: `None` when there
    /// are none (any object, keys still unique).
    object: Option<ObjectRules>,
    /// `items`, `minItems`, `maxItems`: `None` when there are none.
    array: Option<ArrayRules>,
}

/// The check of a scalar value.
enum Scalar {
    /// No scalar keyword, no `type`: any scalar.
    Any,
    /// Only `type`: the scalar types it allows.
    Types(Types),
    /// `type: string` with only `minLength`, `maxLength` (in characters, as
    /// the drafts count them: Unicode code points) and a string `enum`.
    String { min: u64, max: Option<u64>, allowed: Option<Vec<Box<str>>> },
    /// Scalar keywords, judged by `jsonschema` (with `type`, if any).
    Validate(Arc<jsonschema::Validator<Fast>>),
}

/// The scalar JSON types a `type` allows.
#[derive(Clone, Copy, Default)]
struct Types {
    null: bool,
    boolean: bool,
    /// Any number (`number`).
    number: bool,
    /// A number without a fractional part (`integer`; `1.0` is one, as the
    /// drafts from 6 on and `jsonschema` say).
    integer: bool,
    string: bool,
}

struct ObjectRules {
    /// Declared properties (and required names not declared, as [`Node::Any`]).
    properties: Vec<(Box<str>, Node)>,
    /// Lookup of `properties` by name.
    index: KeyIndex,
    /// Indexes into `properties` of the required names.
    required: Vec<usize>,
    /// The schema of keys not in `properties`.
    additional: Node,
}

struct ArrayRules {
    items: Node,
    min: u64,
    max: Option<u64>,
}

/// Objects with up to this many declared properties are looked up by a scan.
const SCAN_PROPERTIES: usize = 4;

/// Slots of a [`KeyIndex::Table`] (a power of two).
const TABLE_SLOTS: usize = 64;

/// How a key is looked up among an object's declared properties.
enum KeyIndex {
    /// Compare with each name (a few names).
    Scan,
    /// A table hashed on the key's length and its first and last bytes,
    /// which tells most event keys apart in a few instructions; entries
    /// that share a slot are chained. `slots[h]` and `next[i]` hold a
    /// property index + 1 (0: none).
    Table { slots: [u8; TABLE_SLOTS], next: Vec<u8> },
    /// Many names: a hash map.
    Map(HashMap<Box<str>, usize, foldhash::fast::FixedState>),
}

impl KeyIndex {
    fn new(properties: &[(Box<str>, Node)]) -> Self {
        if properties.len() <= SCAN_PROPERTIES {
            return Self::Scan;
        }
        if properties.len() >= usize::from(u8::MAX) {
            return Self::Map(properties.iter().enumerate().map(|(i, (n, _))| (n.clone(), i)).collect());
        }
        let mut slots = [0u8; TABLE_SLOTS];
        let mut next = vec![0u8; properties.len()];
        // Inserted last to first, so that each chain runs in property order.
        for (i, (name, _)) in properties.iter().enumerate().rev() {
            let h = Self::slot(name);
            next[i] = slots[h];
            slots[h] = u8::try_from(i + 1).unwrap_or(0);
        }
        Self::Table { slots, next }
    }

    fn slot(key: &str) -> usize {
        let b = key.as_bytes();
        let (first, last) = (b.first().copied().unwrap_or(0), b.last().copied().unwrap_or(0));
        (b.len().wrapping_mul(7) ^ usize::from(first).wrapping_mul(31) ^ usize::from(last)) & (TABLE_SLOTS - 1)
    }
}

/// Keywords that assert something (in some draft `jsonschema` implements)
/// and that a program does not check: a schema with any of them gets no
/// program. Every other keyword not checked here is an annotation (`title`,
/// `description`, `examples`, `default`, `$comment`, `$id`, `definitions`, …)
/// or unknown, and `jsonschema` ignores it as the drafts say (a misspelled
/// `mexLength` limits nothing: the repository check reports it, R9).
const NOT_COVERED: &[&str] = &[
    "$ref",
    "$recursiveRef",
    "$dynamicRef",
    "$anchor",
    "$recursiveAnchor",
    "$dynamicAnchor",
    "$vocabulary",
    "$defs",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "dependencies",
    "dependentRequired",
    "dependentSchemas",
    "propertyNames",
    "patternProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "prefixItems",
    "additionalItems",
    "contains",
    "minContains",
    "maxContains",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "contentMediaType",
    "contentEncoding",
    "contentSchema",
    "items",
];

/// Keywords judged on scalars by `jsonschema`.
const SCALAR_KEYWORDS: &[&str] = &[
    "enum",
    "const",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];

/// Builds programs for one root schema: its `$schema`, and the scalar
/// validators compiled so far (one per distinct set of scalar keywords).
struct Builder<'a> {
    meta_schema: Option<&'a Value>,
    leaves: HashMap<String, Arc<jsonschema::Validator<Fast>>>,
}

impl Program {
    /// The program for `schema` (a whole schema document, as the reference
    /// validator compiled it), or `None` when a keyword it holds is not
    /// covered (the event then takes the [`super::fast`] path).
    #[must_use]
    pub fn build(schema: &Value) -> Option<Self> {
        let mut builder = Builder { meta_schema: schema.get("$schema"), leaves: HashMap::new() };
        Some(Self { root: builder.node(schema)? })
    }

    /// Checks one event's text. `Some` when the text parses exactly as the
    /// reference parser parses it, has no repeated key, and the event is
    /// valid: then with the event's `meta.stream` (whether `meta` has a
    /// `stream` member at all, and its value when that is a string). `None`
    /// for anything else, decided as soon as it is seen.
    #[must_use]
    pub fn check<'de>(&self, text: &'de str) -> Option<MetaStream<'de>> {
        let mut ctx = MetaStream::default();
        let mut de = serde_json::Deserializer::from_str(text);
        Seed { node: &self.root, ctx: &mut ctx, at: At::Root }.deserialize(&mut de).ok()?;
        de.end().ok()?;
        Some(ctx)
    }
}

/// An event's `meta.stream`, as read on the way, and what else a sender
/// asks about the event's top level and its `meta` (see
/// [`crate::client::Client::submit_text`]).
#[derive(Debug, Default)]
pub struct MetaStream<'de> {
    /// Whether the event's `meta` object has a `stream` member.
    pub present: bool,
    /// Its value, when it is a string.
    pub stream: Option<Cow<'de, str>>,
    /// Whether the event is an object.
    pub object: bool,
    /// The event's top-level keys, in order.
    pub keys: Vec<Cow<'de, str>>,
    /// Its top-level `$schema`, when it is a string.
    pub schema: Option<Cow<'de, str>>,
    /// Whether its `meta` is an object.
    pub meta_object: bool,
    /// The keys of its `meta` object, in order.
    pub meta_keys: Vec<Cow<'de, str>>,
    /// Its `meta.domain`, when it is a string.
    pub domain: Option<Cow<'de, str>>,
}

/// The top-level `$schema` of an event's text, read without parsing the rest
/// when it comes first (as clients write it). `None` when the text has no
/// top-level string `$schema` before a syntax error, or is not an object.
#[must_use]
pub fn top_level_schema(text: &str) -> Option<Cow<'_, str>> {
    // As clients write it: `{"$schema":"…"` first, the value without escapes.
    if let Some(rest) = text.strip_prefix("{\"$schema\":\"")
        && let Some(end) = rest.find(['"', '\\'])
        && rest.as_bytes()[end] == b'"'
    {
        return Some(Cow::Borrowed(&rest[..end]));
    }
    let mut found = None;
    let mut de = serde_json::Deserializer::from_str(text);
    // The visitor stops the read with an error once it has the value.
    let _ = de.deserialize_map(SchemaFinder { found: &mut found });
    found
}

struct SchemaFinder<'f, 'de> {
    found: &'f mut Option<Cow<'de, str>>,
}

impl<'de> Visitor<'de> for SchemaFinder<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key<'de>>()? {
            if key.0 == "$schema" {
                *self.found = Some(map.next_value::<Key<'de>>()?.0);
                return Err(de::Error::custom("found"));
            }
            map.next_value::<Skip>()?;
        }
        Ok(())
    }
}

impl<'a> Builder<'a> {
    fn node(&mut self, schema: &Value) -> Option<Node> {
        let map = match schema {
            Value::Bool(true) => return Some(Node::Any),
            Value::Bool(false) => return Some(Node::Never),
            Value::Object(map) => map,
            _ => return None,
        };
        let mut types: Option<(bool, bool, Types)> = None;
        let mut scalar_keywords = Map::new();
        let mut properties: Vec<(Box<str>, Node)> = Vec::new();
        let mut required: Vec<&str> = Vec::new();
        let mut additional = None;
        let mut items = None;
        let (mut min_items, mut max_items) = (None, None);
        for (keyword, value) in map {
            match keyword.as_str() {
                "type" => types = Some(parse_types(value)?),
                "properties" => {
                    for (name, sub) in value.as_object()? {
                        properties.push((name.as_str().into(), self.node(sub)?));
                    }
                }
                "required" => {
                    for name in value.as_array()? {
                        required.push(name.as_str()?);
                    }
                }
                "additionalProperties" => additional = Some(self.node(value)?),
                "items" if value.is_object() || value.is_boolean() => items = Some(self.node(value)?),
                "minItems" => min_items = Some(value.as_u64()?),
                "maxItems" => max_items = Some(value.as_u64()?),
                k if SCALAR_KEYWORDS.contains(&k) => {
                    scalar_keywords.insert(keyword.clone(), value.clone());
                }
                k if NOT_COVERED.contains(&k) => return None,
                _ => {}
            }
        }
        let (objects, arrays, scalar_types) = types.unwrap_or((true, true, Types::all()));
        if (scalar_keywords.contains_key("enum") || scalar_keywords.contains_key("const")) && (objects || arrays) {
            // An `enum` or `const` that may hold an object or array: not a scalar check.
            return None;
        }
        let scalar = if let Some(native) = native_string(map.get("type"), &scalar_keywords) {
            native
        } else if !scalar_keywords.is_empty() {
            if let Some(t) = map.get("type") {
                scalar_keywords.insert("type".into(), t.clone());
            }
            Scalar::Validate(self.leaf(scalar_keywords)?)
        } else if types.is_some() {
            Scalar::Types(scalar_types)
        } else {
            Scalar::Any
        };
        let object = if properties.is_empty() && required.is_empty() && additional.is_none() {
            None
        } else {
            let mut req = Vec::with_capacity(required.len());
            for name in required {
                let i = match properties.iter().position(|(n, _)| &**n == name) {
                    Some(i) => i,
                    None => {
                        properties.push((name.into(), Node::Any));
                        properties.len() - 1
                    }
                };
                if !req.contains(&i) {
                    req.push(i);
                }
            }
            let index = KeyIndex::new(&properties);
            Some(ObjectRules { properties, index, required: req, additional: additional.unwrap_or(Node::Any) })
        };
        let array = if items.is_none() && min_items.is_none() && max_items.is_none() {
            None
        } else {
            Some(ArrayRules { items: items.unwrap_or(Node::Any), min: min_items.unwrap_or(0), max: max_items })
        };
        if matches!(scalar, Scalar::Any) && objects && arrays && object.is_none() && array.is_none() {
            return Some(Node::Any);
        }
        Some(Node::Check(Box::new(Check { objects, arrays, scalar, object, array })))
    }

    /// The validator of one set of scalar keywords, compiled once per run of
    /// the builder with the root's `$schema` (or draft 7, as the reference
    /// validator defaults to) and formats asserted.
    fn leaf(&mut self, mut keywords: Map<String, Value>) -> Option<Arc<jsonschema::Validator<Fast>>> {
        if let Some(meta) = self.meta_schema {
            keywords.insert("$schema".into(), meta.clone());
        }
        let schema = Value::Object(keywords);
        let key = schema.to_string();
        if let Some(hit) = self.leaves.get(&key) {
            return Some(Arc::clone(hit));
        }
        let mut options = jsonschema::options_for::<Fast>().should_validate_formats(true);
        if self.meta_schema.is_none() {
            options = options.with_draft(jsonschema::Draft::Draft7);
        }
        let validator = Arc::new(options.build(&schema).ok()?);
        self.leaves.insert(key, Arc::clone(&validator));
        Some(validator)
    }
}

/// The [`Scalar::String`] check for `type: "string"` and scalar keywords that
/// are only `minLength`, `maxLength` (non-negative integers) and an `enum` of
/// strings; `None` for anything else.
fn native_string(types: Option<&Value>, keywords: &Map<String, Value>) -> Option<Scalar> {
    if types? != "string" || keywords.is_empty() {
        return None;
    }
    let (mut min, mut max, mut allowed) = (0, None, None);
    for (keyword, value) in keywords {
        match keyword.as_str() {
            "minLength" => min = value.as_u64()?,
            "maxLength" => max = Some(value.as_u64()?),
            "enum" => {
                let mut names = Vec::new();
                for v in value.as_array()? {
                    names.push(v.as_str()?.into());
                }
                allowed = Some(names);
            }
            _ => return None,
        }
    }
    Some(Scalar::String { min, max, allowed })
}

/// `type` as (objects allowed, arrays allowed, scalar types allowed); `None`
/// for a value that is not a type name or a list of them.
fn parse_types(value: &Value) -> Option<(bool, bool, Types)> {
    let mut out = (false, false, Types::default());
    let mut add = |name: &str| -> Option<()> {
        match name {
            "object" => out.0 = true,
            "array" => out.1 = true,
            "null" => out.2.null = true,
            "boolean" => out.2.boolean = true,
            "number" => out.2.number = true,
            "integer" => out.2.integer = true,
            "string" => out.2.string = true,
            _ => return None,
        }
        Some(())
    };
    match value {
        Value::String(s) => add(s)?,
        Value::Array(names) if !names.is_empty() => {
            for name in names {
                add(name.as_str()?)?;
            }
        }
        _ => return None,
    }
    Some(out)
}

impl Types {
    fn all() -> Self {
        Self { null: true, boolean: true, number: true, integer: true, string: true }
    }

    fn number(self, n: &Number) -> bool {
        self.number || (self.integer && (n.is_u64() || n.is_i64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)))
    }
}

/// A scalar as the native checks see it.
#[derive(Clone, Copy)]
enum Kind<'a> {
    Null,
    Bool,
    Number(&'a Number),
    String(&'a str),
}

/// Where a value is, for reading `meta.stream` on the way.
#[derive(Clone, Copy, PartialEq)]
enum At {
    /// The event itself.
    Root,
    /// The event's `meta`.
    Meta,
    /// `meta.stream`.
    Stream,
    /// The top-level `$schema`.
    Schema,
    /// `meta.domain`.
    Domain,
    /// Anywhere else.
    Elsewhere,
}

/// The error that stops a read: the event is invalid (or not covered); the
/// reference path says why.
fn stop<E: de::Error>() -> E {
    E::custom("not valid on the streaming path")
}

struct Seed<'p, 'c, 'de> {
    node: &'p Node,
    ctx: &'c mut MetaStream<'de>,
    at: At,
}

impl<'de> DeserializeSeed<'de> for Seed<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if matches!(self.node, Node::Never) {
            return Err(stop());
        }
        d.deserialize_any(self)
    }
}

impl<'de> Seed<'_, '_, 'de> {
    /// Whether a scalar is valid here; `node` builds its [`FastNode`], only
    /// for the checks `jsonschema` makes.
    fn scalar<'n>(&self, kind: Kind<'_>, node: impl FnOnce() -> FastNode<'n>) -> bool {
        match self.node {
            Node::Any => true,
            Node::Never => false,
            Node::Check(check) => match &check.scalar {
                Scalar::Any => true,
                Scalar::Validate(v) => v.is_valid(&node()),
                Scalar::Types(t) => match kind {
                    Kind::Null => t.null,
                    Kind::Bool => t.boolean,
                    Kind::Number(n) => t.number(n),
                    Kind::String(_) => t.string,
                },
                Scalar::String { min, max, allowed } => {
                    let Kind::String(s) = kind else { return false };
                    let within = if *min == 0 && max.is_none() {
                        true
                    } else {
                        let chars = s.chars().count() as u64;
                        chars >= *min && max.is_none_or(|m| chars <= m)
                    };
                    within && allowed.as_ref().is_none_or(|names| names.iter().any(|n| **n == *s))
                }
            },
        }
    }

    fn scalar_result<'n, E: de::Error>(&self, kind: Kind<'_>, node: impl FnOnce() -> FastNode<'n>) -> Result<(), E> {
        if self.scalar(kind, node) { Ok(()) } else { Err(stop()) }
    }

    fn string<E: de::Error>(self, s: Cow<'de, str>) -> Result<(), E> {
        self.scalar_result(Kind::String(&s), || FastNode::String(Cow::Borrowed(&s)))?;
        match self.at {
            At::Stream => self.ctx.stream = Some(s),
            At::Schema => self.ctx.schema = Some(s),
            At::Domain => self.ctx.domain = Some(s),
            At::Root | At::Meta | At::Elsewhere => {}
        }
        Ok(())
    }

    fn number<E: de::Error>(self, n: Number) -> Result<(), E> {
        self.scalar_result(Kind::Number(&n), || FastNode::Number(n.clone()))
    }
}

impl<'de> Visitor<'de> for Seed<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.scalar_result(Kind::Bool, || FastNode::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.number(v.into())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.number(v.into())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        // As `serde_json::Value` reads it (a non-finite number cannot be parsed).
        match Number::from_f64(v) {
            Some(n) => self.number(n),
            None => self.visit_unit(),
        }
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        self.string(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.string(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<(), E> {
        self.string(Cow::Owned(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.scalar_result(Kind::Null, || FastNode::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let (items, min, max) = match self.node {
            Node::Check(check) if !check.arrays => return Err(stop()),
            Node::Check(check) => match &check.array {
                Some(rules) => (&rules.items, rules.min, rules.max),
                None => (&Node::Any, 0, None),
            },
            _ => (&Node::Any, 0, None),
        };
        let mut count: u64 = 0;
        while seq.next_element_seed(Seed { node: items, ctx: &mut *self.ctx, at: At::Elsewhere })?.is_some() {
            count += 1;
            if max.is_some_and(|m| count > m) {
                return Err(stop());
            }
        }
        if count < min { Err(stop()) } else { Ok(()) }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let rules = match self.node {
            Node::Check(check) if !check.objects => return Err(stop()),
            Node::Check(check) => check.object.as_ref(),
            _ => None,
        };
        // Keys seen: declared ones by index, the others by name.
        let declared = rules.map_or(0, |r| r.properties.len());
        let mut seen_small: u64 = 0;
        let mut seen_large: Vec<bool> = if declared > 64 { vec![false; declared] } else { Vec::new() };
        let mut others: Vec<Cow<'de, str>> = Vec::new();
        match self.at {
            At::Root => self.ctx.object = true,
            At::Meta => self.ctx.meta_object = true,
            _ => {}
        }
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let index = rules.and_then(|r| r.find(&key));
            let node = match (rules, index) {
                (Some(r), Some(i)) => {
                    let repeated = if declared > 64 {
                        std::mem::replace(&mut seen_large[i], true)
                    } else {
                        let bit = 1u64 << i;
                        let was = seen_small & bit != 0;
                        seen_small |= bit;
                        was
                    };
                    if repeated {
                        return Err(stop());
                    }
                    &r.properties[i].1
                }
                (Some(r), None) => {
                    if others.contains(&key) {
                        return Err(stop());
                    }
                    others.push(key.clone());
                    &r.additional
                }
                (None, _) => {
                    if others.contains(&key) {
                        return Err(stop());
                    }
                    others.push(key.clone());
                    &Node::Any
                }
            };
            match self.at {
                At::Root => self.ctx.keys.push(key.clone()),
                At::Meta => self.ctx.meta_keys.push(key.clone()),
                _ => {}
            }
            let at = match (self.at, key.as_ref()) {
                (At::Root, "meta") => At::Meta,
                (At::Root, "$schema") => At::Schema,
                (At::Meta, "stream") => {
                    self.ctx.present = true;
                    At::Stream
                }
                (At::Meta, "domain") => At::Domain,
                _ => At::Elsewhere,
            };
            map.next_value_seed(Seed { node, ctx: &mut *self.ctx, at })?;
        }
        if let Some(r) = rules {
            let missing =
                r.required.iter().any(|&i| if declared > 64 { !seen_large[i] } else { seen_small & (1u64 << i) == 0 });
            if missing {
                return Err(stop());
            }
        }
        Ok(())
    }
}

impl ObjectRules {
    fn find(&self, key: &str) -> Option<usize> {
        match &self.index {
            KeyIndex::Scan => self.properties.iter().position(|(n, _)| **n == *key),
            KeyIndex::Table { slots, next } => {
                let mut at = slots[KeyIndex::slot(key)];
                while at != 0 {
                    let i = usize::from(at - 1);
                    if *self.properties[i].0 == *key {
                        return Some(i);
                    }
                    at = next[i];
                }
                None
            }
            KeyIndex::Map(map) => map.get(key).copied(),
        }
    }
}

/// An object key or string, borrowed when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// Any value, parsed in full (numbers too: `deserialize_ignored_any` would
/// skip a number's digits without the range check the reference parser makes)
/// and dropped.
struct Skip;

impl<'de> de::Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut ctx = MetaStream::default();
        Seed { node: &Node::Any, ctx: &mut ctx, at: At::Elsewhere }.deserialize(d)?;
        Ok(Skip)
    }
}
