//! Reading one raw file into a table of text cells with the line (CSV) or row (XLSX) each
//! record came from. Nothing is typed here; records that cannot be aligned with the header
//! (ragged rows, blank rows) are set aside as quarantine rows so no record goes uncounted.

use std::path::Path;

use calamine::{DataRef, Reader, SheetVisible, Xlsx};

use super::quarantine::Rejected;
use crate::decode::decode;
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
    /// Said after any complaint about the header (merged header cells, for XLSX).
    pub header_note: String,
}

/// Said when the XLSX reader itself fails (panics) on a workbook. The fuzz targets treat it as
/// a finding: the reader should have returned an error.
pub const XLSX_READER_FAILED: &str = "the XLSX reader failed on this workbook";

/// Read the bytes of a source file as the source declares (format, encoding, sheet, header row).
pub fn read(source: &SourceSpec, bytes: &[u8]) -> Result<RawTable> {
    match source.format {
        Format::Csv => {
            let (text, used) = decode(bytes, source.encoding).map_err(|e| Error::Input {
                file: source.path.clone(),
                location: format!("{} (byte {})", e.line, e.byte_offset),
                message: e.message,
            })?;
            let mut table = read_csv(&source.path, &text, source.header_row)?;
            table.encoding = Some(used);
            Ok(table)
        }
        // calamine has panicked on malformed workbooks before (see check_cell_references); a
        // panic of the reader is this file's error, not the end of the run.
        Format::Xlsx => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            read_xlsx(
                &source.path,
                bytes,
                source.sheet.as_deref(),
                source.header_row,
                source.max_cells,
            )
        }))
        .unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(Error::Input {
                file: source.path.clone(),
                location: String::new(),
                message: format!("{XLSX_READER_FAILED} ({what}); the workbook is malformed"),
            })
        }),
    }
}

fn read_csv(path: &Path, text: &str, header_row: usize) -> Result<RawTable> {
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut lines = Lines::default();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|e| Error::Input {
            file: path.to_path_buf(),
            location: e
                .position()
                .map(|p| lines.line_at(text, p.byte() as usize).to_string())
                .unwrap_or_default(),
            message: format!("CSV record {} cannot be parsed: {e}", index + 1),
        })?;
        let line = record
            .position()
            .map(|p| lines.line_at(text, p.byte() as usize))
            .unwrap_or(index as i64 + 1);
        rows.push((line, record.iter().map(str::to_string).collect::<Vec<_>>()));
    }
    assemble(path, rows, header_row, None, "")
}

/// Line numbers from byte offsets, counting "\r\n", "\n" and a lone "\r" as one line break
/// each. The csv crate's own `Position::line` falls one behind per record on CRLF files
/// (BurntSushi/rust-csv#395), and Excel on Windows writes CRLF.
#[derive(Default)]
struct Lines {
    /// Bytes scanned so far, and the line breaks among them.
    scanned: usize,
    breaks: i64,
}

impl Lines {
    /// The 1-based line on which a record reported at byte `at` starts: line breaks at `at`
    /// (the rest of a CRLF the parser had not consumed) belong before the record. Offsets only
    /// grow, so the whole file is scanned once.
    fn line_at(&mut self, text: &str, at: usize) -> i64 {
        let bytes = text.as_bytes();
        let mut start = at.min(bytes.len());
        while start < bytes.len() && (bytes[start] == b'\r' || bytes[start] == b'\n') {
            start += 1;
        }
        if start < self.scanned {
            // Never happens for a reader that only moves forward; count afresh rather than guess.
            *self = Lines::default();
        }
        for i in self.scanned..start {
            match bytes[i] {
                b'\n' if i > 0 && bytes[i - 1] == b'\r' => {}
                b'\n' | b'\r' => self.breaks += 1,
                _ => {}
            }
        }
        self.scanned = start;
        self.breaks + 1
    }
}

fn read_xlsx(
    path: &Path,
    bytes: &[u8],
    sheet: Option<&str>,
    header_row: usize,
    max_cells: u64,
) -> Result<RawTable> {
    let input_err = |message: String| Error::Input {
        file: path.to_path_buf(),
        location: String::new(),
        message,
    };
    let mut workbook = Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| input_err(format!("not a readable XLSX workbook: {e}")))?;
    check_cell_references(bytes).map_err(input_err)?;
    let sheets = workbook.sheets_metadata().to_vec();
    let names: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
    let name = match sheet {
        Some(s) => match sheets.iter().find(|m| m.name == s) {
            Some(m) => {
                if m.visible != SheetVisible::Visible {
                    tracing::warn!(file = %path.display(), sheet = s, "the declared sheet is hidden in the workbook; reading it as declared");
                }
                s.to_string()
            }
            None => {
                return Err(input_err(format!(
                    "no sheet named {s:?}; sheets: {}",
                    names.join(", ")
                )));
            }
        },
        // No sheet declared: the first one a person opening the workbook would see.
        None => sheets
            .iter()
            .find(|m| m.visible == SheetVisible::Visible)
            .or(sheets.first())
            .map(|m| m.name.clone())
            .ok_or_else(|| input_err("workbook has no sheets".into()))?,
    };
    // The sheet's declared range, read before anything is allocated for it: a sheet claiming
    // billions of cells is refused instead of exhausting memory.
    let mut reader = workbook
        .worksheet_cells_reader(&name)
        .map_err(|e| input_err(format!("sheet {name:?} cannot be read: {e}")))?;
    let declared = reader.dimensions().len();
    if declared > max_cells {
        return Err(input_err(format!(
            "sheet {name:?} declares {declared} cells, more than the limit of {max_cells} (raise max_cells for this source if it is real); refused before reading"
        )));
    }
    // The cells themselves, streamed: a sheet whose real extent exceeds the limit (whatever it
    // declares) is refused as soon as a cell shows it, before the grid is laid out.
    let mut cells: Vec<(u32, u32, String)> = Vec::new();
    let (mut min_row, mut max_row, mut max_col) = (u32::MAX, 0u32, 0u32);
    while let Some(cell) =
        reader.next_cell().map_err(|e| input_err(format!("sheet {name:?} cannot be read: {e}")))?
    {
        let text = cell_text(cell.get_value());
        if text.is_empty() {
            continue;
        }
        let (r, c) = cell.get_position();
        (min_row, max_row, max_col) = (min_row.min(r), max_row.max(r), max_col.max(c));
        let extent = (max_row - min_row) as u64 + 1;
        if extent.saturating_mul(max_col as u64 + 1) > max_cells {
            return Err(input_err(format!(
                "sheet {name:?} has cells from row {} to {} and out to column {}: more than the limit of {max_cells} cells (its declared range says {declared}; raise max_cells for this source if it is real)",
                min_row + 1,
                max_row + 1,
                column_letters(max_col)
            )));
        }
        cells.push((r, c, text));
    }
    drop(reader);
    // Rows above the used range (blank in the sheet) still count for `header_row`.
    let width = max_col as usize + 1;
    let mut rows: Vec<(i64, Vec<String>)> = Vec::new();
    if !cells.is_empty() {
        rows = (0..=max_row)
            .map(|r| {
                (r as i64 + 1, if r < min_row { Vec::new() } else { vec![String::new(); width] })
            })
            .collect();
    }
    for (r, c, text) in cells {
        if let Some(slot) = rows.get_mut(r as usize).and_then(|(_, row)| row.get_mut(c as usize)) {
            *slot = text;
        }
    }
    // Merged cells in the header rows: every cell of the merge reads as its top-left value, as a
    // person sees it (a label merged down over two header rows names the column on both). Merged
    // cells below the header are left as they are: a count copied into neighbours would be
    // counted twice, so those cells stay empty and their rows fail the row rules visibly.
    let merges = workbook
        .merge_cells_by_sheet_name(&name)
        .map_err(|e| input_err(format!("sheet {name:?}: merged cells cannot be read: {e}")))?;
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
    let note = if merged_in_header.is_empty() {
        String::new()
    } else {
        format!(
            " (the header has merged cells {}; each reads as its top-left label)",
            merged_in_header.join(", ")
        )
    };
    let mut table = assemble(path, rows, header_row, Some(&name), &note)?;
    table.sheet = Some(name);
    table.header_note = note;
    Ok(table)
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

fn assemble(
    path: &Path,
    rows: Vec<(i64, Vec<String>)>,
    header_row: usize,
    sheet: Option<&str>,
    note: &str,
) -> Result<RawTable> {
    let mut rows = rows.into_iter();
    let mut header = None;
    for (n, (line, cells)) in rows.by_ref().enumerate() {
        if n + 1 == header_row {
            header = Some((line, cells));
            break;
        }
    }
    let Some((header_line, header_cells)) = header else {
        return Err(Error::Input {
            file: path.to_path_buf(),
            location: String::new(),
            message: format!("file has no header row (expected at row {header_row})"),
        });
    };
    let mut headers: Vec<String> = header_cells.iter().map(|h| h.trim().to_string()).collect();
    while headers.last().is_some_and(String::is_empty) {
        headers.pop();
    }
    // A map, not a scan of the earlier names: a header of a million columns stays linear.
    let mut seen: std::collections::HashMap<&str, usize> =
        std::collections::HashMap::with_capacity(headers.len());
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            continue;
        }
        if let Some(first) = seen.insert(h.as_str(), i) {
            return Err(Error::Input {
                file: path.to_path_buf(),
                location: format!("{header_line}"),
                message: format!(
                    "header {h:?} appears twice (columns {} and {}){note}",
                    first + 1,
                    i + 1
                ),
            });
        }
    }
    let width = headers.len();
    let mut table = RawTable { headers, cells: vec![Vec::new(); width], ..RawTable::default() };
    for (line, mut cells) in rows {
        table.rows_read += 1;
        if cells.iter().all(|c| c.trim().is_empty()) {
            table.rejected.push(Rejected::new(
                line,
                sheet,
                "",
                "",
                "row.blank",
                "blank row inside the table".into(),
            ));
            continue;
        }
        if cells.len() > width && cells[width..].iter().all(|c| c.trim().is_empty()) {
            cells.truncate(width);
        }
        // Two exports pasted into one file: the second one's header (and byte-order mark) sits
        // among the data.
        if cells.len() == width
            && cells
                .iter()
                .zip(&table.headers)
                .all(|(c, h)| c.trim().trim_start_matches('\u{feff}').trim() == h)
        {
            let message =
                format!("the header row again (line {header_line}): two files pasted into one?");
            table.rejected.push(Rejected::new(
                line,
                sheet,
                "",
                &cells.join(","),
                "row.repeated_header",
                message,
            ));
            continue;
        }
        if cells.len() != width {
            let rule = "row.field_count";
            let mut message = format!("{} fields where the header has {width}", cells.len());
            let swallowed = cells
                .iter()
                .map(|c| c.trim_end_matches(['\r', '\n']).matches('\n').count())
                .sum::<usize>();
            if swallowed > 0 {
                message += &format!(
                    "; a quoted field runs over {} more line(s), to line {}: a quote opened on line {line} is probably never closed",
                    swallowed,
                    line + swallowed as i64
                );
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_lines_with_any_line_ending() {
        for text in [
            "a,b\n1,2\n3,4\n",
            "a,b\r\n1,2\r\n3,4\r\n",
            "a,b\r\n1,2\n3,4\r\n",
            "a,b\r1,2\r3,4\r",
            "a,b\r\n1,2\r\n3,4",
        ] {
            let t = read_csv(Path::new("x.csv"), text, 1).unwrap();
            assert_eq!(t.lines, vec![2, 3], "{text:?}");
        }
        // A quoted field over two lines: the next record starts two lines further down; a blank
        // line is skipped by the parser but still counted.
        let t = read_csv(Path::new("x.csv"), "a,b\r\n\"x\r\ny\",2\r\n\r\n3,4\r\n", 1).unwrap();
        assert_eq!(t.lines, vec![2, 5]);
    }

    #[test]
    fn a_header_of_a_million_columns_is_read_in_linear_time() {
        // Distinct names: 1,000,000 columns. A quadratic duplicate check would compare 5 × 10^11
        // pairs here; the test would not finish.
        let header: Vec<String> = (0..1_000_000).map(|i| format!("c{i}")).collect();
        let text = format!("{}\n", header.join(","));
        let t = read_csv(Path::new("x.csv"), &text, 1).unwrap();
        assert_eq!(t.headers.len(), 1_000_000);
        let e = read_csv(Path::new("x.csv"), "a,b,c,b\n", 1).unwrap_err().to_string();
        assert!(e.contains("header \"b\" appears twice (columns 2 and 4)"), "{e}");
    }

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
