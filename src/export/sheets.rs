//! The README sheet (the run, the sheets, the statuses, the sources and the catalogue) and the
//! targets sheet (every target and region, its status in colour, values in the unit's format).

use rust_xlsxwriter::{Workbook, Worksheet};

use super::Run;
use super::book::{Formats, codes_are_text, fail, header, text};
use crate::error::Result;
use crate::frame::Rows;

/// What the statuses mean, for the README.
const STATUS_MEANINGS: &[(&str, &str)] = &[
    ("achieved", "已达成: the latest value meets the target"),
    ("on_track", "进度正常: short of it, but at or beyond the straight line from the baseline"),
    ("off_track", "滞后: behind that line, or the target year has come"),
    ("no_baseline", "无基线: short of it with years left, but no baseline value to draw the line"),
    ("no_recent_value", "无近期数值: no value from the baseline year on"),
];

fn key_values(
    sheet: &mut Worksheet,
    row: &mut u32,
    pairs: &[(&str, String)],
    f: &Formats,
) -> Result<()> {
    for (k, v) in pairs {
        sheet.write_string_with_format(*row, 0, *k, &f.bold).map_err(fail)?;
        text(sheet, *row, 1, v)?;
        *row += 1;
    }
    Ok(())
}

/// The README sheet: what the workbook holds and where it comes from.
pub fn readme(book: &mut Workbook, run: &Run, f: &Formats) -> Result<()> {
    let sheet = book.add_worksheet().set_name("README").map_err(fail)?;
    let m = &run.manifest;
    let title = format!("edustat 工作簿 workbook · {}", m.pipeline_id);
    sheet.write_string_with_format(0, 0, &title, &f.title).map_err(fail)?;
    text(
        sheet,
        1,
        0,
        "One published run of edustat. Codes are text; values keep their indicator's unit (percent is 0–100); a blank value is a missing one (the flags of the indicators sheet say why).",
    )?;
    let mut row = 3;
    key_values(
        sheet,
        &mut row,
        &[
            ("运行 run", m.run_id.clone()),
            ("流程 pipeline", format!("{} ({})", m.pipeline_id, m.pipeline_file)),
            ("时间 time", format!("{} – {}", m.started_at, m.finished_at)),
            (
                "版本 edustat",
                format!(
                    "{} (commit {}) · schema {}",
                    m.edustat_version, m.edustat_commit, m.schema_version
                ),
            ),
            ("配置散列 spec hash", m.spec_hash.clone()),
            ("区划表 divisions", format!("{} · sha256 {}", m.divisions.path, m.divisions.sha256)),
        ],
        f,
    )?;
    row += 1;
    sheet.write_string_with_format(row, 0, "工作表 Sheets", &f.title).map_err(fail)?;
    row += 1;
    let mut guide = vec![(
        "targets",
        "目标: every target and region (县县 targets: each county too), status in colour"
            .to_string(),
    )];
    for family in super::families::families(run) {
        guide.push((
            family,
            format!("{family}: one row per indicator, region, sex and area; years across"),
        ));
    }
    guide.push((
        "indicators",
        "every indicator row, one Excel table (Insert › PivotTable)".to_string(),
    ));
    let guide: Vec<(&str, String)> = guide.into_iter().collect();
    key_values(sheet, &mut row, &guide, f)?;
    row += 1;
    sheet.write_string_with_format(row, 0, "状态 Statuses", &f.title).map_err(fail)?;
    row += 1;
    for (status, meaning) in STATUS_MEANINGS {
        if let Some(fill) = f.status(status) {
            sheet.write_string_with_format(row, 0, *status, fill).map_err(fail)?;
        }
        text(sheet, row, 1, meaning)?;
        row += 1;
    }
    row += 1;
    row = sources(sheet, row, run, f)?;
    catalogue(sheet, row + 1, run, f)?;
    for (c, width) in [34.0, 44.0, 16.0, 30.0, 12.0, 60.0, 30.0, 30.0, 66.0].iter().enumerate() {
        sheet.set_column_width(c as u16, *width).map_err(fail)?;
    }
    Ok(())
}

/// The run's input files with their accounting and hashes; returns the next free row.
fn sources(sheet: &mut Worksheet, mut row: u32, run: &Run, f: &Formats) -> Result<u32> {
    sheet.write_string_with_format(row, 0, "来源 Sources", &f.title).map_err(fail)?;
    row += 1;
    let names = [
        "file",
        "table",
        "encoding",
        "sheet",
        "rows read",
        "accepted",
        "quarantined",
        "bytes",
        "sha256",
    ];
    header(sheet, row, &names.map(str::to_string), f)?;
    for input in &run.manifest.inputs {
        row += 1;
        text(sheet, row, 0, &input.path)?;
        text(sheet, row, 1, &input.table)?;
        text(sheet, row, 2, input.encoding.as_deref().unwrap_or_default())?;
        text(sheet, row, 3, input.sheet.as_deref().unwrap_or_default())?;
        for (c, n) in [input.rows_read, input.rows_accepted, input.rows_quarantined, input.bytes]
            .iter()
            .enumerate()
        {
            sheet
                .write_number_with_format(row, 4 + c as u16, *n as f64, f.unit("count"))
                .map_err(fail)?;
        }
        text(sheet, row, 8, &input.sha256)?;
    }
    Ok(row + 2)
}

/// The catalogue, Chinese and English, with definitions.
fn catalogue(sheet: &mut Worksheet, mut row: u32, run: &Run, f: &Formats) -> Result<()> {
    sheet.write_string_with_format(row, 0, "指标目录 Catalogue", &f.title).map_err(fail)?;
    row += 1;
    let names =
        ["indicator", "family", "unit", "name_zh", "name_en", "definition", "methodology", "plan"];
    header(sheet, row, &names.map(str::to_string), f)?;
    for e in &run.catalogue {
        row += 1;
        let cells = [
            &e.id,
            &e.family,
            &e.unit,
            &e.name_zh,
            &e.name_en,
            &e.definition,
            &e.methodology,
            &e.plan,
        ];
        for (c, value) in cells.iter().enumerate() {
            text(sheet, row, c as u16, value)?;
        }
    }
    Ok(())
}

/// How a targets column is written.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Code,
    Whole,
    /// In the indicator's unit.
    Value,
    Status,
}

/// The targets sheet's columns: (header, column of targets.parquet, kind). `name_zh`,
/// `name_en` and `unit` come from the catalogue.
const TARGET_COLUMNS: &[(&str, &str, Kind)] = &[
    ("target", "target", Kind::Text),
    ("indicator", "indicator", Kind::Text),
    ("name_zh", "", Kind::Text),
    ("name_en", "", Kind::Text),
    ("region_code", "region_code", Kind::Code),
    ("region_name", "region_name", Kind::Text),
    ("region_level", "region_level", Kind::Text),
    ("target_region", "target_region", Kind::Code),
    ("applies_to", "applies_to", Kind::Text),
    ("target_year", "target_year", Kind::Whole),
    ("comparator", "comparator", Kind::Text),
    ("target_value", "target_value", Kind::Value),
    ("target_value_high", "target_value_high", Kind::Value),
    ("baseline_year", "baseline_year", Kind::Whole),
    ("baseline_value", "baseline_value", Kind::Value),
    ("latest_year", "latest_year", Kind::Whole),
    ("latest_value", "latest_value", Kind::Value),
    ("status", "status", Kind::Status),
    ("regions_meeting", "regions_meeting", Kind::Whole),
    ("regions_assessed", "regions_assessed", Kind::Whole),
    ("gap", "gap", Kind::Value),
    ("required_annual_change", "required_annual_change", Kind::Value),
    ("unit", "", Kind::Text),
    ("source", "source", Kind::Text),
    ("wording", "wording", Kind::Text),
];

/// The targets sheet: every row of `targets.parquet` with the indicator's names and unit.
pub fn targets(book: &mut Workbook, run: &Run, f: &Formats) -> Result<()> {
    let pick = |k: &[Kind]| -> Vec<&str> {
        TARGET_COLUMNS.iter().filter(|c| k.contains(&c.2) && !c.1.is_empty()).map(|c| c.1).collect()
    };
    let r = Rows::read(
        &run.targets,
        &pick(&[Kind::Text, Kind::Code, Kind::Status]),
        &pick(&[Kind::Value]),
        &pick(&[Kind::Whole]),
    )?;
    let sheet = book.add_worksheet().set_name("targets").map_err(fail)?;
    header(sheet, 0, &TARGET_COLUMNS.iter().map(|c| c.0.to_string()).collect::<Vec<_>>(), f)?;
    for i in 0..r.height() {
        let row = i as u32 + 1;
        let indicator = r.text("indicator", i).unwrap_or_default();
        let entry = run.entry(indicator).cloned().unwrap_or_default();
        for (c, (name, column, kind)) in TARGET_COLUMNS.iter().enumerate() {
            let c = c as u16;
            match kind {
                Kind::Text | Kind::Code if column.is_empty() => {
                    let from_catalogue = match *name {
                        "name_zh" => &entry.name_zh,
                        "name_en" => &entry.name_en,
                        _ => &entry.unit,
                    };
                    text(sheet, row, c, from_catalogue)?;
                }
                Kind::Text | Kind::Code => {
                    text(sheet, row, c, r.text(column, i).unwrap_or_default())?;
                }
                Kind::Status => {
                    let status = r.text(column, i).unwrap_or_default();
                    match f.status(status) {
                        Some(fill) => sheet
                            .write_string_with_format(row, c, status, fill)
                            .map(|_| ())
                            .map_err(fail)?,
                        None => text(sheet, row, c, status)?,
                    }
                }
                Kind::Whole => {
                    if let Some(n) = r.int(column, i) {
                        sheet.write_number(row, c, n as f64).map_err(fail)?;
                    }
                }
                Kind::Value => {
                    if let Some(v) = r.float(column, i).filter(|v| v.is_finite()) {
                        sheet
                            .write_number_with_format(row, c, v, f.unit(&entry.unit))
                            .map_err(fail)?;
                    }
                }
            }
        }
    }
    let last = r.height() as u32;
    codes_are_text(sheet, last, &[4, 7])?;
    sheet.set_freeze_panes(1, 2).map_err(fail)?;
    sheet.autofilter(0, 0, last, TARGET_COLUMNS.len() as u16 - 1).map_err(fail)?;
    sheet.autofit();
    Ok(())
}
