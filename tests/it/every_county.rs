//! 县县 targets (`each = "county"`): every county assessed on its own, the province's row
//! counting how many meet it, the status as of every year, and `edustat targets --level`.
//!
//! The tiny fixture's preschool GER in 2020 (tests/it/tiny.rs): county A 450102 54 / 60 = 90 %,
//! B 450103 30 / 30 = 100 %, C 450202 124 / 120 = 103.3 %; no value in 2019. Its current counties
//! are A, B and C (450199 and 450198 are retired).

use super::common::{edustat, texts, tiny_copy};
use edustat::frame::{self, DataFrame, IntoLazy, col, lit};

pub(super) const TARGETS: &str = r#"
[[targets]]
id = "preschool_each_county"
indicator = "ger_preschool"
region = "450000"
each = "county"
comparator = ">="
value = 95.0
target_year = 2020
baseline_year = 2019
source = "二（一）"
wording = "每個縣學前三年毛入園率達95%"

[[targets]]
id = "preschool_each_county_2021"
indicator = "ger_preschool"
region = "450000"
each = "county"
comparator = ">="
value = 95.0
target_year = 2021
baseline_year = 2019
source = "二（一）"
wording = "每個縣學前三年毛入園率達95% (by 2021)"
"#;

/// The tiny fixture with both 县县 targets, run: (fixture guard, output guard, run folder).
pub(super) fn run() -> (tempfile::TempDir, tempfile::TempDir, std::path::PathBuf) {
    let dir = tiny_copy();
    let pipeline = dir.path().join("pipeline.toml");
    let text = std::fs::read_to_string(&pipeline).unwrap() + TARGETS;
    std::fs::write(&pipeline, text).unwrap();
    let (guard, run) = super::common::run(&pipeline);
    (dir, guard, run)
}

fn rows(df: &DataFrame, target_year: i32, region: &str) -> DataFrame {
    frame::collect(
        df.clone().lazy().filter(
            col("indicator")
                .eq(lit("ger_preschool"))
                .and(col("target_year").eq(lit(target_year)))
                .and(col("target_value").eq(lit(95.0)))
                .and(col("region_code").eq(lit(region))),
        ),
    )
    .unwrap()
}

fn text(df: &DataFrame, column: &str) -> Vec<String> {
    texts(df, column)
}

#[test]
fn each_county_is_assessed_and_the_province_counts_them() {
    let (_d, _g, run) = run();
    let targets = frame::read_parquet(&run.join("targets.parquet")).unwrap();
    // By 2020: A 90 < 95 with no time left → off track; B and C meet it.
    for (county, status, latest) in [
        ("450102", "off_track", 90.0),
        ("450103", "achieved", 100.0),
        ("450202", "achieved", 124.0 / 120.0 * 100.0),
    ] {
        let r = rows(&targets, 2020, county);
        assert_eq!(r.height(), 1, "{county}");
        assert_eq!(text(&r, "status"), vec![status], "{county}");
        assert_eq!(text(&r, "region_level"), vec!["county"]);
        assert_eq!(text(&r, "target_region"), vec!["450000"]);
        let v = r.column("latest_value").unwrap().f64().unwrap().get(0).unwrap();
        assert!((v - latest).abs() < 1e-9, "{county}: {v}");
    }
    // Retired codes are not assessed.
    assert_eq!(rows(&targets, 2020, "450199").height(), 0);
    assert_eq!(rows(&targets, 2020, "450198").height(), 0);
    // The province: 2 of 3 counties meet it; one is off track, so the target is.
    let p = rows(&targets, 2020, "450000");
    assert_eq!(text(&p, "status"), vec!["off_track"]);
    assert_eq!(text(&p, "applies_to"), vec!["county"]);
    let count = |c: &str| p.column(c).unwrap().i32().unwrap().get(0);
    assert_eq!((count("regions_meeting"), count("regions_assessed")), (Some(2), Some(3)));
    // Its own value is the province's (208 / 210), without a gap: the target is each county's.
    assert!(p.column("gap").unwrap().f64().unwrap().get(0).is_none());
    // By 2021 A still has a year, but no 2019 value to draw its line from: no_baseline; the
    // province cannot be on track while a county is not known to be.
    assert_eq!(text(&rows(&targets, 2021, "450102"), "status"), vec!["no_baseline"]);
    assert_eq!(text(&rows(&targets, 2021, "450000"), "status"), vec!["no_baseline"]);
}

#[test]
fn progress_gives_the_status_as_of_every_year() {
    let (_d, _g, run) = run();
    let progress = frame::read_parquet(&run.join("progress.parquet")).unwrap();
    let at = |region: &str, year: i32| {
        frame::collect(
            progress.clone().lazy().filter(
                col("indicator")
                    .eq(lit("ger_preschool"))
                    .and(col("target_year").eq(lit(2020)))
                    .and(col("region_code").eq(lit(region)))
                    .and(col("target_region").eq(lit("450000")))
                    .and(col("year").eq(lit(year))),
            ),
        )
        .unwrap()
    };
    // As of 2019 nothing had been reported: no recent value anywhere, 0 of 3 meeting.
    let r = at("450000", 2019);
    let r = frame::collect(r.lazy().filter(col("regions_assessed").is_not_null())).unwrap();
    assert_eq!(text(&r, "status"), vec!["no_recent_value"]);
    assert_eq!(r.column("regions_meeting").unwrap().i32().unwrap().get(0), Some(0));
    assert_eq!(text(&at("450103", 2019), "status"), vec!["no_recent_value"]);
    // As of 2020: B achieved with its value, no trajectory (no 2019 baseline).
    let b = at("450103", 2020);
    assert_eq!(text(&b, "status"), vec!["achieved"]);
    assert_eq!(b.column("value").unwrap().f64().unwrap().get(0), Some(100.0));
    assert_eq!(b.column("trajectory").unwrap().f64().unwrap().get(0), None);
}

#[test]
fn targets_lists_the_counties_behind() {
    let (_d, _g, run) = run();
    let dir = run.to_str().unwrap();
    let ran = edustat(&["targets", dir, "--level", "county", "--status", "off_track"], &[]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    // Only county A, once per target set for 2020 (the 2021 one is no_baseline).
    let lines: Vec<&str> = ran.stdout.lines().filter(|l| l.contains("450102")).collect();
    assert_eq!(lines.len(), 1, "{}", ran.stdout);
    assert!(!ran.stdout.contains("450103"), "{}", ran.stdout);
    assert!(
        ran.stdout.contains("county rows: 0 achieved, 0 on_track, 1 off_track"),
        "{}",
        ran.stdout
    );
    // The default view: the province's statement, 2/3 meeting.
    let ran = edustat(&["targets", dir, "--indicator", "ger_preschool"], &[]);
    assert!(ran.stdout.contains("2/3"), "{}", ran.stdout);
    let ran = edustat(&["targets", dir, "--status", "late"], &[]);
    assert_eq!(ran.code, Some(2));
}

#[test]
fn each_names_a_level_below_the_top() {
    let dir = tiny_copy();
    let pipeline = dir.path().join("pipeline.toml");
    let text = std::fs::read_to_string(&pipeline).unwrap()
        + &TARGETS.replacen("each = \"county\"", "each = \"village\"", 1);
    std::fs::write(&pipeline, text).unwrap();
    let ran = edustat(&["validate", pipeline.to_str().unwrap()], &[]);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains("each must name a level below the top"), "{}", ran.stderr);
    assert!(ran.stderr.contains("city, county"), "{}", ran.stderr);
}
