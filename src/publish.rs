//! Stage 4, publish: write every table and the manifest into a fresh folder beside the
//! published runs, sync it, rename it into `runs/<run-id>`, then point `latest` at it with one
//! atomic rename of a symlink. A reader sees the old run or the new one, never half of one.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::frame::DataType;
use crate::frame::{self, DataFrame};
use crate::manifest::Written;
use crate::tables::{Table, TableDef};

/// A run folder under construction.
pub struct Staging {
    pub run_id: String,
    root: PathBuf,
    tmp: PathBuf,
    metadata: Vec<(String, String)>,
    pub written: Vec<Written>,
    /// The thread writing the canonical tables held in memory while ingest stages the next.
    behind: Option<Behind>,
}

/// A thread of its own writing tables into the unfinished run, in the order given; what it
/// wrote is recorded when the run settles ([`Staging::settle`]).
struct Behind {
    jobs: std::sync::mpsc::Sender<(String, DataFrame)>,
    done: std::thread::JoinHandle<Result<Vec<Written>>>,
}

impl Behind {
    fn start(tmp: PathBuf, metadata: Vec<(String, String)>) -> std::io::Result<Behind> {
        let (jobs, queue) = std::sync::mpsc::channel::<(String, DataFrame)>();
        let done =
            std::thread::Builder::new().name("canonical-tables".into()).spawn(move || {
                let mut written = Vec::new();
                for (relative, frame) in queue {
                    frame::write_parquet(&frame, &tmp.join(&relative), &metadata)?;
                    written.push(recorded(&tmp, &relative, Some(frame.height() as u64))?);
                }
                Ok(written)
            })?;
        Ok(Behind { jobs, done })
    }
}

/// Abort the process at a named point when `EDUSTAT_FAILPOINT` names it: the test suite's way of
/// killing a run (as `kill -9` would) at a chosen moment. Without the variable it does nothing.
/// `EDUSTAT_FAILPOINT=pause:<name>` waits there for a minute instead, so that a test can send a
/// signal to a run caught in the middle.
pub fn failpoint(name: &str) {
    let Ok(point) = std::env::var("EDUSTAT_FAILPOINT") else { return };
    if point == name {
        eprintln!("edustat: failpoint {name}: aborting");
        std::process::abort();
    }
    if point.strip_prefix("pause:") == Some(name) {
        eprintln!("edustat: failpoint {name}: pausing");
        std::thread::sleep(std::time::Duration::from_secs(60));
    }
}

/// Remove what killed runs left behind: unfinished run folders and temporary `latest` links.
/// Call only while holding the pipeline's lock.
pub fn clean_leftovers(root: &Path) -> Result<usize> {
    let mut removed = 0;
    for (dir, prefix) in [(root.join("runs"), ".tmp-"), (root.to_path_buf(), ".latest-")] {
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(prefix) {
                let path = entry.path();
                let gone = if path.is_dir() && !path.is_symlink() {
                    fs::remove_dir_all(&path)
                } else {
                    fs::remove_file(&path)
                };
                gone.map_err(|e| Error::io(&path, e))?;
                tracing::warn!(path = %path.display(), "removed the leftovers of an interrupted run");
                removed += 1;
            }
        }
    }
    Ok(removed)
}

/// Keep the newest `keep` runs (run ids sort by time) and never the one `latest` points to.
fn prune(root: &Path, keep: usize) -> Result<Vec<String>> {
    let runs = root.join("runs");
    let current = fs::read_link(root.join("latest"))
        .ok()
        .and_then(|t| t.file_name().map(|n| n.to_string_lossy().to_string()));
    let mut ids: Vec<String> = fs::read_dir(&runs)
        .map_err(|e| Error::io(&runs, e))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| !n.starts_with('.'))
        .collect();
    ids.sort();
    let mut pruned = Vec::new();
    let excess = ids.len().saturating_sub(keep.max(1));
    for id in ids.into_iter().take(excess) {
        if Some(&id) == current.as_ref() {
            continue;
        }
        let path = runs.join(&id);
        fs::remove_dir_all(&path).map_err(|e| Error::io(&path, e))?;
        pruned.push(id);
    }
    Ok(pruned)
}

impl Staging {
    /// Start a run folder for `pipeline_id` under `out`.
    pub fn begin(out: &Path, pipeline_id: &str, spec_hash: &str) -> Result<Staging> {
        let root = out.join(pipeline_id);
        let runs = root.join("runs");
        fs::create_dir_all(&runs).map_err(|e| Error::io(&runs, e))?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        let mut run_id = stamp.clone();
        let mut n = 1;
        while runs.join(&run_id).exists() || runs.join(format!(".tmp-{run_id}")).exists() {
            n += 1;
            run_id = format!("{stamp}-{n}");
        }
        let tmp = runs.join(format!(".tmp-{run_id}"));
        crate::interrupt::building(Some(tmp.clone()));
        fs::create_dir_all(tmp.join("staging")).map_err(|e| Error::io(&tmp, e))?;
        let metadata = vec![
            ("edustat.pipeline_id".to_string(), pipeline_id.to_string()),
            ("edustat.run_id".to_string(), run_id.clone()),
            ("edustat.spec_hash".to_string(), spec_hash.to_string()),
            ("edustat.version".to_string(), crate::VERSION.to_string()),
            ("edustat.schema_version".to_string(), crate::SCHEMA_VERSION.to_string()),
        ];
        Ok(Staging { run_id, root, tmp, metadata, written: Vec::new(), behind: None })
    }

    /// Write a table as `<relative>` (e.g. `indicators.parquet`, `staging/population.parquet`).
    pub fn table(&mut self, relative: &str, frame: &DataFrame) -> Result<()> {
        let path = self.tmp.join(relative);
        frame::write_parquet(frame, &path, &self.metadata)?;
        self.record(relative, Some(frame.height() as u64))
    }

    /// Write a canonical table as `staging/<name>.parquet` as soon as ingest has staged it, and
    /// keep it for compute: in memory if it has at most `hold_rows` rows, else read back from
    /// that file by every plan over it (its coded columns enums again), so that the large tables
    /// of a run are never held together.
    pub fn canonical(
        &mut self,
        def: &TableDef,
        frame: DataFrame,
        hold_rows: usize,
    ) -> Result<Table> {
        let relative = format!("staging/{}.parquet", def.name);
        if frame.height() <= hold_rows {
            // Held: written behind, while ingest goes on (its columns are shared, not copied).
            self.write_behind(relative, frame.clone())?;
            return Ok(Table::held(frame));
        }
        let path = self.tmp.join(&relative);
        frame::write_parquet(&frame, &path, &self.metadata)?;
        self.record(&relative, Some(frame.height() as u64))?;
        self.read_back(def, frame.height(), frame::columns_of(&frame))
    }

    /// Hand `frame` to the writing thread (started on first use; without one, written now).
    fn write_behind(&mut self, relative: String, frame: DataFrame) -> Result<()> {
        if self.behind.is_none() {
            match Behind::start(self.tmp.clone(), self.metadata.clone()) {
                Ok(behind) => self.behind = Some(behind),
                Err(e) => tracing::debug!(error = %e, "no thread to write tables behind"),
            }
        }
        let job = match &self.behind {
            Some(behind) => match behind.jobs.send((relative, frame)) {
                Ok(()) => return Ok(()),
                // The thread stopped on an error, which `settle` reports.
                Err(std::sync::mpsc::SendError(job)) => job,
            },
            None => (relative, frame),
        };
        frame::write_parquet(&job.1, &self.tmp.join(&job.0), &self.metadata)?;
        self.record(&job.0, Some(job.1.height() as u64))
    }

    /// Wait for the tables written behind and record them: the first error any of them met.
    /// The scratch folder, emptied by then, goes.
    pub fn settle(&mut self) -> Result<()> {
        if let Some(Behind { jobs, done }) = self.behind.take() {
            drop(jobs);
            let written = done.join().map_err(|_| {
                Error::Internal("the thread writing canonical tables failed".into())
            })??;
            self.written.extend(written);
        }
        let scratch = self.scratch();
        match fs::remove_dir(&scratch) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(&scratch, e)),
            _ => Ok(()),
        }
    }

    /// [`Staging::canonical`] for a large table staged in `parts` (a year at a time), written
    /// in turn into its one file and never held.
    pub fn canonical_parts(
        &mut self,
        def: &TableDef,
        parts: impl Iterator<Item = Result<DataFrame>>,
    ) -> Result<Table> {
        let relative = format!("staging/{}.parquet", def.name);
        let path = self.tmp.join(&relative);
        let (mut file, mut rows, mut columns) = (None, 0, Vec::new());
        for part in parts {
            let part = part?;
            if file.is_none() {
                columns = frame::columns_of(&part);
                file = Some(frame::ParquetFile::create(&path, &part, &self.metadata)?);
            }
            if let Some(file) = file.as_mut() {
                file.write(&part)?;
            }
            rows += part.height();
        }
        let Some(file) = file else {
            return Err(Error::Internal(format!("{}: staged in no part", def.name)));
        };
        file.finish()?;
        self.record(&relative, Some(rows as u64))?;
        self.read_back(def, rows, columns)
    }

    /// The plan reading a canonical table from its file in this run.
    fn read_back(
        &self,
        def: &TableDef,
        rows: usize,
        columns: Vec<(String, DataType)>,
    ) -> Result<Table> {
        let path = self.tmp.join(format!("staging/{}.parquet", def.name));
        let has = |c: &str| columns.iter().any(|(n, _)| n == c);
        let coded: Vec<_> = def.coded_columns().into_iter().filter(|(c, _)| has(c)).collect();
        let plan = frame::scan_parquet(&path, &coded)?;
        tracing::debug!(table = def.name, rows, "written, read back from its file");
        Ok(Table::written(plan, rows, columns))
    }

    /// A folder inside the unfinished run for a table's rows while it is staged (empty and
    /// removed by the time the run is published).
    pub fn scratch(&self) -> PathBuf {
        self.tmp.join("scratch")
    }

    /// Put the canonical tables' entries first, by name, as they were before ingest wrote them
    /// (once every one is written).
    pub fn tables_first(&mut self) -> Result<()> {
        self.settle()?;
        self.written.sort_by_key(|w| !w.path.starts_with("staging/"));
        let staged = self.written.iter().take_while(|w| w.path.starts_with("staging/")).count();
        self.written[..staged].sort_by(|a, b| a.path.cmp(&b.path));
        Ok(())
    }

    /// Write `manifest.json` (last, so its file list is complete).
    pub fn manifest<T: Serialize>(&mut self, manifest: &T) -> Result<()> {
        let path = self.tmp.join("manifest.json");
        let text = serde_json::to_string_pretty(manifest)
            .map_err(|e| Error::Internal(format!("manifest: {e}")))?;
        fs::write(&path, text + "\n").map_err(|e| Error::io(&path, e))?;
        sync(&path)
    }

    fn record(&mut self, relative: &str, rows: Option<u64>) -> Result<()> {
        self.written.push(recorded(&self.tmp, relative, rows)?);
        Ok(())
    }

    /// Move the folder into place, switch `latest` to it, then keep only the newest `keep` runs.
    /// Returns the run folder.
    pub fn commit(mut self, keep: usize) -> Result<PathBuf> {
        self.settle()?;
        sync_dir(&self.tmp.join("staging"))?;
        sync_dir(&self.tmp)?;
        let runs = self.root.join("runs");
        let dest = runs.join(&self.run_id);
        crate::interrupt::building(None);
        fs::rename(&self.tmp, &dest).map_err(|e| Error::io(&dest, e))?;
        sync_dir(&runs)?;
        failpoint("before_switch");
        let link = self.root.join("latest");
        let tmp_link = self.root.join(format!(".latest-{}", self.run_id));
        let _ = fs::remove_file(&tmp_link);
        symlink(Path::new("runs").join(&self.run_id), &tmp_link)?;
        fs::rename(&tmp_link, &link).map_err(|e| Error::io(&link, e))?;
        sync_dir(&self.root)?;
        let pruned = prune(&self.root, keep)?;
        if !pruned.is_empty() {
            tracing::info!(runs = ?pruned, keep, "pruned old runs");
        }
        Ok(dest)
    }

    /// [`Staging::abandon`] on the way out with `error`, which is returned.
    pub fn abandoned(self, error: Error) -> Error {
        self.abandon();
        error
    }

    /// Remove the unfinished folder (a failed run publishes nothing).
    pub fn abandon(mut self) {
        // Nothing may still be writing into the folder as it goes.
        let _ = self.settle();
        crate::interrupt::building(None);
        let _ = fs::remove_dir_all(&self.tmp);
    }
}

/// The entry of a file just written into the run folder `tmp`, synced to disk.
fn recorded(tmp: &Path, relative: &str, rows: Option<u64>) -> Result<Written> {
    let path = tmp.join(relative);
    sync(&path)?;
    let bytes = fs::metadata(&path).map_err(|e| Error::io(&path, e))?.len();
    let sha256 = crate::digest::sha256_file(&path).map_err(|e| Error::io(&path, e))?;
    Ok(Written { path: relative.to_string(), rows, bytes, sha256 })
}

fn sync(path: &Path) -> Result<()> {
    File::open(path).and_then(|f| f.sync_all()).map_err(|e| Error::io(path, e))
}

fn sync_dir(path: &Path) -> Result<()> {
    // Directories can be fsynced on Unix; elsewhere this is a no-op that may fail harmlessly.
    match File::open(path).and_then(|f| f.sync_all()) {
        Ok(()) => Ok(()),
        Err(e) if cfg!(unix) => Err(Error::io(path, e)),
        Err(_) => Ok(()),
    }
}

#[cfg(unix)]
fn symlink(target: PathBuf, link: &Path) -> Result<()> {
    std::os::unix::fs::symlink(&target, link).map_err(|e| Error::io(link, e))
}

#[cfg(not(unix))]
fn symlink(target: PathBuf, link: &Path) -> Result<()> {
    // Without symlinks, `latest` is a one-line file naming the run folder.
    fs::write(link, target.to_string_lossy().as_bytes()).map_err(|e| Error::io(link, e))
}
