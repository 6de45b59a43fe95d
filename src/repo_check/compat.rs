//! Compatibility check C1 (schema-repos.md §4.2): consecutive versions within
//! a major version, plus, in strict mode, the narrowing jsonschema-tools misses.
//!
//! Versioned files of the primary content type (`contentTypes[0]`) are grouped
//! by `title` and by the major version of their `$id`, sorted by version, and
//! each version is compared with the one before it (`current.yaml` is not
//! compared, nor are versions across majors). `skipSchemaTestCases` is matched
//! against the newer version's `$id`.
//!
//! The comparison is jsonschema-tools 1.3.0's `assertCompatible(new, old)`: it
//! walks only the old schema's keys; `$id`, `description`, `examples` and
//! `maxLength` are skipped at any depth; `required` must list the same names
//! (and may not disappear); `enum` must be a superset (and may not disappear);
//! every other old key must still exist with the same JSON type, and scalars
//! must be equal. Every difference is reported (jsonschema-tools stops at the
//! first), as a JSON pointer (`/properties/referrer/type`).
//!
//! Because only old keys are walked, narrowing is invisible to jsonschema-tools:
//! an `enum`, `pattern`, bound or `required` list added to an existing field or
//! object. [`Mode::Strict`] (the default) reports those too: `enum`/`const`
//! added; `pattern` added; `maximum`, `exclusiveMaximum`, `maxLength`,
//! `maxItems`, `maxProperties` added or (for `maxLength`, which
//! jsonschema-tools 1.3.0 lets change freely) decreased; `minimum`,
//! `exclusiveMinimum`, `minLength`, `minItems`, `minProperties` added;
//! `required` added to an object that had none; and a property whose name is
//! one of the skipped keys (`description`, …) removed. Strict mode walks the
//! schema keywords (so `properties` maps are property names, not keywords).

use crate::repo_check::Keyword;
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::robustness::{push, show};
use super::{CaseResult, CaseStatus, CheckId, Context, Mode};
use crate::schema::SchemaVersion;

/// Keys jsonschema-tools 1.3.0 lets change at any depth (`FIELDS_ALLOWED_TO_CHANGE`).
const ALLOWED_TO_CHANGE: [&str; 4] = ["$id", "description", "examples", "maxLength"];

/// Runs C1 on every pair of consecutive versions within a major version.
#[must_use]
pub fn check(ctx: &Context) -> Vec<CaseResult> {
    let primary = ctx.config.content_types.first().map_or("yaml", String::as_str);
    let mut groups: BTreeMap<(&str, u64), Vec<(SchemaVersion, &super::SchemaFile)>> = BTreeMap::new();
    for f in &ctx.files {
        if f.is_current || f.content_type != primary {
            continue;
        }
        let Ok(l) = &f.loaded else { continue };
        let Some(v) = l.version else { continue };
        groups.entry((l.title.as_str(), v.major)).or_default().push((v, f));
    }
    let mut out = Vec::new();
    for ((title, _), mut files) in groups {
        files.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.relative.cmp(&b.1.relative)));
        for pair in files.windows(2) {
            let ((old_v, old_f), (new_v, new_f)) = (pair[0], pair[1]);
            let (Ok(old), Ok(new)) = (&old_f.loaded, &new_f.loaded) else { continue };
            let subject = format!("{title} {old_v} → {new_v}");
            if let Some(rule) = ctx.skipped_by(CheckId::C1, &new.id) {
                out.push(CaseResult {
                    check: CheckId::C1,
                    subject,
                    status: CaseStatus::Skip,
                    messages: vec![rule],
                    line: None,
                });
                continue;
            }
            let mut findings = Vec::new();
            compatible(&new.value, &old.value, "", &mut findings);
            if ctx.mode == Mode::Strict {
                narrowing(&new.value, &old.value, "", &mut findings);
            }
            let file = new_f.relative.display();
            let messages = findings
                .into_iter()
                .map(|(ptr, text)| {
                    let at = if ptr.is_empty() { "(root)".to_owned() } else { ptr };
                    format!("{subject} ({file}): {at}: {text}")
                })
                .collect();
            out.push(CaseResult::from_messages(CheckId::C1, subject, messages));
        }
    }
    out
}

/// `(pointer, message)`.
type Finding = (String, String);

/// The JSON type as jsonschema-tools compares it (`typeof` plus `Array.isArray`).
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// JavaScript `===` on scalars (numbers by value: `1` equals `1.0`).
fn same_scalar(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// The old path as jsonschema-tools prints it (`.properties.referrer`).
fn jt_path(ptr: &str) -> String {
    ptr.split('/').skip(1).map(|t| format!(".{}", t.replace("~1", "/").replace("~0", "~"))).collect()
}

fn truthy(v: Option<&Value>) -> bool {
    !matches!(v, None | Some(Value::Null | Value::Bool(false)))
}

/// jsonschema-tools' `assertCompatible(new, old, path)`, collecting every problem.
fn compatible(new: &Value, old: &Value, ptr: &str, out: &mut Vec<Finding>) {
    if kind(new) != kind(old) {
        out.push((
            ptr.to_owned(),
            format!("changed from {} to {} (jsonschema-tools: Error at path: {})", show(old), show(new), jt_path(ptr)),
        ));
        return;
    }
    match (old, new) {
        (Value::Object(om), Value::Object(nm)) => {
            for (key, ov) in om {
                if ALLOWED_TO_CHANGE.contains(&key.as_str()) {
                    continue;
                }
                match key.as_str() {
                    "required" => required_compatible(nm.kw("required"), ov, &push(ptr, key), out),
                    "enum" => enum_compatible(nm.kw("enum"), ov, ptr, out),
                    _ => match nm.kw(key) {
                        Some(nv) => compatible(nv, ov, &push(ptr, key), out),
                        None => {
                            let here = push(ptr, key);
                            let jt = jt_path(&here);
                            out.push((here, format!("removed (jsonschema-tools: Error at path: {jt})")));
                        }
                    },
                }
            }
        }
        (Value::Array(oa), Value::Array(na)) => {
            for (i, ov) in oa.iter().enumerate() {
                let here = push(ptr, &i.to_string());
                match na.get(i) {
                    Some(nv) => compatible(nv, ov, &here, out),
                    None => {
                        let jt = jt_path(&here);
                        out.push((here, format!("item {i} removed (jsonschema-tools: Error at path: {jt})")));
                    }
                }
            }
        }
        _ => {
            if !same_scalar(new, old) {
                out.push((
                    ptr.to_owned(),
                    format!(
                        "changed from {} to {} (jsonschema-tools: Error at path: {})",
                        show(old),
                        show(new),
                        jt_path(ptr)
                    ),
                ));
            }
        }
    }
}

fn names(v: &Value) -> Option<Vec<String>> {
    let mut names: Vec<String> =
        v.as_array()?.iter().map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned)).collect();
    names.sort();
    Some(names)
}

fn required_compatible(new: Option<&Value>, old: &Value, ptr: &str, out: &mut Vec<Finding>) {
    let jt = jt_path(ptr);
    let Some(new) = new.filter(|n| truthy(Some(n))) else {
        if truthy(Some(old)) {
            out.push((
                ptr.to_owned(),
                format!(
                    "the `required` list {} was removed (jsonschema-tools: Removed list of required properties at: {jt})",
                    show(old)
                ),
            ));
        }
        return;
    };
    match (names(new), names(old)) {
        (Some(n), Some(o)) if n == o => {}
        (Some(n), Some(o)) => {
            let added: Vec<&String> = n.iter().filter(|x| !o.contains(x)).collect();
            let removed: Vec<&String> = o.iter().filter(|x| !n.contains(x)).collect();
            let mut what = Vec::new();
            if !added.is_empty() {
                what.push(format!("now required: {added:?}"));
            }
            if !removed.is_empty() {
                what.push(format!("no longer required: {removed:?}"));
            }
            if what.is_empty() {
                what.push(format!("{} became {}", show(old), show(new)));
            }
            out.push((
                ptr.to_owned(),
                format!(
                    "requiredness changed within a major version: {} (jsonschema-tools: Requiredness of properties cannot be modified at: {jt})",
                    what.join("; ")
                ),
            ));
        }
        _ if new == old => {}
        _ => out.push((
            ptr.to_owned(),
            format!(
                "changed from {} to {} (jsonschema-tools: Requiredness of properties cannot be modified at: {jt})",
                show(old),
                show(new)
            ),
        )),
    }
}

fn enum_compatible(new: Option<&Value>, old: &Value, ptr: &str, out: &mut Vec<Finding>) {
    let jt = jt_path(ptr);
    let Some(new) = new.filter(|n| truthy(Some(n))) else {
        if truthy(Some(old)) {
            out.push((
                ptr.to_owned(),
                format!("the enum {} was removed (jsonschema-tools: Removed enum at: {jt})", show(old)),
            ));
        }
        return;
    };
    let (Value::Array(o), Value::Array(n)) = (old, new) else {
        if old != new {
            out.push((ptr.to_owned(), format!("enum changed from {} to {}", show(old), show(new))));
        }
        return;
    };
    let missing: Vec<String> = o.iter().filter(|e| !n.iter().any(|x| same_scalar(x, e))).map(show).collect();
    if !missing.is_empty() {
        out.push((
            ptr.to_owned(),
            format!(
                "the enum is not a superset of the old enum: removed {} (jsonschema-tools: New enum is not superset of old enum at: {jt})",
                missing.join(", ")
            ),
        ));
    }
}

const STRICT_NOTE: &str =
    "narrowing within a major version; jsonschema-tools does not catch it (--jsonschema-tools-compat allows it)";

/// Strict mode: narrowing jsonschema-tools' walk cannot see (see the module documentation).
fn narrowing(new: &Value, old: &Value, ptr: &str, out: &mut Vec<Finding>) {
    let (Value::Object(nm), Value::Object(om)) = (new, old) else { return };
    for key in ["enum", "const", "pattern"] {
        if let (None, Some(v)) = (om.kw(key), nm.kw(key)) {
            out.push((push(ptr, key), format!("`{key}` {} added to an existing field ({STRICT_NOTE})", show(v))));
        }
    }
    for key in ["maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"] {
        match (om.kw(key).and_then(Value::as_f64), nm.kw(key)) {
            (None, Some(v)) if !om.has_kw(key) => {
                out.push((push(ptr, key), format!("`{key}: {v}` added to an existing field ({STRICT_NOTE})")));
            }
            // Other bounds changes are already "changed from … to …" (jsonschema-tools compares them).
            (Some(o), Some(v)) if key == "maxLength" && v.as_f64().is_some_and(|n| n < o) => {
                out.push((push(ptr, key), format!("`maxLength` decreased from {} to {v} ({STRICT_NOTE})", om[key])));
            }
            _ => {}
        }
    }
    for key in ["minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"] {
        if let (None, Some(v)) = (om.kw(key), nm.kw(key)) {
            out.push((push(ptr, key), format!("`{key}: {v}` added to an existing field ({STRICT_NOTE})")));
        }
    }
    if !om.has_kw("required")
        && let Some(Value::Array(r)) = nm.kw("required")
        && !r.is_empty()
    {
        out.push((
            push(ptr, "required"),
            format!("`required: {}` added to an existing object ({STRICT_NOTE})", show(&nm["required"])),
        ));
    }
    if let (Some(Value::Object(op)), Some(Value::Object(np))) = (om.kw("properties"), nm.kw("properties")) {
        let base = push(ptr, "properties");
        for name in op.keys() {
            if ALLOWED_TO_CHANGE.contains(&name.as_str()) && !np.contains_key(name) {
                out.push((
                    push(&base, name),
                    format!("property `{name}` removed (jsonschema-tools skips keys named `{name}` at any depth, so it does not catch this)"),
                ));
            }
        }
    }
    each_subschema_pair(nm, om, ptr, &mut |n, o, here| narrowing(n, o, here, out));
}

/// Calls `visit(new, old, pointer)` for every sub-schema present in both.
fn each_subschema_pair(
    nm: &Map<String, Value>,
    om: &Map<String, Value>,
    ptr: &str,
    visit: &mut dyn FnMut(&Value, &Value, &str),
) {
    for (key, ov) in om {
        let Some(nv) = nm.kw(key) else { continue };
        let here = push(ptr, key);
        match key.as_str() {
            "additionalItems"
            | "additionalProperties"
            | "propertyNames"
            | "not"
            | "contains"
            | "if"
            | "then"
            | "else" => visit(nv, ov, &here),
            "items" | "allOf" | "anyOf" | "oneOf" => match (ov, nv) {
                (Value::Array(oa), Value::Array(na)) => {
                    for (i, (o, n)) in oa.iter().zip(na).enumerate() {
                        visit(n, o, &push(&here, &i.to_string()));
                    }
                }
                _ if key == "items" => visit(nv, ov, &here),
                _ => {}
            },
            "properties" | "patternProperties" | "definitions" | "dependencies" => {
                if let (Value::Object(os), Value::Object(ns)) = (ov, nv) {
                    for (name, o) in os {
                        if let Some(n) = ns.get(name) {
                            visit(n, o, &push(&here, name));
                        }
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

    fn run(new: &Value, old: &Value, strict: bool) -> Vec<String> {
        let mut out = Vec::new();
        compatible(new, old, "", &mut out);
        if strict {
            narrowing(new, old, "", &mut out);
        }
        out.into_iter().map(|(p, _)| p).collect()
    }

    fn base() -> Value {
        json!({"$id": "/x/1.0.0", "type": "object", "required": ["a"], "properties": {
            "a": {"type": "string", "maxLength": 10, "description": "old"},
            "b": {"type": "string", "enum": ["x", "y"]},
            "c": {"type": "integer", "minimum": 0, "maximum": 10},
        }})
    }

    #[test]
    fn jsonschema_tools_rules() {
        let old = base();
        let mut new = old.clone();
        new["$id"] = json!("/x/1.1.0");
        new["properties"]["a"]["description"] = json!("new");
        new["properties"]["a"]["maxLength"] = json!(20);
        new["properties"]["b"]["enum"] = json!(["x", "y", "z"]);
        new["properties"]["d"] = json!({"type": "string"});
        assert!(run(&new, &old, true).is_empty());

        let mut t = old.clone();
        t["properties"]["a"]["type"] = json!("integer");
        assert_eq!(run(&t, &old, false), ["/properties/a/type"]);
        let mut r = old.clone();
        r["properties"].as_object_mut().unwrap().remove("c");
        assert_eq!(run(&r, &old, false), ["/properties/c"]);
        let mut q = old.clone();
        q["required"] = json!(["a", "b"]);
        assert_eq!(run(&q, &old, false), ["/required"]);
        let mut e = old.clone();
        e["properties"]["b"]["enum"] = json!(["x"]);
        assert_eq!(run(&e, &old, false), ["/properties/b"]);
        assert_eq!(jt_path("/properties/b"), ".properties.b");
    }

    #[test]
    fn strict_narrowing() {
        let old = base();
        let mut new = old.clone();
        new["properties"]["a"]["maxLength"] = json!(5);
        new["properties"]["a"]["pattern"] = json!("^a");
        new["properties"]["c"]["maximum"] = json!(5);
        new["properties"]["d"] = json!({"type": "string"});
        new["properties"]["b"]["minLength"] = json!(1);
        new["properties"]["a"]["enum"] = json!(["a"]);
        let lax = run(&new, &old, false);
        assert_eq!(lax, ["/properties/c/maximum"]);
        let strict = run(&new, &old, true);
        for p in ["/properties/a/enum", "/properties/a/pattern", "/properties/a/maxLength", "/properties/b/minLength"] {
            assert!(strict.iter().any(|s| s == p), "{p} in {strict:?}");
        }
        let obj_old =
            json!({"type": "object", "properties": {"o": {"type": "object", "properties": {"k": {"type": "string"}}}}});
        let mut obj_new = obj_old.clone();
        obj_new["properties"]["o"]["required"] = json!(["k"]);
        assert!(run(&obj_new, &obj_old, false).is_empty());
        assert_eq!(run(&obj_new, &obj_old, true), ["/properties/o/required"]);
    }
}
