//! The published Parquet files in the readers planners use, with default arguments: pandas,
//! pyarrow, polars and DuckDB as pip installs them today, and pandas 2.0 with pyarrow 12 (before
//! `string_view` existed). `make readers` builds both venvs from tests/readers/*.txt; `make test`
//! builds them first.

use super::common::{guangxi_run, repo};

fn open_with(venv: &str) {
    let python = repo().join(".venv").join(venv).join("bin/python");
    assert!(
        python.exists(),
        "{} is missing: `make readers` installs the readers (make test does it first)",
        python.display()
    );
    let out = std::process::Command::new(&python)
        .arg(repo().join("tests/readers/open_outputs.py"))
        .arg(guangxi_run())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{venv}:\n{stdout}\n{stderr}");
    // Every file of the run was opened: the five tables and the staging copies.
    for file in
        ["indicators", "targets", "progress", "catalogue", "divisions", "quarantine", "checks"]
    {
        assert!(stdout.contains(&format!("ok {file}.parquet")), "{venv}: {file}\n{stdout}");
    }
    assert!(stdout.contains("ok staging/population.parquet"), "{venv}:\n{stdout}");
    assert!(stdout.contains(" 0 failures"), "{venv}:\n{stdout}");
}

#[test]
fn todays_pandas_pyarrow_polars_and_duckdb_open_every_output() {
    open_with("current");
}

#[test]
fn pandas_2_and_pyarrow_12_open_every_output() {
    open_with("oldest");
}
