//! Schema authoring: materializing `current.yaml` files into a schema
//! repository's version files and symlinks, as jsonschema-tools 1.3.0's
//! `materialize`, `materialize-modified` and `materialize-all` write them
//! (schema-repos.md §3), with what those commands lack: dependency order,
//! a dry run that says what would change, and no overwriting of a published
//! version.
//!
//! [`plan`] decides everything and writes nothing; [`apply`] writes a plan.
//! For each selected current file, per `.jsonschema-tools.yaml`:
//!
//! 1. Materialize it ([`materialize::materialize`]: dereference, merge
//!    `allOf`, keep only its own `examples`, enforce `enforcedNumericBounds`),
//!    then, when `shouldGenerateExample` is on and the result has no (or empty)
//!    `examples`, add the example json-schema-faker makes
//!    ([`materialize::materialize_for`]), with its `$schema` set to the `$id`.
//! 2. Serialize it once per `contentTypes` entry, as jsonschema-tools does
//!    ([`emit::to_yaml`] = js-yaml's `dump` with its schema key order,
//!    [`emit::to_json`] = json-stable-stringify with 2 spaces), to
//!    `<version>.<type>` beside the current file, the version being
//!    `semver.coerce` of the `$id`'s last segment.
//! 3. Symlinks (relative, in the same folder): with `shouldSymlinkExtensionless`,
//!    `<version>` → `<version>.<first type>`; with `shouldSymlinkLatest`,
//!    `latest.<type>` → `<version>.<type>` for each type, and `latest` →
//!    `<version>.<first type>`, each only when it is missing or the version
//!    it leads to (read from that file's `$id`) is not greater.
//!
//! Titles are materialized in dependency order: when a current file `$ref`s
//! the version another selected current file materializes (`/error/2.1.0`),
//! that one comes first, and its result is what the `$ref` resolves to (it is
//! put in the resolver's cache with [`SchemaResolver::preload`]), so a run
//! works even when the version files are not written yet (jsonschema-tools
//! materializes all at once and fails when a `$ref`'d version is missing).
//! A cycle of such `$ref`s is a problem of each title in it.
//!
//! An existing file is compared with what would be written:
//! - the same bytes: [`Action::Unchanged`];
//! - the same schema in other bytes (written by an older jsonschema-tools,
//!   in another key order or line folding; compared as
//!   [`materialize::diff`] compares): [`Action::SameSchema`], left as it is;
//! - another schema: a version is immutable once published, so this is a
//!   problem of the title (nothing of it is written), unless the file is not
//!   in git's `HEAD` (a draft of the change being made: it is replaced) or
//!   [`Options::force`] is set. Outside a git work tree every existing file
//!   counts as published.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::repo_check::config::ToolsConfig;
use crate::repo_check::discover::{self, version_of_id};
use crate::repo_check::{emit, materialize};
use crate::schema::repository::{Fence, SchemaError, SchemaRepository, SchemaResolver, SchemaSources};
use crate::schema::{SchemaUri, SchemaVersion};

/// Which current files to materialize.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// These current files (paths as given, each inside the repository).
    Files(Vec<PathBuf>),
    /// Every current file under the schema base path (`materialize-all`).
    All,
    /// The current files git reports as changed under the schema base path:
    /// staged, unstaged and untracked (new titles); with `staged_only`, the
    /// staged ones only (the pre-commit hook, `materialize-modified --staged`).
    /// Deleted files are not selected (`--diff-filter=ACM`).
    Modified {
        /// Only what `git diff --cached` lists.
        staged_only: bool,
    },
}

/// How to materialize.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Replace an existing version file whose schema would change even when
    /// git has it in `HEAD` (for a version not released yet).
    pub force: bool,
}

/// What [`plan`] decided, for every selected title.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The repository root.
    pub root: PathBuf,
    /// One entry per selected current file, in the order they are materialized.
    pub titles: Vec<TitlePlan>,
}

impl Plan {
    /// Whether any title cannot be materialized.
    #[must_use]
    pub fn has_problems(&self) -> bool {
        self.titles.iter().any(|t| !t.problems.is_empty())
    }
}

/// One current file's materialization.
#[derive(Debug, Clone)]
pub struct TitlePlan {
    /// The current file, relative to the repository root.
    pub current: PathBuf,
    /// Its `$id` (empty when it could not be read).
    pub id: String,
    /// The version materialized (from the `$id`).
    pub version: Option<SchemaVersion>,
    /// What would be written, in order: version files, then symlinks. Empty
    /// when there are problems.
    pub changes: Vec<Change>,
    /// Why the title is not materialized (one line each, naming the file and
    /// the JSON pointer where there is one); nothing of it is written.
    pub problems: Vec<String>,
}

/// One file or symlink of a title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The path, relative to the repository root.
    pub path: PathBuf,
    /// What happens to it.
    pub action: Action,
}

/// What happens to one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A new file with these contents.
    Create {
        /// The bytes to write.
        contents: String,
    },
    /// An existing file replaced (not in git's `HEAD`, or forced).
    Replace {
        /// The bytes to write.
        contents: String,
        /// The first differences from the file's schema (`/properties/x: 1 → 2`),
        /// empty when only the bytes differ.
        differences: Vec<String>,
    },
    /// The file already has these bytes.
    Unchanged,
    /// The file holds the same schema in other bytes; it is left as it is.
    SameSchema,
    /// A symlink created, or replacing what is at the path.
    Link {
        /// The link's target (a file name in the same folder).
        target: String,
        /// What is at the path now: `None` when nothing; a symlink's target;
        /// `"(a file)"` for a regular file.
        previous: Option<String>,
    },
    /// The symlink already leads there.
    LinkUnchanged {
        /// Its target.
        target: String,
    },
}

impl Action {
    /// Whether [`apply`] writes anything for it.
    #[must_use]
    pub fn writes(&self) -> bool {
        matches!(self, Self::Create { .. } | Self::Replace { .. } | Self::Link { .. })
    }
}

/// Why a run could not be planned or applied.
#[derive(Debug)]
pub enum AuthoringError {
    /// The repository, its config or a schema source cannot be used.
    Schema(SchemaError),
    /// A path given is not a current file of this repository.
    NotCurrent {
        /// The path as given.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// git failed (not installed, not a work tree, …) where it is needed.
    Git {
        /// The command run.
        command: String,
        /// What it said.
        message: String,
    },
    /// A different `pre-commit` hook is installed (and no `force`).
    HookExists {
        /// The hook file.
        path: PathBuf,
    },
    /// Writing a file or symlink failed (what was written before stays).
    Write {
        /// The path.
        path: PathBuf,
        /// The error.
        error: std::io::Error,
    },
}

impl fmt::Display for AuthoringError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Schema(e) => write!(f, "{e}"),
            Self::NotCurrent { path, reason } => write!(f, "{}: {reason}", path.display()),
            Self::Git { command, message } => write!(f, "`{command}` failed: {message}"),
            Self::Write { path, error } => write!(f, "{}: cannot write: {error}", path.display()),
            Self::HookExists { path } => {
                write!(f, "{}: a different pre-commit hook is there; pass --force to replace it", path.display())
            }
        }
    }
}

impl std::error::Error for AuthoringError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Schema(e) => Some(e),
            Self::Write { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl From<SchemaError> for AuthoringError {
    fn from(e: SchemaError) -> Self {
        Self::Schema(e)
    }
}

/// A selected current file, read.
struct Selected {
    path: PathBuf,
    relative: PathBuf,
    loaded: Result<(Value, String), String>,
}

/// Decides what materializing `selection` in the repository at `root` writes
/// (nothing is written). `$ref`s resolve against the repository first, then
/// `sources` (other local repositories, base URIs), then the repository's
/// own `schemaBaseUris`, as `epc validate --repo` resolves them.
///
/// # Errors
/// [`AuthoringError::Schema`] when the repository or its config cannot be
/// read; [`AuthoringError::NotCurrent`] for a path that is not a current file
/// inside the repository's schema base path; [`AuthoringError::Git`] when
/// `Selection::Modified` cannot ask git. Problems of single titles
/// (unresolvable `$ref`s, a published version that would change) are in
/// their [`TitlePlan::problems`], not errors.
pub fn plan(
    root: &Path,
    selection: &Selection,
    sources: SchemaSources,
    options: Options,
) -> Result<Plan, AuthoringError> {
    let config = ToolsConfig::load(root)?;
    let repo = SchemaRepository::open(root)?;
    let fence = repo.fence().clone();
    let mut repos = vec![repo];
    repos.extend(sources.repositories);
    let resolver = SchemaResolver::with_http(repos, &sources.base_uris, Some(sources.http))?;
    let selected = select(root, &fence, &config, selection)?;
    let order = dependency_order(&selected);
    let git = Git::new(root);
    let mut titles = Vec::with_capacity(selected.len());
    for step in order {
        let s = &selected[step.index];
        let mut title = TitlePlan {
            current: s.relative.clone(),
            id: String::new(),
            version: None,
            changes: Vec::new(),
            problems: step.problems,
        };
        match &s.loaded {
            Err(message) => title.problems.push(message.clone()),
            Ok((value, id)) => {
                title.id.clone_from(id);
                title.version = version_of_id(id);
                if title.problems.is_empty() {
                    plan_title(&mut title, s, value, &config, &resolver, &fence, &git, options);
                }
            }
        }
        if !title.problems.is_empty() {
            title.changes.clear();
        }
        titles.push(title);
    }
    Ok(Plan { root: root.to_owned(), titles })
}

/// Materializes one title into `title.changes` (or `title.problems`), and
/// preloads the result for the titles that `$ref` it.
#[allow(clippy::too_many_arguments)]
fn plan_title(
    title: &mut TitlePlan,
    s: &Selected,
    value: &Value,
    config: &ToolsConfig,
    resolver: &SchemaResolver,
    fence: &Fence,
    git: &Git,
    options: Options,
) {
    let shown = s.relative.display().to_string();
    let Some(version) = title.version else {
        title
            .problems
            .push(format!("{shown}#/$id: `{}` does not end in a version (X.Y.Z) to materialize as", title.id));
        return;
    };
    let materialize::Materialized { value: schema, shared } =
        match materialize::materialize_for(value, resolver, config) {
            Ok(m) => m,
            Err(problems) => {
                title.problems.extend(
                    problems
                        .into_iter()
                        .map(|p| format!("{shown}#{}: cannot be materialized: {}", p.pointer, p.message)),
                );
                return;
            }
        };
    let dir = s.path.parent().unwrap_or(Path::new("")).to_owned();
    let dir_rel = s.relative.parent().unwrap_or(Path::new("")).to_owned();
    let version_text = version.to_string();
    let mut changes = Vec::new();
    for content_type in &config.content_types {
        let name = format!("{version_text}.{content_type}");
        let contents =
            if content_type == "json" { emit::to_json(&schema) } else { emit::to_yaml_shared(&schema, &shared) };
        let path = dir.join(&name);
        let relative = dir_rel.join(&name);
        match compare(&path, &relative, &contents, &schema, fence, git, options) {
            Ok(action) => changes.push(Change { path: relative, action }),
            Err(problem) => title.problems.push(problem),
        }
    }
    if !title.problems.is_empty() {
        return;
    }
    let first = &config.content_types[0];
    let mut links: Vec<(String, String, bool)> = Vec::new();
    if config.symlink_latest {
        for content_type in &config.content_types {
            links.push((format!("latest.{content_type}"), format!("{version_text}.{content_type}"), true));
            if config.symlink_extensionless && content_type == first {
                links.push((version_text.clone(), format!("{version_text}.{first}"), false));
                links.push(("latest".into(), format!("{version_text}.{first}"), true));
            }
        }
    } else if config.symlink_extensionless {
        links.push((version_text.clone(), format!("{version_text}.{first}"), false));
    }
    for (name, target, only_if_newer) in links {
        let path = dir.join(&name);
        if only_if_newer && !newer_or_equal(&path, version, fence) {
            continue;
        }
        let action = match std::fs::symlink_metadata(&path) {
            Err(_) => Action::Link { target, previous: None },
            Ok(meta) if meta.file_type().is_symlink() => match std::fs::read_link(&path) {
                Ok(t) if t == Path::new(&target) => Action::LinkUnchanged { target },
                Ok(t) => Action::Link { target, previous: Some(t.display().to_string()) },
                Err(_) => Action::Link { target, previous: Some("(unreadable)".into()) },
            },
            Ok(meta) if meta.is_dir() => {
                title.problems.push(format!(
                    "{}: is a folder where the `{name}` symlink goes; remove it first",
                    dir_rel.join(&name).display()
                ));
                continue;
            }
            Ok(_) => Action::Link { target, previous: Some("(a file)".into()) },
        };
        changes.push(Change { path: dir_rel.join(&name), action });
    }
    if !title.problems.is_empty() {
        return;
    }
    preload(
        resolver,
        &title.id,
        &version_text,
        &schema,
        &dir,
        config,
        changes.iter().any(|c| c.path.ends_with("latest")),
    );
    title.changes = changes;
}

/// Makes the materialized schema what `$ref`s to its version (and to
/// `latest`, when that is updated) resolve to.
fn preload(
    resolver: &SchemaResolver,
    id: &str,
    version: &str,
    schema: &Value,
    dir: &Path,
    config: &ToolsConfig,
    latest: bool,
) {
    let Ok(uri) = SchemaUri::parse(id) else { return };
    let first = &config.content_types[0];
    // The `$id` as written (`/x/1.2`), and the version the files are named by (`1.2.0`).
    let mut uris = vec![(uri.clone(), format!("{version}.{first}"))];
    if let Ok(u) = uri.join(version) {
        uris.push((u, format!("{version}.{first}")));
    }
    for content_type in &config.content_types {
        if let Ok(u) = uri.join(&format!("{version}.{content_type}")) {
            uris.push((u, format!("{version}.{content_type}")));
        }
        if latest && let Ok(u) = uri.join(&format!("latest.{content_type}")) {
            uris.push((u, format!("latest.{content_type}")));
        }
    }
    if latest && let Ok(u) = uri.join("latest") {
        uris.push((u, "latest".into()));
    }
    // One copy of the schema, shared by every URI it answers to.
    let schema = std::sync::Arc::new(schema.clone());
    for (u, name) in uris {
        resolver.preload(&u, std::sync::Arc::clone(&schema), dir.join(name));
    }
}

/// Whether a `latest` link at `path` is to be (re)made for `version`: it is
/// missing, or the schema it leads to has a version that is not greater
/// (jsonschema-tools' `updateLatestSymlink`). A link that cannot be read is
/// replaced.
fn newer_or_equal(path: &Path, version: SchemaVersion, fence: &Fence) -> bool {
    if std::fs::symlink_metadata(path).is_err() {
        return true;
    }
    let Ok(value) = fence.load_document(path) else { return true };
    match value.get("$id").and_then(Value::as_str).and_then(version_of_id) {
        Some(existing) => version >= existing,
        None => true,
    }
}

/// What to do with a version file that would hold `contents` (the
/// serialization of `schema`).
fn compare(
    path: &Path,
    relative: &Path,
    contents: &str,
    schema: &Value,
    fence: &Fence,
    git: &Git,
    options: Options,
) -> Result<Action, String> {
    let shown = relative.display();
    match std::fs::symlink_metadata(path) {
        Err(_) => return Ok(Action::Create { contents: contents.to_owned() }),
        Ok(meta) if meta.file_type().is_symlink() || !meta.is_file() => {
            return Err(format!(
                "{shown}: is a {} where the materialized version file goes; remove it first",
                if meta.file_type().is_symlink() { "symlink" } else { "folder or special file" }
            ));
        }
        Ok(_) => {}
    }
    let existing_bytes = fence.read_to_string(path).map_err(|e| format!("{shown}: cannot read: {e}"))?;
    if existing_bytes == contents {
        return Ok(Action::Unchanged);
    }
    let existing = crate::schema::yaml::parse_str(
        &existing_bytes,
        crate::schema::yaml::Format::for_path(path),
        &shown.to_string(),
    );
    let differences: Vec<String> = match &existing {
        Ok(old) => materialize::diff(old, schema)
            .iter()
            .take(3)
            .map(|d| {
                let side = |v: &Option<Value>| v.as_ref().map_or_else(|| "(absent)".to_owned(), materialize::short);
                format!(
                    "{}: {} → {}",
                    if d.pointer.is_empty() { "/" } else { &d.pointer },
                    side(&d.left),
                    side(&d.right)
                )
            })
            .collect(),
        Err(e) => vec![format!("the file does not parse: {e}")],
    };
    if differences.is_empty() && !options.force {
        return Ok(Action::SameSchema);
    }
    let why = match if options.force { Published::Draft } else { git.published(relative) } {
        Published::Draft => return Ok(Action::Replace { contents: contents.to_owned(), differences }),
        Published::InHead => "is published (in git's HEAD)",
        Published::NoGit => "exists (not in a git work tree, so every existing version counts as published)",
    };
    Err(format!(
        "{shown}: {why} and its schema would change ({}): a changed schema is a new version; \
         give current.yaml's $id a new version, or run `epc materialize --force` on it if this version is not \
         released yet",
        differences.join("; ")
    ))
}

/// Whether an existing version file counts as published.
enum Published {
    /// git has it in `HEAD`.
    InHead,
    /// Not in a git work tree: every existing version counts as published.
    NoGit,
    /// In a work tree but not in `HEAD`: a draft of the change being made.
    Draft,
}

/// Asks git about the repository, when it is in a work tree.
struct Git {
    root: PathBuf,
}

impl Git {
    fn new(root: &Path) -> Self {
        Self { root: root.to_owned() }
    }

    /// Whether `relative` (to the repository root) counts as published: in
    /// git's `HEAD`, or (outside a work tree, or without git) simply existing.
    fn published(&self, relative: &Path) -> Published {
        if !self.in_work_tree() {
            return Published::NoGit;
        }
        let spec = format!("HEAD:./{}", relative.display());
        let in_head = Command::new("git")
            .arg("-C")
            .arg(&self.root)
            .args(["cat-file", "-e", &spec])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if in_head { Published::InHead } else { Published::Draft }
    }

    fn in_work_tree(&self) -> bool {
        self.run(&["rev-parse", "--is-inside-work-tree"]).is_ok_and(|out| out.trim() == "true")
    }

    fn run(&self, args: &[&str]) -> Result<String, AuthoringError> {
        let command = format!("git -C {} {}", self.root.display(), args.join(" "));
        let output = Command::new("git")
            .arg("-C")
            .arg(&self.root)
            .args(args)
            .output()
            .map_err(|e| AuthoringError::Git { command: command.clone(), message: e.to_string() })?;
        if !output.status.success() {
            let message = String::from_utf8_lossy(&output.stderr).trim().to_owned();
            return Err(AuthoringError::Git { command, message });
        }
        String::from_utf8(output.stdout)
            .map_err(|_| AuthoringError::Git { command, message: "printed a path that is not UTF-8".into() })
    }

    /// Paths (absolute) that git lists as changed: `diff --cached`, and
    /// unless `staged_only` also `diff` and untracked files, each with
    /// `--diff-filter=ACM` where it applies.
    fn modified(&self, staged_only: bool) -> Result<Vec<PathBuf>, AuthoringError> {
        let top = PathBuf::from(self.run(&["rev-parse", "--show-toplevel"])?.trim());
        let mut lists = vec![self.run(&["diff", "--cached", "--name-only", "--diff-filter=ACM", "-z"])?];
        if !staged_only {
            lists.push(self.run(&["diff", "--name-only", "--diff-filter=ACM", "-z"])?);
            lists.push(self.run(&["ls-files", "--others", "--exclude-standard", "--full-name", "-z"])?);
        }
        let paths: BTreeSet<PathBuf> =
            lists.iter().flat_map(|l| l.split('\0')).filter(|p| !p.is_empty()).map(|p| top.join(p)).collect();
        Ok(paths.into_iter().collect())
    }
}

/// The selected current files, read.
fn select(
    root: &Path,
    fence: &Fence,
    config: &ToolsConfig,
    selection: &Selection,
) -> Result<Vec<Selected>, AuthoringError> {
    let base = root.join(&config.schema_base_path);
    let real_base = base.canonicalize().map_err(|error| SchemaError::Io { path: base.clone(), error })?;
    let paths: Vec<PathBuf> = match selection {
        Selection::All => {
            discover::discover(root, config)?.files.into_iter().filter(|f| f.is_current).map(|f| f.path).collect()
        }
        Selection::Modified { staged_only } => {
            let git = Git::new(root);
            git.modified(*staged_only)?
                .into_iter()
                .filter(|p| p.file_name().is_some_and(|n| n == config.current_name.as_str()))
                .filter(|p| p.canonicalize().is_ok_and(|real| real.starts_with(&real_base)))
                .collect()
        }
        Selection::Files(files) => {
            let mut out = Vec::new();
            for file in files {
                let not_current = |reason: String| AuthoringError::NotCurrent { path: file.clone(), reason };
                if file.file_name().is_none_or(|n| n != config.current_name.as_str()) {
                    return Err(not_current(format!(
                        "is not a current file (its name is not `{}`, the repository's currentName)",
                        config.current_name
                    )));
                }
                let real = file.canonicalize().map_err(|e| not_current(format!("cannot be read: {e}")))?;
                if !real.starts_with(&real_base) {
                    return Err(not_current(format!(
                        "is not under the schema base path {} of the repository {}",
                        real_base.display(),
                        root.display()
                    )));
                }
                out.push(real);
            }
            out
        }
    };
    let real_root = fence.root().to_owned();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for path in paths {
        let real = path.canonicalize().unwrap_or_else(|_| path.clone());
        if !seen.insert(real.clone()) {
            continue;
        }
        // Paths are the real path's, relative to the repository's real root.
        let relative = real.strip_prefix(&real_root).map(Path::to_path_buf).unwrap_or_else(|_| path.clone());
        let path = real_root.join(&relative);
        let shown = relative.display().to_string();
        let loaded = fence.load_document(&path).map_err(|e| e.to_string()).and_then(|value| {
            let id = value
                .get("$id")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("{shown}: no `$id`: a current file needs one to be materialized"))?;
            Ok((value, id))
        });
        out.push(Selected { path, relative, loaded });
    }
    out.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(out)
}

/// One title's place in the order, with the problems ordering found.
struct Step {
    index: usize,
    problems: Vec<String>,
}

/// Orders the selected files so that each comes after the files whose
/// versions it `$ref`s (ties in path order); files in a `$ref` cycle come
/// last, each with a problem naming the cycle.
fn dependency_order(selected: &[Selected]) -> Vec<Step> {
    // Each selected title by the URIs its materialization provides: its `$id`,
    // the version it is named by, and its folder's `latest` (which it may move).
    let mut by_id: HashMap<SchemaUri, usize> = HashMap::new();
    for (i, s) in selected.iter().enumerate() {
        if let Ok((_, id)) = &s.loaded
            && let Ok(uri) = SchemaUri::parse(id)
        {
            let mut provided = vec![uri.document()];
            if let Some(v) = version_of_id(id)
                && let Ok(u) = uri.join(&v.to_string())
            {
                provided.push(u.document());
            }
            if let Ok(u) = uri.join("latest") {
                provided.push(u.document());
            }
            for u in provided {
                by_id.insert(u, i);
            }
        }
    }
    let mut needs: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); selected.len()];
    for (i, s) in selected.iter().enumerate() {
        let Ok((value, id)) = &s.loaded else { continue };
        let Ok(base) = SchemaUri::parse(id).map(|u| u.document()) else { continue };
        let mut refs = Vec::new();
        crate::repo_check::collect_refs(value, &mut refs);
        for r in refs {
            let Ok(target) = base.join(r) else { continue };
            let mut document = target.document();
            // `/error/2.1.0.yaml` names the same version as `/error/2.1.0` (and `latest.yaml` as `latest`).
            if let Some(stem) =
                document.as_str().strip_suffix(".yaml").or_else(|| document.as_str().strip_suffix(".json"))
                && let Ok(u) = SchemaUri::parse(stem)
            {
                document = u;
            }
            if let Some(&j) = by_id.get(&document)
                && j != i
            {
                needs[i].insert(j);
            }
        }
    }
    let mut done = vec![false; selected.len()];
    let mut order = Vec::with_capacity(selected.len());
    loop {
        let ready: Vec<usize> =
            (0..selected.len()).filter(|&i| !done[i] && needs[i].iter().all(|&j| done[j])).collect();
        if ready.is_empty() {
            break;
        }
        for i in ready {
            done[i] = true;
            order.push(Step { index: i, problems: Vec::new() });
        }
    }
    for i in (0..selected.len()).filter(|&i| !done[i]) {
        let waiting: Vec<String> =
            needs[i].iter().filter(|&&j| !done[j]).map(|&j| selected[j].relative.display().to_string()).collect();
        order.push(Step {
            index: i,
            problems: vec![format!(
                "{}: its `$ref`s and those of {} form a cycle: none of them can be materialized first",
                selected[i].relative.display(),
                waiting.join(", ")
            )],
        });
    }
    order
}

/// What [`apply`] wrote.
#[derive(Debug, Default)]
pub struct Applied {
    /// Every path written (files and symlinks), relative to the root, in order.
    pub written: Vec<PathBuf>,
    /// The write that failed and stopped the run: what is in `written` stays
    /// written (each path whole: files and symlinks are renamed into place).
    pub error: Option<AuthoringError>,
}

/// Writes the changes of every title of `plan` that has no problems. Files
/// are written to a temporary name in their folder and renamed into place,
/// symlinks made under a temporary name and renamed over what was there, so
/// a reader never sees a half-written file.
///
/// The first path that cannot be written stops the run: it is
/// [`Applied::error`] ([`AuthoringError::Write`]), and what was written
/// before it is in [`Applied::written`].
#[must_use]
pub fn apply(plan: &Plan) -> Applied {
    let mut applied = Applied::default();
    for title in plan.titles.iter().filter(|t| t.problems.is_empty()) {
        for change in &title.changes {
            let path = plan.root.join(&change.path);
            let result = match &change.action {
                Action::Create { contents } | Action::Replace { contents, .. } => write_file(&path, contents),
                Action::Link { target, .. } => link(&path, target),
                Action::Unchanged | Action::SameSchema | Action::LinkUnchanged { .. } => continue,
            };
            if let Err(error) = result {
                applied.error = Some(AuthoringError::Write { path: change.path.clone(), error });
                return applied;
            }
            applied.written.push(change.path.clone());
        }
    }
    applied
}

/// Every path of the titles of `plan` that have no problems, written or
/// already up to date: what `--git-add` stages, so that a commit gets a
/// title's version files and symlinks even when an earlier run wrote them.
#[must_use]
pub fn title_paths(plan: &Plan) -> Vec<PathBuf> {
    plan.titles
        .iter()
        .filter(|t| t.problems.is_empty())
        .flat_map(|t| t.changes.iter().filter(|c| c.action != Action::SameSchema).map(|c| c.path.clone()))
        .collect()
}

fn temporary(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.epc-{}", std::process::id()))
}

fn write_file(path: &Path, contents: &str) -> std::io::Result<()> {
    let tmp = temporary(path);
    let result = std::fs::write(&tmp, contents).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(unix)]
fn link(path: &Path, target: &str) -> std::io::Result<()> {
    let tmp = temporary(path);
    let _ = std::fs::remove_file(&tmp);
    let result = std::os::unix::fs::symlink(target, &tmp).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(not(unix))]
fn link(_path: &Path, _target: &str) -> std::io::Result<()> {
    Err(std::io::Error::new(std::io::ErrorKind::Unsupported, "symlinks are made on Unix only"))
}

/// The `pre-commit` hook [`install_hook`] writes: it materializes the staged
/// current files and stages what it writes, as jsonschema-tools'
/// `install-git-hook` hook does with `materialize-modified --staged`.
/// `repo` is the schema repository's folder relative to the git work tree's
/// top (where git runs hooks), when it is not the top itself.
#[must_use]
pub fn pre_commit_hook(repo: Option<&str>) -> String {
    let repo_arg = repo.map(|r| format!(" --repo '{}'", r.replace('\'', "'\\''"))).unwrap_or_default();
    format!(
        "#!/bin/sh\n\
         # Installed by `epc materialize --install-hook`: materializes the staged\n\
         # current schema files and stages the version files and symlinks it writes.\n\
         unset GIT_DIR\n\
         command -v epc >/dev/null 2>&1 || {{ echo 'pre-commit: epc is not on PATH; install it, or remove this hook' >&2; exit 1; }}\n\
         exec epc materialize{repo_arg} --modified --staged --git-add\n"
    )
}

/// Stages `paths` (relative to `root`) with `git add`.
///
/// # Errors
/// [`AuthoringError::Git`] when git fails.
pub fn git_add(root: &Path, paths: &[PathBuf]) -> Result<(), AuthoringError> {
    if paths.is_empty() {
        return Ok(());
    }
    let git = Git::new(root);
    let mut args = vec!["add", "--"];
    let texts: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    args.extend(texts.iter().map(String::as_str));
    git.run(&args).map(|_| ())
}

/// Where [`install_hook`] put the hook, and whether it replaced one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookInstalled {
    /// The hook file.
    pub path: PathBuf,
    /// Whether the file already held exactly this hook.
    pub unchanged: bool,
}

/// Installs [`pre_commit_hook`] as the `pre-commit` hook of the git work
/// tree holding `root` (honouring `core.hooksPath` through
/// `git rev-parse --git-path hooks`). An existing, different hook is not
/// replaced unless `force`.
///
/// # Errors
/// [`AuthoringError::Git`] when `root` is not in a git work tree or an
/// existing hook differs (without `force`); [`AuthoringError::Write`].
pub fn install_hook(root: &Path, force: bool) -> Result<HookInstalled, AuthoringError> {
    let git = Git::new(root);
    let hooks = git.run(&["rev-parse", "--path-format=absolute", "--git-path", "hooks"])?;
    let top = PathBuf::from(git.run(&["rev-parse", "--show-toplevel"])?.trim());
    let repo = root.canonicalize().ok().and_then(|r| {
        let top = top.canonicalize().ok()?;
        let relative = r.strip_prefix(&top).ok()?;
        (!relative.as_os_str().is_empty()).then(|| relative.display().to_string())
    });
    let hook = pre_commit_hook(repo.as_deref());
    let dir = PathBuf::from(hooks.trim());
    let path = dir.join("pre-commit");
    match std::fs::read_to_string(&path) {
        Ok(existing) if existing == hook => return Ok(HookInstalled { path, unchanged: true }),
        Ok(_) if !force => return Err(AuthoringError::HookExists { path }),
        _ => {}
    }
    let write_error = |error| AuthoringError::Write { path: path.clone(), error };
    std::fs::create_dir_all(&dir).map_err(write_error)?;
    write_file(&path, &hook).map_err(write_error)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).map_err(write_error)?;
    }
    Ok(HookInstalled { path, unchanged: false })
}

/// The folder holding `start` or one of its parents that is a schema
/// repository (has `.jsonschema-tools.yaml` or `jsonschema/`), for a command
/// run inside a repository without `--repo`.
#[must_use]
pub fn find_root(start: &Path) -> Option<PathBuf> {
    let start = start.canonicalize().ok()?;
    start
        .ancestors()
        .find(|d| d.join(".jsonschema-tools.yaml").is_file() || d.join("jsonschema").is_dir())
        .map(Path::to_path_buf)
}
