//! `epc completions SHELL` (hidden): the shell completion scripts committed in `completions/`;
//! and dynamic completion (`source <(COMPLETE=bash epc)`), which also completes
//! stream names from stream config already on this machine.

use std::io::Write as _;

use anyhow::Result;
use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, ExitStatus};

/// Arguments of `epc completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: Shell,
}

pub(crate) fn run(args: &CompletionsArgs) -> Result<ExitStatus> {
    // Generate into memory: clap_complete panics when its writer fails (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "epc", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(ExitStatus::Success)
}

/// Completes a stream name (`epc sample --stream`, `epc send --stream`, `epc
/// streams NAME`) from stream config already on this machine, never from the
/// network: the file `EPC_STREAM_CONFIG` names, else the stream config cached
/// by the last successful fetch from the MediaWiki API (`EPC_STREAM_CONFIG`'s
/// URL, or the production one). Exact (not `/regex/`) stream names starting
/// with what is typed, in config order; none when nothing is cached.
pub(crate) fn stream_names(current: &std::ffi::OsStr) -> Vec<clap_complete::CompletionCandidate> {
    let Some(prefix) = current.to_str() else { return Vec::new() };
    let configured = std::env::var(super::env::EPC_STREAM_CONFIG).ok().filter(|s| !s.trim().is_empty() && s != "-");
    let source = epc::source::Source::parse(configured.as_deref().unwrap_or(epc::source::DEFAULT_API_URL));
    let options = epc::source::FetchOptions {
        streams: Vec::new(),
        constraints: epc::constraint::Constraints::default(),
        timeout: std::time::Duration::from_secs(1),
        offline: true,
        cache_dir: super::cache_dir(),
    };
    let Ok(loaded) = epc::source::load(&source, &options, &mut std::io::empty()) else { return Vec::new() };
    loaded
        .configs
        .iter()
        .filter(|c| !c.is_regex() && c.key().starts_with(prefix))
        .map(|c| {
            let help = c.schema_title().map(|t| clap::builder::StyledStr::from(t.to_owned()));
            clap_complete::CompletionCandidate::new(c.key()).help(help)
        })
        .collect()
}
