//! Reading one raw file into a table of text cells with the line (CSV) or row (XLSX) each
//! record came from. Nothing is typed here; records that cannot be aligned with the header
//! (ragged rows, blank rows) are set aside as quarantine rows so no record goes uncounted.

use std::path::Path;

use calamine::{Data, Reader, Xlsx};

use super::decode::decode;
use super::quarantine::Rejected;
use crate::error::{Error, Result};
use crate::spec::{Format, SourceSpec};

/// A raw file as text cells.
#[derive(Debug, Default)]
pub struct RawTable {
    /// Header names, trimmed, in file order.
    pub headers: Vec<String>,
    /// One entry per accepted record: its 1-based line (CSV) or row (XLSX).
    pub lines: Vec<i64>,
    /// Column-major cells; `None` for an empty cell.
    pub cells: Vec<Vec<Option<String>>>,
    /// Records rejected while reading (before typing).
    pub rejected: Vec<Rejected>,
    /// Data records read below the header, accepted or not.
    pub rows_read: usize,
    /// The sheet read, for XLSX.
    pub sheet: Option<String>,
    /// The encoding actually used, for CSV.
    pub encoding: Option<&'static str>,
}

/// Read a source file as declared.
pub fn read(source: &SourceSpec) -> Result<RawTable> {
    match source.format {
        Format::Csv => {
            let bytes = std::fs::read(&source.path).map_err(|e| Error::io(&source.path, e))?;
            let (text, used) = decode(&bytes, source.encoding).map_err(|e| Error::Input {
                file: source.path.clone(),
                location: format!("{} (byte {})", e.line, e.byte_offset),
                message: e.message,
            })?;
            let mut table = read_csv(&source.path, &text, source.header_row)?;
            table.encoding = Some(used);
            Ok(table)
        }
        Format::Xlsx => read_xlsx(&source.path, source.sheet.as_deref(), source.header_row, source.max_cells),
    }
}

fn read_csv(path: &Path, text: &str, header_row: usize) -> Result<RawTable> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|e| Error::Input {
            file: path.to_path_buf(),
            location: e.position().map(|p| p.line().to_string()).unwrap_or_default(),
            message: format!("CSV record {} cannot be parsed: {e}", index + 1),
        })?;
        let line = record.position().map(|p| p.line() as i64).unwrap_or(index as i64 + 1);
        rows.push((line, record.iter().map(str::to_string).collect::<Vec<_>>()));
    }
    assemble(path, rows, header_row, None)
}

fn read_xlsx(path: &Path, sheet: Option<&str>, header_row: usize, max_cells: u64) -> Result<RawTable> {
    let input_err = |message: String| Error::Input { file: path.to_path_buf(), location: String::new(), message };
    let mut workbook: Xlsx<_> = calamine::open_workbook(path).map_err(|e| input_err(format!("not a readable XLSX workbook: {e}")))?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(s) if names.iter().any(|n| n == s) => s.to_string(),
        Some(s) => return Err(input_err(format!("no sheet named {s:?}; sheets: {}", names.join(", ")))),
        None => names.first().cloned().ok_or_else(|| input_err("workbook has no sheets".into()))?,
    };
    // The sheet's declared range, read before anything is allocated for it: a sheet claiming
    // billions of cells is refused instead of exhausting memory.
    let declared = workbook.worksheet_cells_reader(&name).map(|r| r.dimensions().len()).map_err(|e| input_err(format!("sheet {name:?} cannot be read: {e}")))?;
    if declared > max_cells {
        return Err(input_err(format!("sheet {name:?} declares {declared} cells, more than the limit of {max_cells} (raise max_cells for this source if it is real); refused before reading")));
    }
    let range = workbook.worksheet_range(&name).map_err(|e| input_err(format!("sheet {name:?} cannot be read: {e}")))?;
    let first_row = range.start().map(|(r, _)| r as i64).unwrap_or(0);
    let first_col = range.start().map(|(_, c)| c as usize).unwrap_or(0);
    let mut rows = Vec::with_capacity(range.height());
    // Rows above the used range (blank in the sheet) still count for `header_row`.
    for r in 0..first_row {
        rows.push((r + 1, Vec::new()));
    }
    for (i, row) in range.rows().enumerate() {
        let mut cells = vec![String::new(); first_col];
        cells.extend(row.iter().map(cell_text));
        rows.push((first_row + i as i64 + 1, cells));
    }
    let mut table = assemble(path, rows, header_row, Some(&name))?;
    table.sheet = Some(name);
    Ok(table)
}

/// Spreadsheet cell → the text a person sees (integers without ".0").
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "TRUE".into() } else { "FALSE".into() },
        Data::DateTime(d) => d.as_f64().to_string(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn assemble(path: &Path, rows: Vec<(i64, Vec<String>)>, header_row: usize, sheet: Option<&str>) -> Result<RawTable> {
    let mut rows = rows.into_iter();
    let mut header = None;
    for (n, (line, cells)) in rows.by_ref().enumerate() {
        if n + 1 == header_row {
            header = Some((line, cells));
            break;
        }
    }
    let Some((header_line, header_cells)) = header else {
        return Err(Error::Input { file: path.to_path_buf(), location: String::new(), message: format!("file has no header row (expected at row {header_row})") });
    };
    let mut headers: Vec<String> = header_cells.iter().map(|h| h.trim().to_string()).collect();
    while headers.last().is_some_and(String::is_empty) {
        headers.pop();
    }
    for (i, h) in headers.iter().enumerate() {
        if !h.is_empty() && headers[..i].contains(h) {
            return Err(Error::Input {
                file: path.to_path_buf(),
                location: format!("{header_line}"),
                message: format!("header {h:?} appears twice (columns {} and {})", headers[..i].iter().position(|x| x == h).map_or(0, |p| p + 1), i + 1),
            });
        }
    }
    let width = headers.len();
    let mut table = RawTable { headers, cells: vec![Vec::new(); width], ..RawTable::default() };
    for (line, mut cells) in rows {
        table.rows_read += 1;
        if cells.iter().all(|c| c.trim().is_empty()) {
            table.rejected.push(Rejected::new(line, sheet, "", "", "row.blank", "blank row inside the table".into()));
            continue;
        }
        if cells.len() > width && cells[width..].iter().all(|c| c.trim().is_empty()) {
            cells.truncate(width);
        }
        if cells.len() != width {
            let rule = "row.field_count";
            let message = format!("{} fields where the header has {width}", cells.len());
            table.rejected.push(Rejected::new(line, sheet, "", &cells.join(","), rule, message));
            continue;
        }
        table.lines.push(line);
        for (column, cell) in table.cells.iter_mut().zip(cells) {
            let trimmed = cell.trim();
            column.push(if trimmed.is_empty() { None } else { Some(trimmed.to_string()) });
        }
    }
    Ok(table)
}
