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
    "indicator",
    "region_code",
    "region_name",
    "target_year",
    "comparator",
    "target_value",
    "target_value_high",
    "baseline_year",
    "baseline_value",
    "latest_year",
    "latest_value",
    "status",
    "gap",
    "required_annual_change",
    "source",
    "wording",
];

/// One assessed target.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub target: TargetSpec,
    pub region_name: Option<String>,
    pub baseline_value: Option<f64>,
    pub latest: Option<(i32, f64)>,
    pub status: &'static str,
    pub gap: Option<f64>,
    pub required_annual_change: Option<f64>,
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

/// Assess one target given its indicator's series `year → value` (total, all areas).
pub fn assess_one(
    target: &TargetSpec,
    series: &BTreeMap<i32, f64>,
    region_name: Option<String>,
) -> Assessment {
    let baseline_value = series.get(&target.baseline_year).copied();
    let latest = series.range(..=target.target_year).next_back().map(|(y, v)| (*y, *v));
    let (status, gap, required) = match latest {
        None => ("no_data", None, None),
        Some((year, value)) => {
            let gap = value - target.value;
            let remaining = target.target_year - year;
            let required = (remaining > 0).then(|| (target.value - value) / remaining as f64);
            let status = if meets(target, value) {
                "achieved"
            } else if remaining <= 0 || target.comparator == Comparator::Equal {
                "off_track"
            } else {
                match baseline_value {
                    Some(base)
                        if year > target.baseline_year
                            && target.target_year > target.baseline_year =>
                    {
                        let share = (year - target.baseline_year) as f64
                            / (target.target_year - target.baseline_year) as f64;
                        let (goal, upward) = aim(target);
                        let line = base + (goal - base) * share;
                        let beyond = if upward { value >= line } else { value <= line };
                        if beyond { "on_track" } else { "off_track" }
                    }
                    _ => "off_track",
                }
            };
            (status, Some(gap), if status == "achieved" { None } else { required })
        }
    };
    Assessment {
        target: target.clone(),
        region_name,
        baseline_value,
        latest,
        status,
        gap,
        required_annual_change: required,
    }
}

/// Assess every target against `indicators` (the layout of `indicators.parquet`); region names
/// come from the division table, so a target without data still names its region.
pub fn assess(
    targets: &[TargetSpec],
    indicators: &DataFrame,
    divisions: &Divisions,
) -> Result<Vec<Assessment>> {
    let mut out = Vec::new();
    for t in targets {
        let rows = frame::collect(
            indicators
                .clone()
                .lazy()
                .filter(
                    col("indicator")
                        .eq(lit(t.indicator.clone()))
                        .and(col("region_code").eq(lit(t.region.clone())))
                        .and(col("sex").eq(lit("total")))
                        .and(col("area").eq(lit("total")))
                        .and(col("value").is_not_null()),
                )
                .select([col("year"), col("value")]),
        )?;
        let years = frame::ints(&rows, "year")?;
        let values = frame::floats(&rows, "value")?;
        let series: BTreeMap<i32, f64> =
            years.into_iter().zip(values).filter_map(|(y, v)| Some((y? as i32, v?))).collect();
        let name = divisions.get(&t.region).map(|d| d.name_zh.clone());
        out.push(assess_one(t, &series, name));
    }
    Ok(out)
}

/// The `targets.parquet` frame.
pub fn to_frame(assessments: &[Assessment]) -> Result<DataFrame> {
    let a = assessments;
    frame::frame(vec![
        Column::new(
            "indicator".into(),
            a.iter().map(|x| x.target.indicator.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "region_code".into(),
            a.iter().map(|x| x.target.region.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "region_name".into(),
            a.iter().map(|x| x.region_name.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "target_year".into(),
            a.iter().map(|x| x.target.target_year).collect::<Vec<_>>(),
        ),
        Column::new(
            "comparator".into(),
            a.iter().map(|x| x.target.comparator.as_str()).collect::<Vec<_>>(),
        ),
        Column::new("target_value".into(), a.iter().map(|x| x.target.value).collect::<Vec<_>>()),
        Column::new(
            "target_value_high".into(),
            a.iter().map(|x| x.target.value_high).collect::<Vec<_>>(),
        ),
        Column::new(
            "baseline_year".into(),
            a.iter().map(|x| x.target.baseline_year).collect::<Vec<_>>(),
        ),
        Column::new(
            "baseline_value".into(),
            a.iter().map(|x| x.baseline_value).collect::<Vec<_>>(),
        ),
        Column::new(
            "latest_year".into(),
            a.iter().map(|x| x.latest.map(|l| l.0)).collect::<Vec<_>>(),
        ),
        Column::new(
            "latest_value".into(),
            a.iter().map(|x| x.latest.map(|l| l.1)).collect::<Vec<_>>(),
        ),
        Column::new("status".into(), a.iter().map(|x| x.status.to_string()).collect::<Vec<_>>()),
        Column::new("gap".into(), a.iter().map(|x| x.gap).collect::<Vec<_>>()),
        Column::new(
            "required_annual_change".into(),
            a.iter().map(|x| x.required_annual_change).collect::<Vec<_>>(),
        ),
        Column::new("source".into(), a.iter().map(|x| x.target.source.clone()).collect::<Vec<_>>()),
        Column::new(
            "wording".into(),
            a.iter().map(|x| x.target.wording.clone()).collect::<Vec<_>>(),
        ),
    ])
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
        assert_eq!(assess_one(&target(90.0), &BTreeMap::new(), None).status, "no_data");
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
