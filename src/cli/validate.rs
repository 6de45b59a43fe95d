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

use std::path::PathBuf;
use std::sync::Arc;

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
    /// Check a whole schema repository as its CI does (jsonschema-tools' tests), instead of events.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["inputs", "schema", "stream_config"])]
    pub(crate) repo: Option<PathBuf>,
    /// With --repo: jsonschema-tools 1.3.0's results, without epc's extra checks (narrowing, items snake_case).
    #[arg(long, requires = "repo")]
    pub(crate) jsonschema_tools_compat: bool,
}

/// Events handed to the workers at a time: bounds memory whatever the input size.
const CHUNK: usize = 4096;

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
        let sources = super::schema_sources(&args.schema_repos, &args.schema_base_uris, args.offline, args.timeout)?;
        return super::repo::run(repo, sources, args.jsonschema_tools_compat, printer);
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
    let inputs: Vec<String> = if args.inputs.is_empty() { vec!["-".to_owned()] } else { args.inputs.clone() };
    if inputs.iter().filter(|i| *i == "-").count() > 1
        || (inputs.contains(&"-".to_owned()) && args.stream_config.as_deref() == Some("-"))
    {
        return Err(Hinted::error("standard input (`-`) can be read only once", None));
    }
    let mut out = Output::new(printer)?;
    let mut counts = Counts::default();
    let bar = printer.progress_allowed().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {human_pos} events ({per_sec})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar
    });
    for input in &inputs {
        let reader = match EventReader::open(input) {
            Ok(r) => r,
            Err(e) => {
                counts.input_errors += 1;
                printer.error(&e);
                out.input_error(input, &e.to_string())?;
                continue;
            }
        };
        // One thread takes small chunks: each line is checked while it is
        // still in the cache, and there are no threads to keep busy.
        let chunk_size = if jobs == 1 { 64 } else { CHUNK };
        let mut chunk: Vec<(Position, Raw)> = Vec::with_capacity(chunk_size);
        let mut items = reader.into_iter();
        loop {
            chunk.clear();
            let mut read_error = None;
            for item in items.by_ref() {
                match item {
                    Ok(pair) => chunk.push(pair),
                    Err(e) => {
                        read_error = Some(e);
                        break;
                    }
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
            for row in rows {
                counts.events += 1;
                match (row.malformed, row.report.outcome) {
                    (true, _) => counts.malformed += 1,
                    (false, Outcome::Valid) => counts.valid += 1,
                    (false, Outcome::Invalid) => counts.invalid += 1,
                    (false, Outcome::Unresolved) => counts.unresolved += 1,
                }
                out.row(row)?;
            }
            if let Some(bar) = &bar {
                bar.set_position(counts.events);
            }
            if let Some(e) = read_error {
                counts.input_errors += 1;
                printer.error(&e);
                out.input_error(input, &e.to_string())?;
                break;
            }
            if done {
                break;
            }
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    out.finish(&counts)?;
    super::schema_cache_warnings(&resolver, printer);
    printer.note(format!(
        "{} events: {} valid, {} invalid, {} unresolved, {} malformed{}",
        counts.events,
        counts.valid,
        counts.invalid,
        counts.unresolved,
        counts.malformed,
        if counts.input_errors > 0 { format!("; {} inputs unreadable", counts.input_errors) } else { String::new() }
    ));
    Ok(if counts.input_errors > 0 {
        ExitStatus::Error
    } else if counts.invalid + counts.unresolved + counts.malformed > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    })
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

/// Where results go: a record sink, or a JUnit report built up to the end.
enum Output<'p> {
    Records(crate::output::RecordSink<'p>, &'p Printer),
    Junit(quick_junit::Report, Option<quick_junit::TestSuite>),
}

impl<'p> Output<'p> {
    fn new(printer: &'p Printer) -> Result<Self> {
        Ok(if printer.format == Format::Junit {
            Self::Junit(quick_junit::Report::new("epc validate"), None)
        } else {
            Self::Records(printer.sink("results", &["source", "result", "schema", "details"])?, printer)
        })
    }

    fn row(&mut self, row: Row) -> Result<()> {
        match self {
            Self::Records(sink, printer) => {
                let printer = *printer;
                sink.push_serialize(|with_type| ResultRecord::new(&row, with_type), || table_row(printer, &row))?;
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
                    s.set_type(outcome_name(&row));
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
            Self::Records(sink, _) => {
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

    fn finish(self, c: &Counts) -> Result<()> {
        match self {
            Self::Records(sink, _) => sink.finish(json!({
                "type": "summary", "events": c.events, "valid": c.valid, "invalid": c.invalid,
                "unresolved": c.unresolved, "malformed": c.malformed, "input_errors": c.input_errors,
            }))?,
            Self::Junit(mut report, suite) => {
                if let Some(done) = suite {
                    report.add_test_suite(done);
                }
                let mut out = std::io::stdout().lock();
                report.serialize(&mut out).context("cannot write the JUnit report")?;
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
