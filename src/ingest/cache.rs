//! Typed rows of each input file, kept between runs in `out/<pipeline>/.typed/`: on a night when
//! one province's delivery changed, only that province's files are decoded, read and typed;
//! every other file's rows, row-rule quarantine and accounting come back from here, and the
//! checks across files (duplicate keys, references, class capacity) run over all of them as on
//! a full run. An entry is keyed by the file's content, its place in the pipeline file, the
//! spec, the division table and the edustat build; its rows are checked against their digest
//! when read, and an entry that does not match is read again from the input.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::FileReport;
use super::rows::ValueCol;
use crate::error::{Error, Result};
use crate::frame::{self, Column, DataFrame, IntoLazy, col, lit};
use crate::spec::{Pipeline, SourceSpec};

/// The typed-rows store of one run.
pub struct TypedCache {
    /// `None`: nothing is kept (`validate`).
    dir: Option<PathBuf>,
    /// Entries may be read (not on a forced run, which recomputes everything but still keeps).
    read: bool,
    /// (entry, display) → key of the file's typed rows, and the digest of the input the key
    /// was made from.
    keys: HashMap<(usize, String), (String, String)>,
    /// The thread that writes kept batches while the next ones are read and typed.
    writer: Mutex<Option<Writer>>,
}

/// A batch to keep: its folder, the key of each of its files (`None`: not kept), its first
/// file, its accepted and rejected rows, and its entries.
type Job = (PathBuf, Vec<Option<String>>, u32, DataFrame, DataFrame, Vec<Entry>);

/// The writing thread: one batch waits while one is written, so at most two batches' typed
/// rows are held for it, however far reading runs ahead.
struct Writer {
    jobs: std::sync::mpsc::SyncSender<Job>,
    done: std::thread::JoinHandle<()>,
}

impl Writer {
    fn start() -> std::io::Result<Writer> {
        let (jobs, queue) = std::sync::mpsc::sync_channel::<Job>(1);
        let done = std::thread::Builder::new().name("typed-rows".into()).spawn(move || {
            for job in queue {
                keep_now(job);
            }
        })?;
        Ok(Writer { jobs, done })
    }
}

/// Write one batch; a failure is logged, not raised (it costs only time next run).
fn keep_now((dir, keys, first, accepted, rejected, entries): Job) {
    let keys: Vec<Option<&str>> = keys.iter().map(Option::as_deref).collect();
    if let Err(e) = write(&dir, (&keys, first), (&accepted, &rejected), entries) {
        tracing::warn!(folder = %dir.display(), error = %e, "typed rows not kept");
    }
}

/// What a file's typing gave, before the checks across files.
#[derive(Serialize, Deserialize)]
pub struct Entry {
    /// The file's report, rows accepted not yet counted.
    pub report: FileReport,
    pub values: Vec<ValueCol>,
    /// Raw columns neither mapped nor ignored.
    pub unmapped: Vec<String>,
    rows: Rows,
    quarantine: Vec<QuarantineRow>,
}

/// Where a file's typed rows are: rows `offset..offset + len` of a batch's rows file.
#[derive(Serialize, Deserialize, Default)]
struct Rows {
    file: String,
    sha256: String,
    offset: u64,
    len: u64,
}

/// One quarantine row of the file (the layout of [`super::quarantine::COLUMNS`]).
#[derive(Serialize, Deserialize)]
struct QuarantineRow(
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// A file's typed rows as kept: its accepted rows (without `__file`) and its entry.
pub struct Hit {
    pub entry: Entry,
    pub rows: DataFrame,
}

impl Drop for TypedCache {
    /// A run that stops early still leaves whole entries behind, never a thread writing.
    fn drop(&mut self) {
        self.written();
    }
}

impl TypedCache {
    /// The store under `dir` for `pipeline`, whose inputs have the digests `inputs` (in the
    /// order of `pipeline.sources`) and whose division table has `divisions`.
    pub fn open(
        dir: &Path,
        pipeline: &Pipeline,
        (inputs, divisions): (&[String], &str),
        read: bool,
    ) -> TypedCache {
        let salt = [crate::VERSION, crate::COMMIT, &pipeline.spec_hash, divisions];
        let keys = pipeline
            .sources
            .iter()
            .zip(inputs)
            .map(|(s, sha)| {
                let entry = s.entry.to_string();
                let mut parts: Vec<&[u8]> = salt.iter().map(|p| p.as_bytes()).collect();
                parts.extend([s.table.name, &entry, &s.display, sha].map(str::as_bytes));
                ((s.entry, s.display.clone()), (crate::digest::sha256_of_parts(parts), sha.clone()))
            })
            .collect();
        TypedCache { dir: Some(dir.to_path_buf()), read, keys, writer: Mutex::new(None) }
    }

    /// A store that keeps nothing.
    pub fn none() -> TypedCache {
        TypedCache { dir: None, read: false, keys: HashMap::new(), writer: Mutex::new(None) }
    }

    /// The folder, the key of `source`'s entry and the digest of the input it was made from.
    fn key(&self, source: &SourceSpec) -> Option<(&Path, &str, &str)> {
        let dir = self.dir.as_deref()?;
        let (key, sha) = self.keys.get(&(source.entry, source.display.clone()))?;
        Some((dir, key, sha))
    }

    /// Whether `source` has an entry to read (not yet whether its rows are whole: [`load`]
    /// says). Reading ahead skips such files; a guess either way costs only time.
    ///
    /// [`load`]: TypedCache::load
    pub fn likely_kept(&self, source: &SourceSpec) -> bool {
        self.key(source)
            .filter(|_| self.read)
            .is_some_and(|(dir, key, _)| dir.join(format!("{key}.json")).is_file())
    }

    /// The kept typed rows of each of `sources` (`None` where there are none, or where they are
    /// not whole). Each batch's rows file is read once, for all its files.
    pub fn load(&self, sources: &[&SourceSpec]) -> Vec<Option<Hit>> {
        use rayon::prelude::*;
        let entries: Vec<Option<Entry>> = sources
            .par_iter()
            .map(|s| {
                let (dir, key, _) = self.key(s).filter(|_| self.read)?;
                let text = std::fs::read(dir.join(format!("{key}.json"))).ok()?;
                serde_json::from_slice(&text).ok()
            })
            .collect();
        let Some(dir) = self.dir.as_deref() else { return entries.iter().map(|_| None).collect() };
        let mut wanted: HashMap<String, String> = HashMap::new();
        for e in entries.iter().flatten() {
            wanted.entry(e.rows.file.clone()).or_insert_with(|| e.rows.sha256.clone());
        }
        let frames: HashMap<&str, DataFrame> = wanted
            .par_iter()
            .filter_map(|(file, sha)| Some((file.as_str(), read_rows(&dir.join(file), sha)?)))
            .collect();
        // An entry is taken only if its rows file has the digest it names, and holds its rows.
        let hit = |e: &Entry| -> Option<DataFrame> {
            let (file, r) = (e.rows.file.as_str(), &e.rows);
            let rows = frames.get(file).filter(|_| wanted.get(file) == Some(&r.sha256))?;
            let whole = r.offset.checked_add(r.len).is_some_and(|end| end <= rows.height() as u64);
            whole.then(|| rows.slice(r.offset as i64, r.len as usize))
        };
        entries
            .into_iter()
            .map(|e| {
                let e = e?;
                Some(Hit { rows: hit(&e)?, entry: e })
            })
            .collect()
    }

    /// Keep a typed batch, files `first..` of its table (`sources`, one `entries` each): its
    /// accepted rows (`__file`) in one rows file, each file's quarantine rows from `rejected`
    /// and its entry. Only a file typed from the content it was fingerprinted with is kept. A
    /// failure to keep costs only time next run: logged, not raised.
    pub fn keep(
        &self,
        (sources, first): (&[&SourceSpec], u32),
        batch: (&DataFrame, &DataFrame),
        entries: Vec<Entry>,
    ) {
        let Some(dir) = self.dir.as_deref() else { return };
        let keys: Vec<Option<String>> = sources
            .iter()
            .zip(&entries)
            .map(|(s, e)| {
                let (_, key, sha) = self.key(s)?;
                (e.report.sha256 == sha).then(|| key.to_string())
            })
            .collect();
        if keys.iter().all(Option::is_none) {
            return;
        }
        // The frames are shared, not copied: the writer holds them until written.
        let job = (dir.to_path_buf(), keys, first, batch.0.clone(), batch.1.clone(), entries);
        let Ok(mut writer) = self.writer.lock() else { return keep_now(job) };
        if writer.is_none() {
            match Writer::start() {
                Ok(started) => *writer = Some(started),
                Err(e) => tracing::debug!(error = %e, "typed rows written in turn: no thread"),
            }
        }
        let job = match writer.as_ref() {
            Some(w) => match w.jobs.send(job) {
                Ok(()) => return,
                Err(std::sync::mpsc::SendError(job)) => job,
            },
            None => job,
        };
        keep_now(job);
    }

    /// Wait until every batch kept so far is written: before [`TypedCache::prune`] tidies the
    /// folder, and when the store is dropped (a run that stops early).
    pub fn written(&self) {
        let writer = match self.writer.lock() {
            Ok(mut w) => w.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(Writer { jobs, done }) = writer {
            drop(jobs);
            if done.join().is_err() {
                tracing::warn!(
                    "the thread keeping typed rows failed; they are read again next run"
                );
            }
        }
    }

    /// Forget every entry that is not one of this run's inputs as they are now (a file gone or
    /// changed, an older spec or build), the rows files no kept entry names, and any
    /// half-written file. Called once the run is published, under the run lock.
    pub fn prune(&self) {
        self.written();
        let Some(dir) = &self.dir else { return };
        let current: BTreeSet<String> =
            self.keys.values().map(|(k, _)| format!("{k}.json")).collect();
        let mut named: BTreeSet<String> = BTreeSet::new();
        for json in &current {
            let entry = std::fs::read(dir.join(json))
                .ok()
                .and_then(|t| serde_json::from_slice::<Entry>(&t).ok());
            named.extend(entry.map(|e| e.rows.file));
        }
        let Ok(listing) = std::fs::read_dir(dir) else { return };
        for path in listing.flatten().map(|e| e.path()) {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if !current.contains(name) && !named.contains(name) {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}

/// A rows file, if its bytes have the digest `sha256`.
fn read_rows(path: &Path, sha256: &str) -> Option<DataFrame> {
    let bytes = std::fs::read(path).ok()?;
    if crate::digest::sha256(&bytes) != sha256 {
        tracing::warn!(file = %path.display(), "kept typed rows do not match their digest: their inputs are read again");
        return None;
    }
    frame::read_parquet_bytes(bytes).ok()
}

impl Entry {
    /// The entry of a file typed now (its rows and quarantine are added when kept).
    pub fn new(report: FileReport, values: Vec<ValueCol>, unmapped: Vec<String>) -> Entry {
        Entry { report, values, unmapped, rows: Rows::default(), quarantine: Vec::new() }
    }

    /// The file's quarantine rows, as a frame of [`super::quarantine::COLUMNS`].
    pub fn quarantine(&self) -> Result<DataFrame> {
        let q = &self.quarantine;
        let text = |f: fn(&QuarantineRow) -> &Option<String>| -> Vec<Option<String>> {
            q.iter().map(|r| f(r).clone()).collect()
        };
        frame::frame(vec![
            Column::new("source_file".into(), text(|r| &r.0)),
            Column::new("sheet".into(), text(|r| &r.1)),
            Column::new("line".into(), q.iter().map(|r| r.2).collect::<Vec<_>>()),
            Column::new("column".into(), text(|r| &r.3)),
            Column::new("raw_value".into(), text(|r| &r.4)),
            Column::new("rule".into(), text(|r| &r.5)),
            Column::new("message".into(), text(|r| &r.6)),
        ])
    }
}

/// Write a batch's accepted rows (without `__file`) as one rows file, then the entry of each
/// file with a key (rows first: an entry always names a whole rows file), each written to a
/// temporary name and renamed into place.
fn write(
    dir: &Path,
    (keys, first): (&[Option<&str>], u32),
    (accepted, rejected): (&DataFrame, &DataFrame),
    entries: Vec<Entry>,
) -> Result<()> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |e| Error::io(&path, e)
    };
    let spans = spans(accepted, first, keys.len())?;
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let name = format!(
        "{}.parquet",
        crate::digest::sha256_of_parts(keys.iter().flatten().map(|k| k.as_bytes()))
    );
    let (rows_file, tmp) = (dir.join(&name), dir.join(format!("{name}.tmp")));
    frame::write_parquet_plain(&frame::without(accepted, "__file")?, &tmp)?;
    let sha256 = crate::digest::sha256_file(&tmp).map_err(io(&tmp))?;
    std::fs::rename(&tmp, &rows_file).map_err(io(&rows_file))?;
    for ((key, mut entry), (offset, len)) in keys.iter().zip(entries).zip(spans) {
        let Some(key) = key else { continue };
        entry.rows = Rows { file: name.clone(), sha256: sha256.clone(), offset, len };
        entry.quarantine = quarantine_rows(rejected, &entry.report)?;
        let text = serde_json::to_vec(&entry).map_err(|e| Error::Internal(e.to_string()))?;
        let (json, tmp) = (dir.join(format!("{key}.json")), dir.join(format!("{key}.json.tmp")));
        std::fs::write(&tmp, text).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &json).map_err(io(&json))?;
    }
    Ok(())
}

/// (offset, length) of the rows of each of files `first..first + n` in `accepted`, whose rows
/// come file after file (as a batch is typed); an error if they do not.
fn spans(accepted: &DataFrame, first: u32, n: usize) -> Result<Vec<(u64, u64)>> {
    let mut spans = vec![(0u64, 0u64); n];
    let mut previous = i64::from(first);
    for (row, file) in frame::ints(accepted, "__file")?.into_iter().enumerate() {
        let file = file.unwrap_or(-1);
        let k =
            usize::try_from(file - i64::from(first)).ok().filter(|k| *k < n && file >= previous);
        let Some(k) = k else {
            return Err(Error::Internal("a typed batch's rows are not file after file".into()));
        };
        if spans[k].1 == 0 {
            spans[k].0 = row as u64;
        }
        spans[k].1 += 1;
        previous = file;
    }
    Ok(spans)
}

/// The quarantine rows of `rejected` that belong to the file of `report`.
fn quarantine_rows(rejected: &DataFrame, report: &FileReport) -> Result<Vec<QuarantineRow>> {
    if rejected.height() == 0 {
        return Ok(Vec::new());
    }
    let sheet = match &report.sheet {
        Some(s) => col("sheet").eq(lit(s.clone())),
        None => col("sheet").is_null(),
    };
    let mine = frame::collect(
        rejected.clone().lazy().filter(col("source_file").eq(lit(report.path.clone())).and(sheet)),
    )?;
    let text = |c: &str| frame::texts(&mine, c);
    let (files, sheets, lines) =
        (text("source_file")?, text("sheet")?, frame::ints(&mine, "line")?);
    let (columns, raws, rules, messages) =
        (text("column")?, text("raw_value")?, text("rule")?, text("message")?);
    Ok((0..mine.height())
        .map(|i| {
            QuarantineRow(
                files[i].clone(),
                sheets[i].clone(),
                lines[i],
                columns[i].clone(),
                raws[i].clone(),
                rules[i].clone(),
                messages[i].clone(),
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::spans;
    use crate::frame::{self, Column};

    #[test]
    fn each_file_of_a_batch_is_one_span_of_rows() {
        // Files 3, 4 and 5 of a table: two rows of 3, none of 4 (every row quarantined), three of 5.
        let df = frame::frame(vec![Column::new("__file".into(), vec![3u32, 3, 5, 5, 5])]).unwrap();
        assert_eq!(spans(&df, 3, 3).unwrap(), vec![(0, 2), (0, 0), (2, 3)]);
        // Rows not file after file, or of a file outside the batch, are refused, never sliced.
        let mixed = frame::frame(vec![Column::new("__file".into(), vec![3u32, 4, 3])]).unwrap();
        assert!(spans(&mixed, 3, 2).is_err());
        let outside = frame::frame(vec![Column::new("__file".into(), vec![3u32, 7])]).unwrap();
        assert!(spans(&outside, 3, 2).is_err());
    }
}
