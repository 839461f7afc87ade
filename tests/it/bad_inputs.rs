//! The catalogue of bad inputs (tests/fixtures/bad/cases.toml): every case ends in its expected
//! quarantine rule or its expected error, never a panic, and every file's rows add up.

use std::path::Path;

use super::common::repo;

#[derive(serde::Deserialize)]
struct Cases {
    case: Vec<Case>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// The bad file (in tests/fixtures/bad); none for cases about the pipeline file itself.
    file: Option<String>,
    /// The fixture file the bad one stands in for.
    #[serde(default = "population")]
    replaces: String,
    /// Declared for the replaced source; absent: as the fixture declares it.
    encoding: Option<String>,
    sheet: Option<String>,
    header_row: Option<i64>,
    /// A text edit of the fixture's pipeline file.
    pipeline_find: Option<String>,
    pipeline_replace: Option<String>,
    /// Other fixture files replaced as they are (fixture name → bad file), same format.
    #[serde(default)]
    also_replace: std::collections::BTreeMap<String, String>,
    /// A fixture file copied into a sibling folder of the fixture (outside its root).
    copy_outside: Option<String>,
    #[serde(default)]
    ok: bool,
    rule: Option<String>,
    exit: Option<i32>,
    message: Option<String>,
}

fn population() -> String {
    "population.csv".into()
}

impl Case {
    fn name(&self) -> String {
        let mut name = self.file.clone().unwrap_or_else(|| "pipeline.toml".into());
        for (k, v) in [
            ("as", Some(&self.replaces)),
            ("encoding", self.encoding.as_ref()),
            ("sheet", self.sheet.as_ref()),
            ("edit", self.pipeline_replace.as_ref()),
        ] {
            if let Some(v) = v {
                name += &format!(" {k}={v:?}");
            }
        }
        name
    }
}

/// Ingest the tiny fixture with one file replaced by the case's (or its pipeline file edited);
/// returns the quarantine rows (rule, tab, message; one a line) raised for the replaced file, or the error as "exit N: …".
fn outcome(case: &Case, tmp: &Path) -> Result<String, String> {
    let dir = tmp.join("fixture");
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(repo().join("tests/fixtures/tiny")).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
    }
    for (fixture, bad) in &case.also_replace {
        std::fs::copy(repo().join("tests/fixtures/bad").join(bad), dir.join(fixture)).unwrap();
    }
    let mut text = std::fs::read_to_string(dir.join("pipeline.toml")).unwrap();
    if let (Some(find), Some(replace)) = (&case.pipeline_find, &case.pipeline_replace) {
        assert!(
            text.contains(find.as_str()),
            "{}: pipeline_find {find:?} is not in the pipeline file",
            case.name()
        );
        text = text.replacen(find.as_str(), replace, 1);
    }
    let mut doc: toml::Table = match text.parse() {
        Ok(doc) => doc,
        // Not even TOML: the pipeline loader must say so itself.
        Err(_) => {
            std::fs::write(dir.join("pipeline.toml"), &text).unwrap();
            return edustat::spec::load(&dir.join("pipeline.toml"))
                .map(|_| "loaded".to_string())
                .map_err(|e| format!("exit {}: {e}", e.exit() as u8));
        }
    };
    let stem = Path::new(&case.replaces).file_stem().unwrap().to_string_lossy().to_string();
    let mut replaced = case.replaces.clone();
    if let Some(file) = &case.file {
        let ext = Path::new(file).extension().unwrap().to_string_lossy().to_string();
        replaced = format!("{stem}.{ext}");
        std::fs::remove_file(dir.join(&case.replaces)).unwrap();
        std::fs::copy(repo().join("tests/fixtures/bad").join(file), dir.join(&replaced)).unwrap();
        let sources = doc.get_mut("sources").and_then(|s| s.as_array_mut()).unwrap();
        let source = sources
            .iter_mut()
            .filter_map(|s| s.as_table_mut())
            .find(|s| s.get("path").and_then(|p| p.as_str()) == Some(&case.replaces))
            .unwrap();
        source.insert("path".into(), replaced.clone().into());
        for (key, value) in [
            ("encoding", case.encoding.clone().map(toml::Value::from)),
            ("sheet", case.sheet.clone().map(toml::Value::from)),
            ("header_row", case.header_row.map(toml::Value::from)),
        ] {
            if let Some(v) = value {
                source.insert(key.into(), v);
            }
        }
        if ext == "xlsx" {
            source.remove("encoding");
        }
    }
    // The quarantine gate is lifted so that every quarantine rule shows (unless the case sets gates).
    let mut gates = toml::Table::new();
    gates.insert("max_quarantine_share".into(), 1.0.into());
    doc.entry("gates").or_insert(toml::Value::Table(gates));
    std::fs::write(dir.join("pipeline.toml"), toml::to_string(&doc).unwrap()).unwrap();
    if let Some(file) = &case.copy_outside {
        std::fs::create_dir_all(tmp.join("shared")).unwrap();
        std::fs::copy(dir.join(file), tmp.join("shared").join(file)).unwrap();
    }
    let pipeline = edustat::spec::load(&dir.join("pipeline.toml"))
        .map_err(|e| format!("exit {}: {e}", e.exit() as u8))?;
    let divisions = edustat::divisions::Divisions::load(&pipeline.divisions).unwrap();
    match edustat::ingest::ingest(&pipeline, &divisions, Default::default(), false) {
        Err(e) => Err(format!("exit {}: {e}", e.exit() as u8)),
        Ok(ingested) => {
            for f in &ingested.files {
                if f.rows_read != f.rows_accepted + f.rows_quarantined {
                    return Ok(format!("rows do not add up for {}", f.path));
                }
            }
            let q = &ingested.quarantine;
            let files = q.column("source_file").unwrap().str().unwrap().clone();
            let rules = q.column("rule").unwrap().str().unwrap().clone();
            let messages = q.column("message").unwrap().str().unwrap().clone();
            let mine: Vec<String> = (0..q.height())
                .filter(|i| files.get(*i) == Some(replaced.as_str()))
                .map(|i| {
                    format!("{}\t{}", rules.get(i).unwrap_or(""), messages.get(i).unwrap_or(""))
                })
                .collect();
            Ok(mine.join("\n"))
        }
    }
}

#[test]
fn every_catalogue_case_gives_its_expected_outcome() {
    let cases: Cases = toml::from_str(
        &std::fs::read_to_string(repo().join("tests/fixtures/bad/cases.toml")).unwrap(),
    )
    .unwrap();
    let mut failures = Vec::new();
    for case in &cases.case {
        let dir = tempfile::tempdir().unwrap();
        let got = outcome(case, dir.path());
        let pass = match (&got, case.ok, &case.rule, case.exit) {
            (Ok(rules), true, _, _) => rules.is_empty(),
            (Ok(rows), _, Some(rule), _) => rows.lines().any(|r| {
                r.split_once('\t').is_some_and(|(id, message)| {
                    id == rule && message.contains(case.message.as_deref().unwrap_or(""))
                })
            }),
            (Err(e), _, _, Some(code)) => {
                e.starts_with(&format!("exit {code}:"))
                    && e.contains(case.message.as_deref().unwrap_or(""))
            }
            _ => false,
        };
        if !pass {
            failures.push(format!("{}: got {got:?}", case.name()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.case.len(),
        failures.join("\n")
    );
}

#[test]
fn an_overfull_class_is_quarantined_whether_enrolment_is_held_or_staged_a_year_at_a_time() {
    // The catalogue's class of 300: 300 primary pupils in a school that reports one class of
    // 66+, which holds at most 1 × largest_class 150. Staged a year at a time (hold_rows 0), the
    // check reads the bound summed as enrolment was staged, not the table being written.
    let dir = super::common::tiny_copy();
    let bad = repo().join("tests/fixtures/bad");
    std::fs::copy(bad.join("class_of_300.csv"), dir.path().join("classes.csv")).unwrap();
    std::fs::copy(bad.join("enrolment_300.csv"), dir.path().join("enrolment.csv")).unwrap();
    let pipeline = dir.path().join("pipeline.toml");
    let text = std::fs::read_to_string(&pipeline).unwrap();
    std::fs::write(&pipeline, text + "\n[gates]\nmax_quarantine_share = 1.0\n").unwrap();
    let quarantined = |hold_rows: Option<usize>| {
        let out = tempfile::tempdir().unwrap();
        let options = edustat::run::Options { hold_rows, ..Default::default() };
        let run_dir = edustat::run::run_with(&pipeline, out.path(), options).unwrap().run_dir;
        let q = edustat::frame::read_parquet(&run_dir.join("quarantine.parquet")).unwrap();
        let (rules, files) =
            (super::common::texts(&q, "rule"), super::common::texts(&q, "source_file"));
        let messages = super::common::texts(&q, "message");
        (0..q.height())
            .filter(|i| rules[*i] == "classes.over_capacity")
            .map(|i| format!("{}: {}", files[i], messages[i]))
            .collect::<Vec<_>>()
    };
    let expected = vec![
        "classes.csv: 300 pupils are enrolled in this school and stage, but its 1 classes hold \
         at most 150 (each class at the top of its size band, an open band at largest_class = 150)"
            .to_string(),
    ];
    assert_eq!(quarantined(None), expected);
    assert_eq!(quarantined(Some(0)), expected);
}
