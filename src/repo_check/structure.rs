//! Structure checks S1–S17 (schema-repos.md §(a); S17 is epc's own): layout, symlinks, `$id`s,
//! and current equal to the materialized latest version.
//!
//! Files are grouped by their `title`, as jsonschema-tools groups them. Per
//! title: S1–S10; per version of a title (`current.yaml` counts, with the
//! version of its `$id`): S11–S15 per content type and S16. Unlike
//! jsonschema-tools, a title whose directory does not match (S2), or that has
//! no current file (S5) or no versioned file (S6), is still checked in full
//! (jsonschema-tools declares one `it.only` test for it and then runs nothing
//! else in the whole repository).
//!
//! Symlinks: a real symlink, or a *symlink stub*, a small file whose whole
//! content is the name of a sibling file (how Git checks out a symlink where
//! symlinks are not supported, or with `core.symlinks=false`), is followed
//! when reading (S9 and S10 accept a stub leading to the latest version, and
//! `$ref`s resolve through stubs). S12 does not accept a stub, in either
//! mode: jsonschema-tools 1.3.0 asks `lstat` for a symlink, and a deployed
//! stub serves its text (`1.1.0.yaml`) at the version's extensionless URL
//! instead of the schema. So a stub-form checkout (the unpacked copies under
//! `../shared/data/schemas`, Windows, a CI with symlinks off) fails S12 once
//! per version, in both modes, as it fails jsonschema-tools' tests; check the
//! real-symlink form (a checkout with `core.symlinks=true`).
//!
//! S17 (strict only) refines S15: on a file whose `$id` passes S15, it asks
//! that the `$id` resolve through the schema base path to the file itself
//! ([`id_resolves`]); where S15 fails, no S17 case is made.
//!
//! S8 materializes `current.yaml` as jsonschema-tools' `materializeSchema`
//! does ([`super::materialize::materialize_for`], with the example
//! json-schema-faker generates when `shouldGenerateExample` is on and it has
//! none) and compares it with the latest version as values, examples
//! included, generated or authored.
//! Each message starts with the check and names the file (relative to the
//! repository root) and, where there is one, the JSON pointer (`file#/pointer`).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::discover::{Loaded, SchemaFile};
use super::materialize::{self, short};
use super::{CaseResult, CaseStatus, CheckId, Context, Mode};
use crate::schema::SchemaVersion;
use crate::schema::repository::{Fence, Refusal, SchemaError};

/// The largest file taken to be a symlink stub.
const MAX_STUB_LEN: u64 = 255;

/// How many differences S8 lists before summarizing the rest.
const MAX_DIFFS: usize = 20;

/// A loaded schema file.
struct Info<'a> {
    file: &'a SchemaFile,
    loaded: &'a Loaded,
}

impl Info<'_> {
    fn rel(&self) -> String {
        slash(&self.file.relative)
    }
    fn version(&self) -> Option<SchemaVersion> {
        self.loaded.version
    }
}

fn slash(p: &Path) -> String {
    p.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

fn version_text(v: Option<SchemaVersion>) -> String {
    v.map_or_else(|| "(none)".to_owned(), |v| v.to_string())
}

/// What is at a path that should be a symlink.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Link {
    /// Nothing (not even a dangling symlink).
    Missing,
    /// A symlink, with its target as written.
    Symlink(String),
    /// A symlink stub, with the name it holds.
    Stub(String),
    /// A regular file that is not a stub, or a folder.
    Plain,
}

fn link_at(fence: &Fence, path: &Path) -> Link {
    let Ok(meta) = fs::symlink_metadata(path) else { return Link::Missing };
    if meta.file_type().is_symlink() {
        return fs::read_link(path).map_or(Link::Plain, |t| Link::Symlink(t.to_string_lossy().into_owned()));
    }
    if meta.is_file()
        && meta.len() > 0
        && meta.len() <= MAX_STUB_LEN
        && let Some(name) = stub_name(fence, path)
    {
        return Link::Stub(name);
    }
    Link::Plain
}

/// The name a symlink stub holds: the whole content (a final newline
/// allowed) when it is a plain file name, such as `1.0.0.yaml`. Read only
/// through the fence (inside the repository, a regular file).
fn stub_name(fence: &Fence, path: &Path) -> Option<String> {
    let text = fence.read_limited(path, MAX_STUB_LEN).ok()?;
    let name = text.strip_suffix('\n').unwrap_or(&text);
    let plain = !name.is_empty()
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | '\\' | ':' | '{' | '[' | '#'));
    plain.then(|| name.to_owned())
}

/// The file a path leads to, following symlinks and symlink stubs, canonical.
/// `Err(None)` when it leads nowhere; `Err(Some(refusal))` when it leads
/// outside the repository, into a loop or to something that is not a regular
/// file (which is then not read).
fn real_path(fence: &Fence, path: &Path) -> Result<PathBuf, Option<Refusal>> {
    let refused = |e: SchemaError| match e {
        SchemaError::Refused { refusal, .. } => Some(refusal),
        _ => None,
    };
    let mut real = fence.check(path, u64::MAX).map_err(refused)?;
    for _ in 0..8 {
        let Link::Stub(name) = link_at(fence, &real) else { break };
        let next = fence.check(&real.parent().ok_or(None)?.join(name), u64::MAX).map_err(refused)?;
        if next == real {
            break;
        }
        real = next;
    }
    Ok(real)
}

/// Runs S1–S17.
#[must_use]
pub fn check(ctx: &Context) -> Vec<CaseResult> {
    let mut titles: BTreeMap<&str, Vec<Info<'_>>> = BTreeMap::new();
    for file in &ctx.files {
        if let Ok(loaded) = &file.loaded {
            titles.entry(loaded.title.as_str()).or_default().push(Info { file, loaded });
        }
    }
    let mut out = Vec::new();
    for (title, infos) in &titles {
        Title { ctx, title, infos }.check(&mut out);
    }
    out
}

struct Title<'c, 'a> {
    ctx: &'c Context,
    title: &'a str,
    infos: &'a [Info<'a>],
}

impl Title<'_, '_> {
    fn check(&self, out: &mut Vec<CaseResult>) {
        let ctx = self.ctx;
        let title = self.title;
        let first = &self.infos[0];
        let dir = first.file.path.parent().unwrap_or(Path::new("")).to_owned();
        let dir_rel = first.file.relative.parent().map(slash).unwrap_or_default();
        let ct0 = ctx.config.content_types[0].as_str();
        let current = self.infos.iter().find(|i| i.file.is_current);
        let latest = self
            .infos
            .iter()
            .filter(|i| !i.file.is_current && i.file.content_type == ct0)
            .max_by(|a, b| (a.version(), &a.file.relative).cmp(&(b.version(), &b.file.relative)));
        let pass_or = |check: CheckId, messages: Vec<String>| CaseResult::from_messages(check, title, messages);

        // S1: one directory.
        let mut m = Vec::new();
        for pair in self.infos.windows(2) {
            if pair[0].file.path.parent() != pair[1].file.path.parent() {
                m.push(format!("S1 {}: is not in the same directory as {}", pair[1].rel(), pair[0].rel()));
            }
        }
        out.push(pass_or(CheckId::S1, m));

        // S2: directory == title.
        let m = self
            .infos
            .iter()
            .filter(|i| i.file.dir != title)
            .map(|i| {
                format!(
                    "S2 {}#/title: title `{title}` does not match the directory `{}` (schema title must match relative \
                     schema directory)",
                    i.rel(),
                    i.file.dir
                )
            })
            .collect();
        out.push(pass_or(CheckId::S2, m));

        // S3: current.yaml exists.
        let current_path = dir.join(&ctx.config.current_name);
        let current_rel = format!("{dir_rel}/{}", ctx.config.current_name);
        let m = if current_path.is_file() {
            Vec::new()
        } else {
            vec![format!("S3 {current_rel}: does not exist (every schema directory needs one)")]
        };
        out.push(pass_or(CheckId::S3, m));

        // S4: no extensionless current symlink.
        let stem = ctx.config.current_name.rsplit_once('.').map_or(ctx.config.current_name.as_str(), |(s, _)| s);
        let m = if fs::symlink_metadata(dir.join(stem)).is_ok() {
            vec![format!("S4 {dir_rel}/{stem}: exists; there must be no extensionless `{stem}` symlink or file")]
        } else {
            Vec::new()
        };
        out.push(pass_or(CheckId::S4, m));

        // S5: a current file with this title.
        let m = if current.is_some() {
            Vec::new()
        } else {
            let why = ctx.files.iter().find(|f| f.path == current_path).map_or_else(
                || format!("{current_rel} does not exist"),
                |f| match &f.loaded {
                    Ok(l) => format!("{current_rel} has title `{}`", l.title),
                    Err(e) => format!("{current_rel} cannot be loaded (see {})", e.check),
                },
            );
            vec![format!("S5 {dir_rel}: could not find current schema file with title `{title}`: {why}")]
        };
        out.push(pass_or(CheckId::S5, m));

        // S6: a versioned file of the first content type.
        let m = if latest.is_some() {
            Vec::new()
        } else {
            vec![format!(
                "S6 {dir_rel}: could not find latest schema version file: no <version>.{ct0} file with title `{title}`"
            )]
        };
        out.push(pass_or(CheckId::S6, m));

        // S7: the greatest version is current's version, materialized.
        let m = match (current, latest) {
            (None, _) => vec![format!("S7 {dir_rel}: no current file to compare with (see S5)")],
            (Some(c), l) => {
                let expected = format!("{dir_rel}/{}.{ct0}", version_text(c.version()));
                match l {
                    None => {
                        let name = format!("{}.{ct0}", version_text(c.version()));
                        let state = match ctx.files.iter().find(|f| f.path == dir.join(&name)).map(|f| &f.loaded) {
                            Some(Ok(other)) => format!("has title `{}`", other.title),
                            Some(Err(e)) => format!("cannot be loaded (see {})", e.check),
                            None => "does not exist".to_owned(),
                        };
                        vec![format!(
                            "S7 {expected}: {state}: {} ($id version {}) must be materialized as the greatest \
                             {ct0} version of `{title}` (`epc materialize {}`)",
                            c.rel(),
                            version_text(c.version()),
                            c.rel()
                        )]
                    }
                    Some(l) if l.rel() != expected => vec![format!(
                        "S7 {}: the greatest {ct0} version is {}, expected {expected} ({} has $id version {}): \
                         materialize the current schema (`epc materialize {}`)",
                        dir_rel,
                        l.rel(),
                        c.rel(),
                        version_text(c.version()),
                        c.rel()
                    )],
                    Some(_) => Vec::new(),
                }
            }
        };
        out.push(pass_or(CheckId::S7, m));

        // S8: current equals the materialized latest version.
        out.push(pass_or(CheckId::S8, self.s8(current, latest, &dir_rel)));

        // S9, S10: latest symlinks.
        if ctx.config.symlink_latest {
            let mut names = vec![format!("latest.{ct0}")];
            if ctx.config.symlink_extensionless {
                names.push("latest".to_owned());
            }
            for (check, name) in [CheckId::S9, CheckId::S10].into_iter().zip(names) {
                let path = dir.join(&name);
                let shown = format!("{dir_rel}/{name}");
                let m = match latest {
                    None => vec![format!("{check} {shown}: no latest version to point to (see S6)")],
                    Some(l) => latest_link(&ctx.fence, check, &path, &shown, l),
                };
                out.push(pass_or(check, m));
            }
        }

        // Per version (current included), S11–S16.
        let mut versions: BTreeMap<Option<SchemaVersion>, Vec<&Info<'_>>> = BTreeMap::new();
        for info in self.infos.iter().filter(|i| !i.file.is_current) {
            versions.entry(info.version()).or_default().push(info);
        }
        for info in self.infos.iter().filter(|i| i.file.is_current) {
            versions.entry(info.version()).or_default().push(info);
        }
        for (version, group) in &versions {
            self.version_checks(*version, group, &dir, &dir_rel, out);
        }
    }

    fn s8(&self, current: Option<&Info<'_>>, latest: Option<&Info<'_>>, dir_rel: &str) -> Vec<String> {
        let ctx = self.ctx;
        let Some(current) = current else {
            return vec![format!("S8 {dir_rel}: no current file to materialize (see S5)")];
        };
        let crel = current.rel();
        let materialized =
            materialize::materialize_for(&current.loaded.value, &ctx.resolver, &ctx.config).map(|m| m.value);
        let mut m: Vec<String> = match &materialized {
            Err(problems) => problems
                .iter()
                .map(|p| format!("S8 {crel}#{}: cannot be materialized: {}", p.pointer, p.message))
                .collect(),
            Ok(_) => Vec::new(),
        };
        let Some(latest) = latest else {
            m.push(format!("S8 {crel}: no materialized version to compare with (see S6)"));
            return m;
        };
        let lrel = latest.rel();
        if latest.version() != current.version() {
            m.insert(
                0,
                format!(
                    "S8 {crel}#/$id: current and latest schema versions read from $id do not match: {crel} has {}, \
                     the latest materialized version {lrel} has {}",
                    version_text(current.version()),
                    version_text(latest.version())
                ),
            );
            return m;
        }
        let Ok(mine) = materialized else { return m };
        let theirs = &latest.loaded.value;
        let diffs = materialize::diff(&mine, theirs);
        if diffs.is_empty() {
            return m;
        }
        m.push(format!(
            "S8 {crel}: the materialized current schema does not equal the latest version {lrel} ({} difference(s); \
             run `epc materialize {crel}` again, or give its $id a new version and materialize it)",
            diffs.len()
        ));
        for d in diffs.iter().take(MAX_DIFFS) {
            let text = match (&d.left, &d.right) {
                (Some(l), None) => format!("only in the materialized {crel}: {}", short(l)),
                (None, Some(r)) => format!("only in {lrel}: {}", short(r)),
                (Some(l), Some(r)) => format!("materialized {crel} has {}, {lrel} has {}", short(l), short(r)),
                (None, None) => String::new(),
            };
            m.push(format!("S8 {crel}#{}: {text}", d.pointer));
        }
        if diffs.len() > MAX_DIFFS {
            m.push(format!("S8 {crel}: … and {} more difference(s)", diffs.len() - MAX_DIFFS));
        }
        m
    }

    fn version_checks(
        &self,
        version: Option<SchemaVersion>,
        group: &[&Info<'_>],
        dir: &Path,
        dir_rel: &str,
        out: &mut Vec<CaseResult>,
    ) {
        let ctx = self.ctx;
        let title = self.title;
        let v = version_text(version);
        let ct0 = ctx.config.content_types[0].as_str();
        for ct in &ctx.config.content_types {
            let info = group.iter().find(|i| i.file.content_type == *ct);
            let subject = info.map_or_else(|| format!("{dir_rel}/{v}.{ct}"), |i| i.rel());
            // S11
            let m = match info {
                None => vec![format!("S11 {subject}: does not exist: version {v} of `{title}` has no {ct} file")],
                Some(i) if i.file.path.parent() != Some(dir) => {
                    vec![format!("S11 {}: is not in the expected directory {dir_rel}", i.rel())]
                }
                Some(i) if !i.file.path.is_file() => vec![format!("S11 {}: does not exist", i.rel())],
                Some(_) => Vec::new(),
            };
            out.push(CaseResult::from_messages(CheckId::S11, subject.clone(), m));
            // S12
            if ctx.config.symlink_extensionless && ct == ct0 {
                let (link_subject, m) = match version {
                    None => (
                        format!("{dir_rel}/{v}"),
                        vec![format!(
                            "S12 {subject}#/$id: has no version, so there is no extensionless symlink to check"
                        )],
                    ),
                    Some(ver) => {
                        let name = ver.to_string();
                        let shown = format!("{dir_rel}/{name}");
                        let m = version_link(&ctx.fence, &dir.join(&name), &shown, &format!("{name}.{ct}"));
                        (shown, m)
                    }
                };
                out.push(CaseResult::from_messages(CheckId::S12, link_subject, m));
            }
            // S13, S14, S15 (and S17, strict, where S15 passes)
            let mut s17 = None;
            let (m13, m14, m15) = match info {
                None => {
                    let none = || vec![format!("{subject}: does not exist (see S11)")];
                    let tag = |c: &str, mut v: Vec<String>| {
                        v[0] = format!("{c} {}", v[0]);
                        v
                    };
                    (tag("S13", none()), tag("S14", none()), tag("S15", none()))
                }
                Some(i) => {
                    let rel = i.rel();
                    let m13 = if i.loaded.title == title {
                        Vec::new()
                    } else {
                        vec![format!("S13 {rel}#/title: is `{}`, expected `{title}`", i.loaded.title)]
                    };
                    let m14 = if i.file.dir == title {
                        Vec::new()
                    } else {
                        vec![format!(
                            "S14 {rel}: is in directory `{}`, which does not match its title `{title}`",
                            i.file.dir
                        )]
                    };
                    let name = i.file.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    let under_base = if i.file.dir.is_empty() { name } else { format!("{}/{name}", i.file.dir) };
                    let id = &i.loaded.id;
                    let id_tail = id.get(1..).unwrap_or("");
                    let m15 = if under_base.contains(id_tail) {
                        if ctx.mode == Mode::Strict {
                            s17 = Some(id_resolves(ctx, i, &rel));
                        }
                        Vec::new()
                    } else {
                        vec![format!(
                            "S15 {rel}#/$id: `{id}` does not match the file's path `{under_base}` under the schema base \
                             path (schema $id must match relative schema directory)"
                        )]
                    };
                    (m13, m14, m15)
                }
            };
            out.push(CaseResult::from_messages(CheckId::S13, subject.clone(), m13));
            out.push(CaseResult::from_messages(CheckId::S14, subject.clone(), m14));
            out.push(CaseResult::from_messages(CheckId::S15, subject, m15));
            out.extend(s17);
        }
        // S16: all materialized content types of the version are equal.
        let materialized: Vec<&&Info<'_>> = group.iter().filter(|i| !i.file.is_current).collect();
        let mut m = Vec::new();
        for pair in materialized.windows(2) {
            let diffs = materialize::diff(&pair[1].loaded.value, &pair[0].loaded.value);
            if let Some(d) = diffs.first() {
                m.push(format!(
                    "S16 {}#{}: {title} {v}.{} does not equal {v}.{} ({} difference(s), the first here)",
                    pair[1].rel(),
                    d.pointer,
                    pair[1].file.content_type,
                    pair[0].file.content_type,
                    diffs.len()
                ));
            }
        }
        out.push(CaseResult::from_messages(CheckId::S16, format!("{dir_rel}/{v}"), m));
    }
}

/// S17 (strict): the file's `$id`, resolved through the schema base path,
/// is the file itself. jsonschema-tools (S15) only asks that the `$id` minus
/// its leading `/` be a substring of the path, so primary's
/// `development/webrequest/1.0.0.yaml` with `$id: /webrequest/1.0.0` passes
/// there although `/webrequest/1.0.0` names `jsonschema/webrequest/1.0.0`, a
/// file that does not exist. Expected: `/<directory>/<version>`, where the
/// version is the file's name for a version file (`1.0.0.yaml` → `1.0.0`)
/// and the last segment of the `$id` for the current file (which is
/// materialized as that version). Skipped by `schema-id-resolves-to-file`.
fn id_resolves(ctx: &Context, info: &Info<'_>, rel: &str) -> CaseResult {
    let id = &info.loaded.id;
    if let Some(rule) = ctx.skipped_by(CheckId::S17, id) {
        return CaseResult {
            check: CheckId::S17,
            subject: rel.to_owned(),
            status: CaseStatus::Skip,
            messages: vec![rule],
            line: None,
        };
    }
    let last = id.rsplit('/').next().unwrap_or(id);
    let version = match &info.file.name_version {
        Some(v) => v.to_string(),
        None => last.to_owned(),
    };
    let expected =
        if info.file.dir.is_empty() { format!("/{version}") } else { format!("/{}/{version}", info.file.dir) };
    let m = if *id == expected {
        Vec::new()
    } else {
        let base = ctx.config.schema_base_path.trim_end_matches('/');
        let resolved = if id.starts_with('/') {
            format!("`{base}{id}`")
        } else {
            "no path under the schema base path (it is not path-absolute)".to_owned()
        };
        vec![format!(
            "S17 {rel}#/$id: `{id}` resolves to {resolved}, not to this file: expected `{expected}` (a schema must \
             be reachable at its own $id)"
        )]
    };
    CaseResult::from_messages(CheckId::S17, rel, m)
}

/// S9/S10: `path` is a symlink (or stub) leading to the latest version's file.
fn latest_link(fence: &Fence, check: CheckId, path: &Path, shown: &str, latest: &Info<'_>) -> Vec<String> {
    let lrel = latest.rel();
    match link_at(fence, path) {
        Link::Missing => vec![format!("{check} {shown}: does not exist; it must be a symlink to {lrel}")],
        Link::Plain => vec![format!("{check} {shown}: is not a symlink; it must be a symlink to {lrel}")],
        Link::Symlink(target) | Link::Stub(target) => match real_path(fence, path) {
            Err(None) => vec![format!("{check} {shown}: points to `{target}`, which does not exist; expected {lrel}")],
            Err(Some(refusal)) => {
                vec![format!("{check} {shown}: {refusal}; not read; it must be a symlink to {lrel}")]
            }
            Ok(real) if Some(&real) != real_path(fence, &latest.file.path).ok().as_ref() => {
                vec![format!("{check} {shown}: points to `{target}`, not to the latest version {lrel}")]
            }
            Ok(_) => Vec::new(),
        },
    }
}

/// S12: `path` is a symlink (or stub) whose target is literally `expected`.
fn version_link(fence: &Fence, path: &Path, shown: &str, expected: &str) -> Vec<String> {
    match link_at(fence, path) {
        Link::Missing => vec![format!("S12 {shown}: does not exist; it must be a symlink to `{expected}`")],
        Link::Plain => vec![format!("S12 {shown}: is not a symlink; it must be a symlink to `{expected}`")],
        Link::Stub(target) => vec![format!(
            "S12 {shown}: is a plain file holding `{target}` (a git symlink stub, as a checkout with \
             core.symlinks=false writes it), not a symlink; deployed, it serves that text instead of the schema: \
             it must be a symlink to `{expected}`"
        )],
        Link::Symlink(target) => {
            if target != expected {
                vec![format!("S12 {shown}: points to `{target}`, expected `{expected}`")]
            } else {
                match real_path(fence, path) {
                    Err(None) => vec![format!("S12 {shown}: points to `{target}`, which does not exist")],
                    Err(Some(refusal)) => {
                        vec![format!("S12 {shown}: points to `{target}`, which is not read ({refusal})")]
                    }
                    Ok(_) => Vec::new(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_and_stubs_are_links() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("1.0.0.yaml"), "title: t\n").unwrap();
        fs::write(d.join("1.0.0"), "1.0.0.yaml").unwrap();
        fs::write(d.join("stale"), "0.0.1.yaml").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("1.0.0.yaml", d.join("latest")).unwrap();
        let fence = Fence::new(d).unwrap();
        assert_eq!(link_at(&fence, &d.join("1.0.0")), Link::Stub("1.0.0.yaml".into()));
        assert_eq!(link_at(&fence, &d.join("1.0.0.yaml")), Link::Plain);
        assert_eq!(link_at(&fence, &d.join("nothing")), Link::Missing);
        assert_eq!(real_path(&fence, &d.join("1.0.0")).ok(), d.join("1.0.0.yaml").canonicalize().ok());
        assert_eq!(real_path(&fence, &d.join("stale")), Err(None));
        #[cfg(unix)]
        assert_eq!(link_at(&fence, &d.join("latest")), Link::Symlink("1.0.0.yaml".into()));
    }
}
