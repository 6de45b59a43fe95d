//! comfy-table builders: box drawing on a terminal, plain aligned columns in pipes.

use std::io::{self, Write};

use comfy_table::{Cell, Color, ColumnConstraint, ContentArrangement, Table, Width, presets};

use super::Printer;

/// A table with `header`, styled for where stdout goes.
pub(crate) fn new(printer: &Printer, header: &[&str]) -> Table {
    let mut table = styled(printer);
    table.set_header(header.iter().map(Cell::new));
    pad(printer, &mut table);
    table
}

/// An empty table styled for where stdout goes (columns are padded by [`pad`]
/// once they exist).
fn styled(printer: &Printer) -> Table {
    let mut table = Table::new();
    if printer.stdout_is_terminal() {
        // No wrapping: identifiers and stream names must stay whole to be copied.
        table.load_preset(presets::UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Disabled);
    } else {
        table.load_preset(presets::NOTHING).force_no_tty();
    }
    if printer.color_stdout() {
        table.enforce_styling();
    }
    table
}

/// Plain columns in pipes are separated by two spaces, not by borders.
fn pad(printer: &Printer, table: &mut Table) {
    if !printer.stdout_is_terminal() {
        for column in table.column_iter_mut() {
            column.set_padding((0, 2));
        }
    }
}

/// A table printed a batch of rows at a time, so that rows show as they are
/// decided and memory holds one batch, never the whole table. The first batch
/// (with the header) sizes the columns; a later, wider cell widens its
/// column from its batch on (columns never narrow, so the table stays aligned
/// but for such a step). On a terminal the box is closed by [`Self::end`].
pub(crate) struct Streaming {
    header: Vec<String>,
    rows: Vec<Vec<Cell>>,
    /// Content widths of the columns printed so far (`None` before the first batch).
    widths: Option<Vec<u16>>,
    /// The bottom border of the last batch (terminal only), printed at the end.
    bottom: Option<String>,
}

impl Streaming {
    pub(crate) fn new(header: &[&str]) -> Self {
        Self { header: header.iter().map(|h| (*h).to_owned()).collect(), rows: Vec::new(), widths: None, bottom: None }
    }

    /// Holds a row until the next [`Self::take`].
    pub(crate) fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }

    /// Rows held.
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    /// Writes the rows held since the last call (the header first, the
    /// first time) to `out`, with trailing spaces trimmed.
    pub(crate) fn write(&mut self, printer: &Printer, out: &mut impl Write) -> io::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let first = self.widths.is_none();
        let mut table = styled(printer);
        if first {
            table.set_header(self.header.iter().map(Cell::new));
        }
        table.add_rows(self.rows.drain(..));
        pad(printer, &mut table);
        if let Some(widths) = &self.widths {
            for (column, width) in table.column_iter_mut().zip(widths) {
                let min = width.saturating_add(column.padding_width());
                column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(min)));
            }
        }
        let batch = table.column_max_content_widths();
        self.widths = Some(match self.widths.take() {
            Some(old) => old.iter().zip(&batch).map(|(a, b)| *a.max(b)).collect(),
            None => batch,
        });
        // Box drawing makes one box across batches: a later batch's top
        // border is dropped, and the bottom one is kept for the end.
        let boxed = printer.stdout_is_terminal();
        let mut lines = table.lines().peekable();
        if boxed && !first {
            lines.next();
        }
        while let Some(line) = lines.next() {
            if boxed && lines.peek().is_none() {
                self.bottom = Some(line.trim_end().to_owned());
                break;
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }

    /// What closes the table (a terminal's bottom border), once every row is taken.
    pub(crate) fn end(&mut self) -> Option<String> {
        self.bottom.take()
    }
}

/// The table as text, with trailing spaces trimmed from every line.
pub(crate) fn render(table: &Table) -> String {
    table.lines().map(|l| l.trim_end().to_owned()).collect::<Vec<_>>().join("\n")
}

/// An `in`/`out` cell, green or red when colour is on.
pub(crate) fn in_out(printer: &Printer, in_sample: bool) -> Cell {
    let cell = Cell::new(if in_sample { "in" } else { "out" });
    if printer.color_stdout() { cell.fg(if in_sample { Color::Green } else { Color::Red }) } else { cell }
}

/// A cell that stands out (problems, disagreements) when colour is on.
pub(crate) fn alert(printer: &Printer, text: impl std::fmt::Display) -> Cell {
    let cell = Cell::new(text);
    if printer.color_stdout() { cell.fg(Color::Yellow) } else { cell }
}
