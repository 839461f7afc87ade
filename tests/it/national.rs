//! The national preset and pipeline on two small provinces (宁夏 640000 and 青海 630000, a
//! ninth of the whole sample's files): deliveries in folders by province, the country's values
//! the sums of its provinces' parts, and a status for the country, each province and each
//! county per target.

use std::path::{Path, PathBuf};

use super::common::{close, indicator, repo};
use edustat::frame::{self, IntoLazy, col, lit};

const PROVINCES: [&str; 2] = ["640000", "630000"];

/// The two provinces' deliveries (scale 0.01, seed 2016) under `dir/data`.
fn sample(dir: &Path) -> Vec<PathBuf> {
    let only: Vec<String> = PROVINCES.iter().map(|p| p.to_string()).collect();
    edustat::sample::national(&dir.join("data"), 0.01, 2016, &only).unwrap()
}

#[test]
fn a_province_delivery_is_deterministic_and_shaped_like_guangxi() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let written = sample(a.path());
    sample(b.path());
    for path in &written {
        let relative = path.strip_prefix(a.path()).unwrap();
        assert!(
            std::fs::read(path).unwrap() == std::fs::read(b.path().join(relative)).unwrap(),
            "{}",
            relative.display()
        );
    }
    // One folder per province, each with the Guangxi layout over 2011–2020.
    for p in PROVINCES {
        let folder = a.path().join("data").join(p);
        for name in [
            "schools.csv",
            "population_2011.csv",
            "population_2019.xlsx",
            "enrolment_2020.csv",
            "classes_2015.csv",
            "regional_enrolment.csv",
        ] {
            assert!(folder.join(name).is_file(), "{p}/{name}");
        }
    }
    // The division table: the country, the provinces under it, cities and counties in the
    // GB/T 2260 pattern, and a county that became a district with its successor.
    let divisions = std::fs::read_to_string(a.path().join("data/divisions.csv")).unwrap();
    assert!(divisions.contains("\n100000,中华人民共和国,People's Republic of China,country,,"));
    assert!(divisions.contains("\n640000,宁夏回族自治区,Ningxia,province,100000,"));
    assert!(divisions.contains("\n640100,宁夏第1市,Ningxia 1 City,city,640000,"));
    let retired: Vec<&str> = divisions
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(6).is_some_and(|v| !v.is_empty()))
        .collect();
    assert!(
        !retired.is_empty() && retired.iter().all(|l| l.starts_with("64") || l.starts_with("63")),
        "{retired:?}"
    );
}

/// The national pipeline pointed at `dir/data` and limited to the two provinces.
fn pipeline(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(repo().join("pipelines/national-2016-2020.toml")).unwrap();
    let start = text.find("province = [\n").unwrap();
    let end = start + text[start..].find("]\n").unwrap() + 2;
    let text = format!("{}province = [\"640000\", \"630000\"]\n{}", &text[..start], &text[end..])
        .replace("../data-samples/national/", "data/")
        .replace("root = \"..\"", "root = \".\"");
    std::fs::create_dir_all(dir.join("shared")).unwrap();
    std::fs::copy(
        repo().join("pipelines/shared/china-mappings.toml"),
        dir.join("shared/china-mappings.toml"),
    )
    .unwrap();
    std::fs::write(dir.join("national.toml"), text).unwrap();
    dir.join("national.toml")
}

#[test]
fn the_national_pipeline_adds_provinces_up_to_the_country() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path());
    let (_out, run) = super::common::run(&pipeline(dir.path()));
    let df = frame::read_parquet(&run.join("indicators.parquet")).unwrap();
    // The country's ratio divides the sum of its provinces' numerators by the sum of their
    // denominators (paired parts, never an average of rates).
    for id in ["ger_preschool", "ger_senior_secondary", "ger_higher", "retention_compulsory"] {
        let country = indicator(&df, id, 2020, "100000", "total").unwrap();
        let parts: Vec<_> =
            PROVINCES.iter().map(|p| indicator(&df, id, 2020, p, "total").unwrap()).collect();
        let num: f64 = parts.iter().map(|r| r.numerator.unwrap()).sum();
        let den: f64 = parts.iter().map(|r| r.denominator.unwrap()).sum();
        assert!(close(country.numerator, num) && close(country.denominator, den), "{id}");
        assert!(close(country.value, num / den * 100.0), "{id}");
        assert_eq!(country.coverage, Some(1.0), "{id}");
    }
    // 在学总规模: the weighted students of ger_higher, as a count.
    let total = indicator(&df, "higher_education_enrolment", 2020, "100000", "total").unwrap();
    assert!(close(
        total.value,
        indicator(&df, "ger_higher", 2020, "100000", "total").unwrap().numerator.unwrap()
    ));
    // A status per target for the country, each province and each county.
    let targets = frame::read_parquet(&run.join("targets.parquet")).unwrap();
    let rows = |target: &str| {
        frame::collect(targets.clone().lazy().filter(col("target").eq(lit(target)))).unwrap()
    };
    let divisions = frame::read_parquet(&run.join("divisions.parquet")).unwrap();
    let current = frame::collect(
        divisions.lazy().filter(col("level").eq(lit("county")).and(col("valid_to").is_null())),
    )
    .unwrap();
    assert_eq!(rows("preschool_ger_85_each_province").height(), 1 + 2);
    // Ningxia's 22 and Qinghai's 44 county-level units are current (the retired codes not).
    assert_eq!(current.height(), 22 + 44);
    assert_eq!(rows("preschool_ger_85_each_county").height(), 1 + 66);
    let statuses = super::common::texts(&rows("preschool_ger_85"), "status");
    assert_eq!(statuses.len(), 1);
    // The average schooling of the working-age population has no data in any delivery.
    assert_eq!(super::common::texts(&rows("schooling_years_10_8"), "status"), ["no_recent_value"]);
}

/// A night on which one province's enrolment and class files changed: only those files are
/// read and typed again, every other file's typed rows come from the earlier run, and the run
/// publishes exactly what a run from nothing publishes on the same files.
#[test]
fn only_the_changed_province_files_are_read_again() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path());
    let pipeline = pipeline(dir.path());
    let run = |out: &str, extra: &[&str]| {
        let out = dir.path().join(out);
        let mut args = vec!["run", pipeline.to_str().unwrap(), "--out", out.to_str().unwrap()];
        args.extend(["--progress", "never", "--log-format", "json"]);
        args.extend(extra);
        let ran = super::common::edustat(&args, &[]);
        assert_eq!(ran.code, Some(0), "{}", ran.stderr);
        let runs = out.join("national-2016-2020/latest");
        (runs.canonicalize().unwrap(), ran.stderr)
    };
    run("out", &[]);
    // Qinghai's ten enrolment and ten class files: one more in the last cell of the last row.
    let mut changed = 0;
    for entry in std::fs::read_dir(dir.path().join("data/630000")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if !(name.starts_with("enrolment_") || name.starts_with("classes_")) {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let body = bytes.trim_ascii_end();
        let cut = body.iter().rposition(|b| *b == b',').unwrap() + 1;
        let last: u64 = std::str::from_utf8(&body[cut..]).unwrap().parse().unwrap();
        let mut edited = body[..cut].to_vec();
        edited.extend(format!("{}\n", last + 1).bytes());
        std::fs::write(&path, edited).unwrap();
        changed += 1;
    }
    assert_eq!(changed, 20);
    let (again, log) = run("out", &[]);
    // Per table, the files read again and the files whose typed rows were kept.
    let mut read = std::collections::BTreeMap::new();
    for line in log.lines() {
        let l: serde_json::Value = serde_json::from_str(line).unwrap();
        if l["fields"]["message"] == "typed rows of unchanged files taken from earlier runs" {
            let f = &l["fields"];
            read.insert(
                f["table"].as_str().unwrap().to_string(),
                (f["read"].clone(), f["reused"].clone()),
            );
        }
    }
    // enrolment: Qinghai's 10 enrolment files; kept: Ningxia's 10 and both provinces' 20
    // kindergarten files. classes: the same with kindergarten classes.
    let expected = |read: u64, kept: u64| (serde_json::json!(read), serde_json::json!(kept));
    assert_eq!(read.get("enrolment"), Some(&expected(10, 30)), "{read:?}");
    assert_eq!(read.get("classes"), Some(&expected(10, 30)), "{read:?}");
    assert_eq!(read.len(), 2, "other tables are unchanged, reused whole: {read:?}");
    let (fresh, _) = run("fresh", &["--force"]);
    for file in [
        "staging/enrolment.parquet",
        "staging/classes.parquet",
        "indicators.parquet",
        "targets.parquet",
        "quarantine.parquet",
        "checks.parquet",
    ] {
        let a = frame::read_parquet(&again.join(file)).unwrap();
        let b = frame::read_parquet(&fresh.join(file)).unwrap();
        assert!(a.equals_missing(&b), "{file}");
    }
    let inputs = |run: &Path| {
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(run.join("manifest.json")).unwrap()).unwrap();
        m["inputs"].clone()
    };
    assert_eq!(inputs(&again), inputs(&fresh));
}
