//! Reading one raw file into a table of text cells with the line (CSV) or row (XLSX) each
//! record came from. Nothing is typed here; records that cannot be aligned with the header
//! (ragged rows, blank rows) are set aside as quarantine rows so no record goes uncounted.

use std::path::Path;

use super::quarantine::Rejected;
use crate::error::{Error, Result};

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
    /// The first rows of the file as read (1-based position among its rows, cells), to say
    /// where a header that is not on `header_row` may be.
    pub preview: Vec<(usize, Vec<String>)>,
}

impl RawTable {
    /// Cells equal to one of `markers` (a delivery's "no value": "..", "…", "x") become empty.
    pub fn read_as_empty(&mut self, markers: &[String]) {
        if markers.is_empty() {
            return;
        }
        for cell in self.cells.iter_mut().flatten() {
            if cell.as_deref().is_some_and(|c| markers.iter().any(|m| m == c)) {
                *cell = None;
            }
        }
    }
}

/// Said when the XLSX reader itself fails (panics) on a workbook. The fuzz targets treat it as
/// a finding: the reader should have returned an error.
pub const XLSX_READER_FAILED: &str = "the XLSX reader failed on this workbook";

/// Rows kept to look for a header that is not where `header_row` says.
const PREVIEW_ROWS: usize = 30;

pub(super) fn assemble(
    path: &Path,
    rows: Vec<(i64, Vec<String>)>,
    header_row: usize,
    sheet: Option<&str>,
    note: &str,
) -> Result<RawTable> {
    let preview: Vec<(usize, Vec<String>)> =
        rows.iter().take(PREVIEW_ROWS).enumerate().map(|(i, (_, c))| (i + 1, c.clone())).collect();
    let mut rows = rows.into_iter();
    let Some((header_line, header_cells)) = header_row.checked_sub(1).and_then(|n| rows.nth(n))
    else {
        return Err(Error::Input {
            file: path.to_path_buf(),
            location: String::new(),
            message: format!("file has no header row (expected at row {header_row})"),
        });
    };
    let headers = header_names(path, &header_cells, header_line, note)?;
    let width = headers.len();
    let mut table =
        RawTable { headers, cells: vec![Vec::new(); width], preview, ..RawTable::default() };
    for (line, mut cells) in rows {
        table.rows_read += 1;
        if cells.len() > width && cells[width..].iter().all(|c| c.trim().is_empty()) {
            cells.truncate(width);
        }
        if let Some((raw, rule, message)) = misaligned(&cells, &table.headers, header_line, line) {
            table.rejected.push(Rejected::new(line, sheet, "", &raw, rule, message));
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

/// The header's names, trimmed, trailing empty ones dropped; a name given twice is an error.
fn header_names(path: &Path, cells: &[String], line: i64, note: &str) -> Result<Vec<String>> {
    let mut headers: Vec<String> = cells.iter().map(|h| h.trim().to_string()).collect();
    while headers.last().is_some_and(String::is_empty) {
        headers.pop();
    }
    // A map, not a scan of the earlier names: a header of a million columns stays linear.
    let mut seen: std::collections::HashMap<&str, usize> =
        std::collections::HashMap::with_capacity(headers.len());
    for (i, h) in headers.iter().enumerate().filter(|(_, h)| !h.is_empty()) {
        if let Some(first) = seen.insert(h.as_str(), i) {
            return Err(Error::Input {
                file: path.to_path_buf(),
                location: format!("{line}"),
                message: format!(
                    "header {h:?} appears twice (columns {} and {}){note}",
                    first + 1,
                    i + 1
                ),
            });
        }
    }
    Ok(headers)
}

/// Why a record cannot be aligned with the header, if it cannot: (raw record, rule, message).
fn misaligned(
    cells: &[String],
    headers: &[String],
    header_line: i64,
    line: i64,
) -> Option<(String, &'static str, String)> {
    let width = headers.len();
    if cells.iter().all(|c| c.trim().is_empty()) {
        return Some((String::new(), "row.blank", "blank row inside the table".into()));
    }
    // Two exports pasted into one file: the second one's header (and byte-order mark) sits
    // among the data.
    let is_header =
        |(c, h): (&String, &String)| c.trim().trim_start_matches('\u{feff}').trim() == h;
    if cells.len() == width && cells.iter().zip(headers).all(is_header) {
        let message =
            format!("the header row again (line {header_line}): two files pasted into one?");
        return Some((cells.join(","), "row.repeated_header", message));
    }
    if cells.len() == width {
        return None;
    }
    let mut message = format!("{} fields where the header has {width}", cells.len());
    let swallowed =
        cells.iter().map(|c| c.trim_end_matches(['\r', '\n']).matches('\n').count()).sum::<usize>();
    if swallowed > 0 {
        message += &format!(
            "; a quoted field runs over {} more line(s), to line {}: a quote opened on line {line} is probably never closed",
            swallowed,
            line + swallowed as i64
        );
    }
    Some((cells.join(","), "row.field_count", message))
}
