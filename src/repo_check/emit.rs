//! TEMPORARY stub (replaced by the `emit` branch).
#![allow(missing_docs)]
use serde_json::Value;
#[must_use]
pub fn to_yaml(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}
#[must_use]
pub fn to_json(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}
