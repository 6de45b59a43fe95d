//! # epc: the Event Platform Client core
//!
//! Wikimedia's Event Platform carries analytics events from clients through an
//! HTTP intake (EventGate) into Kafka and Hadoop. Every event names its JSON
//! Schema in `$schema` and goes to a *stream* declared in *stream config*
//! (MediaWiki's `action=streamconfigs` API). The Event Platform Client (EPC)
//! is the behaviour every client follows: obtain stream config, decide per
//! stream whether an identifier is in-sample, cc events to child streams,
//! decorate them and send them to the intake.
//!
//! This crate is that core, with no terminal code: it returns values and typed
//! errors and never prints, reads environment variables or decides exit codes.
//!
//! - [`stream`]: the stream config model, stream resolution (exact, then
//!   `/regex/` keys), constraints and cc streams.
//! - [`sampling`]: sampling units and rates, the canonical in-sample rule and
//!   the real clients' profiles.
//! - [`identifier`]: session, pageview and device identifiers: parse, generate.
//! - [`source`]: loading stream config from a file, stdin or the MediaWiki API,
//!   with batching and a cache.
//! - [`schema`]: schema URIs, titles and versions, local schema repositories,
//!   remote schema repositories over HTTP (fenced, cached), `$schema`/`$ref`
//!   resolution, and strict YAML/JSON loading.
//! - [`net`]: the HTTP every fetch shares: User-Agent, timeouts, bounded reads.
//! - [`authoring`]: `epc materialize`: writing a schema repository's version
//!   files and symlinks from its `current.yaml` files, as jsonschema-tools does.
//! - [`app_event`]: Metrics Platform events as the apps' Java client builds
//!   and curates them.
//!
//! ```
//! use epc::identifier::Identifier;
//! use epc::sampling::{Profile, Sampler};
//! use epc::stream::StreamConfigs;
//!
//! let configs = StreamConfigs::from_json_str(
//!     r#"{"streams": {"test.widget": {"sample": {"unit": "session", "rate": 0.2}}}}"#,
//!     "example",
//! )?;
//! let resolved = configs.resolve("test.widget").expect("configured");
//! let sampler = Sampler::for_stream(Profile::Canonical, Some(resolved.config));
//! // 0x33333333 / (2^32 - 1) is exactly 0.2, and the comparison is strict.
//! let decision = sampler.decide(&Identifier::parse("33333333333333333333")?);
//! assert!(!decision.in_sample);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod app_event;
pub mod authoring;
pub mod client;
pub mod constraint;
pub mod event;
pub mod eventgate;
pub mod identifier;
pub mod input;
pub mod intake;
pub mod json;
pub mod ledger;
pub mod net;
pub mod repo_check;
pub mod sampling;
pub mod schema;
pub mod source;
pub mod stream;
pub mod validate;
