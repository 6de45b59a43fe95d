//! comfy-table builders: box drawing on a terminal, plain aligned columns in pipes.

use comfy_table::{Cell, Color, ContentArrangement, Table, presets};

use super::Printer;

/// A table with `header`, styled for where stdout goes.
pub(crate) fn new(printer: &Printer, header: &[&str]) -> Table {
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
    table.set_header(header.iter().map(Cell::new));
    if !printer.stdout_is_terminal() {
        for column in table.column_iter_mut() {
            column.set_padding((0, 2));
        }
    }
    table
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
