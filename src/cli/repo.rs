//! `epc validate --repo DIR`: a schema repository's CI checks (jsonschema-tools'
//! tests), reported per check and subject. `$ref`s into other repositories
//! resolve against `--schema-repo`s, `--schema-base-uri`s and the
//! repository's `schemaBaseUris` (remote ones fetched and cached).
//!
//! Records (`--format ndjson`; `--format json` wraps them in `{"results": [...], "summary": {...}}`):
//! `{"type":"case","check":"C1","skip_name":"schema-version-compatibility","title":…,"subject",
//! "status":"pass|fail|skip","messages":[…],"line"}`, then
//! `{"type":"summary","checks":{"C1":{"pass","fail","skip"},…},"pass","fail","skip"}`.
//! `--format junit`: one test suite per check, one test case per subject, skips as skipped.
//! `--since REV` adds S18 (published version files changed since the git revision REV).

use std::path::Path;

use anyhow::Result;
use comfy_table::Cell;
use serde_json::{Map, Value, json};

use super::{ExitStatus, Hinted};
use crate::output::{Format, Printer, table};
use epc::repo_check::{self, CaseResult, CaseStatus, CheckId, Mode, Report};
use epc::schema::repository::{SchemaError, SchemaSources};

pub(crate) fn run(
    repo: &Path,
    sources: SchemaSources,
    compat: bool,
    since: Option<&str>,
    printer: &Printer,
) -> Result<ExitStatus> {
    let mode = if compat { Mode::Compatible } else { Mode::Strict };
    let since = since.map(|rev| repo_check::since::changed_since(repo, rev)).transpose()?;
    let hint = if sources.http.offline {
        "run once without --offline to fill the schema cache, or give a local checkout of that repository \
         with --schema-repo DIR"
    } else {
        "give a local checkout of that repository with --schema-repo DIR, or pass --offline to use the schema \
         cache of an earlier run"
    };
    let report = repo_check::check_repository_since(repo, sources, mode, since).map_err(|e| match &e {
        SchemaError::BaseUnavailable { .. } => Hinted::error(e.to_string(), Some(hint.into())),
        _ => anyhow::Error::new(e),
    })?;
    for note in &report.notes {
        printer.warning(note);
    }
    let written = match printer.format {
        Format::Junit => junit(&report),
        _ => records(&report, printer),
    };
    summary_note(&report, printer);
    match written {
        // A closed stdout (`| head`) is not success: the report was not all read.
        Err(e) if crate::output::is_broken_pipe(&e) => {
            printer.error("stdout was closed before the whole report was written");
            Ok(ExitStatus::Error)
        }
        Err(e) => Err(e),
        Ok(()) => Ok(if report.failed() { ExitStatus::Findings } else { ExitStatus::Success }),
    }
}

fn status_name(s: CaseStatus) -> &'static str {
    match s {
        CaseStatus::Pass => "pass",
        CaseStatus::Fail => "fail",
        CaseStatus::Skip => "skip",
    }
}

/// One case as a JSON record, serialized straight from the result:
/// `{"type": "case", "check", "skip_name", "title", "subject", "status",
/// "messages", "line"}` (`type` only in NDJSON and JUnit's JSON forms).
#[derive(serde::Serialize)]
struct CaseRecord<'a> {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    check: &'static str,
    skip_name: Option<&'static str>,
    title: &'static str,
    subject: &'a str,
    status: &'static str,
    messages: &'a [String],
    line: Option<u64>,
}

impl<'a> CaseRecord<'a> {
    fn new(r: &'a CaseResult, with_type: bool) -> Self {
        Self {
            kind: with_type.then_some("case"),
            check: r.check.code(),
            skip_name: r.check.skip_name(),
            title: r.check.title(),
            subject: &r.subject,
            status: status_name(r.status),
            messages: &r.messages,
            line: r.line,
        }
    }
}

fn summary(report: &Report) -> Value {
    let mut checks = Map::new();
    let (mut p, mut f, mut s) = (0, 0, 0);
    let counts = report.counts_by_check();
    for c in CheckId::ALL {
        let (cp, cf, cs) = counts.get(&c).copied().unwrap_or_default();
        if cp + cf + cs > 0 {
            checks.insert(c.code().to_owned(), json!({"pass": cp, "fail": cf, "skip": cs}));
        }
        (p, f, s) = (p + cp, f + cf, s + cs);
    }
    json!({"type": "summary", "checks": checks, "pass": p, "fail": f, "skip": s})
}

fn records(report: &Report, printer: &Printer) -> Result<()> {
    let mut sink = printer.sink("results", &["check", "skip name", "subject", "result", "message"])?;
    for r in &report.results {
        // A table lists failures (and skips) only; JSON lists every case.
        if printer.format == Format::Table && r.status == CaseStatus::Pass {
            continue;
        }
        sink.push_serialize(
            |with_type| CaseRecord::new(r, with_type),
            || {
                vec![
                    Cell::new(r.check.code()),
                    Cell::new(r.check.skip_name().unwrap_or("-")),
                    Cell::new(match r.line {
                        Some(l) => format!("{}:{l}", r.subject),
                        None => r.subject.clone(),
                    }),
                    match r.status {
                        CaseStatus::Fail => table::alert(printer, "FAIL"),
                        CaseStatus::Skip => Cell::new("skip"),
                        CaseStatus::Pass => Cell::new("pass"),
                    },
                    Cell::new(r.messages.join("\n")),
                ]
            },
        )?;
    }
    sink.finish(summary(report))?;
    Ok(())
}

fn summary_note(report: &Report, printer: &Printer) {
    let mut lines = Vec::new();
    let counts = report.counts_by_check();
    for c in CheckId::ALL {
        let (p, f, s) = counts.get(&c).copied().unwrap_or_default();
        if p + f + s > 0 {
            lines.push(format!("  {:<4} {:<52} {p:>5} pass {f:>4} fail {s:>4} skip", c.code(), c.title()));
        }
    }
    let total = summary(report);
    printer.note(format!(
        "repository checks: {} pass, {} fail, {} skip\n{}",
        total["pass"],
        total["fail"],
        total["skip"],
        lines.join("\n")
    ));
}

fn junit(report: &Report) -> Result<()> {
    let mut junit = quick_junit::Report::new("epc validate --repo");
    for c in CheckId::ALL {
        let cases: Vec<&CaseResult> = report.results.iter().filter(|r| r.check == c).collect();
        if cases.is_empty() {
            continue;
        }
        let name = match c.skip_name() {
            Some(skip) => format!("{} {} ({skip})", c.code(), c.title()),
            None => format!("{} {}", c.code(), c.title()),
        };
        let mut suite = quick_junit::TestSuite::new(name);
        for r in cases {
            let status = match r.status {
                CaseStatus::Pass => quick_junit::TestCaseStatus::success(),
                CaseStatus::Skip => {
                    let mut s = quick_junit::TestCaseStatus::skipped();
                    s.set_message(r.messages.join("\n"));
                    s
                }
                CaseStatus::Fail => {
                    let mut s = quick_junit::TestCaseStatus::non_success(quick_junit::NonSuccessKind::Failure);
                    s.set_message(r.messages.first().cloned().unwrap_or_default());
                    s.set_description(r.messages.join("\n"));
                    s
                }
            };
            let mut case = quick_junit::TestCase::new(r.subject.clone(), status);
            case.set_classname(c.code());
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    crate::output::write_junit(&junit)
}
