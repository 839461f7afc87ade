//! Shared helpers: repository paths, copies of the tiny fixture, running the binary or a
//! pipeline into a temporary folder, reading rows.

use std::path::{Path, PathBuf};

use edustat::frame::{self, DataFrame, IntoLazy, col, lit};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copy the hand-computed tiny fixture (`tests/fixtures/tiny`) into `dir`.
pub fn copy_tiny(dir: &Path) {
    for entry in std::fs::read_dir(repo().join("tests/fixtures/tiny")).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
    }
}

/// A copy of the tiny fixture in a fresh temporary folder.
pub fn tiny_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tiny(dir.path());
    dir
}

/// What a run of the binary gave.
pub struct Ran {
    /// None when a signal ended it.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Run the `edustat` binary with `args` and extra environment variables.
pub fn edustat(args: &[&str], env: &[(&str, &str)]) -> Ran {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_edustat"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).to_string(),
        stderr: String::from_utf8_lossy(&out.stderr).to_string(),
    }
}

/// Run a pipeline into a fresh temporary output root; returns (tempdir guard, run folder).
pub fn run(pipeline: &Path) -> (tempfile::TempDir, PathBuf) {
    let out = tempfile::tempdir().expect("tempdir");
    let summary = edustat::run::run(pipeline, out.path()).expect("pipeline runs");
    (out, summary.run_dir)
}

/// The Guangxi sample pipeline, run once per test binary (into Cargo's scratch folder for
/// integration tests) and shared by every test that only reads its outputs.
pub fn guangxi_run() -> &'static Path {
    static RUN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("guangxi-sample-run");
        let _ = std::fs::remove_dir_all(&out);
        edustat::run::run(&repo().join("pipelines/guangxi-2018-2020.toml"), &out)
            .expect("the Guangxi sample runs")
            .run_dir
    })
}

/// One indicator row: (value, numerator, denominator, flags, coverage).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub flags: Vec<String>,
    /// null for indicators without reporting units (counts)
    pub coverage: Option<f64>,
}

pub fn indicator(df: &DataFrame, id: &str, year: i32, region: &str, sex: &str) -> Option<Row> {
    let rows = frame::collect(
        df.clone().lazy().filter(
            col("indicator")
                .eq(lit(id))
                .and(col("year").eq(lit(year)))
                .and(col("region_code").eq(lit(region)))
                .and(col("sex").eq(lit(sex)))
                .and(col("area").eq(lit("total"))),
        ),
    )
    .expect("filter");
    assert!(rows.height() <= 1, "key {id}/{year}/{region}/{sex} is not unique");
    if rows.height() == 0 {
        return None;
    }
    let f = |c: &str| rows.column(c).unwrap().f64().unwrap().get(0);
    let flags = rows.column("flags").unwrap().list().unwrap().get_as_series(0).map(|s| {
        let s = s.str().unwrap().clone();
        (0..s.len()).filter_map(|i| s.get(i).map(str::to_string)).collect()
    });
    let flags = flags.unwrap_or_default();
    Some(Row {
        value: f("value"),
        numerator: f("numerator"),
        denominator: f("denominator"),
        flags,
        coverage: f("coverage"),
    })
}

pub fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() <= 1e-9 * b.abs().max(1.0))
}

/// Every non-null value of a text column.
pub fn texts(df: &DataFrame, column: &str) -> Vec<String> {
    let s = df.column(column).unwrap().str().unwrap().clone();
    (0..s.len()).filter_map(|i| s.get(i).map(str::to_string)).collect()
}
