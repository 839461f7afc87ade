//! Checks across all files of one table: a key given twice (in one file or two) and a row that
//! refers to a key its referenced table lacks (enrolment of a school missing from the register).
//! The offending rows move to the quarantine; the first occurrence of a key stays.

use super::{Typed, quarantine};
use crate::error::Result;
use crate::frame::{self, DataFrame, DataType, Expr, IntoLazy, LazyFrame, col, lit, when};
use crate::tables::{Table, TableDef};

/// Rows whose key (from raw columns and constants) repeats an earlier row of any file of the
/// same table are quarantined; the first occurrence stays.
pub(super) fn reject_duplicates(
    table: &TableDef,
    typed: &mut [Typed],
    names: &DataFrame,
) -> Result<Vec<DataFrame>> {
    // The row's keys, and any key a file maps from a column rather than from its value columns
    // (a size band delivered as a column).
    let keys: Vec<&str> = table
        .keys()
        .into_iter()
        .filter(|k| {
            table.row_keys().contains(k) || typed.iter().any(|t| frame::has_column(&t.accepted, k))
        })
        .collect();
    let dups = duplicates(table, &keys, typed)?;
    if dups.height() == 0 {
        return Ok(Vec::new());
    }
    let found = Duplicates::read(&dups, &keys)?;
    let displays: Vec<String> =
        frame::texts(names, "__source_file")?.into_iter().map(Option::unwrap_or_default).collect();
    let sheets = frame::texts(names, "__sheet")?;
    let mut out = Vec::new();
    for t in typed.iter_mut() {
        let (mut files, mut lines) = (Vec::new(), Vec::new());
        for file in t.first..t.first + t.reports.len() as u32 {
            let i = file as usize;
            let rows: Vec<quarantine::Rejected> = (0..dups.height())
                .filter(|r| found.src[*r] == Some(i64::from(file)))
                .map(|r| {
                    files.push(file);
                    lines.push(found.line[r].unwrap_or(0));
                    found.rejected(r, i, &displays, &keys)
                })
                .collect();
            if rows.is_empty() {
                continue;
            }
            let mut q = quarantine::from_rejected(&displays[i], &rows)?;
            if let Some(sheet) = sheets[i].clone() {
                q = frame::collect(q.lazy().with_column(lit(sheet).alias("sheet")))?;
            }
            out.push(q);
        }
        if !lines.is_empty() {
            let drop = frame::frame(vec![
                frame::Column::new("__file".into(), files),
                frame::Column::new("__line".into(), lines),
            ])?;
            t.set_aside(drop.lazy())?;
        }
    }
    Ok(out)
}

/// Every row, of every file, whose key an earlier row already has: its file (`__src`), line,
/// region, and the first row's file, line and region.
fn duplicates(table: &TableDef, keys: &[&str], typed: &[Typed]) -> Result<DataFrame> {
    let mut parts = Vec::new();
    for t in typed {
        // A key a header pattern gives (year, stage) is not in the rows: a typed null, the same
        // in every row of the file.
        let has = |c: &str| frame::has_column(&t.accepted, c);
        let mut sel: Vec<Expr> = keys
            .iter()
            .map(|k| match (has(k), *k) {
                // A retired code in force in the row's year is a region of its own here.
                (true, "region_code") if has(super::rows::REPORTED) => {
                    when(super::reshape::in_force(has("year")))
                        .then(col(super::rows::REPORTED))
                        .otherwise(col("region_code"))
                        .alias("region_code")
                }
                (true, _) => col(*k),
                (false, _) => match table.column(k) {
                    Some(def) => super::reshape::typed_null(k, def.kind),
                    None => frame::null_text().alias(*k),
                },
            })
            .collect();
        sel.push(col("__line"));
        sel.push(col("__file").alias("__src"));
        // A key that does not name the region (a school id) may repeat in another county.
        let region =
            if !keys.contains(&"region_code") && frame::has_column(&t.accepted, "region_code") {
                col("region_code")
            } else {
                frame::null_text()
            };
        sel.push(region.alias("__region"));
        parts.push(t.accepted.clone().lazy().select(sel));
    }
    let all = frame::collect(frame::concat(parts)?)?;
    let key_exprs: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    // Most deliveries repeat no key: one group-by says so before rows are sorted and windowed.
    let repeated = all
        .clone()
        .lazy()
        .group_by(key_exprs.clone())
        .agg([col("__line").count().alias("__n")])
        .filter(col("__n").gt(lit(1u32)));
    if frame::collect(repeated)?.height() == 0 {
        return frame::collect(all.lazy().limit(0));
    }
    let all = frame::sort_by(all.lazy(), &["__src", "__line"]);
    frame::collect(
        all.with_columns([
            col("__src").first().over(key_exprs.clone())?.alias("__first_src"),
            col("__line").first().over(key_exprs.clone())?.alias("__first_line"),
            col("__region").first().over(key_exprs)?.alias("__first_region"),
        ])
        .filter(col("__src").neq(col("__first_src")).or(col("__line").neq(col("__first_line")))),
    )
}

/// The duplicate rows, read out of their frame.
struct Duplicates {
    src: Vec<Option<i64>>,
    line: Vec<Option<i64>>,
    first_src: Vec<Option<i64>>,
    first_line: Vec<Option<i64>>,
    region: Vec<Option<String>>,
    first_region: Vec<Option<String>>,
    /// The key of each row as text, "2018 / 0001020004".
    key_text: Vec<String>,
}

impl Duplicates {
    fn read(dups: &DataFrame, keys: &[&str]) -> Result<Duplicates> {
        let key_columns: Vec<Vec<Option<String>>> =
            keys.iter().map(|k| frame::texts(dups, k)).collect::<Result<_>>()?;
        let key_text = (0..dups.height())
            .map(|r| {
                let parts: Vec<String> =
                    key_columns.iter().map(|c| c[r].clone().unwrap_or_default()).collect();
                parts.join(" / ")
            })
            .collect();
        Ok(Duplicates {
            src: frame::ints(dups, "__src")?,
            line: frame::ints(dups, "__line")?,
            first_src: frame::ints(dups, "__first_src")?,
            first_line: frame::ints(dups, "__first_line")?,
            region: frame::texts(dups, "__region")?,
            first_region: frame::texts(dups, "__first_region")?,
            key_text,
        })
    }

    /// The quarantine row of duplicate `r`, found in file `i`.
    fn rejected(
        &self,
        r: usize,
        i: usize,
        displays: &[String],
        keys: &[&str],
    ) -> quarantine::Rejected {
        let first_src = self.first_src[r].unwrap_or(0) as usize;
        let first_line = self.first_line[r].unwrap_or(0);
        let where_first = if first_src == i {
            format!("line {first_line}")
        } else {
            format!("{} line {first_line}", displays[first_src])
        };
        let message = match (&self.region[r], &self.first_region[r]) {
            (Some(here), Some(there)) if here != there => format!(
                "same {} as {where_first}, in another county ({there} there, {here} here)",
                keys.join(", ")
            ),
            _ => format!("same {} as {where_first}", keys.join(", ")),
        };
        let line = self.line[r].unwrap_or(0);
        quarantine::Rejected::new(
            line,
            None,
            &keys.join(", "),
            &self.key_text[r],
            "key.duplicate",
            message,
        )
    }
}

/// Rows referring to a key that the referenced table does not hold (enrolment of a school
/// missing from that year's register) are quarantined.
pub(super) fn reject_dangling(
    table: &TableDef,
    typed: &mut [Typed],
    names: &DataFrame,
    (other, target): (&str, &Table),
    keys: &[&str],
) -> Result<Vec<DataFrame>> {
    // Collected once: a plan would find the distinct keys again for every batch.
    let known = frame::collect(frame::distinct(
        target.lazy().select(keys.iter().map(|k| col(*k)).collect::<Vec<_>>()),
    ))?
    .lazy();
    let last_key = keys[keys.len() - 1];
    let message = format!(
        "no {other} row with this {} (every {} row needs one)",
        keys.join(" and "),
        table.name
    );
    let mut out = Vec::new();
    for t in typed.iter_mut() {
        let dangling =
            frame::collect(frame::anti_join(t.accepted.clone().lazy(), known.clone(), keys))?;
        if dangling.height() == 0 {
            continue;
        }
        let column = t
            .source()
            .columns
            .iter()
            .find(|(c, _)| c == last_key)
            .map(|(_, h)| h.clone())
            .unwrap_or_default();
        let rule =
            if keys.contains(&"school_id") { "ref.unknown_school" } else { "ref.unknown_target" };
        let q = frame::collect(quarantine::rows_of(
            dangling.clone().lazy().with_columns([
                lit(rule).alias("__rule"),
                lit(column).alias("__column"),
                col(last_key).cast(DataType::String).alias("__raw"),
                lit(message.clone()).alias("__message"),
            ]),
            names,
        ))?;
        let q = if keys.contains(&"school_id") {
            lost_zeros(q, &dangling, &known, (keys, names))?
        } else {
            q
        };
        t.set_aside(dangling.lazy().select([col("__file"), col("__line")]))?;
        out.push(q);
    }
    Ok(out)
}

/// A dangling school id that matches a register id once leading zeros are ignored on both
/// sides ("12345" against "0012345") is named as such: a spreadsheet read the id as a number.
/// The row stays quarantined; ids are never repaired by guess.
fn lost_zeros(
    q: DataFrame,
    dangling: &DataFrame,
    known: &LazyFrame,
    (keys, names): (&[&str], &DataFrame),
) -> Result<DataFrame> {
    let stripped = |lf: LazyFrame| {
        lf.with_column(col("school_id").str().strip_chars_start(lit("0")).alias("__stripped"))
    };
    let mut on: Vec<&str> = keys.iter().copied().filter(|k| *k != "school_id").collect();
    on.push("__stripped");
    let on_cols = || on.iter().map(|k| col(*k)).collect::<Vec<_>>();
    let register = frame::distinct(stripped(known.clone()).select(
        on_cols().into_iter().chain([col("school_id").alias("__register_id")]).collect::<Vec<_>>(),
    ));
    let left = stripped(dangling.clone().lazy())
        .select(on_cols().into_iter().chain([col("__file"), col("__line")]).collect::<Vec<_>>());
    let hits = frame::collect(
        frame::inner_join(left, register, &on)
            .group_by([col("__file"), col("__line")])
            .agg([col("__register_id").min()]),
    )?;
    if hits.height() == 0 {
        return Ok(q);
    }
    let hits = frame::left_join(hits.lazy(), names.clone().lazy(), &["__file"]).select([
        col("__source_file").alias("source_file"),
        col("__line").cast(DataType::Int64).alias("line"),
        col("__register_id"),
    ]);
    let found = col("__register_id").is_not_null();
    frame::collect(
        frame::left_join(q.lazy(), hits, &["source_file", "line"])
            .with_columns([
                when(found.clone()).then(lit("ref.school_id_lost_zeros")).otherwise(col("rule")).alias("rule"),
                when(found)
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
