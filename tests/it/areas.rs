//! Rows by area (城区 / 镇区 / 乡村 → urban / town / rural): the tiny fixture with a 城乡分类
//! column added to its school register, worked out by hand from its classes, pupils, teachers
//! and register (tests/fixtures/tiny).
//!
//! Areas given below, by school:
//!   3501020001 kindergarten (A 450102) urban     3501020002 senior general (A) urban
//!   3501990001 kindergarten (B 450199) town      3501020003 technical (A)      urban
//!   3502020001 kindergarten (C 450202) rural     3502020002 secondary voc. (C) rural
//!   3502020003 primary      (C)        rural     3501020004 junior (A)         town

use std::path::Path;

use super::common::{close, repo, tiny_copy};
use edustat::frame::{self, DataFrame, IntoLazy, col, lit};

const AREAS: &[(&str, &str)] = &[
    ("3501020001", "城区"),
    ("3501990001", "镇区"),
    ("3502020001", "乡村"),
    ("3501020002", "城区"),
    ("3501020003", "城区"),
    ("3502020002", "乡村"),
    ("3502020003", "乡村"),
    ("3501020004", "镇区"),
];

/// The tiny fixture with the register's 城乡分类 column and its mapping; `by_area` as given
/// (None: the default).
fn with_areas(dir: &Path, by_area: Option<bool>) {
    let register = std::fs::read_to_string(dir.join("schools.csv")).unwrap();
    let mut lines = register.lines();
    let mut out = format!("{},城乡分类\n", lines.next().unwrap());
    for line in lines {
        let id = line.split(',').nth(1).unwrap();
        let area = AREAS.iter().find(|(s, _)| *s == id).unwrap().1;
        out.push_str(&format!("{line},{area}\n"));
    }
    std::fs::write(dir.join("schools.csv"), out).unwrap();
    let pipeline = std::fs::read_to_string(dir.join("pipeline.toml")).unwrap();
    let pipeline = pipeline
        .replace("beds = \"床位\" }", "beds = \"床位\", area = \"城乡分类\" }")
        .replace(
            "ownership = { \"公办\" = \"public\", \"民办\" = \"private\" } }",
            "ownership = { \"公办\" = \"public\", \"民办\" = \"private\" }, area = { \"城区\" = \"urban\", \"镇区\" = \"town\", \"乡村\" = \"rural\" } }",
        );
    let pipeline = match by_area {
        Some(on) => pipeline.replacen("province = ", &format!("by_area = {on}\nprovince = "), 1),
        None => pipeline,
    };
    std::fs::write(dir.join("pipeline.toml"), pipeline).unwrap();
}

fn indicators(by_area: Option<bool>) -> (tempfile::TempDir, tempfile::TempDir, DataFrame) {
    let dir = tiny_copy();
    with_areas(dir.path(), by_area);
    let (guard, run) = super::common::run(&dir.path().join("pipeline.toml"));
    let df = frame::read_parquet(&run.join("indicators.parquet")).unwrap();
    (dir, guard, df)
}

/// (value, numerator, denominator, coverage, flags) of one row by area.
fn by_area(
    df: &DataFrame,
    id: &str,
    region: &str,
    area: &str,
) -> Option<(Option<f64>, Option<f64>, Option<f64>, Option<f64>, Vec<String>)> {
    let rows = frame::collect(
        df.clone().lazy().filter(
            col("indicator")
                .eq(lit(id))
                .and(col("year").eq(lit(2020)))
                .and(col("region_code").eq(lit(region)))
                .and(col("sex").eq(lit("total")))
                .and(col("area").eq(lit(area))),
        ),
    )
    .unwrap();
    assert!(rows.height() <= 1, "{id}/{region}/{area} is not unique");
    if rows.height() == 0 {
        return None;
    }
    let f = |c: &str| rows.column(c).unwrap().f64().unwrap().get(0);
    let flags = rows.column("flags").unwrap().list().unwrap().get_as_series(0).unwrap();
    let flags = flags.str().unwrap().clone();
    let flags = (0..flags.len()).filter_map(|i| flags.get(i).map(str::to_string)).collect();
    Some((f("value"), f("numerator"), f("denominator"), f("coverage"), flags))
}

#[test]
fn school_side_ratios_by_area_by_hand() {
    let (_d, _g, df) = indicators(None);
    // (indicator, region, area, numerator, denominator); value = numerator / denominator × scale.
    let cases: &[(&str, &str, &str, f64, f64, f64)] = &[
        // Compulsory classes of 56+ (56-60 and 66+; 51-60 is counted below the cut-off):
        // primary 3502020003 (C, rural) 3 + 1 + 1 = 5 classes, 1 + 1 = 2 of them 56+;
        // junior 3501020004 (A, town) 4 classes, none 56+. Total 2 / 9.
        ("large_class_share_compulsory", "450000", "total", 2.0, 9.0, 100.0),
        ("large_class_share_compulsory", "450000", "rural", 2.0, 5.0, 100.0), // 40 %
        ("large_class_share_compulsory", "450000", "town", 0.0, 4.0, 100.0),  // 0 %
        ("large_class_share_compulsory", "450202", "rural", 2.0, 5.0, 100.0),
        ("large_class_share_compulsory", "450102", "town", 0.0, 4.0, 100.0),
        // Primary pupils 50 (grade 1 of 3502020003) over its 5 teachers and its 5 classes.
        ("pupil_teacher_ratio_primary", "450000", "rural", 50.0, 5.0, 1.0),
        ("average_class_size_primary", "450200", "rural", 50.0, 5.0, 1.0),
        // Broadband: senior 3501020002 (urban) yes, primary 3502020003 (rural) no, junior
        // 3501020004 (town) yes: 2 of 3 in total, 1/1, 0/1, 1/1 by area.
        ("broadband_coverage", "450000", "total", 2.0, 3.0, 100.0),
        ("broadband_coverage", "450000", "urban", 1.0, 1.0, 100.0),
        ("broadband_coverage", "450000", "rural", 0.0, 1.0, 100.0),
        ("broadband_coverage", "450000", "town", 1.0, 1.0, 100.0),
    ];
    for (id, region, area, num, den, scale) in cases {
        let (value, n, d, _, _) = by_area(&df, id, region, area)
            .unwrap_or_else(|| panic!("{id}/{region}/{area} has a row"));
        assert_eq!((n, d), (Some(*num), Some(*den)), "{id}/{region}/{area} parts");
        assert!(close(value, num / den * scale), "{id}/{region}/{area}: {value:?}");
    }
}

#[test]
fn area_rows_sum_to_the_total_and_share_its_coverage() {
    let (_d, _g, df) = indicators(None);
    for id in ["large_class_share_compulsory", "broadband_coverage"] {
        let (_, tn, td, tc, _) = by_area(&df, id, "450000", "total").unwrap();
        let (mut n, mut d) = (0.0, 0.0);
        for area in ["urban", "town", "rural"] {
            if let Some((_, an, ad, ac, _)) = by_area(&df, id, "450000", area) {
                n += an.unwrap();
                d += ad.unwrap();
                // A county with no rural school is not missing from the rural value.
                assert_eq!(ac, tc, "{id}/{area}: the total's coverage");
            }
        }
        assert_eq!((Some(n), Some(d)), (tn, td), "{id}: the areas add up to the total");
    }
    // County A has no rural compulsory school: its rural row is there, null, flagged no_data.
    let (value, n, d, _, flags) =
        by_area(&df, "large_class_share_compulsory", "450102", "rural").unwrap();
    assert_eq!((value, n, d), (None, None, None));
    assert_eq!(flags, vec!["no_data".to_string()]);
    // No urban compulsory class anywhere: no urban rows at all for that indicator.
    assert!(by_area(&df, "large_class_share_compulsory", "450000", "urban").is_none());
    // The population has no area: the GERs are published in total only.
    assert!(by_area(&df, "ger_preschool", "450000", "urban").is_none());
    assert!(by_area(&df, "ger_preschool", "450000", "total").is_some());
}

#[test]
fn by_area_false_publishes_totals_only() {
    let (_d, _g, df) = indicators(Some(false));
    let areas = frame::collect(frame::distinct(df.lazy().select([col("area")]))).unwrap();
    assert_eq!(super::common::texts(&areas, "area"), vec!["total".to_string()]);
}

#[test]
fn the_fixture_itself_has_no_area_rows() {
    let (guard, run) = super::common::run(&repo().join("tests/fixtures/tiny/pipeline.toml"));
    let df = frame::read_parquet(&run.join("indicators.parquet")).unwrap();
    drop(guard);
    let areas = frame::collect(frame::distinct(df.lazy().select([col("area")]))).unwrap();
    // A register without 城乡分类 gives nothing to break down.
    assert_eq!(super::common::texts(&areas, "area"), vec!["total".to_string()]);
}

/// Population of county C (450202) aged 3–5 by area, each age: urban 5 m + 5 f, rural
/// `rural_each` m + as many f (15: 40 per age, the 20 m + 20 f population.csv has).
fn with_population_by_area(dir: &Path, rural_each: u32) {
    let mut csv = String::from("地区代码,年龄,城乡,男,女\n");
    for age in 3..=5 {
        csv.push_str(&format!(
            "450202,{age}岁,城区,5,5\n450202,{age}岁,乡村,{rural_each},{rural_each}\n"
        ));
    }
    std::fs::write(dir.join("population_area.csv"), csv).unwrap();
    let mut pipeline = std::fs::read_to_string(dir.join("pipeline.toml")).unwrap();
    pipeline.push_str(
        r#"
[mappings.population_area]
table = "population"
columns = { region_code = "地区代码", age = "年龄", area = "城乡" }
codes = { area = { "城区" = "urban", "镇区" = "town", "乡村" = "rural" } }
strip_suffixes = { age = ["岁"] }
values = [
  { raw = "男", measure = "population", sex = "male" },
  { raw = "女", measure = "population", sex = "female" },
]

[[sources]]
path = "population_area.csv"
mapping = "population_area"
encoding = "utf-8"
constants = { year = 2020, source = "census" }
"#,
    );
    std::fs::write(dir.join("pipeline.toml"), pipeline).unwrap();
}

#[test]
fn gross_enrolment_by_area_needs_population_by_area() {
    let dir = tiny_copy();
    with_areas(dir.path(), None);
    with_population_by_area(dir.path(), 15);
    let (_g, run) = super::common::run(&dir.path().join("pipeline.toml"));
    let df = frame::read_parquet(&run.join("indicators.parquet")).unwrap();
    // County C aged 3–5: urban 3 × 10 = 30, rural 3 × 30 = 90 (45 m, 45 f); its population.csv
    // rows (3 × 40 = 120) stay the total and are checked against 30 + 90, never added to them.
    // Kindergartens: K3 (C, rural) 124 children, girls 60, boys 64; C has no urban kindergarten,
    // so its urban numerator is 0 (its register is delivered).
    let row = |region: &str, area: &str| by_area(&df, "ger_preschool", region, area);
    let (v, n, d, _, flags) = row("450202", "rural").unwrap();
    assert_eq!((n, d), (Some(124.0), Some(90.0)));
    assert!(close(v, 124.0 / 90.0 * 100.0), "{v:?}"); // 137.78 %
    assert!(flags.contains(&"over_100".to_string()), "{flags:?}");
    let (v, n, d, _, _) = row("450202", "urban").unwrap();
    assert_eq!((v, n, d), (Some(0.0), Some(0.0), Some(30.0)));
    let (_, n, d, _, _) = row("450202", "total").unwrap();
    assert_eq!((n, d), (Some(124.0), Some(120.0)), "the total is population.csv's");
    // The province by area: only C has population by area. Rural 124 / 90; urban: C's 0 / 30,
    // with K1 (A, urban, 54 children) left out as unpaired; town: K2 (B, town, 30 children)
    // has no population to divide by.
    let (v, n, d, _, _) = row("450000", "rural").unwrap();
    assert_eq!((n, d), (Some(124.0), Some(90.0)));
    assert!(close(v, 124.0 / 90.0 * 100.0));
    let (v, n, d, _, flags) = row("450000", "urban").unwrap();
    assert_eq!((v, n, d), (Some(0.0), Some(0.0), Some(30.0)));
    assert!(flags.contains(&"numerator_unpaired".to_string()), "{flags:?}");
    let (v, _, _, _, flags) = row("450000", "town").unwrap();
    assert_eq!(v, None);
    assert!(flags.contains(&"denominator_missing".to_string()), "{flags:?}");
    // By sex too: C rural girls 60 / 45, boys 64 / 45; the GPI of the rural rate 60/45 ÷ 64/45.
    let girls = frame::collect(
        df.clone().lazy().filter(
            col("indicator")
                .eq(lit("ger_preschool"))
                .and(col("region_code").eq(lit("450202")))
                .and(col("area").eq(lit("rural")))
                .and(col("sex").eq(lit("female"))),
        ),
    )
    .unwrap();
    assert_eq!(girls.column("numerator").unwrap().f64().unwrap().get(0), Some(60.0));
    assert_eq!(girls.column("denominator").unwrap().f64().unwrap().get(0), Some(45.0));
    let (gpi, _, _, _, _) = by_area(&df, "ger_preschool_gpi", "450202", "rural").unwrap();
    assert!(close(gpi, 60.0 / 64.0), "{gpi:?}");
    // The senior-secondary band (15–17) has no population by area: no rows by area.
    assert!(by_area(&df, "ger_senior_secondary", "450202", "rural").is_none());
    // The supplied total matches its areas: one passed check per age and sex.
    let checks = frame::read_parquet(&run.join("checks.parquet")).unwrap();
    let area_checks = frame::collect(
        checks.lazy().filter(col("rule").eq(lit("population.area_sum")).and(col("passed"))),
    )
    .unwrap();
    assert_eq!(area_checks.height(), 3 * 2, "ages 3, 4, 5 × female, male");
}

#[test]
fn population_by_area_that_does_not_add_up_stops_the_run() {
    let dir = tiny_copy();
    with_areas(dir.path(), None);
    // Rural 16 m + 16 f per age: 10 + 32 = 42, not the 40 of population.csv.
    with_population_by_area(dir.path(), 16);
    let out = tempfile::tempdir().unwrap();
    let Err(err) = edustat::run::run(&dir.path().join("pipeline.toml"), out.path()) else {
        panic!("the run publishes")
    };
    let message = err.to_string();
    assert!(message.contains("population.area_sum"), "{message}");
    assert!(message.contains("450202 2020 male age 3"), "{message}");
}
