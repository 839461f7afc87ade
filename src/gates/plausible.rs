//! Plausibility of published values (`[[plausibility.indicators]]`): a range, the change from
//! the region's own previous year, and the modified z-score among sibling regions (the regions
//! of one parent and level; |0.6745 (x − median) / MAD|, the outlier test DHIS2 uses). One
//! check per indicator and bound, passed or not, listing the first offending values; `action`
//! decides whether a failure stops the run. Totals only (sex and area total).

use std::collections::BTreeMap;

use super::Check;
use crate::divisions::Divisions;
use crate::error::Result;
use crate::frame::{self, DataFrame, IntoLazy, col, lit};
use crate::spec::{Action, PlausibleSpec};

/// Offending values listed in a check's detail.
const LISTED: usize = 5;

/// Siblings needed for a median and MAD that mean something.
const MIN_SIBLINGS: usize = 5;

/// (year, region) → value of one indicator.
type Series = BTreeMap<(i32, String), f64>;

/// (year, parent, level) → the members' (code, value).
type Siblings<'a> = BTreeMap<(i32, String, String), Vec<(&'a String, f64)>>;

/// Every check of every plausibility entry.
pub fn checks(
    specs: &[PlausibleSpec],
    indicators: &DataFrame,
    divisions: &Divisions,
) -> Result<Vec<Check>> {
    let mut out = Vec::new();
    for spec in specs {
        for id in &spec.ids {
            let series = series(indicators, id)?;
            let check = |rule: &str, bound: String, offending: Vec<String>| Check {
                rule: format!("plausibility.{rule}"),
                scope: id.clone(),
                passed: offending.is_empty(),
                detail: detail(&bound, &offending),
                warning: spec.action == Action::Warn,
            };
            if spec.min.is_some() || spec.max.is_some() {
                let (bound, off) = range(&series, spec.min, spec.max);
                out.push(check("range", bound, off));
            }
            if let Some(limit) = spec.max_change {
                out.push(check(
                    "change",
                    format!("change within ±{}%", limit * 100.0),
                    change(&series, limit),
                ));
            }
            if let Some(limit) = spec.max_modified_z {
                let off = siblings(&series, divisions, limit);
                out.push(check("siblings", format!("modified z-score within {limit}"), off));
            }
        }
    }
    Ok(out)
}

fn detail(bound: &str, offending: &[String]) -> String {
    if offending.is_empty() {
        return format!("every value: {bound}");
    }
    let shown: Vec<&str> = offending.iter().take(LISTED).map(String::as_str).collect();
    format!("{} values break {bound}: {}", offending.len(), shown.join("; "))
}

/// The total rows of one indicator with a value.
fn series(indicators: &DataFrame, id: &str) -> Result<Series> {
    let rows = frame::collect(
        indicators.clone().lazy().filter(
            col("indicator")
                .eq(lit(id.to_string()))
                .and(col("sex").eq(lit("total")))
                .and(col("area").eq(lit("total")))
                .and(col("value").is_not_null()),
        ),
    )?;
    let (years, codes, values) = (
        frame::ints(&rows, "year")?,
        frame::texts(&rows, "region_code")?,
        frame::floats(&rows, "value")?,
    );
    let mut out = Series::new();
    for i in 0..rows.height() {
        if let (Some(y), Some(c), Some(v)) = (years[i], &codes[i], values[i]) {
            out.insert((y as i32, c.clone()), v);
        }
    }
    Ok(out)
}

fn range(series: &Series, min: Option<f64>, max: Option<f64>) -> (String, Vec<String>) {
    let bound = match (min, max) {
        (Some(a), Some(b)) => format!("range {a}..={b}"),
        (Some(a), None) => format!("at least {a}"),
        (None, Some(b)) => format!("at most {b}"),
        (None, None) => String::new(),
    };
    let off = series
        .iter()
        .filter(|(_, v)| min.is_some_and(|m| **v < m) || max.is_some_and(|m| **v > m))
        .map(|((y, c), v)| format!("{c} {y}: {v:.2}"))
        .collect();
    (bound, off)
}

fn change(series: &Series, limit: f64) -> Vec<String> {
    series
        .iter()
        .filter_map(|((y, c), v)| {
            let before = *series.get(&(y - 1, c.clone()))?;
            let moved = (v / before - 1.0).abs();
            (before > 0.0 && moved > limit).then(|| {
                format!("{c} {y}: {before:.2} → {v:.2} ({:+.1}%)", (v / before - 1.0) * 100.0)
            })
        })
        .collect()
}

fn siblings(series: &Series, divisions: &Divisions, limit: f64) -> Vec<String> {
    let mut groups = Siblings::new();
    for ((y, c), v) in series {
        let Some(d) = divisions.get(c) else { continue };
        let Some(parent) = d.parent_code.clone() else { continue };
        groups.entry((*y, parent, d.level.clone())).or_default().push((c, *v));
    }
    let mut off = Vec::new();
    for ((y, parent, _), members) in groups.iter().filter(|(_, m)| m.len() >= MIN_SIBLINGS) {
        let median = median(members.iter().map(|(_, v)| *v).collect());
        let mad = median_of_deviations(members, median);
        if mad <= 0.0 {
            continue;
        }
        for (c, v) in members {
            let z = 0.6745 * (v - median) / mad;
            if z.abs() > limit {
                off.push(format!(
                    "{c} {y}: {v:.2} (z {z:+.1} among the {} regions of {parent})",
                    members.len()
                ));
            }
        }
    }
    off
}

fn median_of_deviations(members: &[(&String, f64)], median_value: f64) -> f64 {
    median(members.iter().map(|(_, v)| (v - median_value).abs()).collect())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modified_z_of_a_tenfold_value() {
        // Values 10, 11, 12, 13, 14, 120: median (12 + 13) / 2 = 12.5; deviations 2.5, 1.5,
        // 0.5, 0.5, 1.5, 107.5 → MAD (1.5 + 1.5) / 2 = 1.5; z of 120 = 0.6745 × 107.5 / 1.5
        // = 72.50875 / 1.5 = 48.33917; of 10: 0.6745 × −2.5 / 1.5 = −1.124.
        let values = [10.0, 11.0, 12.0, 13.0, 14.0, 120.0];
        assert_eq!(median(values.to_vec()), 12.5);
        let codes: Vec<String> = (0..6).map(|i| format!("c{i}")).collect();
        let members: Vec<(&String, f64)> = codes.iter().zip(values).collect();
        let mad = median_of_deviations(&members, 12.5);
        assert_eq!(mad, 1.5);
        assert!((0.6745 * (120.0 - 12.5) / mad - 48.33917).abs() < 1e-5);
    }

    #[test]
    fn siblings_and_changes_name_the_offending_values() {
        // Six counties of one city with 10, 11, 12, 13, 14, 120: only 120 is beyond 3.5 (z 48.3;
        // 10 has z −1.1). County 450101 goes from 5 (2019) to 10 (2020): +100 %, beyond 50 %.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("divisions.csv");
        let mut text =
            "code,name_zh,name_en,level,parent_code,valid_from,valid_to,successor_code\n\
            450000,省,,province,,,,\n450100,市,,city,450000,,,\n"
                .to_string();
        for i in 1..=6 {
            text.push_str(&format!("45010{i},县{i},,county,450100,,,\n"));
        }
        std::fs::write(&path, text).unwrap();
        let divisions = Divisions::load(&path).unwrap();
        let mut series = Series::new();
        for (i, v) in [10.0, 11.0, 12.0, 13.0, 14.0, 120.0].iter().enumerate() {
            series.insert((2020, format!("45010{}", i + 1)), *v);
        }
        series.insert((2019, "450101".to_string()), 5.0);
        let off = siblings(&series, &divisions, 3.5);
        assert_eq!(off.len(), 1, "{off:?}");
        assert!(off[0].starts_with("450106 2020: 120.00 (z +48.3"), "{off:?}");
        let moved = change(&series, 0.5);
        assert_eq!(moved, vec!["450101 2020: 5.00 → 10.00 (+100.0%)".to_string()]);
    }
}
