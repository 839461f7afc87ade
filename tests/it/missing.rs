//! Missing data (README "Missing data"), on tests/fixtures/incomplete: four counties in two
//! cities, every value worked out by hand below, then rows deleted from a copy.
//!
//! The fixture, 2020:
//!   city 450100: A 450102, B 450103        city 450200: C 450202, D 450203
//!   persons aged 18:        A 100, B 100, C 200, D 100           (band [18, 18])
//!   higher education:       origin A 40, B 30, C 50, D 20; location (province row) 150
//!   primary schools:        two per county, 100 pupils each but C2 with 300
//!     books                 A 1000, 3000   B 2000, 2000   C 1000, 3000   D 500, 1500
//!     teachers              A 5, 5         B 5, 5         C 4, 12        D 5, 10
//!     broadband             A yes, yes     B yes, no      C no, no       D yes, yes
//!   classes (one school per county but D, which delivered none):
//!     A 41-45: 4, 56-60: 1;  B 41-45: 3, 51-60: 2 (straddles 56);  C 41-45: 5
//!   exchange: the province only, 120 inbound students.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use edustat::frame;
use proptest::prelude::*;

use super::common::{Row, close, indicator, repo};

const COUNTIES: [&str; 4] = ["450102", "450103", "450202", "450203"];

/// A copy of the fixture with `edit` applied, run; the guard, the run folder and its indicators.
fn run_edited(edit: impl Fn(&Path)) -> (tempfile::TempDir, PathBuf, frame::DataFrame) {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(repo().join("tests/fixtures/incomplete")).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
    }
    edit(dir.path());
    let out = dir.path().join("out");
    let run_dir = edustat::run::run(&dir.path().join("pipeline.toml"), &out).unwrap().run_dir;
    let df = frame::read_parquet(&run_dir.join("indicators.parquet")).unwrap();
    (dir, run_dir, df)
}

/// Remove the lines of `file` for which `drop` holds (the header is kept).
fn drop_lines(dir: &Path, file: &str, drop: impl Fn(&str) -> bool) {
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    let mut lines = text.lines();
    let mut kept = vec![lines.next().unwrap().to_string()];
    kept.extend(lines.filter(|l| !drop(l)).map(str::to_string));
    std::fs::write(dir.join(file), kept.join("\n") + "\n").unwrap();
}

fn get(df: &frame::DataFrame, id: &str, region: &str) -> Row {
    indicator(df, id, 2020, region, "total").unwrap_or_else(|| panic!("no row {id} {region}"))
}

fn flags(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// (value, numerator, denominator, coverage) of a row; the value rounded to 1e-9, as floating
/// division leaves it (150 / 500 × 100 = 30.000000000000004).
fn parts(r: &Row) -> (Option<f64>, Option<f64>, Option<f64>, Option<f64>) {
    let value = r.value.map(|v| (v * 1e9).round() / 1e9);
    (value, r.numerator, r.denominator, r.coverage)
}

#[test]
fn item1_a_region_without_data_is_no_data_never_zero() {
    let (_g, _r, df) = run_edited(|_| {});
    // exchange.csv holds the province only: 120 there, coverage 1 (a province row covers every
    // county); each city and county: no value, no parts, coverage 0, flagged no_data.
    let p = get(&df, "inbound_students", "450000");
    assert_eq!((p.value, p.coverage, p.flags), (Some(120.0), Some(1.0), vec![]));
    for region in ["450100", "450200"].iter().chain(COUNTIES.iter()) {
        let r = get(&df, "inbound_students", region);
        assert_eq!(parts(&r), (None, None, None, Some(0.0)), "{region}");
        assert_eq!(r.flags, flags(&["no_data"]), "{region}");
    }
    // A reported 0: C is in the register and has no school with broadband → 0 schools, 0 %.
    // Broadband schools: A 2, B 1, C 0, D 2 → city 450100: 3, 450200: 2, province 5.
    let c = get(&df, "broadband_schools", "450202");
    assert_eq!((c.value, c.flags), (Some(0.0), vec![]));
    assert_eq!(get(&df, "broadband_schools", "450200").value, Some(2.0));
    assert_eq!(get(&df, "broadband_schools", "450000").value, Some(5.0));
    // D missing from the register: its count and share are no_data, not 0; city 450200 is C's
    // 0 of 2 schools (count 0) with half its counties → low_coverage; the province 3 of 6
    // schools = 50 % and 3 broadband schools, coverage 3/4 → low_coverage.
    let (_g, _r, df) = run_edited(|d| drop_lines(d, "schools.csv", |l| l.contains(",450203,")));
    for id in ["broadband_schools", "broadband_coverage"] {
        let d = get(&df, id, "450203");
        assert_eq!((d.value, d.flags.clone()), (None, flags(&["no_data"])), "{id}");
    }
    let city = get(&df, "broadband_coverage", "450200");
    assert_eq!(parts(&city), (Some(0.0), Some(0.0), Some(2.0), Some(0.5)));
    assert_eq!(city.flags, flags(&["low_coverage"]));
    let city = get(&df, "broadband_schools", "450200");
    assert_eq!(
        (city.value, city.coverage, city.flags),
        (Some(0.0), Some(0.5), flags(&["low_coverage"]))
    );
    let p = get(&df, "broadband_coverage", "450000");
    assert_eq!(parts(&p), (Some(50.0), Some(3.0), Some(6.0), Some(0.75)));
    let p = get(&df, "broadband_schools", "450000");
    assert_eq!((p.value, p.coverage, p.flags), (Some(3.0), Some(0.75), flags(&["low_coverage"])));
}

#[test]
fn item2_gross_enrolment_divides_only_paired_parts() {
    // Complete: A 40/100, B 30/100, C 50/200, D 20/100; city 450100 70/200 = 35 %;
    // city 450200 70/300; province 140/500 = 28 %, coverage 1 everywhere.
    let (_g, _r, df) = run_edited(|_| {});
    let p = get(&df, "ger_higher", "450000");
    assert_eq!(parts(&p), (Some(28.0), Some(140.0), Some(500.0), Some(1.0)));
    assert!(p.flags.is_empty(), "{:?}", p.flags);
    // A's origin row removed: A has population but no numerator → no value (never 0 %).
    // City 450100: B alone, 30 / 100 = 30 % (not 30 / 200 = 15 %), coverage 1/2.
    // Province: 100 / 400 = 25 % (not 100 / 500 = 20 %), coverage 3/4.
    let (_g, _r, df) =
        run_edited(|d| drop_lines(d, "higher_education.csv", |l| l.starts_with("450102,")));
    let a = get(&df, "ger_higher", "450102");
    assert_eq!(parts(&a), (None, None, None, Some(0.0)));
    assert_eq!(a.flags, flags(&["numerator_missing", "denominator_unpaired", "low_coverage"]));
    let city = get(&df, "ger_higher", "450100");
    assert_eq!(parts(&city), (Some(30.0), Some(30.0), Some(100.0), Some(0.5)));
    assert_eq!(city.flags, flags(&["denominator_unpaired", "low_coverage"]));
    let p = get(&df, "ger_higher", "450000");
    assert_eq!(parts(&p), (Some(25.0), Some(100.0), Some(400.0), Some(0.75)));
    assert_eq!(p.flags, flags(&["denominator_unpaired", "low_coverage"]));
    // Every origin row removed: the province falls back to its location row, 150 over the
    // population of all four counties = 150 / 500 = 30 %, coverage 1, flagged location_basis;
    // cities and counties have no value (their origin numerators are missing), never 0 %.
    let (_g, _r, df) =
        run_edited(|d| drop_lines(d, "higher_education.csv", |l| l.contains(",生源地,")));
    let p = get(&df, "ger_higher", "450000");
    assert_eq!(parts(&p), (Some(30.0), Some(150.0), Some(500.0), Some(1.0)));
    assert_eq!(p.flags, flags(&["location_basis"]));
    for region in ["450100", "450200"].iter().chain(COUNTIES.iter()) {
        let r = get(&df, "ger_higher", region);
        assert_eq!((r.value, r.numerator, r.coverage), (None, None, Some(0.0)), "{region}");
        assert!(r.flags.contains(&"numerator_missing".to_string()), "{region} {:?}", r.flags);
    }
    // ... and without A's population as well, the province row has nothing whole to be divided
    // by (its counties' population is incomplete): no value anywhere.
    let (_g, _r, df) = run_edited(|d| {
        drop_lines(d, "higher_education.csv", |l| l.contains(",生源地,"));
        drop_lines(d, "population.csv", |l| l.starts_with("450102,"));
    });
    assert_eq!(get(&df, "ger_higher", "450000").value, None);
}

#[test]
fn item2_other_ratios_pair_county_by_county() {
    // Pupils per teacher, complete: A 200/10, B 200/10, C 400/16, D 200/15; province 1000/51.
    // C's teacher rows removed: C has pupils and no teachers → no value; city 450200 is D alone
    // (200 / 15), province (200 + 200 + 200) / (10 + 10 + 15) = 600 / 35, coverage 3/4.
    let (_g, _r, df) = run_edited(|d| drop_lines(d, "teachers.csv", |l| l.starts_with("450202")));
    let c = get(&df, "pupil_teacher_ratio_primary", "450202");
    assert_eq!((c.value, c.numerator, c.denominator), (None, None, None));
    assert_eq!(c.flags, flags(&["denominator_missing", "numerator_unpaired", "low_coverage"]));
    let city = get(&df, "pupil_teacher_ratio_primary", "450200");
    assert_eq!(
        (city.numerator, city.denominator, city.coverage),
        (Some(200.0), Some(15.0), Some(0.5))
    );
    assert!(close(city.value, 200.0 / 15.0));
    assert_eq!(city.flags, flags(&["numerator_unpaired", "low_coverage"]));
    let p = get(&df, "pupil_teacher_ratio_primary", "450000");
    assert_eq!((p.numerator, p.denominator, p.coverage), (Some(600.0), Some(35.0), Some(0.75)));
    assert!(close(p.value, 600.0 / 35.0));
}

#[test]
fn item3_a_composite_needs_every_cv_and_an_unknown_county_is_left_out() {
    // CVs (books per pupil, teachers per pupil): A 0.5 and 0 → composite 0.25; B 0, 0 → 0;
    // C 0, 0 → 0; D 0.5 and 1/3 → 5/12. Rule composite ≤ 0.3: A, B, C pass, D fails:
    // city 450100 2/2, city 450200 1/2, province 3/4.
    let (_g, _r, df) = run_edited(|_| {});
    assert!(close(get(&df, "balance_composite_primary", "450203").value, 5.0 / 12.0));
    let p = get(&df, "counties_balanced", "450000");
    assert_eq!((p.numerator, p.denominator, p.value), (Some(3.0), Some(4.0), Some(75.0)));
    // C's teacher rows removed: C's teacher CV cannot be computed → its composite is missing
    // (not the books CV alone, 0) → C is unknown for the rule: a row without a value, flagged
    // condition_unknown, in neither numerator nor denominator above it.
    // City 450200: D alone, 0 of 1 = 0 %, coverage 1/2 → low_coverage.
    // Province: 2 of 3 = 66.67 %, coverage 3/4 → low_coverage (passing C would give 3/4).
    let (_g, _r, df) = run_edited(|d| drop_lines(d, "teachers.csv", |l| l.starts_with("450202")));
    let composite = get(&df, "balance_composite_primary", "450202");
    assert_eq!((composite.value, composite.denominator), (None, Some(1.0)));
    assert_eq!(composite.flags, flags(&["cv_missing"]));
    let c = get(&df, "counties_balanced", "450202");
    assert_eq!(parts(&c), (None, None, None, Some(0.0)));
    assert_eq!(c.flags, flags(&["condition_unknown"]));
    let city = get(&df, "counties_balanced", "450200");
    assert_eq!(parts(&city), (Some(0.0), Some(0.0), Some(1.0), Some(0.5)));
    assert_eq!(city.flags, flags(&["low_coverage"]));
    let p = get(&df, "counties_balanced", "450000");
    assert_eq!((p.numerator, p.denominator, p.coverage), (Some(2.0), Some(3.0), Some(0.75)));
    assert!(close(p.value, 200.0 / 3.0));
    assert_eq!(p.flags, flags(&["low_coverage"]));
}

#[test]
fn item4_every_county_of_a_county_only_family_has_its_row() {
    // D's teacher rows removed: D's teacher CV is missing; its row is there, without a value
    // (no_data), as are D's composite (cv_missing) and its rule row (condition_unknown): four
    // county rows for each.
    let (_g, _r, df) = run_edited(|d| drop_lines(d, "teachers.csv", |l| l.starts_with("450203")));
    for id in ["balance_teachers_primary", "balance_books_primary", "balance_composite_primary"] {
        for county in COUNTIES {
            assert!(indicator(&df, id, 2020, county, "total").is_some(), "{id} {county}");
        }
        assert!(indicator(&df, id, 2020, "450000", "total").is_none(), "{id}: counties only");
    }
    let t = get(&df, "balance_teachers_primary", "450203");
    assert_eq!((t.value, t.flags), (None, flags(&["no_data"])));
    assert_eq!(get(&df, "counties_balanced", "450203").flags, flags(&["condition_unknown"]));
}

#[test]
fn item5_straddling_bands_are_declared_and_their_flag_travels() {
    // exclude: B's two 51-60 classes leave numerator and denominator: B 0 / 3, flagged.
    // A 1/5 = 20 %; C 0/5; D delivered no classes → no_data.
    // City 450100: 1 / 8 = 12.5 %, flagged; city 450200: C alone, 0 / 5, coverage 1/2;
    // province 1 / 13, coverage 3/4.
    let (_g, _r, df) = run_edited(|_| {});
    let share = |df: &frame::DataFrame, region: &str| get(df, "large_class_share_primary", region);
    let b = share(&df, "450103");
    assert_eq!(parts(&b), (Some(0.0), Some(0.0), Some(3.0), Some(1.0)));
    assert_eq!(b.flags, flags(&["band_straddles_cutoff"]));
    let city = share(&df, "450100");
    assert_eq!(parts(&city), (Some(12.5), Some(1.0), Some(8.0), Some(1.0)));
    assert_eq!(city.flags, flags(&["band_straddles_cutoff"]));
    let p = share(&df, "450000");
    assert_eq!((p.numerator, p.denominator, p.coverage), (Some(1.0), Some(13.0), Some(0.75)));
    assert_eq!(p.flags, flags(&["low_coverage", "band_straddles_cutoff"]));
    assert_eq!(share(&df, "450203").flags, flags(&["no_data"]));
    // The rule (share ≤ 10 %) decided on B's flagged share carries the flag: A fails (20 %),
    // B passes (0 %, flagged), C passes; D has no share → no_data.
    // City 450100: 1 of 2, flagged; city 450200: 1 of 1, coverage 1/2; province 2 of 3.
    let rule = |region: &str| get(&df, "counties_meeting_class_size_rule", region);
    assert_eq!(rule("450103").flags, flags(&["band_straddles_cutoff"]));
    assert!(rule("450102").flags.is_empty() && rule("450102").value == Some(0.0));
    let city = rule("450100");
    assert_eq!((city.numerator, city.denominator), (Some(1.0), Some(2.0)));
    assert_eq!(city.flags, flags(&["band_straddles_cutoff"]));
    let p = rule("450000");
    assert_eq!((p.numerator, p.denominator, p.coverage), (Some(2.0), Some(3.0), Some(0.75)));
    assert_eq!(p.flags, flags(&["low_coverage", "band_straddles_cutoff"]));
    assert_eq!(rule("450203").flags, flags(&["no_data"]));
    // count_below: B's 51-60 classes stay in the denominator, below 56: B 0 / 5;
    // city 450100 1 / 10; province 1 / 15 — a lower bound, flagged the same way.
    let (_g, _r, df) = run_edited(|d| {
        let p = d.join("pipeline.toml");
        let text = std::fs::read_to_string(&p).unwrap();
        let text =
            text.replace("straddling_bands = \"exclude\"", "straddling_bands = \"count_below\"");
        std::fs::write(&p, text).unwrap();
    });
    assert_eq!(share(&df, "450103").denominator, Some(5.0));
    assert_eq!(share(&df, "450100").denominator, Some(10.0));
    let p = share(&df, "450000");
    assert_eq!((p.numerator, p.denominator), (Some(1.0), Some(15.0)));
    assert_eq!(p.flags, flags(&["low_coverage", "band_straddles_cutoff"]));
}

/// (indicator, region) → (value, numerator, denominator) of the 2020 total rows.
fn table(df: &frame::DataFrame) -> BTreeMap<(String, String), [Option<f64>; 3]> {
    let ids = frame::texts(df, "indicator").unwrap();
    let regions = frame::texts(df, "region_code").unwrap();
    let sexes = frame::texts(df, "sex").unwrap();
    let (v, n, d) = (
        frame::floats(df, "value").unwrap(),
        frame::floats(df, "numerator").unwrap(),
        frame::floats(df, "denominator").unwrap(),
    );
    let mut out = BTreeMap::new();
    for i in 0..df.height() {
        if sexes[i].as_deref() == Some("total") {
            let key = (ids[i].clone().unwrap(), regions[i].clone().unwrap());
            out.insert(key, [v[i], n[i], d[i]]);
        }
    }
    out
}

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// The county's city and the province.
fn ancestors(county: &str) -> [String; 2] {
    [format!("{}00", &county[..4]), "450000".to_string()]
}

fn reference() -> &'static BTreeMap<(String, String), [Option<f64>; 3]> {
    static TABLE: std::sync::OnceLock<BTreeMap<(String, String), [Option<f64>; 3]>> =
        std::sync::OnceLock::new();
    TABLE.get_or_init(|| table(&run_edited(|_| {}).2))
}

/// Check one deletion: the county's values become null or stay; each ancestor's parts drop by
/// exactly the county's parts (values, for sums) or not at all.
fn check_deletion(
    before: &BTreeMap<(String, String), [Option<f64>; 3]>,
    after: &BTreeMap<(String, String), [Option<f64>; 3]>,
    county: &str,
) -> Result<(), TestCaseError> {
    for ((id, region), [value, num, den]) in before {
        let Some(value) = value else { continue };
        if region != county {
            continue;
        }
        let now = after.get(&(id.clone(), region.clone())).map(|r| r[0]);
        let now = now.flatten();
        prop_assert!(
            now.is_none() || now.is_some_and(|v| same(v, *value)),
            "{id} {region}: {value} became {now:?}"
        );
        for ancestor in ancestors(county) {
            let Some(old) = before.get(&(id.clone(), ancestor.clone())) else { continue };
            let new = after.get(&(id.clone(), ancestor.clone())).copied().unwrap_or([None; 3]);
            let drop = |i: usize| old[i].unwrap_or(0.0) - new[i].unwrap_or(0.0);
            let (own_num, own_den) = match (num, den) {
                (Some(n), Some(d)) => (*n, *d),
                // A sum (no parts): its value is what it adds above it.
                _ => (*value, 0.0),
            };
            let (dn, dd) = if num.is_some() { (drop(1), drop(2)) } else { (drop(0), 0.0) };
            let unchanged = same(dn, 0.0) && same(dd, 0.0);
            let by_parts = now.is_none() && same(dn, own_num) && same(dd, own_den);
            prop_assert!(
                unchanged || by_parts,
                "{id} {ancestor} after deleting {county}: dropped by ({dn}, {dd}); the county's parts were ({own_num}, {own_den}), its value now {now:?}"
            );
        }
    }
    Ok(())
}

proptest! {
    // Each case runs the pipeline twice over a small fixture: a handful of (table, county) pairs.
    #![proptest_config(ProptestConfig::with_cases(10))]

    #[test]
    fn deleting_a_countys_rows_never_makes_a_zero_and_ancestors_drop_by_its_parts(
        file in prop::sample::select(vec![
            "population.csv", "higher_education.csv", "schools.csv", "enrolment.csv",
            "teachers.csv", "classes.csv",
        ]),
        county in prop::sample::select(COUNTIES.to_vec()),
    ) {
        // School files are keyed by school ids that start with the county's code; the others
        // carry the code as a cell.
        let (_g, _r, df) = run_edited(|d| {
            drop_lines(d, file, |l| l.starts_with(county) || l.contains(&format!(",{county},")));
        });
        check_deletion(reference(), &table(&df), county)?;
    }
}
