//! Schema `default`s written into events, as EventGate's validator does.
//!
//! EventGate validates with ajv 6 and its `useDefaults` option, so the
//! defaults a schema declares end up in the stored event (schema-repos.md §5;
//! ajv 6 README, "Assigning defaults"). The rules reproduced here:
//! - a `default` applies to a property of `properties` that is absent from
//!   the event object (`undefined`); a property that is present, `null`
//!   included, keeps its value;
//! - a `default` of an `items` *array* (tuple form) applies to a missing item
//!   at that index (ajv assigns `data[i]`; the holes before it serialize as
//!   `null`, as `JSON.stringify` writes them); a single `items` schema has no
//!   index to fill;
//! - defaults apply only where the event has an object (or array) to hold
//!   them: nested defaults never create a missing parent object;
//! - subschemas reached through `$ref` and `allOf` apply theirs, as ajv
//!   compiles them over the same data; a property's `default` is read on its
//!   subschema as written (`properties.x.default`), not through a `$ref` there
//!   (ajv's `defaults.def` reads `$sch.default`); `anyOf`, `oneOf` and `not`
//!   are ignored (ajv 6 README); `if`/`then`/`else`, `patternProperties` and
//!   `additionalProperties` are not walked (ajv applies `then`/`else` defaults
//!   when that branch runs; no Wikimedia schema has defaults there);
//! - ajv assigns a schema object's `properties` defaults just before it checks
//!   that object's `required`, so a required property whose default sits in
//!   the same `properties` is never missing. [`Defaults::apply`] runs before
//!   validation and assigns every default at once, so it also satisfies a
//!   `required` whose default only an `allOf` branch declares, which ajv
//!   (checking the root's `required` before its `allOf`) rejects; materialized
//!   Wikimedia schemas have their `allOf`s merged, so this does not arise there.
//! - a walk follows each `$ref` target at most once along a path (recursive
//!   schemas end) and visits at most 100,000 schema nodes.
//!
//! The walk is done once per compiled schema ([`Defaults::from_schema`]) into a
//! small tree holding only the paths that lead to a default, so that applying
//! the defaults of a schema without any costs nothing.

use std::sync::Arc;

use serde_json::Value;

use crate::schema::SchemaUri;
use crate::schema::repository::SchemaResolver;

/// The most `$ref`s followed along one path of the schema (a guard against cycles).
const MAX_REF_DEPTH: usize = 32;

/// The defaults of one schema, as a tree of the paths that lead to one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Defaults {
    /// Per property name, in schema order: its default and the defaults below it.
    properties: Vec<(String, Option<Value>, Defaults)>,
    /// Per tuple index: its default and the defaults below it.
    items: Vec<(Option<Value>, Defaults)>,
}

impl Defaults {
    /// Collects the defaults of `schema` (whose document URI is `base`),
    /// following `$ref`s through `resolver` (and `#/…` pointers within `root`).
    /// A `$ref` that cannot be resolved contributes nothing: the validator
    /// reports it when it compiles the schema.
    #[must_use]
    pub fn from_schema(resolver: &SchemaResolver, base: &SchemaUri, root: &Arc<Value>) -> Self {
        let mut out = Self::default();
        Walk::new(resolver)
            .collect(&At { base: base.clone(), doc: Arc::clone(root), pointer: String::new() }, &mut out);
        out
    }

    /// Whether the schema declares no default anywhere an event can reach.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.properties.is_empty() && self.items.is_empty()
    }

    /// The JSON pointers of every default, in schema order (`/a`, `/meta/x`, `/t/0`).
    #[must_use]
    pub fn pointers(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.pointers_at("", &mut out);
        out
    }

    fn pointers_at(&self, pointer: &str, out: &mut Vec<String>) {
        for (name, default, below) in &self.properties {
            let here = format!("{pointer}/{}", name.replace('~', "~0").replace('/', "~1"));
            if default.is_some() {
                out.push(here.clone());
            }
            below.pointers_at(&here, out);
        }
        for (i, (default, below)) in self.items.iter().enumerate() {
            let here = format!("{pointer}/{i}");
            if default.is_some() {
                out.push(here.clone());
            }
            below.pointers_at(&here, out);
        }
    }

    /// Writes the defaults into `event` where it lacks them (see the module
    /// documentation). Returns the JSON pointers of the values written, in order.
    pub fn apply(&self, event: &mut Value) -> Vec<String> {
        let mut written = Vec::new();
        self.apply_at(event, "", &mut written);
        written
    }

    fn apply_at(&self, value: &mut Value, pointer: &str, written: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (name, default, below) in &self.properties {
                    let here = format!("{pointer}/{}", name.replace('~', "~0").replace('/', "~1"));
                    if let Some(d) = default
                        && !map.contains_key(name)
                    {
                        map.insert(name.clone(), d.clone());
                        written.push(here.clone());
                    }
                    if !below.is_empty()
                        && let Some(child) = map.get_mut(name)
                    {
                        below.apply_at(child, &here, written);
                    }
                }
            }
            Value::Array(items) => {
                for (i, (default, below)) in self.items.iter().enumerate() {
                    if let Some(d) = default
                        && i >= items.len()
                    {
                        items.resize(i, Value::Null);
                        items.push(d.clone());
                        written.push(format!("{pointer}/{i}"));
                    }
                    if !below.is_empty()
                        && let Some(child) = items.get_mut(i)
                    {
                        below.apply_at(child, &format!("{pointer}/{i}"), written);
                    }
                }
            }
            _ => {}
        }
    }

    fn property(&mut self, name: &str) -> &mut (String, Option<Value>, Defaults) {
        let at = match self.properties.iter().position(|(n, _, _)| n == name) {
            Some(i) => i,
            None => {
                self.properties.push((name.to_owned(), None, Self::default()));
                self.properties.len() - 1
            }
        };
        &mut self.properties[at]
    }
}

/// The most schema nodes one walk visits: a guard against schemas whose `$ref`s
/// expand exponentially (each property referencing the same definition twice).
const MAX_NODES: usize = 100_000;

/// A walk over a schema and what its `$ref`s reach, with a guard against cycles
/// (a `$ref` already being walked is not entered again) and a node budget.
struct Walk<'r> {
    resolver: &'r SchemaResolver,
    /// The `$ref` targets being walked (`document#pointer`).
    stack: Vec<String>,
    nodes: usize,
}

/// A place in a schema: its document's base URI, the document, and a JSON pointer in it.
#[derive(Clone)]
struct At {
    base: SchemaUri,
    doc: Arc<Value>,
    pointer: String,
}

impl At {
    fn value(&self) -> Option<&Value> {
        if self.pointer.is_empty() { Some(&self.doc) } else { self.doc.pointer(&self.pointer) }
    }

    fn child(&self, segments: &[&str]) -> Self {
        let mut pointer = self.pointer.clone();
        for s in segments {
            pointer.push('/');
            pointer.push_str(&s.replace('~', "~0").replace('/', "~1"));
        }
        Self { base: self.base.clone(), doc: Arc::clone(&self.doc), pointer }
    }

    fn key(&self) -> String {
        format!("{}#{}", self.base, self.pointer)
    }
}

impl Walk<'_> {
    fn new(resolver: &SchemaResolver) -> Walk<'_> {
        Walk { resolver, stack: Vec::new(), nodes: 0 }
    }

    /// Whether the budget allows one more node.
    fn visit(&mut self) -> bool {
        self.nodes += 1;
        self.nodes <= MAX_NODES
    }

    /// The place a `$ref` at `from` names.
    fn locate(&self, from: &At, reference: &str) -> Option<At> {
        if let Some(pointer) = reference.strip_prefix('#') {
            let at = At { base: from.base.clone(), doc: Arc::clone(&from.doc), pointer: pointer.to_owned() };
            return at.value().is_some().then_some(at);
        }
        let resolved = self.resolver.resolve_ref(&from.base, reference).ok()?;
        let document = &resolved.document;
        let base = document.id().and_then(|id| SchemaUri::parse(id).ok()).unwrap_or_else(|| resolved.target.document());
        let at = At {
            base,
            doc: Arc::clone(&document.value),
            pointer: resolved.target.fragment().unwrap_or_default().to_owned(),
        };
        at.value().is_some().then_some(at)
    }

    /// Runs `f` on the target of a `$ref`, unless that target is already being walked.
    fn through_ref<T>(&mut self, from: &At, reference: &str, f: impl FnOnce(&mut Self, &At) -> T) -> Option<T> {
        if self.stack.len() >= MAX_REF_DEPTH {
            return None;
        }
        let target = self.locate(from, reference)?;
        let key = target.key();
        if self.stack.contains(&key) {
            return None;
        }
        self.stack.push(key);
        let out = f(self, &target);
        self.stack.pop();
        Some(out)
    }

    /// Adds what the schema at `at` contributes to `out`.
    fn collect(&mut self, at: &At, out: &mut Defaults) {
        if !self.visit() {
            return;
        }
        let Some(map) = at.value().and_then(Value::as_object) else { return };
        if let Some(Value::String(reference)) = map.get("$ref") {
            let reference = reference.clone();
            self.through_ref(at, &reference, |w, target| w.collect(target, out));
            // Draft-07: siblings of `$ref` are ignored.
            return;
        }
        let names: Vec<String> =
            map.get("properties").and_then(Value::as_object).map(|p| p.keys().cloned().collect()).unwrap_or_default();
        for name in names {
            let sub = at.child(&["properties", &name]);
            let mut below = Defaults::default();
            self.collect(&sub, &mut below);
            // ajv reads `default` on the subschema as written, not through its `$ref`.
            let default = sub.value().and_then(|v| v.get("default")).cloned();
            if default.is_some() || !below.is_empty() {
                let slot = out.property(&name);
                if slot.1.is_none() {
                    slot.1 = default;
                }
                merge(&mut slot.2, below);
            }
        }
        let tuple = map.get("items").and_then(Value::as_array).map_or(0, Vec::len);
        for i in 0..tuple {
            let sub = at.child(&["items", &i.to_string()]);
            let mut below = Defaults::default();
            self.collect(&sub, &mut below);
            let default = sub.value().and_then(|v| v.get("default")).cloned();
            if default.is_some() || !below.is_empty() {
                while out.items.len() <= i {
                    out.items.push((None, Defaults::default()));
                }
                if out.items[i].0.is_none() {
                    out.items[i].0 = default;
                }
                merge(&mut out.items[i].1, below);
            }
        }
        let all = map.get("allOf").and_then(Value::as_array).map_or(0, Vec::len);
        for i in 0..all {
            self.collect(&at.child(&["allOf", &i.to_string()]), out);
        }
    }

    /// The subschemas the schema at `at` gives property `name`, through `allOf` and `$ref`s,
    /// each with its own `$ref` followed.
    fn property_schemas(&mut self, at: &At, name: &str) -> Vec<At> {
        let mut out = Vec::new();
        if !self.visit() {
            return out;
        }
        let Some(map) = at.value().and_then(Value::as_object) else { return out };
        if let Some(Value::String(reference)) = map.get("$ref") {
            let reference = reference.clone();
            if let Some(found) = self.through_ref(at, &reference, |w, target| w.property_schemas(target, name)) {
                out.extend(found);
            }
            return out;
        }
        if map.get("properties").and_then(|p| p.get(name)).is_some() {
            out.push(self.resolved(at.child(&["properties", name])));
        }
        let all = map.get("allOf").and_then(Value::as_array).map_or(0, Vec::len);
        for i in 0..all {
            out.extend(self.property_schemas(&at.child(&["allOf", &i.to_string()]), name));
        }
        out
    }

    /// A subschema with its `$ref`s followed to the schema they name.
    fn resolved(&mut self, at: At) -> At {
        let mut at = at;
        for _ in 0..MAX_REF_DEPTH {
            let Some(Value::String(reference)) = at.value().and_then(|v| v.get("$ref")).cloned() else { break };
            match self.locate(&at, &reference) {
                Some(next) => at = next,
                None => break,
            }
        }
        at
    }
}

/// How a schema declares a dotted field path (`http.request_headers.user-agent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declared {
    /// The field itself is declared in `properties` (through `allOf` and `$ref`s).
    Field,
    /// Only its parent is declared, as `type: object` (a map such as `http.request_headers`).
    Parent,
    /// Neither.
    No,
}

/// How `root` (a schema document at `base`) declares the dotted `path`, the
/// test eventgate-wikimedia makes before it fills a field (`_.has(schema,
/// 'properties.meta.properties.dt')`, or the parent's `type` being `object`
/// for header enrichment), here also through `allOf` and `$ref`s so that an
/// unmaterialized `current.yaml` answers as its materialized version would.
#[must_use]
pub fn declares(resolver: &SchemaResolver, base: &SchemaUri, root: &Arc<Value>, path: &str) -> Declared {
    let parts: Vec<&str> = path.split('.').collect();
    let Some((last, parents)) = parts.split_last() else { return Declared::No };
    let mut walk = Walk::new(resolver);
    let mut level = vec![At { base: base.clone(), doc: Arc::clone(root), pointer: String::new() }];
    for part in parents {
        level = level.iter().flat_map(|at| walk.property_schemas(at, part)).collect();
        if level.is_empty() {
            return Declared::No;
        }
    }
    if level.iter().any(|at| !walk.property_schemas(at, last).is_empty()) {
        Declared::Field
    } else if !parents.is_empty()
        && level.iter().any(|at| at.value().and_then(|v| v.get("type")).and_then(Value::as_str) == Some("object"))
    {
        Declared::Parent
    } else {
        Declared::No
    }
}

/// Adds `from` into `into` (a property or index seen twice keeps its first default).
fn merge(into: &mut Defaults, from: Defaults) {
    for (name, default, below) in from.properties {
        let slot = into.property(&name);
        if slot.1.is_none() {
            slot.1 = default;
        }
        merge(&mut slot.2, below);
    }
    for (i, (default, below)) in from.items.into_iter().enumerate() {
        while into.items.len() <= i {
            into.items.push((None, Defaults::default()));
        }
        if into.items[i].0.is_none() {
            into.items[i].0 = default;
        }
        merge(&mut into.items[i].1, below);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    fn keys(map: &Map<String, Value>) -> Vec<&str> {
        map.keys().map(String::as_str).collect()
    }

    fn defaults(schema: &Value) -> Defaults {
        let resolver = SchemaResolver::new(Vec::new(), &[], false).expect("empty resolver");
        Defaults::from_schema(&resolver, &SchemaUri::parse("/test/1.0.0").unwrap(), &Arc::new(schema.clone()))
    }

    #[test]
    fn absent_properties_get_their_default_present_ones_keep_theirs() {
        let schema = json!({"type": "object", "properties": {
            "a": {"type": "string", "default": "x"},
            "b": {"type": "integer", "default": 1},
            "c": {"type": "string"}
        }});
        let d = defaults(&schema);
        assert_eq!(d.pointers(), ["/a", "/b"]);
        let mut e = json!({"b": null});
        assert_eq!(d.apply(&mut e), ["/a"]);
        assert_eq!(e, json!({"b": null, "a": "x"}));
        assert_eq!(keys(e.as_object().unwrap()), ["b", "a"]);
    }

    #[test]
    fn nested_defaults_need_their_parent_object() {
        let schema = json!({"properties": {"meta": {"type": "object", "properties": {"x": {"default": 5}}}}});
        let d = defaults(&schema);
        let mut without = json!({});
        assert!(d.apply(&mut without).is_empty());
        assert_eq!(without, json!({}));
        let mut with = json!({"meta": {}});
        assert_eq!(d.apply(&mut with), ["/meta/x"]);
        assert_eq!(with, json!({"meta": {"x": 5}}));
        // A parent of another type is left alone.
        let mut other = json!({"meta": "s"});
        assert!(d.apply(&mut other).is_empty());
    }

    #[test]
    fn all_of_and_local_refs_apply_any_of_one_of_not_do_not() {
        let schema = json!({
            "definitions": {"d": {"properties": {"r": {"default": "ref"}}}},
            "allOf": [{"properties": {"a": {"default": "all"}}}, {"$ref": "#/definitions/d"}],
            "anyOf": [{"properties": {"b": {"default": "any"}}}],
            "oneOf": [{"properties": {"c": {"default": "one"}}}],
            "not": {"properties": {"n": {"default": "not"}}},
            "properties": {"p": {"$ref": "#/definitions/p"}},
        });
        let mut schema = schema;
        schema["definitions"]["p"] = json!({"default": 7});
        let d = defaults(&schema);
        let mut e = json!({});
        d.apply(&mut e);
        // `p` is `{$ref}` to a schema with a default: ajv 6 reads `default` on the
        // property's subschema as written, so it is not filled (checked on ajv 6.12.6).
        assert_eq!(e, json!({"a": "all", "r": "ref"}));
    }

    #[test]
    fn recursive_schemas_end_quickly() {
        // Two self-references per node: without the cycle guard, 2^32 walks.
        let schema = json!({
            "definitions": {"node": {"type": "object", "properties": {
                "left": {"$ref": "#/definitions/node"}, "right": {"$ref": "#/definitions/node"},
                "label": {"type": "string", "default": "x"}}}},
            "allOf": [{"$ref": "#"}, {"$ref": "#"}],
            "properties": {"root": {"$ref": "#/definitions/node"}}
        });
        let started = std::time::Instant::now();
        let d = defaults(&schema);
        let mut e = json!({"root": {"left": {}}});
        d.apply(&mut e);
        assert_eq!(e["root"]["label"], "x");
        let resolver = SchemaResolver::new(Vec::new(), &[], false).expect("empty resolver");
        let base = SchemaUri::parse("/test/1.0.0").unwrap();
        assert_eq!(declares(&resolver, &base, &Arc::new(schema), "root.left.label"), Declared::Field);
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    }

    #[test]
    fn tuple_items_fill_missing_indices_single_items_do_not() {
        let d = defaults(&json!({"properties": {
            "t": {"items": [{"default": 1}, {}, {"default": 3}]},
            "s": {"items": {"default": 9}}
        }}));
        assert!(d.properties.iter().all(|(n, _, _)| n == "t"));
        let mut e = json!({"t": [], "s": []});
        assert_eq!(d.apply(&mut e), ["/t/0", "/t/2"]);
        assert_eq!(e, json!({"t": [1, null, 3], "s": []}));
        let mut e = json!({"t": [5, 6, 7]});
        assert!(d.apply(&mut e).is_empty());
    }

    #[test]
    fn declared_fields_and_object_parents() {
        let resolver = SchemaResolver::new(Vec::new(), &[], false).expect("empty resolver");
        let base = SchemaUri::parse("/test/1.0.0").unwrap();
        let schema = Arc::new(json!({
            "definitions": {"meta": {"type": "object", "properties": {"dt": {"type": "string"}}}},
            "allOf": [{"properties": {"meta": {"$ref": "#/definitions/meta"}}}],
            "properties": {"http": {"type": "object", "properties": {"request_headers": {"type": "object"}}}}
        }));
        assert_eq!(declares(&resolver, &base, &schema, "meta.dt"), Declared::Field);
        assert_eq!(declares(&resolver, &base, &schema, "meta.id"), Declared::Parent);
        assert_eq!(declares(&resolver, &base, &schema, "http.request_headers.user-agent"), Declared::Parent);
        assert_eq!(declares(&resolver, &base, &schema, "nope.x"), Declared::No);
        assert_eq!(declares(&resolver, &base, &schema, "http"), Declared::Field);
        assert_eq!(declares(&resolver, &base, &schema, "dt"), Declared::No);
    }

    #[test]
    fn no_defaults_is_empty() {
        assert!(defaults(&json!({"properties": {"a": {"type": "string"}}})).is_empty());
        assert!(defaults(&json!(true)).is_empty());
    }
}
