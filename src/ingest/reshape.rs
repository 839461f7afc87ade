//! Wide to long: accepted rows of one file (one column per grade, sex, band or category)
//! become the canonical table, one row per key with one column per measure.

use std::collections::BTreeMap;

use super::rows::REPORTED;
use super::{Typed, ValueCol};
use crate::error::Result;
use crate::frame::{self, DataFrame, DataType, Expr, IntoLazy, LazyFrame, NULL, col, lit, when};
use crate::spec::{Boundaries, Grade};
use crate::tables::{Kind, TableDef};

/// Accepted wide rows → the canonical long table with one column per measure, its coded
/// columns as enums.
pub(super) fn to_canonical(
    table: &TableDef,
    t: &Typed,
    last_grade: &BTreeMap<String, i64>,
    boundaries: Boundaries,
) -> Result<LazyFrame> {
    let present = |name: &str| frame::has_column(&t.accepted, name);
    let reported = present(REPORTED);
    if table.measures.is_empty() {
        let sel: Vec<Expr> = table
            .columns
            .iter()
            .map(|c| if present(c.name) { col(c.name) } else { typed_null(c.name, c.kind) })
            .collect();
        let rows = on_boundaries(t.accepted.clone().lazy(), reported, boundaries);
        return frame::as_enums(rows.select(sel), &table.coded_columns());
    }
    let row_cols: Vec<String> = table
        .columns
        .iter()
        .filter(|c| present(c.name))
        .map(|c| c.name.to_string())
        .chain(
            [REPORTED, "__valid_from", "__valid_to"]
                .into_iter()
                .filter(|c| reported && present(c))
                .map(str::to_string),
        )
        .collect();
    if let Some(parts) = super::pivot::parts(table, t, last_grade, &present)? {
        let long = on_boundaries(frame::concat(parts)?, reported, boundaries);
        let folds = reported && frame::null_count(&t.accepted, REPORTED)? < t.accepted.height();
        return frame::as_enums(super::pivot::finish(table, long, folds)?, &table.coded_columns());
    }
    let long = long_rows(&t.accepted, &row_cols, &t.values, table.measures)?;
    let (long, carried) = with_header_keys(table, t, long);
    let long = on_boundaries(long, reported, boundaries);
    let present = |name: &str| present(name) || carried.contains(&name);
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
    // Coded keys grouped as enums (one byte a row), not as text.
    let long =
        frame::as_enums(long.with_columns(grouping(table, &present)), &table.coded_columns())?;
    Ok(summed(table, long))
}

/// Long rows in the canonical layout, one per key: several value columns with the same keys
/// are summed; a measure no column carried is null. Plain sums and counts in the group-by (its
/// fast path); the null for a measure no column carried is set after it, not by a conditional
/// inside every group.
pub(super) fn summed(table: &TableDef, long: LazyFrame) -> LazyFrame {
    let count = |m: &str| format!("__n_{m}");
    let mut aggs: Vec<Expr> = table.measures.iter().map(|m| col(*m).sum()).collect();
    aggs.extend(table.measures.iter().map(|m| col(*m).count().alias(count(m))));
    let mut out: Vec<Expr> = table.columns.iter().map(|c| col(c.name)).collect();
    out.extend(table.measures.iter().map(|m| {
        when(col(count(m)).gt(lit(0u32)))
            .then(col(*m))
            .otherwise(lit(NULL).cast(DataType::Int64))
            .alias(*m)
    }));
    long.group_by(table.columns.iter().map(|c| col(c.name)).collect::<Vec<_>>())
        .agg(aggs)
        .select(out)
}

/// Keys and attributes, in schema order: a key the value column sets, or else the row's own
/// column (a band delivered as a column of a long table); a column the file lacks is null.
fn grouping(table: &TableDef, present: &dyn Fn(&str) -> bool) -> Vec<Expr> {
    table
        .columns
        .iter()
        .map(|c| match c.name {
            "sex" if c.from_values && !present("sex") => col("__sex").alias("sex"),
            name @ ("grade" | "category" | "size_band") if c.from_values => {
                let carried = col(format!("__{name}"));
                match present(name) {
                    true => when(carried.clone().is_not_null())
                        .then(carried)
                        .otherwise(col(name))
                        .alias(name),
                    false => carried.alias(name),
                }
            }
            name if present(name) => col(name),
            name => typed_null(name, c.kind),
        })
        .collect()
}

/// `long` with the year and stage that header patterns gave their columns, over the row's
/// own; and the names of the keys so carried.
fn with_header_keys(
    table: &TableDef,
    t: &Typed,
    mut long: LazyFrame,
) -> (LazyFrame, Vec<&'static str>) {
    let used = [
        ("year", "__year", t.values.iter().any(|v| v.year.is_some())),
        ("stage", "__stage", t.values.iter().any(|v| v.stage.is_some())),
    ];
    let mut carried = Vec::new();
    for (name, from, used) in used {
        if !used || table.column(name).is_none() {
            continue;
        }
        let own = match (frame::has_column(&t.accepted, name), name) {
            (true, _) => col(name),
            (false, "year") => lit(NULL).cast(DataType::Int32),
            (false, _) => lit(NULL).cast(DataType::String),
        };
        long = long
            .with_column(when(col(from).is_not_null()).then(col(from)).otherwise(own).alias(name));
        carried.push(name);
    }
    (long, carried)
}

/// Rows whose retired code (`__reported`) was in force in the row's year: a region of its own
/// (`region_code` is `__reported`) as reported; under constant boundaries they stay on the
/// successor, where the table's grouping sums them with it.
fn on_boundaries(rows: LazyFrame, reported: bool, boundaries: Boundaries) -> LazyFrame {
    if !reported || boundaries != Boundaries::AsReported {
        return rows;
    }
    rows.with_column(
        when(in_force(true)).then(col(REPORTED)).otherwise(col("region_code")).alias("region_code"),
    )
}

/// Is the row's retired code (`__reported`) in force in its year? Without a year on the row (a
/// header pattern gives it later), any retired code delivered counts as in force.
pub(super) fn in_force(has_year: bool) -> Expr {
    let delivered = col(REPORTED).is_not_null();
    if !has_year {
        return delivered;
    }
    let from = col("__valid_from").is_null().or(col("year").gt_eq(col("__valid_from")));
    let to = col("__valid_to").is_null().or(col("year").lt_eq(col("__valid_to")));
    delivered.and(from).and(to)
}

/// A null of the column's canonical type, for a column the file does not carry.
pub(super) fn typed_null(name: &str, kind: Kind) -> Expr {
    let dtype = match kind {
        Kind::Year | Kind::Int { .. } => DataType::Int32,
        Kind::Count | Kind::Whole => DataType::Int64,
        Kind::Amount => DataType::Float64,
        Kind::Flag => DataType::Boolean,
        _ => DataType::String,
    };
    lit(NULL).cast(dtype).alias(name)
}

/// Wide rows → one row per (row, keys of a value column) with a value: the row's `row_cols`,
/// the keys the value columns imply as constants (`__sex`, `__grade`, `__grade_last`,
/// `__category`, `__size_band`, `__year`, `__stage`), and one column per measure of the table
/// holding the value of the column of that measure with those keys (null where none). The
/// value columns with the same keys (a grade's pupils and its entrants) make one part of the
/// rows, not one each: the rows the table's grouping sums are as few as it allows. Constants
/// instead of a join on the column's name: no text is hashed per value.
fn long_rows(
    accepted: &DataFrame,
    row_cols: &[String],
    values: &[ValueCol],
    measures: &[&str],
) -> Result<LazyFrame> {
    let text = |v: Option<&String>| match v {
        Some(s) => lit(s.clone()),
        None => lit(NULL).cast(DataType::String),
    };
    let int = |v: Option<i32>| match v {
        Some(i) => lit(i),
        None => lit(NULL).cast(DataType::Int32),
    };
    // The rows of value columns with the same keys, at most one per measure; without one, the
    // same columns, all null.
    let part = |same: &[&ValueCol]| {
        let v = same.first();
        let grade = v.and_then(|v| match v.grade {
            Some(Grade::Fixed(g)) => Some(g as i32),
            _ => None,
        });
        let mut sel: Vec<Expr> = row_cols.iter().map(|c| col(c.as_str())).collect();
        sel.extend([
            text(v.map(|v| &v.sex)).alias("__sex"),
            int(grade).alias("__grade"),
            lit(v.is_some_and(|v| v.grade == Some(Grade::Last))).alias("__grade_last"),
            text(v.and_then(|v| v.category.as_ref())).alias("__category"),
            text(v.and_then(|v| v.size_band.as_ref())).alias("__size_band"),
            int(v.and_then(|v| v.year)).alias("__year"),
            text(v.and_then(|v| v.stage.as_ref())).alias("__stage"),
        ]);
        sel.extend(measures.iter().map(|m| match same.iter().find(|v| v.measure == *m) {
            Some(v) => col(v.name.as_str()).cast(DataType::Int64).alias(*m),
            None => lit(NULL).cast(DataType::Int64).alias(*m),
        }));
        let kept = same.iter().map(|v| col(v.name.as_str()).is_not_null()).collect();
        accepted.clone().lazy().filter(frame::any_of(kept)).select(sel)
    };
    if values.is_empty() {
        // No value column: no long row (the keys without a value say nothing).
        return Ok(part(&[]));
    }
    frame::concat(by_keys(values).iter().map(|same| part(same)).collect())
}

/// `values` in groups of columns with the same keys, at most one column of a measure in each
/// (a second column of a measure with those keys starts another group), in the order of their
/// first columns.
fn by_keys(values: &[ValueCol]) -> Vec<Vec<&ValueCol>> {
    let mut groups: Vec<Vec<&ValueCol>> = Vec::new();
    let mut with_keys: std::collections::HashMap<_, Vec<usize>> = Default::default();
    for v in values {
        let grade = match v.grade {
            Some(Grade::Fixed(g)) => (Some(g), false),
            Some(Grade::Last) => (None, true),
            None => (None, false),
        };
        let keys = (&v.sex, grade, &v.category, &v.size_band, v.year, &v.stage);
        let same = with_keys.entry(keys).or_default();
        match same.iter().copied().find(|&g| groups[g].iter().all(|w| w.measure != v.measure)) {
            Some(g) => groups[g].push(v),
            None => {
                same.push(groups.len());
                groups.push(vec![v]);
            }
        }
    }
    groups
}
