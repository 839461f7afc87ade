//! XLSX reading: the sheet a person would open (or the one declared), streamed cell by cell
//! within a cell limit, every cell reference checked against Excel's grid before calamine
//! parses it, merged header cells read as their label.

use std::path::Path;

use calamine::{DataRef, Reader, SheetVisible, Xlsx};

use super::read::{Assembler, RawTable, XLSX_READER_FAILED};
use crate::error::{Error, Result};
use crate::spec::SourceSpec;

/// Read an XLSX source's sheet as declared. calamine has panicked on malformed workbooks before
/// (see `check_cell_references`): a panic of the reader is this file's error, not the end of the
/// run.
pub(super) fn read(source: &SourceSpec, bytes: &[u8]) -> Result<RawTable> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_xlsx(&source.path, bytes, source.sheet.as_deref(), source.header_row, source.max_cells)
    }))
    .unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(Error::input(
            &source.path,
            format!("{XLSX_READER_FAILED} ({what}); the workbook is malformed"),
        ))
    })
}

pub(super) fn read_xlsx(
    path: &Path,
    bytes: &[u8],
    sheet: Option<&str>,
    header_row: usize,
    max_cells: u64,
) -> Result<RawTable> {
    let input_err = |message: String| input_error(path, message);
    let mut workbook = Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| input_err(format!("not a readable XLSX workbook: {e}")))?;
    check_cell_references(bytes).map_err(input_err)?;
    let name = sheet_to_read(path, &workbook, sheet)?;
    let mut rows = grid(path, &mut workbook, &name, max_cells)?;
    let merges = workbook
        .merge_cells_by_sheet_name(&name)
        .map_err(|e| input_err(format!("sheet {name:?}: merged cells cannot be read: {e}")))?;
    let merged_in_header = fill_merged_header(&mut rows, &merges, header_row);
    let note = if merged_in_header.is_empty() {
        String::new()
    } else {
        format!(
            " (the header has merged cells {}; each reads as its top-left label)",
            merged_in_header.join(", ")
        )
    };
    let mut assembler = Assembler::new(path, header_row, Some(&name), &note);
    for (line, cells) in &rows {
        let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
        assembler.push(*line, &cells)?;
    }
    let mut table = assembler.finish()?;
    table.sheet = Some(name);
    table.header_note = note;
    Ok(table)
}

type Workbook<'a> = Xlsx<std::io::Cursor<&'a [u8]>>;

fn input_error(path: &Path, message: String) -> Error {
    Error::input(path, message)
}

/// The sheet declared (a hidden one is read as declared, with a warning), or with none
/// declared the first one a person opening the workbook would see.
fn sheet_to_read(path: &Path, workbook: &Workbook, sheet: Option<&str>) -> Result<String> {
    let sheets = workbook.sheets_metadata();
    let Some(s) = sheet else {
        return sheets
            .iter()
            .find(|m| m.visible == SheetVisible::Visible)
            .or(sheets.first())
            .map(|m| m.name.clone())
            .ok_or_else(|| input_error(path, "workbook has no sheets".into()));
    };
    match sheets.iter().find(|m| m.name == s) {
        Some(m) => {
            if m.visible != SheetVisible::Visible {
                tracing::warn!(file = %path.display(), sheet = s, "the declared sheet is hidden in the workbook; reading it as declared");
            }
            Ok(s.to_string())
        }
        None => {
            let names: Vec<&str> = sheets.iter().map(|m| m.name.as_str()).collect();
            Err(input_error(path, format!("no sheet named {s:?}; sheets: {}", names.join(", "))))
        }
    }
}

/// The sheet as rows of text (1-based row number, cells). Its declared range is checked
/// before anything is allocated for it, and its cells are streamed: a sheet whose real extent
/// exceeds `max_cells` (whatever it declares) is refused as soon as a cell shows it, before the
/// grid is laid out. Rows above the used range (blank in the sheet) still count for
/// `header_row`.
fn grid(
    path: &Path,
    workbook: &mut Workbook,
    name: &str,
    max_cells: u64,
) -> Result<Vec<(i64, Vec<String>)>> {
    let unreadable =
        |e: calamine::XlsxError| input_error(path, format!("sheet {name:?} cannot be read: {e}"));
    let mut reader = workbook.worksheet_cells_reader(name).map_err(unreadable)?;
    let declared = reader.dimensions().len();
    if declared > max_cells {
        return Err(input_error(
            path,
            format!(
                "sheet {name:?} declares {declared} cells, more than the limit of {max_cells} (raise max_cells for this source if it is real); refused before reading"
            ),
        ));
    }
    let mut cells: Vec<(u32, u32, String)> = Vec::new();
    let (mut min_row, mut max_row, mut max_col) = (u32::MAX, 0u32, 0u32);
    while let Some(cell) = reader.next_cell().map_err(unreadable)? {
        let text = cell_text(cell.get_value());
        if text.is_empty() {
            continue;
        }
        let (r, c) = cell.get_position();
        if u64::from(r) >= MAX_ROW {
            // Rows without references are counted by the reader: Excel's grid ends here.
            return Err(input_error(
                path,
                format!(
                    "sheet {name:?} runs past row {MAX_ROW}, the last row Excel has; the workbook is malformed"
                ),
            ));
        }
        (min_row, max_row, max_col) = (min_row.min(r), max_row.max(r), max_col.max(c));
        let extent = (max_row - min_row) as u64 + 1;
        if extent.saturating_mul(max_col as u64 + 1) > max_cells {
            return Err(input_error(
                path,
                format!(
                    "sheet {name:?} has cells from row {} to {} and out to column {}: more than the limit of {max_cells} cells (its declared range says {declared}; raise max_cells for this source if it is real)",
                    min_row + 1,
                    max_row + 1,
                    column_letters(max_col)
                ),
            ));
        }
        cells.push((r, c, text));
    }
    if cells.is_empty() {
        return Ok(Vec::new());
    }
    let width = max_col as usize + 1;
    let mut rows: Vec<(i64, Vec<String>)> = (0..=max_row)
        .map(|r| (r as i64 + 1, if r < min_row { Vec::new() } else { vec![String::new(); width] }))
        .collect();
    for (r, c, text) in cells {
        if let Some(slot) = rows.get_mut(r as usize).and_then(|(_, row)| row.get_mut(c as usize)) {
            *slot = text;
        }
    }
    Ok(rows)
}

/// Merged cells in the header rows: every cell of the merge reads as its top-left value, as a
/// person sees it (a label merged down over two header rows names the column on both). Merged
/// cells below the header are left as they are: a count copied into neighbours would be counted
/// twice, so those cells stay empty and their rows fail the row rules visibly. Returns the
/// merged ranges of the header, as "A1:B1".
fn fill_merged_header(
    rows: &mut [(i64, Vec<String>)],
    merges: &[calamine::Dimensions],
    header_row: usize,
) -> Vec<String> {
    let mut merged_in_header = Vec::new();
    for m in merges.iter().filter(|m| (m.start.0 as usize) < header_row) {
        let (r0, c0) = (m.start.0 as usize, m.start.1 as usize);
        let value = rows.get(r0).and_then(|(_, cells)| cells.get(c0)).cloned().unwrap_or_default();
        merged_in_header.push(format!("{}:{}", a1(m.start), a1(m.end)));
        for r in r0..=(m.end.0 as usize).min(header_row - 1) {
            let Some((_, cells)) = rows.get_mut(r) else { break };
            let end = (m.end.1 as usize).min(cells.len().saturating_sub(1));
            for cell in cells.iter_mut().take(end + 1).skip(c0) {
                if cell.is_empty() {
                    cell.clone_from(&value);
                }
            }
        }
    }
    merged_in_header
}

/// Excel's grid: columns A..XFD, rows 1..1048576.
const MAX_COLUMN: u64 = 16_384;
const MAX_ROW: u64 = 1_048_576;

/// Every cell reference of every worksheet (`r="B7"` of rows and cells, `ref="A1:F40"` of the
/// dimension and merged cells) must lie in Excel's grid. calamine 0.38 accumulates them in
/// unchecked `u32` arithmetic (tafia/calamine#694): "A99999999999" panics in a debug build and,
/// in a release build, silently moves the cell elsewhere. Streamed, so a sheet is never held
/// whole; a stream that fails to inflate is left for calamine to report.
fn check_cell_references(bytes: &[u8]) -> std::result::Result<(), String> {
    use std::io::Read;
    let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else { return Ok(()) };
    for i in 0..zip.len() {
        let Ok(entry) = zip.by_index(i) else { continue };
        let Ok(name) = entry.name().map(|n| n.to_string()) else { continue };
        if !(name.starts_with("xl/worksheets/") && name.ends_with(".xml")) {
            continue;
        }
        let mut scan = References::default();
        let mut reader = std::io::BufReader::with_capacity(1 << 16, entry);
        let mut chunk = [0u8; 1 << 16];
        loop {
            let n = match reader.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            for &b in &chunk[..n] {
                if let Some(bad) = scan.push(b) {
                    return Err(format!(
                        "{name}: cell reference {bad:?} lies outside Excel's grid (A1:XFD1048576); the workbook is malformed"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A byte-at-a-time scanner for ` r="…"` and ` ref="…"` attribute values.
#[derive(Default)]
struct References {
    /// The last bytes seen, for spotting the attribute names.
    tail: [u8; 6],
    /// Inside a value: its bytes so far.
    value: Option<Vec<u8>>,
}

impl References {
    fn push(&mut self, b: u8) -> Option<String> {
        if let Some(value) = &mut self.value {
            if b == b'"' {
                let done = std::mem::take(value);
                self.value = None;
                return (!valid_reference(&done))
                    .then(|| String::from_utf8_lossy(&done).into_owned());
            }
            if value.len() > 40 {
                let long = String::from_utf8_lossy(value).into_owned();
                self.value = None;
                return Some(long + "…");
            }
            value.push(b);
            return None;
        }
        self.tail.rotate_left(1);
        self.tail[5] = b;
        if self.tail[2..] == *b" r=\"" || self.tail[..] == *b" ref=\"" {
            self.value = Some(Vec::new());
        }
        None
    }
}

/// "B7", "A1:F40", "A:C" or "1:4", within the grid.
fn valid_reference(value: &[u8]) -> bool {
    value.split(|b| *b == b':').all(|part| {
        let letters = part.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        let (col, row) = part.split_at(letters);
        let col_ok = col.len() <= 3
            && col.iter().fold(0u64, |n, b| n * 26 + (b.to_ascii_uppercase() - b'A') as u64 + 1)
                <= MAX_COLUMN;
        let row_ok = row.len() <= 7
            && row.iter().all(u8::is_ascii_digit)
            && row.iter().fold(0u64, |n, b| n * 10 + (b - b'0') as u64) <= MAX_ROW;
        !part.is_empty() && col_ok && row_ok
    })
}

/// Zero-based (row, column) → "C1".
fn a1((row, col): (u32, u32)) -> String {
    column_letters(col) + &(row as u64 + 1).to_string()
}

/// Zero-based column → "A", "Z", "AA", … "XFD".
fn column_letters(col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col as u64 + 1;
    while n > 0 {
        letters.push((b'A' + ((n - 1) % 26) as u8) as char);
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// Spreadsheet cell → the text a person sees (integers without ".0").
fn cell_text(cell: &DataRef) -> String {
    match cell {
        DataRef::Empty => String::new(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => {
            if *b {
                "TRUE".into()
            } else {
                "FALSE".into()
            }
        }
        DataRef::DateTime(d) => d.as_f64().to_string(),
        DataRef::Error(e) => format!("#{e:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_references_outside_the_grid() {
        for ok in ["A1", "XFD1048576", "A1:F40", "a1", "A:C", "1:4", "B7"] {
            assert!(valid_reference(ok.as_bytes()), "{ok}");
        }
        for bad in
            ["A99999999999", "A1048577", "XFE1", "ZZZZZZZ1", "A1:ZZZZZZZ1", "", "A1:", "1A", "A-1"]
        {
            assert!(!valid_reference(bad.as_bytes()), "{bad}");
        }
        let mut scan = References::default();
        let xml = br#"<row r="1"><c s="1" r="A99999999999"><v>1</v></c></row>"#;
        let found: Vec<String> = xml.iter().filter_map(|b| scan.push(*b)).collect();
        assert_eq!(found, vec!["A99999999999".to_string()]);
    }
}
