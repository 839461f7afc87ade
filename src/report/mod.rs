//! `edustat report`: one self-contained HTML page of a published run for planners — for every
//! target the plan sets, its indicator's series against the target and the straight trajectory
//! from the baseline, the status and gap; for a 县县 target, its regions ranked against the
//! threshold; a summary of statuses; and the run's provenance (inputs and their hashes,
//! quarantined rows, failed checks). No request of any kind leaves the page (inline SVG and CSS
//! under a `default-src 'none'` policy), and the same run gives the same bytes.
//!
//! This file reads the run into the facts the page shows; `chart.rs` draws, `page.rs` lays out.

mod chart;
mod page;
mod provenance;

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::frame::{self, IntoLazy, Rows, col, lit};
use crate::manifest::Manifest;
use crate::run_folder;

/// Everything the page shows, read from one run folder.
#[derive(Debug)]
pub struct Report {
    pub manifest: Manifest,
    /// The targets the plan sets, in the pipeline's order (one per target, on its own region).
    pub targets: Vec<Target>,
    pub quarantine: Quarantine,
    pub checks: Checks,
}

/// One target of the plan, on the region it addresses.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// The pipeline's id of the target.
    pub id: String,
    pub indicator: String,
    pub name_zh: String,
    pub name_en: String,
    pub unit: String,
    pub region_code: String,
    pub region_name: String,
    /// The level each of whose regions must meet it (`county`), or the region's own level.
    pub applies_to: String,
    pub comparator: String,
    pub value: f64,
    pub value_high: Option<f64>,
    pub target_year: i32,
    pub baseline_year: i32,
    pub baseline_value: Option<f64>,
    pub latest: Option<(i32, f64)>,
    pub status: String,
    pub gap: Option<f64>,
    pub required_annual_change: Option<f64>,
    /// (regions meeting it, regions assessed) of a 县县 target.
    pub counted: Option<(i64, i64)>,
    pub source: String,
    pub wording: String,
    /// The indicator's value on the region (total, all areas), every published year.
    pub series: BTreeMap<i32, Option<f64>>,
    /// As of each year of the plan.
    pub progress: Vec<Standing>,
    /// A 县县 target's regions, each on its own value.
    pub regions: Vec<RegionStanding>,
}

impl Target {
    /// Is this a target every region of a level must meet (县县)?
    pub fn each(&self) -> bool {
        !self.regions.is_empty() || self.counted.is_some()
    }

    /// A value of the target's indicator as the page shows it.
    pub fn shown(&self, v: Option<f64>) -> String {
        amount(v, &self.unit)
    }

    /// Who must meet it, for a 县县 target: `每县 each county`.
    pub fn applies_text(&self) -> Option<String> {
        let zh = match self.applies_to.as_str() {
            "county" => "县",
            "city" => "市",
            "province" => "省",
            _ => "",
        };
        self.each().then(|| format!("每{zh} each {}", self.applies_to))
    }
}

/// A target's standing as of one year of its plan.
#[derive(Debug, Clone, Default)]
pub struct Standing {
    pub year: i32,
    pub trajectory: Option<f64>,
    pub status: String,
    pub counted: Option<(i64, i64)>,
}

/// One region of a 县县 target.
#[derive(Debug, Clone, Default)]
pub struct RegionStanding {
    pub code: String,
    pub name: String,
    pub latest: Option<(i32, f64)>,
    pub status: String,
}

/// The run's quarantined input rows: how many, by rule, and the first of them.
#[derive(Debug, Default)]
pub struct Quarantine {
    pub total: usize,
    pub by_rule: Vec<(String, usize)>,
    /// (file, line, column, raw value, rule, message), at most [`QUARANTINE_SHOWN`].
    pub rows: Vec<[String; 6]>,
}

/// The quarantined rows the page lists one by one (all are counted).
pub const QUARANTINE_SHOWN: usize = 200;

/// The run's quality checks: how many passed, and every one that did not.
#[derive(Debug, Default)]
pub struct Checks {
    pub total: usize,
    pub passed: usize,
    /// (rule, scope, severity, detail) of every failed check.
    pub failed: Vec<[String; 4]>,
}

/// Write the report of the run in `dir` to `to` (through a temporary file beside it, renamed
/// into place: a reader never sees half a page).
pub fn write(dir: &Path, to: &Path) -> Result<()> {
    let report = read(dir)?;
    let html = page::render(&report);
    let folder = match to.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = to.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let partial = folder.join(format!(".{name}.partial"));
    std::fs::write(&partial, html).map_err(|e| Error::io(&partial, e))?;
    std::fs::rename(&partial, to).map_err(|e| Error::io(to, e))
}

/// The facts of the run in `dir`, every table checked against the run's manifest first.
pub fn read(dir: &Path) -> Result<Report> {
    let manifest = Manifest::read(dir)?;
    let names = catalogue(dir)?;
    let mut targets = targets(dir, &names)?;
    standings(dir, &mut targets)?;
    series(dir, &mut targets)?;
    Ok(Report { manifest, targets, quarantine: quarantine(dir)?, checks: checks(dir)? })
}

/// (name_zh, name_en, unit) of every indicator of the catalogue.
fn catalogue(dir: &Path) -> Result<BTreeMap<String, [String; 3]>> {
    let df = run_folder::table(dir, "catalogue.parquet")?;
    let r = Rows::read(&df, &["indicator", "name_zh", "name_en", "unit"], &[], &[])?;
    let t = |c: &str, i: usize| r.text(c, i).unwrap_or_default().to_string();
    Ok((0..r.height())
        .map(|i| (t("indicator", i), [t("name_zh", i), t("name_en", i), t("unit", i)]))
        .collect())
}

const TARGET_TEXTS: &[&str] = &[
    "target",
    "indicator",
    "region_code",
    "region_name",
    "target_region",
    "applies_to",
    "comparator",
    "status",
    "source",
    "wording",
];
const TARGET_NUMBERS: &[&str] =
    &["target_value", "target_value_high", "baseline_value", "latest_value", "gap"];
const TARGET_INTS: &[&str] =
    &["target_year", "baseline_year", "latest_year", "regions_meeting", "regions_assessed"];

/// The targets, each on the region it addresses, with the regions of a 县县 target under it.
fn targets(dir: &Path, names: &BTreeMap<String, [String; 3]>) -> Result<Vec<Target>> {
    let df = run_folder::table(dir, "targets.parquet")?;
    let mut numbers = TARGET_NUMBERS.to_vec();
    numbers.push("required_annual_change");
    let r = Rows::read(&df, TARGET_TEXTS, &numbers, TARGET_INTS)?;
    let t = |c: &str, i: usize| r.text(c, i).unwrap_or_default().to_string();
    let mut out: Vec<Target> = Vec::new();
    for i in 0..r.height() {
        let latest = r.int("latest_year", i).zip(r.float("latest_value", i));
        if t("region_code", i) != t("target_region", i) {
            let standing = RegionStanding {
                code: t("region_code", i),
                name: t("region_name", i),
                latest: latest.map(|(y, v)| (y as i32, v)),
                status: t("status", i),
            };
            match out.iter_mut().rev().find(|x| x.id == t("target", i)) {
                Some(own) => own.regions.push(standing),
                None => {
                    return Err(Error::input(
                        dir.join("targets.parquet"),
                        format!(
                            "row {}: a region of target {} before the target",
                            i + 1,
                            t("target", i)
                        ),
                    ));
                }
            }
            continue;
        }
        let [name_zh, name_en, unit] = names.get(&t("indicator", i)).cloned().unwrap_or_default();
        out.push(Target {
            id: t("target", i),
            indicator: t("indicator", i),
            name_zh,
            name_en,
            unit,
            region_code: t("region_code", i),
            region_name: t("region_name", i),
            applies_to: t("applies_to", i),
            comparator: t("comparator", i),
            value: r.float("target_value", i).unwrap_or(f64::NAN),
            value_high: r.float("target_value_high", i),
            target_year: r.int("target_year", i).unwrap_or_default() as i32,
            baseline_year: r.int("baseline_year", i).unwrap_or_default() as i32,
            baseline_value: r.float("baseline_value", i),
            latest: latest.map(|(y, v)| (y as i32, v)),
            status: t("status", i),
            gap: r.float("gap", i),
            required_annual_change: r.float("required_annual_change", i),
            counted: r.int("regions_meeting", i).zip(r.int("regions_assessed", i)),
            source: t("source", i),
            wording: t("wording", i),
            ..Target::default()
        });
    }
    Ok(out)
}

/// Each target's standing as of every year of its plan (`progress.parquet`, own region only).
fn standings(dir: &Path, targets: &mut [Target]) -> Result<()> {
    let df = frame::collect(
        run_folder::table(dir, "progress.parquet")?
            .lazy()
            .filter(col("region_code").eq(col("target_region"))),
    )?;
    let r = Rows::read(
        &df,
        &["target", "status"],
        &["trajectory"],
        &["year", "regions_meeting", "regions_assessed"],
    )?;
    for i in 0..r.height() {
        let Some(target) = targets.iter_mut().find(|t| Some(t.id.as_str()) == r.text("target", i))
        else {
            continue;
        };
        target.progress.push(Standing {
            year: r.int("year", i).unwrap_or_default() as i32,
            trajectory: r.float("trajectory", i),
            status: r.text("status", i).unwrap_or_default().to_string(),
            counted: r.int("regions_meeting", i).zip(r.int("regions_assessed", i)),
        });
    }
    Ok(())
}

/// Each target's indicator on its region (total, all areas), every year published.
fn series(dir: &Path, targets: &mut [Target]) -> Result<()> {
    let wanted = frame::any_of(
        targets
            .iter()
            .map(|t| {
                col("indicator")
                    .eq(lit(t.indicator.clone()))
                    .and(col("region_code").eq(lit(t.region_code.clone())))
            })
            .collect(),
    );
    let df = frame::collect(
        run_folder::table(dir, "indicators.parquet")?
            .lazy()
            .filter(wanted.and(col("sex").eq(lit("total"))).and(col("area").eq(lit("total")))),
    )?;
    let r = Rows::read(&df, &["indicator", "region_code"], &["value"], &["year"])?;
    for i in 0..r.height() {
        let Some(year) = r.int("year", i) else { continue };
        for t in targets.iter_mut().filter(|t| {
            Some(t.indicator.as_str()) == r.text("indicator", i)
                && Some(t.region_code.as_str()) == r.text("region_code", i)
        }) {
            t.series.insert(year as i32, r.float("value", i));
        }
    }
    Ok(())
}

fn quarantine(dir: &Path) -> Result<Quarantine> {
    let df = run_folder::table(dir, "quarantine.parquet")?;
    let texts = ["source_file", "sheet", "line", "column", "raw_value", "rule", "message"];
    let r = Rows::read(&df, &texts, &[], &[])?;
    let t = |c: &str, i: usize| r.text(c, i).unwrap_or_default().to_string();
    let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
    for i in 0..r.height() {
        *by_rule.entry(t("rule", i)).or_default() += 1;
    }
    let rows = (0..r.height().min(QUARANTINE_SHOWN))
        .map(|i| {
            let at = match r.text("sheet", i) {
                Some(sheet) => format!("{} [{sheet}]", t("source_file", i)),
                None => t("source_file", i),
            };
            [at, t("line", i), t("column", i), t("raw_value", i), t("rule", i), t("message", i)]
        })
        .collect();
    Ok(Quarantine { total: r.height(), by_rule: by_rule.into_iter().collect(), rows })
}

fn checks(dir: &Path) -> Result<Checks> {
    let df = run_folder::table(dir, "checks.parquet")?;
    let passed = frame::bools(&df, "passed")?;
    let r = Rows::read(&df, &["rule", "scope", "severity", "detail"], &[], &[])?;
    let t = |c: &str, i: usize| r.text(c, i).unwrap_or_default().to_string();
    let failed = (0..r.height())
        .filter(|i| passed[*i] != Some(true))
        .map(|i| [t("rule", i), t("scope", i), t("severity", i), t("detail", i)])
        .collect();
    Ok(Checks {
        total: r.height(),
        passed: passed.iter().filter(|p| **p == Some(true)).count(),
        failed,
    })
}

/// A value in a unit as the page shows it: whole counts and amounts of money without
/// decimals, anything else as [`figure`].
pub fn amount(v: Option<f64>, unit: &str) -> String {
    match v {
        Some(x) if matches!(unit, "count" | "yuan") && x.is_finite() && x.fract() == 0.0 => {
            format!("{x:.0}")
        }
        other => figure(other),
    }
}

/// A number as the report and the terminal show it: one decimal from 10 up, three below (a
/// ratio of 0.972 is not 1.0), a small non-zero value never as 0, `-` for none.
pub fn figure(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(x) if !x.is_finite() => "-".into(),
        Some(x) if x != 0.0 && x.abs() < 0.0005 => format!("{x:.1e}"),
        Some(x) if x.abs() < 10.0 => {
            let t = format!("{x:.3}");
            let t = t.trim_end_matches('0');
            format!("{t}{}", if t.ends_with('.') { "0" } else { "" })
        }
        Some(x) => format!("{x:.1}"),
    }
}
