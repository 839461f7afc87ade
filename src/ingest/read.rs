//! Reading one raw file into a table of text cells with the line (CSV) or row (XLSX) each
//! record came from. Nothing is typed here; records that cannot be aligned with the header
//! (ragged rows, blank rows) are set aside as quarantine rows so no record goes uncounted.

use std::path::Path;

use super::quarantine::Rejected;
use crate::error::{Error, Result};

/// One column of text cells stored end to end in one buffer: no allocation per cell, so a
/// file's cells take about its own size plus four bytes each. An empty cell is "no value".
#[derive(Debug, Default, Clone)]
pub struct TextColumn {
    text: String,
    /// Where each cell ends in `text` (it starts where the one before ends).
    ends: Vec<u32>,
}

impl TextColumn {
    /// Append a cell (trimmed by the caller); "" is no value. A column past 4 GiB of text is
    /// refused by the caller's limits long before.
    pub fn push(&mut self, cell: &str) {
        self.text.push_str(cell);
        self.ends.push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The cell at `i`, `None` when empty.
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.text.get(start..end).filter(|c| !c.is_empty())
    }

    /// The cells' text end to end, and where each cell ends in it.
    pub fn parts(&self) -> (&str, &[u32]) {
        (&self.text, &self.ends)
    }

    pub fn iter(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// A raw file as text cells.
#[derive(Debug, Default)]
pub struct RawTable {
    /// Header names, trimmed, in file order.
    pub headers: Vec<String>,
    /// One entry per accepted record: its 1-based line (CSV) or row (XLSX).
    pub lines: Vec<i64>,
    /// Column-major cells, trimmed.
    pub cells: Vec<TextColumn>,
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
        let marked = |c: Option<&str>| c.is_some_and(|c| markers.iter().any(|m| m == c));
        for column in &mut self.cells {
            if column.iter().any(marked) {
                let mut rebuilt = TextColumn::default();
                for cell in column.iter() {
                    rebuilt.push(if marked(cell) { "" } else { cell.unwrap_or("") });
                }
                *column = rebuilt;
            }
        }
    }
}

/// Said when the XLSX reader itself fails (panics) on a workbook. The fuzz targets treat it as
/// a finding: the reader should have returned an error.
pub const XLSX_READER_FAILED: &str = "the XLSX reader failed on this workbook";

/// Rows kept to look for a header that is not where `header_row` says.
const PREVIEW_ROWS: usize = 30;

/// A raw file's rows, fed one at a time as the reader parses them (no copy of the whole file
/// as rows): titles above the header, the header, then the records, aligned with the header
/// or set aside.
pub(super) struct Assembler<'a> {
    path: &'a Path,
    header_row: usize,
    sheet: Option<&'a str>,
    note: &'a str,
    /// Rows seen so far.
    position: usize,
    header_line: i64,
    table: Option<RawTable>,
    preview: Vec<(usize, Vec<String>)>,
}

impl<'a> Assembler<'a> {
    pub(super) fn new(
        path: &'a Path,
        header_row: usize,
        sheet: Option<&'a str>,
        note: &'a str,
    ) -> Self {
        Assembler {
            path,
            header_row,
            sheet,
            note,
            position: 0,
            header_line: 0,
            table: None,
            preview: Vec::new(),
        }
    }

    /// The next row of the file, at `line`.
    pub(super) fn push(&mut self, line: i64, cells: &[&str]) -> Result<()> {
        self.position += 1;
        if self.position <= PREVIEW_ROWS {
            self.preview.push((self.position, cells.iter().map(|c| c.to_string()).collect()));
        }
        match self.position.cmp(&self.header_row) {
            std::cmp::Ordering::Less => Ok(()),
            std::cmp::Ordering::Equal => {
                let cells: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
                let headers = header_names(self.path, &cells, line, self.note)?;
                let width = headers.len();
                self.header_line = line;
                self.table = Some(RawTable {
                    headers,
                    cells: vec![TextColumn::default(); width],
                    ..RawTable::default()
                });
                Ok(())
            }
            std::cmp::Ordering::Greater => {
                self.record(line, cells);
                Ok(())
            }
        }
    }

    fn record(&mut self, line: i64, cells: &[&str]) {
        let (header_line, sheet) = (self.header_line, self.sheet);
        let Some(table) = self.table.as_mut() else { return };
        table.rows_read += 1;
        let width = table.headers.len();
        let cells = if cells.len() > width && cells[width..].iter().all(|c| c.trim().is_empty()) {
            &cells[..width]
        } else {
            cells
        };
        if let Some((raw, rule, message)) = misaligned(cells, &table.headers, header_line, line) {
            table.rejected.push(Rejected::new(line, sheet, "", &raw, rule, message));
            return;
        }
        table.lines.push(line);
        for (column, cell) in table.cells.iter_mut().zip(cells) {
            column.push(cell.trim());
        }
    }

    /// The table, once every row is in.
    pub(super) fn finish(self) -> Result<RawTable> {
        let Some(mut table) = self.table else {
            return Err(Error::Input {
                file: self.path.to_path_buf(),
                location: String::new(),
                message: format!("file has no header row (expected at row {})", self.header_row),
            });
        };
        table.preview = self.preview;
        Ok(table)
    }
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
    cells: &[&str],
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
    let is_header = |(c, h): (&&str, &String)| c.trim().trim_start_matches('\u{feff}').trim() == h;
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
