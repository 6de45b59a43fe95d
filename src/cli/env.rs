//! Every environment variable epc reads, documented once (mirrored in README.md).

/// Stream config source (path, URL or `-`); mirrors `--stream-config`.
pub(crate) const EPC_STREAM_CONFIG: &str = "EPC_STREAM_CONFIG";
/// Schema repository folders for `epc validate`, separated by `:`; mirrors `--schema-repo`.
pub(crate) const EPC_SCHEMA_REPOS: &str = "EPC_SCHEMA_REPOS";
/// The intake URL for `epc send`; mirrors `--intake-url`.
pub(crate) const EPC_INTAKE_URL: &str = "EPC_INTAKE_URL";
/// Where fetched stream config is cached; default: the user's cache dir + `/epc`.
pub(crate) const EPC_CACHE_DIR: &str = "EPC_CACHE_DIR";
/// `auto`, `always` or `never`; mirrors `--color`.
pub(crate) const EPC_COLOR: &str = "EPC_COLOR";
/// Any non-empty value turns colour off under `--color auto` (no-color.org).
#[allow(dead_code)]
pub(crate) const NO_COLOR: &str = "NO_COLOR";
