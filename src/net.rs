//! HTTP shared by everything epc fetches (stream config, schemas): one
//! descriptive User-Agent, timeouts, bodies read incrementally up to a limit,
//! and one-line descriptions of what failed.
//!
//! Wikimedia's User-Agent policy asks every client for a descriptive
//! User-Agent with a way to reach its authors (decisions.md, "Stream config"):
//! [`USER_AGENT`]. An answer is never read whole into memory before its size is
//! known: [`read_body`] stops one byte past the limit, so an endpoint that
//! streams forever costs bounded memory and time.

use std::io::Read as _;
use std::time::Duration;

/// The User-Agent sent with every request: `epc/<version> (<project URL>; Event Platform Client CLI)`.
pub const USER_AGENT: &str =
    concat!("epc/", env!("CARGO_PKG_VERSION"), " (", env!("CARGO_PKG_REPOSITORY"), "; Event Platform Client CLI)");

/// The longest connection set-up allowed, whatever the whole-request timeout: 10 s.
pub const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether a client follows redirects itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirects {
    /// reqwest's default policy: up to 10 hops, anywhere.
    Follow,
    /// Never: the caller sees every 3xx answer and decides (the schema fence).
    Manual,
}

/// A blocking client with [`USER_AGENT`], a whole-request `timeout` (connect,
/// send, and reading the answer), a connect timeout of at most
/// [`MAX_CONNECT_TIMEOUT`], and the given redirect policy. Proxies come from
/// the usual environment variables (`HTTPS_PROXY`, `NO_PROXY`).
///
/// # Errors
/// The reason when the HTTP stack cannot be set up (no TLS roots, …).
pub fn client(timeout: Duration, redirects: Redirects) -> Result<reqwest::blocking::Client, String> {
    let policy = match redirects {
        Redirects::Follow => reqwest::redirect::Policy::default(),
        Redirects::Manual => reqwest::redirect::Policy::none(),
    };
    reqwest::blocking::Client::builder()
        .user_agent(USER_AGENT)
        .timeout(timeout)
        .connect_timeout(timeout.min(MAX_CONNECT_TIMEOUT))
        .redirect(policy)
        .build()
        .map_err(|e| e.to_string())
}

/// Why a body could not be read whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// More than the limit; nothing past it was read.
    #[error("more than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The connection broke off or timed out while reading.
    #[error("the answer broke off: {0}")]
    Broken(String),
}

/// Reads `response`'s body incrementally, at most `limit` bytes.
///
/// # Errors
/// [`BodyError::TooLarge`] past `limit`, [`BodyError::Broken`] when reading fails.
pub fn read_body(response: reqwest::blocking::Response, limit: u64) -> Result<Vec<u8>, BodyError> {
    let mut body = Vec::new();
    response.take(limit.saturating_add(1)).read_to_end(&mut body).map_err(|e| BodyError::Broken(describe_io(&e)))?;
    if body.len() as u64 > limit {
        return Err(BodyError::TooLarge { limit });
    }
    Ok(body)
}

/// One line about a failed request: `timed out`, `cannot connect: …`, or the
/// innermost cause.
#[must_use]
pub fn describe_reqwest(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut innermost = e.source();
    while let Some(next) = innermost.and_then(|c| c.source()) {
        innermost = Some(next);
    }
    let detail = innermost.map_or_else(|| e.to_string(), ToString::to_string);
    if e.is_timeout() || detail.contains("timed out") {
        "timed out".to_owned()
    } else if e.is_connect() {
        format!("cannot connect: {detail}")
    } else {
        detail
    }
}

/// The innermost cause of an I/O error (reqwest wraps its own errors in one).
#[must_use]
pub fn describe_io(e: &std::io::Error) -> String {
    let mut innermost: Option<&dyn std::error::Error> = e.get_ref().map(|c| c as &dyn std::error::Error);
    while let Some(next) = innermost.and_then(|c| c.source()) {
        innermost = Some(next);
    }
    let text = innermost.map_or_else(|| e.to_string(), ToString::to_string);
    if text.contains("timed out") || e.kind() == std::io::ErrorKind::TimedOut { "timed out".to_owned() } else { text }
}

/// The start of a body on one line: white space collapsed, at most 200 characters.
#[must_use]
pub fn snippet(body: &str) -> String {
    let one_line: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 200 {
        format!("{}…", one_line.chars().take(200).collect::<String>())
    } else {
        one_line
    }
}

/// FNV-1a, 64 bits: a stable file name for a cache key (not a security
/// measure: cache files also hold their key, checked on read).
#[must_use]
pub fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_are_one_short_line() {
        assert_eq!(snippet("a\n  b\tc"), "a b c");
        let long = "x".repeat(300);
        assert_eq!(snippet(&long).chars().count(), 201);
    }

    #[test]
    fn the_user_agent_names_epc_its_version_and_project() {
        assert!(USER_AGENT.starts_with(concat!("epc/", env!("CARGO_PKG_VERSION"), " (https://")), "{USER_AGENT}");
    }

    #[test]
    fn fnv_is_stable() {
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_ne!(fnv1a("a"), fnv1a("b"));
    }
}
