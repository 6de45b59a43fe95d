//! Materializing a `current.yaml` as jsonschema-tools 1.3.0's
//! `materializeSchema` does (schema-repos.md §3), for check S8 (current
//! equals the materialized latest version), and comparing schemas as values.
//!
//! 1. **Dereference** (json-schema-ref-parser 7): every `{$ref: …}` object,
//!    anywhere in the document (examples included), is replaced by what it
//!    points at. Path-absolute references (`/fragment/common/1.0.0#`) resolve
//!    through the [`SchemaResolver`]'s base URIs, in order; a JSON-pointer
//!    fragment selects a sub-tree; internal references (`#/$id`,
//!    `#/definitions/x`, `./#/…`) resolve in the document that holds them.
//!    Keys written beside a `$ref` win over the target's keys, as in the
//!    ref-parser. Unlike jsonschema-tools, every unresolvable reference is
//!    reported (with the JSON pointer of the `$ref`), not only the first.
//! 2. **Merge `allOf`** as json-schema-merge-allof 0.6 does with
//!    `ignoreAdditionalProperties: true` ([`merge_all_of`]): `properties`
//!    united (each property's schemas merged), `required` the sorted union,
//!    `enum` the sorted intersection, `type` the intersection, the first
//!    `title`/`description`/`$id`/`$schema`/`default`/`examples` wins (the
//!    root comes first), the largest minimum and the smallest maximum, two
//!    `pattern`s kept in a new `allOf`. An empty-schema `properties`,
//!    `patternProperties` or `additionalProperties` produced by the merge is
//!    dropped (so `additionalProperties: {}` of a merged-in property
//!    disappears, §3.2); `additionalProperties: true` is kept.
//! 3. **Examples rule** (§3.1): only the root's `examples` are kept; when
//!    `current.yaml` has none, examples that arrived through `$ref` are removed.
//! 4. **Numeric bounds** (§3.3): every node of `type: number|integer` reached
//!    as json-schema-traverse 0.4 walks a schema gets `minimum`/`maximum` =
//!    `enforcedNumericBounds` where it has none (existing values are kept).
//!
//! Not reproduced: the examples json-schema-faker generates when
//! `shouldGenerateExample` is set and the schema has none; S8 compares
//! without `examples` in that case (see [`super::structure`]).
//!
//! [`diff`] compares two schemas as values: object key order is ignored,
//! numbers compare by value (`1` equals `1.0`, as in JavaScript), and
//! `required` and `enum` lists compare as sets (their order is an artefact of
//! the merge, not a difference a consumer can observe).

use crate::repo_check::Keyword;
use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::schema::SchemaUri;
use crate::schema::repository::SchemaResolver;

/// A problem materializing a schema: where (a JSON pointer into the file,
/// `""` for the whole document) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The JSON pointer of the `$ref` or of the node that cannot be merged.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

/// Materializes `schema` (a `current.yaml` document): dereference, merge
/// `allOf`, keep only the root's examples, enforce numeric bounds.
///
/// # Errors
/// Every `$ref` that cannot be resolved, every circular `$ref`, and the first
/// `allOf` whose members cannot be merged.
pub fn materialize(
    schema: &Value,
    resolver: &SchemaResolver,
    bounds: Option<(f64, f64)>,
) -> Result<Value, Vec<Problem>> {
    materialize_shared(schema, resolver, bounds).map(|m| m.value)
}

/// A materialized schema and the nodes json-schema-ref-parser would leave as
/// one JavaScript object.
#[derive(Debug, Clone, PartialEq)]
pub struct Materialized {
    /// The schema.
    pub value: Value,
    /// Groups of JSON pointers into `value` whose nodes are one object in
    /// jsonschema-tools' memory: a `$ref` internal to the document
    /// (`#/examples/0/meta`) is dereferenced to the very object it points at,
    /// so js-yaml writes it once as `&ref_N` and then `*ref_N`
    /// ([`super::emit::to_yaml_shared`]). Only groups whose nodes all survive
    /// the `allOf` merge unchanged are kept.
    pub shared: Vec<Vec<String>>,
}

/// [`materialize`], also returning the shared nodes (see [`Materialized`]).
///
/// # Errors
/// As [`materialize`].
pub fn materialize_shared(
    schema: &Value,
    resolver: &SchemaResolver,
    bounds: Option<(f64, f64)>,
) -> Result<Materialized, Vec<Problem>> {
    let (dereferenced, mut links) = dereference_linked(schema, resolver)?;
    // json-schema-merge-allof builds new objects for what it merges: a node
    // below an `allOf` (the root's included) is a copy afterwards, except
    // the root's `examples`, which it takes as they are.
    links.retain(|(target, at)| [target, at].iter().all(|p| survives_merge(&dereferenced, p)));
    let mut merged = merge_all_of(dereferenced).map_err(|p| vec![p])?;
    let had_examples = schema.kw("examples").is_some();
    if !had_examples && let Value::Object(map) = &mut merged {
        map.shift_remove("examples");
    }
    if let Some(bounds) = bounds {
        enforce_numeric_bounds(&mut merged, bounds);
    }
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for (target, at) in links {
        match groups.iter_mut().find(|(t, _)| *t == target) {
            Some((_, places)) => places.push(at),
            None => groups.push((target.clone(), vec![target, at])),
        }
    }
    let shared = groups
        .into_iter()
        .map(|(_, pointers)| pointers)
        .filter(|pointers| {
            let first = merged.pointer(&pointers[0]);
            first.is_some_and(|v| v.is_object() || v.is_array())
                && pointers.iter().all(|p| merged.pointer(p).is_some_and(|v| Some(v) == first))
        })
        .collect();
    Ok(Materialized { value: merged, shared })
}

/// Whether the node at `pointer` stays the same object through the `allOf`
/// merge: it is under the root's `examples`, or no node from the root down
/// to it has an `allOf`.
fn survives_merge(root: &Value, pointer: &str) -> bool {
    if pointer == "/examples" || pointer.starts_with("/examples/") {
        return true;
    }
    let mut node = root;
    if node.kw("allOf").is_some() {
        return false;
    }
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        let next = match node {
            Value::Object(map) => map.get(&segment),
            Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        match next {
            Some(n) if n.kw("allOf").is_none() => node = n,
            _ => return false,
        }
    }
    true
}

/// jsonschema-tools' whole `materializeSchema` under a repository's
/// `.jsonschema-tools.yaml`: [`materialize`] with its `enforcedNumericBounds`,
/// then, when `shouldGenerateExample` is on and the result has no `examples`
/// (`_.isEmpty`: absent, null, or an empty list, map or string), the example
/// json-schema-faker generates ([`super::example::generate`], which also sets
/// its `$schema` to the schema's `$id`) as `examples: [<example>]`
/// (jsonschema-tools' `generateSchemaExample`). This is what
/// `epc materialize` writes and what check S8 compares.
///
/// # Errors
/// As [`materialize`]; a schema json-schema-faker cannot make an example of
/// is one problem at `/examples`.
pub fn materialize_for(
    schema: &Value,
    resolver: &SchemaResolver,
    config: &super::ToolsConfig,
) -> Result<Materialized, Vec<Problem>> {
    let mut out = materialize_shared(schema, resolver, config.numeric_bounds)?;
    if config.generate_example && examples_empty(out.value.kw("examples")) {
        let example = super::example::generate(&out.value).map_err(|e| {
            vec![Problem {
                pointer: "/examples".into(),
                message: format!("cannot generate an example (shouldGenerateExample): {e}"),
            }]
        })?;
        if let Value::Object(map) = &mut out.value {
            map.insert("examples".into(), Value::Array(vec![example]));
        }
    }
    Ok(out)
}

/// `_.isEmpty(examples)`: absent, null, or an empty list, map or string
/// (a number or boolean counts as empty to lodash too).
fn examples_empty(examples: Option<&Value>) -> bool {
    match examples {
        None | Some(Value::Null | Value::Bool(_) | Value::Number(_)) => true,
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(m)) => m.is_empty(),
        Some(Value::String(s)) => s.is_empty(),
    }
}

// ---------------------------------------------------------------------------
// Dereferencing

/// The document a value belongs to: internal references resolve in it.
struct Doc<'a> {
    /// The URI relative references join against (the root's `$id`, or the URI
    /// an external document was loaded for).
    uri: SchemaUri,
    /// The whole document.
    value: &'a Value,
}

struct Dereferencer<'a> {
    resolver: &'a SchemaResolver,
    problems: Vec<Problem>,
    /// The root document's URI, and for each `$ref` internal to it that was
    /// expanded: (the target's pointer, the `$ref`'s pointer).
    root: SchemaUri,
    links: Vec<(String, String)>,
}

/// Replaces every `$ref` of `schema` by its target (see the module docs).
///
/// # Errors
/// Every reference that cannot be resolved, with the pointer of its `$ref`.
pub fn dereference(schema: &Value, resolver: &SchemaResolver) -> Result<Value, Vec<Problem>> {
    dereference_linked(schema, resolver).map(|(value, _)| value)
}

/// Internal `$ref`s expanded by [`dereference_linked`]: (the target's JSON
/// pointer, the `$ref`'s).
type ExpandedRefs = Vec<(String, String)>;

/// [`dereference`], also returning the internal `$ref`s expanded: (the
/// target's JSON pointer, the `$ref`'s), for [`Materialized::shared`].
fn dereference_linked(schema: &Value, resolver: &SchemaResolver) -> Result<(Value, ExpandedRefs), Vec<Problem>> {
    let id = schema.get("$id").and_then(Value::as_str).unwrap_or("");
    let uri = match SchemaUri::parse(id) {
        Ok(uri) => uri.document(),
        Err(e) => {
            return Err(vec![Problem {
                pointer: "/$id".into(),
                message: format!("`$id` `{id}` is not a URI that `$ref`s can resolve against: {e}"),
            }]);
        }
    };
    let mut d = Dereferencer { resolver, problems: Vec::new(), root: uri.clone(), links: Vec::new() };
    let doc = Doc { uri, value: schema };
    let mut stack = Vec::new();
    let out = d.walk(schema, &doc, &mut String::new(), &mut stack);
    if d.problems.is_empty() { Ok((out, d.links)) } else { Err(d.problems) }
}

impl Dereferencer<'_> {
    /// `at` is the pointer in the root document of the `$ref` being expanded
    /// (or of the value itself while still in the root document).
    fn walk(&mut self, value: &Value, doc: &Doc<'_>, at: &mut String, stack: &mut Vec<String>) -> Value {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    let target = self.follow(reference, doc, at, stack);
                    let siblings: Map<String, Value> = map
                        .iter()
                        .filter(|(k, _)| *k != "$ref")
                        .map(|(k, v)| {
                            let len = at.len();
                            push_pointer(at, k);
                            let v = self.walk(v, doc, at, stack);
                            at.truncate(len);
                            (k.clone(), v)
                        })
                        .collect();
                    return match target {
                        Some(Value::Object(resolved)) if !siblings.is_empty() => {
                            let mut merged = siblings;
                            for (k, v) in resolved {
                                merged.entry(k).or_insert(v);
                            }
                            Value::Object(merged)
                        }
                        Some(resolved) => resolved,
                        // Keep the unresolved reference so that the rest still compares.
                        None => value.clone(),
                    };
                }
                let mut out = Map::with_capacity(map.len());
                for (k, v) in map {
                    let len = at.len();
                    push_pointer(at, k);
                    out.insert(k.clone(), self.walk(v, doc, at, stack));
                    at.truncate(len);
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let len = at.len();
                        push_pointer(at, &i.to_string());
                        let v = self.walk(v, doc, at, stack);
                        at.truncate(len);
                        v
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn problem(&mut self, at: &str, message: String) {
        self.problems.push(Problem { pointer: format!("{at}/$ref"), message });
    }

    /// The dereferenced target of `reference`, or `None` after recording why not.
    fn follow(&mut self, reference: &str, doc: &Doc<'_>, at: &mut String, stack: &mut Vec<String>) -> Option<Value> {
        let internal = reference.strip_prefix("./").unwrap_or(reference);
        let joined = doc.uri.join(reference).ok();
        let fragment_of_internal = internal.strip_prefix('#').map(str::to_owned).or_else(|| {
            joined.as_ref().filter(|t| t.document() == doc.uri).map(|t| t.fragment().unwrap_or("").to_owned())
        });
        if let Some(fragment) = fragment_of_internal {
            let key = format!("{}#{fragment}", doc.uri);
            let Some(selected) = select(doc.value, &fragment) else {
                self.problem(
                    at,
                    format!("$ref `{reference}`: JSON pointer `#{fragment}` selects nothing in {}", doc.uri),
                );
                return None;
            };
            // A `$ref` without siblings, internal to the root document, is that very object to ref-parser.
            if doc.uri == self.root && stack.is_empty() {
                let pointer = percent_decode(&fragment).unwrap_or_else(|| fragment.clone());
                self.links.push((pointer, at.clone()));
            }
            return self.expand(reference, key, selected, doc, at, stack);
        }
        let resolved = match self.resolver.resolve_ref(&doc.uri, reference) {
            Ok(r) => r,
            Err(e) => {
                self.problem(at, e.to_string());
                return None;
            }
        };
        let fragment = resolved.target.fragment().unwrap_or("").to_owned();
        let target_doc = Doc { uri: resolved.target.document(), value: &resolved.document.value };
        let key = format!("{}#{fragment}", target_doc.uri);
        let Some(selected) = select(target_doc.value, &fragment) else {
            self.problem(
                at,
                format!(
                    "$ref `{reference}`: JSON pointer `#{fragment}` selects nothing in {} ({})",
                    target_doc.uri,
                    resolved.document.origin.path().display()
                ),
            );
            return None;
        };
        self.expand(reference, key, selected, &target_doc, at, stack)
    }

    fn expand(
        &mut self,
        reference: &str,
        key: String,
        selected: &Value,
        doc: &Doc<'_>,
        at: &mut String,
        stack: &mut Vec<String>,
    ) -> Option<Value> {
        if stack.contains(&key) || stack.len() > 64 {
            self.problem(at, format!("$ref `{reference}` is circular ({} → {key})", stack.join(" → ")));
            return None;
        }
        stack.push(key);
        let before = self.problems.len();
        let out = self.walk(selected, doc, at, stack);
        stack.pop();
        (self.problems.len() == before).then_some(out)
    }
}

/// The value a URI fragment (a JSON pointer, percent-encoded or not) selects.
fn select<'v>(value: &'v Value, fragment: &str) -> Option<&'v Value> {
    if fragment.is_empty() {
        return Some(value);
    }
    if fragment.contains('%') {
        let decoded = percent_decode(fragment)?;
        return value.pointer(&decoded);
    }
    value.pointer(fragment)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(text.get(i + 1..i + 3)?, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Appends one JSON-pointer segment (RFC 6901 escaping).
pub fn push_pointer(pointer: &mut String, segment: &str) {
    pointer.push('/');
    for c in segment.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

// ---------------------------------------------------------------------------
// allOf merging (json-schema-merge-allof 0.6, ignoreAdditionalProperties)

const PROPERTY_RELATED: [&str; 3] = ["properties", "patternProperties", "additionalProperties"];
const SCHEMA_GROUP_PROPS: [&str; 4] = ["properties", "patternProperties", "definitions", "dependencies"];
const SCHEMA_ARRAYS: [&str; 2] = ["anyOf", "oneOf"];
const SCHEMA_PROPS: [&str; 6] =
    ["additionalProperties", "additionalItems", "contains", "propertyNames", "not", "items"];

/// Merges every `allOf` of a dereferenced schema into its parent (see the
/// module docs), recursing through every subschema as the library does.
///
/// # Errors
/// A [`Problem`] naming the keyword whose values cannot be merged (two
/// different `type`s, disjoint `enum`s, a keyword without a merge rule).
pub fn merge_all_of(schema: Value) -> Result<Value, Problem> {
    let all = get_all_of(schema);
    let base = match all.first() {
        Some(Value::Object(m)) => Some(m.clone()),
        _ => None,
    };
    Ok(merge_schemas(all, base, "")?.unwrap_or_else(|| Value::Object(Map::new())))
}

/// The schema without its `allOf`, then every `allOf` member, flattened.
fn get_all_of(schema: Value) -> Vec<Value> {
    match schema {
        Value::Object(mut map) if matches!(map.kw("allOf"), Some(Value::Array(_))) => {
            let Some(Value::Array(members)) = map.shift_remove("allOf") else { unreachable!() };
            let mut out = vec![Value::Object(map)];
            for member in members {
                out.extend(get_all_of(member));
            }
            out
        }
        other => vec![other],
    }
}

fn incompatible(path: &str, key: &str, values: &[Value]) -> Problem {
    let shown: Vec<String> = values.iter().map(short).collect();
    Problem {
        pointer: path.to_owned(),
        message: format!(
            "allOf cannot be merged: keyword `{key}` has incompatible values {} (json-schema-merge-allof fails here too)",
            shown.join(", ")
        ),
    }
}

/// Values without duplicates (schema equality), in first-seen order.
fn dedup(values: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::with_capacity(values.len());
    for v in values {
        if !out.iter().any(|o| values_equal(o, &v)) {
            out.push(v);
        }
    }
    out
}

fn is_empty_schema(v: Option<&Value>) -> bool {
    match v {
        None => true,
        Some(Value::Bool(_)) => false,
        Some(Value::Object(m)) => m.is_empty(),
        Some(_) => true,
    }
}

/// `mergeSchemas(schemas, base)`: `None` for no schemas.
fn merge_schemas(schemas: Vec<Value>, base: Option<Map<String, Value>>, path: &str) -> Result<Option<Value>, Problem> {
    if schemas.is_empty() {
        return Ok(None);
    }
    if schemas.iter().any(|s| *s == Value::Bool(false)) {
        return Ok(Some(Value::Bool(false)));
    }
    if schemas.iter().all(|s| *s == Value::Bool(true)) {
        return Ok(Some(Value::Bool(true)));
    }
    let objects: Vec<Map<String, Value>> = schemas
        .into_iter()
        .filter_map(|s| match s {
            Value::Object(m) => Some(m),
            _ => None,
        })
        .collect();
    let mut keys: Vec<String> = Vec::new();
    for o in &objects {
        for k in o.keys() {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    if keys.iter().any(|k| k == "allOf") {
        let mut flat = vec![Value::Object(Map::new())];
        for o in objects {
            flat.extend(get_all_of(Value::Object(o)));
        }
        return merge_schemas(flat, Some(Map::new()), path);
    }
    let mut merged = base.unwrap_or_default();
    if keys.iter().any(|k| PROPERTY_RELATED.contains(&k.as_str())) {
        let subsets: Vec<Value> = objects
            .iter()
            .map(|o| {
                Value::Object(
                    PROPERTY_RELATED.iter().filter_map(|k| o.get(*k).map(|v| ((*k).to_owned(), v.clone()))).collect(),
                )
            })
            .collect();
        let compacted: Vec<Map<String, Value>> = dedup(subsets)
            .into_iter()
            .filter_map(|v| match v {
                Value::Object(m) => Some(m),
                _ => None,
            })
            .collect();
        for (k, v) in resolve_properties(compacted, path)? {
            merged.insert(k, v);
        }
        keys.retain(|k| !PROPERTY_RELATED.contains(&k.as_str()));
    }
    for key in keys {
        let values: Vec<Value> = objects.iter().filter_map(|o| o.get(&key).cloned()).collect();
        let compacted = dedup(values);
        let k = key.as_str();
        let sub = format!("{path}/{}", escape(k));
        if compacted.len() == 1 && SCHEMA_ARRAYS.contains(&k) {
            let value = match &compacted[0] {
                Value::Array(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for (i, item) in items.iter().enumerate() {
                        let base = item.as_object().cloned();
                        let merged_item = merge_schemas(vec![item.clone()], base, &format!("{sub}/{i}"))?;
                        out.push(merged_item.unwrap_or_else(|| Value::Object(Map::new())));
                    }
                    Value::Array(out)
                }
                other => other.clone(),
            };
            merged.insert(key, value);
        } else if compacted.len() == 1 && !SCHEMA_GROUP_PROPS.contains(&k) && !SCHEMA_PROPS.contains(&k) {
            merged.insert(key, compacted.into_iter().next().unwrap_or(Value::Null));
        } else {
            match resolve_keyword(k, compacted, &sub, &mut merged)? {
                Some(v) => {
                    merged.insert(key, v);
                }
                None => {
                    merged.shift_remove(&key);
                }
            }
        }
    }
    Ok(Some(Value::Object(merged)))
}

/// The `properties` resolver with `ignoreAdditionalProperties: true`.
fn resolve_properties(mut values: Vec<Map<String, Value>>, path: &str) -> Result<Map<String, Value>, Problem> {
    // An object `additionalProperties` applies to the other members' extra properties.
    for i in 0..values.len() {
        let Some(additional @ Value::Object(_)) = values[i].kw("additionalProperties").cloned() else { continue };
        let own: Vec<String> = keys_of(values[i].kw("properties"));
        let patterns: Vec<regex::Regex> =
            keys_of(values[i].kw("patternProperties")).iter().filter_map(|p| regex::Regex::new(p).ok()).collect();
        for (j, other) in values.iter_mut().enumerate() {
            if i == j {
                continue;
            }
            let Some(Value::Object(props)) = other.get_mut("properties") else { continue };
            let extra: Vec<String> =
                props.keys().filter(|k| !own.contains(k) && !patterns.iter().any(|p| p.is_match(k))).cloned().collect();
            for k in extra {
                let current = props.get(&k).cloned().unwrap_or(Value::Null);
                let merged = merge_schemas(vec![current, additional.clone()], None, &format!("{path}/properties/{k}"))?;
                props.insert(k, merged.unwrap_or(Value::Object(Map::new())));
            }
        }
    }
    let mut out = Map::new();
    let additional: Vec<Value> = values.iter().filter_map(|v| v.kw("additionalProperties").cloned()).collect();
    if let Some(v) = merge_schemas(additional, None, &format!("{path}/additionalProperties"))? {
        out.insert("additionalProperties".into(), v);
    }
    let mut pattern_keys: Vec<String> = Vec::new();
    for v in &values {
        for k in keys_of(v.kw("patternProperties")) {
            if !pattern_keys.contains(&k) {
                pattern_keys.push(k);
            }
        }
    }
    let mut patterns = Map::new();
    for pk in pattern_keys {
        let schemas: Vec<Value> =
            values.iter().filter_map(|v| v.kw("patternProperties").and_then(|p| p.get(&pk)).cloned()).collect();
        let sub = format!("{path}/patternProperties/{}", escape(&pk));
        if let Some(m) = merge_schemas(dedup(schemas), None, &sub)? {
            patterns.insert(pk, m);
        }
    }
    out.insert("patternProperties".into(), Value::Object(patterns));
    let mut names: Vec<String> = Vec::new();
    for v in &values {
        for k in keys_of(v.kw("properties")) {
            if !names.contains(&k) {
                names.push(k);
            }
        }
    }
    let mut properties = match values.first().and_then(|v| v.kw("properties")) {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    for name in names {
        let schemas: Vec<Value> =
            values.iter().filter_map(|v| v.kw("properties").and_then(|p| p.get(&name)).cloned()).collect();
        let base = match properties.get(&name) {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        };
        let sub = format!("{path}/properties/{}", escape(&name));
        let merged = merge_schemas(dedup(schemas), Some(base), &sub)?;
        properties.insert(name, merged.unwrap_or_else(|| Value::Object(Map::new())));
    }
    out.insert("properties".into(), Value::Object(properties));
    out.retain(|_, v| !is_empty_schema(Some(v)));
    Ok(out)
}

fn keys_of(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

fn escape(segment: &str) -> String {
    let mut s = String::new();
    push_pointer(&mut s, segment);
    s[1..].to_owned()
}

/// One keyword's resolver, for two or more different values (or a schema
/// keyword): `None` removes the keyword.
fn resolve_keyword(
    key: &str,
    compacted: Vec<Value>,
    path: &str,
    merged: &mut Map<String, Value>,
) -> Result<Option<Value>, Problem> {
    let first_object = |c: &[Value]| c.first().and_then(Value::as_object).cloned();
    match key {
        "$id" | "$schema" | "$ref" | "title" | "description" | "default" | "examples" => {
            Ok(compacted.into_iter().next())
        }
        "type" => {
            if !compacted.iter().any(Value::is_array) {
                return Err(incompatible(path, key, &compacted));
            }
            let lists: Vec<Vec<Value>> = compacted
                .iter()
                .map(|v| match v {
                    Value::Array(a) => a.clone(),
                    other => vec![other.clone()],
                })
                .collect();
            let mut common: Vec<Value> = Vec::new();
            for t in &lists[0] {
                if lists[1..].iter().all(|l| l.contains(t)) && !common.contains(t) {
                    common.push(t.clone());
                }
            }
            match common.len() {
                0 => Err(incompatible(path, key, &compacted)),
                1 => Ok(common.pop()),
                _ => Ok(Some(Value::Array(common))),
            }
        }
        "definitions" | "dependencies" => {
            let mut children: Vec<String> = Vec::new();
            for c in &compacted {
                for k in keys_of(Some(c)) {
                    if !children.contains(&k) {
                        children.push(k);
                    }
                }
            }
            let mut out = Map::new();
            for child in children {
                let inner = dedup(compacted.iter().filter_map(|c| c.get(&child).cloned()).collect());
                if inner.iter().all(Value::is_array) {
                    out.insert(child, string_array(&inner));
                } else if let Some(v) = merge_schemas(inner, None, &format!("{path}/{}", escape(&child)))? {
                    out.insert(child, v);
                }
            }
            Ok(Some(Value::Object(out)))
        }
        "items" => {
            if compacted.iter().all(|v| v.is_object() || v.is_boolean()) {
                let base = first_object(&compacted);
                merge_schemas(compacted, base, path)
            } else if compacted.iter().all(Value::is_array) {
                let max = compacted.iter().filter_map(Value::as_array).map(Vec::len).max().unwrap_or(0);
                let mut out = Vec::with_capacity(max);
                for pos in 0..max {
                    let at: Vec<Value> = dedup(
                        compacted.iter().filter_map(|c| c.as_array().and_then(|a| a.get(pos)).cloned()).collect(),
                    );
                    if at.len() != 1 {
                        return Err(incompatible(&format!("{path}/{pos}"), key, &at));
                    }
                    let base = first_object(&at);
                    out.push(merge_schemas(at, base, &format!("{path}/{pos}"))?.unwrap_or(Value::Null));
                }
                Ok(Some(Value::Array(out)))
            } else {
                Err(incompatible(path, key, &compacted))
            }
        }
        "additionalItems" | "contains" | "propertyNames" => {
            let base = first_object(&compacted);
            merge_schemas(compacted, base, path)
        }
        "not" => {
            if compacted.len() == 1 {
                let base = first_object(&compacted);
                merge_schemas(compacted, base, path)
            } else {
                let mut m = Map::new();
                m.insert("anyOf".into(), Value::Array(compacted));
                Ok(Some(Value::Object(m)))
            }
        }
        "anyOf" | "oneOf" => {
            // Every combination of one member from each list, merged; failures dropped.
            let lists: Vec<Vec<Value>> = compacted.iter().map(|c| c.as_array().cloned().unwrap_or_default()).collect();
            let mut combos: Vec<Vec<Value>> = vec![Vec::new()];
            for list in &lists {
                let mut next = Vec::new();
                for combo in &combos {
                    for item in list {
                        let mut c = combo.clone();
                        c.push(item.clone());
                        next.push(c);
                    }
                }
                combos = next;
                if combos.len() > 4096 {
                    return Err(incompatible(path, key, &compacted));
                }
            }
            let results: Vec<Value> =
                combos.into_iter().filter_map(|c| merge_schemas(c, None, path).ok().flatten()).collect();
            let unique = dedup(results);
            if unique.is_empty() { Err(incompatible(path, key, &compacted)) } else { Ok(Some(Value::Array(unique))) }
        }
        "required" => Ok(Some(string_array(&compacted))),
        "minLength" | "minimum" | "exclusiveMinimum" | "minItems" | "minProperties" => {
            extreme(&compacted, true).ok_or_else(|| incompatible(path, key, &compacted)).map(Some)
        }
        "maxLength" | "maximum" | "exclusiveMaximum" | "maxItems" | "maxProperties" => {
            extreme(&compacted, false).ok_or_else(|| incompatible(path, key, &compacted)).map(Some)
        }
        "pattern" => {
            let unresolved: Vec<Value> = compacted
                .into_iter()
                .map(|p| {
                    let mut m = Map::new();
                    m.insert("pattern".into(), p);
                    Value::Object(m)
                })
                .collect();
            let all_of = match merged.shift_remove("allOf") {
                Some(Value::Array(mut existing)) => {
                    let mut items = unresolved;
                    items.append(&mut existing);
                    items
                }
                _ => unresolved,
            };
            merged.insert("allOf".into(), Value::Array(all_of));
            Ok(None)
        }
        "uniqueItems" => Ok(Some(Value::Bool(compacted.iter().any(|v| *v == Value::Bool(true))))),
        "multipleOf" => {
            let mut nums: Vec<f64> = compacted.iter().filter_map(Value::as_f64).collect();
            if nums.len() != compacted.len() {
                return Err(incompatible(path, key, &compacted));
            }
            let mut factor = 1.0;
            while nums.iter().any(|n| n.fract() != 0.0) && factor < 1e9 {
                nums.iter_mut().for_each(|n| *n *= 10.0);
                factor *= 10.0;
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let lcm = nums.iter().map(|n| n.abs() as u64).fold(1u64, |a, b| if b == 0 { a } else { a / gcd(a, b) * b });
            #[allow(clippy::cast_precision_loss)]
            let value = lcm as f64 / factor;
            Ok(serde_json::Number::from_f64(value).map(Value::Number))
        }
        "enum" => {
            let lists: Vec<&Vec<Value>> = compacted.iter().filter_map(Value::as_array).collect();
            if lists.len() != compacted.len() {
                return Err(incompatible(path, key, &compacted));
            }
            let mut common: Vec<Value> = lists[0]
                .iter()
                .filter(|v| lists[1..].iter().all(|l| l.iter().any(|x| values_equal(x, v))))
                .cloned()
                .collect();
            if common.is_empty() {
                return Err(incompatible(path, key, &compacted));
            }
            common.sort_by(js_order);
            Ok(Some(Value::Array(common)))
        }
        _ => Err(Problem {
            pointer: path.to_owned(),
            message: format!(
                "allOf cannot be merged: keyword `{key}` has different values {} and json-schema-merge-allof has no rule for it",
                compacted.iter().map(short).collect::<Vec<_>>().join(", ")
            ),
        }),
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The largest (`max`) or smallest number.
fn extreme(values: &[Value], max: bool) -> Option<Value> {
    let mut best: Option<&Value> = None;
    for v in values {
        let n = v.as_f64()?;
        let better = match best.and_then(Value::as_f64) {
            None => true,
            Some(b) => {
                if max {
                    n > b
                } else {
                    n < b
                }
            }
        };
        if better {
            best = Some(v);
        }
    }
    best.cloned()
}

/// lodash `sortBy(uniq(flattenDeep(values)))`.
fn string_array(values: &[Value]) -> Value {
    let mut flat: Vec<Value> = Vec::new();
    fn flatten(v: &Value, out: &mut Vec<Value>) {
        match v {
            Value::Array(a) => a.iter().for_each(|x| flatten(x, out)),
            other => {
                if !out.contains(other) {
                    out.push(other.clone());
                }
            }
        }
    }
    values.iter().for_each(|v| flatten(v, &mut flat));
    flat.sort_by(js_order);
    Value::Array(flat)
}

/// An ascending order close to lodash's `sortBy` for scalars: numbers by
/// value, strings by UTF-16 code units (the same as by code points for the
/// characters schemas use), other types after them.
fn js_order(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x.as_f64().unwrap_or(0.0).partial_cmp(&y.as_f64().unwrap_or(0.0)).unwrap_or(Ordering::Equal)
        }
        (Value::String(x), Value::String(y)) => x.encode_utf16().cmp(y.encode_utf16()),
        _ => Ordering::Equal,
    }
}

// ---------------------------------------------------------------------------
// Numeric bounds (json-schema-traverse 0.4.1's walk)

const TRAVERSE_SCHEMA: [&str; 6] =
    ["additionalItems", "items", "contains", "additionalProperties", "propertyNames", "not"];
const TRAVERSE_ARRAYS: [&str; 4] = ["items", "allOf", "anyOf", "oneOf"];
const TRAVERSE_PROPS: [&str; 4] = ["definitions", "properties", "patternProperties", "dependencies"];

/// Adds `minimum`/`maximum` = `bounds` to every `type: number|integer` node
/// that lacks them.
pub fn enforce_numeric_bounds(schema: &mut Value, bounds: (f64, f64)) {
    let Value::Object(map) = schema else { return };
    if matches!(map.kw("type").and_then(Value::as_str), Some("number" | "integer")) {
        if !map.has_kw("minimum") {
            map.insert("minimum".into(), number(bounds.0));
        }
        if !map.has_kw("maximum") {
            map.insert("maximum".into(), number(bounds.1));
        }
    }
    for (key, value) in map.iter_mut() {
        let key = key.as_str();
        match value {
            Value::Array(items) if TRAVERSE_ARRAYS.contains(&key) => {
                items.iter_mut().for_each(|i| enforce_numeric_bounds(i, bounds));
            }
            Value::Array(_) => {}
            Value::Object(children) if TRAVERSE_PROPS.contains(&key) => {
                children.values_mut().for_each(|c| enforce_numeric_bounds(c, bounds));
            }
            v if TRAVERSE_SCHEMA.contains(&key) => enforce_numeric_bounds(v, bounds),
            _ => {}
        }
    }
}

/// A bound as JSON: an integer when it is one (as YAML dumps it).
fn number(n: f64) -> Value {
    #[allow(clippy::cast_possible_truncation)]
    if n.fract() == 0.0 && n.abs() < 9.3e18 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

// ---------------------------------------------------------------------------
// Comparing

/// Whether two values are equal as JavaScript compares parsed JSON/YAML:
/// key order ignored, numbers by value; `required` and `enum` lists as sets.
#[must_use]
pub fn values_equal(a: &Value, b: &Value) -> bool {
    equal(a, b, None)
}

fn numbers_equal(x: &serde_json::Number, y: &serde_json::Number) -> bool {
    match (x.as_i64(), y.as_i64()) {
        (Some(a), Some(b)) => a == b,
        _ => match (x.as_u64(), y.as_u64()) {
            (Some(a), Some(b)) => a == b,
            _ => x.as_f64() == y.as_f64(),
        },
    }
}

fn set_key(key: Option<&str>) -> bool {
    matches!(key, Some("required" | "enum"))
}

fn equal(a: &Value, b: &Value, key: Option<&str>) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => numbers_equal(x, y),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w, Some(k))))
        }
        (Value::Array(x), Value::Array(y)) if set_key(key) => {
            x.iter().all(|v| y.iter().any(|w| equal(v, w, None)))
                && y.iter().all(|w| x.iter().any(|v| equal(v, w, None)))
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(v, w)| equal(v, w, None)),
        _ => a == b,
    }
}

/// One difference between two schemas.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// Where (a JSON pointer, `""` for the whole document).
    pub pointer: String,
    /// The left value (`None`: absent on the left).
    pub left: Option<Value>,
    /// The right value (`None`: absent on the right).
    pub right: Option<Value>,
}

/// Every difference between `left` and `right` (compared as
/// [`values_equal`] does), deepest first where both sides have the node.
#[must_use]
pub fn diff(left: &Value, right: &Value) -> Vec<Difference> {
    let mut out = Vec::new();
    walk_diff(left, right, None, &mut String::new(), &mut out);
    out
}

fn walk_diff(l: &Value, r: &Value, key: Option<&str>, at: &mut String, out: &mut Vec<Difference>) {
    match (l, r) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                let len = at.len();
                push_pointer(at, k);
                match y.get(k) {
                    Some(w) => walk_diff(v, w, Some(k), at, out),
                    None => out.push(Difference { pointer: at.clone(), left: Some(v.clone()), right: None }),
                }
                at.truncate(len);
            }
            let seen: HashSet<&String> = x.keys().collect();
            for (k, w) in y.iter().filter(|(k, _)| !seen.contains(k)) {
                let len = at.len();
                push_pointer(at, k);
                out.push(Difference { pointer: at.clone(), left: None, right: Some(w.clone()) });
                at.truncate(len);
            }
        }
        (Value::Array(x), Value::Array(y)) if !set_key(key) => {
            for i in 0..x.len().max(y.len()) {
                let len = at.len();
                push_pointer(at, &i.to_string());
                match (x.get(i), y.get(i)) {
                    (Some(v), Some(w)) => walk_diff(v, w, None, at, out),
                    (v, w) => out.push(Difference { pointer: at.clone(), left: v.cloned(), right: w.cloned() }),
                }
                at.truncate(len);
            }
        }
        _ => {
            if !equal(l, r, key) {
                out.push(Difference { pointer: at.clone(), left: Some(l.clone()), right: Some(r.clone()) });
            }
        }
    }
}

/// A value as compact JSON, cut to about 100 characters.
#[must_use]
pub fn short(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 100 {
        let cut: String = text.chars().take(97).collect();
        format!("{cut}…")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merges_all_of_like_json_schema_merge_allof() {
        let schema = json!({
            "title": "t", "$id": "/t/1.0.0", "type": "object", "required": ["b"],
            "allOf": [
                {"type": "object", "required": ["a", "$schema"], "properties": {
                    "a": {"type": "string"}, "m": {"type": "object", "additionalProperties": {}}}},
                {"properties": {"a": {"description": "A", "maxLength": 8}, "e": {"enum": ["x", "y"]}}},
                {"properties": {"e": {"enum": ["y", "x", "z"]}, "t": {"type": "object", "additionalProperties": true}}}
            ]
        });
        let merged = merge_all_of(schema).unwrap();
        assert_eq!(
            merged,
            json!({
                "title": "t", "$id": "/t/1.0.0", "type": "object", "required": ["$schema", "a", "b"],
                "properties": {
                    "a": {"type": "string", "description": "A", "maxLength": 8},
                    "m": {"type": "object"},
                    "e": {"enum": ["x", "y"]},
                    "t": {"type": "object", "additionalProperties": true}
                }
            })
        );
        let err = merge_all_of(json!({"allOf": [{"type": "string"}, {"type": "integer"}]})).unwrap_err();
        assert!(err.message.contains("`type`"), "{err:?}");
    }

    #[test]
    fn bounds_are_added_where_missing_only() {
        let mut s = json!({"type": "object", "properties": {
            "n": {"type": "integer", "minimum": 0},
            "l": {"type": "array", "items": {"type": "number"}}},
            "examples": [{"type": "integer"}]});
        enforce_numeric_bounds(&mut s, (-9_007_199_254_740_991.0, 9_007_199_254_740_991.0));
        assert_eq!(
            s["properties"]["n"],
            json!({"type": "integer", "minimum": 0, "maximum": 9_007_199_254_740_991_i64})
        );
        assert_eq!(s["properties"]["l"]["items"]["minimum"], json!(-9_007_199_254_740_991_i64));
        assert_eq!(s["examples"][0], json!({"type": "integer"}));
    }

    #[test]
    fn compares_as_values_and_names_pointers() {
        let a = json!({"required": ["a", "b"], "x": 1, "p": {"a/b": [1, 2]}});
        let b = json!({"p": {"a/b": [1, 3]}, "x": 1.0, "required": ["b", "a"], "y": true});
        assert!(!values_equal(&a, &b));
        let d = diff(&a, &b);
        let pointers: Vec<&str> = d.iter().map(|d| d.pointer.as_str()).collect();
        assert_eq!(pointers, ["/p/a~1b/1", "/y"]);
    }
}
