//! `edustat query`: read-only SQL over a run, its formats, and the worked examples of its help.

use super::common::{edustat, guangxi_run, repo, run};

fn tiny_run() -> (tempfile::TempDir, std::path::PathBuf) {
    run(&repo().join("tests/fixtures/tiny/pipeline.toml"))
}

fn query(sql: &str, run: &std::path::Path, extra: &[&str]) -> super::common::Ran {
    let mut args = vec!["query", sql, run.to_str().unwrap()];
    args.extend(extra);
    edustat(&args, &[])
}

#[test]
fn a_select_answers_with_the_hand_computed_values() {
    let (_g, dir) = tiny_run();
    // The tiny fixture's preschool GER (tests/it/tiny.rs): province 208 children over 210
    // children aged 3–5 = 99.0476 %; girls 101 / 105.
    let ran = query(
        "SELECT sex, numerator, denominator, value FROM indicators WHERE indicator = 'ger_preschool' \
         AND year = 2020 AND region_code = '450000' AND area = 'total' ORDER BY sex",
        &dir,
        &["--format", "json"],
    );
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&ran.stdout).unwrap();
    let by_sex = |sex: &str| rows.iter().find(|r| r["sex"] == sex).unwrap().clone();
    assert_eq!(by_sex("total")["numerator"], 208.0);
    assert_eq!(by_sex("total")["denominator"], 210.0);
    let v = by_sex("total")["value"].as_f64().unwrap();
    assert!((v - 208.0 / 210.0 * 100.0).abs() < 1e-9, "{v}");
    assert_eq!(by_sex("female")["numerator"], 101.0);
    assert_eq!(by_sex("female")["denominator"], 105.0);
    // NDJSON: one object per line, the flags a JSON array.
    let ran = query(
        "SELECT region_code, flags FROM indicators WHERE indicator = 'ger_preschool' AND year = 2020 \
         AND region_code = '450202' AND sex = 'total' AND area = 'total'",
        &dir,
        &["--format", "ndjson"],
    );
    let line: serde_json::Value = serde_json::from_str(ran.stdout.trim()).unwrap();
    // County C: 124 children over 120 → 103.3 %, flagged over_100; its code stays text.
    assert_eq!(line["region_code"], "450202");
    assert!(line["flags"].as_array().unwrap().iter().any(|f| f == "over_100"), "{line}");
}

#[test]
fn only_reading_statements_run() {
    let (_g, dir) = tiny_run();
    for sql in ["DROP TABLE indicators", "DELETE FROM targets", "CREATE TABLE t AS SELECT 1"] {
        let ran = query(sql, &dir, &[]);
        assert_eq!(ran.code, Some(2), "{sql}: {}", ran.stderr);
        assert!(ran.stderr.contains("is not read-only"), "{sql}: {}", ran.stderr);
    }
    let ran = query("SELECT 1; SELECT 2", &dir, &[]);
    assert_eq!(ran.code, Some(2));
    assert!(ran.stderr.contains("one statement at a time (2 given)"), "{}", ran.stderr);
    let ran = query("SELECT nothing FROM nowhere", &dir, &[]);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains("SQL:"), "{}", ran.stderr);
    // The run is untouched: its files are the ones its manifest records.
    assert_eq!(edustat(&["verify", dir.to_str().unwrap()], &[]).code, Some(0));
}

#[test]
fn show_tables_and_describe_come_from_the_run() {
    let (_g, dir) = tiny_run();
    let ran = query("SHOW TABLES", &dir, &["--format", "csv"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    for table in
        ["indicators,", "targets,", "catalogue,", "divisions,", "checks,", "staging.schools,"]
    {
        assert!(ran.stdout.contains(table), "{table}\n{}", ran.stdout);
    }
    // The division table travels with the run: a county's city, by its code as text.
    let sql = "SELECT code, parent_code, level FROM divisions WHERE code = '450102'";
    let ran = query(sql, &dir, &["--format", "csv"]);
    assert_eq!(ran.stdout, "code,parent_code,level\n450102,450100,county\n", "{}", ran.stderr);
    let ran = query("DESCRIBE indicators", &dir, &["--format", "csv"]);
    assert!(ran.stdout.contains("region_code,str,"), "{}", ran.stdout);
    assert!(ran.stdout.contains("flags,list[str],"), "{}", ran.stdout);
    // Every indicator of the run, with its catalogue names and unit.
    assert!(ran.stdout.contains("indicator = 'ger_preschool',percent,"), "{}", ran.stdout);
    let ran = query("DESCRIBE staging.schools", &dir, &["--format", "csv"]);
    assert!(ran.stdout.contains("school_id,str,"), "{}", ran.stdout);
    let ran = query("DESCRIBE nothing", &dir, &[]);
    assert_eq!(ran.code, Some(2));
    assert!(ran.stderr.contains("no table nothing"), "{}", ran.stderr);
}

#[test]
fn csv_and_xlsx_are_formula_safe_and_keep_codes_as_text() {
    let (_g, dir) = tiny_run();
    let sql = "SELECT '=HYPERLINK(1)' AS x, '-2' AS minus, region_code, value FROM indicators \
               WHERE indicator = 'ger_preschool' AND year = 2020 AND region_code = '450000' \
               AND sex = 'total' AND area = 'total'";
    let ran = query(sql, &dir, &["--format", "csv"]);
    let value = 208.0 / 210.0 * 100.0;
    assert_eq!(
        ran.stdout,
        format!("x,minus,region_code,value\n'=HYPERLINK(1),'-2,450000,{value}\n")
    );
    let xlsx = dir.parent().unwrap().join("answer.xlsx");
    let ran = query(sql, &dir, &["-o", xlsx.to_str().unwrap()]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let mut book: Xlsx<_> = open_workbook(&xlsx).unwrap();
    let sheet = book.worksheet_range("answer").unwrap();
    let row: Vec<&Data> = sheet.rows().nth(1).unwrap().iter().collect();
    // A string cell, never a formula; the code text; the value a number.
    assert_eq!(row[0], &Data::String("=HYPERLINK(1)".into()));
    assert_eq!(row[2], &Data::String("450000".into()));
    assert_eq!(row[3], &Data::Float(value));
    assert!(book.worksheet_formula("answer").unwrap().rows().flatten().all(|f| f.is_empty()));
}

#[test]
fn a_table_says_how_many_rows_it_left_out() {
    let (_g, dir) = tiny_run();
    let ran = query("SELECT * FROM checks", &dir, &["--format", "table", "--rows", "2"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    // Header, rule line, two rows.
    assert_eq!(ran.stdout.lines().count(), 4, "{}", ran.stdout);
    assert!(ran.stderr.contains(" rows, 2 shown"), "{}", ran.stderr);
    // Parquet and XLSX need a file.
    let ran = query("SELECT 1 AS one", &dir, &["--format", "parquet"]);
    assert_eq!(ran.code, Some(2));
}

#[test]
fn the_examples_of_the_help_answer_on_the_sample() {
    let help = edustat(&["query", "--help"], &[]).stdout;
    let examples: Vec<String> = help
        .split("edustat query \"")
        .skip(1)
        .map(|rest| {
            rest.split('"').next().unwrap().split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .filter(|sql| !sql.contains("..."))
        .collect();
    assert!(examples.len() >= 5, "{help}");
    for sql in &examples {
        let ran = query(sql, guangxi_run(), &["--format", "csv"]);
        assert_eq!(ran.code, Some(0), "{sql}\n{}", ran.stderr);
        assert!(ran.stdout.lines().count() >= 2, "{sql}: no row\n{}", ran.stdout);
    }
}

#[test]
fn a_reader_that_goes_away_ends_the_verb_quietly() {
    // `edustat query … | head` and `edustat targets … | head`: the pipe closes before the verb
    // has written; the verb stops with exit 0 and no panic, as `head`'s users expect.
    let run = super::common::guangxi_run().to_str().unwrap().to_string();
    for args in [
        vec!["query", "SELECT * FROM indicators", &run, "--format", "csv"],
        vec!["targets", &run, "--level", "county"],
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_edustat"))
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn an_indicator_family_as_portable_sql_gives_the_published_values() {
    // docs/scale-out.md: the form in which a distributed engine (Spark SQL) takes over a family.
    // The preschool GER of every county and city of the Guangxi sample, computed in SQL from
    // the run's canonical tables and division table, equals what edustat published, numerator
    // and denominator included.
    let run = super::common::guangxi_run();
    let sql = std::fs::read_to_string(repo().join("docs/scale-out/ger_preschool.sql")).unwrap();
    let answer = edustat::query::answer(run, &sql).unwrap();
    let published = edustat::frame::read_parquet(&run.join("indicators.parquet")).unwrap();
    let years = edustat::frame::ints(&answer, "year").unwrap();
    let regions = super::common::texts(&answer, "region_code");
    let values = edustat::frame::floats(&answer, "value").unwrap();
    let numerators = edustat::frame::floats(&answer, "numerator").unwrap();
    let denominators = edustat::frame::floats(&answer, "denominator").unwrap();
    // 111 counties and 14 cities, 2017-2020.
    assert_eq!(answer.height(), (111 + 14) * 4);
    for i in 0..answer.height() {
        let year = years[i].unwrap() as i32;
        let row = super::common::indicator(&published, "ger_preschool", year, &regions[i], "total")
            .unwrap_or_else(|| panic!("{year} {}", regions[i]));
        assert!(super::common::close(row.value, values[i].unwrap()), "{year} {}", regions[i]);
        assert_eq!((row.numerator, row.denominator), (numerators[i], denominators[i]));
    }
}
