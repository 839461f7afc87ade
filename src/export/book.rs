//! The workbook's plumbing: its formats (headers, a number format per unit, a fill per status),
//! text that stays text, and sheets that continue on a next sheet past Excel's last row.

use std::collections::BTreeMap;
use std::path::Path;

use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, IgnoreError, Workbook, Worksheet, XlsxError,
};

use super::Run;
use crate::error::{Error, Result};

/// The last row index of an Excel sheet (1,048,576 rows, the header included).
pub const LAST_ROW: u32 = 1_048_575;

/// An error of the workbook writer, as ours.
pub fn fail(e: XlsxError) -> Error {
    Error::Internal(format!("writing the workbook: {e}"))
}

/// The number format of a unit: percents (0–100) to one decimal, ratios to two, indices and
/// coefficients of variation to three, counts and money as whole numbers with separators.
pub fn unit_format(unit: &str) -> &'static str {
    match unit {
        "percent" => "0.0",
        "ratio" => "0.00",
        "index" | "cv" => "0.000",
        "count" | "yuan" => "#,##0",
        _ => "General",
    }
}

/// The colours of a status: (fill, font), as Excel's Good / Neutral / Bad cell styles.
pub fn status_colours(status: &str) -> (u32, u32) {
    match status {
        "achieved" => (0xC6EFCE, 0x006100),
        "on_track" => (0xDDEBF7, 0x1F4E78),
        "off_track" => (0xFFC7CE, 0x9C0006),
        _ => (0xEDEDED, 0x595959),
    }
}

/// The formats every sheet shares.
#[derive(Debug)]
pub struct Formats {
    pub header: Format,
    pub title: Format,
    pub bold: Format,
    /// Shares 0–1 (coverage) shown as percents.
    pub share: Format,
    units: BTreeMap<&'static str, Format>,
    statuses: BTreeMap<String, Format>,
}

impl Formats {
    pub fn new() -> Formats {
        let units = ["percent", "ratio", "index", "count", ""]
            .into_iter()
            .map(|u| (unit_format(u), Format::new().set_num_format(unit_format(u))))
            .collect();
        let statuses = crate::assess::STATUSES
            .iter()
            .map(|s| {
                let (fill, font) = status_colours(s);
                let format = Format::new()
                    .set_background_color(Color::RGB(fill))
                    .set_font_color(Color::RGB(font));
                (s.to_string(), format)
            })
            .collect();
        Formats {
            header: Format::new().set_bold().set_background_color(Color::RGB(0xF2F2F2)),
            title: Format::new().set_bold().set_font_size(14),
            bold: Format::new().set_bold(),
            share: Format::new().set_num_format("0.0%"),
            units,
            statuses,
        }
    }

    /// The number format of values in `unit`.
    pub fn unit(&self, unit: &str) -> &Format {
        &self.units[unit_format(unit)]
    }

    /// The fill of a status cell (none for an unknown status).
    pub fn status(&self, status: &str) -> Option<&Format> {
        self.statuses.get(status)
    }
}

/// Write `text` as a text cell: never a number, never a formula, whatever it looks like.
pub fn text(sheet: &mut Worksheet, row: u32, col: u16, text: &str) -> Result<()> {
    if !text.is_empty() {
        sheet.write_string(row, col, text).map_err(fail)?;
    }
    Ok(())
}

/// A header row, bold on grey.
pub fn header(sheet: &mut Worksheet, row: u32, names: &[String], f: &Formats) -> Result<()> {
    for (c, name) in names.iter().enumerate() {
        sheet.write_string_with_format(row, c as u16, name, &f.header).map_err(fail)?;
    }
    Ok(())
}

/// Excel's "number stored as text" warning switched off for code columns `cols` (codes are
/// text on purpose).
pub fn codes_are_text(sheet: &mut Worksheet, last_row: u32, cols: &[u16]) -> Result<()> {
    for c in cols {
        if last_row >= 1 {
            sheet
                .ignore_error_range(1, *c, last_row, *c, IgnoreError::NumberStoredAsText)
                .map_err(fail)?;
        }
    }
    Ok(())
}

/// The name of the `part`-th sheet (from 0) of rows that fill several: `name`, `name (2)`, ….
pub fn part_name(name: &str, part: usize) -> String {
    if part == 0 { name.to_string() } else { format!("{name} ({})", part + 1) }
}

/// The whole workbook, saved to `path`.
pub fn workbook(run: &Run, path: &Path) -> Result<()> {
    let mut book = Workbook::new();
    let m = &run.manifest;
    // The run's own time (not the clock's): the same run gives the same bytes.
    let finished = m.finished_at.get(..19).unwrap_or("1980-01-01T00:00:00");
    let created = ExcelDateTime::parse_from_str(finished).map_err(fail)?;
    book.set_properties(
        &DocProperties::new()
            .set_title(format!("edustat · {} · {}", m.pipeline_id, m.run_id))
            .set_creation_datetime(&created),
    );
    let formats = Formats::new();
    super::sheets::readme(&mut book, run, &formats)?;
    super::sheets::targets(&mut book, run, &formats)?;
    super::families::wide(&mut book, run, &formats)?;
    super::families::long(&mut book, run, &formats)?;
    book.save(path).map_err(|e| Error::Internal(format!("{}: {e}", path.display())))
}
