//! Stage 3, assess: each target of the plan against the indicators → status, gap and the
//! annual change still required. A target is `on_track` when its latest value is at or beyond
//! the straight line from the baseline to the target in the latest year.

use std::collections::BTreeMap;

use crate::divisions::Divisions;
use crate::error::Result;
use crate::frame::{self, Column, DataFrame, IntoLazy, col, lit};
use crate::spec::{Comparator, TargetSpec};

/// Columns of `targets.parquet`, in order.
pub const COLUMNS: &[&str] = &[
    "target",
    "indicator",
    "region_code",
    "region_name",
    "region_level",
    "target_region",
    "applies_to",
    "target_year",
    "comparator",
    "target_value",
    "target_value_high",
    "baseline_year",
    "baseline_value",
    "latest_year",
    "latest_value",
    "status",
    "regions_meeting",
    "regions_assessed",
    "gap",
    "required_annual_change",
    "source",
    "wording",
];

/// Columns of `progress.parquet`: each target's status as of every year of its plan.
pub const PROGRESS_COLUMNS: &[&str] = &[
    "target",
    "indicator",
    "region_code",
    "region_name",
    "region_level",
    "target_region",
    "target_year",
    "year",
    "value",
    "trajectory",
    "status",
    "regions_meeting",
    "regions_assessed",
];

/// The statuses, best first.
pub const STATUSES: &[&str] =
    &["achieved", "on_track", "off_track", "no_baseline", "no_recent_value"];

/// One assessed target, for one region.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// The target as the plan sets it, with `region` the region assessed (a county of a 县县
    /// target's province).
    pub target: TargetSpec,
    pub region_name: Option<String>,
    pub region_level: Option<String>,
    /// The region the plan addresses (the province of a 县县 target).
    pub target_region: String,
    pub baseline_value: Option<f64>,
    pub latest: Option<(i32, f64)>,
    pub status: &'static str,
    /// Of a 县县 target's own region: (regions meeting it, regions assessed).
    pub counted: Option<(u32, u32)>,
    pub gap: Option<f64>,
    pub required_annual_change: Option<f64>,
    /// As of each year from the baseline to the target year.
    pub progress: Vec<Progress>,
}

/// A target's standing as of one year of its plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub year: i32,
    /// The indicator's value that year.
    pub value: Option<f64>,
    /// The straight line from the baseline to the target, that year.
    pub trajectory: Option<f64>,
    pub status: &'static str,
    /// Of a 县县 target's own region: (regions meeting it, regions assessed) as of that year.
    pub counted: Option<(u32, u32)>,
}

/// Does `value` satisfy the target?
fn meets(t: &TargetSpec, value: f64) -> bool {
    match t.comparator {
        Comparator::AtLeast => value >= t.value,
        Comparator::AtMost => value <= t.value,
        Comparator::Between => value >= t.value && value <= t.value_high.unwrap_or(t.value),
        Comparator::About => {
            (value - t.value).abs() <= t.tolerance.unwrap_or(DEFAULT_TOLERANCE) * t.value.abs()
        }
        Comparator::Equal => (value - t.value).abs() < 1e-9,
    }
}

/// Relative tolerance of an `about` (左右) target when the pipeline gives none.
pub const DEFAULT_TOLERANCE: f64 = 0.1;

/// The value a trajectory aims at, and whether more is better: ranges and "about" targets are
/// approached from below, towards their lower edge.
fn aim(t: &TargetSpec) -> (f64, bool) {
    match t.comparator {
        Comparator::AtMost => (t.value, false),
        Comparator::About => (t.value * (1.0 - t.tolerance.unwrap_or(DEFAULT_TOLERANCE)), true),
        Comparator::AtLeast | Comparator::Equal | Comparator::Between => (t.value, true),
    }
}

/// Assess one target given its indicator's series `year → value` (total, all areas): its
/// value in the latest year from the baseline year to the target year.
pub fn assess_one(
    target: &TargetSpec,
    series: &BTreeMap<i32, f64>,
    region_name: Option<String>,
) -> Assessment {
    let (status, latest, gap, required) = status_as_of(target, series, target.target_year);
    let progress = (target.baseline_year..=target.target_year)
        .map(|year| {
            let (status, ..) = status_as_of(target, series, year);
            let value = series.get(&year).copied();
            Progress {
                year,
                value,
                trajectory: trajectory(target, series, year),
                status,
                counted: None,
            }
        })
        .collect();
    Assessment {
        target: target.clone(),
        region_name,
        region_level: None,
        target_region: target.region.clone(),
        baseline_value: series.get(&target.baseline_year).copied(),
        latest,
        status,
        counted: None,
        gap,
        required_annual_change: required,
        progress,
    }
}

/// The straight line from the baseline value to the target, in `year`.
fn trajectory(target: &TargetSpec, series: &BTreeMap<i32, f64>, year: i32) -> Option<f64> {
    let base = series.get(&target.baseline_year)?;
    let span = target.target_year - target.baseline_year;
    if span <= 0 {
        return None;
    }
    let (goal, _) = aim(target);
    Some(base + (goal - base) * f64::from(year - target.baseline_year) / f64::from(span))
}

type Judged = (&'static str, Option<(i32, f64)>, Option<f64>, Option<f64>);

/// Status, latest (year, value), gap and required annual change from the values of the
/// baseline year up to `as_of`.
fn status_as_of(target: &TargetSpec, series: &BTreeMap<i32, f64>, as_of: i32) -> Judged {
    let upto = as_of.min(target.target_year);
    let latest = series.range(target.baseline_year..=upto).next_back().map(|(y, v)| (*y, *v));
    let Some((year, value)) = latest else { return ("no_recent_value", None, None, None) };
    let gap = value - target.value;
    let remaining = target.target_year - year;
    let required = (remaining > 0).then(|| (target.value - value) / f64::from(remaining));
    let status = if meets(target, value) {
        "achieved"
    } else if remaining <= 0
        || target.comparator == Comparator::Equal
        || year == target.baseline_year
    {
        "off_track"
    } else {
        match trajectory(target, series, year) {
            Some(line) => {
                let (_, upward) = aim(target);
                let beyond = if upward { value >= line } else { value <= line };
                if beyond { "on_track" } else { "off_track" }
            }
            None => "no_baseline",
        }
    };
    (status, latest, Some(gap), if status == "achieved" { None } else { required })
}

/// The status of a 县县 target's own region from its regions' statuses: achieved when every
/// one is, off track when any is, otherwise on track only when every one is at least on track.
fn rolled_status(statuses: &[&'static str]) -> &'static str {
    let any = |s: &str| statuses.contains(&s);
    if statuses.is_empty() {
        "no_recent_value"
    } else if statuses.iter().all(|s| *s == "achieved") {
        "achieved"
    } else if any("off_track") {
        "off_track"
    } else if any("no_recent_value") {
        "no_recent_value"
    } else if any("no_baseline") {
        "no_baseline"
    } else {
        "on_track"
    }
}

/// Assess every target against `indicators` (the layout of `indicators.parquet`); region names
/// come from the division table, so a target without data still names its region. A 县县
/// target (`each`) is assessed for every current region of that level under its region, and
/// its region's row counts how many meet it. One pass over the indicators for all targets.
pub fn assess(
    targets: &[TargetSpec],
    indicators: &DataFrame,
    divisions: &Divisions,
) -> Result<Vec<Assessment>> {
    let ids: Vec<String> = targets.iter().map(|t| t.indicator.clone()).collect();
    let targeted = frame::any_of(ids.iter().map(|i| col("indicator").eq(lit(i.clone()))).collect());
    let rows = frame::collect(
        indicators
            .clone()
            .lazy()
            .filter(
                targeted
                    .and(col("sex").eq(lit("total")))
                    .and(col("area").eq(lit("total")))
                    .and(col("value").is_not_null()),
            )
            .select([col("indicator"), col("region_code"), col("year"), col("value")]),
    )?;
    let (inds, codes) = (frame::texts(&rows, "indicator")?, frame::texts(&rows, "region_code")?);
    let (years, values) = (frame::ints(&rows, "year")?, frame::floats(&rows, "value")?);
    let mut series: BTreeMap<(String, String), BTreeMap<i32, f64>> = BTreeMap::new();
    for i in 0..rows.height() {
        if let (Some(ind), Some(code), Some(y), Some(v)) =
            (&inds[i], &codes[i], years[i], values[i])
        {
            series.entry((ind.clone(), code.clone())).or_default().insert(y as i32, v);
        }
    }
    let empty = BTreeMap::new();
    let one = |t: &TargetSpec, region: &str| {
        let s = series.get(&(t.indicator.clone(), region.to_string())).unwrap_or(&empty);
        let t = TargetSpec { region: region.to_string(), ..t.clone() };
        let mut a = assess_one(&t, s, divisions.get(region).map(|d| d.name_zh.clone()));
        a.region_level = divisions.get(region).map(|d| d.level.clone());
        a
    };
    let mut out = Vec::new();
    for t in targets {
        let own = one(t, &t.region);
        let Some(level) = &t.each else {
            out.push(own);
            continue;
        };
        let each: Vec<Assessment> = regions_under(divisions, &t.region, level)
            .iter()
            .map(|r| Assessment { target_region: t.region.clone(), ..one(t, r) })
            .collect();
        out.push(rolled_up(own, &each));
        out.extend(each);
    }
    Ok(out)
}

/// The current regions of `level` under `region`, in code order.
fn regions_under(divisions: &Divisions, region: &str, level: &str) -> Vec<String> {
    let under = |code: &str| {
        let mut at = divisions.get(code).and_then(|d| d.parent_code.clone());
        for _ in 0..16 {
            match at {
                Some(p) if p == region => return true,
                Some(p) => at = divisions.get(&p).and_then(|d| d.parent_code.clone()),
                None => return false,
            }
        }
        false
    };
    let mut codes: Vec<String> = divisions
        .rows
        .iter()
        .filter(|d| d.level == level && d.valid_to.is_none() && under(&d.code))
        .map(|d| d.code.clone())
        .collect();
    codes.sort();
    codes
}

/// A 县县 target's own row: its region's own value and series, the status of its regions, and
/// how many of them meet it, now and as of every year. No gap: the target is each region's.
fn rolled_up(mut own: Assessment, each: &[Assessment]) -> Assessment {
    let count = |statuses: &[&'static str]| {
        let met = statuses.iter().filter(|s| **s == "achieved").count() as u32;
        Some((met, statuses.len() as u32))
    };
    let now: Vec<&'static str> = each.iter().map(|a| a.status).collect();
    own.status = rolled_status(&now);
    own.counted = count(&now);
    own.gap = None;
    own.required_annual_change = None;
    for (i, p) in own.progress.iter_mut().enumerate() {
        let then: Vec<&'static str> =
            each.iter().filter_map(|a| a.progress.get(i)).map(|q| q.status).collect();
        p.status = rolled_status(&then);
        p.counted = count(&then);
        p.trajectory = None;
    }
    own
}

fn texts(name: &str, v: Vec<Option<String>>) -> Column {
    Column::new(name.into(), v)
}

type TextOf<'a> = dyn Fn(&dyn Fn(&Assessment) -> Option<String>) -> Vec<Option<String>> + 'a;

/// The columns that say which target and region a row is of.
fn which(text: &TextOf) -> Vec<Column> {
    vec![
        texts("target", text(&|x| Some(x.target.id.clone()))),
        texts("indicator", text(&|x| Some(x.target.indicator.clone()))),
        texts("region_code", text(&|x| Some(x.target.region.clone()))),
        texts("region_name", text(&|x| x.region_name.clone())),
        texts("region_level", text(&|x| x.region_level.clone())),
        texts("target_region", text(&|x| Some(x.target_region.clone()))),
    ]
}

/// The `targets.parquet` frame.
pub fn to_frame(assessments: &[Assessment]) -> Result<DataFrame> {
    let a = assessments;
    let text = |f: &dyn Fn(&Assessment) -> Option<String>| a.iter().map(f).collect::<Vec<_>>();
    let float = |f: &dyn Fn(&Assessment) -> Option<f64>| a.iter().map(f).collect::<Vec<_>>();
    let int = |f: &dyn Fn(&Assessment) -> Option<i32>| a.iter().map(f).collect::<Vec<_>>();
    let count = |f: &dyn Fn((u32, u32)) -> u32| {
        a.iter().map(|x| x.counted.map(|c| f(c) as i32)).collect::<Vec<_>>()
    };
    let mut columns = which(&text);
    columns.extend(vec![
        texts("applies_to", text(&|x| x.target.each.clone().or_else(|| x.region_level.clone()))),
        Column::new("target_year".into(), int(&|x| Some(x.target.target_year))),
        texts("comparator", text(&|x| Some(x.target.comparator.as_str().to_string()))),
        Column::new("target_value".into(), float(&|x| Some(x.target.value))),
        Column::new("target_value_high".into(), float(&|x| x.target.value_high)),
        Column::new("baseline_year".into(), int(&|x| Some(x.target.baseline_year))),
        Column::new("baseline_value".into(), float(&|x| x.baseline_value)),
        Column::new("latest_year".into(), int(&|x| x.latest.map(|l| l.0))),
        Column::new("latest_value".into(), float(&|x| x.latest.map(|l| l.1))),
        texts("status", text(&|x| Some(x.status.to_string()))),
        Column::new("regions_meeting".into(), count(&|c| c.0)),
        Column::new("regions_assessed".into(), count(&|c| c.1)),
        Column::new("gap".into(), float(&|x| x.gap)),
        Column::new("required_annual_change".into(), float(&|x| x.required_annual_change)),
        texts("source", text(&|x| Some(x.target.source.clone()))),
        texts("wording", text(&|x| Some(x.target.wording.clone()))),
    ]);
    frame::frame(columns)
}

/// The `progress.parquet` frame: one row per target, region and year of the plan.
pub fn progress_frame(assessments: &[Assessment]) -> Result<DataFrame> {
    let rows: Vec<ProgressRow> =
        assessments.iter().flat_map(|a| a.progress.iter().map(move |p| (a, p))).collect();
    let text = |f: &dyn Fn(&Assessment) -> Option<String>| texts_of(&rows, f);
    let mut columns = which(&text);
    columns.extend(vec![
        Column::new(
            "target_year".into(),
            rows.iter().map(|(a, _)| a.target.target_year).collect::<Vec<_>>(),
        ),
        Column::new("year".into(), rows.iter().map(|(_, p)| p.year).collect::<Vec<_>>()),
        Column::new("value".into(), rows.iter().map(|(_, p)| p.value).collect::<Vec<_>>()),
        Column::new(
            "trajectory".into(),
            rows.iter().map(|(_, p)| p.trajectory).collect::<Vec<_>>(),
        ),
        Column::new(
            "status".into(),
            rows.iter().map(|(_, p)| p.status.to_string()).collect::<Vec<_>>(),
        ),
        Column::new(
            "regions_meeting".into(),
            rows.iter().map(|(_, p)| p.counted.map(|c| c.0 as i32)).collect::<Vec<_>>(),
        ),
        Column::new(
            "regions_assessed".into(),
            rows.iter().map(|(_, p)| p.counted.map(|c| c.1 as i32)).collect::<Vec<_>>(),
        ),
    ]);
    frame::frame(columns)
}

type ProgressRow<'a> = (&'a Assessment, &'a Progress);

fn texts_of(
    rows: &[ProgressRow],
    f: &dyn Fn(&Assessment) -> Option<String>,
) -> Vec<Option<String>> {
    rows.iter().map(|(a, _)| f(a)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(value: f64) -> TargetSpec {
        TargetSpec {
            id: "t".into(),
            indicator: "ger_preschool".into(),
            region: "450000".into(),
            comparator: Comparator::AtLeast,
            value,
            value_high: None,
            tolerance: None,
            target_year: 2020,
            baseline_year: 2017,
            each: None,
            source: "一（三）".into(),
            wording: String::new(),
        }
    }

    #[test]
    fn statuses() {
        let s: BTreeMap<i32, f64> = [(2017, 80.0), (2018, 84.0)].into();
        // line from 80 (2017) to 92 (2020): 84 in 2018; 84 >= 84 → on track; needs (92-84)/2 = 4 a year
        let a = assess_one(&target(92.0), &s, None);
        assert_eq!(
            (a.status, a.gap, a.required_annual_change),
            ("on_track", Some(-8.0), Some(4.0))
        );
        // line to 95: 80 + 15/3 = 85 in 2018; 84 < 85 → off track
        assert_eq!(assess_one(&target(95.0), &s, None).status, "off_track");
        assert_eq!(assess_one(&target(83.0), &s, None).status, "achieved");
        assert_eq!(assess_one(&target(90.0), &BTreeMap::new(), None).status, "no_recent_value");
        // A value before the baseline year is not recent.
        let old: BTreeMap<i32, f64> = [(2015, 95.0)].into();
        assert_eq!(assess_one(&target(90.0), &old, None).status, "no_recent_value");
        // A recent value short of the target, with time left and no baseline to draw the line.
        let no_base: BTreeMap<i32, f64> = [(2018, 84.0)].into();
        assert_eq!(assess_one(&target(90.0), &no_base, None).status, "no_baseline");
    }

    #[test]
    fn ranges_and_about() {
        // "1–3 universities": 2 is inside the range.
        let between = TargetSpec {
            comparator: Comparator::Between,
            value: 1.0,
            value_high: Some(3.0),
            ..target(1.0)
        };
        let s: BTreeMap<i32, f64> = [(2017, 0.0), (2020, 2.0)].into();
        assert_eq!(assess_one(&between, &s, None).status, "achieved");
        let s: BTreeMap<i32, f64> = [(2017, 0.0), (2020, 4.0)].into();
        assert_eq!(assess_one(&between, &s, None).status, "off_track");
        // "about 30" with the default 10%: 27..=33 is achieved; 26 is not.
        let about = TargetSpec { comparator: Comparator::About, ..target(30.0) };
        let s: BTreeMap<i32, f64> = [(2017, 0.0), (2020, 27.0)].into();
        assert_eq!(assess_one(&about, &s, None).status, "achieved");
        let s: BTreeMap<i32, f64> = [(2017, 0.0), (2020, 26.0)].into();
        assert_eq!(assess_one(&about, &s, None).status, "off_track");
        // On the way: 2018 with 10 of "about 30" from 0 in 2017: line to 27 is 9 → on track.
        let s: BTreeMap<i32, f64> = [(2017, 0.0), (2018, 10.0)].into();
        assert_eq!(assess_one(&about, &s, None).status, "on_track");
    }
}
