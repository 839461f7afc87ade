//! Counted targets ("N of kind K by 2020", docs/methodology.md §1a): projects from the register,
//! cumulative from the plan period's first year, for every region. Before that year the
//! cumulative count is 0, so the baseline of a counted target is 0.

use super::{Hierarchy, totals};
use crate::error::Result;
use crate::frame::{self, DataType, IntoLazy, LazyFrame, col, lit};
use crate::spec::{CountSpec, Pipeline};
use crate::tables::Tables;

/// Compute one counted indicator for every current region and pipeline year.
pub fn compute(
    c: &CountSpec,
    pipeline: &Pipeline,
    tables: &Tables,
    hierarchy: &Hierarchy,
) -> Result<LazyFrame> {
    let (first, last) = pipeline.years;
    let yearly = match tables.get("projects") {
        Some(projects) => {
            let kinds = crate::frame::any_of(
                c.kinds.iter().map(|k| col("kind").eq(lit(k.clone()))).collect(),
            );
            projects
                .clone()
                .lazy()
                .filter(
                    kinds.and(col("year").gt_eq(lit(c.from_year))).and(col("count").is_not_null()),
                )
                .select([
                    col("year"),
                    col("region_code").alias("from_code"),
                    col("count").cast(DataType::Float64).alias("__n"),
                ])
        }
        None => frame::empty_frame(&[
            ("year", DataType::Int32),
            ("from_code", DataType::String),
            ("__n", DataType::Float64),
        ])?
        .lazy(),
    };
    // Cumulative: for each year t, the sum over from_year ..= t.
    let mut cumulative = Vec::new();
    for t in first..=last {
        cumulative.push(yearly.clone().filter(col("year").lt_eq(lit(t))).select([
            lit(t).alias("year"),
            col("from_code"),
            col("__n"),
        ]));
    }
    totals(&c.id, "count", frame::concat(cumulative)?, hierarchy, pipeline.years)
}
