//! Where stream config comes from: a file, standard input, or the MediaWiki
//! Action API (`action=streamconfigs`), with a cache of the last successful fetch.
//!
//! Remote fetches follow decisions.md ("Stream config"): the request is
//! `?action=streamconfigs&format=json&formatversion=2`, requested names go in
//! `streams=` at most [`MAX_STREAMS_PER_REQUEST`] per request (MediaWiki's
//! default multi-value limit; case 02), `constraints=` are passed through, an
//! API error body (`{"error": …}` with HTTP 200) is an error, and every request
//! carries a descriptive User-Agent as Wikimedia's User-Agent policy requires.
//! Each answer is read incrementally and at most [`MAX_STREAM_CONFIG_BYTES`]
//! of it: a longer one is [`SourceError::TooLarge`], so an endpoint that
//! streams forever costs bounded memory.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::constraint::Constraints;
use crate::net;
use crate::stream::{StreamConfigError, StreamConfigs};

/// The production MediaWiki Action API that serves stream config.
pub const DEFAULT_API_URL: &str = "https://meta.wikimedia.org/w/api.php";

/// MediaWiki's default limit on values of a multi-value parameter (`streams=`).
pub const MAX_STREAMS_PER_REQUEST: usize = 50;

/// The most bytes of one stream config answer read from the API: 64 MiB.
/// Production's full config (every stream, `formatversion=2`) is about 0.3 MB
/// (`../shared/data/streamconfigs/production-default.json`), so this leaves
/// room for two orders of magnitude of growth.
pub const MAX_STREAM_CONFIG_BYTES: u64 = 64 * 1024 * 1024;

/// The User-Agent sent with every request (see [`crate::net::USER_AGENT`]).
pub use crate::net::USER_AGENT;

/// A stream config source as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A JSON file (the API response shape or a bare map).
    File(PathBuf),
    /// Standard input (`-`).
    Stdin,
    /// A MediaWiki Action API endpoint (`https://…/w/api.php`).
    Api(String),
}

impl Source {
    /// `-` is stdin, `http://` and `https://` are API URLs, anything else a file.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        if text == "-" {
            Self::Stdin
        } else if text.starts_with("http://") || text.starts_with("https://") {
            Self::Api(text.to_owned())
        } else {
            Self::File(PathBuf::from(text))
        }
    }

    /// The name used in messages: the path, `-` or the URL.
    #[must_use]
    pub fn name(&self) -> String {
        match self {
            Self::File(p) => p.display().to_string(),
            Self::Stdin => "-".into(),
            Self::Api(u) => u.clone(),
        }
    }
}

/// Options for loading from the API.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Only these streams (`streams=`); empty for every stream.
    pub streams: Vec<String>,
    /// `constraints=` to pass through.
    pub constraints: Constraints,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Use the cache only, never the network.
    pub offline: bool,
    /// Where the cache lives; `None` disables it.
    pub cache_dir: Option<PathBuf>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            streams: Vec::new(),
            constraints: Constraints::default(),
            timeout: Duration::from_secs(30),
            offline: false,
            cache_dir: None,
        }
    }
}

/// Where loaded stream config came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// A file.
    File(PathBuf),
    /// Standard input.
    Stdin,
    /// The API, in this many requests.
    Api {
        /// The endpoint.
        url: String,
        /// Requests made (one per batch of at most 50 names).
        requests: usize,
    },
    /// The cache of an earlier fetch.
    Cache {
        /// The endpoint it was fetched from.
        url: String,
        /// How long ago.
        age: Duration,
    },
}

/// Stream config and where it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The stream config.
    pub configs: StreamConfigs,
    /// Its origin.
    pub origin: Origin,
    /// Problems saving the cache (the load itself succeeded).
    pub cache_warning: Option<String>,
}

/// Why stream config could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A file could not be read.
    #[error("cannot read stream config {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// Standard input could not be read.
    #[error("cannot read stream config from standard input: {0}")]
    Stdin(std::io::Error),
    /// The document is not stream config.
    #[error(transparent)]
    Parse(#[from] StreamConfigError),
    /// The request failed (connection, timeout, TLS).
    #[error("cannot fetch stream config from {url}: {message}")]
    Http {
        /// The endpoint.
        url: String,
        /// What failed.
        message: String,
    },
    /// A non-success HTTP status.
    #[error("{url} answered HTTP {status}: {body}")]
    Status {
        /// The endpoint.
        url: String,
        /// The status code.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The answer is longer than [`MAX_STREAM_CONFIG_BYTES`]; nothing past it was read.
    #[error(
        "{url} answered with more than {limit} bytes, the most epc reads of stream config (an endless or wrong endpoint?)"
    )]
    TooLarge {
        /// The endpoint.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// The API answered with an error object.
    #[error("{url} answered with API error `{code}`: {info}")]
    Api {
        /// The endpoint.
        url: String,
        /// The error code (`toomanyvalues`, …).
        code: String,
        /// The error text.
        info: String,
    },
    /// A cache file that cannot be read.
    #[error("the cached stream config {path} is unreadable ({message}); fetch again without --offline")]
    Cache {
        /// The cache file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// `--offline` with nothing cached.
    #[error("no cached stream config for {url}: fetch it once without --offline")]
    NoCache {
        /// The endpoint.
        url: String,
    },
}

/// Loads stream config from `source`; `stdin` is read for [`Source::Stdin`].
///
/// For [`Source::Api`], the names in `options.streams` are requested in
/// batches of at most [`MAX_STREAMS_PER_REQUEST`] and the results merged; with
/// no names, one request fetches every stream. A successful fetch is cached;
/// `options.offline` reads the cache instead (the exact request if cached,
/// else the cached full config).
///
/// # Errors
/// [`SourceError`] naming the file or URL.
pub fn load(source: &Source, options: &FetchOptions, stdin: &mut dyn Read) -> Result<Loaded, SourceError> {
    match source {
        Source::File(path) => {
            let file = std::fs::File::open(path).map_err(|error| SourceError::Read { path: path.clone(), error })?;
            let configs =
                StreamConfigs::from_json_reader(file, &path.display().to_string()).map_err(|e| read_error(e, path))?;
            Ok(Loaded { configs, origin: Origin::File(path.clone()), cache_warning: None })
        }
        Source::Stdin => {
            let configs = StreamConfigs::from_json_reader(stdin, "<stdin>").map_err(|e| match e {
                StreamConfigError::Json { error, .. } if error.is_io() => SourceError::Stdin(error.into()),
                other => other.into(),
            })?;
            Ok(Loaded { configs, origin: Origin::Stdin, cache_warning: None })
        }
        Source::Api(url) => {
            if options.offline {
                load_cached(url, options)
            } else {
                fetch(url, options)
            }
        }
    }
}

/// A read error met while parsing `path` (an I/O error, a directory) as the
/// [`SourceError::Read`] it is, not as malformed JSON.
fn read_error(e: StreamConfigError, path: &std::path::Path) -> SourceError {
    match e {
        StreamConfigError::Json { error, .. } if error.is_io() => {
            SourceError::Read { path: path.to_path_buf(), error: error.into() }
        }
        other => other.into(),
    }
}

/// The `streams=` batches for `names`: at most [`MAX_STREAMS_PER_REQUEST`] each, `|`-joined.
#[must_use]
pub fn batches(names: &[String]) -> Vec<String> {
    names.chunks(MAX_STREAMS_PER_REQUEST).map(|c| c.join("|")).collect()
}

fn fetch(url: &str, options: &FetchOptions) -> Result<Loaded, SourceError> {
    fetch_at_most(url, options, MAX_STREAM_CONFIG_BYTES)
}

/// Reads `response`'s body incrementally, at most `limit` bytes.
fn read_body(url: &str, response: reqwest::blocking::Response, limit: u64) -> Result<Vec<u8>, SourceError> {
    net::read_body(response, limit).map_err(|e| match e {
        net::BodyError::TooLarge { limit } => SourceError::TooLarge { url: url.to_owned(), limit },
        broken @ net::BodyError::Broken(_) => SourceError::Http { url: url.to_owned(), message: broken.to_string() },
    })
}

fn fetch_at_most(url: &str, options: &FetchOptions, limit: u64) -> Result<Loaded, SourceError> {
    let http = |message: String| SourceError::Http { url: url.to_owned(), message };
    let client = net::client(options.timeout, net::Redirects::Follow).map_err(http)?;
    let constraints = options.constraints.to_query_values().join("|");
    let batches =
        if options.streams.is_empty() { vec![None] } else { batches(&options.streams).into_iter().map(Some).collect() };
    let mut merged = Map::new();
    for batch in &batches {
        let mut query: Vec<(&str, &str)> =
            vec![("action", "streamconfigs"), ("format", "json"), ("formatversion", "2")];
        if let Some(names) = batch {
            query.push(("streams", names));
        }
        if !constraints.is_empty() {
            query.push(("constraints", &constraints));
        }
        let response = client.get(url).query(&query).send().map_err(|e| http(net::describe_reqwest(&e)))?;
        let status = response.status();
        let api_error_header =
            response.headers().get("MediaWiki-API-Error").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = read_body(url, response, limit)?;
        if !status.is_success() {
            let body = net::snippet(&String::from_utf8_lossy(&body));
            return Err(SourceError::Status { url: url.to_owned(), status: status.as_u16(), body });
        }
        let value: Value = serde_json::from_slice(&body)
            .map_err(|error| StreamConfigError::Json { source_name: url.to_owned(), error })?;
        if let Some(err) = value.get("error") {
            return Err(SourceError::Api {
                url: url.to_owned(),
                code: err.get("code").and_then(Value::as_str).unwrap_or("unknown").to_owned(),
                info: err.get("info").and_then(Value::as_str).unwrap_or("").to_owned(),
            });
        }
        if let Some(code) = api_error_header {
            return Err(SourceError::Api { url: url.to_owned(), code, info: "(MediaWiki-API-Error header)".into() });
        }
        let streams = match value.get("streams") {
            Some(Value::Object(m)) => m.clone(),
            Some(Value::Array(a)) if a.is_empty() => Map::new(),
            _ => {
                return Err(StreamConfigError::Shape {
                    source_name: url.to_owned(),
                    reason: "the API response has no `streams` object".into(),
                }
                .into());
            }
        };
        merged.extend(streams);
    }
    let document = Value::Object(merged);
    let configs = StreamConfigs::from_value(document.clone(), url)?;
    let cache_warning = options.cache_dir.as_deref().and_then(|dir| save_cache(dir, url, options, document).err());
    Ok(Loaded { configs, origin: Origin::Api { url: url.to_owned(), requests: batches.len() }, cache_warning })
}

/// The cache key of a request: endpoint, constraints and the sorted names (`*` for all).
fn cache_key(url: &str, constraints: &Constraints, streams: &[String]) -> String {
    let mut names = streams.to_vec();
    names.sort();
    names.dedup();
    let names = if names.is_empty() { "*".to_owned() } else { names.join("|") };
    format!("{url}\n{}\n{names}", constraints.to_query_values().join("|"))
}

fn cache_path(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("streamconfigs-{:016x}.json", net::fnv1a(key)))
}

fn save_cache(dir: &Path, url: &str, options: &FetchOptions, streams: Value) -> Result<(), String> {
    let key = cache_key(url, &options.constraints, &options.streams);
    let fetched_at = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let doc = serde_json::json!({"request": key, "fetched_at": fetched_at, "streams": streams});
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let path = cache_path(dir, &key);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, serde_json::to_vec(&doc).map_err(std::io::Error::other)?)?;
        std::fs::rename(&tmp, &path)
    };
    write().map_err(|e| format!("cannot write the stream config cache in {}: {e}", dir.display()))
}

/// The cache files that can answer a request, most specific first: the exact
/// request, every stream with the same constraints, every stream (constraints
/// are applied again by the caller).
fn cache_candidates(url: &str, options: &FetchOptions) -> Vec<(String, PathBuf)> {
    let Some(dir) = options.cache_dir.as_deref() else { return Vec::new() };
    let mut keys = vec![
        cache_key(url, &options.constraints, &options.streams),
        cache_key(url, &options.constraints, &[]),
        cache_key(url, &Constraints::default(), &[]),
    ];
    keys.dedup();
    keys.into_iter().map(|k| (cache_path(dir, &k), k)).map(|(p, k)| (k, p)).collect()
}

/// Whether a cached fetch could answer this request with `offline` set.
#[must_use]
pub fn has_cache(url: &str, options: &FetchOptions) -> bool {
    cache_candidates(url, options).iter().any(|(_, path)| path.is_file())
}

fn load_cached(url: &str, options: &FetchOptions) -> Result<Loaded, SourceError> {
    for (key, path) in cache_candidates(url, options) {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let corrupt = |message: String| SourceError::Cache { path: path.clone(), message };
        let doc = serde_json::from_str::<Value>(&text).map_err(|e| corrupt(e.to_string()))?;
        if doc.get("request").and_then(Value::as_str) != Some(key.as_str()) {
            // A hash collision between two requests: not this one.
            continue;
        }
        let fetched_at = doc.get("fetched_at").and_then(Value::as_u64).unwrap_or(0);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let streams = doc.get("streams").cloned().ok_or_else(|| corrupt("no `streams`".into()))?;
        let configs = StreamConfigs::from_value(streams, &path.display().to_string())?;
        return Ok(Loaded {
            configs,
            origin: Origin::Cache { url: url.to_owned(), age: Duration::from_secs(now.saturating_sub(fetched_at)) },
            cache_warning: None,
        });
    }
    Err(SourceError::NoCache { url: url.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse_by_shape() {
        assert_eq!(Source::parse("-"), Source::Stdin);
        assert_eq!(Source::parse("https://meta.wikimedia.org/w/api.php"), Source::Api(DEFAULT_API_URL.into()));
        assert_eq!(Source::parse("fixtures/x.json"), Source::File("fixtures/x.json".into()));
    }

    #[test]
    fn batches_hold_at_most_fifty_names() {
        let names: Vec<String> = (1..=120).map(|i| format!("s{i}")).collect();
        let b = batches(&names);
        assert_eq!(b.iter().map(|s| s.split('|').count()).collect::<Vec<_>>(), [50, 50, 20]);
        assert!(b[0].starts_with("s1|s2|") && b[2].ends_with("|s120"));
        assert!(batches(&[]).is_empty());
    }

    #[test]
    fn cache_round_trip_and_offline_fallback_to_full_config() {
        let dir = tempfile::tempdir().unwrap();
        let options = FetchOptions { cache_dir: Some(dir.path().to_owned()), ..FetchOptions::default() };
        save_cache(dir.path(), "http://x/api.php", &options, serde_json::json!({"a": {}, "b": {}})).unwrap();
        let named = FetchOptions { streams: vec!["a".into()], offline: true, ..options.clone() };
        let loaded = load(&Source::Api("http://x/api.php".into()), &named, &mut std::io::empty()).unwrap();
        assert_eq!(loaded.configs.len(), 2);
        assert!(
            matches!(loaded.origin, Origin::Cache { ref url, age } if url == "http://x/api.php" && age.as_secs() < 60)
        );
        let other = load(&Source::Api("http://y/api.php".into()), &named, &mut std::io::empty()).unwrap_err();
        assert!(other.to_string().contains("no cached stream config for http://y/api.php"), "{other}");
    }

    /// A loopback endpoint that answers every connection (at most `count`)
    /// with `head` and then, if `endless`, body bytes until the client leaves
    /// (at most 30 s); then it closes the connection.
    fn raw_api(head: &'static str, endless: bool, count: usize) -> String {
        use std::io::Write as _;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/w/api.php", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().take(count) {
                let Ok(mut stream) = stream else { return };
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                let started = std::time::Instant::now();
                let chunk = [b' '; 64 * 1024];
                if stream.write_all(head.as_bytes()).is_ok() && endless {
                    while started.elapsed() < Duration::from_secs(30) && stream.write_all(&chunk).is_ok() {}
                }
            }
        });
        url
    }

    #[test]
    fn an_endless_stream_config_answer_is_an_error_naming_the_url_and_the_limit() {
        let url = raw_api("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"streams\": {", true, 2);
        let options = FetchOptions { timeout: Duration::from_secs(60), ..FetchOptions::default() };
        let started = std::time::Instant::now();
        let err = fetch_at_most(&url, &options, 1 << 20).unwrap_err();
        assert!(matches!(err, SourceError::TooLarge { limit: 1_048_576, .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains(&url) && message.contains("more than 1048576 bytes"), "{message}");
        // The real limit, through `load`: bounded in time (and so in memory).
        let err = load(&Source::Api(url.clone()), &options, &mut std::io::empty()).unwrap_err();
        assert!(err.to_string().contains(&format!("more than {MAX_STREAM_CONFIG_BYTES} bytes")), "{err}");
        assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
    }

    #[test]
    fn a_stream_config_answer_that_breaks_off_is_an_http_error() {
        let url = raw_api("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{", false, 1);
        let err = load(&Source::Api(url.clone()), &FetchOptions::default(), &mut std::io::empty()).unwrap_err();
        assert!(matches!(err, SourceError::Http { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains(&url) && message.contains("the answer broke off"), "{message}");
    }
}
