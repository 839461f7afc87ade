//! Stage 1, ingest: raw files → canonical tables + quarantine. Decodes, reads, types and checks
//! every source of the pipeline; checks keys across all files of a table and references
//! between tables; reshapes wide layouts to long. For every file: read = accepted + quarantined.

mod ahead;
pub mod by_year;
pub mod cache;
mod csv;
mod keeping;
mod keys;
mod limits;
mod names;
mod pivot;
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
use crate::tables::{TABLES, Table, TableDef, Tables};
pub use cache::TypedCache;

pub use rows::ValueCol;

/// Canonical tables, quarantine rows and per-file accounting.
pub struct Ingested {
    pub tables: Tables,
    pub quarantine: DataFrame,
    pub files: Vec<FileReport>,
}

/// A batch of a table's files (one `[[sources]]` entry, one header), typed, while the checks
/// across the table's files run. Its rows carry `__file` (the file's index among the table's
/// files, from `first`) and `__line`.
struct Typed<'a> {
    sources: Vec<&'a SourceSpec>,
    /// The `__file` of the batch's first file; its files follow in order.
    first: u32,
    /// One per file, in order.
    reports: Vec<FileReport>,
    accepted: DataFrame,
    values: Vec<ValueCol>,
}

impl Typed<'_> {
    /// The entry the batch's files share (mapping, codes, values).
    fn source(&self) -> &SourceSpec {
        self.sources[0]
    }

    /// The report of file `file` (a `__file` of this batch).
    fn report(&mut self, file: u32) -> Option<&mut FileReport> {
        self.reports.get_mut(file.checked_sub(self.first)? as usize)
    }

    /// Move the accepted rows named by `rows` (`__file`, `__line`) to the quarantine, counting
    /// them against their files.
    fn set_aside(&mut self, rows: crate::frame::LazyFrame) -> Result<()> {
        let rows = frame::collect(rows)?;
        for file in frame::ints(&rows, "__file")?.into_iter().flatten() {
            if let Some(r) = self.report(file as u32) {
                r.rows_quarantined += 1;
            }
        }
        let kept =
            frame::anti_join(self.accepted.clone().lazy(), rows.lazy(), &["__file", "__line"]);
        self.accepted = frame::collect(kept)?;
        Ok(())
    }
}

/// A canonical table carried over from an earlier run whose inputs for it are unchanged.
pub struct Reused {
    /// The table as that run published it (its digest checked against that run's manifest).
    pub file: std::path::PathBuf,
    pub rows: usize,
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
/// drive this directly; `ingest` reads files with [`raw_table`] and types them in batches.
/// `code_map` is [`Divisions::code_map`]; `years` the pipeline's data years.
pub fn read_file(
    source: &SourceSpec,
    bytes: &[u8],
    code_map: &DataFrame,
    years: (i32, i32),
) -> Result<FileRows> {
    let raw = raw_table(source, bytes)?;
    let (rows_read, encoding, sheet) = (raw.rows_read as u64, raw.encoding, raw.sheet.clone());
    let unmapped = rows::unmapped(source, &raw);
    let names = quarantine::names(0, &[(source.display.clone(), sheet.clone())])?;
    let early = quarantine::from_rejected(&source.display, &raw.rejected)?;
    let batch = rows::Batch { files: vec![(0, source, raw)], names: &names };
    let t = rows::type_batch(&batch, code_map, years)?;
    let quarantine = with_early(source, code_map, early, t.quarantine)?;
    Ok(FileRows {
        rows_read,
        accepted: t.accepted,
        quarantine,
        values: t.values,
        encoding,
        sheet,
        unmapped,
    })
}

/// A file's bytes as text cells, its "no value" markers read as empty.
pub fn raw_table(source: &SourceSpec, bytes: &[u8]) -> Result<read::RawTable> {
    let mut raw = match source.format {
        Format::Csv => csv::read(source, bytes)?,
        Format::Xlsx => xlsx::read(source, bytes)?,
    };
    raw.read_as_empty(&source.missing);
    Ok(raw)
}

/// The rows refused while reading before those refused by the row rules, and for regions
/// delivered by name, the nearest known names in each message.
fn with_early(
    source: &SourceSpec,
    code_map: &DataFrame,
    early: DataFrame,
    typed: DataFrame,
) -> Result<DataFrame> {
    let mut quarantine = if early.height() == 0 {
        typed
    } else {
        frame::collect(frame::concat(vec![early.lazy(), typed.lazy()])?)?
    };
    if source.regions == crate::spec::RegionsBy::Name {
        quarantine = names::with_nearest(quarantine, code_map)?;
    }
    Ok(quarantine)
}

/// Ingest every source of the pipeline, except the tables in `reuse`, which are taken as they
/// are. `progress` draws a bar over the files on stderr.
pub fn ingest(
    pipeline: &Pipeline,
    divisions: &Divisions,
    reuse: BTreeMap<&'static str, Reused>,
    progress: bool,
) -> Result<Ingested> {
    ingest_kept(pipeline, divisions, (reuse, &TypedCache::none()), &mut Hold, progress)
}

/// A canonical table as ingest staged it (its coded columns enums, sorted by key).
pub enum Staged {
    Whole(DataFrame),
    /// A large table a year at a time, the years in order ([`by_year`]).
    ByYear(Vec<by_year::YearPart>),
}

/// What becomes of each canonical table once staged: held in memory, or written into the run
/// being built and read back from there.
pub trait Keep {
    /// Where a school-level table of more than the given typed rows is staged a year at a time
    /// (`None`: every table is staged whole).
    fn scratch(&self) -> Option<(std::path::PathBuf, usize)>;
    /// Take a staged table.
    fn keep(&mut self, def: &'static TableDef, staged: Staged) -> Result<Table>;
    /// Frames made from the tables' rows as they were kept, for compute (sums by county, named
    /// `__…`), handed over once every table is kept. None by default.
    fn made(&mut self) -> Vec<(&'static str, DataFrame)> {
        Vec::new()
    }
}

/// Every table held in memory, staged whole.
pub struct Hold;

impl Keep for Hold {
    fn scratch(&self) -> Option<(std::path::PathBuf, usize)> {
        None
    }
    fn keep(&mut self, _: &'static TableDef, staged: Staged) -> Result<Table> {
        match staged {
            Staged::Whole(frame) => Ok(Table::held(frame)),
            Staged::ByYear(parts) => {
                let years: Vec<_> =
                    parts.into_iter().map(|p| Ok(p.take()?.lazy())).collect::<Result<_>>()?;
                Ok(Table::held(frame::collect(frame::concat(years)?)?))
            }
        }
    }
}

/// [`ingest`], the files whose typed rows `cache` kept taken from it, and every file typed
/// kept there; each table handed to `keep` as soon as it is staged.
pub fn ingest_kept(
    pipeline: &Pipeline,
    divisions: &Divisions,
    (reuse, cache): (BTreeMap<&'static str, Reused>, &TypedCache),
    keep: &mut (dyn Keep + Send),
    progress: bool,
) -> Result<Ingested> {
    let wanted: Vec<&SourceSpec> = ingest_order(pipeline)
        .into_iter()
        .filter(|t| !reuse.contains_key(t.name))
        .flat_map(|t| pipeline.sources.iter().filter(|s| s.table.name == t.name))
        .filter(|s| !cache.likely_kept(s))
        .collect();
    let ahead = ahead::Ahead::new(wanted, ahead::BUDGET);
    std::thread::scope(|scope| {
        let stopper = ahead::Stopper(&ahead);
        let reader = std::thread::Builder::new()
            .name("read-ahead".into())
            .spawn_scoped(scope, || ahead.read_ahead());
        if let Err(e) = reader {
            // Without the thread every file is read where it is wanted, as before.
            tracing::debug!(error = %e, "no thread to read ahead");
            ahead.stop();
        }
        let mut keeping = keeping::Keeping::new(scope, keep);
        let done =
            ingest_tables(pipeline, divisions, (reuse, cache, &ahead), &mut keeping, progress);
        drop(stopper);
        done
    })
}

/// [`ingest_kept`]'s work, the files read ahead by `ahead`.
fn ingest_tables<'a>(
    pipeline: &'a Pipeline,
    divisions: &Divisions,
    (mut reuse, cache, ahead): (BTreeMap<&'static str, Reused>, &TypedCache, &ahead::Ahead<'a>),
    keeping: &mut keeping::Keeping,
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
    for table in ingest_order(pipeline) {
        if let Some(r) = reuse.remove(table.name) {
            tracing::info!(
                table = table.name,
                rows = r.rows,
                "unchanged inputs: table reused from the previous run"
            );
            quarantine.push(r.quarantine);
            done.files.extend(r.files);
            let scratch = keeping.scratch();
            let staged = by_year::reused(table, (&r.file, r.rows), scratch.map(|(_, rows)| rows))?;
            keeping.hand(table, staged, &mut done.tables)?;
            continue;
        }
        let sources: Vec<&SourceSpec> =
            pipeline.sources.iter().filter(|s| s.table.name == table.name).collect();
        if sources.is_empty() {
            continue;
        }
        let reading =
            Reading { bar: &bar, code_map: &code_map, years: pipeline.data_years, cache, ahead };
        let typed = type_table(table, &sources, &reading, &mut quarantine, &mut unmapped)?;
        let every: Vec<(String, Option<String>)> = typed
            .iter()
            .flat_map(|t| t.reports.iter().map(|r| (r.path.clone(), r.sheet.clone())))
            .collect();
        let names = quarantine::names(0, &every)?;
        // The tables this one's checks read are kept by now (others may still be written).
        keeping.ready(&read_by_checks(pipeline, table), &mut done.tables)?;
        let scratch = keeping.scratch();
        let started = std::time::Instant::now();
        let scratch = scratch.as_ref().map(|(dir, rows)| (dir.as_path(), *rows));
        let checking = (&names, &mut done, &mut quarantine);
        let staged = stage_table(pipeline, table, typed, checking, scratch)?;
        tracing::debug!(
            table = table.name,
            millis = started.elapsed().as_millis() as u64,
            "checked and reshaped"
        );
        keeping.hand(table, staged, &mut done.tables)?;
    }
    keeping.settle(&mut done.tables)?;
    for (name, made) in keeping.made()? {
        done.tables.hold(name, made);
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

/// What reading a table's files needs besides the files.
struct Reading<'r, 'a> {
    bar: &'r indicatif::ProgressBar,
    code_map: &'r DataFrame,
    years: (i32, i32),
    cache: &'r TypedCache,
    ahead: &'r ahead::Ahead<'a>,
}

/// A table's files typed: those whose typed rows were kept by an earlier run taken from
/// `reading.cache`, the others read (on every core, a group at a time) and typed in batches.
/// Rejected rows go to `quarantine`, unmapped columns to `unmapped`.
fn type_table<'a>(
    table: &TableDef,
    sources: &[&'a SourceSpec],
    reading: &Reading<'_, 'a>,
    quarantine: &mut Vec<DataFrame>,
    unmapped: &mut Unmapped,
) -> Result<Vec<Typed<'a>>> {
    let mut hits = reading.cache.load(sources);
    let kept: Vec<&SourceSpec> =
        sources.iter().zip(&hits).filter(|(_, h)| h.is_some()).map(|(s, _)| *s).collect();
    reading.ahead.skip(&kept);
    let reused = hits.iter().filter(|h| h.is_some()).count();
    let mut typed = Vec::new();
    let mut start = 0;
    while start < sources.len() {
        let kept = hits[start].is_some();
        let end =
            (start..sources.len()).find(|&i| hits[i].is_some() != kept).unwrap_or(sources.len());
        if kept {
            let run = (start..end)
                .filter_map(|i| Some((i as u32, sources[i], hits[i].take()?)))
                .collect();
            typed.extend(from_cache(table, run, reading.bar, quarantine, unmapped)?);
        } else {
            let files = (start as u32, &sources[start..end]);
            typed.extend(read_and_type(table, files, reading, quarantine, unmapped)?);
        }
        start = end;
    }
    let typed = merged(typed)?;
    if reused > 0 {
        tracing::info!(
            table = table.name,
            reused,
            read = sources.len() - reused,
            "typed rows of unchanged files taken from earlier runs"
        );
    }
    Ok(typed)
}

/// Consecutive batches of one entry with the same value columns and columns as one batch (the
/// checks across files cost a plan per batch): files typed now beside files whose typed rows
/// were kept, or batches cut to bound the text held while typing.
fn merged<'a>(typed: Vec<Typed<'a>>) -> Result<Vec<Typed<'a>>> {
    let mut out: Vec<(Typed<'a>, Vec<crate::frame::LazyFrame>)> = Vec::new();
    for t in typed {
        let columns = |t: &Typed| {
            let mut c = frame::columns_of(&t.accepted);
            c.sort_by(|a, b| a.0.cmp(&b.0));
            c
        };
        match out.last_mut() {
            Some((last, parts))
                if last.source().entry == t.source().entry
                    && last.values == t.values
                    && last.first + last.reports.len() as u32 == t.first
                    && columns(last) == columns(&t) =>
            {
                let order: Vec<_> = frame::columns_of(&last.accepted)
                    .into_iter()
                    .map(|(c, _)| frame::col(c))
                    .collect();
                parts.push(t.accepted.lazy().select(order));
                last.sources.extend(t.sources);
                last.reports.extend(t.reports);
            }
            _ => out.push((t, Vec::new())),
        }
    }
    let mut typed = Vec::with_capacity(out.len());
    for (mut t, parts) in out {
        if !parts.is_empty() {
            let all = std::iter::once(t.accepted.lazy()).chain(parts).collect();
            t.accepted = frame::collect(frame::concat(all)?)?;
        }
        typed.push(t);
    }
    Ok(typed)
}

/// Files `first..` of a table read and typed in batches; each file's typed rows kept.
fn read_and_type<'a>(
    table: &TableDef,
    (mut first, sources): (u32, &[&'a SourceSpec]),
    reading: &Reading<'_, 'a>,
    quarantine: &mut Vec<DataFrame>,
    unmapped: &mut Unmapped,
) -> Result<Vec<Typed<'a>>> {
    let mut typed = Vec::new();
    for group in groups(sources) {
        let started = std::time::Instant::now();
        let read = read_files(group, reading)?;
        tracing::debug!(
            table = table.name,
            files = group.len(),
            millis = started.elapsed().as_millis() as u64,
            "read as text"
        );
        for batch in batches(read) {
            let started = std::time::Instant::now();
            let mut columns = Vec::new();
            for f in &batch {
                columns.push(rows::unmapped(f.source, &f.raw));
                unmapped
                    .add(columns[columns.len() - 1].clone(), &f.source.path.display().to_string());
            }
            let names = quarantine::names(first, &displays(&batch))?;
            let n = batch.len() as u32;
            let (t, rejected) =
                type_files(batch, (first, &names), reading.code_map, reading.years)?;
            let entries = t.reports.iter().zip(columns);
            let entries = entries.map(|(r, c)| cache::Entry::new(r.clone(), t.values.clone(), c));
            let kept = (&t.accepted, &rejected);
            reading.cache.keep((&t.sources, first), kept, entries.collect());
            first += n;
            quarantine.push(rejected);
            typed.push(t);
            tracing::debug!(
                table = table.name,
                files = n,
                millis = started.elapsed().as_millis() as u64,
                "typed"
            );
        }
    }
    Ok(typed)
}

/// Files whose typed rows an earlier run kept, one batch each ([`merged`] joins them).
fn from_cache<'a>(
    table: &TableDef,
    hits: Vec<(u32, &'a SourceSpec, cache::Hit)>,
    bar: &indicatif::ProgressBar,
    quarantine: &mut Vec<DataFrame>,
    unmapped: &mut Unmapped,
) -> Result<Vec<Typed<'a>>> {
    let mut typed = Vec::with_capacity(hits.len());
    for (index, source, hit) in hits {
        bar.inc(1);
        let (entry, rows) = (hit.entry, hit.rows);
        unmapped.add(entry.unmapped.clone(), &source.path.display().to_string());
        quarantine.push(entry.quarantine()?);
        let r = &entry.report;
        tracing::info!(file = %source.path.display(), table = table.name, rows = r.rows_read, quarantined = r.rows_quarantined, "typed rows reused");
        typed.push(Typed {
            sources: vec![source],
            first: index,
            reports: vec![entry.report],
            accepted: frame::with_constant_u32(&rows, "__file", index)?,
            values: entry.values,
        });
    }
    Ok(typed)
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

/// One file read into text cells, before typing.
struct ReadFile<'a> {
    source: &'a SourceSpec,
    raw: read::RawTable,
    bytes: u64,
    sha256: String,
}

/// One file checked against its limits, decoded and parsed.
fn read_one(source: &SourceSpec) -> Result<ReadFile<'_>> {
    limits::check(source)?;
    let bytes = std::fs::read(&source.path).map_err(|e| Error::io(&source.path, e))?;
    let raw = raw_table(source, &bytes)?;
    let sha256 = crate::digest::sha256(&bytes);
    Ok(ReadFile { source, raw, bytes: bytes.len() as u64, sha256 })
}

/// The files of one table read (decoded and parsed) on every core or taken from what was read
/// ahead, in their order; the first file that cannot be read stops the run.
fn read_files<'a>(
    sources: &[&'a SourceSpec],
    reading: &Reading<'_, 'a>,
) -> Result<Vec<ReadFile<'a>>> {
    use rayon::prelude::*;
    sources
        .par_iter()
        .map(|source| {
            let read = reading.ahead.take(source)?;
            reading.bar.inc(1);
            Ok(read)
        })
        .collect()
}

/// Bytes of input read (and held as text) at once, at most (a single larger file is read alone).
const GROUP_BYTES: u64 = 256 << 20;

/// The sources of a table in groups read together: consecutive files of one `[[sources]]`
/// entry, up to [`GROUP_BYTES`] of input.
fn groups<'s, 'a>(sources: &'s [&'a SourceSpec]) -> Vec<&'s [&'a SourceSpec]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0u64);
    for (i, s) in sources.iter().enumerate() {
        let size = std::fs::metadata(&s.path).map_or(0, |m| m.len());
        if i > start && (s.entry != sources[start].entry || bytes + size > GROUP_BYTES) {
            out.push(&sources[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < sources.len() {
        out.push(&sources[start..]);
    }
    out
}

/// (display, sheet) of each file of a batch.
fn displays(batch: &[ReadFile]) -> Vec<(String, Option<String>)> {
    batch.iter().map(|f| (f.source.display.clone(), f.raw.sheet.clone())).collect()
}

/// Rows typed in one plan at most: enough that a plan's fixed cost is spread thin, few enough
/// that a batch's text stays small beside the typed tables.
const BATCH_ROWS: usize = 500_000;

/// The files typed together: consecutive files of one `[[sources]]` entry with the same header,
/// up to [`BATCH_ROWS`] rows.
fn batches(files: Vec<ReadFile>) -> Vec<Vec<ReadFile>> {
    let mut out: Vec<Vec<ReadFile>> = Vec::new();
    let mut rows = 0;
    for f in files {
        let n = f.raw.lines.len();
        match out.last_mut() {
            Some(batch)
                if batch[0].source.entry == f.source.entry
                    && batch[0].raw.headers == f.raw.headers
                    && rows + n <= BATCH_ROWS =>
            {
                rows += n;
                batch.push(f);
            }
            _ => {
                rows = n;
                out.push(vec![f]);
            }
        }
    }
    out
}

/// One batch typed in one plan: the typed batch and the rows it rejected.
/// `first` is the `__file` of the batch's first file among its table's `names`.
fn type_files<'a>(
    batch: Vec<ReadFile<'a>>,
    (first, names): (u32, &DataFrame),
    code_map: &DataFrame,
    years: (i32, i32),
) -> Result<(Typed<'a>, DataFrame)> {
    let mut reports = Vec::new();
    let mut early = Vec::new();
    let mut files = Vec::new();
    for (k, f) in batch.into_iter().enumerate() {
        early.push(quarantine::from_rejected(&f.source.display, &f.raw.rejected)?.lazy());
        reports.push(FileReport {
            path: f.source.display.clone(),
            table: f.source.table.name.into(),
            bytes: f.bytes,
            sha256: f.sha256,
            encoding: f.raw.encoding.map(str::to_string),
            sheet: f.raw.sheet.clone(),
            rows_read: f.raw.rows_read as u64,
            rows_accepted: 0,
            rows_quarantined: f.raw.rejected.len() as u64,
        });
        files.push((first + k as u32, f.source, f.raw));
    }
    let sources: Vec<&SourceSpec> = files.iter().map(|(_, s, _)| *s).collect();
    let batch = rows::Batch { files, names };
    let t = rows::type_batch(&batch, code_map, years)?;
    for ((r, q), s) in reports.iter_mut().zip(&t.quarantined).zip(&sources) {
        r.rows_quarantined += q;
        tracing::info!(file = %s.path.display(), table = %r.table, rows = r.rows_read, quarantined = r.rows_quarantined, "read");
    }
    let early = frame::collect(frame::concat(early)?)?;
    let rejected = with_early(sources[0], code_map, early, t.quarantine)?;
    let typed = Typed { sources, first, reports, accepted: t.accepted, values: t.values };
    Ok((typed, rejected))
}

/// The order tables are ingested in: [`TABLES`]' own, except that a table whose checks read
/// more than its references (classes, whose capacity check reads enrolment) comes after those
/// whose checks do not. A table it reads that is being written into the run (a large one,
/// staged a year at a time) is then written while the others are read, typed and checked,
/// rather than waited for.
fn ingest_order(pipeline: &Pipeline) -> Vec<&'static TableDef> {
    let mut order: Vec<&'static TableDef> = TABLES.to_vec();
    order.sort_by_key(|t| read_by_checks(pipeline, t).len() > usize::from(t.references.is_some()));
    order
}

/// The tables the checks of `table` read ([`stage_table`]): its references, and enrolment for
/// the class capacity of classes.
fn read_by_checks(pipeline: &Pipeline, table: &TableDef) -> Vec<&'static str> {
    let mut reads: Vec<&'static str> =
        table.references.map(|(other, _)| other).into_iter().collect();
    if pipeline.largest_class.is_some() && table.name == "classes" {
        reads.push("enrolment");
    }
    reads
}

/// The checks across a table's files (keys, references, class capacity), the row accounting of
/// each file, and the files' rows in the canonical long layout, sorted by key: whole, or a
/// school-level table of more typed rows than `scratch` allows a year at a time through it.
fn stage_table(
    pipeline: &Pipeline,
    table: &'static TableDef,
    mut typed: Vec<Typed>,
    (names, done, quarantine): (&DataFrame, &mut Ingested, &mut Vec<DataFrame>),
    scratch: Option<(&std::path::Path, usize)>,
) -> Result<Staged> {
    quarantine.extend(keys::reject_duplicates(table, &mut typed, names)?);
    if let Some((other, keys)) = table.references {
        let target = done.tables.get(other).ok_or_else(|| {
            Error::Internal(format!("{} references {other}, which has no source", table.name))
        })?;
        quarantine.extend(keys::reject_dangling(table, &mut typed, names, (other, target), keys)?);
    }
    if let (Some(largest), true, Some(enrolment)) =
        (pipeline.largest_class, table.name == "classes", done.tables.get("enrolment"))
    {
        quarantine.extend(plausibility::reject_overfull(&mut typed, names, enrolment, largest)?);
    }
    let typed_rows: usize = typed.iter().map(|t| t.accepted.height()).sum();
    let by_year =
        scratch.filter(|(_, rows)| table.column("school_id").is_some() && typed_rows > *rows);
    let mut long = Vec::new();
    for t in &mut typed {
        let accepted = rows::per_file(&t.accepted, t.first, t.reports.len())?;
        for (r, n) in t.reports.iter_mut().zip(accepted) {
            r.rows_accepted = n;
            if r.rows_accepted + r.rows_quarantined != r.rows_read {
                return Err(Error::Internal(format!(
                    "{}: rows read {} != accepted {} + quarantined {}",
                    r.path, r.rows_read, r.rows_accepted, r.rows_quarantined
                )));
            }
        }
        if by_year.is_none() {
            long.push(reshape::to_canonical(table, t, &pipeline.last_grade, pipeline.boundaries)?);
        }
        done.files.extend(t.reports.iter().cloned());
    }
    if let Some(scratch) = by_year {
        let years = by_year::stage(pipeline, table, &mut typed, scratch)?;
        if !years.is_empty() {
            tracing::info!(table = table.name, years = years.len(), "staged a year at a time");
            return Ok(Staged::ByYear(years));
        }
        // Typed rows that made no long row (ingest quarantines a row without any value, so
        // this is a guard): an empty table, staged whole.
        for t in &typed {
            long.push(reshape::to_canonical(table, t, &pipeline.last_grade, pipeline.boundaries)?);
        }
    }
    // The typed rows are freed once the long ones are made, before the sort.
    let long = frame::collect(frame::concat(long)?)?;
    drop(typed);
    tracing::debug!(table = table.name, rows = long.height(), "reshaped, to sort");
    // A column of nothing but nulls (a measure no file delivered) costs nothing.
    let staged = frame::with_null_columns_unstored(frame::sorted_by_columns(long, &table.keys())?)?;
    tracing::info!(table = table.name, rows = staged.height(), "staged");
    Ok(Staged::Whole(staged))
}
