//! Repository checks: what jsonschema-tools' mocha suite checks in a schema
//! repository's CI (`npm test`), done offline, without aborting on one bad
//! file, and with the gaps closed (schema-repos.md §4 and its checklist §(a)).
//!
//! A [`Report`] holds one [`CaseResult`] per check and subject (a title, a
//! version or a file), each passed, failed (with messages naming the file, the
//! JSON pointer, the check and its skip name) or skipped by
//! `skipSchemaTestCases`. The checks are grouped as jsonschema-tools groups
//! them: structure (S1–S18), robustness (R1–R11), compatibility (C1), plus X1
//! for files that cannot be loaded at all (which abort jsonschema-tools' run)
//! and X2 for paths that are not read at all: a schema file (or a symlinked
//! folder) whose real path is outside the repository, one that is not a
//! regular file (a FIFO, a device), a symlink loop, or a file over
//! [`MAX_FILE_LEN`](crate::schema::repository::MAX_FILE_LEN). Every file is
//! read through the repository's [`Fence`].
//!
//! [`Mode::Strict`] (epc's default) adds what jsonschema-tools misses:
//! narrowing within a major version (an `enum`, `pattern`, `maximum`,
//! `minimum`, `maxLength` decrease, or `required` added to an existing field
//! or object) and snake_case inside array `items` and map values; and the
//! checks jsonschema-tools has no counterpart for (issue 12): unknown
//! keywords (R9, [`keywords`]), a `$schema` other than draft-07 (R10), a
//! `default` its own subschema rejects (R11), an `$id` that does not resolve
//! to its own file (S17) and, with `--since REV`, a published version file
//! changed since REV (S18, [`since`]). Each of these has a skip name for
//! `skipSchemaTestCases`, so a repository can record published exceptions.
//! [`Mode::Compatible`] gives jsonschema-tools' results and runs none of them.

pub mod compat;
pub mod config;
pub mod discover;
pub mod emit;
pub mod example;
pub mod keywords;
pub mod materialize;
pub mod robustness;
pub mod since;
pub mod structure;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::schema::SchemaUri;
use crate::schema::repository::{Fence, SchemaError, SchemaRepository, SchemaResolver, SchemaSources};

pub use config::ToolsConfig;
pub use discover::SchemaFile;

/// How strict the checks are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// jsonschema-tools' checks plus the gaps it misses (the default).
    #[default]
    Strict,
    /// jsonschema-tools 1.3.0's results, gaps included.
    Compatible,
}

/// Every check, numbered as in schema-repos.md §(a).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum CheckId {
    S1,
    S2,
    S3,
    S4,
    S5,
    S6,
    S7,
    S8,
    S9,
    S10,
    S11,
    S12,
    S13,
    S14,
    S15,
    S16,
    /// Strict only: an `$id` resolves, through the schema base path, to the file that holds it.
    S17,
    /// Strict only, with `--since REV`: a published version file is unchanged since REV.
    S18,
    R1,
    R2,
    R3,
    R4,
    R5,
    R6,
    R7,
    R8,
    /// Strict only: every key in a schema position is a draft-07 keyword (or a known annotation).
    R9,
    /// Strict only: every `$schema` in a schema position names draft-07.
    R10,
    /// Strict only: every `default` validates against its own subschema.
    R11,
    C1,
    /// A schema file that cannot be loaded (YAML error, no `title`, no `$id`).
    X1,
    /// A path that is not read because it leads outside the repository, is
    /// not a regular file (a FIFO, a device) or is too large.
    X2,
}

impl CheckId {
    /// Every check, in report order.
    pub const ALL: [Self; 32] = [
        Self::X1,
        Self::X2,
        Self::S1,
        Self::S2,
        Self::S3,
        Self::S4,
        Self::S5,
        Self::S6,
        Self::S7,
        Self::S8,
        Self::S9,
        Self::S10,
        Self::S11,
        Self::S12,
        Self::S13,
        Self::S14,
        Self::S15,
        Self::S16,
        Self::S17,
        Self::S18,
        Self::R1,
        Self::R2,
        Self::R3,
        Self::R4,
        Self::R5,
        Self::R6,
        Self::R7,
        Self::R8,
        Self::R9,
        Self::R10,
        Self::R11,
        Self::C1,
    ];

    /// The check's code (`S8`, `R4`, `C1`).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::S1 => "S1",
            Self::S2 => "S2",
            Self::S3 => "S3",
            Self::S4 => "S4",
            Self::S5 => "S5",
            Self::S6 => "S6",
            Self::S7 => "S7",
            Self::S8 => "S8",
            Self::S9 => "S9",
            Self::S10 => "S10",
            Self::S11 => "S11",
            Self::S12 => "S12",
            Self::S13 => "S13",
            Self::S14 => "S14",
            Self::S15 => "S15",
            Self::S16 => "S16",
            Self::S17 => "S17",
            Self::S18 => "S18",
            Self::R1 => "R1",
            Self::R2 => "R2",
            Self::R3 => "R3",
            Self::R4 => "R4",
            Self::R5 => "R5",
            Self::R6 => "R6",
            Self::R7 => "R7",
            Self::R8 => "R8",
            Self::R9 => "R9",
            Self::R10 => "R10",
            Self::R11 => "R11",
            Self::C1 => "C1",
            Self::X1 => "X1",
            Self::X2 => "X2",
        }
    }

    /// The name `skipSchemaTestCases` uses for the check; `None` for checks
    /// that cannot be skipped (structure and loading, as in jsonschema-tools).
    /// epc's own checks (S17, S18, R9–R11) have names jsonschema-tools does
    /// not know, so a repository can record its published exceptions.
    #[must_use]
    pub fn skip_name(self) -> Option<&'static str> {
        Some(match self {
            Self::R1 => "schema-is-valid",
            Self::R2 => "schema-is-secure",
            Self::R3 => "schema-snake-case-properties",
            Self::R4 => "schema-deterministic-types",
            Self::R5 => "schema-required-properties-exist",
            Self::R6 => "schema-examples-$schema-matches-schema-$id",
            Self::R7 => "schema-examples-are-valid",
            Self::R8 => "schema-enforced-numeric-bounds",
            Self::R9 => "schema-known-keywords",
            Self::R10 => "schema-draft-07",
            Self::R11 => "schema-defaults-are-valid",
            Self::S17 => "schema-id-resolves-to-file",
            Self::S18 => "schema-published-version-unchanged",
            Self::C1 => "schema-version-compatibility",
            _ => return None,
        })
    }

    /// A short description (the mocha test title's gist).
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Self::S1 => "all files of a title in one directory",
            Self::S2 => "directory matches the title",
            Self::S3 => "has current.yaml",
            Self::S4 => "no extensionless current symlink",
            Self::S5 => "has a current file",
            Self::S6 => "has a versioned file",
            Self::S7 => "current is materialized as the greatest version",
            Self::S8 => "current equals the materialized latest version",
            Self::S9 => "latest.<ct> symlink points to the latest version",
            Self::S10 => "latest symlink points to the latest version",
            Self::S11 => "version file exists in its directory",
            Self::S12 => "extensionless version symlink",
            Self::S13 => "version has the title",
            Self::S14 => "version is in the title's directory",
            Self::S15 => "$id matches the path",
            Self::S16 => "content types are equal",
            Self::S17 => "$id resolves to the file",
            Self::S18 => "published version unchanged since --since",
            Self::R1 => "valid draft-07 JSON Schema",
            Self::R2 => "secure JSON Schema",
            Self::R3 => "snake_case property names",
            Self::R4 => "deterministic types",
            Self::R5 => "required properties exist",
            Self::R6 => "examples' $schema equals $id",
            Self::R7 => "examples validate",
            Self::R8 => "numeric bounds within enforcedNumericBounds",
            Self::R9 => "known keywords only",
            Self::R10 => "$schema is draft-07",
            Self::R11 => "defaults validate",
            Self::C1 => "compatible with the previous version of the major",
            Self::X1 => "schema file loads (YAML, title, $id)",
            Self::X2 => "a regular file inside the repository",
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Passed, failed or skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseStatus {
    /// The check passed.
    Pass,
    /// The check failed: see the messages.
    Fail,
    /// Skipped by `skipSchemaTestCases`.
    Skip,
}

/// One check on one subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    /// The check.
    pub check: CheckId,
    /// What was checked: a file relative to the repository root
    /// (`jsonschema/test/event/1.0.0.yaml`), a title, or `<new> vs <old>` for C1.
    pub subject: String,
    /// The outcome.
    pub status: CaseStatus,
    /// For failures: one message per problem, each naming the JSON pointer
    /// (`/properties/test`) where there is one; for skips: the matching rule.
    pub messages: Vec<String>,
    /// The 1-based line in the file, when known (YAML errors).
    pub line: Option<u64>,
}

impl CaseResult {
    /// A passed case.
    #[must_use]
    pub fn pass(check: CheckId, subject: impl Into<String>) -> Self {
        Self { check, subject: subject.into(), status: CaseStatus::Pass, messages: Vec::new(), line: None }
    }

    /// A failed case with its messages.
    #[must_use]
    pub fn fail(check: CheckId, subject: impl Into<String>, messages: Vec<String>) -> Self {
        Self { check, subject: subject.into(), status: CaseStatus::Fail, messages, line: None }
    }

    /// Passed when `messages` is empty, else failed.
    #[must_use]
    pub fn from_messages(check: CheckId, subject: impl Into<String>, messages: Vec<String>) -> Self {
        if messages.is_empty() { Self::pass(check, subject) } else { Self::fail(check, subject, messages) }
    }
}

/// What the repository checks found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Every case, in check order then subject order.
    pub results: Vec<CaseResult>,
    /// Notes for the user (base URIs not used, documented deviations applied).
    pub notes: Vec<String>,
}

impl Report {
    /// `(passed, failed, skipped)` for one check.
    #[must_use]
    pub fn counts(&self, check: CheckId) -> (usize, usize, usize) {
        let of = |s| self.results.iter().filter(|r| r.check == check && r.status == s).count();
        (of(CaseStatus::Pass), of(CaseStatus::Fail), of(CaseStatus::Skip))
    }

    /// [`Report::counts`] of every check that has a case, in one pass.
    #[must_use]
    pub fn counts_by_check(&self) -> std::collections::HashMap<CheckId, (usize, usize, usize)> {
        let mut counts = std::collections::HashMap::<CheckId, (usize, usize, usize)>::new();
        for r in &self.results {
            let entry = counts.entry(r.check).or_default();
            match r.status {
                CaseStatus::Pass => entry.0 += 1,
                CaseStatus::Fail => entry.1 += 1,
                CaseStatus::Skip => entry.2 += 1,
            }
        }
        counts
    }

    /// Whether any case failed.
    #[must_use]
    pub fn failed(&self) -> bool {
        self.results.iter().any(|r| r.status == CaseStatus::Fail)
    }
}

/// Everything a check needs about the repository under test.
#[derive(Debug)]
pub struct Context {
    /// The repository root.
    pub root: PathBuf,
    /// Reads the repository's files: only regular files inside it, size-capped.
    pub fence: Fence,
    /// `.jsonschema-tools.yaml` with jsonschema-tools' defaults.
    pub config: ToolsConfig,
    /// Every schema file found (versioned and current), loaded or not.
    pub files: Vec<SchemaFile>,
    /// Resolves `$ref`s: this repository first, then `--schema-repo`s, then configured base URIs.
    pub resolver: Arc<SchemaResolver>,
    /// Strict or jsonschema-tools-compatible.
    pub mode: Mode,
    /// With `--since REV`: the version files git says changed since REV (S18).
    pub since: Option<since::Changes>,
}

impl Context {
    /// Whether `skipSchemaTestCases` skips `check` for a schema with this `$id`
    /// (an unanchored regex on the `$id`, schema-repos.md §4.1 row K); returns the rule.
    #[must_use]
    pub fn skipped_by(&self, check: CheckId, id: &str) -> Option<String> {
        let name = check.skip_name()?;
        self.config
            .skip_rules
            .iter()
            .find(|r| r.names.iter().any(|n| n == name) && r.regex.is_match(id))
            .map(|r| format!("skipped by skipSchemaTestCases `{}`: {name}", r.pattern))
    }
}

/// Checks a schema repository: opens it, resolves `$ref`s against it first,
/// then `sources` (the other local repositories and base URIs, with the
/// repository's own `schemaBaseUris` after them; remote bases fetched with
/// `sources.http`), discovers its schema files and runs every check. Files
/// that cannot be loaded are X1 failures; every other file is still checked.
///
/// Before any check, every `$ref` of the repository's files is resolved once:
/// when a remote base that some of them need cannot serve them
/// ([`SchemaError::unavailable_base`]), the run stops with one
/// [`SchemaError::BaseUnavailable`] naming the base and what needs it, instead
/// of reporting every schema that needs it as failing.
///
/// # Errors
/// [`SchemaError`] when the repository folder or its config cannot be read,
/// and [`SchemaError::BaseUnavailable`].
pub fn check_repository(root: &std::path::Path, sources: SchemaSources, mode: Mode) -> Result<Report, SchemaError> {
    check_repository_since(root, sources, mode, None)
}

/// [`check_repository`], and with `since` (from [`since::changed_since`])
/// also S18 in [`Mode::Strict`]: one case per published version file, failed
/// when it changed since the revision. [`Mode::Compatible`] ignores `since`.
///
/// # Errors
/// As [`check_repository`].
pub fn check_repository_since(
    root: &std::path::Path,
    sources: SchemaSources,
    mode: Mode,
    since: Option<since::Changes>,
) -> Result<Report, SchemaError> {
    let since = if mode == Mode::Strict { since } else { None };
    let config = ToolsConfig::load(root)?;
    let repo = SchemaRepository::open(root)?;
    let fence = repo.fence().clone();
    let mut repos = vec![repo];
    repos.extend(sources.repositories);
    let resolver = Arc::new(SchemaResolver::with_http(repos, &sources.base_uris, Some(sources.http))?);
    let discovery = discover::discover_with(root, &config, resolver.documents())?;
    let files = discovery.files;
    preflight(&files, &resolver)?;
    let ctx = Context { root: root.to_owned(), fence, config, files, resolver: Arc::clone(&resolver), mode, since };
    let mut report = Report { results: Vec::new(), notes: resolver.notes().to_vec() };
    for f in &ctx.files {
        if let Err(e) = &f.loaded {
            let mut r = CaseResult::fail(e.check, f.relative.display().to_string(), vec![e.message.clone()]);
            r.line = e.line;
            report.results.push(r);
        }
    }
    for f in discovery.fenced {
        report.results.push(CaseResult::fail(CheckId::X2, f.relative.display().to_string(), vec![f.message]));
    }
    report.results.extend(structure::check(&ctx));
    report.results.extend(robustness::check(&ctx));
    report.results.extend(compat::check(&ctx));
    report.results.extend(since::check(&ctx));
    report.results.sort_by(|a, b| (a.check, &a.subject).cmp(&(b.check, &b.subject)));
    Ok(report)
}

/// What a remote base that cannot serve documents is needed for.
struct Need {
    reason: String,
    files: std::collections::BTreeSet<String>,
    targets: std::collections::BTreeSet<SchemaUri>,
    example: (String, String),
}

/// Resolves every external `$ref` of the loaded files once (see
/// [`check_repository`]); the documents stay in the resolver's cache for the
/// checks.
fn preflight(files: &[SchemaFile], resolver: &SchemaResolver) -> Result<(), SchemaError> {
    let mut needs: Vec<(String, Need)> = Vec::new();
    for file in files {
        let Ok(loaded) = &file.loaded else { continue };
        let Ok(base) = SchemaUri::parse(&loaded.id).map(|u| u.document()) else { continue };
        let mut refs = Vec::new();
        collect_refs(&loaded.value, &mut refs);
        for reference in refs {
            if reference.starts_with('#') || reference.starts_with("./#") {
                continue;
            }
            let Ok(target) = base.join(reference) else { continue };
            let document = target.document();
            if document == base {
                continue;
            }
            let Err(e) = resolver.resolve(&document) else { continue };
            let Some(unavailable) = e.unavailable_base() else { continue };
            let relative = file.relative.display().to_string();
            let at = match needs.iter().position(|(b, _)| b == unavailable) {
                Some(i) => i,
                None => {
                    let need = Need {
                        reason: e.to_string(),
                        files: std::collections::BTreeSet::new(),
                        targets: std::collections::BTreeSet::new(),
                        example: (target.to_string(), relative.clone()),
                    };
                    needs.push((unavailable.to_owned(), need));
                    needs.len() - 1
                }
            };
            let need = &mut needs[at].1;
            need.files.insert(relative);
            need.targets.insert(document);
        }
    }
    match needs.into_iter().next() {
        None => Ok(()),
        Some((base, need)) => Err(SchemaError::BaseUnavailable {
            base,
            reason: need.reason,
            files: need.files.len(),
            targets: need.targets.len(),
            example: need.example.0,
            example_file: need.example.1,
        }),
    }
}

/// Every `$ref` string under `value` (internal ones too), in document order.
pub(crate) fn collect_refs<'a>(value: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", serde_json::Value::String(s)) => out.push(s),
                    _ => collect_refs(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Keyword lookup in a schema object without hashing the key when the object
/// is small, as nearly every schema node is: the checks look up a dozen
/// keywords per node, and SipHash of each (serde_json's map) cost more than
/// the rest of the walk. Same answers as `Map::get` / `Value::get`.
pub(crate) trait Keyword {
    /// The value of member `key`, if `self` is an object that has it.
    fn kw(&self, key: &str) -> Option<&serde_json::Value>;

    /// Whether `self` is an object with member `key`.
    fn has_kw(&self, key: &str) -> bool {
        self.kw(key).is_some()
    }
}

/// Objects of at most this many members are searched in order.
const LINEAR_LOOKUP_MAX: usize = 12;

impl Keyword for serde_json::Map<String, serde_json::Value> {
    #[inline]
    fn kw(&self, key: &str) -> Option<&serde_json::Value> {
        if self.len() <= LINEAR_LOOKUP_MAX {
            self.iter().find_map(|(k, v)| (k.len() == key.len() && k == key).then_some(v))
        } else {
            self.get(key)
        }
    }
}

impl Keyword for serde_json::Value {
    #[inline]
    fn kw(&self, key: &str) -> Option<&serde_json::Value> {
        match self {
            serde_json::Value::Object(map) => map.kw(key),
            _ => None,
        }
    }
}
