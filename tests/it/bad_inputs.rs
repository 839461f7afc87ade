//! The catalogue of bad inputs (tests/fixtures/bad/cases.toml): every case ends in its expected
//! quarantine rule or its expected error, never a panic, and every file's rows add up.

use std::path::Path;

use super::common::repo;

#[derive(serde::Deserialize)]
struct Cases {
    case: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    file: String,
    #[serde(default = "utf8")]
    encoding: String,
    #[serde(default)]
    ok: bool,
    rule: Option<String>,
    exit: Option<i32>,
    message: Option<String>,
}

fn utf8() -> String {
    "utf-8".into()
}

/// Ingest the tiny fixture with its population file replaced; returns the outcome as text.
fn outcome(case: &Case, dir: &Path) -> Result<String, String> {
    for entry in std::fs::read_dir(repo().join("tests/fixtures/tiny")).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
    }
    let ext = Path::new(&case.file).extension().unwrap().to_string_lossy().to_string();
    std::fs::copy(repo().join("tests/fixtures/bad").join(&case.file), dir.join(format!("population.{ext}"))).unwrap();
    let toml = std::fs::read_to_string(dir.join("pipeline.toml")).unwrap().replacen(
        "path = \"population.csv\"\nmapping = \"population\"\nencoding = \"utf-8\"",
        &format!("path = \"population.{ext}\"\nmapping = \"population\"\nencoding = \"{}\"", case.encoding),
        1,
    ) + "\n[gates]\nmax_quarantine_share = 1.0\n";
    std::fs::write(dir.join("pipeline.toml"), toml).unwrap();
    let pipeline = edustat::spec::load(&dir.join("pipeline.toml")).map_err(|e| format!("spec error: {e}"))?;
    let divisions = edustat::divisions::Divisions::load(&pipeline.divisions).unwrap();
    match edustat::ingest::ingest(&pipeline, &divisions, Default::default(), false) {
        Err(e) => Err(format!("exit {}: {e}", e.exit_code())),
        Ok(ingested) => {
            for f in &ingested.files {
                if f.rows_read != f.rows_accepted + f.rows_quarantined {
                    return Ok(format!("rows do not add up for {}", f.path));
                }
            }
            let q = &ingested.quarantine;
            let files = q.column("source_file").unwrap().str().unwrap().clone();
            let rules = q.column("rule").unwrap().str().unwrap().clone();
            let mine: Vec<String> = (0..q.height()).filter(|i| files.get(*i).is_some_and(|f| f.starts_with("population."))).filter_map(|i| rules.get(i).map(str::to_string)).collect();
            Ok(mine.join(","))
        }
    }
}

#[test]
fn every_catalogue_case_gives_its_expected_outcome() {
    let cases: Cases = toml::from_str(&std::fs::read_to_string(repo().join("tests/fixtures/bad/cases.toml")).unwrap()).unwrap();
    let mut failures = Vec::new();
    for case in &cases.case {
        let dir = tempfile::tempdir().unwrap();
        let got = outcome(case, dir.path());
        let pass = match (&got, case.ok, &case.rule, case.exit) {
            (Ok(rules), true, _, _) => rules.is_empty(),
            (Ok(rules), _, Some(rule), _) => rules.split(',').any(|r| r == rule),
            (Err(e), _, _, Some(code)) => e.starts_with(&format!("exit {code}:")) && e.contains(case.message.as_deref().unwrap_or("")),
            _ => false,
        };
        if !pass {
            failures.push(format!("{} ({}): got {got:?}", case.file, case.encoding));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.case.len(), failures.join("\n"));
}
