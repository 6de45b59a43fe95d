//! Everything epc writes: results on stdout, everything else on stderr.
//!
//! The [`Printer`] is built once at start-up from `--format`, `--color`,
//! `--quiet`, `NO_COLOR` and whether the streams are terminals, and is the only
//! thing that writes to stdout or stderr (style.md §7.4).

pub(crate) mod table;

use std::fmt::Display;
use std::io::{self, IsTerminal, Write};

use clap::ValueEnum;
use serde_json::Value;

/// The shape of results on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum Format {
    /// Aligned columns for people (the default).
    #[default]
    Table,
    /// One JSON document: the results and a summary.
    Json,
    /// One JSON record per line, each with a `type`, then a `summary` record.
    Ndjson,
    /// JUnit XML for CI (`epc validate` only): one test case per event.
    /// Not listed among the possible values: only `epc validate` takes it.
    #[value(hide = true)]
    Junit,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum ColorChoice {
    /// Colour when the stream is a terminal, `NO_COLOR` is unset or empty and `TERM` is not `dumb`.
    #[default]
    Auto,
    /// Always colour tables and messages.
    Always,
    /// Never colour.
    Never,
}

/// The process's output channels and their settings.
#[derive(Debug, Clone)]
pub(crate) struct Printer {
    pub(crate) format: Format,
    pub(crate) quiet: bool,
    color_stdout: bool,
    color_stderr: bool,
    stdout_tty: bool,
    stderr_tty: bool,
}

impl Printer {
    pub(crate) fn new(format: Format, color: ColorChoice, quiet: bool) -> Self {
        let stdout_tty = io::stdout().is_terminal();
        let stderr_tty = io::stderr().is_terminal();
        let env_allows = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::env::var_os("TERM").is_none_or(|t| t != "dumb");
        let decide = |tty: bool| match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => tty && env_allows,
        };
        let color_stdout = decide(stdout_tty) && format == Format::Table;
        if color_stdout {
            // comfy-table styles through crossterm, which reads NO_COLOR itself
            // and then writes bare `ESC[m` sequences: an explicit `--color
            // always` wins over NO_COLOR (`auto` has already honoured it).
            crossterm::style::Colored::set_ansi_color_disabled(false);
        }
        Self { format, quiet, color_stdout, color_stderr: decide(stderr_tty), stdout_tty, stderr_tty }
    }

    /// Whether stdout is a terminal (tables wrap and use box drawing there).
    pub(crate) fn stdout_is_terminal(&self) -> bool {
        self.stdout_tty
    }

    /// Whether table cells may be coloured.
    pub(crate) fn color_stdout(&self) -> bool {
        self.color_stdout
    }

    /// Whether a progress bar may be drawn on stderr.
    pub(crate) fn progress_allowed(&self) -> bool {
        self.stderr_tty && !self.quiet
    }

    /// Writes a line of results to stdout.
    pub(crate) fn line(&self, text: impl Display) -> io::Result<()> {
        let mut out = io::stdout().lock();
        writeln!(out, "{text}")?;
        out.flush()
    }

    /// Writes one compact JSON value and a newline to stdout.
    pub(crate) fn json_line(&self, value: &Value) -> io::Result<()> {
        let mut out = io::stdout().lock();
        serde_json::to_writer(&mut out, value)?;
        out.write_all(b"\n")?;
        out.flush()
    }

    /// Writes one pretty JSON document to stdout.
    pub(crate) fn json_document(&self, value: &Value) -> io::Result<()> {
        // Buffered: stdout itself flushes at every newline of the pretty output.
        let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
        serde_json::to_writer_pretty(&mut out, value)?;
        out.write_all(b"\n")?;
        out.flush()
    }

    /// Prints result records in the chosen format: the text that `table` renders
    /// from them (nothing when it returns `None`), one JSON document
    /// `{"<key>": [records without "type"], "summary": {…}}`, or NDJSON (each
    /// record, then the summary record).
    pub(crate) fn records(
        &self,
        key: &str,
        records: Vec<Value>,
        summary: Value,
        table: impl FnOnce(&[Value]) -> Option<String>,
    ) -> io::Result<()> {
        match self.format {
            Format::Table => {
                if let Some(text) = table(&records) {
                    self.line(text)?;
                }
            }
            Format::Json => {
                let records: Vec<Value> = records.into_iter().map(without_type).collect();
                let mut doc = serde_json::Map::new();
                doc.insert(key.to_owned(), Value::Array(records));
                doc.insert("summary".to_owned(), without_type(summary));
                self.json_document(&Value::Object(doc))?;
            }
            Format::Ndjson | Format::Junit => {
                for r in &records {
                    self.json_line(r)?;
                }
                self.json_line(&summary)?;
            }
        }
        Ok(())
    }

    /// A sink that writes records as they come (ndjson, json) or keeps table
    /// rows to print them as one table at the end.
    pub(crate) fn sink(&self, key: &'static str, header: &[&str]) -> io::Result<RecordSink<'_>> {
        self.new_sink(key, (self.format == Format::Table).then(|| Rows::Whole(table::new(self, header))))
    }

    /// A sink whose table too is printed as it goes: each
    /// [`RecordSink::flush`] prints the rows pushed since the last one (and
    /// so does every 4096th row), sized by the first batch.
    pub(crate) fn streaming_sink(&self, key: &'static str, header: &[&str]) -> io::Result<RecordSink<'_>> {
        self.new_sink(key, (self.format == Format::Table).then(|| Rows::Streaming(table::Streaming::new(header))))
    }

    fn new_sink(&self, key: &'static str, table: Option<Rows>) -> io::Result<RecordSink<'_>> {
        let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
        if self.format == Format::Json {
            write!(out, "{{\n  \"{key}\": [")?;
        }
        Ok(RecordSink { printer: self, out, count: 0, table })
    }

    fn stderr_line(&self, label: &str, ansi: &str, text: &dyn Display) {
        let mut err = io::stderr().lock();
        let _ = if self.color_stderr {
            writeln!(err, "\x1b[{ansi}m{label}:\x1b[0m {text}")
        } else {
            writeln!(err, "{label}: {text}")
        };
    }

    /// `error: …` on stderr, always shown.
    pub(crate) fn error(&self, text: impl Display) {
        self.stderr_line("error", "1;31", &text);
    }

    /// `  caused by: …` on stderr, always shown.
    pub(crate) fn caused_by(&self, text: impl Display) {
        let _ = writeln!(io::stderr().lock(), "  caused by: {text}");
    }

    /// `warning: …` on stderr, always shown.
    pub(crate) fn warning(&self, text: impl Display) {
        self.stderr_line("warning", "1;33", &text);
    }

    /// `hint: …` on stderr, hidden by `--quiet`.
    pub(crate) fn hint(&self, text: impl Display) {
        if !self.quiet {
            self.stderr_line("hint", "1;36", &text);
        }
    }

    /// An informational line on stderr (summaries, sources), hidden by `--quiet`.
    pub(crate) fn note(&self, text: impl Display) {
        if !self.quiet {
            let _ = writeln!(io::stderr().lock(), "{text}");
        }
    }
}

/// Writes result records one at a time, so output memory stays flat however
/// many records there are (except for whole tables, which need every row to
/// size their columns; a streaming table holds one batch). JSON documents
/// are `{"<key>": [one record per line], "summary": {…}}`.
pub(crate) struct RecordSink<'p> {
    printer: &'p Printer,
    out: io::BufWriter<io::StdoutLock<'static>>,
    count: usize,
    table: Option<Rows>,
}

/// The rows of a table sink.
enum Rows {
    /// Every row, printed as one table by [`RecordSink::finish`].
    Whole(comfy_table::Table),
    /// Printed a batch at a time.
    Streaming(table::Streaming),
}

/// Rows a streaming table holds at most before printing them (a caller
/// that flushes more often decides when rows are written). Rendering takes
/// a few KiB per row held.
const TABLE_BATCH: usize = 4096;

impl RecordSink<'_> {
    /// Adds one record; `row` builds its table row and is only called for tables.
    pub(crate) fn push(&mut self, record: Value, row: impl FnOnce(&Value) -> Vec<comfy_table::Cell>) -> io::Result<()> {
        match self.printer.format {
            Format::Table => {
                let cells = row(&record);
                self.add_row(cells)?;
            }
            Format::Json => {
                self.out.write_all(if self.count == 0 { b"\n    " } else { b",\n    " })?;
                serde_json::to_writer(&mut self.out, &without_type(record))?;
            }
            Format::Ndjson | Format::Junit => {
                serde_json::to_writer(&mut self.out, &record)?;
                self.out.write_all(b"\n")?;
            }
        }
        self.count += 1;
        Ok(())
    }

    /// Adds one record written straight from a serializable value (no
    /// [`Value`] built per record): `record(true)` must serialize as the
    /// record with its `type` key first, `record(false)` as the same record
    /// without it (for `--format json`). `row` is only called for tables.
    pub(crate) fn push_serialize<T: serde::Serialize>(
        &mut self,
        record: impl FnOnce(bool) -> T,
        row: impl FnOnce() -> Vec<comfy_table::Cell>,
    ) -> io::Result<()> {
        match self.printer.format {
            Format::Table => self.add_row(row())?,
            Format::Json => {
                self.out.write_all(if self.count == 0 { b"\n    " } else { b",\n    " })?;
                serde_json::to_writer(&mut self.out, &record(false))?;
            }
            Format::Ndjson | Format::Junit => {
                serde_json::to_writer(&mut self.out, &record(true))?;
                self.out.write_all(b"\n")?;
            }
        }
        self.count += 1;
        Ok(())
    }

    fn add_row(&mut self, cells: Vec<comfy_table::Cell>) -> io::Result<()> {
        match &mut self.table {
            Some(Rows::Whole(t)) => {
                t.add_row(cells);
            }
            Some(Rows::Streaming(t)) => {
                t.push(cells);
                if t.len() >= TABLE_BATCH {
                    self.print_rows()?;
                }
            }
            None => {}
        }
        Ok(())
    }

    /// Prints the rows a streaming table holds.
    fn print_rows(&mut self) -> io::Result<()> {
        if let Some(Rows::Streaming(t)) = &mut self.table {
            t.write(self.printer, &mut self.out)?;
        }
        Ok(())
    }

    /// Rows a streaming table holds, not yet printed.
    pub(crate) fn held(&self) -> usize {
        match &self.table {
            Some(Rows::Streaming(t)) => t.len(),
            _ => 0,
        }
    }

    /// Writes out what is held: a streaming table's rows, and the buffer.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.print_rows()?;
        self.out.flush()
    }

    /// Ends the output with the summary record.
    pub(crate) fn finish(mut self, summary: Value) -> io::Result<()> {
        match self.printer.format {
            Format::Table => match &mut self.table {
                Some(Rows::Whole(t)) if self.count > 0 => writeln!(self.out, "{}", table::render(t))?,
                Some(Rows::Streaming(_)) => {
                    self.print_rows()?;
                    if let Some(Rows::Streaming(t)) = &mut self.table
                        && let Some(end) = t.end()
                    {
                        writeln!(self.out, "{end}")?;
                    }
                }
                _ => {}
            },
            Format::Json => {
                self.out.write_all(if self.count == 0 {
                    b"],\n  \"summary\": "
                } else {
                    b"\n  ],\n  \"summary\": "
                })?;
                serde_json::to_writer(&mut self.out, &without_type(summary))?;
                self.out.write_all(b"\n}\n")?;
            }
            Format::Ndjson | Format::Junit => {
                serde_json::to_writer(&mut self.out, &summary)?;
                self.out.write_all(b"\n")?;
            }
        }
        self.out.flush()
    }
}

/// A record without its `type` key (other keys keep their order).
fn without_type(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        m.shift_remove("type");
    }
    v
}

/// Writes a JUnit report to stdout. A write error comes back as the
/// [`io::Error`] itself (quick-junit wraps it where [`is_broken_pipe`] cannot
/// see it), so a closed stdout is told apart from a report that cannot be built.
pub(crate) fn write_junit(report: &quick_junit::Report) -> anyhow::Result<()> {
    /// Stdout, keeping the first write error.
    struct Out<W> {
        inner: W,
        error: Option<io::Error>,
    }
    impl<W: Write> Write for Out<W> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.inner.write(buf).inspect_err(|e| {
                self.error.get_or_insert_with(|| io::Error::new(e.kind(), e.to_string()));
            })
        }
        fn flush(&mut self) -> io::Result<()> {
            self.inner.flush().inspect_err(|e| {
                self.error.get_or_insert_with(|| io::Error::new(e.kind(), e.to_string()));
            })
        }
    }
    let mut out = Out { inner: io::BufWriter::with_capacity(1 << 16, io::stdout().lock()), error: None };
    let written = report.serialize(&mut out).and_then(|()| out.flush().map_err(Into::into));
    match (written, out.error.take()) {
        (Ok(()), _) => Ok(()),
        (Err(_), Some(e)) => Err(anyhow::Error::new(e).context("cannot write the JUnit report")),
        (Err(e), None) => Err(anyhow::Error::new(e).context("cannot write the JUnit report")),
    }
}

/// Whether an error chain ends in a broken pipe (stdout closed by `head`, …).
pub(crate) fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| c.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe))
}

/// A progress style whose `{per_sec}` is a whole number (`5,867/s`), not
/// indicatif's four decimals (`5,867.3394/s`).
pub(crate) fn whole_per_sec(style: indicatif::ProgressStyle) -> indicatif::ProgressStyle {
    style.with_key("per_sec", |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
        let _ = write!(w, "{}", per_sec_text(state.per_sec()));
    })
}

/// `5867.3394` → `5,867/s` (rounded; not finite or negative → `0/s`).
pub(crate) fn per_sec_text(per_sec: f64) -> String {
    let whole = if per_sec.is_finite() && per_sec > 0.0 { per_sec.round() as u64 } else { 0 };
    format!("{}/s", indicatif::HumanCount(whole))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_whole_numbers_per_second() {
        assert_eq!(per_sec_text(5_867.339_4), "5,867/s");
        assert_eq!(per_sec_text(0.4), "0/s");
        assert_eq!(per_sec_text(1_234_567.5), "1,234,568/s");
        assert_eq!(per_sec_text(f64::NAN), "0/s");
    }
}
