//! Remote schema repositories: schema documents fetched over HTTP from base
//! URIs such as `https://schema.wikimedia.org/repositories/primary/jsonschema/`,
//! fenced, bounded and cached on disk.
//!
//! Rules (decisions.md, "Schemas over HTTP"; issue 11):
//! - **Fence.** Only URLs under a configured base are fetched: same scheme,
//!   host and port, and a path under the base's path ([`HttpBase::contains`]).
//!   A redirect is followed only when it leads under the same base, at most
//!   [`MAX_REDIRECTS`] times; anything else is [`RemoteError::RedirectOutside`]
//!   and the new location is never requested.
//! - **One URL per base**: the base followed by the URI's path, as EventGate
//!   and jsonschema-tools fetch it (schema-repos.md §3.1, §5.1); nothing is
//!   appended, since schema.wikimedia.org serves the extensionless version
//!   paths (`…/test/event/1.0.0`) and `latest`.
//! - **Limits.** A whole-request timeout, at most [`MAX_DOCUMENT_BYTES`] per
//!   document (read incrementally), epc's User-Agent ([`crate::net::USER_AGENT`]),
//!   and the strict YAML/JSON loader ([`yaml::parse_str`]: YAML 1.2, duplicate
//!   keys refused) on what comes back; the document must be a mapping.
//! - **Cache** ([`DocumentCache`]): one file per URL under
//!   `<cache dir>/schemas/`. A versioned URL (last segment `X.Y.Z`, with or
//!   without `.yaml`/`.json`) is immutable: once cached it is never requested
//!   again. Any other (`latest`, `current`) is revalidated once per run with
//!   `If-None-Match`/`If-Modified-Since`; a `304` keeps the cached copy.
//!   Offline, only the cache is read ([`RemoteError::NotCached`] otherwise).
//! - **At most one request per URL per run** ([`HttpFetcher`] remembers every
//!   answer, a `404` included, for up to [`MAX_REMEMBERED_URLS`] URLs; threads
//!   asking for the same URL wait for the first), and a base that could not be reached (connect error, timeout, an
//!   answer that broke off) is not asked again in the run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use url::Url;

use super::SchemaVersion;
use super::repository::MAX_FILE_LEN;
use super::yaml;
use crate::net;

/// The public Wikimedia schema repositories (primary, then secondary), used
/// when no local repository and no base URI is given, as production EventGate
/// resolves `$schema` (schema-repos.md §5.1).
pub const DEFAULT_BASE_URIS: [&str; 2] = [
    "https://schema.wikimedia.org/repositories/primary/jsonschema/",
    "https://schema.wikimedia.org/repositories/secondary/jsonschema/",
];

/// The most bytes read of one remote schema document: 16 MiB, as for a local
/// file ([`MAX_FILE_LEN`]; real schema files are under 30 KB).
pub const MAX_DOCUMENT_BYTES: u64 = MAX_FILE_LEN;

/// The default whole-request timeout: 30 s, as for stream config.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The most redirects followed for one document (each within its base).
pub const MAX_REDIRECTS: usize = 5;

/// The most URLs an [`HttpFetcher`] remembers answers for: past it (a
/// long-running `epc serve` fed ever new `$schema` values), a URL is fetched
/// without being remembered, so memory stays bounded.
pub const MAX_REMEMBERED_URLS: usize = 10_000;

/// The folder under the cache directory that holds fetched schema documents.
pub const CACHE_SUBDIR: &str = "schemas";

/// How remote base URIs are used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpOptions {
    /// Whole-request timeout (connecting, sending, reading the answer).
    pub timeout: Duration,
    /// Read only the cache: no request is ever made.
    pub offline: bool,
    /// The cache directory (`EPC_CACHE_DIR`); documents go in its
    /// [`CACHE_SUBDIR`]. `None`: no disk cache (each run fetches again).
    pub cache_dir: Option<PathBuf>,
    /// The most bytes read of one document.
    pub max_bytes: u64,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self { timeout: DEFAULT_TIMEOUT, offline: false, cache_dir: None, max_bytes: MAX_DOCUMENT_BYTES }
    }
}

/// An http(s) base URI: documents under it may be fetched. Kept with a
/// trailing `/` so that `…/primary/jsonschema` does not contain
/// `…/primary/jsonschema-evil/…`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HttpBase {
    url: Url,
}

impl HttpBase {
    /// Parses a base URI: an absolute `http:` or `https:` URL with a host and
    /// without credentials, query or fragment.
    ///
    /// # Errors
    /// The reason, for a message naming the base.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut url = Url::parse(text).map_err(|e| format!("not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("not an http(s) URL".to_owned());
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("no host".to_owned());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("credentials in a base URI are not supported".to_owned());
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err("a base URI has no query or fragment".to_owned());
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(Self { url })
    }

    /// The base as a URL string, ending in `/`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// Whether `url` is under this base: same scheme, host and port (default
    /// ports filled in), no credentials, and a path that starts with the
    /// base's path.
    #[must_use]
    pub fn contains(&self, url: &Url) -> bool {
        url.scheme() == self.url.scheme()
            && url.host_str() == self.url.host_str()
            && url.port_or_known_default() == self.url.port_or_known_default()
            && url.username().is_empty()
            && url.password().is_none()
            && url.path().starts_with(self.url.path())
    }

    /// The URL of a URI path (`/fragment/common/1.0.0`) under this base;
    /// `None` when it would lead outside (`/../../x`).
    #[must_use]
    pub fn join(&self, path: &str) -> Option<Url> {
        let url = self.url.join(path.trim_start_matches('/')).ok()?;
        self.contains(&url).then_some(url)
    }

    /// The part of `url`'s path under this base, with a leading `/`
    /// (`/test/event/1.0.0`); `None` when `url` is not under it.
    #[must_use]
    pub fn relative(&self, url: &Url) -> Option<String> {
        if !self.contains(url) {
            return None;
        }
        let rest = &url.path()[self.url.path().len()..];
        Some(format!("/{rest}"))
    }
}

impl std::fmt::Display for HttpBase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The parsed [`DEFAULT_BASE_URIS`].
#[must_use]
pub fn default_bases() -> &'static [HttpBase] {
    static BASES: OnceLock<Vec<HttpBase>> = OnceLock::new();
    BASES.get_or_init(|| DEFAULT_BASE_URIS.iter().filter_map(|u| HttpBase::parse(u).ok()).collect())
}

/// Whether a URL names an immutable document: its last path segment, without
/// `.yaml` or `.json`, is a version `X.Y.Z` (schema-repos.md §1.2: a
/// materialized version never changes once created).
#[must_use]
pub fn is_immutable(url: &Url) -> bool {
    let last = url.path().rsplit('/').next().unwrap_or("");
    let stem = last.strip_suffix(".yaml").or_else(|| last.strip_suffix(".json")).unwrap_or(last);
    stem.parse::<SchemaVersion>().is_ok()
}

/// Why a remote document could not be had. Each names the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    /// The base answered 404 or 410: it does not have the document.
    #[error("{url}: not found (HTTP {status})")]
    NotFound {
        /// The URL requested.
        url: String,
        /// 404 or 410.
        status: u16,
    },
    /// The base could not be reached: connect error, timeout, TLS, an answer
    /// that broke off; also every later request to that base in the run.
    #[error("cannot fetch {url}: {message}")]
    Unreachable {
        /// The base.
        base: String,
        /// The URL requested.
        url: String,
        /// What failed.
        message: String,
    },
    /// Another non-success answer.
    #[error("{url} answered HTTP {status}{}", if body.is_empty() { String::new() } else { format!(": {body}") })]
    Status {
        /// The base.
        base: String,
        /// The URL requested.
        url: String,
        /// The status code.
        status: u16,
        /// The start of the body, on one line.
        body: String,
    },
    /// The document is larger than the limit; nothing past it was read.
    #[error("{url} answered with more than {limit} bytes, the most epc reads of one schema document")]
    TooLarge {
        /// The URL requested.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// A redirect to a URL outside the base.
    #[error("{url} redirects to {location}, outside the schema base {base}; not followed")]
    RedirectOutside {
        /// The URL that answered with the redirect.
        url: String,
        /// Where it pointed.
        location: String,
        /// The base the document was requested under.
        base: String,
    },
    /// More than [`MAX_REDIRECTS`] redirects, or a redirect without a usable `Location`.
    #[error("{url}: {reason}; not followed")]
    BadRedirect {
        /// The URL requested.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// Offline (or a dry run), and the document is not in the cache.
    #[error(
        "{url}: not in the schema cache{}, and no request is made offline",
        cache_dir.as_ref().map(|d| format!(" ({})", d.display())).unwrap_or_default()
    )]
    NotCached {
        /// The base.
        base: String,
        /// The URL that would have been fetched.
        url: String,
        /// The cache folder read, if any.
        cache_dir: Option<PathBuf>,
    },
    /// The answer is not UTF-8 text.
    #[error("{url}: the answer is not UTF-8 text")]
    NotText {
        /// The URL requested.
        url: String,
    },
    /// The answer is not well-formed YAML or JSON (the loader's message, with
    /// the URL and line).
    #[error("{0}")]
    Document(String),
    /// The answer parses, but is not a mapping (an HTML page, a list).
    #[error("{url}: not a schema document ({found}, not a mapping)")]
    NotASchema {
        /// The URL requested.
        url: String,
        /// What it is (`a string`, `an array`).
        found: &'static str,
    },
}

impl RemoteError {
    /// The base concerned, when the error says that the base as a whole
    /// cannot serve documents now (unreachable, a server error, not cached
    /// offline): what `epc validate --repo` reports once, up front.
    #[must_use]
    pub fn unavailable_base(&self) -> Option<&str> {
        match self {
            Self::Unreachable { base, .. } | Self::NotCached { base, .. } => Some(base),
            Self::Status { base, status, .. } if *status >= 500 || *status == 429 => Some(base),
            _ => None,
        }
    }
}

/// How a fetched document was had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchOrigin {
    /// A `200` answer.
    Network,
    /// The disk cache, without a request (immutable, or offline).
    Cache,
    /// The disk cache, after a `304 Not Modified`.
    Revalidated,
}

/// A fetched and parsed document.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The URL requested (the cache key).
    pub url: String,
    /// The parsed document (a mapping).
    pub value: Value,
    /// Network, cache or revalidated cache.
    pub origin: FetchOrigin,
}

/// One cached document: what [`DocumentCache`] stores per URL.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CachedDocument {
    /// The URL it was fetched from (checked on read: the file name is a hash).
    pub url: String,
    /// When it was fetched or last revalidated, in seconds since the Unix epoch.
    pub fetched_at: u64,
    /// The `ETag` answered, for `If-None-Match`.
    pub etag: Option<String>,
    /// The `Last-Modified` answered, for `If-Modified-Since`.
    pub last_modified: Option<String>,
    /// The document text as answered.
    pub body: String,
}

/// Schema documents on disk, keyed by URL: `<cache dir>/schemas/<16 hex
/// digits of the URL's FNV-1a hash>.json`, each a JSON [`CachedDocument`].
/// Written to a temporary file and renamed, so a reader never sees half a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentCache {
    dir: PathBuf,
}

impl DocumentCache {
    /// The cache under `cache_dir` (its [`CACHE_SUBDIR`]); nothing is created yet.
    #[must_use]
    pub fn new(cache_dir: &Path) -> Self {
        Self { dir: cache_dir.join(CACHE_SUBDIR) }
    }

    /// The folder documents are kept in.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file a URL's document is kept in.
    #[must_use]
    pub fn path_for(&self, url: &str) -> PathBuf {
        self.dir.join(format!("{:016x}.json", net::fnv1a(url)))
    }

    /// The cached document of `url`; `None` when there is none, it is
    /// unreadable or corrupt, larger than `max_bytes` allows, or belongs to
    /// another URL (a hash collision).
    #[must_use]
    pub fn get(&self, url: &str, max_bytes: u64) -> Option<CachedDocument> {
        let path = self.path_for(url);
        // JSON escaping at most sextuples a character (`\u0000`).
        let meta = std::fs::metadata(&path).ok()?;
        if !meta.is_file() || meta.len() > max_bytes.saturating_mul(6).saturating_add(4096) {
            return None;
        }
        let doc: CachedDocument = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
        (doc.url == url && doc.body.len() as u64 <= max_bytes).then_some(doc)
    }

    /// Stores a document.
    ///
    /// # Errors
    /// A one-line reason naming the cache folder.
    pub fn put(&self, doc: &CachedDocument) -> Result<(), String> {
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(&self.dir)?;
            let path = self.path_for(&doc.url);
            let tmp = path.with_extension(format!("tmp{}-{:?}", std::process::id(), std::thread::current().id()));
            std::fs::write(&tmp, serde_json::to_vec(doc).map_err(std::io::Error::other)?)?;
            std::fs::rename(&tmp, &path)
        };
        write().map_err(|e| format!("cannot write the schema cache in {}: {e}", self.dir.display()))
    }
}

/// Counts of what an [`HttpFetcher`] did in a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchStats {
    /// HTTP requests sent (redirect hops and conditional requests included).
    pub requests: u64,
    /// Documents taken from the disk cache without a request.
    pub from_cache: u64,
    /// Documents revalidated with a `304`.
    pub revalidated: u64,
}

type Memo = Arc<OnceLock<Result<Arc<Fetched>, RemoteError>>>;

/// Fetches documents under [`HttpBase`]s per the rules in the module docs.
/// Shareable across threads; build one per run.
#[derive(Debug)]
pub struct HttpFetcher {
    options: HttpOptions,
    cache: Option<DocumentCache>,
    client: OnceLock<Result<reqwest::blocking::Client, String>>,
    memo: Mutex<HashMap<String, Memo>>,
    down: Mutex<HashMap<String, String>>,
    requests: AtomicU64,
    from_cache: AtomicU64,
    revalidated: AtomicU64,
    warnings: Mutex<Vec<String>>,
}

impl HttpFetcher {
    /// A fetcher with these options; no connection is made yet.
    #[must_use]
    pub fn new(options: HttpOptions) -> Self {
        let cache = options.cache_dir.as_deref().map(DocumentCache::new);
        Self {
            options,
            cache,
            client: OnceLock::new(),
            memo: Mutex::default(),
            down: Mutex::default(),
            requests: AtomicU64::new(0),
            from_cache: AtomicU64::new(0),
            revalidated: AtomicU64::new(0),
            warnings: Mutex::default(),
        }
    }

    /// The options in effect.
    #[must_use]
    pub fn options(&self) -> &HttpOptions {
        &self.options
    }

    /// The disk cache, if any.
    #[must_use]
    pub fn cache(&self) -> Option<&DocumentCache> {
        self.cache.as_ref()
    }

    /// What was done so far.
    #[must_use]
    pub fn stats(&self) -> FetchStats {
        FetchStats {
            requests: self.requests.load(Ordering::Relaxed),
            from_cache: self.from_cache.load(Ordering::Relaxed),
            revalidated: self.revalidated.load(Ordering::Relaxed),
        }
    }

    /// Problems writing the cache (the documents were still used), taken once.
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn cell(&self, url: &str) -> Memo {
        let mut memo = self.memo.lock().unwrap_or_else(PoisonError::into_inner);
        if memo.len() >= MAX_REMEMBERED_URLS && !memo.contains_key(url) {
            return Memo::default();
        }
        Arc::clone(memo.entry(url.to_owned()).or_default())
    }

    /// The document at `url` from the disk cache, without a request, when the
    /// cache may answer on its own: the URL is immutable, or the fetcher is
    /// offline. `None` otherwise, or when it is not cached.
    #[must_use]
    pub fn cached(&self, url: &Url) -> Option<Arc<Fetched>> {
        if !(is_immutable(url) || self.options.offline) {
            return None;
        }
        let cell = self.cell(url.as_str());
        if let Some(done) = cell.get() {
            return done.as_ref().ok().map(Arc::clone);
        }
        let entry = self.cache.as_ref()?.get(url.as_str(), self.options.max_bytes)?;
        let value = parse(url, &entry.body).ok()?;
        let fetched = Arc::new(Fetched { url: url.as_str().to_owned(), value, origin: FetchOrigin::Cache });
        self.from_cache.fetch_add(1, Ordering::Relaxed);
        cell.get_or_init(|| Ok(Arc::clone(&fetched))).as_ref().ok().map(Arc::clone)
    }

    /// The document at `url`, which must be under `base`: from the cache or
    /// the network per the module docs, at most one request per URL per run.
    ///
    /// # Errors
    /// [`RemoteError`] naming the URL; the same error for every later call
    /// with that URL in the run.
    pub fn fetch(&self, base: &HttpBase, url: &Url) -> Result<Arc<Fetched>, RemoteError> {
        if !base.contains(url) {
            return Err(RemoteError::BadRedirect {
                url: url.to_string(),
                reason: format!("not under the schema base {base}"),
            });
        }
        let cell = self.cell(url.as_str());
        cell.get_or_init(|| self.fetch_once(base, url).map(Arc::new)).clone()
    }

    fn client(&self) -> Result<&reqwest::blocking::Client, String> {
        self.client
            .get_or_init(|| net::client(self.options.timeout, net::Redirects::Manual))
            .as_ref()
            .map_err(Clone::clone)
    }

    fn fetch_once(&self, base: &HttpBase, url: &Url) -> Result<Fetched, RemoteError> {
        let key = url.as_str();
        let entry = self.cache.as_ref().and_then(|c| c.get(key, self.options.max_bytes));
        if let Some(e) = &entry
            && (is_immutable(url) || self.options.offline)
            && let Ok(value) = parse(url, &e.body)
        {
            self.from_cache.fetch_add(1, Ordering::Relaxed);
            return Ok(Fetched { url: key.to_owned(), value, origin: FetchOrigin::Cache });
        }
        if self.options.offline {
            return Err(RemoteError::NotCached {
                base: base.to_string(),
                url: key.to_owned(),
                cache_dir: self.cache.as_ref().map(|c| c.dir().to_owned()),
            });
        }
        let unreachable =
            |message: String| RemoteError::Unreachable { base: base.to_string(), url: key.to_owned(), message };
        if let Some(message) = self.down.lock().unwrap_or_else(PoisonError::into_inner).get(base.as_str()) {
            return Err(unreachable(format!("{message} (the base failed earlier in this run)")));
        }
        let client = self.client().map_err(&unreachable)?;
        let mark_down = |message: String| {
            self.down.lock().unwrap_or_else(PoisonError::into_inner).insert(base.to_string(), message.clone());
            unreachable(message)
        };
        let mut current = url.clone();
        for _ in 0..=MAX_REDIRECTS {
            let mut request = client.get(current.as_str());
            if let Some(e) = &entry {
                if let Some(etag) = &e.etag {
                    request = request.header(reqwest::header::IF_NONE_MATCH, etag);
                }
                if let Some(modified) = &e.last_modified {
                    request = request.header(reqwest::header::IF_MODIFIED_SINCE, modified);
                }
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            let response = request.send().map_err(|e| mark_down(net::describe_reqwest(&e)))?;
            let status = response.status();
            if status == reqwest::StatusCode::NOT_MODIFIED {
                let Some(mut e) = entry else {
                    return Err(RemoteError::Status {
                        base: base.to_string(),
                        url: key.to_owned(),
                        status: 304,
                        body: "Not Modified to an unconditional request".to_owned(),
                    });
                };
                let value = parse(url, &e.body)?;
                self.revalidated.fetch_add(1, Ordering::Relaxed);
                e.fetched_at = now();
                self.store(&e);
                return Ok(Fetched { url: key.to_owned(), value, origin: FetchOrigin::Revalidated });
            }
            if status.is_redirection() {
                let location = response.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok());
                let Some(next) = location.and_then(|l| current.join(l).ok()) else {
                    return Err(RemoteError::BadRedirect {
                        url: current.to_string(),
                        reason: format!("HTTP {} without a usable Location", status.as_u16()),
                    });
                };
                if !base.contains(&next) {
                    return Err(RemoteError::RedirectOutside {
                        url: current.to_string(),
                        location: next.to_string(),
                        base: base.to_string(),
                    });
                }
                current = next;
                continue;
            }
            if matches!(status.as_u16(), 404 | 410) {
                return Err(RemoteError::NotFound { url: key.to_owned(), status: status.as_u16() });
            }
            let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
            let (etag, last_modified) = (header(reqwest::header::ETAG), header(reqwest::header::LAST_MODIFIED));
            let success = status.is_success();
            let limit = if success { self.options.max_bytes } else { 4096 };
            let body = match net::read_body(response, limit) {
                Ok(body) => body,
                Err(net::BodyError::TooLarge { limit }) if success => {
                    return Err(RemoteError::TooLarge { url: key.to_owned(), limit });
                }
                Err(net::BodyError::TooLarge { .. }) => Vec::new(),
                Err(broken @ net::BodyError::Broken(_)) => return Err(mark_down(broken.to_string())),
            };
            if !success {
                return Err(RemoteError::Status {
                    base: base.to_string(),
                    url: key.to_owned(),
                    status: status.as_u16(),
                    body: net::snippet(&String::from_utf8_lossy(&body)),
                });
            }
            let text = String::from_utf8(body).map_err(|_| RemoteError::NotText { url: key.to_owned() })?;
            let value = parse(url, &text)?;
            self.store(&CachedDocument { url: key.to_owned(), fetched_at: now(), etag, last_modified, body: text });
            return Ok(Fetched { url: key.to_owned(), value, origin: FetchOrigin::Network });
        }
        Err(RemoteError::BadRedirect { url: key.to_owned(), reason: format!("more than {MAX_REDIRECTS} redirects") })
    }

    fn store(&self, doc: &CachedDocument) {
        if let Some(cache) = &self.cache
            && let Err(e) = cache.put(doc)
        {
            let mut warnings = self.warnings.lock().unwrap_or_else(PoisonError::into_inner);
            if !warnings.contains(&e) {
                warnings.push(e);
            }
        }
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Parses a fetched document with the strict loader: JSON for a `.json`
/// path, else YAML 1.2 (which also reads JSON); it must be a mapping.
fn parse(url: &Url, text: &str) -> Result<Value, RemoteError> {
    let format = yaml::Format::for_path(Path::new(url.path()));
    let value = yaml::parse_str(text, format, url.as_str()).map_err(|e| RemoteError::Document(e.to_string()))?;
    if !value.is_object() {
        let found = match value {
            Value::Null => "empty",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "a mapping",
        };
        return Err(RemoteError::NotASchema { url: url.as_str().to_owned(), found });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read as _, Write as _};
    use std::net::TcpListener;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn bases_fence_by_scheme_host_port_and_path() {
        let base = HttpBase::parse("https://schema.wikimedia.org/repositories/primary/jsonschema").unwrap();
        assert_eq!(base.as_str(), "https://schema.wikimedia.org/repositories/primary/jsonschema/");
        let inside = url("https://schema.wikimedia.org/repositories/primary/jsonschema/test/event/1.0.0");
        assert!(base.contains(&inside));
        assert!(base.contains(&url("https://SCHEMA.wikimedia.org:443/repositories/primary/jsonschema/x")));
        assert_eq!(base.relative(&inside).as_deref(), Some("/test/event/1.0.0"));
        for outside in [
            "http://schema.wikimedia.org/repositories/primary/jsonschema/x",
            "https://schema.wikimedia.org:8443/repositories/primary/jsonschema/x",
            "https://evil.org/repositories/primary/jsonschema/x",
            "https://schema.wikimedia.org/repositories/primary/jsonschema-evil/x",
            "https://schema.wikimedia.org/repositories/secondary/jsonschema/x",
            "https://user@schema.wikimedia.org/repositories/primary/jsonschema/x",
        ] {
            assert!(!base.contains(&url(outside)), "{outside}");
        }
        assert_eq!(base.join("/fragment/common/1.0.0").unwrap(), url(&format!("{base}fragment/common/1.0.0")));
        assert!(base.join("/../../../x").is_none());
        assert!(base.join("/%2e%2e/%2e%2e/x").is_none_or(|u| base.contains(&u)));
        for bad in ["ftp://x/y", "https://u:p@x/y", "https://x/y?q=1", "/local/path"] {
            assert!(HttpBase::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(default_bases().len(), 2);
    }

    #[test]
    fn versioned_urls_are_immutable_and_latest_is_not() {
        for u in ["http://x/a/b/1.0.0", "http://x/a/b/1.0.0.yaml", "http://x/a/b/10.2.33.json"] {
            assert!(is_immutable(&url(u)), "{u}");
        }
        for u in ["http://x/a/b/latest", "http://x/a/b/latest.yaml", "http://x/a/b/current.yaml", "http://x/a/1.0"] {
            assert!(!is_immutable(&url(u)), "{u}");
        }
    }

    /// A loopback server answering each request with `answer(path, request)`,
    /// counting requests; at most `count` connections.
    fn server(count: usize, answer: impl Fn(&str, &str) -> String + Send + 'static) -> (String, Arc<AtomicU64>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}/repo/jsonschema/", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicU64::new(0));
        let seen = Arc::clone(&hits);
        std::thread::spawn(move || {
            for stream in listener.incoming().take(count) {
                let Ok(mut stream) = stream else { return };
                let mut buf = [0u8; 8192];
                let n = stream.read(&mut buf).unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).into_owned();
                let path = request.split_whitespace().nth(1).unwrap_or("").to_owned();
                seen.fetch_add(1, Ordering::Relaxed);
                let _ = stream.write_all(answer(&path, &request).as_bytes());
            }
        });
        (base, hits)
    }

    fn ok(headers: &str, body: &str) -> String {
        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n{body}", body.len())
    }

    #[test]
    fn a_document_is_fetched_once_cached_and_revalidated_only_when_mutable() {
        let (base_url, hits) = server(100, |path, request| {
            assert!(request.contains(net::USER_AGENT), "{request}");
            if path.ends_with("/latest") && request.to_ascii_lowercase().contains("if-none-match: \"v1\"") {
                "HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n".to_owned()
            } else {
                ok("ETag: \"v1\"\r\n", "title: test/event\n$id: /test/event/1.0.0\n")
            }
        });
        let base = HttpBase::parse(&base_url).unwrap();
        let cache = tempfile::tempdir().unwrap();
        let options = HttpOptions { cache_dir: Some(cache.path().to_owned()), ..HttpOptions::default() };
        let versioned = base.join("/test/event/1.0.0").unwrap();
        let latest = base.join("/test/event/latest").unwrap();
        let first = HttpFetcher::new(options.clone());
        assert_eq!(first.fetch(&base, &versioned).unwrap().origin, FetchOrigin::Network);
        assert_eq!(first.fetch(&base, &versioned).unwrap().origin, FetchOrigin::Network, "remembered");
        assert_eq!(first.fetch(&base, &latest).unwrap().value["title"], "test/event");
        assert_eq!(first.stats().requests, 2);
        assert!(cache.path().join(CACHE_SUBDIR).is_dir());
        // A second run: the versioned document from the cache, `latest` revalidated (304).
        let second = HttpFetcher::new(options.clone());
        assert!(second.cached(&versioned).is_some());
        assert!(second.cached(&latest).is_none(), "latest must be revalidated");
        assert_eq!(second.fetch(&base, &latest).unwrap().origin, FetchOrigin::Revalidated);
        assert_eq!(second.stats(), FetchStats { requests: 1, from_cache: 1, revalidated: 1 });
        assert_eq!(hits.load(Ordering::Relaxed), 3);
        // Offline: the cache only, `latest` included; what is missing is named.
        let offline = HttpFetcher::new(HttpOptions { offline: true, ..options });
        assert!(offline.cached(&latest).is_some());
        let missing = base.join("/test/event/2.0.0").unwrap();
        let err = offline.fetch(&base, &missing).unwrap_err();
        assert!(matches!(err, RemoteError::NotCached { .. }), "{err:?}");
        assert!(err.to_string().starts_with(&format!("{missing}: not in the schema cache (")), "{err}");
        assert_eq!(err.unavailable_base(), Some(base.as_str()));
        assert_eq!(hits.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn redirects_are_followed_only_within_the_base() {
        let (base_url, hits) = server(10, |path, _| {
            if path.ends_with("/moved/1.0.0") {
                "HTTP/1.1 301 Moved\r\nLocation: ../kept/1.0.0\r\nContent-Length: 0\r\n\r\n".to_owned()
            } else if path.ends_with("/away/1.0.0") {
                "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/x/1.0.0\r\nContent-Length: 0\r\n\r\n".to_owned()
            } else if path.ends_with("/up/1.0.0") {
                "HTTP/1.1 302 Found\r\nLocation: /other/jsonschema/x/1.0.0\r\nContent-Length: 0\r\n\r\n".to_owned()
            } else {
                ok("", "title: kept\n")
            }
        });
        let base = HttpBase::parse(&base_url).unwrap();
        let f = HttpFetcher::new(HttpOptions::default());
        assert_eq!(f.fetch(&base, &base.join("/a/moved/1.0.0").unwrap()).unwrap().value["title"], "kept");
        for (path, location) in
            [("/a/away/1.0.0", "http://127.0.0.1:9/x/1.0.0"), ("/a/up/1.0.0", "/other/jsonschema/x")]
        {
            let err = f.fetch(&base, &base.join(path).unwrap()).unwrap_err();
            assert!(matches!(err, RemoteError::RedirectOutside { .. }), "{err:?}");
            let text = err.to_string();
            assert!(text.contains(location) && text.contains("outside the schema base"), "{text}");
        }
        assert_eq!(hits.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn limits_and_the_strict_loader_apply_to_answers() {
        let (base_url, _) = server(10, |path, _| {
            if path.ends_with("/big/1.0.0") {
                ok("", &"#".repeat(5000))
            } else if path.ends_with("/dup/1.0.0") {
                ok("", "a: 1\na: 2\n")
            } else if path.ends_with("/html/1.0.0") {
                ok("", "<html>")
            } else if path.ends_with("/gone/1.0.0") {
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_owned()
            } else {
                "HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy".to_owned()
            }
        });
        let base = HttpBase::parse(&base_url).unwrap();
        let f = HttpFetcher::new(HttpOptions { max_bytes: 1000, ..HttpOptions::default() });
        let get = |p: &str| f.fetch(&base, &base.join(p).unwrap()).unwrap_err();
        assert!(matches!(get("/big/1.0.0"), RemoteError::TooLarge { limit: 1000, .. }));
        let dup = get("/dup/1.0.0").to_string();
        assert!(dup.contains("duplicate key `a`") && dup.contains("/dup/1.0.0"), "{dup}");
        assert!(matches!(get("/html/1.0.0"), RemoteError::NotASchema { found: "a string", .. }));
        assert!(matches!(get("/gone/1.0.0"), RemoteError::NotFound { status: 404, .. }));
        let busy = get("/busy/1.0.0");
        assert!(matches!(busy, RemoteError::Status { status: 503, .. }) && busy.unavailable_base().is_some());
    }

    #[test]
    fn a_slow_base_times_out_and_is_not_asked_again() {
        let (base_url, hits) = server(10, |_, _| {
            std::thread::sleep(Duration::from_secs(3));
            ok("", "title: slow\n")
        });
        let base = HttpBase::parse(&base_url).unwrap();
        let f = HttpFetcher::new(HttpOptions { timeout: Duration::from_millis(300), ..HttpOptions::default() });
        let started = std::time::Instant::now();
        let err = f.fetch(&base, &base.join("/a/1.0.0").unwrap()).unwrap_err();
        assert!(err.to_string().ends_with("timed out"), "{err}");
        let again = f.fetch(&base, &base.join("/b/1.0.0").unwrap()).unwrap_err();
        assert!(again.to_string().contains("failed earlier in this run"), "{again}");
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert_eq!(hits.load(Ordering::Relaxed), 1);
    }
}
