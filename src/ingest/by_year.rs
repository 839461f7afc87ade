//! A large school-level table staged a year at a time: its typed rows reshaped a few files at a
//! time, each year's long rows set aside in a scratch file, then each year read back, sorted
//! and handed on in turn. The rows of the whole table are never held at once, nor sorted at
//! once; the years in order, each sorted by key, are the table sorted by key (year is its first
//! key).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Staged, Typed, reshape};
use crate::error::{Error, Result};
use crate::frame::{self, DataFrame, IntoLazy, LazyFrame, col, lit};
use crate::spec::Pipeline;
use crate::tables::TableDef;

/// One year of a table staged a year at a time: its rows in scratch files, one per group of
/// files they came from.
pub struct YearPart {
    table: &'static TableDef,
    year: i64,
    rows: Rows,
}

/// Where a year's rows are.
enum Rows {
    /// Scratch files, one per group of files the rows came from.
    Scratch(Vec<PathBuf>),
    /// Sorted already: a plan over the year's rows of a table an earlier run published.
    Sorted(Box<LazyFrame>),
}

impl YearPart {
    /// The year's rows sorted by key (its scratch files removed). Rows with the same key from
    /// different groups of files are summed, as they would have been had the groups been
    /// reshaped together.
    pub fn take(self) -> Result<DataFrame> {
        let files = match self.rows {
            Rows::Scratch(files) => files,
            Rows::Sorted(plan) => return frame::with_null_columns_unstored(frame::collect(*plan)?),
        };
        let coded = self.table.coded_columns();
        let scans = files.iter().map(|f| frame::scan_parquet(f, &coded));
        let rows = frame::collect(frame::concat(scans.collect::<Result<_>>()?)?)?;
        for f in &files {
            std::fs::remove_file(f).map_err(|e| Error::io(f, e))?;
        }
        let keys = self.table.keys();
        let mut rows = frame::sorted_by_columns(rows, &keys)?;
        if files.len() > 1 && frame::has_adjacent_duplicates(&rows, &keys)? {
            let (table, year) = (self.table.name, self.year);
            tracing::debug!(table, year, "keys across file groups summed");
            let summed = frame::collect(reshape::summed(self.table, rows.lazy()))?;
            rows = frame::sorted_by_columns(summed, &keys)?;
        }
        frame::with_null_columns_unstored(rows)
    }
}

/// A table an earlier run published (`file`, of `rows` rows), taken as it is: whole, or a year
/// at a time if it is school-level and has more than `hold_rows` rows (each year read from the
/// file alone: the file is sorted by year, and its row groups say which years they hold).
pub fn reused(
    table: &'static TableDef,
    (file, rows): (&Path, usize),
    hold_rows: Option<usize>,
) -> Result<Staged> {
    let scan = frame::scan_parquet(file, &table.coded_columns())?;
    let large = hold_rows.is_some_and(|hold| rows > hold);
    if !(large && table.column("school_id").is_some()) {
        let whole = frame::collect(scan)?;
        return Ok(Staged::Whole(frame::with_null_columns_unstored(whole)?));
    }
    let part = |year: i64| {
        let rows = Rows::Sorted(Box::new(of_year(scan.clone(), year)));
        YearPart { table, year, rows }
    };
    Ok(Staged::ByYear(years_of(scan.clone())?.into_iter().map(part).collect()))
}

/// Stage `table` (typed, checked, its files accounted for) a year at a time through `scratch`:
/// groups of files of about `chunk_rows` typed rows reshaped in turn, each group's rows of
/// each year written to a scratch file. The years in order.
pub(super) fn stage(
    pipeline: &Pipeline,
    table: &'static TableDef,
    typed: &mut [Typed],
    (scratch, chunk_rows): (&Path, usize),
) -> Result<Vec<YearPart>> {
    // Made with the first scratch file: a table with no long row leaves no folder behind.
    let dir = scratch.join(table.name);
    let mut years: BTreeMap<i64, Vec<PathBuf>> = BTreeMap::new();
    let mut group = 0;
    for t in typed.iter_mut() {
        for (from, to) in file_groups(t, chunk_rows) {
            let within = col("__file").gt_eq(lit(from)).and(col("__file").lt(lit(to)));
            let rows = frame::collect(t.accepted.clone().lazy().filter(within))?;
            let all = std::mem::replace(&mut t.accepted, rows);
            let plan = reshape::to_canonical(table, t, &pipeline.last_grade, pipeline.boundaries);
            t.accepted = all;
            let long = frame::collect(plan?)?;
            for (year, rows) in by_year(&long)? {
                if years.is_empty() {
                    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
                }
                let path = dir.join(format!("{year}-{group}.parquet"));
                frame::write_scratch(&rows, &path)?;
                years.entry(year).or_default().push(path);
            }
            group += 1;
        }
    }
    let part = |(year, files)| YearPart { table, year, rows: Rows::Scratch(files) };
    Ok(years.into_iter().map(part).collect())
}

/// Ranges `[from, to)` of the `__file` of `t`'s files, consecutive files together up to
/// `chunk_rows` accepted rows (a larger file alone).
fn file_groups(t: &Typed, chunk_rows: usize) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let (mut from, mut rows) = (t.first, 0u64);
    for (i, r) in t.reports.iter().enumerate() {
        let file = t.first + i as u32;
        if file > from && rows + r.rows_accepted > chunk_rows as u64 {
            out.push((from, file));
            (from, rows) = (file, 0);
        }
        rows += r.rows_accepted;
    }
    out.push((from, t.first + t.reports.len() as u32));
    out
}

/// The rows of `long` by year, in year order. A row without a year is an error (ingest
/// rejects them before).
fn by_year(long: &DataFrame) -> Result<Vec<(i64, DataFrame)>> {
    if frame::null_count(long, "year")? > 0 {
        return Err(Error::Internal("a staged row without a year".into()));
    }
    let years = years_of(long.clone().lazy())?;
    years.into_iter().map(|y| Ok((y, frame::collect(of_year(long.clone().lazy(), y))?))).collect()
}

/// The distinct years of `rows`, in order.
fn years_of(rows: LazyFrame) -> Result<Vec<i64>> {
    let years = frame::collect(frame::distinct(rows.select([col("year")])))?;
    let mut years: Vec<i64> = frame::ints(&years, "year")?.into_iter().flatten().collect();
    years.sort_unstable();
    Ok(years)
}

/// The rows of `rows` of one year.
fn of_year(rows: LazyFrame, year: i64) -> LazyFrame {
    rows.filter(col("year").eq(lit(year as i32)))
}
