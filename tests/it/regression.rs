//! `diff` and `check`: the bundled sample matches its committed baseline; a changed raw count
//! moves exactly the rows that depend on it and names the numerator or denominator; a changed
//! age band is the denominator and the spec hash; removed input leaves rows without a value;
//! tolerances decide.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use edustat::diff::{Diff, Snapshot, Tolerances, diff};

use super::common::{guangxi_run, repo, tiny_copy};

#[test]
fn the_sample_matches_its_committed_baseline() {
    let d = diff(
        &Snapshot::load(&repo().join("tests/baselines/guangxi-2018-2020")).unwrap(),
        &Snapshot::load(guangxi_run()).unwrap(),
        &Tolerances::default(),
    )
    .unwrap();
    assert_eq!(
        d.regressions(),
        0,
        "run `make baseline` if the change is intended:\n{}",
        edustat::diff::render(&d, edustat::diff::Layout::Table, 30).unwrap()
    );
}

/// Run the tiny fixture (optionally edited) and return its run folder.
fn tiny_run(edit: impl Fn(&Path)) -> (tempfile::TempDir, PathBuf) {
    let dir = tiny_copy();
    edit(dir.path());
    let run = edustat::run::run(&dir.path().join("pipeline.toml"), &dir.path().join("out"))
        .unwrap()
        .run_dir;
    (dir, run)
}

fn replace(dir: &Path, file: &str, from: &str, to: &str) {
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    assert!(text.contains(from), "{from} not in {file}");
    std::fs::write(dir.join(file), text.replacen(from, to, 1)).unwrap();
}

fn moved(d: &Diff) -> BTreeSet<(String, String, String, String)> {
    d.moves
        .iter()
        .map(|m| (m.indicator.clone(), m.region_code.clone(), m.sex.clone(), m.cause.clone()))
        .collect()
}

fn set(rows: &[(&str, &str, &str, &str)]) -> BTreeSet<(String, String, String, String)> {
    rows.iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect()
}

#[test]
fn identical_runs_give_an_empty_diff() {
    let (_a, one) = tiny_run(|_| {});
    let (_b, two) = tiny_run(|_| {});
    let d = diff(
        &Snapshot::load(&one).unwrap(),
        &Snapshot::load(&two).unwrap(),
        &Tolerances::default(),
    )
    .unwrap();
    assert!(d.is_empty() && d.regressions() == 0 && d.spec_hash.is_none(), "{d:?}");
}

#[test]
fn one_raw_count_moves_exactly_what_depends_on_it() {
    let (_a, before) = tiny_run(|_| {});
    // K3 (county C, private, not 普惠): 小班 40 → 41 boys (女 unchanged).
    let (_b, after) =
        tiny_run(|d| replace(d, "kindergarten.csv", "3502020001,40,20", "3502020001,41,20"));
    let d = diff(
        &Snapshot::load(&before).unwrap(),
        &Snapshot::load(&after).unwrap(),
        &Tolerances::default(),
    )
    .unwrap();
    // ger_preschool: C's children are its numerator (total and male, not female) in C, its city
    // and the province. 普惠 coverage and the public share: C's children are in their
    // denominators only (K3 is neither public nor 普惠).
    let mut expected = Vec::new();
    for region in ["450202", "450200", "450000"] {
        expected.push(("ger_preschool", region, "total", "numerator"));
        expected.push(("ger_preschool", region, "male", "numerator"));
        expected.push(("inclusive_coverage", region, "total", "denominator"));
        expected.push(("public_kindergarten_share", region, "total", "denominator"));
        // The boys' ratio is the parity index's denominator (girls' over boys').
        expected.push(("ger_preschool_gpi", region, "total", "denominator"));
    }
    assert_eq!(moved(&d), set(&expected));
    assert_eq!(d.inputs_changed, vec!["kindergarten.csv".to_string()]);
    // The province's preschool target moved but kept its status.
    assert_eq!(d.targets.len(), 1);
    assert_eq!(d.targets[0].old_status, d.targets[0].new_status);
}

#[test]
fn an_age_band_change_is_the_denominator_and_the_spec() {
    let (_a, before) = tiny_run(|_| {});
    let (_b, after) = tiny_run(|d| replace(d, "pipeline.toml", "ages = [3, 5]", "ages = [3, 6]"));
    let d = diff(
        &Snapshot::load(&before).unwrap(),
        &Snapshot::load(&after).unwrap(),
        &Tolerances::default(),
    )
    .unwrap();
    assert!(d.spec_hash.is_some(), "the spec hash changed");
    // Only county A has people aged 6 (100 m + 100 f): A, city 450100 and the province, each sex.
    let mut expected = Vec::new();
    for region in ["450102", "450100", "450000"] {
        for sex in ["total", "female", "male"] {
            expected.push(("ger_preschool", region, sex, "denominator"));
        }
        // Both sexes' ratios moved: both parts of the parity index.
        expected.push(("ger_preschool_gpi", region, "total", "numerator and denominator"));
    }
    assert_eq!(moved(&d), set(&expected));
    assert!(d.inputs_changed.is_empty());
}

#[test]
fn removed_input_rows_leave_rows_without_a_value() {
    let (_a, before) = tiny_run(|_| {});
    // Without J1's junior row and the yearbook row for A (which would otherwise fill the gap),
    // county A has no final-grade students in 2020. Its entrants of 2012 (32, yearbook) are
    // still there: A's retention row stays, with no value and no parts, flagged
    // numerator_missing — never 0 % — and so does its city's, whose only county is A.
    let (_b, after) = tiny_run(|d| {
        replace(d, "enrolment.csv", "3501020004,初中,40,20,40,20,30,15,30\n", "");
        replace(d, "regional_enrolment.csv", "2020,450102,初中,,99\n", "");
    });
    let d = diff(
        &Snapshot::load(&before).unwrap(),
        &Snapshot::load(&after).unwrap(),
        &Tolerances::default(),
    )
    .unwrap();
    let moved: BTreeSet<(String, String)> = d
        .moves
        .iter()
        .filter(|m| m.indicator == "retention_compulsory" && m.new.is_none())
        .map(|m| (m.indicator.clone(), m.region_code.clone()))
        .collect();
    for region in ["450102", "450100"] {
        assert!(
            moved.contains(&("retention_compulsory".to_string(), region.to_string())),
            "{moved:?}"
        );
    }
    let df = edustat::frame::read_parquet(&after.join("indicators.parquet")).unwrap();
    let a = super::common::indicator(&df, "retention_compulsory", 2020, "450102", "total").unwrap();
    assert_eq!((a.value, a.numerator, a.denominator), (None, None, None));
    assert!(a.flags.contains(&"numerator_missing".to_string()), "{:?}", a.flags);
}

#[test]
fn tolerances_let_small_moves_pass_and_stop_larger_ones() {
    let (dir, before) = tiny_run(|_| {});
    let baseline = dir.path().join("baseline");
    edustat::diff::write_baseline(&before, &baseline).unwrap();
    // The baseline reads back to the same numbers: no move at all.
    let d = diff(
        &Snapshot::load(&baseline).unwrap(),
        &Snapshot::load(&before).unwrap(),
        &Tolerances::default(),
    )
    .unwrap();
    assert!(
        d.is_empty(),
        "{}",
        edustat::diff::render(&d, edustat::diff::Layout::Table, 10).unwrap()
    );
    // Inbound students 120 → 121: a move of 1/120 = 0.83 %.
    let (_b, after) =
        tiny_run(|d| replace(d, "exchange.csv", "2020,450000,120,80", "2020,450000,121,80"));
    let check = |tolerance: &str| -> Option<i32> {
        let spec = dir.path().join(format!("check-{tolerance}.toml"));
        let text = std::fs::read_to_string(repo().join("tests/fixtures/tiny/pipeline.toml"))
            .unwrap()
            + &format!("\n[check]\ntolerances = {{ inbound_students = {tolerance} }}\n");
        std::fs::write(&spec, text).unwrap();
        std::fs::copy(
            repo().join("tests/fixtures/tiny/divisions.csv"),
            dir.path().join("divisions.csv"),
        )
        .ok();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_edustat"))
            .args([
                "check",
                "--baseline",
                baseline.to_str().unwrap(),
                after.to_str().unwrap(),
                "--pipeline",
                spec.to_str().unwrap(),
                "--log-level",
                "error",
            ])
            .output()
            .unwrap();
        out.status.code()
    };
    assert_eq!(check("0.01"), Some(0), "0.83 % is within 1 %");
    assert_eq!(check("0.001"), Some(4), "0.83 % is beyond 0.1 %");
}

#[test]
fn diff_and_check_refuse_other_pipelines_and_broken_baselines() {
    let (_t, tiny) = tiny_run(|_| {});
    let guangxi = guangxi_run();
    let arg = |p: &Path| p.to_str().unwrap().to_string();
    // A Guangxi run against a tiny one: exit 2, both ids named; allowed when asked.
    let ran = super::common::edustat(&["diff", &arg(guangxi), &arg(&tiny)], &[]);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("guangxi-2018-2020") && ran.stderr.contains("tiny"),
        "{}",
        ran.stderr
    );
    let ran =
        super::common::edustat(&["diff", &arg(guangxi), &arg(&tiny), "--other-pipeline"], &[]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let baseline = repo().join("tests/baselines/guangxi-2018-2020");
    let ran = super::common::edustat(&["check", "--baseline", &arg(&baseline), &arg(&tiny)], &[]);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    // A baseline whose baseline.json is corrupt, or missing: exit 3 naming the file.
    let copy = tempfile::tempdir().unwrap();
    for f in ["indicators.csv", "targets.csv"] {
        std::fs::copy(baseline.join(f), copy.path().join(f)).unwrap();
    }
    for (label, content) in [("missing", None), ("corrupt", Some("{\"spec_hash\": 3"))] {
        match content {
            Some(text) => std::fs::write(copy.path().join("baseline.json"), text).unwrap(),
            None => {
                let _ = std::fs::remove_file(copy.path().join("baseline.json"));
            }
        }
        let ran =
            super::common::edustat(&["check", "--baseline", &arg(copy.path()), &arg(guangxi)], &[]);
        assert_eq!(ran.code, Some(3), "{label}: {}", ran.stderr);
        assert!(ran.stderr.contains("baseline.json"), "{label}: {}", ran.stderr);
    }
}
