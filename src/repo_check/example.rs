//! TEMPORARY stub (replaced by the `faker` branch).
#![allow(missing_docs)]
use serde_json::Value;
#[derive(Debug)]
pub struct GenerateError(pub String);
impl std::fmt::Display for GenerateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
pub fn generate(_schema: &Value) -> Result<Value, GenerateError> {
    Ok(Value::Object(serde_json::Map::new()))
}
