//! A stream config document parsed straight into [`StreamConfigs`], one
//! stream at a time: the same shapes and errors as parsing it into a
//! [`Value`] and calling [`StreamConfigs::from_value`], without holding the
//! whole document as a `Value` beside the entries built from it (a 100,000
//! stream config then costs one copy of its settings, not two).

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::{StreamConfig, StreamConfigs, json_type};

/// What a document turned out to be: entries, or the reason it is not a
/// stream config (a [`super::StreamConfigError::Shape`] reason).
pub(super) type Parsed = Result<StreamConfigs, String>;

/// The top level: an API answer `{"streams": {…}, …}`, an `{"error": …}`
/// answer, a bare map of streams, or `[]`.
pub(super) struct Document;

impl<'de> DeserializeSeed<'de> for Document {
    type Value = Parsed;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Parsed, D::Error> {
        d.deserialize_any(self)
    }
}

/// A value of the wrong shape: its type name, for the Shape reason.
fn wrong<E>(what: &'static str) -> Result<Result<Entries, &'static str>, E> {
    Ok(Err(what))
}

impl<'de> Visitor<'de> for Document {
    type Value = Parsed;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a stream config object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parsed, A::Error> {
        // Until the document is known to be an API answer, every member may
        // be a stream of a bare map, so members other than `streams` are kept.
        let mut streams: Option<Result<Entries, &'static str>> = None;
        let mut others: Vec<(String, Value)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "streams" {
                streams = Some(map.next_value_seed(Members)?);
            } else {
                let value: Value = map.next_value()?;
                others.push((key, value));
            }
        }
        match streams {
            Some(Ok(entries)) => Ok(entries.finish(true)),
            Some(Err(found)) => Ok(Err(format!("`streams` must be an object, found {found}"))),
            None => {
                if let Some((_, e)) = others.iter().rev().find(|(k, _)| k == "error") {
                    return Ok(Err(format!(
                        "the API answered with an error: {} {}",
                        e.get("code").and_then(Value::as_str).unwrap_or("?"),
                        e.get("info").and_then(Value::as_str).unwrap_or("")
                    )));
                }
                let mut entries = Entries::default();
                for (key, settings) in others {
                    entries.add(key, settings);
                }
                Ok(entries.finish(false))
            }
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Parsed, A::Error> {
        let mut empty = true;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            empty = false;
        }
        Ok(if empty { Entries::default().finish(false) } else { shape_top("a list") })
    }

    fn visit_bool<E>(self, _: bool) -> Result<Parsed, E> {
        Ok(shape_top("a boolean"))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Parsed, E> {
        Ok(shape_top("a number"))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Parsed, E> {
        Ok(shape_top("a number"))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Parsed, E> {
        Ok(shape_top("a number"))
    }
    fn visit_str<E>(self, _: &str) -> Result<Parsed, E> {
        Ok(shape_top("a string"))
    }
    fn visit_unit<E>(self) -> Result<Parsed, E> {
        Ok(shape_top("null"))
    }
}

fn shape_top(found: &str) -> Parsed {
    Err(format!("expected an object of streams, found {found}"))
}

/// Entries built so far, and the first stream whose settings are not an
/// object (reported once the whole document has parsed, so that a syntax
/// error later in it still wins, as it does when parsing into a `Value`).
#[derive(Default)]
struct Entries {
    configs: StreamConfigs,
    bad: Option<String>,
}

impl Entries {
    fn add(&mut self, key: String, settings: Value) {
        let settings = match settings {
            Value::Object(m) => m,
            Value::Array(a) if a.is_empty() => Map::new(),
            other => {
                if self.bad.is_none() {
                    self.bad =
                        Some(format!("the settings of stream `{key}` must be an object, found {}", json_type(&other)));
                }
                return;
            }
        };
        if self.bad.is_none() {
            self.configs.insert(StreamConfig::new(key, settings));
        }
    }

    fn finish(mut self, streams_member: bool) -> Parsed {
        match self.bad {
            Some(reason) => Err(reason),
            None => {
                self.configs.streams_member = streams_member;
                Ok(self.configs)
            }
        }
    }
}

/// The `streams` member: a map of stream names to settings (`[]` for an
/// empty one), or the type name of what it is instead.
struct Members;

impl<'de> DeserializeSeed<'de> for Members {
    type Value = Result<Entries, &'static str>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Members {
    type Value = Result<Entries, &'static str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of streams")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Entries::default();
        while let Some(key) = map.next_key::<String>()? {
            let settings: Value = map.next_value()?;
            entries.add(key, settings);
        }
        Ok(Ok(entries))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut empty = true;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            empty = false;
        }
        if empty { Ok(Ok(Entries::default())) } else { wrong("a list") }
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        wrong("a boolean")
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        wrong("a number")
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        wrong("a number")
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        wrong("a number")
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        wrong("a string")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        wrong("null")
    }
}

/// `map` rebuilt with no spare capacity, its lists and maps too: a parsed
/// map or list grows by doubling (a two-item list holds room for four), and
/// stream config is kept for the whole run.
pub(super) fn compact_map(map: Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::with_capacity(map.len());
    for (k, v) in map {
        out.insert(k, compact(v));
    }
    out
}

fn compact(value: Value) -> Value {
    match value {
        Value::Object(m) => Value::Object(compact_map(m)),
        Value::Array(a) => {
            let mut a: Vec<Value> = a.into_iter().map(compact).collect();
            a.shrink_to_fit();
            Value::Array(a)
        }
        Value::String(mut s) => {
            s.shrink_to_fit();
            Value::String(s)
        }
        other => other,
    }
}

/// A reader that skips a leading UTF-8 byte order mark and notes whether
/// anything but JSON whitespace came through (so that an empty document is
/// told apart from a truncated one).
pub(super) struct Watched<R> {
    inner: R,
    started: bool,
    content: bool,
}

impl<R: std::io::BufRead> Watched<R> {
    pub(super) fn new(inner: R) -> Self {
        Self { inner, started: false, content: false }
    }

    /// Whether a byte other than space, tab, CR or LF was read.
    pub(super) fn saw_content(&self) -> bool {
        self.content
    }
}

impl<R: std::io::BufRead> std::io::Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.started {
            self.started = true;
            let head = self.inner.fill_buf()?;
            if head.starts_with(b"\xEF\xBB\xBF") {
                self.inner.consume(3);
            }
        }
        let n = self.inner.read(buf)?;
        if !self.content {
            self.content = buf[..n].iter().any(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
        }
        Ok(n)
    }
}
