//! Stage 1, ingest: raw files → canonical tables + quarantine. Decodes, reads, types and checks
//! every source of the pipeline; checks keys across all files of a table and references
//! between tables; reshapes wide layouts to long. For every file: read = accepted + quarantined.

mod csv;
mod keys;
mod limits;
mod names;
mod plausibility;
pub mod quarantine;
pub mod read;
mod reshape;
mod rows;
mod xlsx;

use std::collections::BTreeMap;

use crate::divisions::Divisions;
use crate::error::{Error, Result};
use crate::frame::{self, DataFrame, IntoLazy};
pub use crate::manifest::FileReport;
use crate::spec::{Format, Pipeline, SourceSpec};
use crate::tables::{TABLES, TableDef, Tables};

pub use rows::ValueCol;

/// Canonical tables, quarantine rows and per-file accounting.
pub struct Ingested {
    pub tables: Tables,
    pub quarantine: DataFrame,
    pub files: Vec<FileReport>,
}

/// One file of a table, typed, while the checks across the table's files run.
struct Typed<'a> {
    source: &'a SourceSpec,
    report: FileReport,
    accepted: DataFrame,
    values: Vec<ValueCol>,
}

impl Typed<'_> {
    /// Move the accepted rows whose `__line` is in `lines` to the quarantine: `rows` of them.
    fn set_aside(&mut self, lines: crate::frame::LazyFrame, rows: u64) -> Result<()> {
        self.report.rows_quarantined += rows;
        let kept = frame::anti_join(self.accepted.clone().lazy(), lines, &["__line"]);
        self.accepted = frame::collect(kept)?;
        Ok(())
    }
}

/// A canonical table carried over from an earlier run whose inputs for it are unchanged.
pub struct Reused {
    pub table: DataFrame,
    pub quarantine: DataFrame,
    pub files: Vec<FileReport>,
}

/// One file decoded, read, mapped and checked row by row, on its own (before the checks that
/// need every file of its table: duplicate keys and references).
pub struct FileRows {
    /// Data records below the header.
    pub rows_read: u64,
    /// Typed rows that passed every row rule (`__line`, canonical columns, `__v*` values).
    pub accepted: DataFrame,
    /// One row per rejected record, in the quarantine layout.
    pub quarantine: DataFrame,
    pub values: Vec<ValueCol>,
    pub encoding: Option<&'static str>,
    pub sheet: Option<String>,
    /// Raw columns neither mapped nor declared ignored.
    pub unmapped: Vec<String>,
}

/// Decode → read → map → validate one file's bytes as `source` declares. The fuzz targets
/// drive this directly; `ingest` calls it for every file. `code_map` is
/// [`Divisions::code_map`]; `years` the pipeline's data years.
pub fn read_file(
    source: &SourceSpec,
    bytes: &[u8],
    code_map: &DataFrame,
    years: (i32, i32),
) -> Result<FileRows> {
    let mut raw = match source.format {
        Format::Csv => csv::read(source, bytes)?,
        Format::Xlsx => xlsx::read(source, bytes)?,
    };
    raw.read_as_empty(&source.missing);
    let unmapped = rows::unmapped(source, &raw);
    let t = rows::type_rows(source, &raw, code_map, years)?;
    let early = quarantine::from_rejected(&source.display, &raw.rejected)?;
    let mut quarantine = if early.height() == 0 {
        t.quarantine
    } else {
        frame::collect(frame::concat(vec![early.lazy(), t.quarantine.lazy()])?)?
    };
    if source.regions == crate::spec::RegionsBy::Name {
        quarantine = names::with_nearest(quarantine, code_map)?;
    }
    Ok(FileRows {
        rows_read: raw.rows_read as u64,
        accepted: t.accepted,
        quarantine,
        values: t.values,
        encoding: raw.encoding,
        sheet: raw.sheet,
        unmapped,
    })
}

/// Ingest every source of the pipeline, except the tables in `reuse`, which are taken as they
/// are. `progress` draws a bar over the files on stderr.
pub fn ingest(
    pipeline: &Pipeline,
    divisions: &Divisions,
    mut reuse: BTreeMap<&'static str, Reused>,
    progress: bool,
) -> Result<Ingested> {
    let code_map = divisions.code_map()?;
    let todo = pipeline.sources.iter().filter(|s| !reuse.contains_key(s.table.name)).count();
    let bar = progress_bar(progress, todo as u64);
    let mut done = Ingested {
        tables: Tables::default(),
        quarantine: frame::empty_frame(quarantine::COLUMNS)?,
        files: Vec::new(),
    };
    let mut quarantine: Vec<DataFrame> = Vec::new();
    let mut unmapped = Unmapped::default();
    for table in TABLES.iter().copied() {
        if let Some(r) = reuse.remove(table.name) {
            tracing::info!(
                table = table.name,
                rows = r.table.height(),
                "unchanged inputs: table reused from the previous run"
            );
            quarantine.push(r.quarantine);
            done.files.extend(r.files);
            done.tables.insert(table.name, r.table);
            continue;
        }
        let sources: Vec<&SourceSpec> =
            pipeline.sources.iter().filter(|s| s.table.name == table.name).collect();
        if sources.is_empty() {
            continue;
        }
        let mut typed = Vec::new();
        for source in sources {
            bar.set_message(source.display.clone());
            bar.inc(1);
            let (file, rejected, ignored) = read_source(source, &code_map, pipeline.data_years)?;
            unmapped.add(ignored, &source.display);
            quarantine.push(rejected);
            typed.push(file);
        }
        let staged = stage_table(pipeline, table, typed, &mut done, &mut quarantine)?;
        done.tables.insert(table.name, staged);
    }
    bar.finish_and_clear();
    unmapped.warn();
    let parts: Vec<_> = std::iter::once(done.quarantine.lazy())
        .chain(quarantine.into_iter().map(|q| q.lazy()))
        .collect();
    done.quarantine =
        frame::collect(frame::sort_by(frame::concat(parts)?, &["source_file", "line"]))?;
    done.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(done)
}

/// Raw columns left unmapped, by set of columns: the files that have each set.
#[derive(Default)]
struct Unmapped(BTreeMap<Vec<String>, Vec<String>>);

impl Unmapped {
    fn add(&mut self, columns: Vec<String>, file: &str) {
        if !columns.is_empty() {
            self.0.entry(columns).or_default().push(file.to_string());
        }
    }

    /// One warning per set of columns, however many files have it.
    fn warn(&self) {
        for (columns, files) in &self.0 {
            let first = &files[0];
            match files.len() {
                1 => {
                    tracing::warn!(file = %first, columns = ?columns, "columns not in the mapping are ignored");
                }
                n => {
                    tracing::warn!(files = n, first = %first, columns = ?columns, "columns not in the mapping are ignored (the same columns in every one of these files)");
                }
            }
        }
    }
}

fn progress_bar(visible: bool, files: u64) -> indicatif::ProgressBar {
    let bar =
        if visible { indicatif::ProgressBar::new(files) } else { indicatif::ProgressBar::hidden() };
    bar.set_style(
        indicatif::ProgressStyle::with_template("ingest {bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// One source file read and typed on its own, and the rows it rejected.
fn read_source<'a>(
    source: &'a SourceSpec,
    code_map: &DataFrame,
    years: (i32, i32),
) -> Result<(Typed<'a>, DataFrame, Vec<String>)> {
    limits::check(source)?;
    let bytes = std::fs::read(&source.path).map_err(|e| Error::io(&source.path, e))?;
    let file = read_file(source, &bytes, code_map, years)?;
    let q = file.quarantine.height() as u64;
    tracing::info!(file = %source.display, table = source.table.name, rows = file.rows_read, quarantined = q, "read");
    let report = FileReport {
        path: source.display.clone(),
        table: source.table.name.into(),
        bytes: bytes.len() as u64,
        sha256: crate::digest::sha256(&bytes),
        encoding: file.encoding.map(str::to_string),
        sheet: file.sheet,
        rows_read: file.rows_read,
        rows_accepted: 0,
        rows_quarantined: q,
    };
    let typed = Typed { source, report, accepted: file.accepted, values: file.values };
    Ok((typed, file.quarantine, file.unmapped))
}

/// The checks across a table's files (keys, references, class capacity), the row accounting of
/// each file, and the files' rows in the canonical long layout, sorted by key.
fn stage_table(
    pipeline: &Pipeline,
    table: &TableDef,
    mut typed: Vec<Typed>,
    done: &mut Ingested,
    quarantine: &mut Vec<DataFrame>,
) -> Result<DataFrame> {
    quarantine.extend(keys::reject_duplicates(table, &mut typed)?);
    if let Some((other, keys)) = table.references {
        let target = done.tables.get(other).ok_or_else(|| {
            Error::Internal(format!("{} references {other}, which has no source", table.name))
        })?;
        quarantine.extend(keys::reject_dangling(table, &mut typed, other, target, keys)?);
    }
    if let (Some(largest), true, Some(enrolment)) =
        (pipeline.largest_class, table.name == "classes", done.tables.get("enrolment"))
    {
        quarantine.extend(plausibility::reject_overfull(&mut typed, enrolment, largest)?);
    }
    let mut long = Vec::new();
    for t in &mut typed {
        let r = &mut t.report;
        r.rows_accepted = t.accepted.height() as u64;
        if r.rows_accepted + r.rows_quarantined != r.rows_read {
            return Err(Error::Internal(format!(
                "{}: rows read {} != accepted {} + quarantined {}",
                r.path, r.rows_read, r.rows_accepted, r.rows_quarantined
            )));
        }
        long.push(reshape::to_canonical(table, t, &pipeline.last_grade, pipeline.boundaries)?);
        done.files.push(t.report.clone());
    }
    let staged = frame::collect(frame::sort_by(frame::concat(long)?, &table.keys()))?;
    tracing::info!(table = table.name, rows = staged.height(), "staged");
    Ok(staged)
}
