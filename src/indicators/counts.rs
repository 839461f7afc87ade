//! Counted targets ("N of kind K by 2020", METHODOLOGY §1a): projects from the register,
//! cumulative from the plan period's first year, for every region. Before that year the
//! cumulative count is 0, so the baseline of a counted target is 0.

use super::Hierarchy;
use crate::error::Result;
use crate::frame::{self, Column, DataType, IntoLazy, LazyFrame, col, lit};
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

/// Rows of a summed quantity for every current region and year, 0 where nothing was reported:
/// `data` has `year, from_code, __n` (f64). No numerator, denominator or coverage.
pub fn totals(
    id: &str,
    unit: &str,
    data: LazyFrame,
    hierarchy: &Hierarchy,
    years: (i32, i32),
) -> Result<LazyFrame> {
    let regions = frame::collect(frame::distinct(
        hierarchy.rollup.clone().lazy().select([col("region_code"), col("region_level")]),
    ))?;
    let (codes, levels) = (
        regions.column("region_code")?.str()?.clone(),
        regions.column("region_level")?.str()?.clone(),
    );
    let (mut g_year, mut g_code, mut g_level) = (Vec::new(), Vec::new(), Vec::new());
    for year in years.0..=years.1 {
        for i in 0..regions.height() {
            g_year.push(year);
            g_code.push(codes.get(i).map(str::to_string));
            g_level.push(levels.get(i).map(str::to_string));
        }
    }
    let grid = frame::frame(vec![
        Column::new("year".into(), g_year),
        Column::new("region_code".into(), g_code),
        Column::new("region_level".into(), g_level),
    ])?
    .lazy();
    let rolled = hierarchy.roll_up(data, &["year"], &["__n"]).select([
        col("year"),
        col("region_code"),
        col("__n"),
    ]);
    let joined = frame::left_join(grid, rolled, &["year", "region_code"]);
    let joined = frame::left_join(joined, hierarchy.names.clone().lazy(), &["region_code"]);
    Ok(joined.select(
        super::Output::new(lit(id.to_string()), unit, col("__n").fill_null(lit(0.0))).columns()?,
    ))
}
