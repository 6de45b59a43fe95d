//! A light event tree for the validator's fast path.
//!
//! An NDJSON line is parsed by `serde_json`'s own deserializer (so numbers,
//! escapes, nesting limits and trailing characters follow it exactly) into
//! [`FastNode`]: strings without escapes borrowed from the line, objects as
//! plain vectors of members (no hashing), duplicate keys refused as the strict
//! parser refuses them. The `jsonschema` validator reads the tree through its
//! [`Json`] trait. Anything the fast path does not handle (a parse error, an
//! invalid event) goes through the reference path, so output never changes.

use std::borrow::Cow;
use std::fmt;

use jsonschema::json::{Array, Json, Node, NodeIdentity, Object, cmp};
use jsonschema::types::JsonType;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

/// The representation marker for [`jsonschema::Validator`].
pub struct Fast;

/// One JSON value of an event, borrowing from the event's text.
#[derive(Debug, Clone, PartialEq)]
pub enum FastNode<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as `serde_json` reads it.
    Number(Number),
    /// A string; borrowed when it has no escapes.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<FastNode<'a>>),
    /// An object's members in order; keys are unique.
    Object(Vec<(Cow<'a, str>, FastNode<'a>)>),
}

impl<'a> FastNode<'a> {
    /// Parses one event like `serde_json::from_str`, but refusing duplicate
    /// keys; `None` for anything refused (the reference path then reports it).
    #[must_use]
    pub fn parse(text: &'a str) -> Option<Self> {
        let mut de = serde_json::Deserializer::from_str(text);
        let node = FastNode::deserialize(&mut de).ok()?;
        de.end().ok()?;
        Some(node)
    }

    /// The member `key` of an object.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&FastNode<'a>> {
        match self {
            FastNode::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            FastNode::String(s) => Some(s),
            _ => None,
        }
    }

    /// The same value as a `serde_json::Value`.
    #[must_use]
    pub fn to_value(&self) -> Value {
        match self {
            FastNode::Null => Value::Null,
            FastNode::Bool(b) => Value::Bool(*b),
            FastNode::Number(n) => Value::Number(n.clone()),
            FastNode::String(s) => Value::String(s.clone().into_owned()),
            FastNode::Array(items) => Value::Array(items.iter().map(FastNode::to_value).collect()),
            FastNode::Object(members) => {
                Value::Object(members.iter().map(|(k, v)| (k.clone().into_owned(), v.to_value())).collect())
            }
        }
    }
}

struct FastVisitor;

/// Objects up to this size are checked for duplicate keys pair by pair.
const LINEAR_DUPLICATE_CHECK: usize = 32;

impl<'de> Visitor<'de> for FastVisitor {
    type Value = FastNode<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(FastNode::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(FastNode::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(FastNode::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        // As `serde_json::Value` does.
        Ok(Number::from_f64(v).map_or(FastNode::Null, FastNode::Number))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(FastNode::String(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(FastNode::String(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(FastNode::String(Cow::Owned(v)))
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(FastNode::Null)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(FastNode::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        FastNode::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(FastNode::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members: Vec<(Cow<'de, str>, FastNode<'de>)> = Vec::with_capacity(8);
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let key = key.0;
            if members.len() < LINEAR_DUPLICATE_CHECK && members.iter().any(|(k, _)| *k == key) {
                return Err(de::Error::custom("duplicate key"));
            }
            let value = map.next_value()?;
            members.push((key, value));
        }
        if members.len() > LINEAR_DUPLICATE_CHECK {
            let mut keys: Vec<&str> = members.iter().map(|(k, _)| k.as_ref()).collect();
            keys.sort_unstable();
            if keys.windows(2).any(|w| w[0] == w[1]) {
                return Err(de::Error::custom("duplicate key"));
            }
        }
        Ok(FastNode::Object(members))
    }
}

/// An object key, borrowed when it has no escapes.
struct Key<'a>(Cow<'a, str>);

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
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

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for FastNode<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FastVisitor)
    }
}

impl Json for Fast {
    type Node<'a> = &'a FastNode<'a>;
    type PreparedKey = String;
    type StringBuffer = ();

    const ACYCLIC: bool = true;

    fn prepare_key(key: &str) -> String {
        key.to_owned()
    }

    fn with_string_node<T>((): &mut (), string: &str, f: impl FnOnce(Self::Node<'_>) -> T) -> T {
        let node = FastNode::String(Cow::Borrowed(string));
        f(&node)
    }
}

impl<'a> Node<'a, Fast> for &'a FastNode<'a> {
    type Object = &'a [(Cow<'a, str>, FastNode<'a>)];
    type Array = &'a [FastNode<'a>];
    type Number = &'a Number;

    fn as_object(&self) -> Option<Self::Object> {
        match self {
            FastNode::Object(members) => Some(members),
            _ => None,
        }
    }
    fn as_array(&self) -> Option<Self::Array> {
        match self {
            FastNode::Array(items) => Some(items),
            _ => None,
        }
    }
    fn as_string(&self) -> Option<Cow<'a, str>> {
        match self {
            FastNode::String(s) => Some(Cow::Borrowed(s.as_ref())),
            _ => None,
        }
    }
    fn as_number(&self) -> Option<&'a Number> {
        match self {
            FastNode::Number(n) => Some(n),
            _ => None,
        }
    }
    fn as_boolean(&self) -> Option<bool> {
        match self {
            FastNode::Bool(b) => Some(*b),
            _ => None,
        }
    }
    fn is_null(&self) -> bool {
        matches!(self, FastNode::Null)
    }
    fn json_type(&self) -> JsonType {
        match self {
            FastNode::Null => JsonType::Null,
            FastNode::Bool(_) => JsonType::Boolean,
            FastNode::Number(_) => JsonType::Number,
            FastNode::String(_) => JsonType::String,
            FastNode::Array(_) => JsonType::Array,
            FastNode::Object(_) => JsonType::Object,
        }
    }
    fn equals_value(&self, expected: &Value) -> bool {
        match (self, expected) {
            (FastNode::String(a), Value::String(b)) => a == b,
            (FastNode::String(_), _) | (_, Value::String(_)) => false,
            (FastNode::Null, e) => e.is_null(),
            (FastNode::Bool(a), e) => e.as_bool() == Some(*a),
            _ => cmp::equal(&FastNode::to_value(self), expected),
        }
    }
    fn to_value(&self) -> Cow<'a, Value> {
        Cow::Owned(FastNode::to_value(self))
    }
    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::new(std::ptr::from_ref::<FastNode<'a>>(*self) as usize))
    }
}

/// The members of an object, names borrowed.
pub struct Members<'a>(std::slice::Iter<'a, (Cow<'a, str>, FastNode<'a>)>);

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, &'a FastNode<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k.as_ref(), v))
    }
}

impl<'a> Object<'a, Fast> for &'a [(Cow<'a, str>, FastNode<'a>)] {
    type Node = &'a FastNode<'a>;
    type MemberName = &'a str;
    type MembersIter = Members<'a>;

    fn len(&self) -> usize {
        <[_]>::len(self)
    }
    fn get(&self, key: &String) -> Option<&'a FastNode<'a>> {
        self.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    fn members(&self) -> Members<'a> {
        Members(self.iter())
    }
}

impl<'a> Array<'a, Fast> for &'a [FastNode<'a>] {
    type Node = &'a FastNode<'a>;
    type ElementsIter = std::slice::Iter<'a, FastNode<'a>>;

    fn len(&self) -> usize {
        <[_]>::len(self)
    }
    fn elements(&self) -> Self::ElementsIter {
        self.iter()
    }
}
