//! `edustat run`: the four stages in order, each in its own tracing span with rows in and out
//! and its duration; quality checks; the manifest. Either everything is published or nothing.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::assess::{self, Assessment};
use crate::divisions::Divisions;
use crate::error::{Error, Result};
use crate::frame::{self, Column, DataFrame};
use crate::indicators;
use crate::ingest::{self, FileReport};
use crate::publish::{Staging, Written};
use crate::spec::{self, Pipeline};

/// What a finished run reports back.
pub struct RunSummary {
    pub run_dir: PathBuf,
    pub run_id: String,
    pub assessments: Vec<Assessment>,
    pub rows_quarantined: u64,
    pub indicator_rows: usize,
    pub checks_failed: usize,
}

#[derive(Serialize)]
struct Manifest<'a> {
    run_id: &'a str,
    pipeline_id: &'a str,
    pipeline_file: String,
    started_at: String,
    finished_at: String,
    edustat_version: &'a str,
    schema_version: &'a str,
    spec_hash: &'a str,
    divisions: InputFile,
    inputs: &'a [FileReport],
    stages: Vec<StageCount>,
    files: &'a [Written],
}

#[derive(Serialize)]
struct InputFile {
    path: String,
    bytes: u64,
    sha256: String,
}

#[derive(Serialize, Clone)]
struct StageCount {
    stage: &'static str,
    rows_in: u64,
    rows_out: u64,
    millis: u128,
}

/// One data-quality check, kept whether it passed or not.
#[derive(Debug, Clone)]
pub struct Check {
    pub rule: String,
    pub scope: String,
    pub passed: bool,
    pub detail: String,
}

/// Run a pipeline file and publish into `out`.
pub fn run(pipeline_file: &Path, out: &Path) -> Result<RunSummary> {
    let started_at = chrono::Utc::now();
    let pipeline = spec::load(pipeline_file)?;
    let divisions = Divisions::load(&pipeline.divisions)?;
    let mut stages = Vec::new();

    let t = Instant::now();
    let ingested = tracing::info_span!("ingest", pipeline = %pipeline.id).in_scope(|| ingest::ingest(&pipeline, &divisions))?;
    let rows_in: u64 = ingested.files.iter().map(|f| f.rows_read).sum();
    let staged: u64 = ingested.tables.values().map(|t| t.height() as u64).sum();
    stages.push(StageCount { stage: "ingest", rows_in, rows_out: staged, millis: t.elapsed().as_millis() });
    tracing::info!(stage = "ingest", rows_in, rows_out = staged, quarantined = ingested.quarantine.height(), millis = t.elapsed().as_millis() as u64, "stage done");

    let t = Instant::now();
    let mut indicator_frame = tracing::info_span!("compute").in_scope(|| indicators::compute(&pipeline, &ingested, &divisions))?;
    stages.push(StageCount { stage: "compute", rows_in: staged, rows_out: indicator_frame.height() as u64, millis: t.elapsed().as_millis() });
    tracing::info!(stage = "compute", rows_in = staged, rows_out = indicator_frame.height(), millis = t.elapsed().as_millis() as u64, "stage done");

    let t = Instant::now();
    let assessments = tracing::info_span!("assess").in_scope(|| assess::assess(&pipeline.targets, &indicator_frame, &divisions))?;
    let mut targets_frame = assess::to_frame(&assessments)?;
    stages.push(StageCount { stage: "assess", rows_in: indicator_frame.height() as u64, rows_out: assessments.len() as u64, millis: t.elapsed().as_millis() });
    tracing::info!(stage = "assess", targets = assessments.len(), millis = t.elapsed().as_millis() as u64, "stage done");

    let checks = quality_checks(&pipeline, &ingested.files);
    let failed: Vec<&Check> = checks.iter().filter(|c| !c.passed).collect();
    if !failed.is_empty() {
        let lines: Vec<String> = failed.iter().map(|c| format!("{} [{}]: {}", c.rule, c.scope, c.detail)).collect();
        return Err(Error::Gate(lines.join("; ")));
    }

    let t = Instant::now();
    let mut staging = Staging::begin(out, &pipeline.id, &pipeline.spec_hash)?;
    let published = tracing::info_span!("publish").in_scope(|| -> Result<()> {
        for (name, table) in &ingested.tables {
            let mut table = table.clone();
            staging.table(&format!("staging/{name}.parquet"), &mut table)?;
        }
        staging.table("indicators.parquet", &mut indicator_frame)?;
        staging.table("targets.parquet", &mut targets_frame)?;
        let mut quarantine = ingested.quarantine.clone();
        staging.table("quarantine.parquet", &mut quarantine)?;
        staging.table("checks.parquet", &mut checks_frame(&checks)?)?;
        staging.table("catalogue.parquet", &mut crate::catalogue::to_frame(&crate::catalogue::for_pipeline(&pipeline))?)?;
        Ok(())
    });
    if let Err(e) = published {
        staging.abandon();
        return Err(e);
    }
    stages.push(StageCount { stage: "publish", rows_in: indicator_frame.height() as u64, rows_out: staging.written.len() as u64, millis: t.elapsed().as_millis() });
    let divisions_bytes = std::fs::read(&pipeline.divisions).map_err(|e| Error::io(&pipeline.divisions, e))?;
    let written = staging.written.clone();
    let run_id = staging.run_id.clone();
    let manifest = Manifest {
        run_id: &run_id,
        pipeline_id: &pipeline.id,
        pipeline_file: pipeline.file.display().to_string(),
        started_at: started_at.to_rfc3339(),
        finished_at: chrono::Utc::now().to_rfc3339(),
        edustat_version: crate::VERSION,
        schema_version: crate::SCHEMA_VERSION,
        spec_hash: &pipeline.spec_hash,
        divisions: InputFile {
            path: pipeline.divisions.display().to_string(),
            bytes: divisions_bytes.len() as u64,
            sha256: spec::hex(&Sha256::digest(&divisions_bytes)),
        },
        inputs: &ingested.files,
        stages: stages.clone(),
        files: &written,
    };
    if let Err(e) = staging.manifest(&manifest) {
        staging.abandon();
        return Err(e);
    }
    let run_dir = staging.commit()?;
    tracing::info!(stage = "publish", run = %run_dir.display(), files = written.len() + 1, millis = t.elapsed().as_millis() as u64, "stage done");
    Ok(RunSummary {
        run_dir,
        run_id,
        assessments,
        rows_quarantined: ingested.quarantine.height() as u64,
        indicator_rows: indicator_frame.height(),
        checks_failed: 0,
    })
}

/// Row accounting and the quarantine-share gate, per input file.
pub fn quality_checks(pipeline: &Pipeline, files: &[FileReport]) -> Vec<Check> {
    let mut checks = Vec::new();
    for f in files {
        checks.push(Check {
            rule: "rows.accounting".into(),
            scope: f.path.clone(),
            passed: f.rows_read == f.rows_accepted + f.rows_quarantined,
            detail: format!("read {} = accepted {} + quarantined {}", f.rows_read, f.rows_accepted, f.rows_quarantined),
        });
        let share = if f.rows_read == 0 { 0.0 } else { f.rows_quarantined as f64 / f.rows_read as f64 };
        checks.push(Check {
            rule: "quarantine.share".into(),
            scope: f.path.clone(),
            passed: share <= pipeline.max_quarantine_share,
            detail: format!("{:.3}% of rows quarantined (limit {:.3}%)", share * 100.0, pipeline.max_quarantine_share * 100.0),
        });
    }
    checks
}

fn checks_frame(checks: &[Check]) -> Result<DataFrame> {
    frame::frame(vec![
        Column::new("rule".into(), checks.iter().map(|c| c.rule.clone()).collect::<Vec<_>>()),
        Column::new("scope".into(), checks.iter().map(|c| c.scope.clone()).collect::<Vec<_>>()),
        Column::new("passed".into(), checks.iter().map(|c| c.passed).collect::<Vec<_>>()),
        Column::new("detail".into(), checks.iter().map(|c| c.detail.clone()).collect::<Vec<_>>()),
    ])
}
