//! `epc validate`: validate events against schema repositories, as EventGate does.
//!
//! Records (`--format ndjson`; `--format json` wraps them in `{"results": [...], "summary": {...}}`):
//!
//! - `{"type":"result","source":"events.ndjson:3","stream","schema_uri","valid","outcome",
//!   "errors":[{"instance_path","schema_path","keyword","message"}]}` with `outcome` one of
//!   `valid`, `invalid`, `unresolved`, `malformed`;
//! - `{"type":"input_error","source","message"}` for an input that cannot be read;
//! - `{"type":"summary","events","valid","invalid","unresolved","malformed","input_errors"}`.
//!
//! `--format junit` writes one JUnit test suite per input and one test case per event.
//!
//! Everything but JUnit is written as it is decided, in input order, in
//! bounded memory. The table lists only the events that are not valid
//! unless `--show-valid`; the other formats list every event. Folders are
//! walked for event files; a closed stdout stops the run with exit 2.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use clap::Args;
use comfy_table::Cell;
use rayon::prelude::*;
use serde_json::json;

use super::{ExitStatus, Hinted, env};
use crate::output::{Format, Printer, table};
use epc::constraint::Constraints;
use epc::input::{EventReader, Position, Raw, parse_line};
use epc::schema::repository::SchemaResolver;
use epc::validate::{EventReport, EventValidator, Outcome, Violation};

/// Arguments of `epc validate`.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// Event files: JSON (an event or an array), NDJSON (.ndjson, .jsonl or detected) or YAML; `-` or none for stdin.
    #[arg(value_name = "INPUT")]
    inputs: Vec<String>,
    /// A schema repository folder (with `jsonschema/` or `.jsonschema-tools.yaml`); repeatable, searched first, in order.
    #[arg(long = "schema-repo", value_name = "DIR", env = env::EPC_SCHEMA_REPOS, value_delimiter = ':')]
    schema_repos: Vec<PathBuf>,
    /// A further base URI to resolve schemas against (a folder, file: or http(s) URL); repeatable, after --schema-repo.
    /// With neither, schemas come from schema.wikimedia.org's primary and secondary repositories.
    #[arg(long = "schema-base-uri", value_name = "URI")]
    schema_base_uris: Vec<String>,
    /// Check every event against this schema (a URI resolved in the repositories, or a schema file) instead of its `$schema`.
    #[arg(long, value_name = "URI|FILE")]
    schema: Option<String>,
    /// Stream config (file, `-` or API URL): each event's `meta.stream` must be configured with the schema's title.
    #[arg(long, value_name = "PATH|URL|-")]
    stream_config: Option<String>,
    /// Make no network request: remote schemas (and stream config) come from the cache only.
    #[arg(long)]
    offline: bool,
    /// Timeout for each request (remote schemas, stream config), in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, value_parser = super::parse_timeout)]
    timeout: f64,
    /// Threads validating NDJSON (default: all cores); output keeps the input order.
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// List every event in the table, valid ones too (by default the table lists only the events
    /// that are not valid; the other formats always list every event).
    #[arg(long)]
    show_valid: bool,
    /// Check a whole schema repository as its CI does (jsonschema-tools' tests), instead of events.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["inputs", "schema", "stream_config"])]
    pub(crate) repo: Option<PathBuf>,
    /// With --repo: jsonschema-tools 1.3.0's results, without epc's extra checks (narrowing, items snake_case,
    /// unknown keywords, draft, defaults, $id resolution).
    #[arg(long, requires = "repo")]
    pub(crate) jsonschema_tools_compat: bool,
    /// With --repo (a git checkout): fail every published version file changed since git revision REV
    /// (committed, staged or unstaged; `git diff REV`); added files are new versions and pass.
    #[arg(long, value_name = "REV", requires = "repo", conflicts_with = "jsonschema_tools_compat")]
    pub(crate) since: Option<String>,
}

/// Events handed to the workers at a time: bounds memory whatever the input size.
const CHUNK: usize = 4096;

/// Table rows held at most before they are written out: rendering takes a
/// few KiB per row held, so this bounds the table's memory.
const TABLE_ROWS: usize = 512;

/// How long decided rows may wait to be written out (the table's first batch,
/// which sizes its columns, is what is decided in this time, or 512 rows).
const FLUSH_EVERY: Duration = Duration::from_millis(200);

/// One event's result, ready to print.
struct Row {
    position: Position,
    report: EventReport,
    malformed: bool,
}

#[derive(Default)]
struct Counts {
    events: u64,
    valid: u64,
    invalid: u64,
    unresolved: u64,
    malformed: u64,
    input_errors: u64,
}

pub(crate) fn run(args: &ValidateArgs, printer: &Printer) -> Result<ExitStatus> {
    if let Some(repo) = &args.repo {
        super::schema_repository_dir("--repo", repo)?;
        let sources = super::schema_sources(&args.schema_repos, &args.schema_base_uris, args.offline, args.timeout)?;
        return super::repo::run(repo, sources, args.jsonschema_tools_compat, args.since.as_deref(), printer);
    }
    if args.inputs.is_empty() && std::io::stdin().is_terminal() {
        return Err(Hinted::error(
            "no events to validate: no INPUT given, and standard input is a terminal",
            Some(
                "name event files or folders (`epc validate events/`), pipe events in \
                 (`… | epc validate`), or pass `-` to type them (end with Ctrl-D)"
                    .into(),
            ),
        ));
    }
    if args.inputs.iter().filter(|i| *i == "-").count() > 1
        || (args.inputs.contains(&"-".to_owned()) && args.stream_config.as_deref() == Some("-"))
    {
        return Err(Hinted::error("standard input (`-`) can be read only once", None));
    }
    let (validator, resolver) = build_validator(args, printer)?;
    let validator = Arc::new(validator);
    let jobs = args.jobs.map_or_else(|| std::thread::available_parallelism().map_or(1, usize::from), usize::from);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        // YAML and JSON nesting limits are sized for a few MiB of stack; leave plenty.
        .stack_size(16 << 20)
        .build()
        .context("cannot start the validation threads")?;
    let inputs = if args.inputs.is_empty() { vec![Input::File("-".to_owned())] } else { expand(&args.inputs, printer) };
    let show_valid = args.show_valid || printer.format != Format::Table;
    let mut out = Output::new(printer, show_valid)?;
    let mut counts = Counts::default();
    // Records (json, ndjson) go out as they are buffered, and would tear a
    // spinner on the same terminal; table rows go out in `flush`, which
    // clears the spinner first.
    let spinner = printer.progress_allowed() && (printer.format == Format::Table || !printer.stdout_is_terminal());
    let bar = spinner.then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(crate::output::whole_per_sec(
            indicatif::ProgressStyle::with_template("{spinner} {human_pos} events ({per_sec})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        ));
        bar
    });
    // Where the output stopped when stdout was closed (`| head`).
    let mut closed: Option<String> = None;
    let mut last_flush = Instant::now();
    'inputs: for input in &inputs {
        let input = match input {
            Input::File(path) => path,
            Input::Unwalkable(dir, message) => {
                counts.input_errors += 1;
                printer.error(message);
                if let Err(e) = out.input_error(dir, message) {
                    closed = Some(stopped_at(e, dir)?);
                    break 'inputs;
                }
                continue;
            }
        };
        let reader = match EventReader::open(input) {
            Ok(r) => r,
            Err(e) => {
                counts.input_errors += 1;
                printer.error(&e);
                if let Err(e) = out.input_error(input, &e.to_string()) {
                    closed = Some(stopped_at(e, input)?);
                    break 'inputs;
                }
                continue;
            }
        };
        // One thread takes small chunks: each line is checked while it is
        // still in the cache, and there are no threads to keep busy.
        let chunk_size = if jobs == 1 { 64 } else { CHUNK };
        let mut chunk: Vec<(Position, Raw)> = Vec::with_capacity(chunk_size);
        let mut items = reader;
        loop {
            chunk.clear();
            let mut read_error = None;
            // A chunk also ends where the next event would wait for its
            // producer (a pipe or terminal): what is held is shown first.
            while chunk.is_empty() || !items.would_wait() {
                match items.next() {
                    Some(Ok(pair)) => chunk.push(pair),
                    Some(Err(e)) => {
                        read_error = Some(e);
                        break;
                    }
                    None => break,
                }
                if chunk.len() == chunk_size {
                    break;
                }
            }
            let rows: Vec<Row> = if jobs == 1 {
                chunk.drain(..).map(|(p, raw)| check(&validator, p, raw)).collect()
            } else {
                pool.install(|| chunk.par_drain(..).map(|(p, raw)| check(&validator, p, raw)).collect())
            };
            let done = rows.is_empty() && read_error.is_none();
            let read_failed = read_error.is_some();
            let last = rows.last().map(|r| r.position.to_string());
            for row in rows {
                counts.events += 1;
                match (row.malformed, row.report.outcome) {
                    (true, _) => counts.malformed += 1,
                    (false, Outcome::Valid) => counts.valid += 1,
                    (false, Outcome::Invalid) => counts.invalid += 1,
                    (false, Outcome::Unresolved) => counts.unresolved += 1,
                }
                let mut written = out.row(&row);
                if written.is_ok() && out.held() >= TABLE_ROWS {
                    written = write_out(&mut out, bar.as_ref());
                    last_flush = Instant::now();
                }
                if let Err(e) = written {
                    closed = Some(stopped_at(e, &row.position.to_string())?);
                    break 'inputs;
                }
            }
            if let Some(bar) = &bar {
                bar.set_position(counts.events);
            }
            if let Some(e) = read_error {
                counts.input_errors += 1;
                printer.error(&e);
                if let Err(e) = out.input_error(input, &e.to_string()) {
                    closed = Some(stopped_at(e, input)?);
                    break 'inputs;
                }
            }
            // Rows are shown as they are decided: at least every FLUSH_EVERY,
            // and before waiting for a producer.
            if items.would_wait() || last_flush.elapsed() >= FLUSH_EVERY {
                if let Err(e) = write_out(&mut out, bar.as_ref()) {
                    closed = Some(stopped_at(e, last.as_deref().unwrap_or(input))?);
                    break 'inputs;
                }
                last_flush = Instant::now();
            }
            if done || read_failed {
                break;
            }
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if closed.is_none()
        && let Err(e) = out.finish(&counts)
    {
        // Every event was checked: only the end of the report is missing.
        stopped_at(e, "")?;
        closed = Some(String::new());
    }
    super::schema_cache_warnings(&resolver, printer);
    let hidden = if show_valid || counts.valid == 0 {
        String::new()
    } else {
        format!(" ({} valid not listed: --show-valid lists every event)", counts.valid)
    };
    printer.note(format!(
        "{}: {} valid, {} invalid, {} unresolved, {} malformed{}{hidden}",
        super::count_of(counts.events, "event", "events"),
        counts.valid,
        counts.invalid,
        counts.unresolved,
        counts.malformed,
        if counts.input_errors > 0 {
            format!("; {}", super::count_of(counts.input_errors, "input unreadable", "inputs unreadable"))
        } else {
            String::new()
        }
    ));
    if let Some(at) = closed {
        printer.error(if at.is_empty() {
            "stdout was closed before the end of the report".to_owned()
        } else {
            format!("stdout was closed at the result for {at}: the report is incomplete and the rest of the input was not read")
        });
        return Ok(ExitStatus::Error);
    }
    Ok(if counts.input_errors > 0 {
        ExitStatus::Error
    } else if counts.invalid + counts.unresolved + counts.malformed > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    })
}

/// Writes out what `out` holds, with the spinner (on the same terminal, maybe) cleared meanwhile.
fn write_out(out: &mut Output<'_>, bar: Option<&indicatif::ProgressBar>) -> Result<()> {
    match bar {
        Some(bar) => bar.suspend(|| out.flush()),
        None => out.flush(),
    }
}

/// A write to stdout failed: a closed stdout (`| head`) gives where the
/// report stopped; any other error stops the run.
fn stopped_at(err: anyhow::Error, at: &str) -> Result<String> {
    if crate::output::is_broken_pipe(&err) { Ok(at.to_owned()) } else { Err(err) }
}

/// An input to read: a file or `-`, or a folder that could not be walked.
enum Input {
    File(String),
    /// The folder and the message.
    Unwalkable(String, String),
}

/// File names a folder's walk takes.
const EVENT_EXTENSIONS: [&str; 5] = ["json", "yaml", "yml", "ndjson", "jsonl"];

/// The inputs with each folder replaced by its event files (`*.json`,
/// `*.yaml`, `*.yml`, `*.ndjson`, `*.jsonl`, any case), walked in sorted
/// order into subfolders. Hidden entries (`.name`) and symbolic links to
/// folders are passed over; a folder without event files is a warning.
fn expand(inputs: &[String], printer: &Printer) -> Vec<Input> {
    let mut out = Vec::new();
    for input in inputs {
        if input != "-" && std::fs::metadata(input).is_ok_and(|m| m.is_dir()) {
            let before = out.len();
            walk(Path::new(input), &mut out);
            if out.len() == before {
                printer.warning(format!(
                    "no event files (*.json, *.yaml, *.yml, *.ndjson, *.jsonl) in the folder {input}"
                ));
            }
        } else {
            out.push(Input::File(input.clone()));
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<Input>) {
    let unwalkable = |e: std::io::Error| {
        Input::Unwalkable(dir.display().to_string(), format!("cannot read the folder {}: {e}", dir.display()))
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => return out.push(unwalkable(e)),
    };
    let mut entries = match entries.collect::<std::io::Result<Vec<_>>>() {
        Ok(entries) => entries,
        Err(e) => return out.push(unwalkable(e)),
    };
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name();
        if name.as_encoded_bytes().starts_with(b".") {
            continue;
        }
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            walk(&path, out);
            continue;
        }
        // A link counts as what it points at, unless that is a folder (no cycles).
        let is_file = kind.is_file() || (kind.is_symlink() && std::fs::metadata(&path).is_ok_and(|m| m.is_file()));
        let wanted = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EVENT_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)));
        if !is_file || !wanted {
            continue;
        }
        match path.to_str() {
            Some(p) => out.push(Input::File(p.to_owned())),
            None => out.push(Input::Unwalkable(
                path.display().to_string(),
                format!("{}: the file name is not UTF-8", path.display()),
            )),
        }
    }
}

fn build_validator(args: &ValidateArgs, printer: &Printer) -> Result<(EventValidator, Arc<SchemaResolver>)> {
    let sources = super::schema_sources(&args.schema_repos, &args.schema_base_uris, args.offline, args.timeout)?;
    let resolver = Arc::new(super::schema_resolver(sources, printer)?);
    let streams = match &args.stream_config {
        None => None,
        Some(source) => {
            let source_args =
                super::StreamConfigArgs { stream_config: source.clone(), offline: args.offline, timeout: args.timeout };
            Some(source_args.load(printer, &[], &Constraints::default())?.configs)
        }
    };
    let mut validator = EventValidator::new(Arc::clone(&resolver), streams);
    if let Some(schema) = &args.schema {
        validator.force_schema(schema)?;
    }
    Ok((validator, resolver))
}

/// Parses (when needed) and validates one event.
fn check(validator: &EventValidator, position: Position, raw: Raw) -> Row {
    let parsed = match raw {
        Raw::Parsed(v) => Ok(v),
        Raw::Text(text) => {
            // Most events are valid: checked without building a `Value`.
            if let Some(report) = validator.validate_fast(&text) {
                return Row { report, position, malformed: false };
            }
            parse_line(&text, &position)
        }
        Raw::Malformed(message) | Raw::NotUtf8(_, message) => Err(message),
    };
    match parsed {
        Ok(event) => Row { report: validator.validate(&event), position, malformed: false },
        Err(message) => Row { report: EventReport::whole_event_invalid("json", message), position, malformed: true },
    }
}

fn outcome_name(row: &Row) -> &'static str {
    if row.malformed { "malformed" } else { row.report.outcome.as_str() }
}

/// A `result` record (see the module docs), serialized straight from the
/// row: no `serde_json::Value` with its map, keys and `source` string is
/// built per event on the hot path.
#[derive(serde::Serialize)]
struct ResultRecord<'a> {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(serialize_with = "as_display")]
    source: &'a Position,
    stream: &'a Option<String>,
    schema_uri: &'a Option<String>,
    valid: bool,
    outcome: &'static str,
    errors: Vec<ErrorRecord<'a>>,
}

#[derive(serde::Serialize)]
struct ErrorRecord<'a> {
    instance_path: &'a str,
    schema_path: &'a str,
    keyword: &'a str,
    message: &'a str,
}

fn as_display<S: serde::Serializer>(value: &&Position, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

impl<'a> ResultRecord<'a> {
    fn new(row: &'a Row, with_type: bool) -> Self {
        Self {
            kind: with_type.then_some("result"),
            source: &row.position,
            stream: &row.report.stream,
            schema_uri: &row.report.schema_uri,
            valid: row.report.outcome == Outcome::Valid,
            outcome: outcome_name(row),
            errors: row
                .report
                .violations
                .iter()
                .map(|v| ErrorRecord {
                    instance_path: &v.instance_path,
                    schema_path: &v.schema_path,
                    keyword: &v.keyword,
                    message: &v.message,
                })
                .collect(),
        }
    }
}

/// Where results go: a record sink (a table streamed a chunk at a time, or
/// records), or a JUnit report built up to the end.
enum Output<'p> {
    /// The sink, the printer, and whether valid events are listed.
    Records(crate::output::RecordSink<'p>, &'p Printer, bool),
    Junit(quick_junit::Report, Option<quick_junit::TestSuite>),
}

impl<'p> Output<'p> {
    fn new(printer: &'p Printer, show_valid: bool) -> Result<Self> {
        Ok(if printer.format == Format::Junit {
            Self::Junit(quick_junit::Report::new("epc validate"), None)
        } else {
            let sink = printer.streaming_sink("results", &["source", "result", "schema", "details"])?;
            Self::Records(sink, printer, show_valid)
        })
    }

    fn row(&mut self, row: &Row) -> Result<()> {
        match self {
            Self::Records(sink, printer, show_valid) => {
                if !*show_valid && !row.malformed && row.report.outcome == Outcome::Valid {
                    return Ok(());
                }
                let printer = *printer;
                sink.push_serialize(|with_type| ResultRecord::new(row, with_type), || table_row(printer, row))?;
            }
            Self::Junit(report, suite) => {
                let source = row.position.source.to_string();
                if suite.as_ref().is_none_or(|s| s.name.as_str() != source) {
                    if let Some(done) = suite.take() {
                        report.add_test_suite(done);
                    }
                    *suite = Some(quick_junit::TestSuite::new(source));
                }
                let status = if row.report.outcome == Outcome::Valid && !row.malformed {
                    quick_junit::TestCaseStatus::success()
                } else {
                    let mut s = quick_junit::TestCaseStatus::non_success(quick_junit::NonSuccessKind::Failure);
                    s.set_type(outcome_name(row));
                    s.set_message(row.report.violations.first().map_or_else(String::new, violation_line));
                    s.set_description(row.report.violations.iter().map(violation_line).collect::<Vec<_>>().join("\n"));
                    s
                };
                let mut case = quick_junit::TestCase::new(row.position.to_string(), status);
                if let Some(uri) = &row.report.schema_uri {
                    case.set_classname(uri.clone());
                }
                if let Some(suite) = suite {
                    suite.add_test_case(case);
                }
            }
        }
        Ok(())
    }

    fn input_error(&mut self, source: &str, message: &str) -> Result<()> {
        match self {
            Self::Records(sink, ..) => {
                sink.push(json!({"type": "input_error", "source": source, "message": message}), |_| {
                    vec![Cell::new(source), Cell::new("UNREADABLE"), Cell::new("-"), Cell::new(message)]
                })?;
            }
            Self::Junit(report, suite) => {
                if let Some(done) = suite.take() {
                    report.add_test_suite(done);
                }
                let mut s = quick_junit::TestCaseStatus::non_success(quick_junit::NonSuccessKind::Error);
                s.set_message(message.to_owned());
                let mut failed = quick_junit::TestSuite::new(source.to_owned());
                failed.add_test_case(quick_junit::TestCase::new(source.to_owned(), s));
                report.add_test_suite(failed);
            }
        }
        Ok(())
    }

    /// Table rows held, not yet written out.
    fn held(&self) -> usize {
        match self {
            Self::Records(sink, ..) => sink.held(),
            Self::Junit(..) => 0,
        }
    }

    /// Writes out what the table or the buffer holds (nothing for JUnit, written at the end).
    fn flush(&mut self) -> Result<()> {
        if let Self::Records(sink, ..) = self {
            sink.flush()?;
        }
        Ok(())
    }

    fn finish(self, c: &Counts) -> Result<()> {
        match self {
            Self::Records(sink, ..) => sink.finish(json!({
                "type": "summary", "events": c.events, "valid": c.valid, "invalid": c.invalid,
                "unresolved": c.unresolved, "malformed": c.malformed, "input_errors": c.input_errors,
            }))?,
            Self::Junit(mut report, suite) => {
                if let Some(done) = suite {
                    report.add_test_suite(done);
                }
                crate::output::write_junit(&report)?;
            }
        }
        Ok(())
    }
}

fn violation_line(v: &Violation) -> String {
    if v.instance_path.is_empty() {
        format!("{} ({})", v.message, v.keyword)
    } else {
        format!("{}: {} ({})", v.instance_path, v.message, v.keyword)
    }
}

fn table_row(printer: &Printer, row: &Row) -> Vec<Cell> {
    let result = match (row.malformed, row.report.outcome) {
        (true, _) => table::alert(printer, "MALFORMED"),
        (false, Outcome::Valid) => Cell::new("valid"),
        (false, Outcome::Invalid) => table::alert(printer, "INVALID"),
        (false, Outcome::Unresolved) => table::alert(printer, "UNRESOLVED"),
    };
    vec![
        Cell::new(row.position.to_string()),
        result,
        Cell::new(row.report.schema_uri.as_deref().unwrap_or("-")),
        Cell::new(row.report.violations.iter().map(violation_line).collect::<Vec<_>>().join("\n")),
    ]
}
