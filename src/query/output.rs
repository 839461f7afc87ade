//! How an answer is written: an aligned table for a terminal (never cut without saying so),
//! CSV / TSV (formula-safe), JSON, NDJSON, Parquet (plain types) or an XLSX sheet (codes as
//! text, no cell Excel would evaluate).

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::frame::{self, Cell, DataFrame};

/// The formats of `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Tsv,
    Json,
    Ndjson,
    Parquet,
    Xlsx,
}

impl Format {
    /// Formats that are bytes for a file, never for a terminal.
    pub fn needs_file(self) -> bool {
        matches!(self, Format::Parquet | Format::Xlsx)
    }
}

/// Every cell of `df`, row by row.
fn cells(df: &DataFrame) -> Result<Vec<Vec<Cell>>> {
    let columns = frame::columns(df);
    (0..df.height())
        .map(|i| columns.iter().map(|c| frame::cell(c, i)).collect::<Result<Vec<_>>>())
        .collect()
}

fn names(df: &DataFrame) -> Vec<String> {
    frame::column_types(df).into_iter().map(|(n, _)| n).collect()
}

/// A cell as text: lists `;`-joined, nulls empty, floats as Rust prints them (shortest form
/// that reads back to the same number).
fn text(cell: &Cell) -> String {
    match cell {
        Cell::Null => String::new(),
        Cell::Float(x) => x.to_string(),
        Cell::Int(x) => x.to_string(),
        Cell::Bool(b) => b.to_string(),
        Cell::Text(t) | Cell::Other(t) => t.clone(),
        Cell::List(items) => items.join(";"),
    }
}

/// A cell as a terminal table shows it: floats to three decimals, trailing zeros dropped (a
/// small non-zero value in scientific notation, never as 0).
fn shown_text(cell: &Cell) -> String {
    match cell {
        Cell::Float(x) if *x != 0.0 && x.abs() < 0.0005 => format!("{x:.2e}"),
        Cell::Float(x) if x.is_finite() => {
            let t = format!("{x:.3}");
            let t = t.trim_end_matches('0').trim_end_matches('.');
            if t == "-0" { "0".into() } else { t.to_string() }
        }
        other => text(other),
    }
}

/// Text a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, carriage return first)
/// gets a leading `'`; numbers are written as numbers and never need it.
pub fn formula_safe(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.into()
    }
}

/// A failed write of the answer: a reader that went away (`| head`) ends the verb quietly.
fn write_failed(e: std::io::Error) -> Error {
    match e.kind() {
        std::io::ErrorKind::BrokenPipe => Error::OutputClosed,
        _ => Error::Internal(format!("writing the answer: {e}")),
    }
}

/// `df` as CSV (`,`) or TSV (tab) into `to`.
pub fn delimited(df: &DataFrame, delimiter: u8, to: &mut dyn Write) -> Result<()> {
    let mut w = csv::WriterBuilder::new().delimiter(delimiter).from_writer(to);
    let fail = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(io) => write_failed(io),
        other => Error::Internal(format!("writing the answer: {other:?}")),
    };
    w.write_record(names(df)).map_err(fail)?;
    for row in cells(df)? {
        let row: Vec<String> = row
            .iter()
            .map(|c| match c {
                Cell::Text(_) | Cell::List(_) | Cell::Other(_) => formula_safe(&text(c)),
                _ => text(c),
            })
            .collect();
        w.write_record(row).map_err(fail)?;
    }
    w.flush().map_err(write_failed)
}

fn json_value(cell: &Cell) -> serde_json::Value {
    use serde_json::Value;
    match cell {
        Cell::Null => Value::Null,
        Cell::Float(x) => serde_json::Number::from_f64(*x).map_or(Value::Null, Value::Number),
        Cell::Int(x) => Value::from(*x),
        Cell::Bool(b) => Value::Bool(*b),
        Cell::Text(t) | Cell::Other(t) => Value::String(t.clone()),
        Cell::List(items) => Value::Array(items.iter().cloned().map(Value::String).collect()),
    }
}

/// `df` as one JSON array of objects, or (`lines`) one object per line.
pub fn json(df: &DataFrame, lines: bool, to: &mut dyn Write) -> Result<()> {
    let header = names(df);
    let objects: Vec<serde_json::Value> = cells(df)?
        .iter()
        .map(|row| {
            let map = header.iter().cloned().zip(row.iter().map(json_value)).collect();
            serde_json::Value::Object(map)
        })
        .collect();
    let fail = write_failed;
    if lines {
        for o in &objects {
            writeln!(to, "{o}").map_err(fail)?;
        }
    } else {
        let all = serde_json::to_string_pretty(&objects)
            .map_err(|e| Error::Internal(format!("writing the answer: {e}")))?;
        writeln!(to, "{all}").map_err(fail)?;
    }
    Ok(())
}

/// `df` as one sheet `answer`: a header row, frozen; numbers as numbers, everything else as
/// text (a code stays a code; a string is never evaluated as a formula).
pub fn xlsx(df: &DataFrame, path: &Path) -> Result<()> {
    use rust_xlsxwriter::{Format as CellFormat, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| Error::Internal(format!("{}: {e}", path.display()));
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("answer").map_err(fail)?;
    let bold = CellFormat::new().set_bold();
    for (c, name) in names(df).iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, name, &bold).map_err(fail)?;
    }
    for (r, row) in cells(df)?.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Null => {}
                Cell::Float(x) if x.is_finite() => {
                    sheet.write_number(r, c, *x).map_err(fail)?;
                }
                Cell::Int(x) => {
                    sheet.write_number(r, c, *x as f64).map_err(fail)?;
                }
                Cell::Bool(b) => {
                    sheet.write_boolean(r, c, *b).map_err(fail)?;
                }
                other => {
                    sheet.write_string(r, c, text(other)).map_err(fail)?;
                }
            }
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(fail)?;
    sheet.autofit();
    book.save(path).map_err(fail)
}

/// Columns a text takes on a terminal: East Asian wide characters take two.
pub fn width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            if ('\u{1100}'..='\u{115F}').contains(&c)
                || ('\u{2E80}'..='\u{A4CF}').contains(&c)
                || ('\u{AC00}'..='\u{D7A3}').contains(&c)
                || ('\u{F900}'..='\u{FAFF}').contains(&c)
                || ('\u{FE30}'..='\u{FE4F}').contains(&c)
                || ('\u{FF00}'..='\u{FF60}').contains(&c)
                || ('\u{FFE0}'..='\u{FFE6}').contains(&c)
            {
                2
            } else {
                1
            }
        })
        .sum()
}

/// `df` as an aligned text table of at most `limit` rows; returns the table and whether rows
/// were left out.
pub fn table(df: &DataFrame, limit: usize) -> Result<(String, bool)> {
    let shown = frame::head(df, limit);
    let mut rows = vec![names(df)];
    rows.extend(cells(&shown)?.iter().map(|r| r.iter().map(shown_text).collect()));
    Ok((aligned(&rows) + "\n", df.height() > shown.height()))
}

/// Rows of text as columns padded to their widest cell, the first row a header underlined.
pub fn aligned(rows: &[Vec<String>]) -> String {
    let cols = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> =
        (0..cols).map(|c| rows.iter().map(|r| width(&r[c])).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for (n, row) in rows.iter().enumerate() {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell}{}", " ".repeat(w - width(cell))))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
        if n == 0 {
            out.push_str(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
            out.push('\n');
        }
    }
    out.trim_end().to_string()
}
