//! Stage 1, ingest: raw files → canonical tables + quarantine. Decodes, reads, types and checks
//! every source of the pipeline; checks keys across all files of a table and references
//! between tables; reshapes wide layouts to long. For every file: read = accepted + quarantined.

pub mod quarantine;
pub mod read;
mod rows;
mod sexes;

use std::collections::BTreeMap;

use crate::divisions::Divisions;
use crate::error::{Error, Result};
use crate::frame::{self, Column, DataFrame, DataType, Expr, IntoLazy, NULL, col, lit, when};
pub use crate::manifest::FileReport;
use crate::spec::{Grade, Pipeline, SourceSpec};
use crate::tables::{Kind, TABLES, TableDef, Tables};

pub use rows::ValueCol;

/// Canonical tables, quarantine rows and per-file accounting.
pub struct Ingested {
    pub tables: Tables,
    pub quarantine: DataFrame,
    pub files: Vec<FileReport>,
}

struct Typed<'a> {
    source: &'a SourceSpec,
    report: FileReport,
    accepted: DataFrame,
    values: Vec<ValueCol>,
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
    let raw = read::read(source, bytes)?;
    let t = rows::type_rows(source, &raw, code_map, years)?;
    let early = quarantine::from_rejected(&source.display, &raw.rejected)?;
    let quarantine = if early.height() == 0 {
        t.quarantine
    } else {
        frame::collect(frame::concat(vec![early.lazy(), t.quarantine.lazy()])?)?
    };
    Ok(FileRows {
        rows_read: raw.rows_read as u64,
        accepted: t.accepted,
        quarantine,
        values: t.values,
        encoding: raw.encoding,
        sheet: raw.sheet,
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
    let mut tables = Tables::default();
    let mut quarantine: Vec<DataFrame> = Vec::new();
    let mut files = Vec::new();
    let todo = pipeline.sources.iter().filter(|s| !reuse.contains_key(s.table.name)).count() as u64;
    let bar =
        if progress { indicatif::ProgressBar::new(todo) } else { indicatif::ProgressBar::hidden() };
    bar.set_style(
        indicatif::ProgressStyle::with_template("ingest {bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );

    for table in TABLES.iter().copied() {
        if let Some(r) = reuse.remove(table.name) {
            tracing::info!(
                table = table.name,
                rows = r.table.height(),
                "unchanged inputs: table reused from the previous run"
            );
            quarantine.push(r.quarantine);
            files.extend(r.files);
            tables.insert(table.name, r.table);
            continue;
        }
        let mut typed = Vec::new();
        for source in pipeline.sources.iter().filter(|s| s.table.name == table.name) {
            bar.set_message(source.display.clone());
            bar.inc(1);
            let bytes = std::fs::read(&source.path).map_err(|e| Error::io(&source.path, e))?;
            let file = read_file(source, &bytes, &code_map, pipeline.data_years)?;
            let q = file.quarantine.height() as u64;
            quarantine.push(file.quarantine);
            tracing::info!(file = %source.display, table = table.name, rows = file.rows_read, quarantined = q, "read");
            typed.push(Typed {
                source,
                report: FileReport {
                    path: source.display.clone(),
                    table: table.name.into(),
                    bytes: bytes.len() as u64,
                    sha256: crate::digest::sha256(&bytes),
                    encoding: file.encoding.map(str::to_string),
                    sheet: file.sheet,
                    rows_read: file.rows_read,
                    rows_accepted: 0,
                    rows_quarantined: q,
                },
                accepted: file.accepted,
                values: file.values,
            });
        }
        if typed.is_empty() {
            continue;
        }
        quarantine.extend(reject_duplicates(table, &mut typed)?);
        if let Some((other, keys)) = table.references {
            let target = tables.get(other).ok_or_else(|| {
                Error::Internal(format!("{} references {other}, which has no source", table.name))
            })?;
            quarantine.extend(reject_dangling(table, &mut typed, other, target, keys)?);
        }
        if let (Some(largest), true, Some(enrolment)) =
            (pipeline.largest_class, table.name == "classes", tables.get("enrolment"))
        {
            quarantine.extend(reject_overfull(&mut typed, enrolment, largest)?);
        }
        let mut long = Vec::new();
        for t in &mut typed {
            t.report.rows_accepted = t.accepted.height() as u64;
            if t.report.rows_accepted + t.report.rows_quarantined != t.report.rows_read {
                return Err(Error::Internal(format!(
                    "{}: rows read {} != accepted {} + quarantined {}",
                    t.report.path,
                    t.report.rows_read,
                    t.report.rows_accepted,
                    t.report.rows_quarantined
                )));
            }
            long.push(to_canonical(table, t, &pipeline.last_grade)?);
            files.push(t.report.clone());
        }
        let staged = frame::collect(frame::sort_by(frame::concat(long)?, &table.keys()))?;
        tracing::info!(table = table.name, rows = staged.height(), "staged");
        tables.insert(table.name, staged);
    }
    let mut all = frame::empty_frame(quarantine::COLUMNS)?.lazy();
    if !quarantine.is_empty() {
        let mut parts = vec![all];
        parts.extend(quarantine.into_iter().map(|q| q.lazy()));
        all = frame::concat(parts)?;
    }
    let quarantine = frame::collect(frame::sort_by(all, &["source_file", "line"]))?;
    bar.finish_and_clear();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Ingested { tables, quarantine, files })
}

/// Rows whose key (from raw columns and constants) repeats an earlier row of any file of the
/// same table are quarantined; the first occurrence stays.
fn reject_duplicates(table: &TableDef, typed: &mut [Typed]) -> Result<Vec<DataFrame>> {
    let keys = table.row_keys();
    let mut parts = Vec::new();
    for (i, t) in typed.iter().enumerate() {
        let mut sel: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
        sel.push(col("__line"));
        sel.push(lit(i as u32).cast(DataType::UInt32).alias("__src"));
        // A key that does not name the region (a school id) may repeat in another county.
        sel.push(
            if !keys.contains(&"region_code") && t.accepted.column("region_code").is_ok() {
                col("region_code")
            } else {
                frame::null_text()
            }
            .alias("__region"),
        );
        parts.push(t.accepted.clone().lazy().select(sel));
    }
    let all = frame::sort_by(frame::concat(parts)?, &["__src", "__line"]);
    let key_exprs: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    let dups = frame::collect(
        all.with_columns([
            col("__src").first().over(key_exprs.clone())?.alias("__first_src"),
            col("__line").first().over(key_exprs.clone())?.alias("__first_line"),
            col("__region").first().over(key_exprs.clone())?.alias("__first_region"),
        ])
        .filter(col("__src").neq(col("__first_src")).or(col("__line").neq(col("__first_line")))),
    )?;
    if dups.height() == 0 {
        return Ok(Vec::new());
    }
    let src = dups.column("__src")?.u32()?.clone();
    let line = dups.column("__line")?.i64()?.clone();
    let first_src = dups.column("__first_src")?.u32()?.clone();
    let first_line = dups.column("__first_line")?.i64()?.clone();
    let region = dups.column("__region")?.str()?.clone();
    let first_region = dups.column("__first_region")?.str()?.clone();
    let key_text: Vec<String> = (0..dups.height())
        .map(|r| {
            keys.iter()
                .map(|k| {
                    dups.column(k)
                        .ok()
                        .and_then(|c| c.get(r).ok())
                        .map(|v| v.to_string().trim_matches('"').to_string())
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join(" / ")
        })
        .collect();
    let displays: Vec<String> = typed.iter().map(|t| t.source.display.clone()).collect();
    let mut out = Vec::new();
    for (i, t) in typed.iter_mut().enumerate() {
        let mut lines = Vec::new();
        let mut rows = Vec::new();
        for r in 0..dups.height() {
            if src.get(r) != Some(i as u32) {
                continue;
            }
            let (l, fs, fl) = (
                line.get(r).unwrap_or(0),
                first_src.get(r).unwrap_or(0) as usize,
                first_line.get(r).unwrap_or(0),
            );
            let where_first =
                if fs == i { format!("line {fl}") } else { format!("{} line {fl}", displays[fs]) };
            lines.push(l);
            rows.push(quarantine::Rejected::new(
                l,
                None,
                &keys.join(", "),
                &key_text[r],
                "key.duplicate",
                match (region.get(r), first_region.get(r)) {
                    (Some(here), Some(there)) if here != there => format!(
                        "same {} as {where_first}, in another county ({there} there, {here} here)",
                        keys.join(", ")
                    ),
                    _ => format!("same {} as {where_first}", keys.join(", ")),
                },
            ));
        }
        if rows.is_empty() {
            continue;
        }
        let mut q = quarantine::from_rejected(&t.source.display, &rows)?;
        if let Some(sheet) = t.report.sheet.clone() {
            q = frame::collect(q.lazy().with_column(lit(sheet).alias("sheet")))?;
        }
        out.push(q);
        t.report.rows_quarantined += rows.len() as u64;
        let drop = frame::frame(vec![Column::new("__line".into(), lines)])?;
        t.accepted =
            frame::collect(frame::anti_join(t.accepted.clone().lazy(), drop.lazy(), &["__line"]))?;
    }
    Ok(out)
}

/// Rows referring to a key that the referenced table does not hold (enrolment of a school
/// missing from that year's register) are quarantined.
fn reject_dangling(
    table: &TableDef,
    typed: &mut [Typed],
    other: &str,
    target: &DataFrame,
    keys: &[&str],
) -> Result<Vec<DataFrame>> {
    let known = frame::distinct(
        target.clone().lazy().select(keys.iter().map(|k| col(*k)).collect::<Vec<_>>()),
    );
    let mut out = Vec::new();
    for t in typed.iter_mut() {
        let dangling =
            frame::collect(frame::anti_join(t.accepted.clone().lazy(), known.clone(), keys))?;
        if dangling.height() == 0 {
            continue;
        }
        let column = t
            .source
            .columns
            .iter()
            .find(|(c, _)| c == keys[keys.len() - 1])
            .map(|(_, h)| h.clone())
            .unwrap_or_default();
        let q = frame::collect(
            dangling
                .clone()
                .lazy()
                .with_columns([
                    lit("ref.unknown_target").alias("__rule"),
                    lit(column).alias("__column"),
                    col(keys[keys.len() - 1]).cast(DataType::String).alias("__raw"),
                    lit(format!(
                        "no {other} row with this {} (every {} row needs one)",
                        keys.join(" and "),
                        table.name
                    ))
                    .alias("__message"),
                ])
                .select(quarantine::select_exprs(&t.source.display, t.report.sheet.as_deref())),
        )?;
        let mut q = frame::collect(
            q.lazy().with_column(
                when(lit(keys.contains(&"school_id")))
                    .then(lit("ref.unknown_school"))
                    .otherwise(col("rule"))
                    .alias("rule"),
            ),
        )?;
        if keys.contains(&"school_id") {
            q = lost_zeros(q, &dangling, &known, keys)?;
        }
        t.report.rows_quarantined += q.height() as u64;
        out.push(q);
        t.accepted = frame::collect(frame::anti_join(
            t.accepted.clone().lazy(),
            dangling.lazy().select([col("__line")]),
            &["__line"],
        ))?;
    }
    Ok(out)
}

/// Class rows (one school and stage, classes counted by size band) whose school and stage has
/// more pupils enrolled than those classes can hold — every class at the top of its band, the
/// open top band ("66+") at `largest` — are quarantined: 300 pupils in one class of 41–45 is a
/// slip of the keyboard, not a class. Layouts whose bands carry no sizes ("over_norm") are not
/// checked; nor are schools without enrolment.
fn reject_overfull(
    typed: &mut [Typed],
    enrolment: &DataFrame,
    largest: i64,
) -> Result<Vec<DataFrame>> {
    let keys = ["year", "school_id", "stage"];
    // Pupils per grade: the total where one was delivered, else the sum of the sexes (canonical
    // enrolment keeps only the parts when both parts exist).
    let is_total = col("sex").eq(lit("total"));
    let mut by_grade: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    by_grade.push(col("grade"));
    let pupils = enrolment
        .clone()
        .lazy()
        .group_by(by_grade)
        .agg([
            col("enrolled").filter(is_total.clone()).sum().alias("__total"),
            col("enrolled").filter(is_total.clone().not()).sum().alias("__parts"),
            is_total.cast(DataType::Int64).sum().alias("__has_total"),
        ])
        .group_by(keys.iter().map(|k| col(*k)).collect::<Vec<_>>())
        .agg([when(col("__has_total").gt(lit(0)))
            .then(col("__total"))
            .otherwise(col("__parts"))
            .sum()
            .alias("__pupils")]);
    // Once for all class files (one per year), not once per file.
    let pupils = frame::collect(pupils)?.lazy();
    let mut out = Vec::new();
    for t in typed.iter_mut() {
        let caps: Option<Vec<(String, i64)>> = t
            .values
            .iter()
            .map(|v| {
                let (lo, hi) = v.size_band.as_deref().and_then(crate::tables::band_bounds)?;
                Some((v.name.clone(), if hi == i64::MAX { largest.max(lo) } else { hi }))
            })
            .collect();
        let Some(caps) = caps.filter(|c| !c.is_empty()) else { continue };
        if keys.iter().any(|k| t.accepted.column(k).is_err()) {
            continue;
        }
        let capacity = caps
            .iter()
            .map(|(n, cap)| col(n.as_str()).cast(DataType::Int64).fill_null(lit(0)) * lit(*cap))
            .reduce(|a, b| a + b);
        let classes = caps
            .iter()
            .map(|(n, _)| col(n.as_str()).cast(DataType::Int64).fill_null(lit(0)))
            .reduce(|a, b| a + b);
        let (Some(capacity), Some(classes)) = (capacity, classes) else { continue };
        let mut sel: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
        sel.extend([col("__line"), capacity.alias("__capacity"), classes.alias("__classes")]);
        let over = frame::collect(
            frame::inner_join(t.accepted.clone().lazy().select(sel), pupils.clone(), &keys)
                .filter(col("__pupils").gt(col("__capacity"))),
        )?;
        if over.height() == 0 {
            continue;
        }
        let text = |e: Expr| e.cast(DataType::String);
        let q = frame::collect(
            over.clone()
                .lazy()
                .with_columns([
                    lit("classes.over_capacity").alias("__rule"),
                    lit("(all size bands)").alias("__column"),
                    frame::concat_text(vec![text(col("__classes")), lit(" classes")]).alias("__raw"),
                    frame::concat_text(vec![
                        text(col("__pupils")),
                        lit(" pupils are enrolled in this school and stage, but its "),
                        text(col("__classes")),
                        lit(" classes hold at most "),
                        text(col("__capacity")),
                        lit(format!(" (each class at the top of its size band, an open band at largest_class = {largest})")),
                    ])
                    .alias("__message"),
                ])
                .select(quarantine::select_exprs(&t.source.display, t.report.sheet.as_deref())),
        )?;
        t.report.rows_quarantined += q.height() as u64;
        out.push(q);
        t.accepted = frame::collect(frame::anti_join(
            t.accepted.clone().lazy(),
            over.lazy().select([col("__line")]),
            &["__line"],
        ))?;
    }
    Ok(out)
}

/// A dangling school id that matches a register id once leading zeros are ignored on both
/// sides ("12345" against "0012345") is named as such: a spreadsheet read the id as a number.
/// The row stays quarantined; ids are never repaired by guess.
fn lost_zeros(
    q: DataFrame,
    dangling: &DataFrame,
    known: &crate::frame::LazyFrame,
    keys: &[&str],
) -> Result<DataFrame> {
    let others: Vec<&str> = keys.iter().copied().filter(|k| *k != "school_id").collect();
    let stripped = |lf: crate::frame::LazyFrame| {
        lf.with_column(col("school_id").str().strip_chars_start(lit("0")).alias("__stripped"))
    };
    let mut on = others.clone();
    on.push("__stripped");
    let mut right_cols: Vec<Expr> = on.iter().map(|k| col(*k)).collect();
    right_cols.push(col("school_id").alias("__register_id"));
    let register = frame::distinct(stripped(known.clone()).select(right_cols));
    let mut left_cols: Vec<Expr> = on.iter().map(|k| col(*k)).collect();
    left_cols.push(col("__line"));
    let hits = frame::collect(
        frame::inner_join(stripped(dangling.clone().lazy()).select(left_cols), register, &on)
            .group_by([col("__line")])
            .agg([col("__register_id").min()]),
    )?;
    if hits.height() == 0 {
        return Ok(q);
    }
    let hits = hits.lazy().select([col("__line").alias("line"), col("__register_id")]);
    frame::collect(
        frame::left_join(q.lazy(), hits, &["line"])
            .with_columns([
                when(col("__register_id").is_not_null()).then(lit("ref.school_id_lost_zeros")).otherwise(col("rule")).alias("rule"),
                when(col("__register_id").is_not_null())
                    .then(frame::concat_text(vec![
                        lit("no school with this id in the register, which has "),
                        col("__register_id"),
                        lit(": leading zeros lost (a spreadsheet read the id as a number); fix the id at the source"),
                    ]))
                    .otherwise(col("message"))
                    .alias("message"),
            ])
            .drop(frame::by_names(&["__register_id"])),
    )
}

/// Accepted wide rows → the canonical long table with one column per measure.
fn to_canonical(
    table: &TableDef,
    t: &Typed,
    last_grade: &BTreeMap<String, i64>,
) -> Result<crate::frame::LazyFrame> {
    let row_cols: Vec<String> = table
        .columns
        .iter()
        .filter(|c| !c.from_values && t.accepted.column(c.name).is_ok())
        .map(|c| c.name.to_string())
        .collect();
    let typed_col = |name: &str, kind: Kind| -> Expr {
        let dtype = match kind {
            Kind::Year | Kind::Int { .. } => DataType::Int32,
            Kind::Count | Kind::Whole => DataType::Int64,
            Kind::Amount => DataType::Float64,
            Kind::Flag => DataType::Boolean,
            _ => DataType::String,
        };
        lit(NULL).cast(dtype).alias(name)
    };
    if table.measures.is_empty() {
        let sel: Vec<Expr> = table
            .columns
            .iter()
            .map(|c| {
                if t.accepted.column(c.name).is_ok() {
                    col(c.name)
                } else {
                    typed_col(c.name, c.kind)
                }
            })
            .collect();
        return Ok(t.accepted.clone().lazy().select(sel));
    }
    // The value map: one row per value column with the keys it implies.
    let n = t.values.len();
    let value_map = frame::frame(vec![
        Column::new("__var".into(), t.values.iter().map(|v| v.name.clone()).collect::<Vec<_>>()),
        Column::new(
            "__measure".into(),
            t.values.iter().map(|v| v.measure.clone()).collect::<Vec<_>>(),
        ),
        Column::new("__sex".into(), t.values.iter().map(|v| v.sex.clone()).collect::<Vec<_>>()),
        Column::new(
            "__grade".into(),
            t.values
                .iter()
                .map(|v| match v.grade {
                    Some(Grade::Fixed(g)) => Some(g as i32),
                    _ => None,
                })
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "__grade_last".into(),
            t.values.iter().map(|v| v.grade == Some(Grade::Last)).collect::<Vec<_>>(),
        ),
        Column::new(
            "__category".into(),
            t.values.iter().map(|v| v.category.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "__size_band".into(),
            t.values.iter().map(|v| v.size_band.clone()).collect::<Vec<_>>(),
        ),
    ])?;
    debug_assert_eq!(value_map.height(), n);
    let value_names: Vec<String> = t.values.iter().map(|v| v.name.clone()).collect();
    let long =
        frame::unpivot(t.accepted.clone().lazy(), &row_cols, &value_names, "__var", "__value");
    let long =
        frame::left_join(long, value_map.lazy(), &["__var"]).filter(col("__value").is_not_null());
    let last = if table.column("stage").is_some() {
        last_grade.iter().rev().fold(lit(NULL).cast(DataType::Int32), |acc, (stage, g)| {
            when(col("stage").eq(lit(stage.clone()))).then(lit(*g as i32)).otherwise(acc)
        })
    } else {
        lit(NULL).cast(DataType::Int32)
    };
    let long = long.with_column(
        when(col("__grade_last")).then(last).otherwise(col("__grade")).alias("__grade"),
    );
    // Keys and attributes, in schema order.
    let mut group: Vec<Expr> = Vec::new();
    for c in table.columns {
        let e = match c.name {
            "sex" if c.from_values => col("__sex").alias("sex"),
            "grade" if c.from_values => col("__grade").alias("grade"),
            "category" if c.from_values => col("__category").alias("category"),
            "size_band" if c.from_values => col("__size_band").alias("size_band"),
            name if t.accepted.column(name).is_ok() => col(name),
            name => typed_col(name, c.kind),
        };
        group.push(e);
    }
    let aggs: Vec<Expr> = table
        .measures
        .iter()
        .map(|m| {
            let of_m = col("__measure").eq(lit(*m));
            when(of_m.clone().any(false))
                .then(col("__value").filter(of_m).sum())
                .otherwise(lit(NULL).cast(DataType::Int64))
                .alias(*m)
        })
        .collect();
    let names: Vec<String> = table.columns.iter().map(|c| c.name.to_string()).collect();
    Ok(long
        .with_columns(group)
        .group_by(names.iter().map(|s| col(s.as_str())).collect::<Vec<_>>())
        .agg(aggs))
}
