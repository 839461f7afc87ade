//! Counted targets ("N of kind K by 2020", docs/methodology.md §1a): projects from the register,
//! cumulative from the plan period's first year, for every region. The register is the
//! province's complete list, so a region with no project of the kinds counts 0 — in the years
//! the register was delivered for. A cumulative count needs every year from `from_year` on:
//! without one of them there is no value. Before `from_year` the count is 0, so the baseline
//! of a counted target is 0.

use std::collections::BTreeSet;

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
    let Some(projects) = tables.get("projects") else { return super::empty().map(|d| d.lazy()) };
    let (first, last) = pipeline.years;
    let kinds =
        crate::frame::any_of(c.kinds.iter().map(|k| col("kind").eq(lit(k.clone()))).collect());
    let yearly = projects
        .clone()
        .lazy()
        .filter(kinds.and(col("year").gt_eq(lit(c.from_year))).and(col("count").is_not_null()))
        .select([
            col("year"),
            col("region_code").alias("from_code"),
            col("count").cast(DataType::Float64).alias("__n"),
        ]);
    let delivered = frame::collect(frame::distinct(projects.clone().lazy().select([col("year")])))?;
    let delivered: BTreeSet<i64> = frame::ints(&delivered, "year")?.into_iter().flatten().collect();
    let counties = hierarchy.units();
    // Cumulative: for each year t, the sum over from_year ..= t, and 0 for every county.
    let mut cumulative = Vec::new();
    for t in first..=last {
        let complete = (c.from_year..=t).all(|y| delivered.contains(&i64::from(y)));
        if t >= c.from_year && !complete {
            continue;
        }
        cumulative.push(yearly.clone().filter(col("year").lt_eq(lit(t))).select([
            lit(t).alias("year"),
            col("from_code"),
            col("__n"),
        ]));
        cumulative.push(counties.clone().filter(col("year").eq(lit(t))).select([
            col("year"),
            col("region_code").alias("from_code"),
            lit(0.0).alias("__n"),
        ]));
    }
    if cumulative.is_empty() {
        return super::empty().map(|d| d.lazy());
    }
    totals(&c.id, "count", frame::concat(cumulative)?, hierarchy, pipeline.years)
}
