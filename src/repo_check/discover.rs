//! Finding the schema files of a repository, as jsonschema-tools'
//! `findSchemaPaths` does (schema-repos.md §4.1): under the schema base path,
//! files whose extension is a configured content type and whose name is the
//! current name or a semantic version. Unlike jsonschema-tools, a file that
//! does not parse, or lacks `title` or `$id`, is kept with its error instead
//! of aborting the run.
//!
//! Every file is read through the repository's [`Fence`]: a schema file
//! whose real path is outside the repository, that is not a regular file (a
//! FIFO, a device, a folder), that is a symlink loop, or that is larger than
//! [`MAX_FILE_LEN`](crate::schema::repository::MAX_FILE_LEN) is not read and
//! is an X2 finding. Folders are walked without following symlinks; a
//! symlinked folder leading outside the repository is an X2 finding too.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::CheckId;
use super::config::ToolsConfig;
use crate::schema::SchemaVersion;
use crate::schema::repository::{DocumentCache, Fence, Refusal, SchemaError};

/// Why a schema file cannot be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The finding: [`CheckId::X1`] (unreadable or malformed) or
    /// [`CheckId::X2`] (not read: outside the repository, not a regular file,
    /// too large).
    pub check: CheckId,
    /// A one-line message naming the file.
    pub message: String,
    /// The 1-based line, when known.
    pub line: Option<u64>,
}

/// A path under the schema base path that is not walked: a symlinked folder
/// whose real path is outside the repository (an X2 finding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fenced {
    /// The path relative to the repository root.
    pub relative: PathBuf,
    /// A one-line message naming the path and where it leads.
    pub message: String,
}

/// What [`discover`] found.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// Every schema file, loaded or not, sorted by path.
    pub files: Vec<SchemaFile>,
    /// Symlinked folders leading outside the repository, sorted by path.
    pub fenced: Vec<Fenced>,
}

/// A loaded schema file's identity.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The parsed document, shared with the run's [`DocumentCache`] (and so
    /// with the `$ref` resolution that reads the same file).
    pub value: Arc<Value>,
    /// Its `title`.
    pub title: String,
    /// Its `$id`.
    pub id: String,
    /// The version read from `$id` (jsonschema-tools' `semver.coerce` of its basename).
    pub version: Option<SchemaVersion>,
}

/// One schema file of the repository.
#[derive(Debug, Clone)]
pub struct SchemaFile {
    /// The file.
    pub path: PathBuf,
    /// The file relative to the repository root (`jsonschema/test/event/1.0.0.yaml`).
    pub relative: PathBuf,
    /// Its directory relative to the schema base path (`test/event`), as `/`-joined text.
    pub dir: String,
    /// Whether it is the current file (`current.yaml`).
    pub is_current: bool,
    /// Its content type (the extension: `yaml`, `json`).
    pub content_type: String,
    /// The version its name says (`1.0.0.yaml`); `None` for current.
    pub name_version: Option<SchemaVersion>,
    /// The document, or why it cannot be used.
    pub loaded: Result<Loaded, LoadError>,
}

/// `semver.coerce(basename(id))`: the first `X[.Y[.Z]]` in the last path segment.
#[must_use]
pub fn version_of_id(id: &str) -> Option<SchemaVersion> {
    let base = id.rsplit('/').next().unwrap_or(id);
    let start = base.find(|c: char| c.is_ascii_digit())?;
    let nums: Vec<u64> = base[start..]
        .split('.')
        .take(3)
        .map_while(|p| {
            let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect();
    let get = |i: usize| nums.get(i).copied().unwrap_or(0);
    (!nums.is_empty()).then(|| SchemaVersion { major: get(0), minor: get(1), patch: get(2) })
}

/// Finds and loads every schema file (see the module documentation), sorted
/// by path, reading only through the repository's [`Fence`], with a cache of
/// its own ([`discover_with`] shares one).
///
/// # Errors
/// [`SchemaError::Io`] when a folder cannot be listed or the repository
/// cannot be resolved; [`SchemaError::Refused`] when the schema base path
/// leads outside the repository.
pub fn discover(root: &Path, config: &ToolsConfig) -> Result<Discovery, SchemaError> {
    discover_with(root, config, &DocumentCache::new())
}

/// [`discover`], reading and parsing through `documents` (the run's
/// [`DocumentCache`], which the resolver shares: a file that a `$ref` needs
/// later is not parsed again, nor one reached here by two names).
///
/// # Errors
/// As [`discover`].
pub fn discover_with(root: &Path, config: &ToolsConfig, documents: &DocumentCache) -> Result<Discovery, SchemaError> {
    let fence = Fence::new(root)?;
    let base = root.join(&config.schema_base_path);
    let real_base = base.canonicalize().map_err(|error| SchemaError::Io { path: base.clone(), error })?;
    if !fence.contains(&real_base) {
        let refusal = Refusal::Outside { real: real_base, through_symlink: false };
        return Err(SchemaError::Refused { path: base, refusal });
    }
    let mut out = Vec::new();
    let mut fenced = Vec::new();
    let mut stack = vec![base.clone()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|error| SchemaError::Io { path: dir.clone(), error })?;
        for entry in entries {
            let entry = entry.map_err(|error| SchemaError::Io { path: dir.clone(), error })?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|error| SchemaError::Io { path: path.clone(), error })?;
            if kind.is_dir() {
                // A real folder (not a symlink) of a folder inside the repository is inside it.
                stack.push(path);
                continue;
            }
            if kind.is_symlink()
                && std::fs::metadata(&path).is_ok_and(|m| m.is_dir())
                && let Ok(real) = path.canonicalize()
                && !fence.contains(&real)
            {
                let relative = path.strip_prefix(root).unwrap_or(&path).to_owned();
                let message = format!(
                    "{}: symlink to {}, a folder outside the repository; not walked",
                    relative.display(),
                    real.display()
                );
                fenced.push(Fenced { relative, message });
                continue;
            }
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
            let Some((stem, ext)) = name.rsplit_once('.') else { continue };
            let (stem, ext) = (stem.to_owned(), ext.to_owned());
            if !config.content_types.contains(&ext) {
                continue;
            }
            let current_stem = config.current_name.rsplit_once('.').map_or(config.current_name.as_str(), |(s, _)| s);
            let is_current = stem == current_stem;
            let name_version = stem.parse::<SchemaVersion>().ok();
            if !is_current && name_version.is_none() {
                continue;
            }
            let relative = path.strip_prefix(root).unwrap_or(&path).to_owned();
            let dir_rel = path.parent().and_then(|p| p.strip_prefix(&base).ok()).unwrap_or(Path::new(""));
            let dir_text = dir_rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            let loaded = load(documents, &fence, &path, &relative);
            if let Ok(l) = &loaded
                && config.ignore.iter().any(|r| r.is_match(&l.id))
            {
                continue;
            }
            out.push(SchemaFile { path, relative, dir: dir_text, is_current, content_type: ext, name_version, loaded });
        }
    }
    out.sort_by(|a, b| a.relative.cmp(&b.relative));
    fenced.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(Discovery { files: out, fenced })
}

fn load(documents: &DocumentCache, fence: &Fence, path: &Path, relative: &Path) -> Result<Loaded, LoadError> {
    let shown = relative.display();
    let x1 = |message: String, line: Option<u64>| LoadError { check: CheckId::X1, message, line };
    let value = documents.load(fence, path).map_err(|e| match e {
        SchemaError::Refused { refusal, .. } => {
            LoadError { check: CheckId::X2, message: format!("{shown}: {refusal}; not read"), line: None }
        }
        SchemaError::Document(e) => x1(e.to_string(), (e.position.line > 0).then_some(e.position.line)),
        SchemaError::Io { path, error } => x1(format!("{}: cannot read: {error}", path.display()), None),
        other => x1(other.to_string(), None),
    })?;
    let title = value.get("title").and_then(Value::as_str).map(str::to_owned).ok_or_else(|| {
        x1(format!("{shown}: no `title`: every schema needs one (jsonschema-tools aborts its whole run here)"), None)
    })?;
    let id = value.get("$id").and_then(Value::as_str).map(str::to_owned).ok_or_else(|| {
        x1(format!("{shown}: no `$id`: every schema needs one (jsonschema-tools aborts its whole run here)"), None)
    })?;
    let version = version_of_id(&id);
    Ok(Loaded { value, title, id, version })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_come_from_the_id_basename() {
        let v = |s: &str| version_of_id(s).map(|v| v.to_string());
        assert_eq!(v("/test/event/1.2.3").as_deref(), Some("1.2.3"));
        assert_eq!(v("/test/event/1.2").as_deref(), Some("1.2.0"));
        assert_eq!(v("/test/event/current"), None);
    }

    #[test]
    fn files_and_folders_leading_outside_are_not_read_nor_walked() {
        use std::os::unix::fs::symlink;
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("x.yaml"), "title: test/event\n$id: /test/event/2.0.0\n").unwrap();
        std::fs::create_dir_all(outside.path().join("d/t")).unwrap();
        std::fs::write(outside.path().join("d/t/1.0.0.yaml"), "title: t\n$id: /t/1.0.0\n").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("jsonschema/test/event");
        std::fs::create_dir_all(&base).unwrap();
        std::fs::write(base.join("1.0.0.yaml"), "title: test/event\n$id: /test/event/1.0.0\n").unwrap();
        symlink("1.0.0.yaml", base.join("1.0.1.yaml")).unwrap();
        symlink(outside.path().join("x.yaml"), base.join("2.0.0.yaml")).unwrap();
        symlink("3.0.0.yaml", base.join("3.0.0.yaml")).unwrap();
        symlink(outside.path().join("d"), dir.path().join("jsonschema/d")).unwrap();
        symlink("..", dir.path().join("jsonschema/test/up")).unwrap();
        let config = ToolsConfig::from_value(&serde_json::json!({"contentTypes": ["yaml"]})).unwrap();
        let found = discover(dir.path(), &config).unwrap();
        let checks: Vec<(String, Option<CheckId>)> = found
            .files
            .iter()
            .map(|f| (f.relative.display().to_string(), f.loaded.as_ref().err().map(|e| e.check)))
            .collect();
        assert_eq!(
            checks,
            [
                ("jsonschema/test/event/1.0.0.yaml".to_owned(), None),
                ("jsonschema/test/event/1.0.1.yaml".to_owned(), None),
                ("jsonschema/test/event/2.0.0.yaml".to_owned(), Some(CheckId::X2)),
                ("jsonschema/test/event/3.0.0.yaml".to_owned(), Some(CheckId::X2)),
            ]
        );
        let message = &found.files[2].loaded.as_ref().unwrap_err().message;
        assert!(message.starts_with("jsonschema/test/event/2.0.0.yaml: symlink to "), "{message}");
        assert!(message.ends_with("x.yaml, outside the repository; not read"), "{message}");
        assert_eq!(
            found.files[3].loaded.as_ref().unwrap_err().message,
            "jsonschema/test/event/3.0.0.yaml: a symlink loop; not read"
        );
        assert_eq!(found.fenced.len(), 1, "{:?}", found.fenced);
        assert_eq!(found.fenced[0].relative, Path::new("jsonschema/d"));
        assert!(found.fenced[0].message.ends_with(", a folder outside the repository; not walked"));
    }

    #[test]
    fn finds_versioned_and_current_files_and_keeps_broken_ones() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("jsonschema/test/event");
        std::fs::create_dir_all(&base).unwrap();
        std::fs::write(base.join("1.0.0.yaml"), "title: test/event\n$id: /test/event/1.0.0\n").unwrap();
        std::fs::write(base.join("current.yaml"), "title: test/event\n$id: /test/event/1.0.0\n").unwrap();
        std::fs::write(base.join("1.1.0.yaml"), "title: [unclosed\n").unwrap();
        std::fs::write(base.join("latest"), "1.0.0.yaml").unwrap();
        std::fs::write(base.join("notes.yaml"), "x: 1\n").unwrap();
        let config = ToolsConfig::from_value(&serde_json::json!({"contentTypes": ["yaml"]})).unwrap();
        let files = discover(dir.path(), &config).unwrap().files;
        let names: Vec<String> = files.iter().map(|f| f.relative.display().to_string()).collect();
        assert_eq!(
            names,
            [
                "jsonschema/test/event/1.0.0.yaml",
                "jsonschema/test/event/1.1.0.yaml",
                "jsonschema/test/event/current.yaml"
            ]
        );
        assert!(files[1].loaded.is_err());
        assert_eq!(files[0].dir, "test/event");
        assert!(files[2].is_current);
    }
}
