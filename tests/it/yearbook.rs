//! A fictional country's published yearbook (tests/fixtures/yearbook), read as published: ';'
//! separated, a title line, regions by name with the national row and regional sub-totals among
//! the provinces, years and stages in the headers, ".." for no value, pupils in thousands.
//!
//! Levels: country NL > regions NL-N (Aster NL-01, Birch NL-02, Fjord NL-06 until 2019, split
//! into Glacier NL-07 and Harbour NL-08 from 2020), NL-S (Cedar NL-03, Dune NL-04, Elm NL-05
//! until 2019, merged into Dune).
//!
//!   persons aged 6–8 (3 ages)   2019            2020
//!     Aster                     3 × 100 = 300   300
//!     Birch                     3 × 200 = 600   600
//!     Fjord                     3 ×  40 = 120   ..
//!     Glacier / Harbour         ..              3 × 30 = 90 / 3 × 20 = 60
//!     Cedar                     3 × 150 = 450   450
//!     Dune                      3 ×  50 = 150   3 × 100 = 300
//!     Elm                       3 ×  50 = 150   ..
//!     (North, South and "Republic of Norland" rows: supplied totals, checked by the gates)
//!   primary pupils (thousands)  2019            2020
//!     Norland                   1.77            1.85
//!     North                     1.02            1.1
//!     Aster / Birch             0.33 / 0.57     0.35 / 0.6
//!     Fjord                     0.12            ..
//!     Glacier / Harbour         ..              0.09 / 0.06
//!     Southern Region           0.75            0.75
//!     Cedar                     0.4             ..
//!     Dune                      0.2             0.35
//!     Elm                       0.15            ..

use std::path::Path;

use edustat::frame;

use super::common::{Row, close, edustat, indicator, repo};

fn copy_fixture(dir: &Path) {
    for entry in std::fs::read_dir(repo().join("tests/fixtures/yearbook")).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
    }
}

/// Run a copy of the fixture with `extra` appended to its pipeline file.
fn run_with(extra: &str) -> (tempfile::TempDir, std::path::PathBuf, frame::DataFrame) {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    let pipeline = dir.path().join("pipeline.toml");
    let text = std::fs::read_to_string(&pipeline).unwrap();
    std::fs::write(&pipeline, format!("{text}\n{extra}\n")).unwrap();
    let run_dir = edustat::run::run(&pipeline, &dir.path().join("out")).unwrap().run_dir;
    let df = frame::read_parquet(&run_dir.join("indicators.parquet")).unwrap();
    (dir, run_dir, df)
}

fn ger(df: &frame::DataFrame, year: i32, region: &str) -> Row {
    indicator(df, "ger_primary", year, region, "total")
        .unwrap_or_else(|| panic!("no ger_primary {year} {region}"))
}

fn expect(r: &Row, value: f64, num: f64, den: f64) {
    assert!(close(r.value, value), "{r:?}: value {value}");
    assert_eq!((r.numerator, r.denominator), (Some(num), Some(den)), "{r:?}");
}

#[test]
fn published_tables_are_read_as_published() {
    let (_dir, run_dir, df) = run_with("");
    // 2019, every province reported; totals were never added to their parts.
    expect(&ger(&df, 2019, "NL-01"), 110.0, 330.0, 300.0); // 330 / 300 × 100
    expect(&ger(&df, 2019, "NL-02"), 95.0, 570.0, 600.0); // 570 / 600 × 100
    expect(&ger(&df, 2019, "NL-03"), 400.0 / 450.0 * 100.0, 400.0, 450.0); // 88.888…
    // Constant boundaries: Elm's 2019 counts under Dune, (200 + 150) / (150 + 150).
    expect(&ger(&df, 2019, "NL-04"), 350.0 / 300.0 * 100.0, 350.0, 300.0);
    assert!(indicator(&df, "ger_primary", 2019, "NL-05", "total").is_none(), "Elm merged");
    // A split cannot be re-mapped: Fjord as reported, flagged, and its successors from 2020.
    let fjord = ger(&df, 2019, "NL-06");
    expect(&fjord, 100.0, 120.0, 120.0);
    assert!(fjord.flags.contains(&"boundary_break".to_string()), "{fjord:?}");
    assert!(indicator(&df, "ger_primary", 2019, "NL-07", "total").is_none(), "not yet in force");
    let glacier = ger(&df, 2020, "NL-07");
    expect(&glacier, 100.0, 90.0, 90.0);
    assert!(glacier.flags.contains(&"boundary_break".to_string()), "{glacier:?}");
    expect(&ger(&df, 2019, "NL-N"), 100.0, 1020.0, 1020.0); // (330 + 570 + 120) / (300 + 600 + 120)
    expect(&ger(&df, 2019, "NL-S"), 100.0, 750.0, 750.0); // (400 + 350) / (450 + 300)
    // The country: 1770 / 1770, not with its own and its regions' rows summed on top.
    expect(&ger(&df, 2019, "NL"), 100.0, 1770.0, 1770.0);
    // 2020: Cedar's ".." is no value; South and the country count only what was reported.
    let cedar = ger(&df, 2020, "NL-03");
    assert_eq!((cedar.value, cedar.numerator), (None, None), "{cedar:?}");
    assert!(cedar.flags.contains(&"numerator_missing".to_string()), "{cedar:?}");
    let south = ger(&df, 2020, "NL-S");
    expect(&south, 350.0 / 300.0 * 100.0, 350.0, 300.0); // Dune alone: 350 / 300
    assert_eq!(south.coverage, Some(0.5), "{south:?}"); // 1 of 2 provinces
    assert!(south.flags.contains(&"low_coverage".to_string()), "{south:?}");
    // (350 + 600 + 90 + 60 + 350) / (300 + 600 + 90 + 60 + 300) = 1450 / 1350
    expect(&ger(&df, 2020, "NL-N"), 1100.0 / 1050.0 * 100.0, 1100.0, 1050.0);
    let nation = ger(&df, 2020, "NL");
    expect(&nation, 1450.0 / 1350.0 * 100.0, 1450.0, 1350.0);
    assert!(close(nation.coverage, 5.0 / 6.0), "{nation:?}"); // 5 of 6 provinces in force
    // Levels are the division table's own.
    let levels = frame::collect(frame::distinct(
        frame::lazy(&df).select([frame::col("region_code"), frame::col("region_level")]),
    ))
    .unwrap();
    let pairs: Vec<(String, String)> = frame::texts(&levels, "region_code")
        .unwrap()
        .into_iter()
        .zip(frame::texts(&levels, "region_level").unwrap())
        .map(|(c, l)| (c.unwrap(), l.unwrap()))
        .collect();
    for (code, level) in [("NL", "country"), ("NL-N", "region"), ("NL-03", "province")] {
        assert!(pairs.contains(&(code.into(), level.into())), "{code} {level}: {pairs:?}");
    }
    // The catalogue is the pipeline's own: its one ratio and the ratio's gender parity index,
    // described by their family.
    let catalogue = frame::read_parquet(&run_dir.join("catalogue.parquet")).unwrap();
    let ids = frame::texts(&catalogue, "indicator").unwrap();
    assert_eq!(ids, vec![Some("ger_primary".to_string()), Some("ger_primary_gpi".to_string())]);
    let name = frame::texts(&catalogue, "name_en").unwrap()[0].clone().unwrap();
    assert_eq!(name, "Gross enrolment ratio, primary");
    let definition = frame::texts(&catalogue, "definition").unwrap()[0].clone().unwrap();
    assert!(definition.contains("population aged 6-8"), "{definition}");
    supplied_totals_are_checked(&run_dir);
    unknown_names_are_quarantined_with_the_nearest(&run_dir);
}

/// Every supplied total against its parts, in checks.parquet.
fn supplied_totals_are_checked(run_dir: &Path) {
    let checks = frame::read_parquet(&run_dir.join("checks.parquet")).unwrap();
    let rule = frame::texts(&checks, "rule").unwrap();
    let scope = frame::texts(&checks, "scope").unwrap();
    let passed = frame::bools(&checks, "passed").unwrap();
    let severity = frame::texts(&checks, "severity").unwrap();
    let find = |r: &str, s: &str| {
        (0..checks.height())
            .find(|i| rule[*i].as_deref() == Some(r) && scope[*i].as_deref().unwrap().contains(s))
            .unwrap_or_else(|| panic!("no {r} check for {s}: {scope:?}"))
    };
    // 2019: the country 1770 = 1020 + 750 (its regions, each checked against its provinces).
    for s in [
        "NL year=2019 stage=primary",
        "NL-S year=2019 stage=primary",
        "NL-N year=2019 stage=junior",
    ] {
        assert_eq!(passed[find("supplied_total.sum", s)], Some(true), "{s}");
    }
    // 2020: South's 750 has only Dune's 350 under it (Cedar ".."): left out, with a warning.
    let i = find("supplied_total.incomplete_parts", "NL-S year=2020 stage=primary");
    assert_eq!((passed[i], severity[i].as_deref()), (Some(false), Some("warning")));
    // Population: the country's and regions' rows against the sum of their provinces.
    let i = find("population.county_sum", "NL 2019 total age 6");
    assert_eq!(passed[i], Some(true));
}

/// "Atlantis" is no region of the division table: quarantined, with the nearest names.
fn unknown_names_are_quarantined_with_the_nearest(run_dir: &Path) {
    let q = frame::read_parquet(&run_dir.join("quarantine.parquet")).unwrap();
    assert_eq!(q.height(), 1);
    assert_eq!(frame::texts(&q, "rule").unwrap()[0].as_deref(), Some("code.unknown_region_name"));
    assert_eq!(frame::texts(&q, "raw_value").unwrap()[0].as_deref(), Some("Atlantis"));
    let message = frame::texts(&q, "message").unwrap()[0].clone().unwrap();
    assert!(message.contains("nearest: \"Aster\""), "{message}");
}

#[test]
fn a_total_stands_in_for_missing_parts_when_declared() {
    let (_dir, run_dir, df) = run_with("[supplied_totals]\nuse = \"fill\"");
    // South 2020: its own 750 over all its provinces' 450 + 300.
    expect(&ger(&df, 2020, "NL-S"), 100.0, 750.0, 750.0);
    // The country: Aster 350 + Birch 600 + Glacier 90 + Harbour 60 + South 750 = 1850, over
    // 300 + 600 + 90 + 60 + 450 + 300 = 1800.
    expect(&ger(&df, 2020, "NL"), 1850.0 / 1800.0 * 100.0, 1850.0, 1800.0);
    // Dune's 350 is not counted under a total that stood in for it.
    assert_eq!(ger(&df, 2020, "NL-04").numerator, None);
    // The country's 1850 now has every province under it: checked and equal.
    let checks = frame::read_parquet(&run_dir.join("checks.parquet")).unwrap();
    let scope = frame::texts(&checks, "scope").unwrap();
    let passed = frame::bools(&checks, "passed").unwrap();
    let i = scope.iter().position(|s| s.as_deref().unwrap().contains("NL year=2020 stage=primary"));
    assert_eq!(passed[i.unwrap()], Some(true));
}

#[test]
fn boundaries_as_reported_keep_each_year_on_its_own_codes() {
    let (_dir, _run, df) = run_with("");
    let (_dir2, _run2, reported) = {
        let dir = tempfile::tempdir().unwrap();
        copy_fixture(dir.path());
        let pipeline = dir.path().join("pipeline.toml");
        let text = std::fs::read_to_string(&pipeline).unwrap();
        let text = text.replace("levels = ", "boundaries = \"as_reported\"\nlevels = ");
        std::fs::write(&pipeline, text).unwrap();
        let run_dir = edustat::run::run(&pipeline, &dir.path().join("out")).unwrap().run_dir;
        let df = frame::read_parquet(&run_dir.join("indicators.parquet")).unwrap();
        (dir, run_dir, df)
    };
    // 2019 as reported: Dune alone 200 / 150, Elm its own 150 / 150 …
    expect(&ger(&reported, 2019, "NL-04"), 200.0 / 150.0 * 100.0, 200.0, 150.0);
    expect(&ger(&reported, 2019, "NL-05"), 100.0, 150.0, 150.0);
    // … against constant boundaries, Dune with Elm: 350 / 300, and no Elm row.
    expect(&ger(&df, 2019, "NL-04"), 350.0 / 300.0 * 100.0, 350.0, 300.0);
    // Elm is no region in 2020 either way; South and the country are the same sums.
    assert!(indicator(&reported, "ger_primary", 2020, "NL-05", "total").is_none());
    for (year, region) in [(2019, "NL-S"), (2019, "NL"), (2020, "NL")] {
        assert_eq!(ger(&reported, year, region), ger(&df, year, region), "{year} {region}");
    }
}

#[test]
fn a_total_that_disagrees_with_its_parts_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    let pupils = dir.path().join("pupils.csv");
    let text = std::fs::read_to_string(&pupils).unwrap().replace("North;1.02;", "North;0.9;");
    std::fs::write(&pupils, text).unwrap();
    let out = dir.path().join("out");
    let ran = edustat(
        &[
            "run",
            dir.path().join("pipeline.toml").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(ran.code, Some(3), "{}", ran.stderr);
    // North's 900 against Aster 330 + Birch 570 + Fjord 120 = 1020.
    assert!(ran.stderr.contains("supplied 900, the sum of its parts 1020"), "{}", ran.stderr);
    // A declared tolerance is relative to the total: |900 − 1020| = 120 > 0.13 × 900 = 117
    // still fails; 120 ≤ 0.14 × 900 = 126 passes.
    let pipeline = dir.path().join("pipeline.toml");
    let spec = std::fs::read_to_string(&pipeline).unwrap();
    std::fs::write(&pipeline, format!("{spec}\n[supplied_totals]\ntolerance = 0.13\n")).unwrap();
    let ran = edustat(&["run", pipeline.to_str().unwrap(), "--out", out.to_str().unwrap()], &[]);
    assert_eq!(ran.code, Some(3), "{}", ran.stderr);
    std::fs::write(&pipeline, format!("{spec}\n[supplied_totals]\ntolerance = 0.14\n")).unwrap();
    let ran = edustat(&["run", pipeline.to_str().unwrap(), "--out", out.to_str().unwrap()], &[]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
}

#[test]
fn scaled_cells_must_be_whole_after_scaling() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    let pupils = dir.path().join("pupils.csv");
    // 0.3305 thousand = 330.5 pupils: not a count.
    let text = std::fs::read_to_string(&pupils).unwrap().replace("Aster;0.33;", "Aster;0.3305;");
    std::fs::write(&pupils, text).unwrap();
    let v = edustat::run::validate(&dir.path().join("pipeline.toml"), false, false).unwrap();
    let q = &v.ingested.quarantine;
    let rules = frame::texts(q, "rule").unwrap();
    let values = frame::texts(q, "raw_value").unwrap();
    let i = values.iter().position(|v| v.as_deref() == Some("0.3305")).expect("quarantined");
    assert_eq!(rules[i].as_deref(), Some("count.not_integer"));
}

/// The county of each school in a run's register.
fn school_counties(run_dir: &Path) -> std::collections::BTreeMap<String, String> {
    let schools = frame::read_parquet(&run_dir.join("staging/schools.parquet")).unwrap();
    frame::texts(&schools, "school_id")
        .unwrap()
        .into_iter()
        .zip(frame::texts(&schools, "region_code").unwrap())
        .map(|(s, c)| (s.unwrap(), c.unwrap()))
        .collect()
}

/// The tiny fixture's gross enrolment ratios, from its school records and from their sums by
/// county delivered as a region-level table instead: the same numerators, denominators and
/// values in every region.
#[test]
fn region_level_sums_give_what_school_records_give() {
    use std::collections::BTreeMap;
    let dir = super::common::tiny_copy();
    let (_out, run_dir) = super::common::run(&dir.path().join("pipeline.toml"));
    let from_schools = frame::read_parquet(&run_dir.join("indicators.parquet")).unwrap();
    // County of each school, then pupils summed by (year, county, stage) and sex.
    let county = school_counties(&run_dir);
    let e = frame::read_parquet(&run_dir.join("staging/enrolment.parquet")).unwrap();
    let (ids, stages, sexes) = (
        frame::texts(&e, "school_id").unwrap(),
        frame::texts(&e, "stage").unwrap(),
        frame::texts(&e, "sex").unwrap(),
    );
    let (years, pupils) = (frame::ints(&e, "year").unwrap(), frame::ints(&e, "enrolled").unwrap());
    let mut sums: BTreeMap<(i64, String, String), (i64, Option<i64>)> = BTreeMap::new();
    // The stages the two ratios count (the fixture's regional_enrolment.csv already holds
    // junior rows of its own, for retention).
    let counted = ["preschool", "senior_general", "secondary_vocational", "technical"];
    for i in 0..e.height() {
        let Some(n) = pupils[i] else { continue };
        if !counted.contains(&stages[i].as_deref().unwrap()) {
            continue;
        }
        let key = (
            years[i].unwrap(),
            county[ids[i].as_ref().unwrap()].clone(),
            stages[i].clone().unwrap(),
        );
        let entry = sums.entry(key).or_insert((0, None));
        entry.0 += n;
        if sexes[i].as_deref() == Some("female") {
            entry.1 = Some(entry.1.unwrap_or(0) + n);
        }
    }
    let mut csv = String::from("year,region,stage,pupils,girls\n");
    for ((y, c, s), (n, f)) in &sums {
        csv += &format!("{y},{c},{s},{n},{}\n", f.map(|f| f.to_string()).unwrap_or_default());
    }
    std::fs::write(dir.path().join("sums.csv"), csv).unwrap();
    // The same pipeline without the school-level enrolment, with the sums instead.
    let pipeline = dir.path().join("pipeline.toml");
    let text = std::fs::read_to_string(&pipeline).unwrap();
    let text = text
        .replace("[[sources]]\npath = \"kindergarten.csv\"\nmapping = \"kindergarten\"\nconstants = { year = 2020, stage = \"preschool\" }\n", "")
        .replace("[[sources]]\npath = \"enrolment.csv\"\nmapping = \"enrolment\"\nconstants = { year = 2020 }\n", "");
    let extra = "[mappings.sums]\ntable = \"regional_enrolment\"\ncolumns = { year = \"year\", region_code = \"region\", stage = \"stage\" }\nvalues = [ { raw = \"pupils\", measure = \"enrolled\" }, { raw = \"girls\", measure = \"enrolled\", sex = \"female\" } ]\n\n[[sources]]\npath = \"sums.csv\"\nmapping = \"sums\"\n";
    std::fs::write(&pipeline, format!("{text}\n{extra}")).unwrap();
    let (_out2, run_dir) = super::common::run(&pipeline);
    let from_sums = frame::read_parquet(&run_dir.join("indicators.parquet")).unwrap();
    let mut compared = 0;
    for id in ["ger_preschool", "ger_senior_secondary"] {
        for region in ["450000", "450100", "450200", "450102", "450103", "450202"] {
            for sex in ["total", "female", "male"] {
                let a = indicator(&from_schools, id, 2020, region, sex);
                let b = indicator(&from_sums, id, 2020, region, sex);
                assert_eq!(a, b, "{id} {region} {sex}");
                compared += a.is_some() as usize;
            }
        }
    }
    assert!(compared >= 30, "{compared} rows compared");
}

#[test]
fn a_code_before_it_was_in_force_is_quarantined() {
    let dir = super::common::tiny_copy();
    let schools = dir.path().join("schools.csv");
    let mut text = std::fs::read_to_string(&schools).unwrap();
    // County B's code 450103 is in force from 2020 (450199 before).
    text += "2019,3501039999,450103,小学,公办,,,,,,,,,,,,,,\n";
    std::fs::write(&schools, text).unwrap();
    let v = edustat::run::validate(&dir.path().join("pipeline.toml"), false, false).unwrap();
    let q = &v.ingested.quarantine;
    let rules = frame::texts(q, "rule").unwrap();
    let values = frame::texts(q, "raw_value").unwrap();
    assert_eq!(rules, vec![Some("code.not_yet_valid".to_string())]);
    assert_eq!(values, vec![Some("450103".to_string())]);
}

/// The Guangxi sample's retired codes, both ways: 荔浦县 450331 (in force until 2017) became
/// 荔浦市 450381 (from 2018).
#[test]
fn guangxi_retired_codes_on_both_boundary_conventions() {
    let constant =
        frame::read_parquet(&super::common::guangxi_run().join("indicators.parquet")).unwrap();
    let spec = std::fs::read_to_string(repo().join("pipelines/guangxi-2018-2020.toml")).unwrap();
    let spec =
        spec.replacen("id = \"guangxi-2018-2020\"", "id = \"guangxi-as-reported\"", 1).replacen(
            "province = \"450000\"",
            "province = \"450000\"\nboundaries = \"as_reported\"",
            1,
        );
    let pipeline = repo().join("pipelines/.as-reported-test.toml");
    std::fs::write(&pipeline, spec).unwrap();
    let out = tempfile::tempdir().unwrap();
    let ran = edustat::run::run(&pipeline, out.path());
    std::fs::remove_file(&pipeline).unwrap();
    let reported = frame::read_parquet(&ran.unwrap().run_dir.join("indicators.parquet")).unwrap();
    let id = "ger_preschool";
    // Constant: 2017 on today's code 450381, nothing under the retired one.
    let today = indicator(&constant, id, 2017, "450381", "total").expect("450381 in 2017");
    assert!(indicator(&constant, id, 2017, "450331", "total").is_none());
    // As reported: 2017 under 450331, the same pupils and population; 450381 from 2018 only.
    let then = indicator(&reported, id, 2017, "450331", "total").expect("450331 in 2017");
    assert_eq!((then.numerator, then.denominator), (today.numerator, today.denominator));
    assert!(indicator(&reported, id, 2017, "450381", "total").is_none());
    assert!(indicator(&reported, id, 2018, "450381", "total").is_some());
    // The province is the same sum either way.
    for year in 2017..=2020 {
        assert_eq!(
            indicator(&reported, id, year, "450000", "total"),
            indicator(&constant, id, year, "450000", "total"),
            "{year}"
        );
    }
}

/// The tiny fixture's class-size and pupil–teacher indicators, from its school records and
/// with its classes and teachers delivered as sums by county instead.
#[test]
fn region_level_classes_and_teachers_give_what_school_records_give() {
    use std::collections::BTreeMap;
    let dir = super::common::tiny_copy();
    let (_out, run_dir) = super::common::run(&dir.path().join("pipeline.toml"));
    let from_schools = frame::read_parquet(&run_dir.join("indicators.parquet")).unwrap();
    let staged =
        |t: &str| frame::read_parquet(&run_dir.join(format!("staging/{t}.parquet"))).unwrap();
    let county = school_counties(&run_dir);
    // Sum `measure` of a staged table by (year, county, stage[, band]) into a CSV.
    let sums = |table: &str, measure: &str, band: bool| {
        let t = staged(table);
        let (ids, stages) =
            (frame::texts(&t, "school_id").unwrap(), frame::texts(&t, "stage").unwrap());
        let years = frame::ints(&t, "year").unwrap();
        let values = frame::ints(&t, measure).unwrap();
        let bands =
            if band { frame::texts(&t, "size_band").unwrap() } else { vec![None; t.height()] };
        let mut out: BTreeMap<(i64, String, String, String), i64> = BTreeMap::new();
        for i in 0..t.height() {
            let Some(v) = values[i] else { continue };
            let key = (
                years[i].unwrap(),
                county[ids[i].as_ref().unwrap()].clone(),
                stages[i].clone().unwrap(),
                bands[i].clone().unwrap_or_default(),
            );
            *out.entry(key).or_insert(0) += v;
        }
        let mut csv = String::from("year,region,stage,band,n\n");
        for ((y, c, s, b), n) in &out {
            csv += &format!("{y},{c},{s},{b},{n}\n");
        }
        csv
    };
    std::fs::write(dir.path().join("class_sums.csv"), sums("classes", "classes", true)).unwrap();
    std::fs::write(dir.path().join("teacher_sums.csv"), sums("teachers", "fulltime", false))
        .unwrap();
    let pipeline = dir.path().join("pipeline.toml");
    let mut text = std::fs::read_to_string(&pipeline).unwrap();
    for (path, mapping, constants) in [
        ("classes.csv", "classes", "{ year = 2020 }"),
        (
            "kindergarten_classes.csv",
            "kindergarten_classes",
            "{ year = 2020, stage = \"preschool\" }",
        ),
        ("teachers.csv", "teachers", "{ year = 2020 }"),
    ] {
        let block = format!(
            "[[sources]]\npath = \"{path}\"\nmapping = \"{mapping}\"\nconstants = {constants}\n"
        );
        assert!(text.contains(&block), "{block}");
        text = text.replace(&block, "");
    }
    text += "\n[mappings.class_sums]\ntable = \"regional_classes\"\ncolumns = { year = \"year\", region_code = \"region\", stage = \"stage\", size_band = \"band\" }\nvalues = [ { raw = \"n\", measure = \"classes\" } ]\n";
    text += "\n[mappings.teacher_sums]\ntable = \"regional_teachers\"\ncolumns = { year = \"year\", region_code = \"region\", stage = \"stage\" }\nvalues = [ { raw = \"n\", measure = \"fulltime\" } ]\n";
    text += "\n[[sources]]\npath = \"class_sums.csv\"\nmapping = \"class_sums\"\n\n[[sources]]\npath = \"teacher_sums.csv\"\nmapping = \"teacher_sums\"\n";
    std::fs::write(&pipeline, text).unwrap();
    let (_out2, run_dir) = super::common::run(&pipeline);
    let from_sums = frame::read_parquet(&run_dir.join("indicators.parquet")).unwrap();
    let ids = [
        "large_class_share_compulsory",
        "super_large_class_share_compulsory",
        "large_class_share_senior",
        "kindergarten_over_norm_share",
        "average_class_size_primary",
        "pupil_teacher_ratio_primary",
    ];
    let mut compared = 0;
    for id in ids {
        for region in ["450000", "450100", "450200", "450102", "450103", "450202"] {
            let a = indicator(&from_schools, id, 2020, region, "total");
            let b = indicator(&from_sums, id, 2020, region, "total");
            assert_eq!(a, b, "{id} {region}");
            compared += a.as_ref().is_some_and(|r| r.value.is_some()) as usize;
        }
    }
    assert!(compared >= 20, "{compared} values compared");
}
