//! `.jsonschema-tools.yaml` with jsonschema-tools' defaults (schema-repos.md §2.2).

use std::path::Path;

use serde_json::Value;

use crate::schema::repository::{CONFIG_FILE, Fence, SchemaError, read_config};

/// One `skipSchemaTestCases` entry: an unanchored regex on `$id` and the check names it skips.
#[derive(Debug, Clone)]
pub struct SkipRule {
    /// The regex as written.
    pub pattern: String,
    /// The compiled regex.
    pub regex: regex::Regex,
    /// The skip names (`schema-deterministic-types`, …).
    pub names: Vec<String>,
}

/// The settings the repository checks use.
#[derive(Debug, Clone)]
pub struct ToolsConfig {
    /// `schemaBasePath` relative to the root (default `jsonschema/`, where the
    /// Wikimedia repositories keep their schemas).
    pub schema_base_path: String,
    /// `contentTypes` (default `[yaml, json]`); the first is the primary type.
    pub content_types: Vec<String>,
    /// `currentName` with the primary extension (default `current.yaml`).
    pub current_name: String,
    /// `shouldSymlinkExtensionless` (default true).
    pub symlink_extensionless: bool,
    /// `shouldSymlinkLatest` (default true).
    pub symlink_latest: bool,
    /// `shouldGenerateExample` (default false).
    pub generate_example: bool,
    /// `enforcedNumericBounds` (default ±9007199254740991), when enforced.
    pub numeric_bounds: Option<(f64, f64)>,
    /// `ignoreSchemas`: `$id` regexes excluded from the checks.
    pub ignore: Vec<regex::Regex>,
    /// `skipSchemaTestCases`, in file order.
    pub skip_rules: Vec<SkipRule>,
}

/// `Number.MAX_SAFE_INTEGER`.
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

impl ToolsConfig {
    /// Reads `<root>/.jsonschema-tools.yaml` through the repository's
    /// [`Fence`]; defaults when it is absent.
    ///
    /// # Errors
    /// [`SchemaError::Document`] for malformed YAML, [`SchemaError::Config`]
    /// for a key of the wrong shape or a regex that does not compile,
    /// [`SchemaError::Refused`] when the file is outside the repository or
    /// not a regular file.
    pub fn load(root: &Path) -> Result<Self, SchemaError> {
        let path = root.join(CONFIG_FILE);
        let value = read_config(&Fence::new(root)?, &path)?.unwrap_or_else(|| Value::Object(serde_json::Map::new()));
        Self::from_value(&value).map_err(|reason| SchemaError::Config { path, reason })
    }

    /// Reads the settings from a parsed config.
    ///
    /// # Errors
    /// A message naming the key that is malformed.
    pub fn from_value(v: &Value) -> Result<Self, String> {
        let strings = |key: &str| -> Result<Option<Vec<String>>, String> {
            match v.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|x| x.as_str().map(str::to_owned).ok_or_else(|| format!("`{key}` must list strings")))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some),
                Some(_) => Err(format!("`{key}` must be a string or a list of strings")),
            }
        };
        let boolean = |key: &str, default: bool| -> Result<bool, String> {
            match v.get(key) {
                None | Some(Value::Null) => Ok(default),
                Some(Value::Bool(b)) => Ok(*b),
                Some(_) => Err(format!("`{key}` must be true or false")),
            }
        };
        let content_types = strings("contentTypes")?.unwrap_or_else(|| vec!["yaml".into(), "json".into()]);
        if content_types.is_empty() {
            return Err("`contentTypes` must not be empty".into());
        }
        let mut current_name = v.get("currentName").and_then(Value::as_str).unwrap_or("current").to_owned();
        if Path::new(&current_name).extension().is_none() {
            current_name = format!("{current_name}.{}", content_types[0]);
        }
        let numeric_bounds = match v.get("enforcedNumericBounds") {
            None | Some(Value::Null) => Some((-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)),
            Some(Value::Bool(false)) => None,
            Some(Value::Array(a)) if a.len() == 2 && a.iter().all(Value::is_number) => {
                Some((a[0].as_f64().unwrap_or(-MAX_SAFE_INTEGER), a[1].as_f64().unwrap_or(MAX_SAFE_INTEGER)))
            }
            Some(_) => return Err("`enforcedNumericBounds` must be [min, max]".into()),
        };
        let compile = |p: &str| regex::Regex::new(p).map_err(|e| format!("regex `{p}` does not compile: {e}"));
        let ignore =
            strings("ignoreSchemas")?.unwrap_or_default().iter().map(|p| compile(p)).collect::<Result<_, _>>()?;
        let mut skip_rules = Vec::new();
        match v.get("skipSchemaTestCases") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (pattern, names) in m {
                    let names = match names {
                        Value::Array(a) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
                        Value::String(s) => vec![s.clone()],
                        _ => return Err(format!("`skipSchemaTestCases.{pattern}` must list test case names")),
                    };
                    skip_rules.push(SkipRule { pattern: pattern.clone(), regex: compile(pattern)?, names });
                }
            }
            Some(_) => return Err("`skipSchemaTestCases` must map $id regexes to test case names".into()),
        }
        let base = v.get("schemaBasePath").and_then(Value::as_str).unwrap_or("jsonschema/");
        Ok(Self {
            schema_base_path: base.trim_start_matches("./").to_owned(),
            content_types,
            current_name,
            symlink_extensionless: boolean("shouldSymlinkExtensionless", true)?,
            symlink_latest: boolean("shouldSymlinkLatest", true)?,
            generate_example: boolean("shouldGenerateExample", false)?,
            numeric_bounds,
            ignore,
            skip_rules,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_and_overrides() {
        let c = ToolsConfig::from_value(&json!({})).unwrap();
        assert_eq!((c.current_name.as_str(), c.content_types.len()), ("current.yaml", 2));
        assert_eq!(c.numeric_bounds, Some((-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)));
        let c = ToolsConfig::from_value(&json!({"schemaBasePath": "./jsonschema/", "contentTypes": ["yaml"],
            "skipSchemaTestCases": {"/mediawiki/.*": ["schema-deterministic-types"]}}))
        .unwrap();
        assert_eq!(c.schema_base_path, "jsonschema/");
        assert!(c.skip_rules[0].regex.is_match("/mediawiki/recentchange/1.0.0"));
        assert!(ToolsConfig::from_value(&json!({"ignoreSchemas": ["("]})).is_err());
    }
}
