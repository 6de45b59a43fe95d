//! Schema repositories and `$schema`/`$ref` resolution.
//!
//! A *schema repository* is a folder such as Wikimedia's `schemas/event/primary`
//! checkout (schema-repos.md §1): `.jsonschema-tools.yaml` at the root, and
//! under `jsonschema/` one directory per schema title holding `current.yaml`,
//! one materialized `<X.Y.Z>.yaml` per version, and relative symlinks
//! `<X.Y.Z> -> <X.Y.Z>.yaml`, `latest -> …`, `latest.yaml -> …`.
//! [`SchemaRepository`] maps a URI path (`/analytics/legacy/test/1.2.0`) to a
//! file of such a folder; [`SchemaResolver`] resolves `$schema` and `$ref`
//! URIs against an ordered list of base URIs and caches the parsed documents.
//!
//! Rules (decisions.md, "Validation"; schema-repos.md §3.1 and §5.1; case 12):
//! - A URI path is looked up under each base in order, first success wins, so
//!   local repositories shadow remote ones. When the last path segment has no
//!   extension (a numeric last dot-part such as `1.0.0` is not one, as in
//!   EventGate), `.yaml` and then `.json` are appended, and then the path is
//!   tried as it is (the extensionless symlink).
//! - Paths resolve under a repository's schema base path, never against the
//!   file-system root, and a file is read only when its real path (symlinks
//!   followed) lies inside the repository folder and it is a regular file of
//!   at most [`MAX_FILE_LEN`] bytes: every read goes through [`Fence`] (the
//!   config, schema files, `$ref` targets, symlink stubs).
//! - Symlinks stored as plain files, as Git writes them when symlinks are not
//!   supported (a file whose whole content is a sibling's name, such as
//!   `1.0.0.yaml`), are followed like symlinks, within the folder too.
//! - http(s) base URIs are fetched through an [`HttpFetcher`] (fenced, bounded,
//!   cached: see [`super::remote`]). Local files and cached versioned documents
//!   are used before any request is made; then the remote bases are asked in
//!   order, one URL each, and a `404` moves on to the next. Any other failure
//!   (unreachable, a server error, a redirect out of the base) stops the
//!   lookup with an error naming the URL: a base that cannot answer is never
//!   silently skipped.
//! - An absolute http(s) URI is fetched only when it lies under a remote base;
//!   under a base (or one of the public Wikimedia bases) and present in a
//!   local repository, the local file is read instead. Anywhere else it is
//!   [`SchemaError::OutsideBases`]: no request is made.
//!
//! ```
//! use epc::schema::SchemaUri;
//! use epc::schema::repository::{SchemaRepository, SchemaResolver};
//!
//! # let dir = tempfile::tempdir()?;
//! # std::fs::create_dir_all(dir.path().join("jsonschema/test/event"))?;
//! # std::fs::write(dir.path().join("jsonschema/test/event/1.0.0.yaml"), "title: test/event\n$id: /test/event/1.0.0\n")?;
//! // A checkout with jsonschema/test/event/1.0.0.yaml:
//! let repo = SchemaRepository::open(dir.path())?;
//! let resolver = SchemaResolver::new(vec![repo], &[], false)?;
//! let schema = resolver.resolve(&SchemaUri::parse("/test/event/1.0.0")?)?;
//! assert_eq!(schema.value["title"], "test/event");
//! assert!(schema.origin.path().ends_with("test/event/1.0.0.yaml"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use serde_json::Value;

use super::remote::{self, HttpBase, HttpFetcher, HttpOptions, RemoteError};
use super::yaml::{self, DocumentError};
use super::{SchemaTitle, SchemaUri, SchemaUriError, SchemaVersion};

/// The repository config file read at a repository's root.
pub const CONFIG_FILE: &str = ".jsonschema-tools.yaml";

/// The schema base path when the config does not set `schemaBasePath`.
pub const DEFAULT_SCHEMA_BASE_PATH: &str = "jsonschema/";

/// How many symlink stubs (plain files naming their target) are followed in a row.
const MAX_STUB_HOPS: usize = 8;

/// The largest file taken to be a symlink stub.
const MAX_STUB_LEN: u64 = 255;

/// The most bytes read from one file of a schema repository: 16 MiB (the
/// largest schema file of Wikimedia's repositories is under 30 KB). A larger
/// file is not read (see [`Fence`]).
pub const MAX_FILE_LEN: u64 = 16 * 1024 * 1024;

/// Why a [`Fence`] does not read a file of a schema repository.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Its real path (symlinks followed) is outside the repository folder.
    #[error("{} {}, outside the repository", if *through_symlink { "symlink to" } else { "resolves to" }, real.display())]
    Outside {
        /// Where it leads, canonical.
        real: PathBuf,
        /// Whether the path itself is a symlink (else a folder on the way is).
        through_symlink: bool,
    },
    /// A symlink that leads back to itself.
    #[error("a symlink loop")]
    Loop,
    /// A FIFO, a device, a socket or a folder: reading it could block or never end.
    #[error("{kind}, not a regular file")]
    NotRegular {
        /// What it is (`a FIFO`, `a character device`, `a directory`).
        kind: &'static str,
    },
    /// Larger than the limit.
    #[error("larger than {}", size_text(*limit))]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
}

fn size_text(bytes: u64) -> String {
    if bytes >= 1024 * 1024 && bytes.is_multiple_of(1024 * 1024) {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        format!("{bytes} bytes")
    }
}

/// The one place files of a schema repository are read: only regular files
/// whose real path (symlinks followed) is inside the repository folder, and at
/// most a limit of bytes from each ([`MAX_FILE_LEN`]). Everything else is a
/// [`SchemaError::Refused`] naming the path and the [`Refusal`], decided
/// before the file is opened, and checked again on the opened file (opened
/// without blocking, so that a FIFO swapped in cannot hang the read).
#[derive(Debug, Clone)]
pub struct Fence {
    root: PathBuf,
    /// The canonical form of each folder [`Fence::canonicalize`] has
    /// resolved, shared by the fence's clones (a run's).
    folders: Arc<std::sync::RwLock<HashMap<PathBuf, PathBuf>>>,
}

/// Symlinks in a row that [`Fence::canonicalize`] follows itself (Linux's
/// own limit is 40).
const MAX_SYMLINK_HOPS: usize = 40;

/// A step of [`Fence::canonicalize`].
enum Resolved {
    /// The canonical path.
    Real(PathBuf),
    /// A symlink (in a canonical folder) still to follow.
    Symlink(PathBuf),
}

impl PartialEq for Fence {
    fn eq(&self, other: &Self) -> bool {
        self.root == other.root
    }
}

impl Eq for Fence {}

impl Fence {
    /// A fence around a repository folder (canonicalized here, once).
    ///
    /// # Errors
    /// [`SchemaError::Io`] when the folder cannot be resolved.
    pub fn new(root: &Path) -> Result<Self, SchemaError> {
        Ok(Self { root: root.canonicalize().map_err(io_error(root))?, folders: Arc::default() })
    }

    /// What `path.canonicalize()` gives (symlinks followed, `..` resolved),
    /// with the canonical form of `path`'s folder remembered for the rest of
    /// the run, so that the files of one folder cost one `lstat` each rather
    /// than a `readlink` per path component (a repository check resolves
    /// thousands of paths in a few hundred folders). A folder that changes
    /// while the run holds it is not seen, as the run's parsed documents are
    /// not re-read either.
    ///
    /// # Errors
    /// The [`io::Error`] of `canonicalize`: nothing there (a dangling symlink
    /// included), a loop, a component that is not a folder.
    pub fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        let mut path = path.to_owned();
        // Symlinks in a row followed here; past this many the OS's own
        // resolution decides (and reports the loop).
        for _ in 0..MAX_SYMLINK_HOPS {
            match self.canonicalize_once(&path)? {
                Resolved::Real(real) => return Ok(real),
                Resolved::Symlink(link) => {
                    let target = fs::read_link(&link)?;
                    path = link.parent().map_or_else(|| target.clone(), |folder| folder.join(&target));
                }
            }
        }
        path.canonicalize()
    }

    /// One step of [`Fence::canonicalize`]: `path` with its folder made
    /// canonical, or the symlink it names there.
    fn canonicalize_once(&self, path: &Path) -> io::Result<Resolved> {
        let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
            return path.canonicalize().map(Resolved::Real);
        };
        if folder.as_os_str().is_empty() || !path.ends_with(name) {
            return path.canonicalize().map(Resolved::Real);
        }
        let known = self.folders.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(folder).cloned();
        let real_folder = match known {
            Some(real) => real,
            None => {
                // Resolved the same way, so each folder costs one lookup.
                let real = self.canonicalize(folder)?;
                let mut folders = self.folders.write().unwrap_or_else(std::sync::PoisonError::into_inner);
                folders.insert(folder.to_owned(), real.clone());
                // Symlinks followed in it are joined to its canonical form.
                folders.insert(real.clone(), real.clone());
                real
            }
        };
        let candidate = real_folder.join(name);
        if fs::symlink_metadata(&candidate)?.file_type().is_symlink() {
            Ok(Resolved::Symlink(candidate))
        } else {
            Ok(Resolved::Real(candidate))
        }
    }

    /// The repository folder, canonical.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether `real` (a canonical path) is inside the repository folder.
    #[must_use]
    pub fn contains(&self, real: &Path) -> bool {
        real.starts_with(&self.root)
    }

    /// Where `path` really is (canonical), when it may be read: a regular
    /// file inside the repository folder, of at most `limit` bytes. Nothing
    /// is opened.
    ///
    /// # Errors
    /// [`SchemaError::Refused`] (outside, a loop, not a regular file, too
    /// large); [`SchemaError::Io`] when it does not exist (a dangling symlink
    /// included) or cannot be inspected.
    pub fn check(&self, path: &Path, limit: u64) -> Result<PathBuf, SchemaError> {
        let refused = |refusal| SchemaError::Refused { path: path.to_owned(), refusal };
        let real = match self.canonicalize(path) {
            Ok(real) => real,
            Err(e) if is_loop(&e) => return Err(refused(Refusal::Loop)),
            Err(e) => return Err(SchemaError::Io { path: path.to_owned(), error: e }),
        };
        if !self.contains(&real) {
            let through_symlink = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            return Err(refused(Refusal::Outside { real, through_symlink }));
        }
        let meta = fs::metadata(&real).map_err(io_error(path))?;
        regular(&meta, limit).map_err(refused)?;
        Ok(real)
    }

    /// Reads `path` as UTF-8 text, at most [`MAX_FILE_LEN`] bytes.
    ///
    /// # Errors
    /// As [`Fence::read_limited`].
    pub fn read_to_string(&self, path: &Path) -> Result<String, SchemaError> {
        self.read_limited(path, MAX_FILE_LEN)
    }

    /// Reads `path` as UTF-8 text when [`Fence::check`] allows it, at most
    /// `limit` bytes: the opened file must still be a regular file, and a
    /// file that grew past `limit` is refused.
    ///
    /// # Errors
    /// [`SchemaError::Refused`]; [`SchemaError::Io`] when it cannot be
    /// opened or read, or is not UTF-8.
    pub fn read_limited(&self, path: &Path, limit: u64) -> Result<String, SchemaError> {
        let real = self.check(path, limit)?;
        self.read_checked(path, &real, limit)
    }

    /// Reads `real`, the canonical path [`Fence::check`] gave for `path`
    /// (named in errors): the opened file must still be a regular file of at
    /// most `limit` bytes.
    fn read_checked(&self, path: &Path, real: &Path, limit: u64) -> Result<String, SchemaError> {
        use std::io::Read as _;
        let refused = |refusal| SchemaError::Refused { path: path.to_owned(), refusal };
        let file = open_nonblocking(real).map_err(io_error(path))?;
        let meta = file.metadata().map_err(io_error(path))?;
        regular(&meta, limit).map_err(refused)?;
        // Room for the whole file and one byte more, so that a file that has
        // not grown is read in one call and its end seen in a second.
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len().min(limit)).unwrap_or(0).saturating_add(1));
        file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(io_error(path))?;
        if bytes.len() as u64 > limit {
            return Err(refused(Refusal::TooLarge { limit }));
        }
        String::from_utf8(bytes).map_err(|_| SchemaError::Io {
            path: path.to_owned(),
            error: io::Error::new(io::ErrorKind::InvalidData, "stream did not contain valid UTF-8"),
        })
    }

    /// Reads and parses `path` (YAML, or JSON for `.json`), as
    /// [`yaml::load_file`] does, through the fence.
    ///
    /// # Errors
    /// As [`Fence::read_to_string`], and [`SchemaError::Document`] for a
    /// malformed document (naming `path`, with the line).
    pub fn load_document(&self, path: &Path) -> Result<Value, SchemaError> {
        let text = self.read_to_string(path)?;
        Ok(yaml::parse_str(&text, yaml::Format::for_path(path), &path.display().to_string())?)
    }
}

/// The parsed documents of local schema repositories, each file read and
/// parsed once per run: keyed by the file's canonical real path, so that the
/// names that lead to one file (`latest`, `1.0.0`, `latest.yaml`, symlinks
/// or symlink stubs followed, and `1.0.0.yaml` itself) share one parse.
/// Every read goes through the [`Fence`] of the repository it is asked for
/// (inside the root, a regular file, at most [`MAX_FILE_LEN`] bytes): the
/// fence is checked on every lookup, hit or miss, so a cached document is
/// never handed out through a repository that may not read it.
///
/// Shared by discovery ([`crate::repo_check::discover`]), the checks and the
/// [`SchemaResolver`] (its [`SchemaResolver::documents`]); shareable across
/// threads. Failures are not cached (each caller gets its own error, naming
/// the path it asked for). A document is YAML, or JSON when its real path
/// ends in `.json` ([`yaml::Format::for_path`]).
#[derive(Debug, Default)]
pub struct DocumentCache {
    documents: RwLock<HashMap<PathBuf, Arc<Value>>>,
    parsed: AtomicUsize,
    hits: AtomicUsize,
}

/// How a [`DocumentCache`] was used: files read and parsed, and lookups
/// answered from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Files read and parsed (each distinct real path once, unless it failed).
    pub parsed: usize,
    /// Lookups answered without reading.
    pub hits: usize,
}

impl DocumentCache {
    /// An empty cache.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The document at `path` (a file of the repository `fence` guards):
    /// from the cache when its real path was parsed before, else read
    /// through the fence and parsed.
    ///
    /// # Errors
    /// [`SchemaError::Refused`] and [`SchemaError::Io`] as
    /// [`Fence::read_to_string`]; [`SchemaError::Document`] for a malformed
    /// document (naming `path`, with the line).
    pub fn load(&self, fence: &Fence, path: &Path) -> Result<Arc<Value>, SchemaError> {
        let real = fence.check(path, MAX_FILE_LEN)?;
        if let Some(hit) = self.documents.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(&real) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(Arc::clone(hit));
        }
        let text = fence.read_checked(path, &real, MAX_FILE_LEN)?;
        let value = yaml::parse_str(&text, yaml::Format::for_path(&real), &path.display().to_string())?;
        self.parsed.fetch_add(1, Ordering::Relaxed);
        let mut documents = self.documents.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(Arc::clone(documents.entry(real).or_insert_with(|| Arc::new(value))))
    }

    /// Files parsed and cache hits so far.
    #[must_use]
    pub fn stats(&self) -> CacheStats {
        CacheStats { parsed: self.parsed.load(Ordering::Relaxed), hits: self.hits.load(Ordering::Relaxed) }
    }
}

/// A regular file of at most `limit` bytes, else why not.
fn regular(meta: &fs::Metadata, limit: u64) -> Result<(), Refusal> {
    if !meta.is_file() {
        return Err(Refusal::NotRegular { kind: kind_of(&meta.file_type()) });
    }
    if meta.len() > limit {
        return Err(Refusal::TooLarge { limit });
    }
    Ok(())
}

/// What a file that is not a regular file is, for messages.
fn kind_of(kind: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() { "a directory" } else { "not a regular file" }
}

/// Whether an error resolving a path is a symlink loop (`ELOOP`).
fn is_loop(error: &io::Error) -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    const ELOOP: i32 = 40;
    #[cfg(any(
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "openbsd",
        target_os = "netbsd"
    ))]
    const ELOOP: i32 = 62;
    #[cfg(not(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "openbsd",
        target_os = "netbsd"
    )))]
    const ELOOP: i32 = -1;
    error.raw_os_error() == Some(ELOOP)
}

/// Opens a file for reading without blocking on a FIFO (`O_NONBLOCK`, which
/// changes nothing for a regular file); the caller checks the opened file.
fn open_nonblocking(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(any(target_os = "linux", target_os = "android"))]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, 0o4000);
    #[cfg(any(
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "openbsd",
        target_os = "netbsd",
        target_os = "dragonfly"
    ))]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, 0x0004);
    options.open(path)
}

/// An error opening a schema repository or resolving a URI.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// A repository folder (or a file in it) could not be read.
    #[error("{}: {error}", path.display())]
    Io {
        /// The folder or file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        error: io::Error,
    },
    /// The repository folder is not a directory.
    #[error("{}: not a schema repository folder (not a directory)", path.display())]
    NotADirectory {
        /// The path given.
        path: PathBuf,
    },
    /// `.jsonschema-tools.yaml` is present but does not have the expected shape.
    #[error("{}: {reason}", path.display())]
    Config {
        /// The config file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A schema or config document is malformed (file and line in the message).
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// A URI is malformed, or a reference cannot be joined with its base.
    #[error(transparent)]
    Uri(#[from] SchemaUriError),
    /// A file of a repository that is not read: outside it, not a regular
    /// file, or too large ([`Fence`]).
    #[error("{}: {refusal}; not read", path.display())]
    Refused {
        /// The file as named.
        path: PathBuf,
        /// Why it is not read.
        refusal: Refusal,
    },
    /// A URI path leads outside the repository folder (through `..` or a symlink).
    #[error("{uri}: resolves to {}, outside the schema repository {}; not read", path.display(), repository.display())]
    OutsideRepository {
        /// The URI being resolved.
        uri: String,
        /// Where it led.
        path: PathBuf,
        /// The repository folder.
        repository: PathBuf,
    },
    /// No base URI has the schema.
    #[error(
        "{uri}: schema not found; looked in {}{}",
        looked_in(searched),
        if urls.is_empty() { String::new() } else { format!(" and at {}", urls.join(", ")) }
    )]
    NotFound {
        /// The URI being resolved (document part).
        uri: String,
        /// The schema base folders searched, in order.
        searched: Vec<PathBuf>,
        /// The URLs that answered 404 or 410, in order.
        urls: Vec<String>,
    },
    /// Only remote base URIs could have the schema and this resolver does not
    /// fetch (built without [`HttpOptions`]).
    #[error(
        "{uri}: not found in the local schema repositories ({}); the remaining base URIs are remote ({}) \
         and remote schema fetching is off: give a local checkout that has it with --schema-repo DIR",
        looked_in(searched), urls.join(", ")
    )]
    RemoteNotAllowed {
        /// The URI being resolved (document part).
        uri: String,
        /// The URLs that would be tried, in order.
        urls: Vec<String>,
        /// The local schema base folders searched first.
        searched: Vec<PathBuf>,
    },
    /// Offline, and neither a local repository nor the cache has the schema.
    #[error(
        "{uri}: not in the local schema repositories ({}) nor in the schema cache{} for {}; \
         no request is made offline",
        looked_in(searched),
        cache_dir.as_ref().map(|d| format!(" ({})", d.display())).unwrap_or_default(),
        urls.join(", ")
    )]
    Offline {
        /// The URI being resolved (document part).
        uri: String,
        /// The URLs that would be fetched, in order.
        urls: Vec<String>,
        /// Their bases, in the same order.
        bases: Vec<String>,
        /// The local schema base folders searched first.
        searched: Vec<PathBuf>,
        /// The cache folder read, if any.
        cache_dir: Option<PathBuf>,
    },
    /// A remote document could not be had (unreachable, a server error, too
    /// large, a redirect out of its base, malformed).
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// An absolute URL under no remote base URI: never fetched (the fence).
    #[error(
        "{uri}: not under any schema base URI ({}); not fetched: only URLs under a configured base are",
        if bases.is_empty() { "no remote base is configured".to_owned() } else { bases.join(", ") }
    )]
    OutsideBases {
        /// The URL.
        uri: String,
        /// The remote bases, in order.
        bases: Vec<String>,
    },
    /// A remote base that `$ref`s need cannot serve them now (unreachable, a
    /// server error, not cached offline): `epc validate --repo` checks this
    /// before anything else and reports it once, instead of one failure per
    /// schema that needs the base.
    #[error(
        "schema base {base} cannot serve what {files} file{} of the repository need: {targets} `$ref` target{} \
         such as `{example}` in {example_file} ({reason})",
        if *files == 1 { "" } else { "s" }, if *targets == 1 { "" } else { "s" }
    )]
    BaseUnavailable {
        /// The base.
        base: String,
        /// The first failure, with its URL.
        reason: String,
        /// How many files hold a `$ref` into it.
        files: usize,
        /// How many distinct documents they need from it.
        targets: usize,
        /// One such `$ref`, as resolved.
        example: String,
        /// The file holding it, relative to the repository.
        example_file: String,
    },
    /// A base URI that cannot be used.
    #[error("base URI `{uri}`: {reason}")]
    BadBaseUri {
        /// The base URI as given.
        uri: String,
        /// Why not.
        reason: String,
    },
    /// A URI scheme other than http, https and file.
    #[error("{uri}: unsupported URI scheme (only http, https and file)")]
    UnsupportedScheme {
        /// The URI.
        uri: String,
    },
    /// A `file:` URI or path outside every repository folder.
    #[error("{uri}: outside every schema repository folder; not read")]
    OutsideRepositories {
        /// The URI.
        uri: String,
    },
    /// A `$ref` that does not resolve, with what it resolved to.
    #[error(
        "$ref `{reference}` in {base} resolves to {resolved}, which cannot be loaded{}: {source}",
        hint.as_deref().map(|h| format!(" ({h})")).unwrap_or_default()
    )]
    UnresolvableRef {
        /// The `$ref` as written.
        reference: String,
        /// The base it was resolved against (the enclosing schema's `$id`).
        base: String,
        /// The resolved URI.
        resolved: String,
        /// A suggestion, such as adding the leading `/` (case 12).
        hint: Option<String>,
        /// Why the resolved URI could not be loaded.
        source: Box<SchemaError>,
    },
}

impl SchemaError {
    /// The remote base this error says cannot serve documents now
    /// ([`RemoteError::unavailable_base`]: unreachable, a server error, or not
    /// cached offline), looking through a `$ref`'s cause.
    #[must_use]
    pub fn unavailable_base(&self) -> Option<&str> {
        match self {
            Self::Remote(e) => e.unavailable_base(),
            Self::Offline { bases, .. } => bases.first().map(String::as_str),
            Self::UnresolvableRef { source, .. } => source.unavailable_base(),
            _ => None,
        }
    }
}

fn looked_in(searched: &[PathBuf]) -> String {
    if searched.is_empty() {
        "no local schema repository given".to_owned()
    } else {
        searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> SchemaError + '_ {
    move |error| SchemaError::Io { path: path.to_owned(), error }
}

/// The `.jsonschema-tools.yaml` settings that matter for resolution
/// (schema-repos.md §2.2; other keys are ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoConfig {
    /// `schemaBasePath`, relative to the repository root; default `jsonschema/`
    /// (jsonschema-tools defaults to its working directory, which for the
    /// Wikimedia repositories is always set to `./jsonschema/`).
    pub schema_base_path: String,
    /// `schemaBaseUris` as written; empty when unset, which means the schema
    /// base path only.
    pub schema_base_uris: Vec<String>,
    /// `contentTypes`; default `[yaml, json]`. The first is the primary type.
    pub content_types: Vec<String>,
}

impl Default for RepoConfig {
    fn default() -> Self {
        Self {
            schema_base_path: DEFAULT_SCHEMA_BASE_PATH.to_owned(),
            schema_base_uris: Vec::new(),
            content_types: vec!["yaml".to_owned(), "json".to_owned()],
        }
    }
}

impl RepoConfig {
    /// Reads the settings from a parsed `.jsonschema-tools.yaml` (`null` for an
    /// empty file). `schemaBaseUris` and `contentTypes` may be a list or one
    /// string (jsonschema-tools also splits them on commas).
    ///
    /// # Errors
    /// A reason when the document is not a mapping or a key has the wrong type.
    pub fn from_value(value: &Value) -> Result<Self, String> {
        let mut config = Self::default();
        let map = match value {
            Value::Null => return Ok(config),
            Value::Object(map) => map,
            _ => return Err("not a mapping".to_owned()),
        };
        let strings = |key: &str, v: &Value| -> Result<Vec<String>, String> {
            let list = match v {
                Value::String(s) => vec![s.as_str()],
                Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().ok_or_else(|| format!("`{key}` must be a list of strings")))
                    .collect::<Result<_, _>>()?,
                _ => return Err(format!("`{key}` must be a list of strings")),
            };
            Ok(list.iter().flat_map(|s| s.split(',')).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
        };
        if let Some(v) = map.get("schemaBasePath") {
            config.schema_base_path = v.as_str().ok_or("`schemaBasePath` must be a string")?.to_owned();
        }
        if let Some(v) = map.get("schemaBaseUris") {
            config.schema_base_uris = strings("schemaBaseUris", v)?;
        }
        if let Some(v) = map.get("contentTypes") {
            config.content_types = strings("contentTypes", v)?;
        }
        Ok(config)
    }
}

/// A local schema repository folder.
#[derive(Debug, Clone)]
pub struct SchemaRepository {
    root: PathBuf,
    fence: Fence,
    base: PathBuf,
    config: RepoConfig,
    has_config_file: bool,
}

/// Where a URI path was found in a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The file tried, under the schema base path (`…/test/event/1.0.0`).
    pub path: PathBuf,
    /// The file read, after following symlinks and symlink stubs
    /// (`…/test/event/1.0.0.yaml`), canonical.
    pub real_path: PathBuf,
}

/// A materialized schema version file found in a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionedFile {
    /// The title (the directory relative to the schema base path).
    pub title: SchemaTitle,
    /// The version (the file name without its extension).
    pub version: SchemaVersion,
    /// The file (`<base>/<title>/<version>.yaml` or `.json`).
    pub path: PathBuf,
}

impl SchemaRepository {
    /// Opens a repository folder. With a `.jsonschema-tools.yaml`, its
    /// settings apply; without one, the schema base path is `jsonschema/` when
    /// that folder exists, and otherwise the folder itself (so both
    /// `schemas/primary` and `schemas/primary/jsonschema` work).
    ///
    /// # Errors
    /// [`SchemaError::Io`] or [`SchemaError::NotADirectory`] for the folder,
    /// [`SchemaError::Document`]/[`SchemaError::Config`] for a malformed config,
    /// and [`SchemaError::Config`] when `schemaBasePath` is missing or outside
    /// the folder.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, SchemaError> {
        let dir = dir.as_ref();
        let root = dir.canonicalize().map_err(io_error(dir))?;
        if !root.is_dir() {
            return Err(SchemaError::NotADirectory { path: dir.to_owned() });
        }
        let fence = Fence { root: root.clone(), folders: Arc::default() };
        let config_path = root.join(CONFIG_FILE);
        if let Some(value) = read_config(&fence, &config_path)? {
            let config = RepoConfig::from_value(&value)
                .map_err(|reason| SchemaError::Config { path: config_path.clone(), reason })?;
            let base = root.join(&config.schema_base_path).canonicalize().map_err(|e| SchemaError::Config {
                path: config_path.clone(),
                reason: format!("schemaBasePath `{}`: {e}", config.schema_base_path),
            })?;
            if !base.starts_with(&root) || !base.is_dir() {
                return Err(SchemaError::Config {
                    path: config_path,
                    reason: format!(
                        "schemaBasePath `{}` is not a folder inside the repository",
                        config.schema_base_path
                    ),
                });
            }
            return Ok(Self { root, fence, base, config, has_config_file: true });
        }
        let default_base = root.join(DEFAULT_SCHEMA_BASE_PATH);
        let (base, schema_base_path) = if default_base.is_dir() {
            (default_base.canonicalize().map_err(io_error(&default_base))?, DEFAULT_SCHEMA_BASE_PATH.to_owned())
        } else {
            (root.clone(), "./".to_owned())
        };
        if !base.starts_with(&root) {
            return Err(SchemaError::OutsideRepository { uri: schema_base_path, path: base, repository: root });
        }
        let config = RepoConfig { schema_base_path, ..RepoConfig::default() };
        Ok(Self { root, fence, base, config, has_config_file: false })
    }

    /// Whether `dir` looks like a schema repository: it has a
    /// `.jsonschema-tools.yaml` file or a `jsonschema/` folder (the rule
    /// `authoring::find_root` uses too). [`Self::open`] also opens other
    /// folders, as repositories whose schemas sit at the top; callers that
    /// take a repository from the user refuse those with this.
    #[must_use]
    pub fn is_repository(dir: &Path) -> bool {
        dir.join(CONFIG_FILE).is_file() || dir.join(DEFAULT_SCHEMA_BASE_PATH).is_dir()
    }

    /// Opens a folder used as a schema base as it is (a local base URI such
    /// as `./jsonschema/`): no config is read and nothing outside it is read.
    ///
    /// # Errors
    /// [`SchemaError::Io`] or [`SchemaError::NotADirectory`].
    pub fn open_base(dir: impl AsRef<Path>) -> Result<Self, SchemaError> {
        let dir = dir.as_ref();
        let root = dir.canonicalize().map_err(io_error(dir))?;
        if !root.is_dir() {
            return Err(SchemaError::NotADirectory { path: dir.to_owned() });
        }
        let config = RepoConfig { schema_base_path: "./".to_owned(), ..RepoConfig::default() };
        Ok(Self {
            base: root.clone(),
            fence: Fence { root: root.clone(), folders: Arc::default() },
            root,
            config,
            has_config_file: false,
        })
    }

    /// The repository folder, canonical. Nothing outside it is read.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The fence every file of the repository is read through.
    #[must_use]
    pub fn fence(&self) -> &Fence {
        &self.fence
    }

    /// The schema base folder (`<root>/jsonschema`), canonical.
    #[must_use]
    pub fn base(&self) -> &Path {
        &self.base
    }

    /// The settings in effect.
    #[must_use]
    pub fn config(&self) -> &RepoConfig {
        &self.config
    }

    /// Whether the settings came from a `.jsonschema-tools.yaml`.
    #[must_use]
    pub fn has_config_file(&self) -> bool {
        self.has_config_file
    }

    /// Finds the file for a URI path (`/analytics/legacy/test/1.2.0`, no query
    /// or fragment) under the schema base path, per the rules in the module
    /// docs. `Ok(None)` when no candidate exists.
    ///
    /// # Errors
    /// [`SchemaError::OutsideRepository`] when a candidate exists but its real
    /// path is outside the repository folder; [`SchemaError::Io`] when a
    /// candidate cannot be inspected.
    pub fn locate(&self, uri_path: &str) -> Result<Option<Located>, SchemaError> {
        let rel = uri_path.trim_start_matches('/');
        if rel.is_empty() || rel.contains('\0') || rel.contains('\\') {
            return Ok(None);
        }
        for candidate in candidates(rel) {
            let path = self.base.join(&candidate);
            if fs::symlink_metadata(&path).is_err() {
                continue;
            }
            let Ok(mut real) = self.fence.canonicalize(&path) else {
                continue; // a dangling symlink
            };
            for _ in 0..MAX_STUB_HOPS {
                if !real.starts_with(&self.root) {
                    return Err(SchemaError::OutsideRepository {
                        uri: uri_path.to_owned(),
                        path: real,
                        repository: self.root.clone(),
                    });
                }
                match stub_target(&self.fence, &real)? {
                    Some(next) => real = next,
                    None => break,
                }
            }
            if real.is_file() {
                return Ok(Some(Located { path, real_path: real }));
            }
        }
        Ok(None)
    }

    /// Every materialized version file (`<title>/<X.Y.Z>.yaml` or `.json`, not
    /// `current.yaml`, symlinks and symlink stubs) under the schema base path,
    /// sorted by title and version. Directory symlinks are not followed.
    ///
    /// # Errors
    /// [`SchemaError::Io`] when a folder cannot be listed.
    pub fn versioned_files(&self) -> Result<Vec<VersionedFile>, SchemaError> {
        let mut found = Vec::new();
        let mut stack = vec![self.base.clone()];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).map_err(io_error(&dir))? {
                let entry = entry.map_err(io_error(&dir))?;
                let kind = entry.file_type().map_err(io_error(&entry.path()))?;
                let path = entry.path();
                if kind.is_dir() {
                    stack.push(path);
                    continue;
                }
                if !kind.is_file() {
                    continue;
                }
                let name = entry.file_name();
                let Some(name) = name.to_str() else { continue };
                let Some(stem) = name.strip_suffix(".yaml").or_else(|| name.strip_suffix(".json")) else { continue };
                let Ok(version) = stem.parse::<SchemaVersion>() else { continue };
                let Some(title) = dir
                    .strip_prefix(&self.base)
                    .ok()
                    .and_then(|rel| rel.to_str())
                    .and_then(|rel| SchemaTitle::parse(&rel.replace(std::path::MAIN_SEPARATOR, "/")).ok())
                else {
                    continue;
                };
                found.push(VersionedFile { title, version, path });
            }
        }
        found.sort_by(|a, b| (&a.title, a.version, &a.path).cmp(&(&b.title, b.version, &b.path)));
        Ok(found)
    }
}

/// The file names tried for a URI path relative to the base: with `.yaml`,
/// with `.json`, then as it is, unless the last segment has an extension.
fn candidates(rel: &str) -> Vec<String> {
    let last = rel.rsplit('/').next().unwrap_or(rel);
    let has_extension = last
        .rsplit_once('.')
        .is_some_and(|(stem, ext)| !stem.is_empty() && !ext.is_empty() && !ext.bytes().all(|b| b.is_ascii_digit()));
    if has_extension {
        vec![rel.to_owned()]
    } else {
        vec![format!("{rel}.yaml"), format!("{rel}.json"), rel.to_owned()]
    }
}

/// The target of a symlink stub: a small file whose whole content is the
/// relative name of an existing file (Git's form of a symlink on a checkout
/// without symlinks). `None` for any other file.
fn stub_target(fence: &Fence, path: &Path) -> Result<Option<PathBuf>, SchemaError> {
    let meta = fs::metadata(path).map_err(io_error(path))?;
    if !meta.is_file() || meta.len() == 0 || meta.len() > MAX_STUB_LEN {
        return Ok(None);
    }
    let Ok(text) = fence.read_limited(path, MAX_STUB_LEN) else { return Ok(None) };
    let looks_like_name = !text.starts_with('/')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, ':' | '{' | '[' | '#' | '\\'));
    if !looks_like_name {
        return Ok(None);
    }
    let Some(dir) = path.parent() else { return Ok(None) };
    match fence.canonicalize(&dir.join(&text)) {
        Ok(target) if target.is_file() && target != path => Ok(Some(target)),
        _ => Ok(None),
    }
}

/// Reads a repository's `.jsonschema-tools.yaml` (`path`, as it is to be
/// named in messages) through its fence; `None` when there is none (nothing
/// at that path, or a dangling symlink).
///
/// # Errors
/// [`SchemaError::Refused`] when it is outside the repository or not a
/// regular file (it is not silently ignored: the settings would be wrong),
/// [`SchemaError::Io`], [`SchemaError::Document`].
pub fn read_config(fence: &Fence, path: &Path) -> Result<Option<Value>, SchemaError> {
    if fence.canonicalize(path).is_err_and(|e| e.kind() == io::ErrorKind::NotFound) {
        return Ok(None); // nothing there, or a dangling symlink
    }
    fence.load_document(path).map(Some)
}

/// A base URI: a local folder or a remote URL prefix (design-client.md §3's
/// `SchemaSource { Local, Http }`).
#[derive(Debug, Clone)]
pub enum BaseUri {
    /// A local schema repository (or base folder).
    Local(SchemaRepository),
    /// An http(s) URL prefix, fetched from when the resolver has an [`HttpFetcher`].
    Remote(HttpBase),
}

/// Where a resolved document came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A file of a local repository.
    File {
        /// The repository folder.
        repository: PathBuf,
        /// The file tried and the file read.
        located: Located,
    },
    /// A file named directly (`--schema FILE`), wherever it is.
    Given {
        /// The file as named.
        path: PathBuf,
    },
    /// A document fetched from a remote base (or its cached copy).
    Remote {
        /// The URL it was fetched from.
        url: String,
    },
}

impl Origin {
    /// The file that was read; for a remote document, its URL (as a path, to
    /// display).
    #[must_use]
    pub fn path(&self) -> &Path {
        match self {
            Self::File { located, .. } => &located.real_path,
            Self::Given { path } => path,
            Self::Remote { url } => Path::new(url),
        }
    }

    /// The URL of a remote document.
    #[must_use]
    pub fn url(&self) -> Option<&str> {
        match self {
            Self::Remote { url } => Some(url),
            _ => None,
        }
    }
}

/// A loaded schema document.
#[derive(Debug, Clone)]
pub struct SchemaDocument {
    /// The document URI it was loaded for (no fragment).
    pub uri: SchemaUri,
    /// The parsed document, shared with the [`DocumentCache`] (one parse
    /// per file, whatever name it was resolved by).
    pub value: Arc<Value>,
    /// Where it came from.
    pub origin: Origin,
}

impl SchemaDocument {
    /// The sub-document a fragment selects: the whole document for no or an
    /// empty fragment, else the JSON pointer (`/properties/meta`), percent-
    /// decoded first as a URI fragment (RFC 6901 §6). `None` when the pointer
    /// selects nothing or the fragment is not a pointer (a plain-name anchor).
    #[must_use]
    pub fn select(&self, fragment: Option<&str>) -> Option<&Value> {
        match fragment {
            None | Some("") => Some(&self.value),
            Some(pointer) if pointer.contains('%') => self.value.pointer(&percent_decode(pointer)?),
            Some(pointer) => self.value.pointer(pointer),
        }
    }

    /// Loads a schema file named directly (such as `current.yaml` given with
    /// `--schema FILE`), outside any repository lookup and not cached. Its URI
    /// is its `$id` when that is a valid URI, so that its relative `$ref`s
    /// resolve as in the repository (case 12); otherwise the file's `file:` URL.
    ///
    /// # Errors
    /// [`SchemaError::Document`] naming the file, with the line when known.
    pub fn from_file(path: &Path) -> Result<Self, SchemaError> {
        let value = Arc::new(yaml::load_file(path)?);
        let id = value.get("$id").and_then(Value::as_str).and_then(|id| SchemaUri::parse(id).ok());
        let uri = match id {
            Some(id) => id.document(),
            None => file_uri(path)?,
        };
        Ok(Self { uri, value, origin: Origin::Given { path: path.to_owned() } })
    }

    /// The document's `$id`, when it is a string.
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        self.value.get("$id").and_then(Value::as_str)
    }
}

/// The `file:` URL of a path, as a schema URI.
fn file_uri(path: &Path) -> Result<SchemaUri, SchemaError> {
    let absolute = std::path::absolute(path).map_err(io_error(path))?;
    let url = url::Url::from_file_path(&absolute)
        .map_err(|()| SchemaError::UnsupportedScheme { uri: absolute.display().to_string() })?;
    Ok(SchemaUri::parse(url.as_str())?)
}

/// A resolved `$ref`: the target URI and its document.
#[derive(Debug, Clone)]
pub struct ResolvedRef {
    /// The reference resolved against its base (with its fragment).
    pub target: SchemaUri,
    /// The target's document.
    pub document: Arc<SchemaDocument>,
}

/// Where schemas come from, as a command line gives them: local
/// repositories, further base URIs, and how remote ones are fetched. With
/// neither repositories nor base URIs, the public Wikimedia repositories
/// ([`remote::DEFAULT_BASE_URIS`]) are used (decisions.md, "Schemas over HTTP").
#[derive(Debug, Clone, Default)]
pub struct SchemaSources {
    /// The `--schema-repo` folders, searched first, in order.
    pub repositories: Vec<SchemaRepository>,
    /// The `--schema-base-uri`s (http(s) URLs, `file:` URLs or folders), after them.
    pub base_uris: Vec<String>,
    /// Timeout, offline, cache and size limit for remote bases.
    pub http: HttpOptions,
}

impl SchemaSources {
    /// Whether [`Self::resolver`] falls back on the public Wikimedia repositories.
    #[must_use]
    pub fn uses_default_bases(&self) -> bool {
        self.repositories.is_empty() && self.base_uris.is_empty()
    }

    /// The resolver: [`SchemaResolver::with_http`] over these sources, or over
    /// [`remote::DEFAULT_BASE_URIS`] when there are none.
    ///
    /// # Errors
    /// As [`SchemaResolver::with_http`].
    pub fn resolver(self) -> Result<SchemaResolver, SchemaError> {
        let base_uris = if self.uses_default_bases() {
            remote::DEFAULT_BASE_URIS.iter().map(|u| (*u).to_owned()).collect()
        } else {
            self.base_uris
        };
        SchemaResolver::with_http(self.repositories, &base_uris, Some(self.http))
    }
}

/// Resolves schema URIs against an ordered list of base URIs, caching the
/// parsed documents by document URI (failures are not cached; the
/// [`HttpFetcher`] remembers remote failures per URL). Shareable across threads.
#[derive(Debug)]
pub struct SchemaResolver {
    bases: Vec<BaseUri>,
    http: Option<HttpFetcher>,
    notes: Vec<String>,
    cache: RwLock<HashMap<SchemaUri, Arc<SchemaDocument>>>,
    documents: Arc<DocumentCache>,
}

impl SchemaResolver {
    /// [`Self::with_http`], fetching remote bases with the default
    /// [`HttpOptions`] (no disk cache) when `allow_remote`, else never.
    ///
    /// # Errors
    /// As [`Self::with_http`].
    pub fn new(
        repositories: Vec<SchemaRepository>,
        base_uris: &[String],
        allow_remote: bool,
    ) -> Result<Self, SchemaError> {
        Self::with_http(repositories, base_uris, allow_remote.then(HttpOptions::default))
    }

    /// Builds the base list, in order: `repositories` (the `--schema-repo`
    /// folders, searched first, in order); then `base_uris` (http(s) URLs,
    /// `file:` URLs or folder paths); then each repository's configured
    /// `schemaBaseUris` (relative entries resolve against the repository root;
    /// the repository's own base path is already in the list). Duplicates are
    /// dropped. Configured local entries outside their repository are not
    /// used, and [`SchemaResolver::notes`] says so. Remote bases are fetched
    /// with `http` ([`HttpFetcher`]); with `None`, never.
    ///
    /// # Errors
    /// [`SchemaError`] when a local base URI folder cannot be opened, or a URI
    /// is malformed or of an unsupported scheme.
    pub fn with_http(
        repositories: Vec<SchemaRepository>,
        base_uris: &[String],
        http: Option<HttpOptions>,
    ) -> Result<Self, SchemaError> {
        let http = http.map(HttpFetcher::new);
        let mut resolver = Self {
            bases: Vec::new(),
            http,
            notes: Vec::new(),
            cache: RwLock::default(),
            documents: Arc::new(DocumentCache::new()),
        };
        let configured: Vec<(PathBuf, Vec<String>)> =
            repositories.iter().map(|r| (r.root.clone(), r.config.schema_base_uris.clone())).collect();
        for repo in repositories {
            resolver.push(BaseUri::Local(repo));
        }
        for uri in base_uris {
            let base = base_from_uri(uri, None)?;
            resolver.push(base);
        }
        for (root, uris) in configured {
            for uri in uris {
                match base_from_uri(&uri, Some(&root)) {
                    Ok(BaseUri::Local(repo)) if !repo.root.starts_with(&root) => resolver.notes.push(format!(
                        "{}: schemaBaseUris entry `{uri}` is outside the repository and is not used",
                        root.join(CONFIG_FILE).display()
                    )),
                    Ok(base) => resolver.push(base),
                    Err(e) => resolver.notes.push(format!(
                        "{}: schemaBaseUris entry `{uri}` is not used: {e}",
                        root.join(CONFIG_FILE).display()
                    )),
                }
            }
        }
        Ok(resolver)
    }

    fn push(&mut self, base: BaseUri) {
        let duplicate = self.bases.iter().any(|b| match (b, &base) {
            (BaseUri::Local(a), BaseUri::Local(b)) => a.base == b.base,
            (BaseUri::Remote(a), BaseUri::Remote(b)) => a == b,
            _ => false,
        });
        if !duplicate {
            self.bases.push(base);
        }
    }

    /// The base URIs in search order.
    #[must_use]
    pub fn bases(&self) -> &[BaseUri] {
        &self.bases
    }

    /// Whether remote base URIs may be fetched from (a fetcher, not offline).
    #[must_use]
    pub fn allow_remote(&self) -> bool {
        self.http.as_ref().is_some_and(|h| !h.options().offline)
    }

    /// The fetcher for remote bases, if any (its stats and warnings).
    #[must_use]
    pub fn http(&self) -> Option<&HttpFetcher> {
        self.http.as_ref()
    }

    /// The remote bases, in search order.
    pub fn remote_bases(&self) -> impl Iterator<Item = &HttpBase> {
        self.bases.iter().filter_map(|b| match b {
            BaseUri::Remote(base) => Some(base),
            BaseUri::Local(_) => None,
        })
    }

    /// The parsed files of the local bases (each read once; see
    /// [`DocumentCache`]): share it with whatever else reads those files.
    #[must_use]
    pub fn documents(&self) -> &Arc<DocumentCache> {
        &self.documents
    }

    /// A schema file named directly (`--schema FILE`, or a repository check's
    /// own file), as [`SchemaDocument::from_file`] loads it, except that a
    /// file whose real path is inside a local base's repository is read
    /// through that repository's [`Fence`] and the shared [`DocumentCache`]
    /// (so a file the run has already parsed is not parsed again).
    ///
    /// # Errors
    /// As [`SchemaDocument::from_file`], and [`SchemaError::Refused`] for a
    /// file of a repository that its fence does not read.
    pub fn load_file(&self, path: &Path) -> Result<SchemaDocument, SchemaError> {
        let real = match self.local_bases().next() {
            Some(first) => first.fence.canonicalize(path),
            None => path.canonicalize(),
        };
        let Some(repo) = real.ok().and_then(|real| self.local_bases().find(|r| real.starts_with(&r.root))) else {
            return SchemaDocument::from_file(path);
        };
        let value = self.documents.load(&repo.fence, path)?;
        let id = value.get("$id").and_then(Value::as_str).and_then(|id| SchemaUri::parse(id).ok());
        let uri = match id {
            Some(id) => id.document(),
            None => file_uri(path)?,
        };
        Ok(SchemaDocument { uri, value, origin: Origin::Given { path: path.to_owned() } })
    }

    /// Things the caller may want to warn about (configured base URIs not used).
    #[must_use]
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    fn local_bases(&self) -> impl Iterator<Item = &SchemaRepository> {
        self.bases.iter().filter_map(|b| match b {
            BaseUri::Local(repo) => Some(repo),
            BaseUri::Remote(_) => None,
        })
    }

    /// Loads the document a schema URI names (its fragment is ignored; see
    /// [`SchemaDocument::select`]).
    ///
    /// - A path (`/analytics/legacy/test/1.2.0`; one without the leading `/`
    ///   is taken as relative to each base, as EventGate's concatenation does)
    ///   is looked up under each base in order: first the local files and the
    ///   cached documents that need no request, then the remote bases.
    /// - An http(s) URL under a remote base URI (or a public Wikimedia base)
    ///   is looked up, by the rest of its path, in the local repositories
    ///   first; then fetched when under a remote base.
    /// - A `file:` URL is read only when it lies inside a repository folder.
    ///
    /// # Errors
    /// [`SchemaError::NotFound`], [`SchemaError::RemoteNotAllowed`],
    /// [`SchemaError::Offline`] (each names the URI and where it looked),
    /// [`SchemaError::Remote`] (unreachable, a server error, too large, …),
    /// [`SchemaError::OutsideBases`] (an absolute URL outside every base),
    /// [`SchemaError::Document`] for a malformed file (with its line),
    /// [`SchemaError::OutsideRepository`], [`SchemaError::OutsideRepositories`],
    /// [`SchemaError::UnsupportedScheme`].
    pub fn resolve(&self, uri: &SchemaUri) -> Result<Arc<SchemaDocument>, SchemaError> {
        let document_uri = uri.document();
        if let Some(hit) = self.cache.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(&document_uri) {
            return Ok(Arc::clone(hit));
        }
        let document = Arc::new(self.load(&document_uri)?);
        self.cache
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(document_uri)
            .or_insert_with(|| Arc::clone(&document));
        Ok(document)
    }

    /// Puts `value` in the cache as the document at `uri` (its document
    /// part), replacing what was cached: `epc materialize` does this for
    /// each version it materializes, so that titles `$ref`ing that version
    /// resolve the new document before (or without, with `--dry-run`) it is
    /// written to `path`.
    pub fn preload(&self, uri: &SchemaUri, value: Arc<Value>, path: PathBuf) {
        let document = uri.document();
        let doc = Arc::new(SchemaDocument { uri: document.clone(), value, origin: Origin::Given { path } });
        self.cache.write().unwrap_or_else(std::sync::PoisonError::into_inner).insert(document, doc);
    }

    fn load(&self, uri: &SchemaUri) -> Result<SchemaDocument, SchemaError> {
        match uri.scheme().as_deref() {
            None => self.load_path(uri),
            Some("http" | "https") => self.load_url(uri),
            Some("file") => {
                let path = url::Url::parse(uri.as_str())
                    .ok()
                    .and_then(|u| u.to_file_path().ok())
                    .and_then(|p| p.canonicalize().ok())
                    .ok_or_else(|| SchemaError::NotFound {
                        uri: uri.to_string(),
                        searched: Vec::new(),
                        urls: Vec::new(),
                    })?;
                let repo = self
                    .local_bases()
                    .find(|r| path.starts_with(&r.root))
                    .ok_or_else(|| SchemaError::OutsideRepositories { uri: uri.to_string() })?;
                let located = Located { path: path.clone(), real_path: path };
                read_document(&self.documents, uri, repo, located)
            }
            Some(_) => Err(SchemaError::UnsupportedScheme { uri: uri.to_string() }),
        }
    }

    fn find_local(&self, uri: &SchemaUri, path: &str) -> Result<Option<SchemaDocument>, SchemaError> {
        for repo in self.local_bases() {
            if let Some(located) = repo.locate(path)? {
                return read_document(&self.documents, uri, repo, located).map(Some);
            }
        }
        Ok(None)
    }

    /// An absolute http(s) URL: a local file when it lies under a base (or a
    /// public Wikimedia base) and a local repository has its path; else
    /// fetched when under a remote base; else refused.
    fn load_url(&self, uri: &SchemaUri) -> Result<SchemaDocument, SchemaError> {
        let url = url::Url::parse(uri.as_str()).map_err(|_| SchemaUriError::Malformed(uri.to_string()))?;
        for base in self.remote_bases().chain(remote::default_bases()) {
            if let Some(rest) = base.relative(&url)
                && let Some(found) = self.find_local(uri, &rest)?
            {
                return Ok(found);
            }
        }
        let Some(base) = self.remote_bases().find(|b| b.contains(&url)) else {
            return Err(SchemaError::OutsideBases {
                uri: uri.to_string(),
                bases: self.remote_bases().map(ToString::to_string).collect(),
            });
        };
        let Some(http) = &self.http else {
            return Err(SchemaError::RemoteNotAllowed {
                uri: uri.to_string(),
                urls: vec![url.to_string()],
                searched: self.searched(),
            });
        };
        match http.fetch(base, &url) {
            Ok(fetched) => Ok(remote_document(uri, &fetched)),
            Err(RemoteError::NotFound { url, .. }) => {
                Err(SchemaError::NotFound { uri: uri.to_string(), searched: self.searched(), urls: vec![url] })
            }
            Err(RemoteError::NotCached { base, url, cache_dir }) => Err(SchemaError::Offline {
                uri: uri.to_string(),
                urls: vec![url],
                bases: vec![base],
                searched: self.searched(),
                cache_dir,
            }),
            Err(e) => Err(e.into()),
        }
    }

    fn load_path(&self, uri: &SchemaUri) -> Result<SchemaDocument, SchemaError> {
        let path = uri.path();
        // First what needs no request: local files, and cached documents that
        // are immutable (or offline, every cached one), in base order.
        for base in &self.bases {
            match base {
                BaseUri::Local(repo) => {
                    if let Some(located) = repo.locate(path)? {
                        return read_document(&self.documents, uri, repo, located);
                    }
                }
                BaseUri::Remote(remote) => {
                    if let Some(http) = &self.http
                        && let Some(url) = remote.join(path)
                        && let Some(fetched) = http.cached(&url)
                    {
                        return Ok(remote_document(uri, &fetched));
                    }
                }
            }
        }
        let remotes: Vec<(&HttpBase, url::Url)> =
            self.remote_bases().filter_map(|b| b.join(path).map(|url| (b, url))).collect();
        let searched = self.searched();
        if remotes.is_empty() {
            return Err(SchemaError::NotFound { uri: uri.to_string(), searched, urls: Vec::new() });
        }
        let Some(http) = &self.http else {
            let urls = remotes.iter().map(|(_, u)| u.to_string()).collect();
            return Err(SchemaError::RemoteNotAllowed { uri: uri.to_string(), urls, searched });
        };
        let (mut not_found, mut offline) = (Vec::new(), None);
        for (base, url) in &remotes {
            match http.fetch(base, url) {
                Ok(fetched) => return Ok(remote_document(uri, &fetched)),
                Err(RemoteError::NotFound { url, .. }) => not_found.push(url),
                Err(RemoteError::NotCached { cache_dir, .. }) => offline = Some(cache_dir),
                Err(e) => return Err(e.into()),
            }
        }
        match offline {
            Some(cache_dir) => Err(SchemaError::Offline {
                uri: uri.to_string(),
                urls: remotes.iter().map(|(_, u)| u.to_string()).collect(),
                bases: remotes.iter().map(|(b, _)| b.to_string()).collect(),
                searched,
                cache_dir,
            }),
            None => Err(SchemaError::NotFound { uri: uri.to_string(), searched, urls: not_found }),
        }
    }

    fn searched(&self) -> Vec<PathBuf> {
        self.local_bases().map(|r| r.base.clone()).collect()
    }

    /// Resolves a `$ref` written in the schema whose `$id` (or URI) is `base`:
    /// joins it per RFC 3986 ([`SchemaUri::join`]) and loads the target
    /// document. A reference into the base document itself (`#/definitions/x`)
    /// loads the base URI from the bases; a caller holding a document that
    /// came from elsewhere ([`SchemaDocument::from_file`]) should select
    /// within that document when `target.document() == base.document()`.
    ///
    /// # Errors
    /// [`SchemaError::UnresolvableRef`] naming the reference, the base and what
    /// it resolved to, with the cause; when the reference lacks the leading
    /// `/` and would resolve with it, the hint says so (case 12).
    pub fn resolve_ref(&self, base: &SchemaUri, reference: &str) -> Result<ResolvedRef, SchemaError> {
        let target = base.join(reference)?;
        match self.resolve(&target) {
            Ok(document) => Ok(ResolvedRef { target, document }),
            Err(source) => {
                let relative = scheme_of_ref(reference).is_none()
                    && !reference.starts_with('/')
                    && !reference.starts_with('#')
                    && !reference.is_empty();
                let hint = relative
                    .then(|| SchemaUri::parse(&format!("/{reference}")).ok())
                    .flatten()
                    .filter(|absolute| self.resolve(absolute).is_ok())
                    .map(|absolute| {
                        format!("did you mean `{absolute}`? Schema repositories write $ref paths with a leading `/`")
                    });
                Err(SchemaError::UnresolvableRef {
                    reference: reference.to_owned(),
                    base: base.to_string(),
                    resolved: target.to_string(),
                    hint,
                    source: Box::new(source),
                })
            }
        }
    }
}

/// Decodes `%XX` escapes; `None` for a malformed escape or non-UTF-8 result.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn scheme_of_ref(reference: &str) -> Option<String> {
    SchemaUri::parse(reference).ok().and_then(|u| u.scheme())
}

/// A base from a base URI: http(s) stays remote; a `file:` URL or a path is a
/// local base folder (relative paths against `root` when given).
fn base_from_uri(uri: &str, root: Option<&Path>) -> Result<BaseUri, SchemaError> {
    let parsed = SchemaUri::parse(uri)?;
    match parsed.scheme().as_deref() {
        Some("http" | "https") => HttpBase::parse(uri)
            .map(BaseUri::Remote)
            .map_err(|reason| SchemaError::BadBaseUri { uri: uri.to_owned(), reason }),
        Some("file") => {
            let path = url::Url::parse(uri)
                .ok()
                .and_then(|u| u.to_file_path().ok())
                .ok_or_else(|| SchemaError::UnsupportedScheme { uri: uri.to_owned() })?;
            SchemaRepository::open_base(path).map(BaseUri::Local)
        }
        Some(_) => Err(SchemaError::UnsupportedScheme { uri: uri.to_owned() }),
        None => {
            let path = match root {
                Some(root) => root.join(uri),
                None => PathBuf::from(uri),
            };
            SchemaRepository::open_base(path).map(BaseUri::Local)
        }
    }
}

fn remote_document(uri: &SchemaUri, fetched: &remote::Fetched) -> SchemaDocument {
    SchemaDocument {
        uri: uri.clone(),
        value: Arc::new(fetched.value.clone()),
        origin: Origin::Remote { url: fetched.url.clone() },
    }
}

fn read_document(
    documents: &DocumentCache,
    uri: &SchemaUri,
    repo: &SchemaRepository,
    located: Located,
) -> Result<SchemaDocument, SchemaError> {
    let value = documents.load(&repo.fence, &located.real_path)?;
    Ok(SchemaDocument { uri: uri.clone(), value, origin: Origin::File { repository: repo.root.clone(), located } })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::os::unix::fs::symlink;

    /// A temporary folder with the given files (parents created).
    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let full = dir.path().join(path);
            fs::create_dir_all(full.parent().unwrap()).unwrap();
            fs::write(full, text).unwrap();
        }
        dir
    }

    fn uri(s: &str) -> SchemaUri {
        SchemaUri::parse(s).unwrap()
    }

    fn resolver(repos: &[&Path], base_uris: &[&str], allow_remote: bool) -> SchemaResolver {
        let repos = repos.iter().map(|p| SchemaRepository::open(p).unwrap()).collect();
        let base_uris: Vec<String> = base_uris.iter().map(|s| (*s).to_owned()).collect();
        SchemaResolver::new(repos, &base_uris, allow_remote).unwrap()
    }

    #[test]
    fn every_name_of_a_file_shares_one_parse_and_the_fence_still_applies() {
        let outside = folder(&[("jsonschema/t/9.0.0.yaml", "title: t\n$id: /t/9.0.0\n")]);
        let dir = folder(&[
            ("jsonschema/t/1.0.0.yaml", "title: t\n$id: /t/1.0.0\n"),
            ("jsonschema/t/latest.yaml", "1.0.0.yaml"),
        ]);
        let base = dir.path().join("jsonschema/t");
        symlink("1.0.0.yaml", base.join("1.0.0")).unwrap();
        symlink("1.0.0", base.join("latest")).unwrap();
        symlink(outside.path().join("jsonschema/t/9.0.0.yaml"), base.join("9.0.0.yaml")).unwrap();
        let r = resolver(&[dir.path()], &[], false);
        let docs: Vec<_> = ["/t/1.0.0", "/t/latest", "/t/latest.yaml", "/t/1.0.0.yaml"]
            .iter()
            .map(|u| r.resolve(&uri(u)).unwrap())
            .collect();
        assert!(docs.iter().all(|d| Arc::ptr_eq(&d.value, &docs[0].value)));
        let fence = Fence::new(dir.path()).unwrap();
        let direct = r.documents().load(&fence, &base.join("1.0.0.yaml")).unwrap();
        assert!(Arc::ptr_eq(&direct, &docs[0].value));
        let given = r.load_file(&base.join("latest")).unwrap();
        assert!(Arc::ptr_eq(&given.value, &docs[0].value));
        assert_eq!(given.uri.as_str(), "/t/1.0.0");
        assert_eq!(r.documents().stats(), CacheStats { parsed: 1, hits: 5 });
        // Cached under the outside repository's fence, still refused through this one.
        let other = Fence::new(outside.path()).unwrap();
        r.documents().load(&other, &outside.path().join("jsonschema/t/9.0.0.yaml")).unwrap();
        let err = r.documents().load(&fence, &base.join("9.0.0.yaml")).unwrap_err();
        assert!(matches!(err, SchemaError::Refused { refusal: Refusal::Outside { .. }, .. }), "{err}");
        assert!(
            r.load_file(&base.join("9.0.0.yaml")).is_ok(),
            "a file named directly outside every base is read as given"
        );
        assert_eq!(r.documents().stats().parsed, 2);
    }

    #[test]
    fn resolver_is_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<SchemaResolver>();
        assert_send_sync::<SchemaDocument>();
    }

    #[test]
    fn config_shapes() {
        assert_eq!(RepoConfig::from_value(&Value::Null).unwrap(), RepoConfig::default());
        let c = RepoConfig::from_value(&json!({
            "schemaBasePath": "./schemas/", "schemaBaseUris": "./schemas/, https://x/", "contentTypes": ["json"],
            "logLevel": "info"
        }))
        .unwrap();
        assert_eq!(c.schema_base_path, "./schemas/");
        assert_eq!(c.schema_base_uris, ["./schemas/", "https://x/"]);
        assert_eq!(c.content_types, ["json"]);
        assert!(RepoConfig::from_value(&json!([])).is_err());
        assert_eq!(
            RepoConfig::from_value(&json!({"schemaBasePath": 1})).unwrap_err(),
            "`schemaBasePath` must be a string"
        );
        assert!(RepoConfig::from_value(&json!({"contentTypes": [1]})).is_err());
    }

    #[test]
    fn open_finds_the_schema_base() {
        let with_config = folder(&[(CONFIG_FILE, "schemaBasePath: ./schemas/\n"), ("schemas/a/1.0.0.yaml", "{}")]);
        let repo = SchemaRepository::open(with_config.path()).unwrap();
        assert!(repo.has_config_file() && repo.base().ends_with("schemas"));
        let conventional = folder(&[("jsonschema/a/1.0.0.yaml", "{}")]);
        let repo = SchemaRepository::open(conventional.path()).unwrap();
        assert!(!repo.has_config_file() && repo.base().ends_with("jsonschema"));
        // The jsonschema/ folder itself, as `--schemas repo/jsonschema` in case 12.
        let repo = SchemaRepository::open(conventional.path().join("jsonschema")).unwrap();
        assert_eq!(repo.base(), repo.root());
        assert!(repo.locate("/a/1.0.0").unwrap().is_some());

        let err = SchemaRepository::open(conventional.path().join("missing")).unwrap_err();
        assert!(matches!(err, SchemaError::Io { .. }) && err.to_string().contains("missing"), "{err}");
        let err = SchemaRepository::open(conventional.path().join("jsonschema/a/1.0.0.yaml")).unwrap_err();
        assert!(matches!(err, SchemaError::NotADirectory { .. }), "{err}");
        let escaping = folder(&[(CONFIG_FILE, "schemaBasePath: ../\n")]);
        let err = SchemaRepository::open(escaping.path()).unwrap_err();
        assert!(err.to_string().contains("not a folder inside the repository"), "{err}");
        let dup = folder(&[(CONFIG_FILE, "contentTypes: [yaml]\ncontentTypes: [json]\n")]);
        let err = SchemaRepository::open(dup.path()).unwrap_err();
        assert!(
            matches!(err, SchemaError::Document(_)) && err.to_string().contains(".jsonschema-tools.yaml:2:"),
            "{err}"
        );
    }

    #[test]
    fn locate_appends_yaml_then_json_then_tries_the_path() {
        let dir = folder(&[
            ("jsonschema/a/b/1.0.0.yaml", "title: yaml"),
            ("jsonschema/a/b/1.0.0.json", "{\"title\": \"json\"}"),
            ("jsonschema/c/1.0.0.json", "{}"),
            ("jsonschema/d/1.0.0", "{}"),
            ("jsonschema/e/current.yaml", "{}"),
            ("jsonschema/f/2.0.0.yaml/x", "{}"),
        ]);
        let repo = SchemaRepository::open(dir.path()).unwrap();
        let found = |p: &str| repo.locate(p).unwrap().map(|l| l.path.strip_prefix(repo.base()).unwrap().to_owned());
        assert_eq!(found("/a/b/1.0.0").unwrap(), Path::new("a/b/1.0.0.yaml"));
        assert_eq!(found("/a/b/1.0.0.json").unwrap(), Path::new("a/b/1.0.0.json"));
        assert_eq!(found("/c/1.0.0").unwrap(), Path::new("c/1.0.0.json"));
        assert_eq!(found("/d/1.0.0").unwrap(), Path::new("d/1.0.0"));
        assert_eq!(found("/e/current").unwrap(), Path::new("e/current.yaml"));
        assert_eq!(found("/e/current.yaml").unwrap(), Path::new("e/current.yaml"));
        // An explicit extension is not extended; directories are not schemas.
        assert_eq!(found("/e/current.yaml.yaml"), None);
        assert_eq!(found("/f/2.0.0"), None);
        assert_eq!(found("/a/b"), None);
        assert_eq!(found("/"), None);
        assert_eq!(candidates("x/1.0.0"), ["x/1.0.0.yaml", "x/1.0.0.json", "x/1.0.0"]);
        assert_eq!(candidates("x/latest"), ["x/latest.yaml", "x/latest.json", "x/latest"]);
        assert_eq!(candidates("x/.hidden"), ["x/.hidden.yaml", "x/.hidden.json", "x/.hidden"]);
        assert_eq!(candidates("x/a.yml"), ["x/a.yml"]);
    }

    #[test]
    fn symlinks_and_symlink_stubs_are_followed_inside_the_repository() {
        let outside = folder(&[("secret.yaml", "secret: 1")]);
        let dir = folder(&[
            ("jsonschema/t/2.0.0.yaml", "title: t\n$id: /t/2.0.0\n"),
            ("jsonschema/t/latest.yaml", "2.0.0.yaml"),
            ("jsonschema/t/chain", "latest.yaml"),
            ("jsonschema/t/dangling", "3.0.0.yaml"),
            ("jsonschema/t/escape", "../../escape.yaml"),
            ("escape.yaml", "e: 1"),
        ]);
        let base = dir.path().join("jsonschema/t");
        symlink("2.0.0.yaml", base.join("2.0.0")).unwrap();
        symlink("2.0.0", base.join("latest")).unwrap();
        symlink(outside.path().join("secret.yaml"), base.join("9.9.9.yaml")).unwrap();
        symlink("missing.yaml", base.join("8.8.8")).unwrap();
        let repo = SchemaRepository::open(dir.path()).unwrap();
        let real = |p: &str| repo.locate(p).unwrap().unwrap().real_path;
        let target = base.join("2.0.0.yaml").canonicalize().unwrap();
        for p in ["/t/2.0.0", "/t/latest", "/t/latest.yaml", "/t/chain"] {
            assert_eq!(real(p), target, "{p}");
        }
        // A stub naming nothing is an ordinary (one-word YAML) file.
        assert_eq!(real("/t/dangling"), base.join("dangling").canonicalize().unwrap());
        // A stub leading out of the schema base but inside the repository is followed.
        assert_eq!(real("/t/escape"), dir.path().join("escape.yaml").canonicalize().unwrap());
        // A dangling real symlink is not found.
        assert_eq!(repo.locate("/t/8.8.8").unwrap(), None);
        // Out of the repository folder: through a symlink or `..`, never read.
        let err = repo.locate("/t/9.9.9").unwrap_err();
        assert!(matches!(err, SchemaError::OutsideRepository { .. }), "{err}");
        assert!(err.to_string().contains("outside the schema repository"), "{err}");
        let up = "/".to_owned() + &"../".repeat(12) + "etc/hostname";
        assert!(matches!(repo.locate(&up), Err(SchemaError::OutsideRepository { .. }) | Ok(None)));
        let escape_repo = SchemaRepository::open(dir.path().join("jsonschema")).unwrap();
        let err = escape_repo.locate("/t/escape").unwrap_err();
        assert!(matches!(err, SchemaError::OutsideRepository { .. }), "{err}");
    }

    #[test]
    fn resolver_searches_in_order_and_caches() {
        let first = folder(&[("jsonschema/t/1.0.0.yaml", "title: first")]);
        let second = folder(&[("jsonschema/t/1.0.0.yaml", "title: second"), ("jsonschema/u/1.0.0.yaml", "title: u")]);
        let r = resolver(&[first.path(), second.path()], &[], false);
        let t = r.resolve(&uri("/t/1.0.0#/title")).unwrap();
        assert_eq!(t.value["title"], "first");
        assert_eq!(t.uri.as_str(), "/t/1.0.0");
        assert_eq!(t.select(Some("/title")), Some(&json!("first")));
        assert_eq!(t.select(Some("")), Some(&*t.value));
        assert_eq!(t.select(Some("/nope")), None);
        assert_eq!(t.select(Some("/%74itle")), Some(&json!("first")));
        assert_eq!(t.select(Some("/%7")), None);
        assert_eq!(t.select(Some("anchor")), None);
        assert!(Arc::ptr_eq(&t, &r.resolve(&uri("/t/1.0.0")).unwrap()));
        assert_eq!(r.resolve(&uri("/u/1.0.0")).unwrap().value["title"], "u");
        assert_eq!(r.resolve(&uri("u/1.0.0")).unwrap().value["title"], "u");
        match r.resolve(&uri("/v/1.0.0")).unwrap_err() {
            SchemaError::NotFound { uri, searched, .. } => {
                assert_eq!(uri, "/v/1.0.0");
                assert_eq!(searched.len(), 2);
            }
            other => panic!("{other}"),
        }
        // Failures are not cached.
        fs::create_dir_all(second.path().join("jsonschema/v")).unwrap();
        fs::write(second.path().join("jsonschema/v/1.0.0.yaml"), "title: v").unwrap();
        assert_eq!(r.resolve(&uri("/v/1.0.0")).unwrap().value["title"], "v");
        // Malformed files are errors naming the file and line, not "not found".
        fs::write(second.path().join("jsonschema/v/2.0.0.yaml"), "a: 1\na: 2\n").unwrap();
        let err = r.resolve(&uri("/v/2.0.0")).unwrap_err();
        assert!(err.to_string().contains("v/2.0.0.yaml:2:1: duplicate key `a`"), "{err}");
    }

    #[test]
    fn remote_bases_without_a_fetcher_are_recorded_not_fetched() {
        let local = folder(&[("jsonschema/t/1.0.0.yaml", "title: t")]);
        let r = resolver(&[local.path()], &["https://example.org/schemas/"], false);
        assert!(matches!(&r.bases()[1], BaseUri::Remote(u) if u.as_str() == "https://example.org/schemas/"));
        match r.resolve(&uri("/x/1.0.0")).unwrap_err() {
            err @ SchemaError::RemoteNotAllowed { .. } => {
                let text = err.to_string();
                assert!(text.starts_with("/x/1.0.0: not found in the local schema repositories"), "{text}");
                assert!(
                    text.contains("(https://example.org/schemas/x/1.0.0)") && text.contains("--schema-repo"),
                    "{text}"
                );
            }
            other => panic!("{other}"),
        }
        // An absolute URL under a remote base is read from the local copy when there is one.
        let t = r.resolve(&uri("https://example.org/schemas/t/1.0.0")).unwrap();
        assert_eq!(t.value["title"], "t");
        let err = r.resolve(&uri("https://example.org/schemas/x/1.0.0")).unwrap_err();
        assert!(
            matches!(err, SchemaError::RemoteNotAllowed { ref urls, .. } if urls == &["https://example.org/schemas/x/1.0.0"])
        );
        // Outside every base: refused, whether remote fetching is on or off.
        let allowed = resolver(&[local.path()], &["https://example.org/schemas"], true);
        for r in [&r, &allowed] {
            let err = r.resolve(&uri("https://elsewhere.org/t/1.0.0")).unwrap_err();
            assert!(matches!(err, SchemaError::OutsideBases { .. }), "{err:?}");
            assert_eq!(
                err.to_string(),
                "https://elsewhere.org/t/1.0.0: not under any schema base URI (https://example.org/schemas/); \
                 not fetched: only URLs under a configured base are"
            );
            let err = r.resolve(&uri("https://example.org/schemas-evil/t/1.0.0")).unwrap_err();
            assert!(matches!(err, SchemaError::OutsideBases { .. }), "{err:?}");
        }
        assert!(matches!(r.resolve(&uri("ftp://x/t/1.0.0")), Err(SchemaError::UnsupportedScheme { .. })));
        // file: URLs only inside a repository folder.
        let inside = url::Url::from_file_path(local.path().join("jsonschema/t/1.0.0.yaml").canonicalize().unwrap());
        assert_eq!(r.resolve(&uri(inside.unwrap().as_str())).unwrap().value["title"], "t");
        let other = folder(&[("x.yaml", "x: 1")]);
        let outside = url::Url::from_file_path(other.path().join("x.yaml").canonicalize().unwrap()).unwrap();
        assert!(matches!(r.resolve(&uri(outside.as_str())), Err(SchemaError::OutsideRepositories { .. })));
    }

    fn mkfifo(path: &Path) {
        let status = std::process::Command::new("mkfifo").arg(path).status().unwrap();
        assert!(status.success(), "mkfifo {}", path.display());
    }

    /// Runs `f` on another thread and fails the test when it takes more than 20 s
    /// (a read that blocks on a FIFO).
    fn bounded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(f()));
        rx.recv_timeout(std::time::Duration::from_secs(20)).expect("finished within 20 s")
    }

    #[test]
    fn the_fence_reads_only_regular_files_inside_the_repository() {
        let outside = folder(&[("secret.yaml", "secret: 1")]);
        let dir = folder(&[("jsonschema/t/1.0.0.yaml", "title: t\n")]);
        let base = dir.path().join("jsonschema/t");
        symlink("1.0.0.yaml", base.join("latest")).unwrap();
        symlink(outside.path().join("secret.yaml"), base.join("2.0.0.yaml")).unwrap();
        symlink("/dev/zero", base.join("zero")).unwrap();
        symlink("loop", base.join("loop")).unwrap();
        symlink("missing.yaml", base.join("dangling")).unwrap();
        mkfifo(&base.join("fifo"));
        fs::File::create(base.join("big")).unwrap().set_len(MAX_FILE_LEN + 1).unwrap();
        let fence = Fence::new(dir.path()).unwrap();
        assert_eq!(fence.read_to_string(&base.join("latest")).unwrap(), "title: t\n");
        assert_eq!(
            fence.check(&base.join("latest"), MAX_FILE_LEN).unwrap(),
            base.join("1.0.0.yaml").canonicalize().unwrap()
        );
        let refusal = |name: &str| {
            let (fence, path) = (fence.clone(), base.join(name));
            match bounded(move || fence.read_to_string(&path)) {
                Err(SchemaError::Refused { refusal, .. }) => refusal,
                other => panic!("{name}: {other:?}"),
            }
        };
        let secret = outside.path().join("secret.yaml").canonicalize().unwrap();
        assert_eq!(refusal("2.0.0.yaml"), Refusal::Outside { real: secret.clone(), through_symlink: true });
        assert_eq!(refusal("zero"), Refusal::Outside { real: "/dev/zero".into(), through_symlink: true });
        assert_eq!(refusal("fifo"), Refusal::NotRegular { kind: "a FIFO" });
        assert_eq!(refusal("loop"), Refusal::Loop);
        assert_eq!(refusal("big"), Refusal::TooLarge { limit: MAX_FILE_LEN });
        assert_eq!(refusal("."), Refusal::NotRegular { kind: "a directory" });
        assert!(matches!(fence.read_to_string(&base.join("dangling")), Err(SchemaError::Io { .. })));
        assert!(matches!(
            fence.read_limited(&base.join("1.0.0.yaml"), 4),
            Err(SchemaError::Refused { refusal: Refusal::TooLarge { limit: 4 }, .. })
        ));
        // One-line messages naming the path and why.
        let err = fence.read_to_string(&base.join("2.0.0.yaml")).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "{}: symlink to {}, outside the repository; not read",
                base.join("2.0.0.yaml").display(),
                secret.display()
            )
        );
        assert_eq!(Refusal::TooLarge { limit: MAX_FILE_LEN }.to_string(), "larger than 16 MiB");
        assert_eq!(Refusal::TooLarge { limit: 255 }.to_string(), "larger than 255 bytes");
        assert_eq!(Refusal::NotRegular { kind: "a FIFO" }.to_string(), "a FIFO, not a regular file");
    }

    #[test]
    fn the_resolver_reads_through_the_fence() {
        let outside = folder(&[("config.yaml", "schemaBasePath: ./jsonschema/\n")]);
        let dir = folder(&[("jsonschema/t/1.0.0.yaml", "title: t\n")]);
        let base = dir.path().join("jsonschema/t");
        mkfifo(&base.join("fifo.yaml"));
        fs::File::create(base.join("2.0.0.yaml")).unwrap().set_len(MAX_FILE_LEN + 1).unwrap();
        let r = resolver(&[dir.path()], &[], false);
        // A FIFO is not a candidate; through a `file:` URL it is refused, never opened.
        assert!(matches!(r.resolve(&uri("/t/fifo")), Err(SchemaError::NotFound { .. })));
        let fifo = url::Url::from_file_path(base.join("fifo.yaml").canonicalize().unwrap()).unwrap();
        let err = bounded(move || r.resolve(&uri(fifo.as_str())).map(|_| ()));
        assert!(matches!(err, Err(SchemaError::Refused { refusal: Refusal::NotRegular { .. }, .. })), "{err:?}");
        let r = resolver(&[dir.path()], &[], false);
        let err = r.resolve(&uri("/t/2.0.0")).unwrap_err();
        assert!(err.to_string().ends_with("2.0.0.yaml: larger than 16 MiB; not read"), "{err}");
        // A config leading outside the repository is refused, not read nor ignored.
        symlink(outside.path().join("config.yaml"), dir.path().join(CONFIG_FILE)).unwrap();
        let err = SchemaRepository::open(dir.path()).unwrap_err();
        assert!(matches!(err, SchemaError::Refused { refusal: Refusal::Outside { .. }, .. }), "{err}");
        // A dangling one is no config.
        fs::remove_file(dir.path().join(CONFIG_FILE)).unwrap();
        symlink("missing.yaml", dir.path().join(CONFIG_FILE)).unwrap();
        assert!(!SchemaRepository::open(dir.path()).unwrap().has_config_file());
    }

    #[test]
    fn configured_base_uris_follow_the_given_ones() {
        let dir = folder(&[
            (
                "repo/.jsonschema-tools.yaml",
                "schemaBaseUris: [./jsonschema/, ../elsewhere/, ./missing/, https://p.org/js/]\n",
            ),
            ("repo/jsonschema/t/1.0.0.yaml", "title: t"),
            ("elsewhere/u/1.0.0.yaml", "title: u"),
            ("extra/w/1.0.0.yaml", "title: w"),
        ]);
        let extra = dir.path().join("extra").display().to_string();
        let r = resolver(&[&dir.path().join("repo")], &[&extra, "https://given.org/"], false);
        let bases: Vec<String> = r
            .bases()
            .iter()
            .map(|b| match b {
                BaseUri::Local(repo) => repo.base().file_name().unwrap().to_string_lossy().into_owned(),
                BaseUri::Remote(u) => u.to_string(),
            })
            .collect();
        assert_eq!(bases, ["jsonschema", "extra", "https://given.org/", "https://p.org/js/"]);
        assert_eq!(r.notes().len(), 2, "{:?}", r.notes());
        assert!(r.notes()[0].contains("`../elsewhere/` is outside the repository"), "{:?}", r.notes());
        assert_eq!(r.resolve(&uri("/w/1.0.0")).unwrap().value["title"], "w");
        assert!(
            matches!(r.resolve(&uri("/u/1.0.0")), Err(SchemaError::RemoteNotAllowed { ref urls, .. }) if urls.len() == 2)
        );
    }
}

/// Case 12 (`../shared/cases/12-ref-resolution-base`): path-absolute refs
/// resolve under the schema base, relative refs against `$id`.
#[cfg(test)]
mod case_12 {
    use super::*;
    use crate::schema::shared;
    use serde_json::json;

    const CASE: &str = "cases/12-ref-resolution-base";

    fn uri(s: &str) -> SchemaUri {
        SchemaUri::parse(s).unwrap()
    }

    fn case_resolver(repo: &Path) -> SchemaResolver {
        SchemaResolver::new(vec![SchemaRepository::open(repo).unwrap()], &[], false).unwrap()
    }

    #[test]
    fn event_schemas_resolve_to_materialized_files() {
        let Some(dir) = shared(CASE) else { return };
        let r = case_resolver(&dir.join("repo"));
        for event in ["ok-ref_ok.json", "bad-ref_ok-meta-missing-stream.json", "bad-ref_ok-dt-format.json"] {
            let event = yaml::load_file(&dir.join("events").join(event)).unwrap();
            let doc = r.resolve(&uri(event["$schema"].as_str().unwrap())).unwrap();
            assert!(doc.origin.path().ends_with("jsonschema/analytics/ref_ok/1.0.0.yaml"));
            assert_eq!(doc.id(), Some("/analytics/ref_ok/1.0.0"));
        }
        // ref_bad has no materialized version (materialize fails on it).
        let event = yaml::load_file(&dir.join("events/any-ref_bad.json")).unwrap();
        let err = r.resolve(&uri(event["$schema"].as_str().unwrap())).unwrap_err();
        assert!(matches!(err, SchemaError::NotFound { ref uri, .. } if uri == "/analytics/ref_bad/1.0.0"), "{err}");
    }

    /// The case in both forms: as shipped (the extensionless `1.0.0` a
    /// symlink stub) and copied with real symlinks, as a git checkout has it.
    fn case_forms() -> Vec<(&'static str, PathBuf, Option<tempfile::TempDir>)> {
        let dir = shared(CASE).expect("shared() panics when absent");
        let linked = crate::schema::with_real_symlinks(&dir);
        let stub = linked.path().join("repo/jsonschema/fragment/common/1.0.0");
        assert!(fs::symlink_metadata(&stub).unwrap().file_type().is_symlink(), "{}", stub.display());
        vec![("stubs", dir, None), ("symlinks", linked.path().to_owned(), Some(linked))]
    }

    #[test]
    fn path_absolute_refs_resolve_under_the_schema_base() {
        for (form, dir, _keep) in case_forms() {
            path_absolute_refs_resolve_in(form, &dir);
        }
    }

    fn path_absolute_refs_resolve_in(form: &str, dir: &Path) {
        let r = case_resolver(&dir.join("repo"));
        let current = r.resolve(&uri("/analytics/ref_ok/current")).unwrap();
        assert!(current.origin.path().ends_with("analytics/ref_ok/current.yaml"));
        let id = uri(current.id().unwrap());
        let meta_ref = current.value["properties"]["meta"]["$ref"].as_str().unwrap();
        assert_eq!(meta_ref, "/fragment/common/1.0.0#/properties/meta");
        let meta = r.resolve_ref(&id, meta_ref).unwrap();
        assert!(meta.document.origin.path().ends_with("jsonschema/fragment/common/1.0.0.yaml"));
        assert!(meta.document.origin.path().starts_with(dir.canonicalize().unwrap()));
        let selected = meta.document.select(meta.target.fragment()).unwrap();
        assert_eq!(selected["required"], json!(["stream"]));
        let dt = r.resolve_ref(&id, current.value["properties"]["dt"]["$ref"].as_str().unwrap()).unwrap();
        assert_eq!(dt.document.select(dt.target.fragment()).unwrap()["format"], json!("date-time"));
        // The extensionless `1.0.0` (a real symlink, or a stub file holding the name) names the same file.
        let stub = dir.join("repo/jsonschema/fragment/common/1.0.0");
        let followed = if fs::symlink_metadata(&stub).unwrap().file_type().is_symlink() {
            stub.canonicalize().unwrap()
        } else {
            stub_target(&Fence::new(dir).unwrap(), &stub).unwrap().unwrap()
        };
        assert_eq!(followed, stub.with_extension("0.yaml").canonicalize().unwrap(), "{form}");
        let repo = SchemaRepository::open(dir.join("repo")).unwrap();
        let located = repo.locate("/fragment/common/1.0.0").unwrap().unwrap();
        assert_eq!(located.real_path, followed, "{form}");
        // Never against the file-system root: with no repository nothing is found, and a
        // file that exists at the host root is not found through the repository.
        let none = SchemaResolver::new(Vec::new(), &[], false).unwrap();
        let err = none.resolve(&uri("/fragment/common/1.0.0")).unwrap_err();
        assert!(err.to_string().contains("no local schema repository given"), "{err}");
        assert!(matches!(r.resolve(&uri("/etc/hostname")), Err(SchemaError::NotFound { .. })));
    }

    #[test]
    fn refs_resolve_whether_the_file_is_extensionless_yaml_or_json() {
        let Some(dir) = shared(CASE) else { return };
        let fragment = fs::read_to_string(dir.join("repo/jsonschema/fragment/common/1.0.0.yaml")).unwrap();
        let as_json = serde_json::to_string(&yaml::parse_yaml_str(&fragment, "fragment").unwrap()).unwrap();
        for (name, text) in [("1.0.0", &fragment), ("1.0.0.yaml", &fragment), ("1.0.0.json", &as_json)] {
            let tmp = tempfile::tempdir().unwrap();
            let path = tmp.path().join("jsonschema/fragment/common").join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, text).unwrap();
            let r = case_resolver(tmp.path());
            let meta =
                r.resolve_ref(&uri("/analytics/ref_ok/1.0.0"), "/fragment/common/1.0.0#/properties/meta").unwrap();
            assert!(meta.document.origin.path().ends_with(name), "{name}");
            assert_eq!(meta.document.select(meta.target.fragment()).unwrap()["required"], json!(["stream"]), "{name}");
        }
    }

    #[test]
    fn a_schema_file_given_directly_resolves_its_refs_through_the_repository() {
        let Some(dir) = shared(CASE) else { return };
        let r = case_resolver(&dir.join("repo/jsonschema"));
        let given = SchemaDocument::from_file(&dir.join("repo/jsonschema/analytics/ref_ok/current.yaml")).unwrap();
        assert_eq!(given.uri.as_str(), "/analytics/ref_ok/1.0.0");
        assert!(matches!(given.origin, Origin::Given { .. }));
        let reference = given.value["properties"]["meta"]["$ref"].as_str().unwrap();
        assert!(r.resolve_ref(&given.uri, reference).is_ok());
        let bad = SchemaDocument::from_file(&dir.join("repo/jsonschema/analytics/ref_bad/current.yaml")).unwrap();
        let reference = bad.value["properties"]["meta"]["$ref"].as_str().unwrap();
        assert!(matches!(r.resolve_ref(&bad.uri, reference), Err(SchemaError::UnresolvableRef { hint: Some(_), .. })));
        // Without `$id`, the file's URL is the base.
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("s.yaml"), "type: object\n").unwrap();
        let anonymous = SchemaDocument::from_file(&tmp.path().join("s.yaml")).unwrap();
        assert_eq!(anonymous.uri.scheme().as_deref(), Some("file"));
        let err = SchemaDocument::from_file(&tmp.path().join("missing.yaml")).unwrap_err();
        assert!(err.to_string().contains("missing.yaml: cannot read"), "{err}");
    }

    #[test]
    fn a_relative_ref_resolves_against_the_id_and_the_error_says_so() {
        let Some(dir) = shared(CASE) else { return };
        let r = case_resolver(&dir.join("repo"));
        let current = r.resolve(&uri("/analytics/ref_bad/current.yaml")).unwrap();
        let id = uri(current.id().unwrap());
        let reference = current.value["properties"]["meta"]["$ref"].as_str().unwrap();
        let err = r.resolve_ref(&id, reference).unwrap_err();
        match &err {
            SchemaError::UnresolvableRef { reference, resolved, hint, source, .. } => {
                assert_eq!(reference, "fragment/common/1.0.0#/properties/meta");
                assert_eq!(resolved, "/analytics/ref_bad/fragment/common/1.0.0#/properties/meta");
                assert!(hint.as_deref().unwrap().contains("`/fragment/common/1.0.0#/properties/meta`"), "{hint:?}");
                assert!(matches!(**source, SchemaError::NotFound { .. }), "{source}");
            }
            other => panic!("{other}"),
        }
        let text = err.to_string();
        assert!(text.starts_with("$ref `fragment/common/1.0.0#/properties/meta` in /analytics/ref_bad/1.0.0 resolves to /analytics/ref_bad/fragment/common/1.0.0#/properties/meta, which cannot be loaded (did you mean"), "{text}");
        assert!(text.contains("leading `/`"), "{text}");
    }
}

/// The real schema repositories in `../shared/data/schemas` (primary and
/// secondary; secondary's `/fragment/...` refs need primary).
#[cfg(test)]
#[allow(clippy::print_stderr)]
mod real_data {
    use super::*;
    use crate::schema::{VersionRef, shared};

    fn repos() -> Option<(SchemaRepository, SchemaRepository)> {
        let primary = shared("data/schemas/primary")?;
        let secondary = shared("data/schemas/secondary")?;
        Some((SchemaRepository::open(primary).unwrap(), SchemaRepository::open(secondary).unwrap()))
    }

    fn uri(s: &str) -> SchemaUri {
        SchemaUri::parse(s).unwrap()
    }

    /// `latest` and event URIs resolve alike in both forms: `../shared/data/schemas`
    /// (symlink stubs) and `schemas-symlinked.tar.gz` unpacked (real symlinks).
    #[test]
    fn event_schema_uris_and_latest_resolve() {
        let Some(stubs) = repos() else { return };
        let linked = crate::schema::symlinked_schemas();
        let real = (
            SchemaRepository::open(linked.join("primary")).unwrap(),
            SchemaRepository::open(linked.join("secondary")).unwrap(),
        );
        assert!(fs::symlink_metadata(real.0.base().join("test/event/latest")).unwrap().file_type().is_symlink());
        for (primary, secondary) in [stubs, real] {
            latest_resolves_in(&primary, &secondary);
        }
    }

    fn latest_resolves_in(primary: &SchemaRepository, secondary: &SchemaRepository) {
        assert_eq!(primary.config().content_types, ["yaml"]);
        assert_eq!(
            secondary.config().schema_base_uris[1],
            "https://schema.wikimedia.org/repositories/primary/jsonschema/"
        );
        let r = SchemaResolver::new(vec![primary.clone(), secondary.clone()], &[], false).unwrap();
        let test = r.resolve(&uri("/analytics/legacy/test/1.2.0")).unwrap();
        assert_eq!(test.id(), Some("/analytics/legacy/test/1.2.0"));
        assert_eq!(test.value["title"], "analytics/legacy/test");
        assert!(test.origin.path().starts_with(secondary.root()));
        let event = r.resolve(&uri("/test/event/1.0.0")).unwrap();
        assert!(event.origin.path().starts_with(primary.root()));
        // An absolute URL under primary's public base is read from the local checkout.
        let remote =
            r.resolve(&uri("https://schema.wikimedia.org/repositories/primary/jsonschema/test/event/1.0.0")).unwrap();
        assert_eq!(remote.origin.path(), event.origin.path());

        // `latest` (and `latest.yaml`) of every title is its highest materialized version.
        let mut titles = 0;
        for repo in [&primary, &secondary] {
            let files = repo.versioned_files().unwrap();
            let mut highest: HashMap<&SchemaTitle, &VersionedFile> = HashMap::new();
            for f in &files {
                highest.insert(&f.title, f); // sorted by version
            }
            for (title, file) in highest {
                for last in ["latest", "latest.yaml"] {
                    let doc = r.resolve(&uri(&format!("/{title}/{last}"))).unwrap();
                    assert_eq!(doc.origin.path(), file.path.canonicalize().unwrap(), "/{title}/{last}");
                }
                titles += 1;
            }
        }
        eprintln!("real data: `latest` resolves to the highest version for {titles} titles");
        assert!(titles >= 200, "{titles}");
    }

    #[test]
    fn every_versioned_schema_loads_and_its_id_resolves_back_to_it() {
        let Some((primary, secondary)) = repos() else { return };
        let r = SchemaResolver::new(vec![primary.clone(), secondary.clone()], &[], false).unwrap();
        let (mut counts, mut elsewhere) = (Vec::new(), Vec::new());
        for repo in [&primary, &secondary] {
            let files = repo.versioned_files().unwrap();
            for f in &files {
                let value = yaml::load_file(&f.path).unwrap_or_else(|e| panic!("{e}"));
                let id = value["$id"].as_str().unwrap_or_else(|| panic!("{}: no $id", f.path.display()));
                assert_eq!(value["title"].as_str(), Some(f.title.as_str()), "{}", f.path.display());
                let (title, version) = uri(id).title_and_version().unwrap();
                assert_eq!(version, VersionRef::Exact(f.version), "{}", f.path.display());
                if title != f.title {
                    // The `$id` names another directory (jsonschema-tools' S15 only checks that
                    // the path *contains* the `$id`), so it cannot lead back here.
                    assert!(r.resolve(&uri(id)).is_err(), "{id}");
                    elsewhere.push(format!("{}/{} has $id {id}", f.title, f.version));
                    continue;
                }
                let doc = r.resolve(&uri(id)).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(doc.origin.path(), f.path.canonicalize().unwrap(), "{id}");
                assert_eq!(*doc.value, value);
            }
            counts.push(files.len());
        }
        eprintln!(
            "real data: {} primary and {} secondary versioned schemas load; each $id resolves back to its file, except: {elsewhere:?}",
            counts[0], counts[1]
        );
        assert_eq!(counts, [83, 427]);
        assert_eq!(elsewhere, ["development/webrequest/1.0.0 has $id /webrequest/1.0.0"]);
    }

    /// Every `$ref` in every `current.yaml`, resolved against the file's `$id`
    /// with primary and secondary given, loads and its JSON pointer selects
    /// something. Without primary, secondary's fragment refs are errors
    /// naming the remote URL and suggesting a local checkout.
    #[test]
    fn current_refs_resolve_across_repositories() {
        let Some((primary, secondary)) = repos() else { return };
        let both = SchemaResolver::new(vec![secondary.clone(), primary.clone()], &[], false).unwrap();
        let (mut external, mut internal) = (0, 0);
        let mut files = 0;
        for repo in [&primary, &secondary] {
            for path in current_files(repo) {
                let value = yaml::load_file(&path).unwrap();
                let id = uri(value["$id"].as_str().unwrap());
                let mut refs = Vec::new();
                collect_refs(&value, &mut refs);
                for reference in refs {
                    if reference.starts_with('#') || reference.starts_with("./#") {
                        internal += 1;
                        continue;
                    }
                    let resolved =
                        both.resolve_ref(&id, reference).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    assert!(resolved.document.select(resolved.target.fragment()).is_some(), "{reference}");
                    external += 1;
                }
                files += 1;
            }
        }
        assert_eq!(files, 53 + 149);
        eprintln!(
            "real data: {external} $refs in {files} current.yaml files resolve across primary+secondary ({internal} internal skipped)"
        );
        assert!(external > 100, "{external}");

        let alone = SchemaResolver::new(vec![secondary], &[], false).unwrap();
        let err = alone.resolve_ref(&uri("/fragment/analytics/common/2.0.0"), "/fragment/common/1.0.0#").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("https://schema.wikimedia.org/repositories/primary/jsonschema/fragment/common/1.0.0"),
            "{text}"
        );
        assert!(text.contains("--schema-repo"), "{text}");
    }

    /// Plain scalars that YAML 1.1 loaders read differently: none in the
    /// materialized files (js-yaml's dump quotes them); the hand-written
    /// `current.yaml` files are listed (counts printed).
    #[test]
    fn ambiguous_scalars_in_schema_files() {
        let Some((primary, secondary)) = repos() else { return };
        let (mut versioned, mut current, mut in_current) = (0, 0, Vec::new());
        for repo in [&primary, &secondary] {
            for f in repo.versioned_files().unwrap() {
                let text = fs::read_to_string(&f.path).unwrap();
                assert_eq!(yaml::ambiguous_scalars(&text, "").unwrap(), [], "{}", f.path.display());
                versioned += 1;
            }
            for path in current_files(repo) {
                let text = fs::read_to_string(&path).unwrap();
                for a in yaml::ambiguous_scalars(&text, "").unwrap() {
                    let file = path.strip_prefix(repo.base()).unwrap().display().to_string();
                    in_current.push(format!("{file}{} `{}` {:?}", a.pointer, a.text, a.ambiguity));
                }
                current += 1;
            }
        }
        eprintln!(
            "real data: no ambiguous plain scalars in {versioned} versioned files; {} in {current} current.yaml files, such as {:?}",
            in_current.len(),
            &in_current[..in_current.len().min(3)]
        );
    }

    fn current_files(repo: &SchemaRepository) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut stack = vec![repo.base().to_owned()];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.file_name().is_some_and(|n| n == "current.yaml") {
                    found.push(path);
                }
            }
        }
        found.sort();
        found
    }

    fn collect_refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("$ref", Value::String(s)) => out.push(s),
                        _ => collect_refs(v, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
            _ => {}
        }
    }
}
