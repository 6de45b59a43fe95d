//! Robustness checks R1–R8 (schema-repos.md §4.2 and the checklist §(a)), per
//! schema file.
//!
//! Which files each check applies to follows jsonschema-tools 1.3.0: R2
//! (secure) and R3 (snake_case) run on every file, `current.yaml` included
//! (not dereferenced: its `$ref`s are not followed); the others run on
//! versioned files only, R6 only when the schema has `examples` and a
//! `$schema` property, R7 only when it has `examples`, R8 only when
//! `enforcedNumericBounds` is set. `skipSchemaTestCases` is matched against
//! the file's own `$id`, so it also skips the current file.
//!
//! Unlike jsonschema-tools, which stops at the first problem of a file, every
//! problem is reported, each with the file and the JSON pointer
//! (`/properties/test_obj/properties/b`), never `[object Object]`.
//!
//! Differences from jsonschema-tools' ajv 6:
//! - R1 validates against the draft-07 meta-schema with the `jsonschema`
//!   crate; ajv 6 also asserts the meta-schema's formats (`regex`,
//!   `uri-reference`), which the crate's meta-schema validator may not.
//! - R7 validates examples with epc's event validator (the `jsonschema`
//!   crate, draft-07, formats asserted to their RFCs), where ajv 6 uses its
//!   `'fast'` formats (which accept month 13 or hour 25), fails to compile on
//!   unknown formats, and reports only the first error.
//!
//! In [`Mode::Strict`] (the default), three more checks run: R9 (known
//! keywords) and R10 (`$schema` is draft-07) on every file, current included
//! (see [`super::keywords`]), and R11 (every `default` validates against its
//! own subschema, since EventGate writes defaults into events) on versioned
//! files. And two of jsonschema-tools' gaps are closed:
//! R3 also checks property names inside array `items` and map values
//! (`additionalProperties` schemas), and R4 fails an object whose
//! `additionalProperties` is `true` or an untyped schema (map values must be
//! typed, as the schema guidelines say).

use crate::repo_check::Keyword;
use rayon::prelude::*;
use serde_json::{Map, Value};

use super::discover::{Loaded, SchemaFile};
use super::keywords;
use super::{CaseResult, CaseStatus, CheckId, Context, Mode};
use crate::validate::EventValidator;

/// jsonschema-tools' snake_case rule for property names.
const SNAKE_CASE: &str = "^[$a-z]+[a-z0-9_]*$";

/// Runs R1–R8 on every loaded schema file.
#[must_use]
pub fn check(ctx: &Context) -> Vec<CaseResult> {
    let snake = regex::Regex::new(SNAKE_CASE).expect("the snake_case regex compiles");
    ctx.files.par_iter().flat_map_iter(|f| check_file(ctx, f, &snake)).collect()
}

fn check_file(ctx: &Context, file: &SchemaFile, snake: &regex::Regex) -> Vec<CaseResult> {
    let Ok(loaded) = &file.loaded else { return Vec::new() };
    let subject = file.relative.display().to_string();
    let schema = &loaded.value;
    let versioned = !file.is_current;
    let strict = ctx.mode == Mode::Strict;
    let has_examples = schema.kw("examples").is_some();
    let has_schema_property = schema.kw("properties").and_then(|p| p.get("$schema")).is_some();
    let mut out = Vec::new();
    let mut run = |check: CheckId, applies: bool, findings: &dyn Fn() -> Vec<Finding>| {
        if !applies {
            return;
        }
        if let Some(rule) = ctx.skipped_by(check, &loaded.id) {
            out.push(CaseResult {
                check,
                subject: subject.clone(),
                status: CaseStatus::Skip,
                messages: vec![rule],
                line: None,
            });
            return;
        }
        let messages = findings().into_iter().map(|f| f.message(&subject)).collect();
        out.push(CaseResult::from_messages(check, subject.clone(), messages));
    };
    run(CheckId::R1, versioned, &|| valid_draft7(schema));
    run(CheckId::R2, true, &|| secure(schema));
    run(CheckId::R3, true, &|| snake_case(schema, snake, strict));
    run(CheckId::R4, versioned, &|| deterministic_types(schema, strict));
    run(CheckId::R5, versioned, &|| required_exist(schema));
    run(CheckId::R6, versioned && has_examples && has_schema_property, &|| examples_schema_is_id(loaded));
    run(CheckId::R7, versioned && has_examples, &|| examples_validate(ctx, file, loaded));
    if let Some(bounds) = ctx.config.numeric_bounds {
        run(CheckId::R8, versioned, &|| numeric_bounds(schema, bounds));
    }
    run(CheckId::R9, strict, &|| keywords::unknown_keywords(schema));
    run(CheckId::R10, strict, &|| keywords::draft_07(schema));
    run(CheckId::R11, strict && versioned, &|| defaults_validate(schema));
    out
}

/// One problem: where in the schema (a JSON pointer), and what.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Finding {
    pub(crate) pointer: String,
    pub(crate) text: String,
}

impl Finding {
    pub(crate) fn new(pointer: &str, text: impl Into<String>) -> Self {
        Self { pointer: pointer.to_owned(), text: text.into() }
    }

    fn message(&self, file: &str) -> String {
        let at = if self.pointer.is_empty() { "(root)" } else { self.pointer.as_str() };
        format!("{file}: {at}: {}", self.text)
    }
}

/// `pointer` extended by one reference token, escaped as RFC 6901 says.
pub(crate) fn push(pointer: &str, token: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + 1 + token.len());
    out.push_str(pointer);
    out.push('/');
    if token.contains(['~', '/']) {
        out.push_str(&token.replace('~', "~0").replace('/', "~1"));
    } else {
        out.push_str(token);
    }
    out
}

/// A value as short JSON for a message.
pub(crate) fn show(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 80 { format!("{}…", text.chars().take(79).collect::<String>()) } else { text }
}

/// R1: the schema is a valid draft-07 schema (against the draft-07 meta-schema).
fn valid_draft7(schema: &Value) -> Vec<Finding> {
    let validator = jsonschema::draft7::meta::validator();
    validator
        .iter_errors(schema)
        .map(|e| Finding::new(&e.instance_path().to_string(), format!("not valid draft-07: {e}")))
        .collect()
}

/// R2: ajv's `json-schema-secure` meta-schema, rule by rule: `format` and
/// `pattern` need `maxLength`; `patternProperties` needs
/// `propertyNames.maxLength`; `uniqueItems: true` needs `maxItems` unless the
/// items are known to be scalars; and `allOf`/`anyOf`/`oneOf` must be
/// non-empty lists. It walks the schema keywords the meta-schema walks
/// (never `examples`, `enum`, `const` or `default`).
fn secure(schema: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    secure_node(schema, "", &mut out);
    out
}

fn secure_node(node: &Value, ptr: &str, out: &mut Vec<Finding>) {
    let Value::Object(m) = node else { return };
    for keyword in ["format", "pattern"] {
        if m.has_kw(keyword) && !m.has_kw("maxLength") {
            out.push(Finding::new(
                ptr,
                format!("`{keyword}` without `maxLength`: insecure (slow validation of long strings; jsonschema-tools: should have required property '.maxLength')"),
            ));
        }
    }
    if m.has_kw("patternProperties") {
        match m.kw("propertyNames") {
            None => out.push(Finding::new(
                ptr,
                "`patternProperties` without `propertyNames`: insecure (needs `propertyNames` with `maxLength`)",
            )),
            Some(Value::Object(names)) if !names.has_kw("maxLength") => out.push(Finding::new(
                &push(ptr, "propertyNames"),
                "`propertyNames` without `maxLength` next to `patternProperties`: insecure",
            )),
            Some(_) => {}
        }
    }
    if m.kw("uniqueItems") == Some(&Value::Bool(true)) && !m.has_kw("maxItems") && non_scalar_items(m.kw("items")) {
        out.push(Finding::new(
            ptr,
            "`uniqueItems` on items that may be objects or arrays without `maxItems`: insecure (slow uniqueness checks)",
        ));
    }
    for keyword in ["additionalItems", "additionalProperties", "propertyNames", "not", "contains", "if", "then", "else"]
    {
        if let Some(sub) = m.kw(keyword) {
            secure_node(sub, &push(ptr, keyword), out);
        }
    }
    for keyword in ["properties", "patternProperties", "definitions"] {
        if let Some(Value::Object(subs)) = m.kw(keyword) {
            let base = push(ptr, keyword);
            for (k, sub) in subs {
                secure_node(sub, &push(&base, k), out);
            }
        }
    }
    if let Some(Value::Object(deps)) = m.kw("dependencies") {
        let base = push(ptr, "dependencies");
        for (k, sub) in deps {
            secure_node(sub, &push(&base, k), out);
        }
    }
    match m.kw("items") {
        Some(Value::Array(items)) => {
            let base = push(ptr, "items");
            for (i, sub) in items.iter().enumerate() {
                secure_node(sub, &push(&base, &i.to_string()), out);
            }
        }
        Some(sub) => secure_node(sub, &push(ptr, "items"), out),
        None => {}
    }
    for keyword in ["allOf", "anyOf", "oneOf"] {
        match m.kw(keyword) {
            None => {}
            Some(Value::Array(subs)) if !subs.is_empty() => {
                let base = push(ptr, keyword);
                for (i, sub) in subs.iter().enumerate() {
                    secure_node(sub, &push(&base, &i.to_string()), out);
                }
            }
            Some(_) => out.push(Finding::new(&push(ptr, keyword), format!("`{keyword}` must be a non-empty list"))),
        }
    }
}

/// The secure meta-schema's `if`: `items` is absent, not a schema object, has
/// no `type`, or its `type` is (or lists) `object` or `array`.
fn non_scalar_items(items: Option<&Value>) -> bool {
    let Some(Value::Object(items)) = items else { return true };
    let structured = |t: &Value| matches!(t.as_str(), Some("object" | "array"));
    match items.kw("type") {
        None => true,
        Some(Value::Array(types)) => types.iter().any(structured),
        Some(t) => structured(t),
    }
}

/// R3: every key under `properties`, reached through `properties` and
/// `allOf` (and in strict mode also array `items` and `additionalProperties`
/// schemas), matches `^[$a-z]+[a-z0-9_]*$`.
fn snake_case(schema: &Value, snake: &regex::Regex, strict: bool) -> Vec<Finding> {
    let mut out = Vec::new();
    snake_node(schema, "", snake, strict, &mut out);
    out
}

fn snake_node(node: &Value, ptr: &str, snake: &regex::Regex, strict: bool, out: &mut Vec<Finding>) {
    let Value::Object(m) = node else { return };
    if let Some(Value::Array(all)) = m.kw("allOf") {
        let base = push(ptr, "allOf");
        for (i, sub) in all.iter().enumerate() {
            snake_node(sub, &push(&base, &i.to_string()), snake, strict, out);
        }
    }
    if let Some(Value::Object(props)) = m.kw("properties") {
        let base = push(ptr, "properties");
        for (name, sub) in props {
            let here = push(&base, name);
            if !snake.is_match(name) {
                out.push(Finding::new(&here, format!("property `{name}` is not snake_case (must match {SNAKE_CASE})")));
            }
            snake_node(sub, &here, snake, strict, out);
        }
    }
    if strict {
        match m.kw("items") {
            Some(Value::Array(items)) => {
                let base = push(ptr, "items");
                for (i, sub) in items.iter().enumerate() {
                    snake_node(sub, &push(&base, &i.to_string()), snake, strict, out);
                }
            }
            Some(sub) => snake_node(sub, &push(ptr, "items"), snake, strict, out),
            None => {}
        }
        if let Some(sub) = m.kw("additionalProperties") {
            snake_node(sub, &push(ptr, "additionalProperties"), snake, strict, out);
        }
    }
}

/// A value JavaScript would treat as true (`node.properties || …`).
fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null | Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(_) => true,
    }
}

/// R4: deterministic types, as jsonschema-tools' `assertDeterministicTypes`.
fn deterministic_types(schema: &Value, strict: bool) -> Vec<Finding> {
    let mut out = Vec::new();
    types_node(schema, "", strict, &mut out);
    out
}

fn types_node(node: &Value, ptr: &str, strict: bool, out: &mut Vec<Finding>) {
    let Value::Object(m) = node else { return };
    let ty = m.kw("type");
    if matches!(ty, Some(Value::Array(_))) {
        out.push(Finding::new(ptr, format!("polymorphic type {} (a union of types)", show(&m["type"]))));
    }
    if let Some(Value::Array(values)) = m.kw("enum")
        && values.iter().any(Value::is_null)
    {
        out.push(Finding::new(ptr, "enum has a null value (a nullable, so non-deterministic, type)"));
    }
    match ty.and_then(Value::as_str) {
        Some("array") => {
            let items = m.kw("items");
            if !truthy(items.and_then(|i| i.kw("type"))) {
                out.push(Finding::new(ptr, "array type must specify `items.type`"));
            }
            if let Some(items) = items {
                types_node(items, &push(ptr, "items"), strict, out);
            }
        }
        Some("object") => {
            let has_schema = truthy(m.kw("properties")) || truthy(m.kw("oneOf")) || truthy(m.kw("allOf"));
            let additional = m.kw("additionalProperties");
            if !has_schema && !truthy(additional) {
                out.push(Finding::new(ptr, "object type must specify `properties` or `additionalProperties`"));
            }
            if truthy(additional) {
                let here = push(ptr, "additionalProperties");
                if strict {
                    match additional {
                        Some(Value::Bool(true)) => out.push(Finding::new(
                            &here,
                            "`additionalProperties: true` accepts values of any type; give map values a typed schema",
                        )),
                        Some(Value::Object(a)) if !truthy(a.kw("type")) => {
                            out.push(Finding::new(&here, "map values have no `type`"));
                        }
                        _ => {}
                    }
                }
                if let Some(additional) = additional {
                    types_node(additional, &here, strict, out);
                }
            }
        }
        _ => {}
    }
    if let Some(Value::Object(props)) = m.kw("properties") {
        let base = push(ptr, "properties");
        for (name, sub) in props {
            let here = push(&base, name);
            if !truthy(sub.kw("type")) {
                out.push(Finding::new(&here, "missing type"));
            }
            types_node(sub, &here, strict, out);
        }
    }
    if let Some(Value::Array(all)) = m.kw("allOf") {
        let base = push(ptr, "allOf");
        for (i, sub) in all.iter().enumerate() {
            types_node(sub, &push(&base, &i.to_string()), strict, out);
        }
    }
    if let Some(Value::Array(alternatives)) = m.kw("oneOf")
        && let Some(first) = alternatives.first()
    {
        let base = push(ptr, "oneOf");
        let first_type = first.kw("type");
        if alternatives.iter().any(|s| s.kw("type") != first_type) {
            out.push(Finding::new(&base, "oneOf contains schemas with different types"));
        } else if first_type.and_then(Value::as_str) == Some("object") {
            let set = |s: &Value| -> Option<std::collections::BTreeSet<String>> {
                s.kw("required")?.as_array().map(|r| r.iter().map(Value::to_string).collect())
            };
            let shape = set(first);
            if alternatives.iter().any(|s| set(s).is_none() || set(s) != shape) {
                out.push(Finding::new(
                    &base,
                    "oneOf contains object schemas with different (or missing) `required` lists",
                ));
            }
        }
        for (i, sub) in alternatives.iter().enumerate() {
            types_node(sub, &push(&base, &i.to_string()), strict, out);
        }
    }
}

/// R5: every name in a `required` list is a property, recursing through `properties`.
fn required_exist(schema: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    required_node(schema, "", &mut out);
    out
}

fn required_node(node: &Value, ptr: &str, out: &mut Vec<Finding>) {
    let Value::Object(m) = node else { return };
    let props = m.kw("properties");
    let base = push(ptr, "properties");
    if truthy(m.kw("required")) {
        if truthy(props) {
            for name in m["required"].as_array().into_iter().flatten() {
                let name_text = name.as_str().map_or_else(|| name.to_string(), str::to_owned);
                if !truthy(props.and_then(|p| p.get(&name_text))) {
                    out.push(Finding::new(&push(&base, &name_text), "is required but does not exist"));
                }
            }
        } else {
            out.push(Finding::new(&base, "must exist: the schema has a `required` list but no `properties`"));
        }
    }
    if let Some(Value::Object(props)) = props {
        for (name, sub) in props {
            required_node(sub, &push(&base, name), out);
        }
    }
}

/// R6: each example's `$schema` equals the schema's `$id`.
fn examples_schema_is_id(loaded: &Loaded) -> Vec<Finding> {
    let Some(Value::Array(examples)) = loaded.value.kw("examples") else {
        return vec![Finding::new("/examples", "`examples` must be a list")];
    };
    examples
        .iter()
        .enumerate()
        .filter(|(_, e)| e.get("$schema").and_then(Value::as_str) != Some(loaded.id.as_str()))
        .map(|(i, e)| {
            let found = e.get("$schema").map_or_else(|| "nothing".to_owned(), show);
            Finding::new(
                &format!("/examples/{i}/$schema"),
                format!("example {i} $schema is {found}, but the schema's $id is \"{}\"", loaded.id),
            )
        })
        .collect()
}

/// R7: each example validates against the (materialized) schema.
fn examples_validate(ctx: &Context, file: &SchemaFile, loaded: &Loaded) -> Vec<Finding> {
    let Some(Value::Array(examples)) = loaded.value.kw("examples") else {
        return vec![Finding::new("/examples", "`examples` must be a list")];
    };
    let mut validator = EventValidator::new(std::sync::Arc::clone(&ctx.resolver), None).validate_only();
    if let Err(e) = validator.force_schema(&file.path.to_string_lossy()) {
        return vec![Finding::new("", format!("the schema does not compile, so its examples cannot be checked: {e}"))];
    }
    let mut out = Vec::new();
    for (i, example) in examples.iter().enumerate() {
        let report = validator.validate(example);
        if report.violations.is_empty() {
            continue;
        }
        let reasons: Vec<String> = report
            .violations
            .iter()
            .map(|v| {
                let at = if v.instance_path.is_empty() { "(root)" } else { v.instance_path.as_str() };
                format!("{at}: {}", v.message)
            })
            .collect();
        out.push(Finding::new(
            &format!("/examples/{i}"),
            format!("example {i} does not validate against the schema: {}", reasons.join("; ")),
        ));
    }
    out
}

/// R11: every `default` in a schema position ([`keywords::walk`]) validates
/// against the subschema that holds it. The subschema is compiled on its own
/// as epc's event validator compiles schemas (`src/validate.rs`: the
/// `jsonschema` crate, draft-07, formats asserted), with the document's
/// `definitions` beside it so that local `#/definitions/…` references
/// resolve; a versioned file is dereferenced, so it has no other `$ref`. A
/// subschema that does not compile is left to R1.
fn defaults_validate(schema: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    keywords::walk(schema, "", &mut |m, ptr| {
        let Some(default) = m.kw("default") else { return };
        let mut sub = m.clone();
        sub.shift_remove("$id");
        sub.shift_remove("$schema");
        if let (false, Some(defs)) = (sub.has_kw("definitions"), schema.kw("definitions")) {
            sub.insert("definitions".to_owned(), defs.clone());
        }
        let Ok(validator) = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .should_validate_formats(true)
            .build(&Value::Object(sub))
        else {
            return;
        };
        let reasons: Vec<String> = validator
            .iter_errors(default)
            .map(|e| {
                let at = e.instance_path().to_string();
                let at = if at.is_empty() { "(root)".to_owned() } else { at };
                format!("{at}: {e}")
            })
            .collect();
        if !reasons.is_empty() {
            out.push(Finding::new(
                &push(ptr, "default"),
                format!(
                    "`default` {} does not validate against its own schema (EventGate writes it into events): {}",
                    show(default),
                    reasons.join("; ")
                ),
            ));
        }
    });
    out
}

/// R8: every schema with `type: number` or `integer` (found by walking the
/// keywords json-schema-traverse 0.4 walks) has numeric `minimum` and
/// `maximum` within `enforcedNumericBounds`.
fn numeric_bounds(schema: &Value, bounds: (f64, f64)) -> Vec<Finding> {
    let mut out = Vec::new();
    bounds_node(schema, "", bounds, &mut out);
    out
}

fn bounds_node(node: &Value, ptr: &str, (lo, hi): (f64, f64), out: &mut Vec<Finding>) {
    let Value::Object(m) = node else { return };
    if matches!(m.kw("type").and_then(Value::as_str), Some("number" | "integer")) {
        match m.kw("minimum").and_then(Value::as_f64) {
            None => out.push(Finding::new(ptr, "numeric field has no numeric `minimum`")),
            Some(min) if min < lo => out.push(Finding::new(
                &push(ptr, "minimum"),
                format!("`minimum` {} is lower than the enforcedNumericBounds minimum {}", m["minimum"], number(lo)),
            )),
            Some(_) => {}
        }
        match m.kw("maximum").and_then(Value::as_f64) {
            None => out.push(Finding::new(ptr, "numeric field has no numeric `maximum`")),
            Some(max) if max > hi => out.push(Finding::new(
                &push(ptr, "maximum"),
                format!("`maximum` {} is higher than the enforcedNumericBounds maximum {}", m["maximum"], number(hi)),
            )),
            Some(_) => {}
        }
    }
    traverse_children(m, ptr, &mut |sub, here| bounds_node(sub, here, (lo, hi), out));
}

/// A bound as JavaScript prints it (no `.0` on whole numbers).
fn number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e17 {
        #[allow(clippy::cast_possible_truncation)]
        let i = f as i64;
        i.to_string()
    } else {
        f.to_string()
    }
}

/// The sub-schemas json-schema-traverse 0.4 visits.
fn traverse_children(m: &Map<String, Value>, ptr: &str, visit: &mut dyn FnMut(&Value, &str)) {
    for (key, sub) in m {
        match key.as_str() {
            "additionalItems" | "contains" | "additionalProperties" | "propertyNames" | "not" => {
                visit(sub, &push(ptr, key));
            }
            "items" | "allOf" | "anyOf" | "oneOf" => match sub {
                Value::Array(list) => {
                    let base = push(ptr, key);
                    for (i, s) in list.iter().enumerate() {
                        visit(s, &push(&base, &i.to_string()));
                    }
                }
                other if key == "items" => visit(other, &push(ptr, key)),
                _ => {}
            },
            "definitions" | "properties" | "patternProperties" | "dependencies" => {
                if let Value::Object(subs) = sub {
                    let base = push(ptr, key);
                    for (k, s) in subs {
                        visit(s, &push(&base, k));
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pointers(findings: &[Finding]) -> Vec<&str> {
        findings.iter().map(|f| f.pointer.as_str()).collect()
    }

    #[test]
    fn secure_rules() {
        let s = json!({"properties": {
            "a": {"type": "string", "format": "uri"},
            "b": {"type": "string", "pattern": "x", "maxLength": 3},
            "c": {"type": "object", "patternProperties": {"^x": {"type": "string"}}},
            "d": {"type": "array", "uniqueItems": true, "items": {"type": "object"}},
            "e": {"type": "array", "uniqueItems": true, "items": {"type": "string"}},
        }, "examples": [{"format": "x"}]});
        assert_eq!(pointers(&secure(&s)), ["/properties/a", "/properties/c", "/properties/d"]);
    }

    #[test]
    fn snake_case_and_strict_items() {
        let re = regex::Regex::new(SNAKE_CASE).unwrap();
        let s = json!({"allOf": [{"properties": {"okName": {"type": "string"}}}], "properties": {
            "list": {"type": "array", "items": {"type": "object", "properties": {"camelCase": {"type": "string"}}}},
            "map": {"type": "object", "additionalProperties": {"type": "object", "properties": {"Bad": {"type": "string"}}}},
        }});
        assert_eq!(pointers(&snake_case(&s, &re, false)), ["/allOf/0/properties/okName"]);
        assert_eq!(
            pointers(&snake_case(&s, &re, true)),
            [
                "/allOf/0/properties/okName",
                "/properties/list/items/properties/camelCase",
                "/properties/map/additionalProperties/properties/Bad"
            ]
        );
    }

    #[test]
    fn deterministic_types_rules() {
        let s = json!({"type": "object", "properties": {
            "u": {"type": ["string", "null"]},
            "n": {"type": "string", "enum": ["a", null]},
            "a": {"type": "array"},
            "o": {"type": "object"},
            "d": {"description": "no type"},
            "m": {"type": "object", "additionalProperties": true},
            "ok": {"type": "object", "additionalProperties": {"type": "string"}},
        }});
        let lax = deterministic_types(&s, false);
        assert_eq!(
            pointers(&lax),
            ["/properties/u", "/properties/n", "/properties/a", "/properties/o", "/properties/d"]
        );
        let strict = deterministic_types(&s, true);
        assert!(pointers(&strict).contains(&"/properties/m/additionalProperties"));
    }

    #[test]
    fn required_and_bounds() {
        let s = json!({"type": "object", "required": ["a"], "properties": {"a": {"type": "object", "required": ["b"], "properties": {"c": {"type": "integer", "minimum": 0, "maximum": 1e16}}}}});
        assert_eq!(pointers(&required_exist(&s)), ["/properties/a/properties/b"]);
        let b = numeric_bounds(&s, (-9_007_199_254_740_991.0, 9_007_199_254_740_991.0));
        assert_eq!(pointers(&b), ["/properties/a/properties/c/maximum"]);
        assert!(b[0].text.contains("9007199254740991"), "{}", b[0].text);
    }

    #[test]
    fn draft7_validity() {
        assert!(valid_draft7(&json!({"type": "string"})).is_empty());
        let bad = valid_draft7(&json!({"properties": {"x": {"type": "strng"}}}));
        assert!(bad.iter().any(|f| f.pointer == "/properties/x/type"), "{bad:?}");
    }
}
