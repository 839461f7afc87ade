//! `edustat run` and `edustat validate`: the stages in order, each in a tracing span with rows in
//! and out and its duration; one run at a time (lock); fingerprints so that unchanged inputs
//! are not ingested again; quality gates; the manifest. Either everything is published or
//! nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::assess::{self, Assessment};
use crate::divisions::Divisions;
use crate::error::{Error, Result};
use crate::frame::{self, Column, DataFrame, IntoLazy, col, lit};
use crate::indicators;
use crate::ingest::{self, FileReport, Ingested, Reused};
use crate::lock::RunLock;
use crate::publish::{self, Staging, Written};
use crate::spec::{self, Pipeline};
use crate::tables::TABLES;

/// How a run is asked to behave.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Recompute everything even when the inputs and the spec are unchanged.
    pub force: bool,
    /// Draw progress bars on stderr.
    pub progress: bool,
    /// Let input paths leave the pipeline's root.
    pub allow_outside: bool,
}

/// What a finished run reports back.
pub struct RunSummary {
    pub run_dir: PathBuf,
    pub run_id: String,
    /// Nothing changed since the published run: nothing was recomputed or written.
    pub unchanged: bool,
    pub assessments: Vec<Assessment>,
    pub rows_quarantined: u64,
    pub indicator_rows: usize,
    pub reused_tables: Vec<String>,
    pub checks_failed: usize,
}

#[derive(Serialize, Deserialize)]
struct Manifest {
    run_id: String,
    pipeline_id: String,
    pipeline_file: String,
    started_at: String,
    finished_at: String,
    edustat_version: String,
    schema_version: String,
    spec_hash: String,
    /// Fingerprint of everything the run read: equal fingerprints, equal outputs.
    fingerprint: String,
    divisions: InputFile,
    /// Per canonical table: its fingerprint and whether it was reused from the previous run.
    tables: Vec<TableState>,
    inputs: Vec<FileReport>,
    stages: Vec<StageCount>,
    files: Vec<Written>,
}

#[derive(Serialize, Deserialize, Clone)]
struct InputFile {
    path: String,
    bytes: u64,
    sha256: String,
}

#[derive(Serialize, Deserialize, Clone)]
struct TableState {
    table: String,
    fingerprint: String,
    rows: u64,
    reused: bool,
}

#[derive(Serialize, Deserialize, Clone)]
struct StageCount {
    stage: String,
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

fn sha256(bytes: &[u8]) -> String {
    spec::hex(&Sha256::digest(bytes))
}

/// Fingerprints of every canonical table with sources: the edustat version, the spec, the
/// division table and the content of the table's files, plus the fingerprint of any table it
/// references (enrolment depends on the register).
fn fingerprints(pipeline: &Pipeline, divisions_hash: &str) -> Result<BTreeMap<&'static str, String>> {
    let mut out: BTreeMap<&'static str, String> = BTreeMap::new();
    for table in TABLES.iter().copied() {
        let mut sources: Vec<(String, String)> = Vec::new();
        for s in pipeline.sources.iter().filter(|s| s.table.name == table.name) {
            let bytes = std::fs::read(&s.path).map_err(|e| Error::io(&s.path, e))?;
            sources.push((s.display.clone(), sha256(&bytes)));
        }
        if sources.is_empty() {
            continue;
        }
        sources.sort();
        let mut h = Sha256::new();
        for part in [crate::VERSION, pipeline.spec_hash.as_str(), divisions_hash, table.name] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        for (path, hash) in &sources {
            h.update(path.as_bytes());
            h.update(hash.as_bytes());
        }
        if let Some((other, _)) = table.references {
            h.update(out.get(other).map(String::as_str).unwrap_or("").as_bytes());
        }
        out.insert(table.name, spec::hex(&h.finalize()));
    }
    Ok(out)
}

fn run_fingerprint(tables: &BTreeMap<&'static str, String>) -> String {
    let mut h = Sha256::new();
    for (name, f) in tables {
        h.update(name.as_bytes());
        h.update(f.as_bytes());
    }
    spec::hex(&h.finalize())
}

/// The latest published run of the pipeline and its manifest, if any.
fn previous(out: &Path, pipeline_id: &str) -> Option<(PathBuf, Manifest)> {
    let dir = publish::latest(out, pipeline_id)?;
    let text = std::fs::read_to_string(dir.join("manifest.json")).ok()?;
    let manifest: Manifest = serde_json::from_str(&text).ok()?;
    Some((dir, manifest))
}

/// Tables of the previous run whose fingerprint is unchanged, with their quarantine rows and
/// file reports.
fn reusable(pipeline: &Pipeline, prev: &(PathBuf, Manifest), now: &BTreeMap<&'static str, String>) -> Result<BTreeMap<&'static str, Reused>> {
    let (dir, manifest) = prev;
    let quarantine = frame::read_parquet(&dir.join("quarantine.parquet"))?;
    let mut out = BTreeMap::new();
    for state in &manifest.tables {
        let Some((name, fingerprint)) = now.get_key_value(state.table.as_str()) else { continue };
        if *fingerprint != state.fingerprint {
            continue;
        }
        let path = dir.join("staging").join(format!("{name}.parquet"));
        if !path.is_file() {
            continue;
        }
        let displays: Vec<String> = pipeline.sources.iter().filter(|s| s.table.name == *name).map(|s| s.display.clone()).collect();
        let mine = frame::any_of(displays.iter().map(|d| col("source_file").eq(lit(d.clone()))).collect());
        out.insert(
            *name,
            Reused {
                table: frame::read_parquet(&path)?,
                quarantine: frame::collect(quarantine.clone().lazy().filter(mine))?,
                files: manifest.inputs.iter().filter(|f| f.table == *name).cloned().collect(),
            },
        );
    }
    Ok(out)
}

/// Run a pipeline file and publish into `out`.
pub fn run(pipeline_file: &Path, out: &Path) -> Result<RunSummary> {
    run_with(pipeline_file, out, Options::default())
}

/// Run a pipeline file with options and publish into `out`.
pub fn run_with(pipeline_file: &Path, out: &Path, options: Options) -> Result<RunSummary> {
    let started_at = chrono::Utc::now();
    let pipeline = spec::load_with(pipeline_file, options.allow_outside)?;
    let root = out.join(&pipeline.id);
    let _lock = RunLock::acquire(&root)?;
    publish::clean_leftovers(&root)?;
    let divisions = Divisions::load(&pipeline.divisions)?;
    let divisions_bytes = std::fs::read(&pipeline.divisions).map_err(|e| Error::io(&pipeline.divisions, e))?;
    let divisions_hash = sha256(&divisions_bytes);
    let table_prints = fingerprints(&pipeline, &divisions_hash)?;
    let fingerprint = run_fingerprint(&table_prints);

    let prev = previous(out, &pipeline.id);
    if let Some((dir, manifest)) = prev.as_ref().filter(|(_, m)| !options.force && m.fingerprint == fingerprint) {
        tracing::info!(run = %manifest.run_id, "inputs, spec and edustat version unchanged since the published run: nothing recomputed");
        return Ok(RunSummary {
            run_dir: dir.clone(),
            run_id: manifest.run_id.clone(),
            unchanged: true,
            assessments: Vec::new(),
            rows_quarantined: manifest.inputs.iter().map(|f| f.rows_quarantined).sum(),
            indicator_rows: manifest.files.iter().find(|f| f.path == "indicators.parquet").and_then(|f| f.rows).unwrap_or(0) as usize,
            reused_tables: manifest.tables.iter().map(|t| t.table.clone()).collect(),
            checks_failed: 0,
        });
    }
    let reuse = match (&prev, options.force) {
        (Some(p), false) => reusable(&pipeline, p, &table_prints)?,
        _ => BTreeMap::new(),
    };
    let reused_tables: Vec<String> = reuse.keys().map(|t| t.to_string()).collect();
    let mut stages = Vec::new();

    let t = Instant::now();
    let ingested = tracing::info_span!("ingest", pipeline = %pipeline.id).in_scope(|| ingest::ingest(&pipeline, &divisions, reuse, options.progress))?;
    let rows_in: u64 = ingested.files.iter().map(|f| f.rows_read).sum();
    let staged: u64 = ingested.tables.values().map(|t| t.height() as u64).sum();
    stages.push(StageCount { stage: "ingest".into(), rows_in, rows_out: staged, millis: t.elapsed().as_millis() });
    tracing::info!(stage = "ingest", rows_in, rows_out = staged, quarantined = ingested.quarantine.height(), reused = ?reused_tables, millis = t.elapsed().as_millis() as u64, "stage done");
    publish::failpoint("after_ingest");

    let t = Instant::now();
    let mut indicator_frame = tracing::info_span!("compute").in_scope(|| indicators::compute(&pipeline, &ingested, &divisions))?;
    stages.push(StageCount { stage: "compute".into(), rows_in: staged, rows_out: indicator_frame.height() as u64, millis: t.elapsed().as_millis() });
    tracing::info!(stage = "compute", rows_in = staged, rows_out = indicator_frame.height(), millis = t.elapsed().as_millis() as u64, "stage done");

    let t = Instant::now();
    let assessments = tracing::info_span!("assess").in_scope(|| assess::assess(&pipeline.targets, &indicator_frame, &divisions))?;
    let mut targets_frame = assess::to_frame(&assessments)?;
    stages.push(StageCount { stage: "assess".into(), rows_in: indicator_frame.height() as u64, rows_out: assessments.len() as u64, millis: t.elapsed().as_millis() });
    tracing::info!(stage = "assess", targets = assessments.len(), millis = t.elapsed().as_millis() as u64, "stage done");

    let checks = quality_checks(&pipeline, &ingested, &indicator_frame, &divisions)?;
    let failed: Vec<&Check> = checks.iter().filter(|c| !c.passed).collect();
    if !failed.is_empty() {
        let lines: Vec<String> = failed.iter().take(10).map(|c| format!("{} [{}]: {}", c.rule, c.scope, c.detail)).collect();
        let more = if failed.len() > 10 { format!(" (and {} more)", failed.len() - 10) } else { String::new() };
        return Err(Error::Gate(format!("{}{more}", lines.join("; "))));
    }

    let t = Instant::now();
    let mut staging = Staging::begin(out, &pipeline.id, &pipeline.spec_hash)?;
    let published = tracing::info_span!("publish").in_scope(|| -> Result<()> {
        for (name, table) in &ingested.tables {
            let mut table = table.clone();
            staging.table(&format!("staging/{name}.parquet"), &mut table)?;
        }
        publish::failpoint("mid_publish");
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
    stages.push(StageCount { stage: "publish".into(), rows_in: indicator_frame.height() as u64, rows_out: staging.written.len() as u64, millis: t.elapsed().as_millis() });
    let run_id = staging.run_id.clone();
    let manifest = Manifest {
        run_id: run_id.clone(),
        pipeline_id: pipeline.id.clone(),
        pipeline_file: pipeline.file.display().to_string(),
        started_at: started_at.to_rfc3339(),
        finished_at: chrono::Utc::now().to_rfc3339(),
        edustat_version: crate::VERSION.into(),
        schema_version: crate::SCHEMA_VERSION.into(),
        spec_hash: pipeline.spec_hash.clone(),
        fingerprint,
        divisions: InputFile { path: pipeline.divisions.display().to_string(), bytes: divisions_bytes.len() as u64, sha256: divisions_hash },
        tables: table_prints
            .iter()
            .map(|(name, f)| TableState {
                table: name.to_string(),
                fingerprint: f.clone(),
                rows: ingested.tables.get(name).map_or(0, |t| t.height() as u64),
                reused: reused_tables.iter().any(|r| r == name),
            })
            .collect(),
        inputs: ingested.files.clone(),
        stages,
        files: staging.written.clone(),
    };
    if let Err(e) = staging.manifest(&manifest) {
        staging.abandon();
        return Err(e);
    }
    let run_dir = staging.commit(pipeline.keep_runs)?;
    tracing::info!(stage = "publish", run = %run_dir.display(), files = manifest.files.len() + 1, millis = t.elapsed().as_millis() as u64, "stage done");
    Ok(RunSummary {
        run_dir,
        run_id,
        unchanged: false,
        assessments,
        rows_quarantined: ingested.quarantine.height() as u64,
        indicator_rows: indicator_frame.height(),
        reused_tables,
        checks_failed: 0,
    })
}

/// What `validate` found: per-file accounting, quarantine rows, every check.
pub struct Validation {
    pub ingested: Ingested,
    pub checks: Vec<Check>,
}

/// Ingest and run the gates; publish nothing, take no lock, reuse nothing.
pub fn validate(pipeline_file: &Path, progress: bool, allow_outside: bool) -> Result<Validation> {
    let pipeline = spec::load_with(pipeline_file, allow_outside)?;
    let divisions = Divisions::load(&pipeline.divisions)?;
    let ingested = ingest::ingest(&pipeline, &divisions, BTreeMap::new(), progress)?;
    let indicator_frame = indicators::compute(&pipeline, &ingested, &divisions)?;
    let checks = quality_checks(&pipeline, &ingested, &indicator_frame, &divisions)?;
    Ok(Validation { ingested, checks })
}

/// The quality gates, every check kept whether it passed or not: row accounting and quarantine
/// share per file; single ages against supplied all-ages totals; counties against supplied city
/// and province population; county population year on year and schools reporting enrolment
/// against the previous year (when the pipeline sets their limits); values over 100
/// (informative).
pub fn quality_checks(pipeline: &Pipeline, ingested: &Ingested, indicators: &DataFrame, divisions: &Divisions) -> Result<Vec<Check>> {
    let mut checks = Vec::new();
    for f in &ingested.files {
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
    if let (Some(limit), Some(population)) = (pipeline.population_max_yoy_change, ingested.tables.get("population")) {
        let totals = population.clone().lazy().group_by([col("year"), col("region_code")]).agg([col("population").sum().alias("__p")]);
        let previous = totals.clone().select([(col("year") + lit(1)).alias("year"), col("region_code"), col("__p").alias("__prev")]);
        let pairs = frame::collect(frame::sort_by(frame::inner_join(totals, previous, &["year", "region_code"]), &["year", "region_code"]))?;
        year_on_year(&mut checks, &pairs, "population.yoy_change", "__p", "__prev", |now, before| {
            let change = now / before - 1.0;
            (change.abs() <= limit, format!("population {before:.0} → {now:.0} ({:+.1}%, limit ±{:.1}%)", change * 100.0, limit * 100.0))
        })?;
    }
    if let Some(population) = ingested.tables.get("population") {
        // Single ages against any all-ages totals supplied (rows whose age is null).
        let singles = population.clone().lazy().filter(col("age").is_not_null()).group_by([col("year"), col("region_code"), col("sex")]).agg([col("population").sum().alias("__sum")]);
        let supplied = population.clone().lazy().filter(col("age").is_null()).select([col("year"), col("region_code"), col("sex"), col("population").alias("__supplied")]);
        let pairs = frame::collect(frame::sort_by(frame::inner_join(supplied, singles, &["year", "region_code", "sex"]), &["year", "region_code", "sex"]))?;
        sums_match(&mut checks, &pairs, "population.age_sum", "__supplied", "__sum", "the single ages")?;
        // Counties against any city or province rows delivered (single ages, per sex).
        let rollup = divisions.rollup()?;
        let counties = rollup.clone().lazy().filter(col("from_level").eq(lit("county")).and(col("region_level").neq(lit("county"))));
        let county_rows = frame::inner_join(
            population.clone().lazy().filter(col("age").is_not_null()).select([col("year"), col("region_code").alias("from_code"), col("sex"), col("age"), col("population")]),
            counties,
            &["from_code"],
        )
        .group_by([col("year"), col("region_code"), col("sex"), col("age")])
        .agg([col("population").sum().alias("__sum")]);
        let higher = frame::inner_join(
            population.clone().lazy().filter(col("age").is_not_null()),
            frame::distinct(rollup.lazy().filter(col("from_level").neq(lit("county"))).select([col("from_code").alias("region_code")])),
            &["region_code"],
        )
        .select([col("year"), col("region_code"), col("sex"), col("age"), col("population").alias("__supplied")]);
        // Age by age: a city may deliver only some ages.
        let keys = ["year", "region_code", "sex", "age"];
        let pairs = frame::collect(frame::sort_by(frame::inner_join(higher, county_rows, &keys), &keys))?;
        sums_match(&mut checks, &pairs, "population.county_sum", "__supplied", "__sum", "the sum of its counties")?;
    }
    if let (Some(min), Some(enrolment), Some(schools)) = (pipeline.min_reporting_ratio, ingested.tables.get("enrolment"), ingested.tables.get("schools")) {
        let located = schools.clone().lazy().select([col("year"), col("school_id"), col("region_code")]);
        let reporting = frame::inner_join(frame::distinct(enrolment.clone().lazy().select([col("year"), col("school_id")])), located, &["year", "school_id"])
            .group_by([col("year"), col("region_code")])
            .agg([col("school_id").n_unique().cast(frame::DataType::Float64).alias("__n")]);
        let previous = reporting.clone().select([(col("year") + lit(1)).alias("year"), col("region_code"), col("__n").alias("__prev")]);
        let pairs = frame::collect(frame::sort_by(frame::inner_join(reporting, previous, &["year", "region_code"]), &["year", "region_code"]))?;
        year_on_year(&mut checks, &pairs, "reporting.coverage", "__n", "__prev", |now, before| {
            let ratio = now / before;
            (ratio >= min, format!("{now:.0} schools reported enrolment, {before:.0} the year before ({:.1}%, minimum {:.1}%)", ratio * 100.0, min * 100.0))
        })?;
    }
    let over = frame::collect(indicators.clone().lazy().filter(col("value").gt(lit(100.0)).and(col("unit").eq(lit("percent")))).select([col("value").count().alias("n")]))?;
    let n = over.column("n")?.get(0)?.extract::<u64>().unwrap_or(0);
    checks.push(Check { rule: "values.over_100".into(), scope: "indicators".into(), passed: true, detail: format!("{n} percent values above 100, flagged over_100") });
    Ok(checks)
}

/// One check per (year, region, sex): a supplied total against the sum it should equal.
fn sums_match(checks: &mut Vec<Check>, pairs: &DataFrame, rule: &str, supplied: &str, sum: &str, what: &str) -> Result<()> {
    let (years, codes, sexes) = (pairs.column("year")?.i32()?.clone(), pairs.column("region_code")?.str()?.clone(), pairs.column("sex")?.str()?.clone());
    let (a, b) = (pairs.column(supplied)?.cast(&frame::DataType::Int64)?, pairs.column(sum)?.cast(&frame::DataType::Int64)?);
    let (a, b) = (a.i64()?.clone(), b.i64()?.clone());
    for i in 0..pairs.height() {
        if let (Some(y), Some(c), Some(x), Some(t)) = (years.get(i), codes.get(i), a.get(i), b.get(i)) {
            let sex = sexes.get(i).unwrap_or("total");
            let age = pairs.column("age").ok().and_then(|a| a.get(i).ok()).map(|a| format!(" age {a}")).unwrap_or_default();
            checks.push(Check { rule: rule.into(), scope: format!("{c} {y} {sex}{age}"), passed: x == t, detail: format!("supplied {x}, {what} {t}") });
        }
    }
    Ok(())
}

/// One check per (year, region) pair of `now` and `before` columns.
fn year_on_year(checks: &mut Vec<Check>, pairs: &DataFrame, rule: &str, now: &str, before: &str, test: impl Fn(f64, f64) -> (bool, String)) -> Result<()> {
    let (years, codes) = (pairs.column("year")?.i32()?.clone(), pairs.column("region_code")?.str()?.clone());
    let (a, b) = (pairs.column(now)?.cast(&frame::DataType::Float64)?, pairs.column(before)?.cast(&frame::DataType::Float64)?);
    let (a, b) = (a.f64()?.clone(), b.f64()?.clone());
    for i in 0..pairs.height() {
        if let (Some(y), Some(c), Some(x), Some(p)) = (years.get(i), codes.get(i), a.get(i), b.get(i)) {
            if p > 0.0 {
                let (passed, detail) = test(x, p);
                checks.push(Check { rule: rule.into(), scope: format!("{c} {y}"), passed, detail });
            }
        }
    }
    Ok(())
}

fn checks_frame(checks: &[Check]) -> Result<DataFrame> {
    frame::frame(vec![
        Column::new("rule".into(), checks.iter().map(|c| c.rule.clone()).collect::<Vec<_>>()),
        Column::new("scope".into(), checks.iter().map(|c| c.scope.clone()).collect::<Vec<_>>()),
        Column::new("passed".into(), checks.iter().map(|c| c.passed).collect::<Vec<_>>()),
        Column::new("detail".into(), checks.iter().map(|c| c.detail.clone()).collect::<Vec<_>>()),
    ])
}
