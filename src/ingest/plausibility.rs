//! Plausibility checks across tables at ingest: class rows whose school and stage enrol more
//! pupils than those classes can hold.

use super::{Typed, quarantine};
use crate::error::Result;
use crate::frame::{self, DataFrame, DataType, Expr, IntoLazy, LazyFrame, NULL, col, lit, when};
use crate::tables::Table;

const KEYS: [&str; 3] = ["year", "school_id", "stage"];

/// Class rows (one school and stage, classes counted by size band) whose school and stage has
/// more pupils enrolled than those classes can hold — every class at the top of its band, the
/// open top band ("66+") at `largest` — are quarantined: 300 pupils in one class of 41–45 is a
/// slip of the keyboard, not a class. Layouts whose bands carry no sizes ("over_norm") are not
/// checked; nor are schools without enrolment.
pub(super) fn reject_overfull(
    typed: &mut [Typed],
    names: &DataFrame,
    enrolment: &Table,
    largest: i64,
) -> Result<Vec<DataFrame>> {
    // A bound first, once for all class files: every count of a school and stage added up
    // (totals and their parts alike) is at least its pupils. Only the class rows over it can
    // be over capacity; their pupils are then counted exactly. Streamed: the engine holds the
    // bounds, never a copy of enrolment's rows.
    let bound = frame::collect_streamed(pupils_at_most(enrolment.lazy()))?.lazy();
    // The class rows' stage as enrolment holds it (an enum once staged).
    let stage = enrolment.column_type("stage").cloned().unwrap_or(DataType::String);
    let candidates = over_bound(typed, &bound, (largest, stage))?;
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let keys = frame::concat(candidates.iter().map(|(_, c)| c.clone().lazy()).collect())?;
    let of_candidates = frame::semi_join(enrolment.lazy(), keys, &KEYS);
    let pupils = frame::collect(pupils_per_school_stage(of_candidates))?.lazy();
    let mut out = Vec::new();
    for (i, rows) in candidates {
        let over = frame::collect(
            frame::inner_join(rows.lazy(), pupils.clone(), &KEYS)
                .filter(col("__pupils").gt(col("__capacity"))),
        )?;
        if over.height() == 0 {
            continue;
        }
        let q = frame::collect(quarantine::rows_of(
            over.clone().lazy().with_columns(over_capacity_message(largest)),
            names,
        ))?;
        typed[i].set_aside(over.lazy().select([col("__file"), col("__line")]))?;
        out.push(q);
    }
    Ok(out)
}

/// Class rows (index of their batch, rows with keys, `__file`, `__line`, `__capacity`,
/// `__classes`) whose capacity is under the `bound` of pupils of their school and stage.
fn over_bound(
    typed: &[Typed],
    bound: &LazyFrame,
    (largest, stage): (i64, DataType),
) -> Result<Vec<(usize, DataFrame)>> {
    let mut candidates = Vec::new();
    for (i, t) in typed.iter().enumerate() {
        let Some((capacity, classes)) = capacity(t, largest) else { continue };
        if KEYS.iter().any(|k| !frame::has_column(&t.accepted, k)) {
            continue;
        }
        let stage = col("stage").cast(stage.clone());
        let mut sel: Vec<Expr> = vec![col("year"), col("school_id"), stage];
        sel.extend([
            col("__file"),
            col("__line"),
            capacity.alias("__capacity"),
            classes.alias("__classes"),
        ]);
        let over = frame::collect(
            frame::inner_join(t.accepted.clone().lazy().select(sel), bound.clone(), &KEYS)
                .filter(col("__at_most").gt(col("__capacity"))),
        )?;
        if over.height() > 0 {
            candidates.push((i, frame::without(&over, "__at_most")?));
        }
    }
    Ok(candidates)
}

/// Per school and stage, every positive count of enrolment added up: never fewer than its
/// pupils, whichever rows (a grade's total, its parts, or both) were delivered.
fn pupils_at_most(enrolment: LazyFrame) -> LazyFrame {
    let positive = when(col("enrolled").gt(lit(0i64))).then(col("enrolled")).otherwise(lit(0i64));
    enrolment
        .with_column(positive.alias("__at_most"))
        .group_by(KEYS.iter().map(|k| col(*k)).collect::<Vec<_>>())
        .agg([col("__at_most").sum()])
}

/// Pupils per school and stage: per grade the total where one was delivered, else the sum of
/// the sexes (canonical enrolment keeps only the parts when both parts exist).
fn pupils_per_school_stage(enrolment: LazyFrame) -> LazyFrame {
    let is_total = col("sex").eq(lit("total"));
    let mut by_grade: Vec<Expr> = KEYS.iter().map(|k| col(*k)).collect();
    by_grade.push(col("grade"));
    // The parts summed are columns before the group-by: masked sums inside it are far slower.
    let only =
        |mask: Expr| when(mask).then(col("enrolled")).otherwise(lit(NULL).cast(DataType::Int64));
    enrolment
        .with_columns([
            only(is_total.clone()).alias("__total"),
            only(is_total.clone().not()).alias("__parts"),
            is_total.cast(DataType::Int64).alias("__has_total"),
        ])
        .group_by(by_grade)
        .agg([col("__total").sum(), col("__parts").sum(), col("__has_total").sum()])
        .group_by(KEYS.iter().map(|k| col(*k)).collect::<Vec<_>>())
        .agg([when(col("__has_total").gt(lit(0)))
            .then(col("__total"))
            .otherwise(col("__parts"))
            .sum()
            .alias("__pupils")])
}

/// (places, classes) of a class row, when every value column is a size band with bounds.
fn capacity(t: &Typed, largest: i64) -> Option<(Expr, Expr)> {
    let caps: Vec<(String, i64)> = t
        .values
        .iter()
        .map(|v| {
            let (lo, hi) = v.size_band.as_deref().and_then(crate::tables::band_bounds)?;
            Some((v.name.clone(), if hi == i64::MAX { largest.max(lo) } else { hi }))
        })
        .collect::<Option<_>>()?;
    let count = |n: &str| col(n).cast(DataType::Int64).fill_null(lit(0));
    let places = caps.iter().map(|(n, cap)| count(n) * lit(*cap)).reduce(|a, b| a + b)?;
    let classes = caps.iter().map(|(n, _)| count(n)).reduce(|a, b| a + b)?;
    Some((places, classes))
}

fn over_capacity_message(largest: i64) -> [Expr; 4] {
    let text = |e: Expr| e.cast(DataType::String);
    [
        lit("classes.over_capacity").alias("__rule"),
        lit("(all size bands)").alias("__column"),
        frame::concat_text(vec![text(col("__classes")), lit(" classes")]).alias("__raw"),
        frame::concat_text(vec![
            text(col("__pupils")),
            lit(" pupils are enrolled in this school and stage, but its "),
            text(col("__classes")),
            lit(" classes hold at most "),
            text(col("__capacity")),
            lit(format!(
                " (each class at the top of its size band, an open band at largest_class = {largest})"
            )),
        ])
        .alias("__message"),
    ]
}
