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
//!   compiles them over the same data; `anyOf`, `oneOf`, `not`, `if`, `then`,
//!   `else`, `patternProperties` and `additionalProperties` do not (ajv
//!   documents the first three as ignored; no Wikimedia schema uses defaults in
//!   the others);
//! - ajv assigns a property's defaults before it checks the object's other
//!   keywords, so a `required` property with a default is never missing.
//!   [`Defaults::apply`] therefore runs before validation.
//!
//! The walk is done once per compiled schema ([`Defaults::from_schema`]) into a
//! small tree holding only the paths that lead to a default, so that applying
//! the defaults of a schema without any costs nothing.

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
    pub fn from_schema(resolver: &SchemaResolver, base: &SchemaUri, root: &Value) -> Self {
        let mut out = Self::default();
        collect(resolver, base, root, root, &mut out, 0);
        out
    }

    /// Whether the schema declares no default anywhere an event can reach.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.properties.is_empty() && self.items.is_empty()
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

/// Adds what `schema` (inside the document `root` at `base`) contributes to `out`.
fn collect(
    resolver: &SchemaResolver,
    base: &SchemaUri,
    root: &Value,
    schema: &Value,
    out: &mut Defaults,
    depth: usize,
) {
    let Some(map) = schema.as_object() else { return };
    if let Some(Value::String(reference)) = map.get("$ref") {
        if depth < MAX_REF_DEPTH {
            follow(resolver, base, root, reference, out, depth + 1);
        }
        // Draft-07: siblings of `$ref` are ignored.
        return;
    }
    if let Some(Value::Object(props)) = map.get("properties") {
        for (name, sub) in props {
            let mut below = Defaults::default();
            collect(resolver, base, root, sub, &mut below, depth);
            let default = own_default(resolver, base, root, sub, depth);
            if default.is_some() || !below.is_empty() {
                let slot = out.property(name);
                if slot.1.is_none() {
                    slot.1 = default;
                }
                merge(&mut slot.2, below);
            }
        }
    }
    if let Some(Value::Array(tuple)) = map.get("items") {
        for (i, sub) in tuple.iter().enumerate() {
            let mut below = Defaults::default();
            collect(resolver, base, root, sub, &mut below, depth);
            let default = own_default(resolver, base, root, sub, depth);
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
    }
    if let Some(Value::Array(all)) = map.get("allOf") {
        for sub in all {
            collect(resolver, base, root, sub, out, depth);
        }
    }
}

/// A subschema's own `default`, also through a `$ref` (ajv reads it where the ref points).
fn own_default(resolver: &SchemaResolver, base: &SchemaUri, root: &Value, sub: &Value, depth: usize) -> Option<Value> {
    let map = sub.as_object()?;
    if let Some(Value::String(reference)) = map.get("$ref") {
        if depth >= MAX_REF_DEPTH {
            return None;
        }
        let (target_base, target_root, target) = locate(resolver, base, root, reference)?;
        return own_default(resolver, &target_base, &target_root, &target, depth + 1);
    }
    map.get("default").cloned()
}

fn follow(
    resolver: &SchemaResolver,
    base: &SchemaUri,
    root: &Value,
    reference: &str,
    out: &mut Defaults,
    depth: usize,
) {
    if let Some((target_base, target_root, target)) = locate(resolver, base, root, reference) {
        collect(resolver, &target_base, &target_root, &target, out, depth);
    }
}

/// The subschema a `$ref` names: its document's base, the document and the subschema.
fn locate(
    resolver: &SchemaResolver,
    base: &SchemaUri,
    root: &Value,
    reference: &str,
) -> Option<(SchemaUri, Value, Value)> {
    if let Some(pointer) = reference.strip_prefix('#') {
        let target = if pointer.is_empty() { root } else { root.pointer(pointer)? };
        return Some((base.clone(), root.clone(), target.clone()));
    }
    let resolved = resolver.resolve_ref(base, reference).ok()?;
    let document = &resolved.document;
    let target = document.select(resolved.target.fragment())?.clone();
    let next_base =
        document.id().and_then(|id| SchemaUri::parse(id).ok()).unwrap_or_else(|| resolved.target.document());
    Some((next_base, document.value.clone(), target))
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
pub fn declares(resolver: &SchemaResolver, base: &SchemaUri, root: &Value, path: &str) -> Declared {
    let parts: Vec<&str> = path.split('.').collect();
    let Some((last, parents)) = parts.split_last() else { return Declared::No };
    let mut level = vec![(base.clone(), root.clone(), root.clone())];
    for part in parents {
        level = level.iter().flat_map(|(b, r, s)| property_schemas(resolver, b, r, s, part, 0)).collect();
        if level.is_empty() {
            return Declared::No;
        }
    }
    if level.iter().any(|(b, r, s)| !property_schemas(resolver, b, r, s, last, 0).is_empty()) {
        Declared::Field
    } else if !parents.is_empty()
        && level.iter().any(|(_, _, s)| s.get("type").and_then(Value::as_str) == Some("object"))
    {
        Declared::Parent
    } else {
        Declared::No
    }
}

/// The subschemas `schema` gives property `name`, through `allOf` and `$ref`s
/// (each with its document's base and root, and the `$ref` resolved).
fn property_schemas(
    resolver: &SchemaResolver,
    base: &SchemaUri,
    root: &Value,
    schema: &Value,
    name: &str,
    depth: usize,
) -> Vec<(SchemaUri, Value, Value)> {
    let mut out = Vec::new();
    let Some(map) = schema.as_object() else { return out };
    if let Some(Value::String(reference)) = map.get("$ref") {
        if depth < MAX_REF_DEPTH
            && let Some((b, r, s)) = locate(resolver, base, root, reference)
        {
            out.extend(property_schemas(resolver, &b, &r, &s, name, depth + 1));
        }
        return out;
    }
    if let Some(sub) = map.get("properties").and_then(|p| p.get(name)) {
        out.push(resolved(resolver, base, root, sub, depth));
    }
    if let Some(Value::Array(all)) = map.get("allOf") {
        for sub in all {
            out.extend(property_schemas(resolver, base, root, sub, name, depth));
        }
    }
    out
}

/// A subschema with its `$ref`s followed (to the schema they name).
fn resolved(
    resolver: &SchemaResolver,
    base: &SchemaUri,
    root: &Value,
    sub: &Value,
    depth: usize,
) -> (SchemaUri, Value, Value) {
    if let Some(Value::String(reference)) = sub.get("$ref")
        && depth < MAX_REF_DEPTH
        && let Some((b, r, s)) = locate(resolver, base, root, reference)
    {
        return resolved(resolver, &b, &r, &s, depth + 1);
    }
    (base.clone(), root.clone(), sub.clone())
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
        Defaults::from_schema(&resolver, &SchemaUri::parse("/test/1.0.0").unwrap(), schema)
    }

    #[test]
    fn absent_properties_get_their_default_present_ones_keep_theirs() {
        let schema = json!({"type": "object", "properties": {
            "a": {"type": "string", "default": "x"},
            "b": {"type": "integer", "default": 1},
            "c": {"type": "string"}
        }});
        let d = defaults(&schema);
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
        assert_eq!(e, json!({"p": 7, "a": "all", "r": "ref"}));
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
        let schema = json!({
            "definitions": {"meta": {"type": "object", "properties": {"dt": {"type": "string"}}}},
            "allOf": [{"properties": {"meta": {"$ref": "#/definitions/meta"}}}],
            "properties": {"http": {"type": "object", "properties": {"request_headers": {"type": "object"}}}}
        });
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
