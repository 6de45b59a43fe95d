//! Event schemas: schema URIs, titles and versions, schema repositories and
//! `$schema`/`$ref` resolution, and strict YAML/JSON loading.
//!
//! Every event names its JSON Schema in `$schema`: a path-only URI such as
//! `/analytics/legacy/test/1.2.0` (the production form), or an absolute URL.
//! The path is `/<title>/<version>`: the schema *title* is the directory of
//! the schema under the repository's `jsonschema/` folder and the *version*
//! is a semantic version (schema-repos.md §1.2). That URI is a [`SchemaUri`];
//! the schema's *own* `$schema` (`https://json-schema.org/draft-07/schema#`)
//! names the JSON Schema dialect and is a different thing, a [`MetaSchemaUri`].
//!
//! - [`repository`]: local schema repositories (`jsonschema/<title>/<version>.yaml`,
//!   `.jsonschema-tools.yaml`) and the [`repository::SchemaResolver`] that
//!   maps `$schema` and `$ref` URIs onto an ordered list of base URIs.
//! - [`remote`]: schema repositories over HTTP (`https://schema.wikimedia.org/…`):
//!   the fence, limits, and the on-disk cache of fetched documents.
//! - [`yaml`]: loading YAML 1.2 and JSON into `serde_json::Value`, with
//!   duplicate keys rejected.
//!
//! ```
//! use epc::schema::{SchemaUri, VersionRef};
//!
//! let uri = SchemaUri::parse("/analytics/legacy/test/1.2.0")?;
//! let (title, version) = uri.title_and_version().expect("title and version");
//! assert_eq!(title.as_str(), "analytics/legacy/test");
//! assert_eq!(version, VersionRef::Exact("1.2.0".parse()?));
//! // `$ref`s resolve against the schema's `$id` (RFC 3986): keep the leading `/`.
//! assert_eq!(uri.join("/fragment/common/1.0.0#")?.as_str(), "/fragment/common/1.0.0#");
//! assert_eq!(uri.join("fragment/common/1.0.0")?.as_str(), "/analytics/legacy/test/fragment/common/1.0.0");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod remote;
pub mod repository;
pub mod yaml;

use std::fmt;
use std::str::FromStr;

/// An error parsing a schema URI, title or version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaUriError {
    /// The URI is empty or holds white space or control characters.
    #[error("`{0}` is not a schema URI: it is empty or holds white space")]
    Malformed(String),
    /// The URI could not be joined with its base (an absolute URL base that
    /// the URL parser rejects).
    #[error("cannot resolve `{reference}` against `{base}`: {reason}")]
    Join {
        /// The base URI (a schema's `$id`).
        base: String,
        /// The reference (`$ref`).
        reference: String,
        /// The URL parser's message.
        reason: String,
    },
    /// Not a schema title: empty, or with an empty, `.` or `..` segment, or a
    /// character other than ASCII letters, digits, `_`, `-` and `.`.
    #[error("`{0}` is not a schema title (like `analytics/legacy/test`)")]
    Title(String),
    /// Not a `MAJOR.MINOR.PATCH` version.
    #[error("`{0}` is not a schema version (MAJOR.MINOR.PATCH)")]
    Version(String),
}

/// The URI of an event schema: an event's `$schema`, a schema's `$id`, or a
/// `$ref` target after resolution against its base.
///
/// Path-only (`/analytics/legacy/test/1.2.0`, with an optional `#/json/pointer`
/// fragment) or absolute (`https://schema.wikimedia.org/repositories/secondary/jsonschema/analytics/legacy/test/1.2.0`).
/// It is kept as given; [`SchemaUri::join`] resolves references (RFC 3986 §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SchemaUri(String);

impl SchemaUri {
    /// Parses a URI: anything non-empty without white space or control characters.
    ///
    /// # Errors
    /// [`SchemaUriError::Malformed`].
    pub fn parse(uri: &str) -> Result<Self, SchemaUriError> {
        if uri.is_empty() || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(SchemaUriError::Malformed(uri.to_owned()));
        }
        Ok(Self(uri.to_owned()))
    }

    /// The URI as given.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The scheme (`https`, `file`), lower-cased, when the URI is absolute
    /// (RFC 3986 §3.1: a letter, then letters, digits, `+`, `-`, `.`, then `:`).
    #[must_use]
    pub fn scheme(&self) -> Option<String> {
        scheme_of(&self.0).map(str::to_ascii_lowercase)
    }

    /// Whether the URI is an `http:` or `https:` URL.
    #[must_use]
    pub fn is_remote(&self) -> bool {
        matches!(self.scheme().as_deref(), Some("http" | "https"))
    }

    /// Whether the URI has no scheme and starts with one `/`: a path looked up
    /// under each base URI (`/fragment/common/1.0.0`).
    #[must_use]
    pub fn is_path_absolute(&self) -> bool {
        self.scheme().is_none() && self.0.starts_with('/') && !self.0.starts_with("//")
    }

    /// The fragment after `#` (for example the JSON pointer `/properties/meta`),
    /// when there is one.
    #[must_use]
    pub fn fragment(&self) -> Option<&str> {
        self.0.split_once('#').map(|(_, f)| f)
    }

    /// The URI without its fragment: the document to load.
    #[must_use]
    pub fn document(&self) -> SchemaUri {
        match self.0.split_once('#') {
            Some((doc, _)) => Self(doc.to_owned()),
            None => self.clone(),
        }
    }

    /// The path component: for a path-only URI, the URI without query and
    /// fragment; for an absolute URL, its path (`/repositories/…/1.2.0`).
    #[must_use]
    pub fn path(&self) -> &str {
        let rest = match scheme_of(&self.0) {
            Some(scheme) => {
                let after = &self.0[scheme.len() + 1..];
                match after.strip_prefix("//") {
                    Some(auth_path) => auth_path.find('/').map_or("", |i| &auth_path[i..]),
                    None => after,
                }
            }
            None => &self.0,
        };
        let end = rest.find(['?', '#']).unwrap_or(rest.len());
        &rest[..end]
    }

    /// Resolves `reference` (a `$ref`) against this URI as its base (the
    /// enclosing schema's `$id`), per RFC 3986 §5.2: an absolute reference
    /// stays as it is; `/path` keeps only the base's scheme and authority; a
    /// relative path (`fragment/common/1.0.0`) replaces the base's last path
    /// segment (so under `/analytics/ref_bad/1.0.0` it becomes
    /// `/analytics/ref_bad/fragment/common/1.0.0`, case 12); `#…` keeps the
    /// base document. Dot segments are removed.
    ///
    /// # Errors
    /// [`SchemaUriError::Malformed`] for a malformed reference,
    /// [`SchemaUriError::Join`] when an absolute base URL cannot take it.
    pub fn join(&self, reference: &str) -> Result<SchemaUri, SchemaUriError> {
        if reference.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(SchemaUriError::Malformed(reference.to_owned()));
        }
        if scheme_of(reference).is_some() {
            return Self::parse(reference);
        }
        if scheme_of(&self.0).is_some() {
            let join_error = |e: url::ParseError| SchemaUriError::Join {
                base: self.0.clone(),
                reference: reference.to_owned(),
                reason: e.to_string(),
            };
            let base = url::Url::parse(&self.0).map_err(join_error)?;
            return Self::parse(base.join(reference).map_err(join_error)?.as_str());
        }
        if reference.starts_with("//") {
            // A network-path reference needs a scheme the path-only base lacks.
            return Self::parse(reference);
        }
        let (base_rest, _) = self.0.split_once('#').unwrap_or((&self.0, ""));
        let (base_path, base_query) = match base_rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (base_rest, None),
        };
        let (ref_rest, ref_fragment) = match reference.split_once('#') {
            Some((r, f)) => (r, Some(f)),
            None => (reference, None),
        };
        let (ref_path, ref_query) = match ref_rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (ref_rest, None),
        };
        let (path, query) = if ref_path.is_empty() {
            (base_path.to_owned(), ref_query.or(if ref_rest.is_empty() { base_query } else { None }))
        } else if ref_path.starts_with('/') {
            (remove_dot_segments(ref_path), ref_query)
        } else {
            let dir = base_path.rfind('/').map_or("", |i| &base_path[..=i]);
            (remove_dot_segments(&format!("{dir}{ref_path}")), ref_query)
        };
        let mut out = path;
        if let Some(q) = query {
            out.push('?');
            out.push_str(q);
        }
        if let Some(f) = ref_fragment {
            out.push('#');
            out.push_str(f);
        }
        Ok(Self(out))
    }

    /// The schema title and version the URI names, read from its path: the
    /// last segment (without `.yaml`/`.json`) is the version (`1.2.0`,
    /// `latest` or `current`), the segments before it the title. For an
    /// absolute URL, only the part after the last `/jsonschema/` counts, as in
    /// `https://schema.wikimedia.org/repositories/primary/jsonschema/test/event/1.0.0`.
    /// `None` when the path has no title or the last segment is no version.
    #[must_use]
    pub fn title_and_version(&self) -> Option<(SchemaTitle, VersionRef)> {
        let mut path = self.path();
        if self.scheme().is_some() {
            path = path.rsplit_once("/jsonschema/").map_or(path, |(_, p)| p);
        }
        let path = path.trim_start_matches('/');
        let (title, last) = path.rsplit_once('/')?;
        let last = last.strip_suffix(".yaml").or_else(|| last.strip_suffix(".json")).unwrap_or(last);
        Some((SchemaTitle::parse(title).ok()?, last.parse().ok()?))
    }
}

impl fmt::Display for SchemaUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for SchemaUri {
    type Err = SchemaUriError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The scheme of a URI (RFC 3986 §3.1), as written, when it has one.
fn scheme_of(uri: &str) -> Option<&str> {
    let colon = uri.find(':')?;
    let scheme = &uri[..colon];
    let mut chars = scheme.chars();
    (chars.next()?.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
        .then_some(scheme)
}

/// RFC 3986 §5.2.4 `remove_dot_segments`; `..` never climbs above the root.
fn remove_dot_segments(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len() - 1;
    for (i, segment) in segments.iter().enumerate() {
        match *segment {
            "." | ".." => {
                if *segment == ".." && out.len() > usize::from(absolute) {
                    out.pop();
                }
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    if absolute && !joined.starts_with('/') { format!("/{joined}") } else { joined }
}

/// The URI of a schema's dialect: a schema's own `$schema`
/// (`https://json-schema.org/draft-07/schema#`), distinct from the
/// [`SchemaUri`] an event names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MetaSchemaUri(String);

/// A JSON Schema dialect, as named by a [`MetaSchemaUri`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Draft {
    /// `http://json-schema.org/draft-04/schema#`
    Draft4,
    /// `http://json-schema.org/draft-06/schema#`
    Draft6,
    /// `http://json-schema.org/draft-07/schema#` (every Wikimedia schema)
    Draft7,
    /// `https://json-schema.org/draft/2019-09/schema`
    Draft201909,
    /// `https://json-schema.org/draft/2020-12/schema`
    Draft202012,
}

impl MetaSchemaUri {
    /// Wraps a schema's `$schema` value as given.
    #[must_use]
    pub fn new(uri: impl Into<String>) -> Self {
        Self(uri.into())
    }

    /// The URI as given.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The dialect, when the URI is one of the json-schema.org meta-schemas
    /// (`http` or `https`, with or without the trailing `#`: 3 primary schemas
    /// use `http://`, schema-repos.md §1.2).
    #[must_use]
    pub fn draft(&self) -> Option<Draft> {
        let rest = self.0.strip_prefix("https://").or_else(|| self.0.strip_prefix("http://"))?;
        let rest = rest.strip_prefix("json-schema.org/")?;
        let rest = rest.strip_suffix('#').unwrap_or(rest);
        match rest {
            "draft-04/schema" => Some(Draft::Draft4),
            "draft-06/schema" => Some(Draft::Draft6),
            "draft-07/schema" => Some(Draft::Draft7),
            "draft/2019-09/schema" => Some(Draft::Draft201909),
            "draft/2020-12/schema" => Some(Draft::Draft202012),
            _ => None,
        }
    }
}

impl fmt::Display for MetaSchemaUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A schema title: the schema's directory under `jsonschema/`, and its
/// `title` field (`analytics/legacy/test`). Stream config's `schema_title`
/// names one (case 03).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SchemaTitle(String);

impl SchemaTitle {
    /// Parses a title: `/`-separated segments of ASCII letters, digits, `_`,
    /// `-` and `.`, none empty, `.` or `..`.
    ///
    /// # Errors
    /// [`SchemaUriError::Title`].
    pub fn parse(title: &str) -> Result<Self, SchemaUriError> {
        let ok = !title.is_empty()
            && title.split('/').all(|s| {
                !s.is_empty()
                    && s != "."
                    && s != ".."
                    && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            });
        if ok { Ok(Self(title.to_owned())) } else { Err(SchemaUriError::Title(title.to_owned())) }
    }

    /// The title as a string.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SchemaTitle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for SchemaTitle {
    type Err = SchemaUriError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A schema version, `MAJOR.MINOR.PATCH` (the repositories use no
/// pre-release or build parts). Ordered numerically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SchemaVersion {
    /// Incompatible changes.
    pub major: u64,
    /// Compatible additions.
    pub minor: u64,
    /// Compatible fixes.
    pub patch: u64,
}

impl FromStr for SchemaVersion {
    type Err = SchemaUriError;

    /// Parses `1.2.0`: three decimal numbers (no sign, no leading `v`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || SchemaUriError::Version(s.to_owned());
        let mut parts = s.split('.');
        let mut next = || -> Result<u64, SchemaUriError> {
            let p = parts.next().ok_or_else(err)?;
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            p.parse().map_err(|_| err())
        };
        let version = Self { major: next()?, minor: next()?, patch: next()? };
        if parts.next().is_some() { Err(err()) } else { Ok(version) }
    }
}

impl fmt::Display for SchemaVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The version part of a schema URI: an exact version, or one of the
/// repositories' names for a moving target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionRef {
    /// `1.2.0`
    Exact(SchemaVersion),
    /// `latest`: a symlink to the highest materialized version.
    Latest,
    /// `current`: the hand-edited, not materialized source (`current.yaml`).
    Current,
}

impl FromStr for VersionRef {
    type Err = SchemaUriError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "latest" => Ok(Self::Latest),
            "current" => Ok(Self::Current),
            _ => s.parse().map(Self::Exact),
        }
    }
}

impl fmt::Display for VersionRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact(v) => v.fmt(f),
            Self::Latest => f.write_str("latest"),
            Self::Current => f.write_str("current"),
        }
    }
}

/// A path under `../shared` (the team's shared data and cases, beside the
/// crate). CI always has it, so an absent one fails the test: a real-data
/// test never passes by skipping. Always `Some` (the `Option` keeps the
/// callers' `let … else` shape).
#[cfg(test)]
pub(crate) fn shared(path: &str) -> Option<std::path::PathBuf> {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared").join(path);
    assert!(full.exists(), "../shared/{path} is absent; these tests need the shared checkout next to the crate");
    Some(full)
}

/// A `../shared/data/` archive (`schemas-symlinked.tar.gz`,
/// `schemas-materialized-jst-1.3.0.tar.gz`) unpacked with `tar -xzf` once per
/// test binary into a temporary folder (read-only: copy what a test
/// changes); returns that folder. Panics when `../shared` is absent or `tar`
/// fails.
#[cfg(test)]
pub(crate) fn unpacked(archive: &str) -> &'static std::path::Path {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static UNPACKED: OnceLock<Mutex<HashMap<String, &'static std::path::Path>>> = OnceLock::new();
    let mut map = UNPACKED.get_or_init(Mutex::default).lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    map.entry(archive.to_owned()).or_insert_with(|| {
        let path = shared(&format!("data/{archive}")).expect("shared() panics when absent");
        // Kept for the whole test binary: the folder is removed by the OS's temporary-file cleaning.
        let dir = Box::leak(Box::new(tempfile::tempdir().expect("a temporary folder")));
        let status =
            std::process::Command::new("tar").arg("-xzf").arg(&path).arg("-C").arg(dir.path()).status().expect("tar");
        assert!(status.success(), "tar -xzf {}", path.display());
        dir.path()
    })
}

/// `schemas-symlinked.tar.gz` [`unpacked`]: the folder holding `primary` and
/// `secondary` with real symlinks, as a git checkout has them
/// (`../shared/data/schemas` holds git's stub files instead).
#[cfg(test)]
pub(crate) fn symlinked_schemas() -> &'static std::path::Path {
    let schemas = unpacked("schemas-symlinked.tar.gz").join("schemas");
    let latest = schemas.join("primary/jsonschema/test/event/latest");
    assert!(std::fs::symlink_metadata(&latest).is_ok_and(|m| m.file_type().is_symlink()), "{}", latest.display());
    Box::leak(schemas.into_boxed_path())
}

/// A writable copy of the folder `from` in which every symlink stub (a file
/// of at most 255 bytes whose whole content is the name of a sibling file,
/// as git writes a symlink where symlinks are off) is a real symlink to that
/// sibling, as a git checkout has it. Real symlinks are copied as symlinks.
#[cfg(test)]
pub(crate) fn with_real_symlinks(from: &std::path::Path) -> tempfile::TempDir {
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let (src, dst) = (entry.path(), to.join(entry.file_name()));
            let kind = entry.file_type().unwrap();
            if kind.is_symlink() {
                std::os::unix::fs::symlink(std::fs::read_link(&src).unwrap(), &dst).unwrap();
            } else if kind.is_dir() {
                copy(&src, &dst);
            } else {
                let bytes = std::fs::read(&src).unwrap();
                let name = std::str::from_utf8(&bytes).ok().filter(|n| {
                    bytes.len() <= 255
                        && !n.is_empty()
                        && !n.contains(['/', '\\', '\n', ' ', ':'])
                        && from.join(n).is_file()
                        && from.join(n) != src
                });
                match name {
                    Some(name) => std::os::unix::fs::symlink(name, &dst).unwrap(),
                    None => std::fs::write(&dst, &bytes).unwrap(),
                }
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(from, dir.path());
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> SchemaUri {
        SchemaUri::parse(s).unwrap()
    }

    #[test]
    fn uri_shapes() {
        let u = uri("/analytics/legacy/test/1.2.0");
        assert!(u.is_path_absolute() && !u.is_remote() && u.scheme().is_none());
        assert_eq!(u.path(), "/analytics/legacy/test/1.2.0");
        let r = uri("https://Schema.wikimedia.org/repositories/primary/jsonschema/test/event/1.0.0#/properties");
        assert!(r.is_remote() && !r.is_path_absolute());
        assert_eq!(r.path(), "/repositories/primary/jsonschema/test/event/1.0.0");
        assert_eq!(r.fragment(), Some("/properties"));
        assert_eq!(
            r.document().as_str(),
            "https://Schema.wikimedia.org/repositories/primary/jsonschema/test/event/1.0.0"
        );
        assert_eq!(uri("HTTP://x/y").scheme().as_deref(), Some("http"));
        assert_eq!(uri("file:///tmp/x.yaml").path(), "/tmp/x.yaml");
        assert!(!uri("//host/x").is_path_absolute());
        for bad in ["", "a b", "/x\n"] {
            assert_eq!(SchemaUri::parse(bad), Err(SchemaUriError::Malformed(bad.into())));
        }
    }

    #[test]
    fn title_and_version_from_uris() {
        let (title, version) = uri("/analytics/legacy/test/1.2.0").title_and_version().unwrap();
        assert_eq!(title.as_str(), "analytics/legacy/test");
        assert_eq!(version, VersionRef::Exact(SchemaVersion { major: 1, minor: 2, patch: 0 }));
        let (title, version) =
            uri("https://schema.wikimedia.org/repositories/primary/jsonschema/test/event/latest.yaml#x")
                .title_and_version()
                .unwrap();
        assert_eq!((title.as_str(), version), ("test/event", VersionRef::Latest));
        assert_eq!(uri("/fragment/common/current.yaml").title_and_version().unwrap().1, VersionRef::Current);
        assert_eq!(
            uri("/fragment/common/1.0.0#/properties/meta").title_and_version().unwrap().0.as_str(),
            "fragment/common"
        );
        for none in ["/1.0.0", "/a/b", "/a/1.0", "/a/v1.0.0", "/a/../1.0.0", "/a//1.0.0"] {
            assert!(uri(none).title_and_version().is_none(), "{none}");
        }
    }

    #[test]
    fn versions_parse_and_order() {
        let v = |s: &str| s.parse::<SchemaVersion>().unwrap();
        assert!(v("1.10.0") > v("1.9.3") && v("2.0.0") > v("1.99.99"));
        assert_eq!(v("0.0.2").to_string(), "0.0.2");
        for bad in ["1.0", "1.0.0.0", "1.0.x", "-1.0.0", "+1.0.0", "1..0", ""] {
            assert!(bad.parse::<SchemaVersion>().is_err(), "{bad}");
        }
        assert_eq!("latest".parse::<VersionRef>().unwrap().to_string(), "latest");
    }

    #[test]
    fn titles() {
        assert!(SchemaTitle::parse("mediawiki/page/properties-change").is_ok());
        assert!(SchemaTitle::parse("fragment/http").is_ok());
        for bad in ["", "/a", "a/", "a//b", "a/../b", "a b", "a/./b"] {
            assert!(SchemaTitle::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn join_follows_rfc_3986() {
        let base = uri("/analytics/ref_bad/1.0.0");
        // Case 12: a ref without the leading `/` resolves under the schema's own directory.
        assert_eq!(
            base.join("fragment/common/1.0.0#/properties/meta").unwrap().as_str(),
            "/analytics/ref_bad/fragment/common/1.0.0#/properties/meta"
        );
        assert_eq!(base.join("/fragment/common/1.0.0#").unwrap().as_str(), "/fragment/common/1.0.0#");
        assert_eq!(base.join("#/definitions/x").unwrap().as_str(), "/analytics/ref_bad/1.0.0#/definitions/x");
        assert_eq!(base.join("").unwrap().as_str(), "/analytics/ref_bad/1.0.0");
        assert_eq!(base.join("../other/1.0.0").unwrap().as_str(), "/analytics/other/1.0.0");
        assert_eq!(base.join("../../../../x").unwrap().as_str(), "/x");
        assert_eq!(base.join("/a/./b/../c").unwrap().as_str(), "/a/c");
        assert_eq!(base.join("./#/d").unwrap().as_str(), "/analytics/ref_bad/#/d");
        assert_eq!(base.join("https://e.org/x#y").unwrap().as_str(), "https://e.org/x#y");
        let remote = uri("https://schema.wikimedia.org/repositories/primary/jsonschema/test/event/1.0.0");
        assert_eq!(
            remote.join("/fragment/common/1.0.0#").unwrap().as_str(),
            "https://schema.wikimedia.org/fragment/common/1.0.0#"
        );
        assert_eq!(
            remote.join("../../fragment/common/1.0.0").unwrap().as_str(),
            "https://schema.wikimedia.org/repositories/primary/jsonschema/fragment/common/1.0.0"
        );
        assert!(base.join("a b").is_err());
    }

    #[test]
    fn meta_schema_drafts() {
        assert_eq!(MetaSchemaUri::new("https://json-schema.org/draft-07/schema#").draft(), Some(Draft::Draft7));
        assert_eq!(MetaSchemaUri::new("http://json-schema.org/draft-07/schema").draft(), Some(Draft::Draft7));
        assert_eq!(MetaSchemaUri::new("http://json-schema.org/draft-04/schema#").draft(), Some(Draft::Draft4));
        assert_eq!(
            MetaSchemaUri::new("https://json-schema.org/draft/2020-12/schema").draft(),
            Some(Draft::Draft202012)
        );
        assert_eq!(MetaSchemaUri::new("/analytics/legacy/test/1.2.0").draft(), None);
    }
}
