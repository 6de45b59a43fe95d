//! Stream config constraints: `--constraint KEY=VALUE`, as EventStreamConfig
//! reads `constraints=` (epc-spec.md §1.1 rule 7).
//!
//! Keys use PHP's bracket syntax for nesting (`producers[metrics_platform_client][events]=x`)
//! and `key[]=v` for a list; several constraints are merged like PHP's
//! `array_merge_recursive`. A stream matches when, for every key:
//!
//! - `stream`: the value matches the stream like a requested name (its exact
//!   key, or its `/regex/` key matches the value);
//! - otherwise the setting must be set and not `null`; two objects recurse;
//!   two lists compare as "every expected item is in the setting", and that
//!   result is returned at once, so later keys are not checked (as EventStreamConfig does);
//!   scalars compare as PHP strings (`true` is `"1"`, `false` is `""`).

use serde_json::{Map, Value};

use crate::stream::StreamConfig;

/// Constraints parsed from `KEY=VALUE` arguments, merged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Constraints(Map<String, Value>);

/// A `KEY=VALUE` argument that cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("constraint `{0}` is not KEY=VALUE (nested keys as a[b]=c)")]
pub struct ConstraintError(pub String);

/// EventStreamConfig's recursion limit for `isPartialMatch`.
const MAX_DEPTH: usize = 10;

impl Constraints {
    /// Parses and merges `KEY=VALUE` arguments.
    ///
    /// # Errors
    /// [`ConstraintError`] for an argument without `=` or with unbalanced brackets.
    pub fn parse<S: AsRef<str>>(args: &[S]) -> Result<Self, ConstraintError> {
        let mut merged = Map::new();
        for arg in args {
            let arg = arg.as_ref();
            let (key, value) = arg.split_once('=').ok_or_else(|| ConstraintError(arg.to_owned()))?;
            let path = parse_key(key).ok_or_else(|| ConstraintError(arg.to_owned()))?;
            let mut nested = Value::String(value.to_owned());
            for segment in path[1..].iter().rev() {
                nested = match segment {
                    Some(k) => Value::Object(Map::from_iter([(k.clone(), nested)])),
                    None => Value::Array(vec![nested]),
                };
            }
            let Some(top) = &path[0] else {
                return Err(ConstraintError(arg.to_owned()));
            };
            merge_into(&mut merged, top.clone(), nested);
        }
        Ok(Self(merged))
    }

    /// Whether there are no constraints.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The merged constraints as a JSON object.
    #[must_use]
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The constraints as the API's `constraints=` values (`a[b]=c`), one per leaf.
    #[must_use]
    pub fn to_query_values(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (k, v) in &self.0 {
            leaves(k, v, &mut out);
        }
        out
    }

    /// Whether a stream config entry satisfies every constraint.
    #[must_use]
    pub fn matches(&self, config: &StreamConfig) -> bool {
        for (key, expected) in &self.0 {
            if key == "stream" {
                let names: Vec<&str> = match expected {
                    Value::String(s) => vec![s.as_str()],
                    Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                    _ => return false,
                };
                if !names.iter().all(|n| *n == config.key() || config.regex_matches(n)) {
                    return false;
                }
                continue;
            }
            match partial_match_key(config.settings(), key, expected, 0) {
                Step::Continue => {}
                Step::Return(result) => return result,
            }
        }
        true
    }
}

enum Step {
    Continue,
    Return(bool),
}

fn partial_match(settings: &Map<String, Value>, constraints: &Map<String, Value>, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    for (key, expected) in constraints {
        match partial_match_key(settings, key, expected, depth) {
            Step::Continue => {}
            Step::Return(r) => return r,
        }
    }
    true
}

fn partial_match_key(settings: &Map<String, Value>, key: &str, expected: &Value, depth: usize) -> Step {
    let Some(actual) = settings.get(key).filter(|v| !v.is_null()) else {
        return Step::Return(false);
    };
    match (expected, actual) {
        (Value::Array(exp), Value::Array(act)) => {
            let act: Vec<String> = act.iter().map(php_string).collect();
            Step::Return(exp.iter().all(|e| act.contains(&php_string(e))))
        }
        (Value::Object(exp), Value::Object(act)) => {
            if partial_match(act, exp, depth + 1) {
                Step::Continue
            } else {
                Step::Return(false)
            }
        }
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => Step::Return(false),
        (e, a) => {
            if php_string(e) == php_string(a) {
                Step::Continue
            } else {
                Step::Return(false)
            }
        }
    }
}

/// PHP's `(string)` cast of a scalar.
fn php_string(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(true) => "1".into(),
        Value::Bool(false) => String::new(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if !n.is_i64() && !n.is_u64() => format!("{f}"),
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        Value::Array(_) | Value::Object(_) => "Array".into(),
    }
}

/// `a[b][]` → `[Some(a), Some(b), None]`.
fn parse_key(key: &str) -> Option<Vec<Option<String>>> {
    let (head, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    if head.is_empty() {
        return None;
    }
    let mut out = vec![Some(head.to_owned())];
    while !rest.is_empty() {
        let close = rest.find(']')?;
        if !rest.starts_with('[') {
            return None;
        }
        let inner = &rest[1..close];
        out.push((!inner.is_empty()).then(|| inner.to_owned()));
        rest = &rest[close + 1..];
    }
    Some(out)
}

/// PHP `array_merge_recursive` for one key.
fn merge_into(map: &mut Map<String, Value>, key: String, value: Value) {
    match map.get_mut(&key) {
        None => {
            map.insert(key, value);
        }
        Some(existing) => {
            let old = existing.take();
            *existing = merge_values(old, value);
        }
    }
}

fn merge_values(old: Value, new: Value) -> Value {
    match (old, new) {
        (Value::Object(mut a), Value::Object(b)) => {
            for (k, v) in b {
                merge_into(&mut a, k, v);
            }
            Value::Object(a)
        }
        (Value::Array(mut a), Value::Array(b)) => {
            a.extend(b);
            Value::Array(a)
        }
        (Value::Array(mut a), b) => {
            a.push(b);
            Value::Array(a)
        }
        (a, Value::Array(b)) => {
            let mut v = vec![a];
            v.extend(b);
            Value::Array(v)
        }
        (a, b) => Value::Array(vec![a, b]),
    }
}

fn leaves(prefix: &str, v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                leaves(&format!("{prefix}[{k}]"), v, out);
            }
        }
        Value::Array(a) => {
            for v in a {
                leaves(&format!("{prefix}[]"), v, out);
            }
        }
        other => out.push(format!("{prefix}={}", php_string(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(key: &str, v: Value) -> StreamConfig {
        StreamConfig::new(key, v.as_object().unwrap().clone())
    }

    #[track_caller]
    fn matches(args: &[&str], key: &str, settings: Value) -> bool {
        Constraints::parse(args).unwrap().matches(&entry(key, settings))
    }

    #[test]
    fn parses_brackets_and_merges() {
        let c = Constraints::parse(&["a[b][c]=1", "a[b][d]=2", "l[]=x", "l[]=y"]).unwrap();
        assert_eq!(Value::Object(c.as_map().clone()), json!({"a": {"b": {"c": "1", "d": "2"}}, "l": ["x", "y"]}));
        assert_eq!(c.to_query_values(), ["a[b][c]=1", "a[b][d]=2", "l[]=x", "l[]=y"]);
        assert!(Constraints::parse(&["novalue"]).is_err());
        assert!(Constraints::parse(&["a[b=1"]).is_err());
        assert!(Constraints::parse(&["[x]=1"]).is_err());
    }

    #[test]
    fn matches_like_event_stream_config() {
        let s = json!({"destination_event_service": "eventgate-analytics-external", "canary_events_enabled": true,
                       "disabled": false, "foo": {"bar": "baz"}, "n": null, "rate": 0.5,
                       "topics": ["eqiad.x", "codfw.x"]});
        assert!(matches(&["destination_event_service=eventgate-analytics-external"], "x", s.clone()));
        assert!(!matches(&["destination_event_service=eventgate-main"], "x", s.clone()));
        // PHP string casts: true is "1", false is "".
        assert!(matches(&["canary_events_enabled=1"], "x", s.clone()));
        assert!(!matches(&["canary_events_enabled=true"], "x", s.clone()));
        assert!(matches(&["disabled="], "x", s.clone()));
        assert!(matches(&["rate=0.5"], "x", s.clone()));
        assert!(matches(&["foo[bar]=baz"], "x", s.clone()));
        assert!(!matches(&["foo=baz"], "x", s.clone()));
        // isset: null fails.
        assert!(!matches(&["n="], "x", s.clone()));
        assert!(!matches(&["missing=1"], "x", s.clone()));
        // Lists: subset, and the result is returned at once.
        assert!(matches(&["topics[]=codfw.x"], "x", s.clone()));
        assert!(!matches(&["topics[]=other"], "x", s.clone()));
        assert!(matches(&["topics[]=codfw.x", "zzz=never-checked"], "x", s.clone()));
        // `stream` matches like a requested name.
        assert!(matches(&["stream=x"], "x", s.clone()));
        assert!(matches(&["stream=mediawiki.job.foo"], "/^mediawiki\\.job\\..+/", s.clone()));
        assert!(!matches(&["stream=y"], "x", s));
    }
}
