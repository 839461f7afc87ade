//! `edustat run` and `edustat validate`: the stages in order, nothing else. Each stage runs in
//! [`Stages::run`], which gives it a tracing span, times it and records its rows in and out for
//! the log and the manifest. The lock, fingerprints, gates and publishing live in their own
//! modules; either everything is published or nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::assess::{self, Assessment};
use crate::divisions::Divisions;
use crate::error::{Error, Result};
use crate::fingerprint;
use crate::frame::{self, DataFrame};
use crate::gates::{self, Check};
use crate::hashes::Hashes;
use crate::indicators::{self, scope};
use crate::ingest::{self, Ingested, Reused, Staged, TypedCache};
use crate::lock::RunLock;
use crate::manifest::{InputFile, Manifest, StageCount, TableState};
use crate::publish::{self, Staging};
use crate::spec::{self, Pipeline};
use crate::tables::{Table, TableDef};

/// How a run is asked to behave.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Recompute everything even when the inputs and the spec are unchanged.
    pub force: bool,
    /// Draw progress bars on stderr.
    pub progress: bool,
    /// Let input paths leave the pipeline's root.
    pub allow_outside: bool,
    /// Hold a staged table in memory up to this many rows (else [`HOLD_ROWS`]); a larger one
    /// is read back from the file the run writes for it, and a school-level table of more
    /// typed rows than this is staged a year at a time, this many typed rows at once.
    pub hold_rows: Option<usize>,
}

/// Rows of a canonical table held in memory through a run, at most, unless
/// [`Options::hold_rows`] says otherwise: about 60 MB of a table of school-level counts. A
/// larger table is read back from its file in the run folder by each plan that needs it (only
/// the columns and rows the plan reads), so a national delivery's tables are never held
/// together; a province's stay in memory.
pub const HOLD_ROWS: usize = 1 << 20;

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
    /// Quality checks passed (a failed gate publishes nothing; a failed warning is recorded).
    pub checks_passed: usize,
    /// Checks declared `action = "warn"` that failed: listed in checks.parquet.
    pub warnings: usize,
}

/// The stage timings of one run, in order.
#[derive(Default)]
struct Stages(Vec<StageCount>);

impl Stages {
    /// Run one stage in its span; log and record its rows in and out (`rows`, from what the
    /// stage returned) and its time.
    fn run<T>(
        &mut self,
        name: &'static str,
        body: impl FnOnce() -> Result<T>,
        rows: impl FnOnce(&T) -> (u64, u64),
    ) -> Result<T> {
        let started = Instant::now();
        let out = tracing::info_span!("stage", name).in_scope(body)?;
        let ((rows_in, rows_out), millis) = (rows(&out), started.elapsed().as_millis());
        tracing::info!(stage = name, rows_in, rows_out, millis = millis as u64, "stage done");
        self.0.push(StageCount { stage: name.into(), rows_in, rows_out, millis });
        Ok(out)
    }
}

/// The division table, its bytes and their digest.
struct DivisionTable {
    divisions: Divisions,
    file: InputFile,
}

impl DivisionTable {
    /// The division table's file: its size and digest (remembered in `hashes` if unchanged).
    fn file(pipeline: &Pipeline, hashes: &Hashes) -> Result<InputFile> {
        let path = &pipeline.divisions;
        let bytes = std::fs::metadata(path).map_err(|e| Error::io(path, e))?.len();
        let sha256 = hashes.sha256(path).map_err(|e| Error::io(path, e))?;
        Ok(InputFile { path: pipeline.divisions_display.clone(), bytes, sha256 })
    }

    /// The table read and checked against the pipeline's levels.
    fn load(pipeline: &Pipeline, file: InputFile) -> Result<DivisionTable> {
        let path = &pipeline.divisions;
        let divisions = Divisions::load(path)?;
        divisions.check_levels(&pipeline.levels, path)?;
        Ok(DivisionTable { divisions, file })
    }
}

/// Run a pipeline file and publish into `out`.
pub fn run(pipeline_file: &Path, out: &Path) -> Result<RunSummary> {
    run_with(pipeline_file, out, Options::default())
}

/// Stack of the thread the stages run on. polars turns a plan into its IR recursively, and a
/// debug build of the bundled Guangxi pipeline needs 1–3 MiB for its deepest plan (it varied
/// between runs of the same binary), more than a test thread's 2 MiB; 64 MiB of address space
/// (touched only as deep as it is used) leaves room for far deeper pipelines.
const STAGE_STACK: usize = 64 << 20;

/// Run `work` on a thread with [`STAGE_STACK`] bytes of stack and wait for it; a panic there
/// resumes here.
fn on_stage_stack<T: Send>(work: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("edustat-stages".into())
            .stack_size(STAGE_STACK)
            .spawn_scoped(scope, work)
            .map_err(|e| Error::Internal(format!("cannot start the stage thread: {e}")))?;
        match handle.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Run a pipeline file with options and publish into `out`.
pub fn run_with(pipeline_file: &Path, out: &Path, options: Options) -> Result<RunSummary> {
    let span = tracing::Span::current();
    on_stage_stack(|| span.in_scope(|| run_stages(pipeline_file, out, options)))
}

fn run_stages(pipeline_file: &Path, out: &Path, options: Options) -> Result<RunSummary> {
    let started_at = chrono::Utc::now();
    let pipeline = spec::load_with(pipeline_file, options.allow_outside)?;
    let root = out.join(&pipeline.id);
    let _lock = RunLock::acquire(&root)?;
    publish::clean_leftovers(&root)?;
    let hashes = Hashes::open(&root.join(".hashes.json"));
    let division_file = DivisionTable::file(&pipeline, &hashes)?;
    let inputs = fingerprint::inputs(&pipeline, &hashes)?;
    let table_prints = fingerprint::tables(&pipeline, &division_file.sha256, &inputs)?;
    let run_print = fingerprint::run(&table_prints);
    let previous = fingerprint::previous(out, &pipeline.id, &hashes);
    tracing::debug!(read = hashes.files_read(), "hashed the files not remembered unchanged");
    let same = |(_, m): &&(PathBuf, Manifest)| !options.force && m.fingerprint == run_print;
    if let Some(prev) = previous.as_ref().filter(same) {
        hashes.save();
        return Ok(unchanged(prev));
    }
    let division_table = DivisionTable::load(&pipeline, division_file)?;
    let reuse = match (&previous, options.force) {
        (Some(p), false) => fingerprint::reusable(&pipeline, p, &table_prints)?,
        _ => BTreeMap::new(),
    };
    let typed = (&inputs[..], division_table.file.sha256.as_str());
    let cache = TypedCache::open(&root.join(".typed"), &pipeline, typed, !options.force);
    let mut stages = Stages::default();
    let divisions = &division_table.divisions;
    // The run folder is begun first: ingest writes each canonical table into it as it stages it.
    let mut staging = Staging::begin(out, &pipeline.id, &pipeline.spec_hash)?;
    let computed = {
        let hold_rows = options.hold_rows.unwrap_or(HOLD_ROWS);
        let mut keep = IntoRun::new(&mut staging, hold_rows, true);
        let kept = (reuse, &cache, &mut keep as &mut (dyn ingest::Keep + Send));
        compute(&mut stages, (&pipeline, divisions), kept, options.progress)
    };
    let mut computed = match computed {
        Ok(computed) => computed,
        Err(e) => return Err(staging.abandoned(e)),
    };
    let publishing = Publishing {
        pipeline: &pipeline,
        computed: &computed,
        divisions: &division_table.divisions,
    };
    let staging = stages.run(
        "publish",
        || publishing.tables(staging),
        |s| (computed.indicators.height() as u64, s.written.len() as u64),
    )?;
    let tables = table_prints
        .iter()
        .map(|(name, f)| TableState {
            table: name.to_string(),
            fingerprint: f.clone(),
            rows: computed.ingested.tables.get(name).map_or(0, |t| t.height() as u64),
            reused: computed.reused.iter().any(|r| r == name),
        })
        .collect();
    let manifest = Manifest {
        run_id: staging.run_id.clone(),
        pipeline_id: pipeline.id.clone(),
        pipeline_file: pipeline.file.display().to_string(),
        started_at: started_at.to_rfc3339(),
        finished_at: chrono::Utc::now().to_rfc3339(),
        edustat_version: crate::VERSION.into(),
        edustat_commit: crate::COMMIT.into(),
        schema_version: crate::SCHEMA_VERSION.into(),
        spec_hash: pipeline.spec_hash.clone(),
        fingerprint: run_print,
        divisions: division_table.file,
        tables,
        inputs: computed.ingested.files.clone(),
        stages: stages.0,
        files: staging.written.clone(),
    };
    let run_dir = publishing.commit(staging, &manifest)?;
    remember_published(&run_dir, &manifest, &hashes);
    cache.prune();
    Ok(computed.summary(run_dir, manifest.run_id))
}

/// The files just published hashed now (a national run's last tenth of a second) and every
/// hash of the run remembered, so that the next unchanged run finds them instead of reading
/// them again. Those written in the last moments are not remembered yet (the racy rule in
/// [`crate::hashes`]).
fn remember_published(run_dir: &Path, manifest: &Manifest, hashes: &Hashes) {
    let damaged = manifest.damage_with(run_dir, hashes);
    if !damaged.is_empty() {
        tracing::warn!(run = %run_dir.display(), files = damaged.len(), "files of the run just published changed as it was published; the next run checks them again");
    }
    hashes.save();
}

/// What the stages before publishing produced.
struct Computed {
    ingested: Ingested,
    reused: Vec<String>,
    indicators: DataFrame,
    assessments: Vec<Assessment>,
    checks: Vec<Check>,
}

impl Computed {
    fn summary(&mut self, run_dir: PathBuf, run_id: String) -> RunSummary {
        RunSummary {
            run_dir,
            run_id,
            unchanged: false,
            assessments: std::mem::take(&mut self.assessments),
            rows_quarantined: self.ingested.quarantine.height() as u64,
            indicator_rows: self.indicators.height(),
            reused_tables: std::mem::take(&mut self.reused),
            checks_passed: self.checks.iter().filter(|c| c.passed).count(),
            warnings: self.checks.iter().filter(|c| !c.passed && c.warning).count(),
        }
    }
}

/// The canonical tables going into the run folder as ingest stages them
/// ([`Staging::canonical`]): a large school-level table staged a year at a time through the
/// folder's `scratch/`.
struct IntoRun<'s> {
    staging: &'s mut Staging,
    hold_rows: usize,
    /// The run is to be published: every table is written, the small ones held as well.
    /// (`validate` writes only the large ones.)
    publishing: bool,
    /// The register as kept, and its counties ([`scope::counties_of`]) once a year needs them.
    register: (Option<Table>, Option<DataFrame>),
    /// The county sums of the tables staged a year at a time, a part a year, made as each year
    /// is written ([`scope::year_sums`]): compute reads them instead of the tables' files.
    sums: BTreeMap<&'static str, Vec<DataFrame>>,
    /// The county sums of the tables held whole, each made on a thread of its own while ingest
    /// goes on ([`scope::table_sums`]).
    behind: Vec<(&'static str, SumsBehind)>,
}

/// A thread making a held table's county sums.
type SumsBehind = std::thread::JoinHandle<Result<Vec<(&'static str, DataFrame)>>>;

impl<'s> IntoRun<'s> {
    fn new(staging: &'s mut Staging, hold_rows: usize, publishing: bool) -> Self {
        let (register, sums) = ((None, None), BTreeMap::new());
        IntoRun { staging, hold_rows, publishing, register, sums, behind: Vec::new() }
    }

    /// Start making the county sums of `table`, held whole, on a thread of its own (where one
    /// can be had; else compute makes them, as without).
    fn sum_behind(&mut self, def: &'static TableDef, table: &Table) -> Result<()> {
        if table.is_written() || !scope::SUMMED.contains(&def.name) {
            return Ok(());
        }
        let Some(register) = counties_once(&mut self.register)?.cloned() else { return Ok(()) };
        let rows = table.frame()?;
        let name = def.name;
        let thread = std::thread::Builder::new()
            .name("county-sums".into())
            .spawn(move || scope::table_sums(name, &rows, &register));
        match thread {
            Ok(thread) => self.behind.push((name, thread)),
            Err(e) => tracing::debug!(table = name, error = %e, "no thread for the county sums"),
        }
        Ok(())
    }
}

/// Add the county sums of one year's `rows` of `def` to `sums`, if it has any: the register's
/// counties collected the first time.
fn sum_year(
    def: &TableDef,
    rows: &DataFrame,
    register: &mut (Option<Table>, Option<DataFrame>),
    sums: &mut BTreeMap<&'static str, Vec<DataFrame>>,
) -> Result<()> {
    if !scope::SUMMED.contains(&def.name) {
        return Ok(());
    }
    if let Some(register) = counties_once(register)? {
        for (name, part) in scope::year_sums(def.name, rows, register)? {
            sums.entry(name).or_default().push(part);
        }
    }
    Ok(())
}

/// The register's counties ([`scope::counties_of`]), collected the first time they are asked
/// for; `None` before the register is kept.
fn counties_once(
    (schools, counties): &mut (Option<Table>, Option<DataFrame>),
) -> Result<Option<&DataFrame>> {
    let Some(schools) = schools.as_ref() else { return Ok(None) };
    if counties.is_none() {
        *counties = Some(frame::collect(scope::counties_of(schools))?);
    }
    Ok(counties.as_ref())
}

impl ingest::Keep for IntoRun<'_> {
    fn scratch(&self) -> Option<(PathBuf, usize)> {
        Some((self.staging.scratch(), self.hold_rows))
    }

    fn keep(&mut self, def: &'static TableDef, staged: Staged) -> Result<Table> {
        let table = self.keep_rows(def, staged)?;
        if def.name == "schools" {
            self.register = (Some(table.clone()), None);
        }
        self.sum_behind(def, &table)?;
        Ok(table)
    }

    fn made(&mut self) -> Vec<(&'static str, DataFrame)> {
        // The register's counties, if a year's sums read them: compute need not read them again.
        let mut made: Vec<_> =
            self.register.1.take().map(|c| (scope::COUNTIES, c)).into_iter().collect();
        for (table, thread) in std::mem::take(&mut self.behind) {
            match thread.join() {
                Ok(Ok(sums)) => made.extend(sums),
                // Compute makes them from the table, as without these.
                Ok(Err(e)) => tracing::debug!(table, error = %e, "county sums not made"),
                Err(_) => tracing::debug!(table, "the thread making county sums failed"),
            }
        }
        for (name, parts) in std::mem::take(&mut self.sums) {
            let parts: Vec<_> = parts.iter().map(frame::lazy).collect();
            match frame::concat(parts).and_then(frame::collect) {
                Ok(sums) => made.push((name, sums)),
                // Compute sums them from the table's file, as without these.
                Err(e) => tracing::debug!(sums = name, error = %e, "year sums not joined"),
            }
        }
        made
    }
}

impl IntoRun<'_> {
    /// [`ingest::Keep::keep`]'s work: the table written (or held), a large one a year at a
    /// time, each year's county sums made as it passes.
    fn keep_rows(&mut self, def: &'static TableDef, staged: Staged) -> Result<Table> {
        match staged {
            Staged::Whole(frame) if !self.publishing && frame.height() <= self.hold_rows => {
                Ok(Table::held(frame))
            }
            Staged::Whole(frame) => self.staging.canonical(def, frame, self.hold_rows),
            Staged::ByYear(years) => {
                let IntoRun { staging, register, sums, .. } = self;
                let parts = years.into_iter().map(|year| {
                    let rows = year.take()?;
                    sum_year(def, &rows, register, sums)?;
                    Ok(rows)
                });
                let table = staging.canonical_parts(def, parts)?;
                // Each year's scratch files went as it was taken: their folder goes now (the
                // next table's may be being filled; `scratch/` goes as the run settles).
                let dir = self.staging.scratch().join(def.name);
                match std::fs::remove_dir(&dir) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(Error::io(&dir, e));
                    }
                    _ => {}
                }
                Ok(table)
            }
        }
    }
}

/// Ingest, compute and assess, then the gates: a failed gate ends the run here.
fn compute(
    stages: &mut Stages,
    (pipeline, divisions): (&Pipeline, &Divisions),
    (reuse, cache, keep): (
        BTreeMap<&'static str, Reused>,
        &TypedCache,
        &mut (dyn ingest::Keep + Send),
    ),
    progress: bool,
) -> Result<Computed> {
    let reused: Vec<String> = reuse.keys().map(|t| t.to_string()).collect();
    let ingested = stages.run(
        "ingest",
        || ingest::ingest_kept(pipeline, divisions, (reuse, cache), keep, progress),
        |i| (i.files.iter().map(|f| f.rows_read).sum(), i.tables.rows()),
    )?;
    tracing::info!(quarantined = ingested.quarantine.height(), reused = ?reused, "ingested");
    publish::failpoint("after_ingest");
    let staged = ingested.tables.rows();
    let computed = stages.run(
        "compute",
        || indicators::compute(pipeline, &ingested.tables, divisions),
        |f| (staged, f.values.height() as u64),
    )?;
    let indicators = &computed.values;
    let assessments = stages.run(
        "assess",
        || assess::assess(&pipeline.targets, indicators, divisions),
        |a| (indicators.height() as u64, a.len() as u64),
    )?;
    let checks = gates::checks(pipeline, &ingested, &computed, divisions)?;
    gates::enforce(&checks)?;
    let indicators = computed.values;
    Ok(Computed { ingested, reused, indicators, assessments, checks })
}

/// The summary of a run that found nothing changed since the published one.
fn unchanged((dir, manifest): &(PathBuf, Manifest)) -> RunSummary {
    tracing::info!(run = %manifest.run_id, "inputs, spec and edustat version unchanged since the published run: nothing recomputed");
    RunSummary {
        run_dir: dir.clone(),
        run_id: manifest.run_id.clone(),
        unchanged: true,
        assessments: Vec::new(),
        rows_quarantined: manifest.rows_quarantined(),
        indicator_rows: manifest.rows_of("indicators.parquet").unwrap_or(0) as usize,
        reused_tables: manifest.tables.iter().map(|t| t.table.clone()).collect(),
        checks_passed: 0,
        warnings: 0,
    }
}

/// What the publish stage writes.
struct Publishing<'a> {
    pipeline: &'a Pipeline,
    computed: &'a Computed,
    divisions: &'a Divisions,
}

impl Publishing<'_> {
    /// Every table not yet written into the unfinished run folder (abandoned if any write
    /// fails).
    fn tables(&self, mut staging: Staging) -> Result<Staging> {
        match self.write(&mut staging) {
            Ok(()) => Ok(staging),
            Err(e) => {
                staging.abandon();
                Err(e)
            }
        }
    }

    fn write(&self, staging: &mut Staging) -> Result<()> {
        let c = self.computed;
        // Ingest wrote the canonical tables as it staged them.
        staging.tables_first()?;
        publish::failpoint("mid_publish");
        staging.table("indicators.parquet", &c.indicators)?;
        staging.table("targets.parquet", &assess::to_frame(&c.assessments)?)?;
        staging.table("progress.parquet", &assess::progress_frame(&c.assessments)?)?;
        staging.table("quarantine.parquet", &c.ingested.quarantine)?;
        staging.table("checks.parquet", &gates::to_frame(&c.checks)?)?;
        let catalogue = crate::catalogue::to_frame(&self.pipeline.catalogue())?;
        staging.table("catalogue.parquet", &catalogue)?;
        staging.table("divisions.parquet", &self.divisions.to_frame()?)
    }

    /// Write the manifest last, then move the run into place and switch `latest` to it.
    fn commit(&self, mut staging: Staging, manifest: &Manifest) -> Result<PathBuf> {
        if let Err(e) = staging.manifest(manifest) {
            staging.abandon();
            return Err(e);
        }
        let run_dir = staging.commit(self.pipeline.keep_runs)?;
        tracing::info!(run = %run_dir.display(), files = manifest.files.len() + 1, "published");
        Ok(run_dir)
    }
}

/// What `validate` found: per-file accounting, quarantine rows, every check.
pub struct Validation {
    pub ingested: Ingested,
    pub checks: Vec<Check>,
    /// Each input's path as the pipeline file names it (the form of reports and quarantine
    /// rows) → as the user would type it from the working directory.
    pub shown: BTreeMap<String, String>,
    /// Where the large tables of `ingested` are read from, while this lives.
    _unpublished: Option<Unpublished>,
}

/// A run folder never published, in the system's temporary folder: where `validate` writes a
/// large delivery's tables, so that it holds no more of them than a run does. Removed when
/// dropped (and, like a run's unfinished folder, on SIGINT or SIGTERM).
struct Unpublished {
    staging: Option<Staging>,
    root: PathBuf,
}

impl Unpublished {
    fn begin(pipeline: &Pipeline) -> Result<Unpublished> {
        let unique = format!(
            "edustat-validate-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
        );
        let root = std::env::temp_dir().join(unique);
        let staging = Staging::begin(&root, &pipeline.id, &pipeline.spec_hash)?;
        Ok(Unpublished { staging: Some(staging), root })
    }
}

impl Drop for Unpublished {
    fn drop(&mut self) {
        if let Some(staging) = self.staging.take() {
            staging.abandon();
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Ingest and run the gates; publish nothing, take no lock, reuse nothing.
pub fn validate(pipeline_file: &Path, progress: bool, allow_outside: bool) -> Result<Validation> {
    on_stage_stack(|| validate_stages(pipeline_file, progress, allow_outside))
}

fn validate_stages(
    pipeline_file: &Path,
    progress: bool,
    allow_outside: bool,
) -> Result<Validation> {
    let pipeline = spec::load_with(pipeline_file, allow_outside)?;
    let divisions = Divisions::load(&pipeline.divisions)?;
    divisions.check_levels(&pipeline.levels, &pipeline.divisions)?;
    // Large tables through a run folder that is never published; where none can be made (no
    // writable temporary folder), every table held.
    let mut unpublished = Unpublished::begin(&pipeline).inspect_err(|e| {
        tracing::warn!("no temporary run folder ({e}): every table is held in memory");
    });
    let none = (BTreeMap::new(), &TypedCache::none());
    let ingested = match unpublished.as_mut().ok().and_then(|u| u.staging.as_mut()) {
        Some(staging) => {
            let mut keep = IntoRun::new(staging, HOLD_ROWS, false);
            ingest::ingest_kept(&pipeline, &divisions, none, &mut keep, progress)?
        }
        None => ingest::ingest(&pipeline, &divisions, BTreeMap::new(), progress)?,
    };
    let computed = indicators::compute(&pipeline, &ingested.tables, &divisions)?;
    let checks = gates::checks(&pipeline, &ingested, &computed, &divisions)?;
    let shown = pipeline
        .sources
        .iter()
        .map(|s| (s.display.clone(), s.path.display().to_string()))
        .collect();
    Ok(Validation { ingested, checks, shown, _unpublished: unpublished.ok() })
}
