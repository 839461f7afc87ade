//! The indicator sheets: one per family with regions down (code and name as text, the region's
//! place in the hierarchy in columns) and years across, and the long table of every indicator
//! row for pivoting. Both stream rows into "constant memory" sheets and continue on a next
//! sheet (`name (2)`) past Excel's last row.

use std::collections::{BTreeMap, BTreeSet};

use rust_xlsxwriter::{Table, TableColumn, TableStyle, Workbook, Worksheet};

use super::Run;
use super::book::{Formats, LAST_ROW, codes_are_text, fail, header, part_name, text};
use crate::catalogue::Described;
use crate::error::Result;
use crate::frame::{self, Rows};

/// The families of the catalogue, in its order, each once.
pub fn families(run: &Run) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for e in &run.catalogue {
        if !e.family.is_empty() && !out.contains(&e.family.as_str()) {
            out.push(&e.family);
        }
    }
    out
}

const TEXTS: &[&str] =
    &["indicator", "region_code", "region_level", "region_name", "sex", "area", "unit"];

/// The indicator rows, read once.
struct Indicators {
    rows: Rows,
    flags: Vec<Vec<String>>,
}

impl Indicators {
    fn read(run: &Run) -> Result<Indicators> {
        let numbers = ["value", "numerator", "denominator", "coverage"];
        let rows = Rows::read(&run.indicators, TEXTS, &numbers, &["year"])?;
        Ok(Indicators { rows, flags: frame::text_lists(&run.indicators, "flags")? })
    }
    fn text(&self, c: &str, i: usize) -> &str {
        self.rows.text(c, i).unwrap_or_default()
    }
}

fn rank(value: &str, order: &[&str]) -> usize {
    order.iter().position(|o| *o == value).unwrap_or(order.len())
}

/// One row of a family sheet: the first indicator row of its key, and its values by year.
type Series = (usize, BTreeMap<i32, Option<f64>>);
/// Rows of family sheets in sheet order: (catalogue position, sex, area, region path).
type SeriesKey = (usize, usize, usize, Vec<String>);

/// The family sheets: for each family, its indicators' rows with years across.
pub fn wide(book: &mut Workbook, run: &Run, f: &Formats) -> Result<()> {
    let ind = Indicators::read(run)?;
    let position: BTreeMap<&str, usize> =
        run.catalogue.iter().enumerate().map(|(i, e)| (e.id.as_str(), i)).collect();
    let mut series: BTreeMap<SeriesKey, Series> = BTreeMap::new();
    let mut years: BTreeSet<i32> = BTreeSet::new();
    for i in 0..ind.rows.height() {
        let (Some(&at), Some(year)) =
            (position.get(ind.text("indicator", i)), ind.rows.int("year", i))
        else {
            continue;
        };
        let key = (
            at,
            rank(ind.text("sex", i), &["total", "female", "male"]),
            rank(ind.text("area", i), &["total", "urban", "town", "rural"]),
            run.regions.path(ind.text("region_code", i)),
        );
        years.insert(year as i32);
        let entry = series.entry(key).or_insert_with(|| (i, BTreeMap::new()));
        entry.1.insert(year as i32, ind.rows.float("value", i));
    }
    let years: Vec<i32> = years.into_iter().collect();
    for family in families(run) {
        let rows: Vec<&Series> = series
            .iter()
            .filter(|(k, _)| run.catalogue[k.0].family == family)
            .map(|(_, v)| v)
            .collect();
        for (part, chunk) in rows.chunks(LAST_ROW as usize).enumerate() {
            let sheet = book.add_worksheet_with_constant_memory().map_err(fail)?;
            sheet.set_name(part_name(family, part)).map_err(fail)?;
            wide_sheet(sheet, chunk, &years, run, &ind, f)?;
        }
    }
    Ok(())
}

/// One family sheet (or part of one).
fn wide_sheet(
    sheet: &mut Worksheet,
    rows: &[&Series],
    years: &[i32],
    run: &Run,
    ind: &Indicators,
    f: &Formats,
) -> Result<()> {
    let mut names: Vec<String> =
        ["indicator", "name_zh", "region_code", "region_name", "sex", "area"]
            .map(str::to_string)
            .to_vec();
    names.extend(years.iter().map(|y| y.to_string()));
    names.extend(["unit", "name_en", "region_level"].map(str::to_string));
    for level in &run.regions.upper_levels {
        names.extend([format!("{level}_code"), format!("{level}_name")]);
    }
    sheet.set_freeze_panes(1, 4).map_err(fail)?;
    let after_years = 6 + years.len() as u16;
    let mut code_columns = vec![2];
    code_columns
        .extend((0..run.regions.upper_levels.len()).map(|l| after_years + 3 + 2 * l as u16));
    codes_are_text(sheet, rows.len() as u32, &code_columns)?;
    sheet.autofilter(0, 0, rows.len() as u32, names.len() as u16 - 1).map_err(fail)?;
    widths(sheet, &names)?;
    header(sheet, 0, &names, f)?;
    for (r, (i, values)) in rows.iter().enumerate() {
        let (row, i) = (r as u32 + 1, *i);
        let entry = entry(run, ind.text("indicator", i));
        let code = ind.text("region_code", i);
        for (c, t) in [
            ind.text("indicator", i),
            &entry.name_zh,
            code,
            ind.text("region_name", i),
            ind.text("sex", i),
            ind.text("area", i),
        ]
        .iter()
        .enumerate()
        {
            text(sheet, row, c as u16, t)?;
        }
        for (c, year) in years.iter().enumerate() {
            if let Some(v) = values.get(year).copied().flatten().filter(|v| v.is_finite()) {
                sheet
                    .write_number_with_format(row, 6 + c as u16, v, f.unit(&entry.unit))
                    .map_err(fail)?;
            }
        }
        text(sheet, row, after_years, &entry.unit)?;
        text(sheet, row, after_years + 1, &entry.name_en)?;
        text(sheet, row, after_years + 2, ind.text("region_level", i))?;
        for (l, level) in run.regions.upper_levels.iter().enumerate() {
            if let Some((at, name)) = run.regions.ancestor(code, level) {
                text(sheet, row, after_years + 3 + 2 * l as u16, at)?;
                text(sheet, row, after_years + 4 + 2 * l as u16, name)?;
            }
        }
    }
    Ok(())
}

fn entry<'a>(run: &'a Run, indicator: &str) -> &'a Described {
    static NONE: std::sync::OnceLock<Described> = std::sync::OnceLock::new();
    run.entry(indicator).unwrap_or_else(|| NONE.get_or_init(Described::default))
}

/// Column widths from the header's kind (constant-memory sheets cannot be autofitted).
fn widths(sheet: &mut Worksheet, names: &[String]) -> Result<()> {
    for (c, name) in names.iter().enumerate() {
        let width = match name.as_str() {
            "indicator" => 36.0,
            "name_zh" | "region_name" => 24.0,
            "name_en" => 44.0,
            "flags" => 30.0,
            n if n.ends_with("_name") => 16.0,
            n if n.ends_with("_code") || n == "region_level" => 12.0,
            _ => 10.0,
        };
        sheet.set_column_width(c as u16, width).map_err(fail)?;
    }
    Ok(())
}

/// The long sheet's columns: those of `indicators.parquet`, the Chinese name after the id.
fn long_columns() -> Vec<&'static str> {
    let mut columns = crate::indicators::COLUMNS.to_vec();
    columns.insert(1, "name_zh");
    columns
}

/// Every indicator row as one Excel table (more than one past Excel's last row).
pub fn long(book: &mut Workbook, run: &Run, f: &Formats) -> Result<()> {
    let ind = Indicators::read(run)?;
    let rows: Vec<usize> = (0..ind.rows.height()).collect();
    for (part, chunk) in rows.chunks(LAST_ROW as usize).enumerate() {
        let sheet = book.add_worksheet_with_constant_memory().map_err(fail)?;
        sheet.set_name(part_name("indicators", part)).map_err(fail)?;
        let names = long_columns();
        let columns: Vec<TableColumn> =
            names.iter().map(|n| TableColumn::new().set_header(*n)).collect();
        let name =
            if part == 0 { "indicators".to_string() } else { format!("indicators_{}", part + 1) };
        let table =
            Table::new().set_name(name).set_style(TableStyle::Medium2).set_columns(&columns);
        let last = chunk.len() as u32;
        sheet.add_table(0, 0, last.max(1), names.len() as u16 - 1, &table).map_err(fail)?;
        sheet.set_freeze_panes(1, 0).map_err(fail)?;
        let code = names.iter().position(|n| *n == "region_code").unwrap_or_default() as u16;
        codes_are_text(sheet, last, &[code])?;
        widths(sheet, &names.iter().map(|n| n.to_string()).collect::<Vec<_>>())?;
        for (r, i) in chunk.iter().enumerate() {
            long_row(sheet, r as u32 + 1, *i, run, &ind, f)?;
        }
    }
    Ok(())
}

fn long_row(
    sheet: &mut Worksheet,
    row: u32,
    i: usize,
    run: &Run,
    ind: &Indicators,
    f: &Formats,
) -> Result<()> {
    let entry = entry(run, ind.text("indicator", i));
    for (c, name) in long_columns().into_iter().enumerate() {
        let c = c as u16;
        let (number, format) = match name {
            "name_zh" => {
                text(sheet, row, c, &entry.name_zh)?;
                continue;
            }
            "flags" => {
                text(sheet, row, c, &ind.flags[i].join(";"))?;
                continue;
            }
            "year" => (ind.rows.int("year", i).map(|y| y as f64), f.unit("")),
            "value" => (ind.rows.float(name, i), f.unit(ind.text("unit", i))),
            "numerator" | "denominator" => (ind.rows.float(name, i), f.unit("")),
            "coverage" => (ind.rows.float(name, i), &f.share),
            _ => {
                text(sheet, row, c, ind.text(name, i))?;
                continue;
            }
        };
        if let Some(v) = number.filter(|v| v.is_finite()) {
            sheet.write_number_with_format(row, c, v, format).map_err(fail)?;
        }
    }
    Ok(())
}
