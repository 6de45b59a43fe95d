//! R9 (known keywords) and R10 (`$schema` is draft-07), strict mode only.
//!
//! Both walk the schema positions json-schema-traverse 0.4 walks: the values
//! of `properties`, `patternProperties`, `definitions` and (schema-valued)
//! `dependencies`; `items` (a schema or a list of them); the members of
//! `allOf`, `anyOf` and `oneOf`; and the schemas under `not`,
//! `additionalProperties`, `additionalItems`, `contains`, `propertyNames`,
//! `if`, `then` and `else`. The keys of a `properties` map are property
//! names, and the values of `examples`, `default`, `enum` and `const` are
//! data: neither is checked.
//!
//! R9: a key of a schema object that is not a draft-07 keyword is ignored by
//! every validator, so a misspelling (`mexLength: 128`, `minimun`) silently
//! removes a limit. The vocabulary is the draft-07 meta-schema's properties
//! (with `writeOnly`, `contentMediaType` and `contentEncoding` from the
//! draft-07 validation spec) plus the annotations the real repositories use
//! in schema positions. A survey of every key in a schema position of both
//! real repositories (primary and secondary, all version and current files)
//! found no annotation outside draft-07: every key outside it was a mistake
//! (`mexLength`, `maxiumum`, `descriptions`, `descripotion`, and the lines of
//! a mis-indented folded `description` or example read as keys), so
//! [`ANNOTATIONS`] is empty. Each finding suggests the nearest keyword
//! ([`did_you_mean`]).
//!
//! R10: draft-07 is what EventGate and jsonschema-tools (ajv 6) compile, so
//! a `$schema` naming another draft is a finding. Accepted:
//! `https://json-schema.org/draft-07/schema` and
//! `http://json-schema.org/draft-07/schema`, each with or without the final
//! `#` (the real repositories use the `https` and `http` forms with `#`). A
//! schema without `$schema` is compiled as draft-07 and passes.

use serde_json::{Map, Value};

use super::robustness::{Finding, push, show};

/// The draft-07 vocabulary (meta-schema properties and the draft-07 validation spec's annotations).
pub const DRAFT_07_KEYWORDS: [&str; 46] = [
    "$id",
    "$schema",
    "$ref",
    "$comment",
    "title",
    "description",
    "default",
    "readOnly",
    "writeOnly",
    "examples",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "additionalItems",
    "items",
    "maxItems",
    "minItems",
    "uniqueItems",
    "contains",
    "maxProperties",
    "minProperties",
    "required",
    "additionalProperties",
    "definitions",
    "properties",
    "patternProperties",
    "dependencies",
    "propertyNames",
    "const",
    "enum",
    "type",
    "format",
    "contentMediaType",
    "contentEncoding",
    "if",
    "then",
    "else",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
];

/// Annotations outside draft-07 that the real repositories use in schema
/// positions: none (see the module documentation for the survey).
pub const ANNOTATIONS: [&str; 0] = [];

/// The `$schema` values R10 accepts.
pub const DRAFT_07_URIS: [&str; 4] = [
    "https://json-schema.org/draft-07/schema#",
    "https://json-schema.org/draft-07/schema",
    "http://json-schema.org/draft-07/schema#",
    "http://json-schema.org/draft-07/schema",
];

fn known(key: &str) -> bool {
    DRAFT_07_KEYWORDS.contains(&key) || ANNOTATIONS.contains(&key)
}

/// Calls `visit(schema, pointer)` for `schema` and every subschema under it,
/// in the schema positions json-schema-traverse 0.4 walks (see the module
/// documentation). Non-object schemas (`true`, `false`) are not visited.
pub fn walk(schema: &Value, ptr: &str, visit: &mut dyn FnMut(&Map<String, Value>, &str)) {
    let mut pointer = ptr.to_owned();
    walk_in(schema, &mut pointer, visit);
}

/// [`walk`] with the pointer built in one buffer: each token is appended
/// for the subschema's visit and cut off again after it.
fn walk_in(schema: &Value, ptr: &mut String, visit: &mut dyn FnMut(&Map<String, Value>, &str)) {
    let Value::Object(m) = schema else { return };
    visit(m, ptr);
    for (key, sub) in m {
        let keyword_len = ptr.len();
        match key.as_str() {
            "additionalProperties"
            | "additionalItems"
            | "contains"
            | "propertyNames"
            | "not"
            | "if"
            | "then"
            | "else" => {
                push_token(ptr, key);
                walk_in(sub, ptr, visit);
            }
            "items" => {
                push_token(ptr, key);
                match sub {
                    Value::Array(list) => each_item(list, ptr, visit),
                    other => walk_in(other, ptr, visit),
                }
            }
            "allOf" | "anyOf" | "oneOf" => {
                if let Value::Array(list) = sub {
                    push_token(ptr, key);
                    each_item(list, ptr, visit);
                }
            }
            "properties" | "patternProperties" | "definitions" | "dependencies" => {
                if let Value::Object(subs) = sub {
                    push_token(ptr, key);
                    for (k, s) in subs {
                        let len = ptr.len();
                        push_token(ptr, k);
                        walk_in(s, ptr, visit);
                        ptr.truncate(len);
                    }
                }
            }
            _ => {}
        }
        ptr.truncate(keyword_len);
    }
}

/// [`walk_in`] for each schema of a list, under its index.
fn each_item(list: &[Value], ptr: &mut String, visit: &mut dyn FnMut(&Map<String, Value>, &str)) {
    for (i, s) in list.iter().enumerate() {
        let len = ptr.len();
        ptr.push('/');
        ptr.push_str(&i.to_string());
        walk_in(s, ptr, visit);
        ptr.truncate(len);
    }
}

/// Appends `/token` to a JSON pointer, escaped (RFC 6901), as [`push`] makes it.
fn push_token(ptr: &mut String, token: &str) {
    ptr.push('/');
    if token.contains(['~', '/']) {
        ptr.push_str(&token.replace('~', "~0").replace('/', "~1"));
    } else {
        ptr.push_str(token);
    }
}

/// R9: every key of every schema object is a draft-07 keyword or a known annotation.
#[must_use]
pub(crate) fn unknown_keywords(schema: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    walk(schema, "", &mut |m, ptr| {
        for key in m.keys().filter(|k| !known(k)) {
            let hint = did_you_mean(key).map_or_else(String::new, |k| format!(" (did you mean `{k}`?)"));
            out.push(Finding::new(
                &push(ptr, key),
                format!("unknown keyword `{key}`{hint}: validators ignore it, so it constrains nothing"),
            ));
        }
    });
    out
}

/// R10: every `$schema` in a schema position is one of [`DRAFT_07_URIS`].
#[must_use]
pub(crate) fn draft_07(schema: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    walk(schema, "", &mut |m, ptr| {
        let Some(v) = m.get("$schema") else { return };
        if v.as_str().is_some_and(|s| DRAFT_07_URIS.contains(&s)) {
            return;
        }
        out.push(Finding::new(
            &push(ptr, "$schema"),
            format!(
                "`$schema` is {}, not draft-07 (`https://json-schema.org/draft-07/schema#`): EventGate and \
                 jsonschema-tools compile draft-07 only",
                show(v)
            ),
        ));
    });
    out
}

/// The keyword nearest to `key`, if it is near enough to be a misspelling:
/// the optimal-string-alignment distance (insertions, deletions,
/// substitutions and adjacent transpositions), ignoring case, is at most 1
/// for keys of 3 to 5 characters and at most 2 for longer keys; a key that
/// differs from a keyword only in case always gets it. Ties go to the
/// keyword listed first in [`DRAFT_07_KEYWORDS`].
#[must_use]
pub fn did_you_mean(key: &str) -> Option<&'static str> {
    let lower = key.to_lowercase();
    let chars = lower.chars().count();
    let limit = match chars {
        0..=2 => 0,
        3..=5 => 1,
        _ => 2,
    };
    DRAFT_07_KEYWORDS
        .iter()
        .chain(ANNOTATIONS.iter())
        // The distance is at least the difference in length (the keywords are ASCII).
        .filter(|k| k.len().abs_diff(chars) <= limit)
        .map(|k| (distance(&lower, &k.to_lowercase()), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Optimal string alignment distance between `a` and `b` (by chars).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn suggestions() {
        assert_eq!(did_you_mean("mexLength"), Some("maxLength"));
        assert_eq!(did_you_mean("minimun"), Some("minimum"));
        assert_eq!(did_you_mean("maxiumum"), Some("maximum"));
        assert_eq!(did_you_mean("descripotion"), Some("description"));
        assert_eq!(did_you_mean("descriptions"), Some("description"));
        assert_eq!(did_you_mean("Required"), Some("required"));
        assert_eq!(did_you_mean("reqiured"), Some("required"));
        assert_eq!(did_you_mean("on"), None);
        assert_eq!(did_you_mean("search"), None);
        assert_eq!(did_you_mean("talk_page"), None);
    }

    #[test]
    fn only_schema_positions_are_walked() {
        let s = json!({
            "type": "object",
            "properties": {"mexLength": {"type": "string", "mexLength": 3}},
            "examples": [{"minimun": 1}],
            "default": {"x": 1},
            "enum": [{"y": 1}],
            "items": [{"minimun": 1}],
            "allOf": [{"not": {"foo": 1}}],
            "dependencies": {"a": ["b"], "c": {"bar": 1}},
        });
        let pointers: Vec<String> = unknown_keywords(&s).into_iter().map(|f| f.pointer).collect();
        assert_eq!(
            pointers,
            ["/properties/mexLength/mexLength", "/items/0/minimun", "/allOf/0/not/foo", "/dependencies/c/bar"]
        );
    }

    #[test]
    fn draft_07_uris() {
        assert!(draft_07(&json!({"$schema": "https://json-schema.org/draft-07/schema#"})).is_empty());
        assert!(draft_07(&json!({"$schema": "http://json-schema.org/draft-07/schema"})).is_empty());
        assert!(draft_07(&json!({"type": "object"})).is_empty());
        let f = draft_07(&json!({"properties": {"a": {"$schema": "http://json-schema.org/draft-04/schema#"}}}));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].pointer, "/properties/a/$schema");
    }
}
