//! The `epc` command line: clap definitions, settings resolution and dispatch.
//!
//! Each subcommand module owns its `Args` and a `run` that returns an
//! [`ExitStatus`]; only `main` turns that into the process exit code.

pub(crate) mod completions;
pub(crate) mod env;
pub(crate) mod id;
pub(crate) mod man;
pub(crate) mod materialize;
pub(crate) mod repo;
pub(crate) mod sample;
pub(crate) mod send;
pub(crate) mod serve;
pub(crate) mod signals;
pub(crate) mod streams;
pub(crate) mod validate;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result};
use clap::{Args, Parser, Subcommand};

use crate::output::{ColorChoice, Format, Printer};
use epc::schema::remote::{self, HttpOptions};
use epc::schema::repository::{SchemaRepository, SchemaResolver, SchemaSources};
use epc::source::{self, FetchOptions, Loaded, Origin, Source};

/// epc: the Event Platform Client on the command line.
///
/// Inspect Wikimedia stream config, show sampling decisions, validate events
/// and schema repositories, materialize schemas, send events and run a local
/// intake, exactly as the Event Platform clients, jsonschema-tools and
/// EventGate do.
#[derive(Debug, Parser)]
#[command(name = "epc", version, about, long_about = None, propagate_version = true, help_expected = true)]
#[command(after_help = "Exit status: 0 ok, 1 findings (e.g. an invalid sample config), 2 could not run.")]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The help heading of the options every subcommand takes.
const GLOBAL: &str = "Global options";

/// Options every subcommand takes.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Output format for results on stdout (`epc validate` also takes junit).
    #[arg(long, global = true, value_enum, default_value_t = Format::Table, help_heading = GLOBAL)]
    pub(crate) format: Format,
    /// When to use colour (`always` wins over NO_COLOR).
    #[arg(long, global = true, value_enum, env = env::EPC_COLOR, default_value_t = ColorChoice::Auto, help_heading = GLOBAL)]
    pub(crate) color: ColorChoice,
    /// Hide summaries, notes and hints on stderr (results and errors still show).
    #[arg(short, long, global = true, help_heading = GLOBAL)]
    pub(crate) quiet: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List stream config, or show the full config of named streams.
    Streams(streams::StreamsArgs),
    /// Show sampling decisions for identifiers and a stream or rate.
    Sample(sample::SampleArgs),
    /// Validate events against schema repositories (and stream config), as EventGate does.
    Validate(validate::ValidateArgs),
    /// Decorate events as a client does and send them to the intake (or print them with --dry-run).
    Send(Box<send::SendArgs>),
    /// Run a local EventGate-compatible intake that validates and stores events.
    Serve(Box<serve::ServeArgs>),
    /// Write the version files and symlinks of edited `current.yaml` schemas, as jsonschema-tools does.
    Materialize(Box<materialize::MaterializeArgs>),
    /// Print fresh standard identifiers (session, pageview or device).
    Id(id::IdArgs),
    /// Print the manual page (roff): epc(1), or epc-SUBCOMMAND(1).
    Man(man::ManArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
}

/// Where to get stream config, shared by the subcommands that need it.
#[derive(Debug, Args, Clone)]
pub(crate) struct StreamConfigArgs {
    /// Stream config: a JSON file, `-` for stdin, or a MediaWiki API URL.
    #[arg(long, value_name = "PATH|URL|-", env = env::EPC_STREAM_CONFIG, default_value = source::DEFAULT_API_URL)]
    pub(crate) stream_config: String,
    /// Use the cached copy of the last successful fetch instead of the network.
    #[arg(long)]
    pub(crate) offline: bool,
    /// Timeout for each request, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, value_parser = parse_timeout)]
    pub(crate) timeout: f64,
}

pub(crate) fn parse_timeout(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(t) if t.is_finite() && t > 0.0 && t <= 86_400.0 => Ok(t),
        _ => Err(format!("`{text}` is not a number of seconds above 0 and at most 86400")),
    }
}

impl StreamConfigArgs {
    /// Loads stream config, requesting only `streams` from an API when given.
    pub(crate) fn load(
        &self,
        printer: &Printer,
        streams: &[String],
        constraints: &epc::constraint::Constraints,
    ) -> Result<Loaded> {
        if self.stream_config.trim().is_empty() {
            return Err(Hinted::error(
                "--stream-config (or EPC_STREAM_CONFIG) is empty",
                Some("give a JSON file, `-` for stdin, or a MediaWiki API URL".into()),
            ));
        }
        let source = Source::parse(&self.stream_config);
        let options = FetchOptions {
            streams: streams.to_vec(),
            constraints: constraints.clone(),
            timeout: Duration::from_secs_f64(self.timeout),
            offline: self.offline,
            cache_dir: cache_dir(),
        };
        if self.offline && !matches!(source, Source::Api(_)) {
            printer.note(format!("note: --offline has no effect on {}", source.name()));
        }
        let loaded = source::load(&source, &options, &mut std::io::stdin().lock()).map_err(|e| {
            let network = matches!(e, source::SourceError::Http { .. } | source::SourceError::Status { .. });
            if network {
                let hint = match &source {
                    Source::Api(url) if source::has_cache(url, &options) => {
                        "pass --offline to use the stream config cached by the last successful fetch, \
                         or --stream-config FILE (or EPC_STREAM_CONFIG=FILE) to read it from a file"
                    }
                    _ => "pass --stream-config FILE (or set EPC_STREAM_CONFIG=FILE) to read stream config from a file",
                };
                Hinted::error(e.to_string(), Some(hint.into()))
            } else {
                anyhow::Error::new(e)
            }
        })?;
        if let Some(w) = &loaded.cache_warning {
            printer.warning(w);
        }
        match &loaded.origin {
            Origin::Cache { url, age } => {
                printer.note(format!("using cached stream config from {url}, fetched {} ago", human_age(*age)));
            }
            Origin::Api { url, requests } => {
                printer.note(format!(
                    "fetched stream config from {url} in {requests} request{}",
                    if *requests == 1 { "" } else { "s" }
                ));
            }
            Origin::File(_) | Origin::Stdin => {}
        }
        Ok(loaded)
    }
}

/// Where schemas come from, as `validate`, `send` and `serve` take it: the
/// `--schema-repo` folders, the `--schema-base-uri`s, and how remote bases are
/// fetched (`--offline`, `--timeout`, the cache under `EPC_CACHE_DIR`).
pub(crate) fn schema_sources(
    repos: &[PathBuf],
    base_uris: &[String],
    offline: bool,
    timeout: f64,
) -> Result<SchemaSources> {
    for repo in repos {
        schema_repository_dir("--schema-repo", repo)?;
    }
    let repositories = repos.iter().map(SchemaRepository::open).collect::<Result<Vec<_>, _>>()?;
    Ok(SchemaSources {
        repositories,
        base_uris: base_uris.to_vec(),
        http: HttpOptions {
            timeout: Duration::from_secs_f64(timeout),
            offline,
            cache_dir: cache_dir(),
            ..HttpOptions::default()
        },
    })
}

/// Checks that `dir`, given with `flag` (`--repo`, `--schema-repo`), is a
/// schema repository: an existing folder with a `jsonschema/` folder or a
/// `.jsonschema-tools.yaml` ([`SchemaRepository::is_repository`]). Any other
/// folder would be read as a repository whose schemas sit at its top, and
/// every schema would then be "not found".
///
/// # Errors
/// A one-line [`Hinted`] error naming the flag and the folder (exit 2).
pub(crate) fn schema_repository_dir(flag: &str, dir: &Path) -> Result<()> {
    let shown = dir.display();
    let hint = || Some("give the repository's top folder, the one holding `jsonschema/`".to_owned());
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(Hinted::error(format!("{flag} {shown}: no such folder"), hint()))
        }
        Err(e) => Err(Hinted::error(format!("{flag} {shown}: {e}"), None)),
        Ok(m) if !m.is_dir() => Err(Hinted::error(format!("{flag} {shown}: not a folder"), hint())),
        Ok(_) if !SchemaRepository::is_repository(dir) => Err(Hinted::error(
            format!("{flag} {shown}: not a schema repository (no jsonschema/ folder or .jsonschema-tools.yaml)"),
            hint(),
        )),
        Ok(_) => Ok(()),
    }
}

/// The resolver for `sources`; says when the public Wikimedia repositories
/// are used because none was given, and warns about configured base URIs
/// that are not used.
pub(crate) fn schema_resolver(sources: SchemaSources, printer: &Printer) -> Result<SchemaResolver> {
    if sources.uses_default_bases() {
        printer.note(format!(
            "note: no --schema-repo or --schema-base-uri given: schemas come from {}{}",
            remote::DEFAULT_BASE_URIS.join(" and "),
            if sources.http.offline { " (offline: from the schema cache only)" } else { "" }
        ));
    }
    let resolver = sources.resolver()?;
    for note in resolver.notes() {
        printer.warning(note);
    }
    Ok(resolver)
}

/// Warns about schema cache files that could not be written (the run went on).
pub(crate) fn schema_cache_warnings(resolver: &SchemaResolver, printer: &Printer) {
    for warning in resolver.http().map(remote::HttpFetcher::take_warnings).unwrap_or_default() {
        printer.warning(warning);
    }
}

pub(crate) fn cache_dir() -> Option<PathBuf> {
    match std::env::var_os(env::EPC_CACHE_DIR) {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => dirs::cache_dir().map(|d| d.join("epc")),
    }
}

/// `1 event`, `2 events`, `0 events`: a count and its noun, singular for exactly 1.
pub(crate) fn count_of(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `3h 12m`, `45s`, `2d 4h`.
pub(crate) fn human_age(age: Duration) -> String {
    let s = age.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {}s", s / 60, s % 60),
        3600..86_400 => format!("{}h {}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// How a run ended; `main` maps it to the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ExitStatus {
    /// 0: ran, nothing to report.
    Success,
    /// 1: ran and found problems (invalid config, invalid or rejected events).
    Findings,
    /// 2: could not run as asked.
    Error,
    /// 128 + the signal that stopped the run (130 SIGINT, 143 SIGTERM).
    Signal(u8),
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> Self {
        match s {
            ExitStatus::Success => ExitCode::SUCCESS,
            ExitStatus::Findings => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
            ExitStatus::Signal(code) => ExitCode::from(code),
        }
    }
}

/// An error message with an optional hint line, for errors the user can fix.
#[derive(Debug)]
pub(crate) struct Hinted {
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
}

impl Hinted {
    /// A user error with a hint.
    pub(crate) fn error(message: impl Into<String>, hint: Option<String>) -> anyhow::Error {
        anyhow::Error::new(Self { message: message.into(), hint })
    }
}

impl std::fmt::Display for Hinted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Hinted {}

/// Runs the parsed command line.
pub(crate) fn run(cli: Cli, printer: &Printer) -> Result<ExitStatus> {
    if printer.format == Format::Junit
        && !matches!(cli.command, Command::Validate(_) | Command::Completions(_) | Command::Man(_))
    {
        return Err(Hinted::error(
            "--format junit is only for `epc validate`",
            Some("use table, json or ndjson".into()),
        ));
    }
    match cli.command {
        Command::Validate(args) => validate::run(&args, printer),
        Command::Send(args) => send::run(&args, printer),
        Command::Serve(args) => serve::run(&args, printer),
        Command::Streams(args) => streams::run(&args, printer),
        Command::Sample(args) => sample::run(&args, printer),
        Command::Materialize(args) => materialize::run(&args, printer),
        Command::Id(args) => id::run(&args, printer),
        Command::Completions(args) => completions::run(&args),
        Command::Man(args) => man::run(&args),
    }
}

/// Prints an error chain: `error: …`, `  caused by: …` lines and any hint.
pub(crate) fn report_error(printer: &Printer, err: &anyhow::Error) {
    let mut hint = None;
    let mut messages: Vec<String> = Vec::new();
    for cause in err.chain() {
        if let Some(h) = cause.downcast_ref::<Hinted>() {
            if hint.is_none() {
                hint.clone_from(&h.hint);
            }
            messages.push(h.message.clone());
            continue;
        }
        let text = cause.to_string();
        if !messages.iter().any(|m| m.contains(&text)) {
            messages.push(text);
        }
    }
    let mut lines = messages.into_iter();
    printer.error(lines.next().unwrap_or_else(|| "unknown error".into()));
    for line in lines {
        printer.caused_by(line);
    }
    if let Some(h) = hint {
        printer.hint(h);
    }
}

/// Reads non-empty, non-comment lines from a file or `-` (stdin), with 1-based line numbers.
pub(crate) fn read_lines(path: &str) -> Result<Vec<(usize, String)>> {
    let text = if path == "-" {
        std::io::read_to_string(std::io::stdin().lock()).context("cannot read standard input")?
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?
    };
    Ok(text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim().to_owned()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn counts_take_the_singular_for_one_only() {
        assert_eq!(count_of(1u64, "event", "events"), "1 event");
        assert_eq!(count_of(0u64, "event", "events"), "0 events");
        assert_eq!(count_of(2u32, "input unreadable", "inputs unreadable"), "2 inputs unreadable");
    }

    #[test]
    fn ages_read_naturally() {
        assert_eq!(human_age(Duration::from_secs(42)), "42s");
        assert_eq!(human_age(Duration::from_secs(3 * 3600 + 12 * 60)), "3h 12m");
        assert_eq!(human_age(Duration::from_secs(2 * 86_400 + 4 * 3600)), "2d 4h");
    }
}
