//! What rows an indicator covers, shared by every family: school-level rows located in their
//! county through the register, the stages in scope, the reported years; sums that stay null
//! over nothing reported; and the count of values in a plan.

use crate::error::Result;
use crate::frame::{self, DataType, Expr, LazyFrame, NULL, col, lit, when};
use crate::tables::Tables;

/// The register's `year, school_id, from_code` (the school's county), if there is a register.
pub fn school_counties(tables: &Tables) -> Option<LazyFrame> {
    let schools = tables.get("schools")?;
    Some(frame::lazy(schools).select([
        col("year"),
        col("school_id"),
        col("region_code").alias("from_code"),
    ]))
}

/// `year, from_code` of every county with schools in that year's register: the counties that
/// delivered, whose count of schools meeting a condition is a number even where it is 0.
pub fn register_counties(tables: &Tables) -> Option<LazyFrame> {
    Some(frame::distinct(school_counties(tables)?.select([col("year"), col("from_code")])))
}

/// School-level `rows` (keyed by `year, school_id`) with the county of their school as
/// `from_code`; rows of schools missing from that year's register drop out (ingest has already
/// quarantined them).
pub fn located(rows: LazyFrame, tables: &Tables) -> Option<LazyFrame> {
    Some(frame::inner_join(rows, school_counties(tables)?, &["year", "school_id"]))
}

/// True for rows of one of `stages`.
pub fn of_stages(stages: &[String]) -> Expr {
    frame::any_of(stages.iter().map(|s| col("stage").eq(lit(s.clone()))).collect())
}

/// True for rows of the reported years `(first, last)`.
pub fn in_years((first, last): (i32, i32)) -> Expr {
    col("year").gt_eq(lit(first)).and(col("year").lt_eq(lit(last)))
}

/// Sum of `measure` as f64 that stays null when no row carried it (missing is not zero).
pub fn summed(measure: &str) -> Expr {
    when(col(measure).count().gt(lit(0u32)))
        .then(col(measure).cast(DataType::Float64).sum())
        .otherwise(lit(NULL).cast(DataType::Float64))
        .alias(measure)
}

/// Non-null values of `column` in the rows of `plan`, computed.
pub fn count_of(plan: LazyFrame, column: &str) -> Result<u64> {
    let counted = frame::collect(plan.select([col(column).count().alias("__n")]))?;
    Ok(frame::first_int(&counted, "__n")?.unwrap_or(0) as u64)
}
