//! A three-county, two-city fixture whose rates are worked out by hand below and checked at
//! county, city and province level (tests/fixtures/tiny). County B (450103) is delivered
//! partly under its retired code 450199, which must roll up into 450103.
//!
//! Population (tests/fixtures/tiny/population.csv), persons:
//!   A 450102 (city 450100): ages 3–5: 10 m + 10 f each → 60 (30 m, 30 f); 15–17: 20+20 each → 120;
//!                           18–22: 10+10 each → 100; age 6: 200 (outside every band)
//!   B 450103 (city 450100): 3–5: 5+5 each → 30; 15–17: 10+10 each → 60; 18–22: 8 m + 12 f each → 100;
//!                           age 14: 100 (outside)
//!   C 450202 (city 450200): 3–5: 20+20 each → 120; 15–17: 30+30 each → 180; 18–22: 20+20 each → 200;
//!                           age 23: 198 (outside)

use super::common::{close, indicator, repo, run};
use edustat::frame;

fn indicators() -> (tempfile::TempDir, edustat::frame::DataFrame) {
    let (guard, dir) = run(&repo().join("tests/fixtures/tiny/pipeline.toml"));
    let df = frame::read_parquet(&dir.join("indicators.parquet")).unwrap();
    (guard, df)
}

#[test]
fn preschool_by_hand() {
    let (_g, df) = indicators();
    // Kindergartens: K1 (A) 20+20+14 = 54 children, girls 10+10+6 = 26, boys 28;
    // K2 (B, code 450199) 10+10+10 = 30, girls 15; K3 (C) 40+40+44 = 124, girls 20+18+22 = 60, boys 64.
    let cases: &[(&str, &str, f64, f64)] = &[
        ("450102", "total", 54.0, 60.0),    // 90.0 %
        ("450102", "female", 26.0, 30.0),   // 86.67 %
        ("450102", "male", 28.0, 30.0),     // 93.33 %
        ("450103", "total", 30.0, 30.0),    // 100 %: not over 100, no flag
        ("450202", "total", 124.0, 120.0),  // 103.33 %: over_100
        ("450100", "total", 84.0, 90.0),    // city: (54 + 30) / (60 + 30) = 93.33 %
        ("450200", "total", 124.0, 120.0),  // city of C alone
        ("450000", "total", 208.0, 210.0),  // province: (54 + 30 + 124) / (60 + 30 + 120) = 99.05 %
        ("450000", "female", 101.0, 105.0), // girls 26 + 15 + 60 = 101 over 30 + 15 + 60 = 105
        ("450000", "male", 107.0, 105.0),   // boys 28 + 15 + 64 = 107 over 105: over_100
    ];
    for (region, sex, num, den) in cases {
        let row = indicator(&df, "ger_preschool", 2020, region, sex)
            .unwrap_or_else(|| panic!("no row for {region} {sex}"));
        assert_eq!((row.numerator, row.denominator), (Some(*num), Some(*den)), "{region} {sex}");
        assert!(close(row.value, num / den * 100.0), "{region} {sex}: {:?}", row.value);
        assert_eq!(
            row.flags.contains(&"over_100".to_string()),
            num > den,
            "{region} {sex} flags {:?}",
            row.flags
        );
    }
}

#[test]
fn senior_secondary_by_hand() {
    let (_g, df) = indicators();
    // A: 普通高中 30+30+30 = 90 and 技工学校 10+10+10 = 30 → 120 / 120 = 100 %.
    // B: in the register (its kindergarten, as 450199) with no senior school → a reported 0:
    //    numerator 0 over 60, value 0 %, coverage 1 (its data entered), no flag.
    // C: 中职 40×3 = 120 / 180 = 66.67 %; the primary school's 50 pupils are not counted.
    // City 450100: 120 / (120 + 60) = 66.67 %, both counties reported → coverage 1.
    // Province: 240 / 360 = 66.67 %, coverage 1.
    let a = indicator(&df, "ger_senior_secondary", 2020, "450102", "total").unwrap();
    assert_eq!((a.numerator, a.denominator, a.value), (Some(120.0), Some(120.0), Some(100.0)));
    assert!(a.flags.is_empty(), "{:?}", a.flags);
    // Girls in A: 15×3 + 2×3 = 51 of 60; boys 69 of 60 → over_100.
    let af = indicator(&df, "ger_senior_secondary", 2020, "450102", "female").unwrap();
    assert_eq!((af.numerator, af.denominator), (Some(51.0), Some(60.0)));
    let am = indicator(&df, "ger_senior_secondary", 2020, "450102", "male").unwrap();
    assert_eq!((am.numerator, am.flags), (Some(69.0), vec!["over_100".to_string()]));
    // Gender parity index (UIS): girls' 51/60 = 85 % over boys' 69/60 = 115 %, 51/69 = 0.739…
    let gpi = indicator(&df, "ger_senior_secondary_gpi", 2020, "450102", "total").unwrap();
    assert!(close(gpi.value, 51.0 / 69.0) && close(gpi.numerator, 85.0), "{gpi:?}");
    assert!(close(gpi.denominator, 115.0) && gpi.flags.is_empty(), "{gpi:?}");
    // B: 0 % for boys too, so no index.
    let gpi = indicator(&df, "ger_senior_secondary_gpi", 2020, "450103", "total").unwrap();
    assert_eq!((gpi.value, gpi.flags), (None, vec!["parity_undefined".to_string()]));
    let b = indicator(&df, "ger_senior_secondary", 2020, "450103", "total").unwrap();
    assert_eq!(
        (b.numerator, b.denominator, b.value, b.coverage),
        (Some(0.0), Some(60.0), Some(0.0), Some(1.0))
    );
    assert!(b.flags.is_empty(), "{:?}", b.flags);
    let city = indicator(&df, "ger_senior_secondary", 2020, "450100", "total").unwrap();
    assert_eq!(
        (city.numerator, city.denominator, city.coverage),
        (Some(120.0), Some(180.0), Some(1.0))
    );
    let p = indicator(&df, "ger_senior_secondary", 2020, "450000", "total").unwrap();
    assert_eq!((p.numerator, p.denominator), (Some(240.0), Some(360.0)));
    assert!(close(p.value, 200.0 / 3.0) && close(p.coverage, 1.0));
}

#[test]
fn higher_education_by_hand() {
    let (_g, df) = indicators();
    // MOE weights: 本科 1, 专科 1, 夜大 0.5, 网络 0.5, 自考毕业 1.5, 研究生 1.
    // A (origin): 30 + 10 + 10×0.5 + 2×1.5 = 48 → 48 / 100 = 48 %.
    // B (origin, delivered as 450199): 20×0.5 + 5 = 15 → 15 / 100 = 15 %.
    // C: location basis only: 100 / 200 = 50 %, flagged location_basis.
    // City 450100: (48 + 15) / 200 = 31.5 %. City 450200: C's location value, flagged.
    // Province: origin preferred, paired county by county: A and B have it, C's 200 persons have
    // no origin numerator and stay out → 63 / 200 = 31.5 %, coverage 2/3: denominator_unpaired,
    // low_coverage. (Dividing by all 400 would give 15.75 %, as if C's youth studied nowhere.)
    let expect: &[(&str, f64, f64, &[&str])] = &[
        ("450102", 48.0, 100.0, &[]),
        ("450103", 15.0, 100.0, &[]),
        ("450202", 100.0, 200.0, &["location_basis"]),
        ("450100", 63.0, 200.0, &[]),
        ("450200", 100.0, 200.0, &["location_basis"]),
        ("450000", 63.0, 200.0, &["denominator_unpaired", "low_coverage"]),
    ];
    for (region, num, den, flags) in expect {
        let r = indicator(&df, "ger_higher", 2020, region, "total").unwrap();
        assert_eq!((r.numerator, r.denominator), (Some(*num), Some(*den)), "{region}");
        assert!(close(r.value, num / den * 100.0));
        assert_eq!(r.flags, flags.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "{region}");
    }
    // No sex breakdown in the higher-education file → no female/male rows.
    assert!(indicator(&df, "ger_higher", 2020, "450000", "female").is_none());
}

#[test]
fn retired_code_rolls_up_into_successor() {
    let (_g, df) = indicators();
    // B's kindergarten and students carry 450199 (retired 2019, successor 450103).
    let b = indicator(&df, "ger_preschool", 2020, "450103", "total").unwrap();
    assert_eq!(b.numerator, Some(30.0));
    let codes = super::common::texts(&df, "region_code");
    assert!(!codes.contains(&"450199".to_string()), "the retired code must not appear in outputs");
    // 3 rates × 6 regions × sexes, all in 2020: preschool and senior have total/female/male
    // (18 each), higher total only (6). The counted indicators add 3 × 6 regions × 2 years.
    let ger = ["ger_preschool", "ger_senior_secondary", "ger_higher"]
        .iter()
        .fold(edustat::frame::lit(false), |acc, id| {
            acc.or(edustat::frame::col("indicator").eq(edustat::frame::lit(*id)))
        });
    let rates =
        edustat::frame::collect(edustat::frame::IntoLazy::lazy(df.clone()).filter(ger)).unwrap();
    assert_eq!(rates.height(), 18 + 18 + 6);
    let projects =
        ["new_public_kindergarten", "new_or_expanded_kindergarten", "first_class_university"]
            .iter()
            .fold(edustat::frame::lit(false), |acc, id| {
                acc.or(edustat::frame::col("indicator").eq(edustat::frame::lit(*id)))
            });
    assert_eq!(
        edustat::frame::collect(edustat::frame::IntoLazy::lazy(df).filter(projects))
            .unwrap()
            .height(),
        3 * 6 * 2
    );
}

#[test]
fn target_status_from_the_run() {
    let (_g, dir) = run(&repo().join("tests/fixtures/tiny/pipeline.toml"));
    let t = frame::read_parquet(&dir.join("targets.parquet")).unwrap();
    // Province preschool 208 / 210 = 99.05 % ≥ 90 → achieved; gap = 99.0476… − 90.
    let status = t.column("status").unwrap().str().unwrap().get(0).map(str::to_string);
    assert_eq!(status.as_deref(), Some("achieved"));
    let gap = t.column("gap").unwrap().f64().unwrap().get(0);
    assert!(close(gap, 208.0 / 210.0 * 100.0 - 90.0));
}

#[test]
fn counted_projects_by_hand() {
    let (_g, df) = indicators();
    // projects.csv: new public kindergartens 2019: A 2, B 3 (delivered as retired 450199);
    // 2020: C 4, A 1. Expanded: 2020 A 1. First-class universities: 2020 province 2.
    let count = |id: &str, year: i32, region: &str| {
        indicator(&df, id, year, region, "total").unwrap().value
    };
    // Cumulative from 2019: A = 2 (2019), 3 (2020); B = 3, 3; C = 0, 4.
    assert_eq!(
        (
            count("new_public_kindergarten", 2019, "450102"),
            count("new_public_kindergarten", 2020, "450102")
        ),
        (Some(2.0), Some(3.0))
    );
    assert_eq!(count("new_public_kindergarten", 2020, "450103"), Some(3.0));
    assert_eq!(
        (
            count("new_public_kindergarten", 2019, "450202"),
            count("new_public_kindergarten", 2020, "450202")
        ),
        (Some(0.0), Some(4.0))
    );
    // City 450100 = A + B = 5 in 2019, 6 in 2020; province = 5 in 2019, 3 + 3 + 4 = 10 in 2020.
    assert_eq!(
        (
            count("new_public_kindergarten", 2019, "450100"),
            count("new_public_kindergarten", 2020, "450100")
        ),
        (Some(5.0), Some(6.0))
    );
    assert_eq!(count("new_public_kindergarten", 2020, "450000"), Some(10.0));
    // New or expanded: 10 + 1 = 11 in 2020.
    assert_eq!(count("new_or_expanded_kindergarten", 2020, "450000"), Some(11.0));
    // Reported for the province only: 2 there, 0 in every city and county.
    assert_eq!(
        (
            count("first_class_university", 2020, "450000"),
            count("first_class_university", 2020, "450202")
        ),
        (Some(2.0), Some(0.0))
    );
    let row = indicator(&df, "first_class_university", 2020, "450000", "total").unwrap();
    assert_eq!((row.numerator, row.denominator), (None, None), "counts have no ratio parts");
}

#[test]
fn range_and_about_targets_from_the_run() {
    let (_g, dir) = run(&repo().join("tests/fixtures/tiny/pipeline.toml"));
    let t = frame::read_parquet(&dir.join("targets.parquet")).unwrap();
    let status: Vec<String> = super::common::texts(&t, "status");
    let words: Vec<String> = super::common::texts(&t, "wording");
    let of = |w: &str| status[words.iter().position(|x| x == w).unwrap()].clone();
    assert_eq!(of("1—3所"), "achieved"); // 2 lies in 1..=3
    assert_eq!(of("10所左右"), "achieved"); // 11 is within 10 ± 10%
    // 11 against "about 15": outside 13.5..=16.5 in the target year → off track.
    assert_eq!(of("15所左右"), "off_track");
}

#[test]
fn class_size_by_hand() {
    let (_g, df) = indicators();
    let get = |id: &str, region: &str| indicator(&df, id, 2020, region, "total");
    // classes.csv: P1 (C, primary) 41-45: 3, 56-60: 1, 66+: 1 → 5 classes, 2 at 56+, 1 at 66+.
    //              J1 (A, junior) 41-45: 4. S1 (A, senior) 46-50: 2, 51-60: 1.
    // 56+ (compulsory): C 2/5 = 40 %; A 0/4 = 0 %; province 2/9 = 22.2 %, coverage 2/3 (B has none).
    let c = get("large_class_share_compulsory", "450202").unwrap();
    assert_eq!((c.numerator, c.denominator), (Some(2.0), Some(5.0)));
    assert!(close(c.value, 40.0));
    let a = get("large_class_share_compulsory", "450102").unwrap();
    assert_eq!((a.numerator, a.denominator, a.value), (Some(0.0), Some(4.0), Some(0.0)));
    let p = get("large_class_share_compulsory", "450000").unwrap();
    assert_eq!((p.numerator, p.denominator), (Some(2.0), Some(9.0)));
    assert!(close(p.coverage, 2.0 / 3.0) && p.flags == vec!["low_coverage".to_string()]);
    // B delivered no classes: a row without a value, flagged no_data, never 0 %.
    let b = get("large_class_share_compulsory", "450103").unwrap();
    assert_eq!((b.value, b.numerator, b.denominator, b.coverage), (None, None, None, Some(0.0)));
    assert_eq!(b.flags, vec!["no_data".to_string()]);
    // 66+: C 1/5 = 20 %; province 1/9.
    assert_eq!(get("super_large_class_share_compulsory", "450000").unwrap().numerator, Some(1.0));
    assert!(close(get("super_large_class_share_compulsory", "450202").unwrap().value, 20.0));
    // Senior: the 51-60 band cannot be split at 56 → 0 of 3 counted, flagged.
    let s = get("large_class_share_senior", "450102").unwrap();
    assert_eq!((s.numerator, s.denominator), (Some(0.0), Some(3.0)));
    assert!(s.flags.contains(&"band_straddles_cutoff".to_string()), "{:?}", s.flags);
    // Kindergartens: K1 (A) 1 of 3 over the norm, K3 (C) 0 of 3 → province 1/6.
    let k = get("kindergarten_over_norm_share", "450000").unwrap();
    assert_eq!((k.numerator, k.denominator), (Some(1.0), Some(6.0)));
    assert!(close(get("kindergarten_over_norm_share", "450102").unwrap().value, 100.0 / 3.0));
    // Primary pupils per class in C: 50 pupils (enrolment.csv) over 5 classes = 10.
    let avg = get("average_class_size_primary", "450202").unwrap();
    assert_eq!((avg.numerator, avg.denominator, avg.value), (Some(50.0), Some(5.0), Some(10.0)));
    // 2020 rule (no 66+, 56+ ≤ 5 %): A meets it (0 %, 0 %), C does not (20 %, 40 %).
    // Province: 1 of the 2 counties with class data = 50 %; city 450100 (A) 1/1; city 450200 (C) 0/1.
    let rule = get("counties_meeting_class_size_rule_2020", "450000").unwrap();
    assert_eq!((rule.numerator, rule.denominator, rule.value), (Some(1.0), Some(2.0), Some(50.0)));
    assert_eq!(get("counties_meeting_class_size_rule_2020", "450100").unwrap().value, Some(100.0));
    assert_eq!(get("counties_meeting_class_size_rule_2020", "450200").unwrap().value, Some(0.0));
}

#[test]
fn register_families_by_hand() {
    let (_g, df) = indicators();
    let get = |id: &str, region: &str| {
        indicator(&df, id, 2020, region, "total").unwrap_or_else(|| panic!("{id} {region}"))
    };
    // Children (kindergarten.csv): K1 (A, public) 54, K2 (B, private 普惠) 30, K3 (C, private, not 普惠) 124.
    // 普惠 coverage: A 54/54, B 30/30, C 0/124; province (54 + 30) / 208 = 40.38 %.
    let p = get("inclusive_coverage", "450000");
    assert_eq!((p.numerator, p.denominator), (Some(84.0), Some(208.0)));
    assert_eq!(get("inclusive_coverage", "450202").value, Some(0.0));
    // Public share: 54 / 208.
    assert_eq!(get("public_kindergarten_share", "450000").numerator, Some(54.0));
    // Townships (乡镇 codes ≥ 100; 450102001 is a 街道 and does not count): A has 101 and 102,
    // B 101, C 101. Only K1 (public, central) in 450102101 covers one: A 1/2, B 0/1, C 0/1,
    // city 450100 1/3, province 1/4.
    assert_eq!(
        (
            get("township_central_kindergarten_coverage", "450102").numerator,
            get("township_central_kindergarten_coverage", "450102").denominator
        ),
        (Some(1.0), Some(2.0))
    );
    let t = get("township_central_kindergarten_coverage", "450000");
    assert_eq!((t.numerator, t.denominator, t.value), (Some(1.0), Some(4.0), Some(25.0)));
    assert_eq!(get("township_central_kindergarten_coverage", "450100").denominator, Some(3.0));
    // Demonstration: K1 only → 1 in the province; 1 of 3 counties has one.
    assert_eq!(get("demonstration_kindergartens", "450000").value, Some(1.0));
    assert_eq!(get("demonstration_kindergartens", "450202").value, Some(0.0));
    let d = get("counties_with_demonstration_kindergarten", "450000");
    assert_eq!((d.numerator, d.denominator), (Some(1.0), Some(3.0)));
    // Standardization proxy over primary and junior: J1 (A) meets every criterion; P1 (C) has no
    // broadband and a 66+ class → province 1/2 = 50 %, flagged proxy_definition; 1 school.
    let s = get("standardization_rate", "450000");
    assert_eq!((s.numerator, s.denominator, s.value), (Some(1.0), Some(2.0), Some(50.0)));
    assert!(s.flags.contains(&"proxy_definition".to_string()), "{:?}", s.flags);
    assert_eq!(get("standardized_schools", "450000").value, Some(1.0));
    assert!(
        get("standardized_schools", "450000").flags.is_empty(),
        "counts carry an empty flag list"
    );
    // Broadband over primary, junior, senior: S1 yes, J1 yes, P1 no → 2/3.
    let b = get("broadband_coverage", "450000");
    assert_eq!((b.numerator, b.denominator), (Some(2.0), Some(3.0)));
    // Primary pupils per full-time teacher in C: 50 / 5 = 10.
    let r = get("pupil_teacher_ratio_primary", "450202");
    assert_eq!((r.numerator, r.denominator, r.value), (Some(50.0), Some(5.0), Some(10.0)));
}

#[test]
fn money_and_exchange_by_hand() {
    let (_g, df) = indicators();
    let get = |id: &str, year: i32, region: &str| indicator(&df, id, year, region, "total");
    // finance.csv 2019 → 2020: A spends 1000 → 1100 on 10 students; C 2000 → 1800 on 20.
    // Province: 3000 → 2900: growth (2900/3000 - 1) × 100 = -3.33 %; per student 100 → 96.67, also -3.33 %.
    let g = get("education_expenditure_growth", 2020, "450000").unwrap();
    assert_eq!((g.numerator, g.denominator), (Some(2900.0), Some(3000.0)));
    assert!(close(g.value, (2900.0 / 3000.0 - 1.0) * 100.0));
    assert!(close(get("education_expenditure_growth", 2020, "450102").unwrap().value, 10.0));
    assert!(
        get("education_expenditure_growth", 2019, "450000").is_none(),
        "no previous year, no growth row"
    );
    let ps = get("education_expenditure_per_student", 2020, "450000").unwrap();
    assert_eq!((ps.numerator, ps.denominator), (Some(2900.0), Some(30.0)));
    // Both checks hold in A, fail in C → 1 of 2 counties.
    let c = get("counties_expenditure_not_decreasing", 2020, "450000").unwrap();
    assert_eq!((c.numerator, c.denominator), (Some(1.0), Some(2.0)));
    // Pay: A 90/100 = 0.9, C 110/100 = 1.1 → 1 of 2 counties; no city or province ratio of averages.
    assert!(close(get("teacher_pay_ratio", 2020, "450102").unwrap().value, 0.9));
    assert!(get("teacher_pay_ratio", 2020, "450000").is_none());
    assert_eq!(
        get("counties_teacher_pay_not_below_civil_servants", 2020, "450000").unwrap().numerator,
        Some(1.0)
    );
    // Exchange reported for the province only: 120 there; every city and county is no_data,
    // not 0 (which would not even add up to the province's 120).
    assert_eq!(get("inbound_students", 2020, "450000").unwrap().value, Some(120.0));
    for region in ["450100", "450200", "450102", "450103", "450202"] {
        let r = get("inbound_students", 2020, region).unwrap();
        assert_eq!((r.value, r.flags.clone()), (None, vec!["no_data".to_string()]), "{region}");
    }
    // No exchange in 2019 anywhere: no rows that year.
    assert!(get("inbound_students", 2019, "450000").is_none());
}

#[test]
fn balance_edges_through_the_pipeline() {
    let (_g, df) = indicators();
    // C has one primary school (P1: 50 pupils, 5 teachers): CV 0, flagged single_school;
    // x̄ = 5 / 50 = 0.1 teachers per pupil is the denominator.
    let t = indicator(&df, "balance_teachers_primary", 2020, "450202", "total").unwrap();
    assert_eq!((t.value, t.denominator), (Some(0.0), Some(0.1)));
    assert_eq!(t.flags, vec!["single_school".to_string()]);
    // Books are not reported → no CV → the composite of 2 CVs is missing (1 of 2 there), never
    // the mean of the one that remains.
    assert!(indicator(&df, "balance_books_primary", 2020, "450202", "total").is_none());
    let c = indicator(&df, "balance_composite_primary", 2020, "450202", "total").unwrap();
    assert_eq!((c.value, c.denominator), (None, Some(1.0)));
    assert_eq!(c.flags, vec!["cv_missing".to_string()]);
    // County rows only: balance is a county property.
    assert!(indicator(&df, "balance_teachers_primary", 2020, "450000", "total").is_none());
}

#[test]
fn retention_by_hand() {
    let (_g, df) = indicators();
    let get =
        |year: i32, region: &str| indicator(&df, "retention_compulsory", year, region, "total");
    // A: junior final grade 2020 = 30 (school J1; the regional row's 99 for A in 2020 is ignored
    // because school-level data exist) over primary entrants of 2012 = 32 → 93.75 %.
    let a = get(2020, "450102").unwrap();
    assert_eq!((a.numerator, a.denominator, a.value), (Some(30.0), Some(32.0), Some(93.75)));
    assert!(a.flags.is_empty(), "{:?}", a.flags);
    // C: final grade 20 from the regional table, but no entrants in 2012 → no value, flagged.
    let c = get(2020, "450202").unwrap();
    assert_eq!((c.value, c.numerator, c.denominator), (None, None, None));
    for f in ["entry_year_missing", "denominator_missing", "numerator_unpaired"] {
        assert!(c.flags.contains(&f.to_string()), "{f} in {:?}", c.flags);
    }
    // Province: only A's pair is divided (30 / 32); C's unpaired 20 is left out and flagged.
    let p = get(2020, "450000").unwrap();
    assert_eq!((p.numerator, p.denominator, p.value), (Some(30.0), Some(32.0), Some(93.75)));
    assert!(p.flags.contains(&"numerator_unpaired".to_string()), "{:?}", p.flags);
    // 2019: no junior final grade anywhere. A's primary entrants of 2011 (30) are a start
    // without its end: A's row has no value, flagged numerator_missing (never 0 %); C, which
    // has neither, is no_data.
    let a = get(2019, "450102").unwrap();
    assert_eq!((a.value, a.numerator, a.denominator), (None, None, None));
    assert!(a.flags.contains(&"numerator_missing".to_string()), "{:?}", a.flags);
    assert_eq!(get(2019, "450202").unwrap().flags, vec!["no_data".to_string()]);
}

/// Two value columns with the same keys and measure are added up, one without a value adding
/// nothing: boys delivered in two columns, 男（城镇） and 男（乡村）, where the fixture has 男.
#[test]
fn value_columns_with_the_same_keys_are_added_up() {
    let dir = super::common::tiny_copy();
    let d = dir.path();
    let pipeline = std::fs::read_to_string(d.join("pipeline.toml")).unwrap();
    let one = r#"  { raw = "男", measure = "population", sex = "male" },"#;
    assert!(pipeline.contains(one));
    let two = r#"  { raw = "男（城镇）", measure = "population", sex = "male" },
  { raw = "男（乡村）", measure = "population", sex = "male" },"#;
    std::fs::write(d.join("pipeline.toml"), pipeline.replace(one, two)).unwrap();
    // 450103 aged 3: 5 boys as 2 + 3; aged 4: 5 + nothing; every other row: 男 + nothing.
    let csv = std::fs::read_to_string(d.join("population.csv")).unwrap();
    let split: Vec<String> = csv
        .lines()
        .map(|line| {
            let c: Vec<&str> = line.split(',').collect();
            let (boys_town, boys_country) = match (c[0], c[1]) {
                ("地区代码", _) => ("男（城镇）", "男（乡村）"),
                ("450103", "3岁") => ("2", "3"),
                _ => (c[3], ""),
            };
            [c[0], c[1], c[2], boys_town, boys_country, c[4]].join(",")
        })
        .collect();
    std::fs::write(d.join("population.csv"), split.join("\n") + "\n").unwrap();
    let (_out, run_dir) = run(&d.join("pipeline.toml"));
    let population = frame::read_parquet(&run_dir.join("staging/population.parquet")).unwrap();
    let boys = |age: i32| -> Vec<Option<i64>> {
        let rows = frame::collect(
            frame::lazy(&population).filter(
                frame::col("region_code")
                    .eq(frame::lit("450103"))
                    .and(frame::col("age").eq(frame::lit(age)))
                    .and(frame::col("sex").eq(frame::lit("male"))),
            ),
        )
        .unwrap();
        frame::ints(&rows, "population").unwrap()
    };
    assert_eq!(boys(3), vec![Some(5)], "2 + 3");
    assert_eq!(boys(4), vec![Some(5)], "5 + no value");
    assert_eq!(boys(15), vec![Some(10)], "10 + no value");
    // The rates are those of the fixture delivered with one column (tests above).
    let df = frame::read_parquet(&run_dir.join("indicators.parquet")).unwrap();
    let ger = indicator(&df, "ger_preschool", 2020, "450103", "male").unwrap();
    assert_eq!(ger.denominator, Some(15.0), "5 + 5 + 5 boys aged 3-5");
}

#[test]
fn rates_from_county_sums_equal_rates_from_every_school() {
    // Four more primary schools in C, each a copy of P1 (3502020003): classes 41-45: 3,
    // 56-60: 1, 66+: 1; 50 pupils (25 girls); 5 full-time teachers. With five such schools a
    // county's classes and enrolment are summed by county before the families read them (the
    // debug log says so); the rates are the ones worked out from every school:
    //   56+ compulsory, C: 5 × 2 = 10 of 5 × 5 = 25 classes = 40 %; province: 10 of 25 + 4 (J1 in
    //   A) = 29 → 34.48 %; 66+ C: 5 of 25 = 20 %; primary pupils per class in C: 5 × 50 = 250
    //   over 25 = 10; primary pupils per teacher in C: 250 over 5 × 5 = 25 → 10.
    let dir = super::common::tiny_copy();
    let d = dir.path();
    let append = |file: &str, copy_of: &str| {
        let text = std::fs::read_to_string(d.join(file)).unwrap();
        let line = text.lines().find(|l| l.contains("3502020003")).unwrap().to_string();
        let mut text = text.trim_end().to_string();
        for n in 4..=7 {
            text.push('\n');
            text.push_str(&line.replace("3502020003", &format!("350202000{n}")));
        }
        assert!(line.contains(copy_of), "{file}: {line}");
        std::fs::write(d.join(file), text + "\n").unwrap();
    };
    append("schools.csv", "450202");
    append("classes.csv", "小学");
    append("enrolment.csv", "50");
    append("teachers.csv", "5");
    let out = tempfile::tempdir().unwrap();
    let pipeline = d.join("pipeline.toml");
    let ran = super::common::edustat(
        &["run", pipeline.to_str().unwrap(), "--out", out.path().to_str().unwrap()]
            .into_iter()
            .chain(["--progress", "never", "--color", "never", "--log-level", "debug"])
            .collect::<Vec<_>>(),
        &[],
    );
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    for table in ["classes", "enrolment"] {
        let line =
            ran.stderr.lines().find(|l| l.contains(&format!("county sums table=\"{table}\"")));
        assert!(line.is_some_and(|l| l.ends_with("kept=true")), "{table}: {line:?}");
    }
    let df = frame::read_parquet(&out.path().join("tiny/latest/indicators.parquet")).unwrap();
    let get = |id: &str, region: &str| indicator(&df, id, 2020, region, "total").unwrap();
    let c = get("large_class_share_compulsory", "450202");
    assert_eq!((c.numerator, c.denominator), (Some(10.0), Some(25.0)));
    assert!(close(c.value, 40.0));
    let p = get("large_class_share_compulsory", "450000");
    assert_eq!((p.numerator, p.denominator), (Some(10.0), Some(29.0)));
    assert!(close(p.value, 1000.0 / 29.0));
    let s = get("super_large_class_share_compulsory", "450202");
    assert_eq!((s.numerator, s.denominator), (Some(5.0), Some(25.0)));
    let avg = get("average_class_size_primary", "450202");
    assert_eq!((avg.numerator, avg.denominator, avg.value), (Some(250.0), Some(25.0), Some(10.0)));
    let ptr = get("pupil_teacher_ratio_primary", "450202");
    assert_eq!((ptr.numerator, ptr.denominator, ptr.value), (Some(250.0), Some(25.0), Some(10.0)));
}
