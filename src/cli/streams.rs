//! `epc streams`: list stream config, or show named streams in full.
//!
//! JSON records (`--format json` wraps them in `{"streams": [...], "summary": {...}}`,
//! `--format ndjson` prints one per line with `"type"`):
//!
//! - listing: `{"type":"stream","stream","regex","schema_title","destination_event_service",
//!   "sample","metrics_platform_events","cc_streams","problems","warnings"}`, and the summary
//!   `{"type":"summary","streams","regex","sampled","invalid_sample","with_problems","with_warnings","configured"}`
//!   (`sampled` counts streams whose `sample` is valid; `invalid_sample` those whose `sample` is not)
//! - named: `{"type":"stream_config","stream","matched":{"kind","key"},"stream_config",
//!   "cc_streams","problems","warnings"}`

use anyhow::Result;
use clap::Args;
use comfy_table::Cell;
use serde_json::{Map, Value, json};

use super::{ExitStatus, Hinted, StreamConfigArgs, read_lines};
use crate::output::{Format, Printer, table};
use epc::constraint::Constraints;
use epc::source::Origin;
use epc::stream::{ConfigProblem, MatchKind, StreamConfig, StreamConfigs, known_event_service};

/// Arguments of `epc streams`.
#[derive(Debug, Args)]
pub(crate) struct StreamsArgs {
    /// Streams to show in full (exact names; regex-configured streams resolve too).
    #[arg(value_name = "STREAM", add = clap_complete::ArgValueCompleter::new(super::completions::stream_names))]
    names: Vec<String>,
    /// Read more stream names from a file (one per line, `-` for stdin).
    #[arg(long, value_name = "FILE|-")]
    streams_file: Option<String>,
    /// Only streams whose settings match KEY=VALUE (EventStreamConfig semantics; nested keys as a[b]=c).
    #[arg(long = "constraint", value_name = "KEY=VALUE")]
    constraints: Vec<String>,
    /// Only streams whose name or schema title contains TEXT (case-insensitive).
    #[arg(long = "match", value_name = "TEXT")]
    match_text: Option<String>,
    #[command(flatten)]
    source: StreamConfigArgs,
}

pub(crate) fn run(args: &StreamsArgs, printer: &Printer) -> Result<ExitStatus> {
    let constraints = Constraints::parse(&args.constraints)?;
    let mut names = args.names.clone();
    if let Some(file) = &args.streams_file {
        names.extend(read_lines(file)?.into_iter().map(|(_, l)| l));
    }
    if names.is_empty() {
        let loaded = args.source.load(printer, &[], &constraints)?;
        let bare_empty = loaded.configs.is_empty()
            && !loaded.configs.has_streams_member()
            && matches!(loaded.origin, Origin::File(_) | Origin::Stdin);
        if bare_empty {
            return empty_document(&args.source.stream_config, printer);
        }
        list(args, &loaded.configs, &constraints, printer)
    } else {
        let loaded = args.source.load(printer, &names, &constraints)?;
        show(&names, &loaded.configs, &args.source.stream_config, printer)
    }
}

/// A stream config file (or stdin) that is `{}`: neither a `streams` object
/// (an API answer, which may rightly hold no streams when none matched) nor
/// any stream entry. That is almost always the wrong file, so it is a
/// finding: a warning and exit 1 (the empty listing is still printed).
fn empty_document(source: &str, printer: &Printer) -> Result<ExitStatus> {
    let summary = json!({
        "type": "summary", "streams": 0, "regex": 0, "sampled": 0, "invalid_sample": 0,
        "with_problems": 0, "with_warnings": 0, "configured": 0,
    });
    printer.records("streams", Vec::new(), summary, |_| None)?;
    printer.warning(format!("{source} configures no streams: it has no `streams` object and no stream entries"));
    printer
        .hint("give an action=streamconfigs answer (`{\"streams\": {…}}`) or a map of stream names to their settings");
    Ok(ExitStatus::Findings)
}

/// The listing's `cc` cell: the cc stream names, comma-separated, cut after
/// [`CC_CELL_CHARS`] characters with a count of the rest (`a.b, a.c, … (+12
/// more)`); the JSON record holds them all.
fn cc_cell(cc: &[&str]) -> String {
    let mut out = String::new();
    for (i, name) in cc.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        if i > 0 && out.chars().count() + sep.len() + name.chars().count() > CC_CELL_CHARS {
            out.push_str(&format!(", … (+{} more)", cc.len() - i));
            break;
        }
        out.push_str(sep);
        out.push_str(name);
    }
    out
}

/// Width after which the `cc` cell is cut (the first name is always whole).
const CC_CELL_CHARS: usize = 60;

fn sample_summary(config: &StreamConfig) -> String {
    match config.sample() {
        Ok(Some(s)) => format!("{} {}", s.unit, s.rate.get()),
        Ok(None) => "-".into(),
        Err(p) => format!("INVALID: {}", p.field()),
    }
}

fn problems_json(problems: &[ConfigProblem]) -> Value {
    Value::Array(problems.iter().map(|p| json!({"field": p.field, "message": p.message})).collect())
}

/// The listing's `config` cell: `2 problems, 1 warning`, empty when clean.
fn findings_cell(printer: &Printer, problems: usize, warnings: usize) -> Cell {
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let mut parts = Vec::new();
    if problems > 0 {
        parts.push(plural(problems, "problem"));
    }
    if warnings > 0 {
        parts.push(plural(warnings, "warning"));
    }
    let text = parts.join(", ");
    if problems > 0 { table::alert(printer, text) } else { Cell::new(text) }
}

/// One listing record, serialized straight to the output (the keys in the
/// order the module documentation gives; `type` only in NDJSON).
#[derive(serde::Serialize)]
struct ListRecord<'a> {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    stream: &'a str,
    regex: bool,
    schema_title: Option<&'a str>,
    destination_event_service: Option<&'a str>,
    sample: Option<&'a Value>,
    metrics_platform_events: Vec<&'a str>,
    cc_streams: &'a [&'a str],
    problems: Vec<Finding<'a>>,
    warnings: Vec<Finding<'a>>,
}

/// A config problem or warning as `{"field", "message"}`.
#[derive(serde::Serialize)]
struct Finding<'a> {
    field: &'a str,
    message: &'a str,
}

fn findings(problems: &[ConfigProblem]) -> Vec<Finding<'_>> {
    problems.iter().map(|p| Finding { field: &p.field, message: &p.message }).collect()
}

fn list(
    args: &StreamsArgs,
    configs: &StreamConfigs,
    constraints: &Constraints,
    printer: &Printer,
) -> Result<ExitStatus> {
    let needle = args.match_text.as_deref().map(str::to_lowercase);
    let selected: Vec<&StreamConfig> = configs
        .iter()
        .filter(|c| constraints.matches(c))
        .filter(|c| {
            needle.as_deref().is_none_or(|n| {
                c.key().to_lowercase().contains(n) || c.schema_title().is_some_and(|t| t.to_lowercase().contains(n))
            })
        })
        .collect();
    let (mut problem_count, mut warning_count) = (0usize, 0usize);
    // Records go out one at a time (a table a batch of rows at a time), so
    // memory holds the stream config, not a second copy of it as output.
    let mut sink = printer.streaming_sink(
        "streams",
        &["stream", "schema title", "destination event service", "sampling", "MP events", "cc", "config"],
    )?;
    for c in &selected {
        let problems = c.problems();
        let warnings = c.warnings();
        for w in &warnings {
            printer.warning(w);
        }
        for p in &problems {
            printer.warning(format!("config problem: {p}"));
        }
        problem_count += usize::from(!problems.is_empty());
        warning_count += usize::from(!warnings.is_empty());
        let cc: Vec<&str> = if c.is_regex() { Vec::new() } else { configs.cc_streams(c.key()) };
        sink.push_serialize(
            |typed| ListRecord {
                kind: typed.then_some("stream"),
                stream: c.key(),
                regex: c.is_regex(),
                schema_title: c.schema_title(),
                destination_event_service: c.destination_event_service(),
                sample: c.sample_raw(),
                metrics_platform_events: c.metrics_platform_events(),
                cc_streams: &cc,
                problems: findings(&problems),
                warnings: findings(&warnings),
            },
            || {
                let sampling = sample_summary(c);
                vec![
                    Cell::new(c.key()),
                    Cell::new(c.schema_title().unwrap_or("-")),
                    Cell::new(c.destination_event_service().unwrap_or("-")),
                    if sampling.starts_with("INVALID") { table::alert(printer, sampling) } else { Cell::new(sampling) },
                    Cell::new(c.metrics_platform_events().join(", ")),
                    Cell::new(cc_cell(&cc)),
                    findings_cell(printer, problems.len(), warnings.len()),
                ]
            },
        )?;
    }
    // A `sample` that does not parse samples nothing: counted as invalid, not sampled.
    let sampled = selected.iter().filter(|c| matches!(c.sample(), Ok(Some(_)))).count();
    let invalid_sample = selected.iter().filter(|c| c.sample().is_err()).count();
    let regex = selected.iter().filter(|c| c.is_regex()).count();
    let summary = json!({
        "type": "summary", "streams": selected.len(), "regex": regex, "sampled": sampled,
        "invalid_sample": invalid_sample,
        "with_problems": problem_count, "with_warnings": warning_count, "configured": configs.len(),
    });
    sink.finish(summary)?;
    if printer.format == Format::Table {
        let invalid =
            if invalid_sample > 0 { format!("{invalid_sample} with an invalid sample, ") } else { String::new() };
        printer.note(format!(
            "{} of {} {} ({regex} regex-keyed, {sampled} sampled, {invalid}{problem_count} with config problems, \
             {warning_count} with warnings)",
            selected.len(),
            configs.len(),
            if configs.len() == 1 { "stream" } else { "streams" }
        ));
    }
    // EventGate and the clients select streams by constraint too, so a stream
    // naming an unknown service is left out here exactly as it is in production.
    let hidden = configs
        .iter()
        .filter(|c| !constraints.matches(c))
        .filter(|c| c.destination_event_service().is_some_and(|s| !known_event_service(s)))
        .count();
    if hidden > 0 {
        let (what, name, it) = if hidden == 1 { ("stream", "names", "it") } else { ("streams", "name", "them") };
        printer.note(format!(
            "{hidden} {what} left out by --constraint {name} an unknown destination_event_service; \
             run without --constraint to see {it}"
        ));
    }
    Ok(if problem_count > 0 { ExitStatus::Findings } else { ExitStatus::Success })
}

/// The entry a name resolved to: exact or regex, and the key. An exact hit in
/// an API response whose `stream` setting is a regex was regex-configured
/// (the API keys results by the requested name; epc-spec.md §1.1 rule 3).
fn matched_entry<'a>(name: &str, config: &'a StreamConfig, kind: MatchKind) -> (MatchKind, &'a str) {
    if kind == MatchKind::Exact
        && let Some(Value::String(s)) = config.settings().get("stream")
        && s != name
        && s.starts_with('/')
    {
        return (MatchKind::Regex, s.as_str());
    }
    (kind, config.key())
}

fn show(names: &[String], configs: &StreamConfigs, source: &str, printer: &Printer) -> Result<ExitStatus> {
    let mut records = Vec::new();
    let mut missing = Vec::new();
    let mut any_problem = false;
    for name in names {
        let Some(resolved) = configs.resolve(name) else {
            missing.push(name.as_str());
            continue;
        };
        let (kind, key) = matched_entry(name, resolved.config, resolved.matched);
        let problems = resolved.config.problems();
        let warnings = resolved.config.warnings();
        any_problem |= !problems.is_empty();
        for p in &problems {
            printer.warning(format!("config problem: {p}"));
        }
        for w in &warnings {
            printer.warning(w);
        }
        records.push(json!({
            "type": "stream_config",
            "stream": name,
            "matched": {"kind": kind.as_str(), "key": key},
            "stream_config": resolved.config.settings(),
            "cc_streams": configs.cc_streams(name),
            "problems": problems_json(&problems),
            "warnings": problems_json(&warnings),
        }));
    }
    let summary = json!({"type": "summary", "streams": records.len(), "missing": missing});
    printer.records("streams", records, summary, |records| {
        let mut out: Vec<String> = Vec::new();
        for r in records {
            let stream = r["stream"].as_str().unwrap_or_default();
            let (kind, key) =
                (r["matched"]["kind"].as_str().unwrap_or_default(), r["matched"]["key"].as_str().unwrap_or_default());
            let how = if kind == "regex" { format!("matched regex entry {key}") } else { "exact entry".to_owned() };
            out.push(format!("stream {stream} ({how})"));
            let mut t = table::new(printer, &["setting", "value"]);
            let mut rows = Vec::new();
            if let Value::Object(settings) = &r["stream_config"] {
                flatten("", settings, &mut rows);
            }
            for (k, v) in rows {
                t.add_row(vec![Cell::new(k), Cell::new(v)]);
            }
            let cc: Vec<&str> =
                r["cc_streams"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
            t.add_row(vec![
                Cell::new("(cc streams)"),
                Cell::new(if cc.is_empty() { "-".to_owned() } else { cc.join(", ") }),
            ]);
            for p in r["problems"].as_array().into_iter().flatten() {
                t.add_row(vec![table::alert(printer, "(problem)"), table::alert(printer, finding_text(p))]);
            }
            for w in r["warnings"].as_array().into_iter().flatten() {
                t.add_row(vec![Cell::new("(warning)"), Cell::new(finding_text(w))]);
            }
            out.push(table::render(&t));
            out.push(String::new());
        }
        (!out.is_empty()).then(|| out.join("\n"))
    })?;
    if !missing.is_empty() {
        let first = missing[0];
        let hint = configs
            .suggest(first)
            .map(|s| format!("did you mean `{s}`?"))
            .or_else(|| Some("run `epc streams` to list the configured streams".into()));
        let what = if missing.len() == 1 {
            format!("stream `{first}` is")
        } else {
            format!("streams `{}` are", missing.join("`, `"))
        };
        return Err(Hinted::error(format!("{what} not configured in {source}"), hint));
    }
    Ok(if any_problem { ExitStatus::Findings } else { ExitStatus::Success })
}

/// A `{field, message}` record as `field: message`.
fn finding_text(record: &Value) -> String {
    format!("{}: {}", record["field"].as_str().unwrap_or(""), record["message"].as_str().unwrap_or(""))
}

/// Nested settings as dotted keys with compact JSON values (objects recurse; lists stay whole).
fn flatten(prefix: &str, map: &Map<String, Value>, out: &mut Vec<(String, String)>) {
    if map.is_empty() && !prefix.is_empty() {
        out.push((prefix.to_owned(), "{}".into()));
    }
    for (k, v) in map {
        let k = if k.contains('.') { format!("\"{k}\"") } else { k.clone() };
        let key = if prefix.is_empty() { k } else { format!("{prefix}.{k}") };
        match v {
            Value::Object(m) => flatten(&key, m, out),
            Value::String(s) => out.push((key, s.clone())),
            other => out.push((key, other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cc_cells_list_names_and_cut_long_lists_with_a_count() {
        assert_eq!(cc_cell(&[]), "");
        assert_eq!(cc_cell(&["a.b", "a.c"]), "a.b, a.c");
        let long = "x".repeat(70);
        assert_eq!(cc_cell(&[&long, "a.b"]), format!("{long}, … (+1 more)"));
        let names: Vec<String> = (0..20).map(|i| format!("stream.child_{i:02}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(cc_cell(&names), "stream.child_00, stream.child_01, stream.child_02, … (+17 more)");
    }
}
