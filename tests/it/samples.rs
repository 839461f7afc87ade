//! The bundled Guangxi sample: it regenerates byte for byte, every deliberately bad row lands in
//! quarantine under its rule, every file's rows add up, and every region and year has its rates.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::common::{guangxi_run, indicator, repo};
use edustat::frame;

#[test]
fn sample_regenerates_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let written = edustat::sample::guangxi(dir.path(), 0.05, 2018).unwrap();
    assert!(written.len() >= 15);
    for path in written {
        let name = path.file_name().unwrap();
        let committed = std::fs::read(repo().join("data-samples/guangxi").join(name)).unwrap();
        assert!(
            std::fs::read(&path).unwrap() == committed,
            "{} differs from the committed sample",
            name.to_string_lossy()
        );
    }
}

#[test]
fn bad_rows_are_quarantined_and_every_file_adds_up() {
    let dir = guangxi_run();
    let q = frame::read_parquet(&dir.join("quarantine.parquet")).unwrap();
    let files = q.column("source_file").unwrap().str().unwrap().clone();
    let rules = q.column("rule").unwrap().str().unwrap().clone();
    let got: BTreeSet<(String, String)> = (0..q.height())
        .map(|i| {
            let f = files.get(i).unwrap().rsplit('/').next().unwrap().to_string();
            (f, rules.get(i).unwrap().to_string())
        })
        .collect();
    // The catalogue in data-samples/guangxi/README.md.
    let expected: BTreeSet<(String, String)> = [
        ("population_2017.csv", "code.unknown_region"),
        ("population_2018.csv", "key.duplicate"),
        ("population_2019.xlsx", "value.out_of_range"),
        ("population_2020.csv", "count.negative"),
        ("schools.csv", "key.duplicate"),
        ("schools.csv", "code.unknown_value"),
        ("kindergarten_2018.csv", "count.not_integer"),
        ("enrolment_2019.csv", "ref.unknown_school"),
        ("enrolment_2020.csv", "count.female_exceeds_total"),
        ("higher_education.csv", "row.field_count"),
        ("projects.csv", "code.unknown_value"),
        ("classes_2019.csv", "code.unknown_value"),
        ("regional_enrolment.csv", "year.out_of_range"),
    ]
    .iter()
    .map(|(f, r)| (f.to_string(), r.to_string()))
    .collect();
    assert_eq!(q.height(), expected.len(), "one quarantine row per bad row");
    assert_eq!(got, expected);
    // The XLSX row names its sheet and its spreadsheet row (title + header + 11,211 rows → row 11,214).
    let sheet_rows: Vec<(Option<&str>, Option<i64>)> = (0..q.height())
        .filter(|i| files.get(*i).unwrap().ends_with(".xlsx"))
        .map(|i| {
            (
                q.column("sheet").unwrap().str().unwrap().get(i),
                q.column("line").unwrap().i64().unwrap().get(i),
            )
        })
        .collect();
    assert_eq!(sheet_rows, vec![(Some("分年龄人口"), Some(11_214))]);

    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let inputs = manifest["inputs"].as_array().unwrap();
    assert_eq!(
        inputs.len(),
        30,
        "4 population + register + 4 kindergarten + 4 enrolment + 4 classes + 4 kindergarten classes + 4 teachers + higher education + finance + exchange + regional enrolment + projects"
    );
    let mut quarantined = 0;
    for f in inputs {
        let (read, acc, quar) = (
            f["rows_read"].as_u64().unwrap(),
            f["rows_accepted"].as_u64().unwrap(),
            f["rows_quarantined"].as_u64().unwrap(),
        );
        assert_eq!(read, acc + quar, "{}", f["path"]);
        assert_eq!(f["sha256"].as_str().unwrap().len(), 64);
        quarantined += quar;
    }
    assert_eq!(quarantined as usize, q.height());
    // 111 counties × 101 ages = 11,211 data rows + 1 appended bad row in every population file.
    let pop = inputs
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("population_2018.csv"))
        .unwrap();
    assert_eq!(
        (pop["rows_read"].as_u64(), pop["rows_quarantined"].as_u64()),
        (Some(11_212), Some(1))
    );
}

#[test]
fn every_region_and_year_has_the_three_rates() {
    let dir = guangxi_run();
    let df = frame::read_parquet(&dir.join("indicators.parquet")).unwrap();
    let divisions =
        edustat::divisions::Divisions::load(&repo().join("data-samples/guangxi/divisions.csv"))
            .unwrap();
    let current: Vec<(&str, &str)> = divisions
        .rows
        .iter()
        .filter(|d| d.valid_to.is_none() && d.level != "township")
        .map(|d| (d.code.as_str(), d.level.as_str()))
        .collect();
    assert_eq!(current.iter().filter(|c| c.1 == "county").count(), 111);
    assert_eq!(current.iter().filter(|c| c.1 == "city").count(), 14);
    for id in ["ger_preschool", "ger_senior_secondary", "ger_higher"] {
        for year in 2017..=2020 {
            for (code, _) in &current {
                let row = indicator(&df, id, year, code, "total")
                    .unwrap_or_else(|| panic!("{id} {year} {code} missing"));
                assert!(row.value.is_some_and(f64::is_finite), "{id} {year} {code}: {row:?}");
            }
        }
    }
    // Retired codes used by early deliveries (451023 平果县 until 2019) count under 451082 平果市.
    let pingguo = indicator(&df, "ger_preschool", 2017, "451082", "total").unwrap();
    assert!(pingguo.numerator.unwrap() > 0.0 && pingguo.denominator.unwrap() > 0.0);
}

#[test]
fn every_published_indicator_is_explained_and_every_target_has_a_row() {
    let dir = guangxi_run();
    let df = frame::read_parquet(&dir.join("indicators.parquet")).unwrap();
    let pipeline = edustat::spec::load(&repo().join("pipelines/guangxi-2018-2020.toml")).unwrap();
    // Every published id is described in the run's own catalogue.parquet, exactly once.
    let ids: BTreeSet<String> = super::common::texts(&df, "indicator").into_iter().collect();
    let catalogue = super::common::texts(
        &frame::read_parquet(&dir.join("catalogue.parquet")).unwrap(),
        "indicator",
    );
    let described: BTreeSet<String> = catalogue.iter().cloned().collect();
    assert_eq!(described.len(), catalogue.len(), "catalogue ids are unique");
    let undescribed: Vec<&String> = ids.difference(&described).collect();
    assert!(undescribed.is_empty(), "no catalogue entry for {undescribed:?}");
    // No value is NaN or infinite anywhere.
    let values = df.column("value").unwrap().f64().unwrap().clone();
    assert!((0..values.len()).filter_map(|i| values.get(i)).all(f64::is_finite));
    let targets = frame::read_parquet(&dir.join("targets.parquet")).unwrap();
    // One row per target for the region it addresses, and one per county of each 县县 target
    // (111 counties in the sample's division table).
    let own = super::common::texts(&targets, "region_code")
        .iter()
        .zip(super::common::texts(&targets, "target_region"))
        .filter(|(r, t)| *r == t)
        .count();
    assert_eq!(own, pipeline.targets.len());
    let each = pipeline.targets.iter().filter(|t| t.each.is_some()).count();
    assert_eq!(targets.height(), pipeline.targets.len() + each * 111);
    // The sample carries input for every target: none lacks a value or a baseline.
    let status = super::common::texts(&targets, "status");
    let indicator = super::common::texts(&targets, "indicator");
    let no_data: Vec<&String> = indicator
        .iter()
        .zip(&status)
        .filter(|(_, s)| s.starts_with("no_"))
        .map(|(i, _)| i)
        .collect();
    assert!(no_data.is_empty(), "{no_data:?}");
}

/// Every `.parquet` under `dir`, relative, in order.
fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(
                parquet_files(&path).into_iter().map(|p| Path::new(&entry.file_name()).join(p)),
            );
        } else if path.extension().is_some_and(|e| e == "parquet") {
            out.push(PathBuf::from(entry.file_name()));
        }
    }
    out.sort();
    out
}

#[test]
fn tables_read_back_from_their_files_and_staged_a_year_at_a_time_publish_the_same() {
    // What a national delivery does, on the Guangxi sample: every canonical table written as
    // it is staged and read back from its file by compute, and every school-level table staged
    // a year at a time (a group per file), against the shared run, which holds them all.
    let out = tempfile::tempdir().unwrap();
    let options = edustat::run::Options { hold_rows: Some(0), ..Default::default() };
    let pipeline = repo().join("pipelines/guangxi-2018-2020.toml");
    let run_dir = edustat::run::run_with(&pipeline, out.path(), options).unwrap().run_dir;
    let held = guangxi_run();
    let files = parquet_files(&run_dir);
    assert_eq!(files, parquet_files(held));
    assert!(files.contains(&PathBuf::from("staging/enrolment.parquet")), "{files:?}");
    assert!(!run_dir.join("scratch").exists(), "the scratch files are not published");
    for file in &files {
        let a = frame::read_parquet(&run_dir.join(file)).unwrap();
        let b = frame::read_parquet(&held.join(file)).unwrap();
        assert!(a.height() > 0 || file.ends_with("quarantine.parquet"), "{}", file.display());
        assert!(a.equals_missing(&b), "{} differs", file.display());
    }
    let manifest = |dir: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
    };
    let listed = |m: serde_json::Value| -> Vec<(String, u64)> {
        let files = m["files"].as_array().unwrap().iter();
        files
            .map(|f| (f["path"].as_str().unwrap().into(), f["rows"].as_u64().unwrap_or(0)))
            .collect()
    };
    assert_eq!(listed(manifest(&run_dir)), listed(manifest(held)));
}
