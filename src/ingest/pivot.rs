//! Wide to long without a group-by. A wide row's value columns say, before any row is read,
//! which of its long rows share a key: the columns with the same sex, grade, category, band,
//! year and stage become one long row holding each of their measures. Two wide rows never share
//! a key (duplicates were quarantined), so the long rows need no hashing to be unique. Only
//! rows folded into a successor's code (a retired code under constant boundaries) are summed by
//! key, and only in the regions that received them.

use std::collections::BTreeMap;

use super::rows::REPORTED;
use super::{Typed, ValueCol};
use crate::error::Result;
use crate::frame::{self, DataFrame, DataType, Expr, IntoLazy, LazyFrame, NULL, col, lit, when};
use crate::spec::Grade;
use crate::tables::TableDef;

/// The key columns a value column sets on its long rows; `None` where the table takes that
/// column from the row (or has none), `Some(None)` for a null.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Signature {
    sex: Option<String>,
    grade: Option<Option<i32>>,
    category: Option<Option<String>>,
    size_band: Option<Option<String>>,
    year: Option<Option<i32>>,
    stage: Option<Option<String>>,
}

/// Which key columns come from the value columns rather than from the row.
struct Carried {
    sex: bool,
    grade: bool,
    category: bool,
    size_band: bool,
    year: bool,
    stage: bool,
}

/// The long rows of `t` (one part per signature, and per stage where a "last grade" depends on
/// it), with the table's columns, its measures and the retired-code columns; `None` where the
/// keys cannot be told from the value columns alone (a key both in the row and in the value
/// columns), which the group-by of [`super::reshape`] handles.
pub(super) fn parts(
    table: &TableDef,
    t: &Typed,
    last_grade: &BTreeMap<String, i64>,
    present: &dyn Fn(&str) -> bool,
) -> Result<Option<Vec<LazyFrame>>> {
    let Some(carried) = carried(table, &t.values, present) else { return Ok(None) };
    let has_last = t.values.iter().any(|v| v.grade == Some(Grade::Last));
    let by_stage = carried.grade && has_last && table.column("stage").is_some() && !carried.stage;
    if by_stage && !present("stage") {
        return Ok(None);
    }
    let contexts: Vec<Option<Option<String>>> = match by_stage {
        true => stages(&t.accepted)?.into_iter().map(Some).collect(),
        false => vec![None],
    };
    let mut parts = Vec::new();
    for context in contexts {
        let stage = context.as_ref().and_then(|s| s.as_deref());
        let mut groups: BTreeMap<Signature, Vec<&ValueCol>> = BTreeMap::new();
        for v in &t.values {
            groups.entry(signature(v, &carried, stage, last_grade)).or_default().push(v);
        }
        for (signature, values) in groups {
            let rows = match &context {
                None => t.accepted.clone().lazy(),
                Some(Some(s)) => t.accepted.clone().lazy().filter(col("stage").eq(lit(s.clone()))),
                Some(None) => t.accepted.clone().lazy().filter(col("stage").is_null()),
            };
            parts.push(part(table, rows, (&signature, &values), present));
        }
    }
    Ok(Some(parts))
}

/// The key columns the value columns set; `None` when one of them is also a column of the row.
fn carried(
    table: &TableDef,
    values: &[ValueCol],
    present: &dyn Fn(&str) -> bool,
) -> Option<Carried> {
    let from_values = |name: &str| table.column(name).is_some_and(|c| c.from_values);
    let header = |name: &str, set: bool| table.column(name).is_some() && set;
    let carried = Carried {
        sex: from_values("sex"),
        grade: from_values("grade"),
        category: from_values("category"),
        size_band: from_values("size_band"),
        year: header("year", values.iter().any(|v| v.year.is_some())),
        stage: header("stage", values.iter().any(|v| v.stage.is_some())),
    };
    let both = [
        ("sex", carried.sex),
        ("grade", carried.grade),
        ("category", carried.category),
        ("size_band", carried.size_band),
        ("year", carried.year),
        ("stage", carried.stage),
    ]
    .into_iter()
    .any(|(name, set)| set && present(name));
    (!both).then_some(carried)
}

/// The distinct stages of the rows (null included), in order of first appearance.
fn stages(rows: &DataFrame) -> Result<Vec<Option<String>>> {
    let distinct = frame::collect(frame::distinct(rows.clone().lazy().select([col("stage")])))?;
    frame::texts(&distinct, "stage")
}

/// The signature of `v`, its "last grade" read for `stage` (the row's, or the one its header
/// gives).
fn signature(
    v: &ValueCol,
    carried: &Carried,
    stage: Option<&str>,
    last_grade: &BTreeMap<String, i64>,
) -> Signature {
    let stage = v.stage.as_deref().or(stage);
    let grade = match v.grade {
        Some(Grade::Fixed(g)) => Some(g as i32),
        Some(Grade::Last) => stage.and_then(|s| last_grade.get(s)).map(|g| *g as i32),
        None => None,
    };
    Signature {
        sex: carried.sex.then(|| v.sex.clone()),
        grade: carried.grade.then_some(grade),
        category: carried.category.then(|| v.category.clone()),
        size_band: carried.size_band.then(|| v.size_band.clone()),
        year: carried.year.then_some(v.year),
        stage: carried.stage.then(|| v.stage.clone()),
    }
}

/// The long rows of one signature: rows where any of its value columns has a value, each
/// measure the sum of its columns (null where none has a value).
fn part(
    table: &TableDef,
    rows: LazyFrame,
    (signature, values): (&Signature, &[&ValueCol]),
    present: &dyn Fn(&str) -> bool,
) -> LazyFrame {
    let text = |v: &Option<String>| match v {
        Some(s) => lit(s.clone()),
        None => lit(NULL).cast(DataType::String),
    };
    let int = |v: &Option<i32>| match v {
        Some(i) => lit(*i),
        None => lit(NULL).cast(DataType::Int32),
    };
    let set = |name: &str| -> Option<Expr> {
        match name {
            "sex" => signature.sex.as_ref().map(|s| lit(s.clone())),
            "grade" => signature.grade.as_ref().map(int),
            "category" => signature.category.as_ref().map(text),
            "size_band" => signature.size_band.as_ref().map(text),
            "year" => signature.year.as_ref().map(int),
            "stage" => signature.stage.as_ref().map(text),
            _ => None,
        }
    };
    let mut sel: Vec<Expr> = table
        .columns
        .iter()
        .map(|c| match set(c.name) {
            Some(value) => value.alias(c.name),
            None if present(c.name) => col(c.name),
            None => super::reshape::typed_null(c.name, c.kind),
        })
        .collect();
    sel.extend(
        [REPORTED, "__valid_from", "__valid_to"].into_iter().filter(|c| present(c)).map(col),
    );
    sel.extend(table.measures.iter().map(|m| {
        let columns: Vec<&str> =
            values.iter().filter(|v| v.measure == *m).map(|v| v.name.as_str()).collect();
        sum_of(&columns).alias(*m)
    }));
    let kept = frame::any_of(values.iter().map(|v| col(v.name.as_str()).is_not_null()).collect());
    rows.filter(kept).select(sel)
}

/// The sum of `columns` as whole numbers, the null ones left out; null when all are null.
fn sum_of(columns: &[&str]) -> Expr {
    let value = |c: &str| col(c).cast(DataType::Int64);
    match columns {
        [] => lit(NULL).cast(DataType::Int64),
        [one] => value(one),
        many => {
            let none = frame::all_of(many.iter().map(|c| col(*c).is_null()).collect());
            let total = many
                .iter()
                .map(|c| value(c).fill_null(lit(0i64)))
                .reduce(|a, b| a + b)
                .unwrap_or_else(|| lit(0i64));
            when(none).then(lit(NULL).cast(DataType::Int64)).otherwise(total)
        }
    }
}

/// The long rows in the canonical layout. With `folds` (rows whose retired code now lies under
/// its successor's), the rows of the regions receiving them are summed by key; the others are
/// taken as they are.
pub(super) fn finish(table: &TableDef, long: LazyFrame, folds: bool) -> Result<LazyFrame> {
    let mut out: Vec<Expr> = table.columns.iter().map(|c| col(c.name)).collect();
    out.extend(table.measures.iter().map(|m| col(*m)));
    if !folds {
        return Ok(long.select(out));
    }
    let long = frame::collect(long)?;
    let receiving = frame::collect(frame::distinct(
        long.clone().lazy().filter(col(REPORTED).is_not_null()).select([col("region_code")]),
    ))?;
    let summed = frame::semi_join(long.clone().lazy(), receiving.clone().lazy(), &["region_code"]);
    let rest = frame::anti_join(long.lazy(), receiving.lazy(), &["region_code"]);
    frame::concat(vec![super::reshape::summed(table, summed), rest.select(out)])
}
