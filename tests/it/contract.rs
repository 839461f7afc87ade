//! The published files, opened with an independent reader (arrow-rs `parquet`), have exactly
//! the contract's columns and types, and carry the key-value metadata the README promises.

use std::fs::File;
use std::path::Path;

use parquet::basic::{LogicalType, Type as Physical};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::schema::types::Type;

use super::common::{repo, run};

/// The contract's type names: str, i32, i64, f64, bool, list[str].
fn type_name(t: &Type) -> String {
    if t.is_group() {
        // LIST: <name> (LIST) { repeated group list { element } }
        let inner = &t.get_fields()[0];
        let element = if inner.is_group() { inner.get_fields()[0].clone() } else { inner.clone() };
        return format!("list[{}]", type_name(&element));
    }
    match (t.get_physical_type(), t.get_basic_info().logical_type_ref()) {
        (Physical::BYTE_ARRAY, Some(LogicalType::String)) => "str".into(),
        (Physical::INT32, None) | (Physical::INT32, Some(LogicalType::Integer(_))) => "i32".into(),
        (Physical::INT64, None) | (Physical::INT64, Some(LogicalType::Integer(_))) => "i64".into(),
        (Physical::DOUBLE, _) => "f64".into(),
        (Physical::BOOLEAN, _) => "bool".into(),
        (p, l) => format!("{p:?}/{l:?}"),
    }
}

fn schema_of(path: &Path) -> (Vec<(String, String)>, Vec<(String, String)>) {
    let reader = SerializedFileReader::new(File::open(path).unwrap()).unwrap();
    let meta = reader.metadata().file_metadata();
    let columns = meta
        .schema_descr()
        .root_schema()
        .get_fields()
        .iter()
        .map(|f| (f.name().to_string(), type_name(f)))
        .collect();
    let kv = meta
        .key_value_metadata()
        .map(|kv| {
            kv.iter()
                .filter(|k| k.key.starts_with("edustat."))
                .map(|k| (k.key.clone(), k.value.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    (columns, kv)
}

fn expect(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[test]
fn published_tables_match_the_contract() {
    let (_g, dir) = run(&repo().join("tests/fixtures/tiny/pipeline.toml"));
    let run_id = dir.file_name().unwrap().to_string_lossy().to_string();
    let contract = [
        (
            "indicators.parquet",
            expect(&[
                ("indicator", "str"),
                ("year", "i32"),
                ("region_code", "str"),
                ("region_level", "str"),
                ("region_name", "str"),
                ("sex", "str"),
                ("area", "str"),
                ("value", "f64"),
                ("numerator", "f64"),
                ("denominator", "f64"),
                ("unit", "str"),
                ("flags", "list[str]"),
                ("coverage", "f64"),
            ]),
        ),
        (
            "targets.parquet",
            expect(&[
                ("target", "str"),
                ("indicator", "str"),
                ("region_code", "str"),
                ("region_name", "str"),
                ("region_level", "str"),
                ("target_region", "str"),
                ("applies_to", "str"),
                ("target_year", "i32"),
                ("comparator", "str"),
                ("target_value", "f64"),
                ("target_value_high", "f64"),
                ("baseline_year", "i32"),
                ("baseline_value", "f64"),
                ("latest_year", "i32"),
                ("latest_value", "f64"),
                ("status", "str"),
                ("regions_meeting", "i32"),
                ("regions_assessed", "i32"),
                ("gap", "f64"),
                ("required_annual_change", "f64"),
                ("source", "str"),
                ("wording", "str"),
            ]),
        ),
        (
            "progress.parquet",
            expect(&[
                ("target", "str"),
                ("indicator", "str"),
                ("region_code", "str"),
                ("region_name", "str"),
                ("region_level", "str"),
                ("target_region", "str"),
                ("target_year", "i32"),
                ("year", "i32"),
                ("value", "f64"),
                ("trajectory", "f64"),
                ("status", "str"),
                ("regions_meeting", "i32"),
                ("regions_assessed", "i32"),
            ]),
        ),
        (
            "quarantine.parquet",
            expect(&[
                ("source_file", "str"),
                ("sheet", "str"),
                ("line", "i64"),
                ("column", "str"),
                ("raw_value", "str"),
                ("rule", "str"),
                ("message", "str"),
            ]),
        ),
        (
            "checks.parquet",
            // severity: "gate" (a failure stops the run) or "warning" (recorded only).
            expect(&[
                ("rule", "str"),
                ("scope", "str"),
                ("passed", "bool"),
                ("detail", "str"),
                ("severity", "str"),
            ]),
        ),
        (
            "catalogue.parquet",
            expect(&[
                ("indicator", "str"),
                ("name_zh", "str"),
                ("name_en", "str"),
                ("unit", "str"),
                ("definition", "str"),
                ("methodology", "str"),
                ("plan", "str"),
                ("family", "str"),
            ]),
        ),
        (
            "divisions.parquet",
            expect(&[
                ("code", "str"),
                ("name_zh", "str"),
                ("name_en", "str"),
                ("level", "str"),
                ("parent_code", "str"),
                ("valid_from", "i32"),
                ("valid_to", "i32"),
                ("successor_code", "str"),
                ("aliases", "str"),
            ]),
        ),
    ];
    let spec_hash =
        edustat::spec::load(&repo().join("tests/fixtures/tiny/pipeline.toml")).unwrap().spec_hash;
    for (file, columns) in contract {
        let (got, kv) = schema_of(&dir.join(file));
        assert_eq!(got, columns, "{file}");
        let mut kv = kv;
        kv.sort();
        assert_eq!(
            kv,
            expect(&[
                ("edustat.pipeline_id", "tiny"),
                ("edustat.run_id", &run_id),
                ("edustat.schema_version", edustat::SCHEMA_VERSION),
                ("edustat.spec_hash", &spec_hash),
                ("edustat.version", edustat::VERSION),
            ]),
            "{file}"
        );
    }
    // Region and school codes stay text in the staging tables too.
    let (staging, _) = schema_of(&dir.join("staging/enrolment.parquet"));
    assert!(staging.contains(&("school_id".to_string(), "str".to_string())));
    let (staging, _) = schema_of(&dir.join("staging/population.parquet"));
    assert!(staging.contains(&("region_code".to_string(), "str".to_string())));
}

#[test]
fn latest_points_at_the_complete_run_and_the_manifest_lists_every_file() {
    let (guard, dir) = run(&repo().join("tests/fixtures/tiny/pipeline.toml"));
    let latest = guard.path().join("tiny/latest");
    assert_eq!(std::fs::canonicalize(&latest).unwrap(), std::fs::canonicalize(&dir).unwrap());
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let mut files: Vec<String> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "catalogue.parquet",
            "checks.parquet",
            "divisions.parquet",
            "indicators.parquet",
            "progress.parquet",
            "quarantine.parquet",
            "staging/classes.parquet",
            "staging/enrolment.parquet",
            "staging/exchange.parquet",
            "staging/finance.parquet",
            "staging/higher_education.parquet",
            "staging/population.parquet",
            "staging/projects.parquet",
            "staging/regional_enrolment.parquet",
            "staging/schools.parquet",
            "staging/teachers.parquet",
            "targets.parquet"
        ]
    );
    let stages: Vec<&str> = manifest["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["ingest", "compute", "assess", "publish"]);
    // No unfinished folders are left behind.
    let leftovers = std::fs::read_dir(guard.path().join("tiny/runs"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with(".tmp"))
        .count();
    assert_eq!(leftovers, 0);
}
