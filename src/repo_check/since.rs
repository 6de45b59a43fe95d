//! S18 (`epc validate --repo DIR --since REV`, strict mode only): a
//! published version file must not change once it is committed. A version
//! file is `<X.Y.Z>.<content type>` or its extensionless symlink `<X.Y.Z>`
//! under the schema base path; `current.yaml` and the `latest` symlinks change
//! with every version and are not version files.
//!
//! What counts as changed since REV: what `git diff --name-status
//! --no-renames REV -- <schemaBasePath>` lists, run in the repository folder.
//! That compares REV with the working tree, so a version file modified or
//! deleted in a commit after REV, staged, or only edited in the working tree
//! (unstaged) is flagged alike: `M` (modified), `D` (deleted) and `T` (type
//! changed, e.g. a symlink replaced by a copy). An added file (`A`) is a new
//! version and is not flagged; neither is an untracked file (git does not
//! list it), which is a new version too, since every version file that
//! existed at REV is tracked. A rename shows as a deletion and an addition,
//! so the old name is flagged.
//!
//! `skipSchemaTestCases` skips S18 for a file with the skip name
//! `schema-published-version-unchanged`, matched against the file's `$id`
//! (for a deleted file, `/<directory>/<version>` from its path).

use std::path::Path;
use std::process::Command;

use super::config::ToolsConfig;
use super::{CaseResult, CaseStatus, CheckId, Context};
use crate::schema::SchemaVersion;

/// How git lists a changed path (`git diff --name-status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// `M`: the content changed.
    Modified,
    /// `D`: the path is gone.
    Deleted,
    /// `T`: the kind changed (a symlink became a regular file, or back).
    TypeChanged,
}

impl ChangeKind {
    fn verb(self) -> &'static str {
        match self {
            Self::Modified => "modified",
            Self::Deleted => "deleted",
            Self::TypeChanged => "changed type (a symlink replaced by a file, or the reverse)",
        }
    }
}

/// One published version file changed since the revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The path relative to the repository folder, `/`-separated
    /// (`jsonschema/test/event/1.0.0.yaml`).
    pub path: String,
    /// What happened to it.
    pub kind: ChangeKind,
}

/// The published version files changed since a git revision (see the module
/// documentation), sorted by path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    /// The revision as given (`main`, `HEAD~3`, a hash).
    pub rev: String,
    /// The changed version files.
    pub changes: Vec<Change>,
}

/// Why `--since` cannot be used: git is missing, the folder is not in a git
/// work tree, or the revision does not name a commit.
#[derive(Debug, thiserror::Error)]
#[error("--since {rev}: {message}")]
pub struct SinceError {
    /// The revision as given.
    pub rev: String,
    /// What went wrong, with git's own message.
    pub message: String,
}

/// Lists the version files under the repository's schema base path that git
/// says changed since `rev` (see the module documentation).
///
/// # Errors
/// [`SinceError`] when `.jsonschema-tools.yaml` cannot be read, git cannot be
/// run, `root` is not in a git work tree, or `rev` is not a commit.
pub fn changed_since(root: &Path, rev: &str) -> Result<Changes, SinceError> {
    let fail = |message: String| SinceError { rev: rev.to_owned(), message };
    let config = ToolsConfig::load(root).map_err(|e| fail(e.to_string()))?;
    if rev.starts_with('-') {
        return Err(fail("a revision cannot start with `-`".to_owned()));
    }
    let git = |args: &[&str]| -> Result<Vec<u8>, SinceError> {
        let out = Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .map_err(|e| fail(format!("cannot run git: {e}")))?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            let stderr = String::from_utf8_lossy(&out.stderr);
            Err(fail(format!("git {}: {}", args[0], stderr.lines().next().unwrap_or("failed"))))
        }
    };
    git(&["rev-parse", "--verify", "--quiet", "--end-of-options", &format!("{rev}^{{commit}}")])
        .map_err(|_| fail(format!("not a commit in the git repository of {}", root.display())))?;
    let base = config.schema_base_path.trim_end_matches('/');
    let out = git(&["diff", "--name-status", "--no-renames", "--relative", "-z", rev, "--", base])?;
    let mut fields = out.split(|b| *b == 0).filter(|f| !f.is_empty());
    let mut changes = Vec::new();
    while let (Some(status), Some(path)) = (fields.next(), fields.next()) {
        let kind = match status.first() {
            Some(b'M') => ChangeKind::Modified,
            Some(b'D') => ChangeKind::Deleted,
            Some(b'T') => ChangeKind::TypeChanged,
            _ => continue,
        };
        let path = String::from_utf8_lossy(path).into_owned();
        if is_version_file(&path, &config) {
            changes.push(Change { path, kind });
        }
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Changes { rev: rev.to_owned(), changes })
}

/// Whether the last segment of `path` is `<X.Y.Z>` or `<X.Y.Z>.<content type>`.
fn is_version_file(path: &str, config: &ToolsConfig) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = match name.rsplit_once('.') {
        Some((stem, ext)) if config.content_types.iter().any(|c| c == ext) => stem,
        _ => name,
    };
    stem.parse::<SchemaVersion>().is_ok()
}

/// `/<directory>/<version>` for a version file path under the schema base path.
fn id_of_path(path: &str, base: &str) -> String {
    let under = path.strip_prefix(base).unwrap_or(path).trim_start_matches('/');
    let (dir, name) = under.rsplit_once('/').unwrap_or(("", under));
    let version = name.split_once('.').map_or(name, |_| {
        // `1.0.0.yaml` → `1.0.0`: the stem when the name has an extension beyond the version.
        name.rsplit_once('.').filter(|(s, _)| s.parse::<SchemaVersion>().is_ok()).map_or(name, |(s, _)| s)
    });
    format!("/{dir}/{version}")
}

/// S18: one case per discovered version file (passed unless changed), and a
/// failed case for each changed version file that is no longer there or is
/// an extensionless symlink. Nothing when `--since` was not given.
#[must_use]
pub fn check(ctx: &Context) -> Vec<CaseResult> {
    let Some(since) = &ctx.since else { return Vec::new() };
    let rel = |p: &Path| p.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut case = |subject: String, id: String, change: Option<&Change>| {
        if let Some(rule) = ctx.skipped_by(CheckId::S18, &id) {
            out.push(CaseResult {
                check: CheckId::S18,
                subject,
                status: CaseStatus::Skip,
                messages: vec![rule],
                line: None,
            });
            return;
        }
        let messages = change
            .map(|c| {
                vec![format!(
                    "S18 {}: {} since `{}`; a published version must not change (materialize a new version instead)",
                    c.path,
                    c.kind.verb(),
                    since.rev
                )]
            })
            .unwrap_or_default();
        out.push(CaseResult::from_messages(CheckId::S18, subject, messages));
    };
    for file in ctx.files.iter().filter(|f| !f.is_current) {
        let subject = rel(&file.relative);
        let id =
            file.loaded.as_ref().map_or_else(|_| id_of_path(&subject, &ctx.config.schema_base_path), |l| l.id.clone());
        let change = since.changes.iter().find(|c| c.path == subject);
        seen.insert(subject.clone());
        case(subject, id, change);
    }
    for change in since.changes.iter().filter(|c| !seen.contains(&c.path)) {
        case(change.path.clone(), id_of_path(&change.path, &ctx.config.schema_base_path), Some(change));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_files_and_their_ids() {
        let config = ToolsConfig::from_value(&serde_json::json!({})).unwrap();
        assert!(is_version_file("jsonschema/test/event/1.0.0.yaml", &config));
        assert!(is_version_file("jsonschema/test/event/1.0.0", &config));
        assert!(!is_version_file("jsonschema/test/event/current.yaml", &config));
        assert!(!is_version_file("jsonschema/test/event/latest.yaml", &config));
        assert!(!is_version_file("jsonschema/test/event/1.0.0.txt", &config));
        assert_eq!(id_of_path("jsonschema/test/event/1.0.0.yaml", "jsonschema/"), "/test/event/1.0.0");
        assert_eq!(id_of_path("jsonschema/test/event/1.0.0", "jsonschema/"), "/test/event/1.0.0");
    }
}
