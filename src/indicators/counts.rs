//! Counted targets ("N of kind K by 2020", METHODOLOGY §1a): projects from the register,
//! cumulative from the plan period's first year, for every region. Before that year the
//! cumulative count is 0, so the baseline of a counted target is 0.

use super::Hierarchy;
use crate::error::Result;
use crate::frame::{self, Column, DataType, Expr, IntoLazy, LazyFrame, NULL, col, lit};
use crate::ingest::Ingested;
use crate::spec::{CountSpec, Pipeline};

/// Compute one counted indicator for every current region and pipeline year.
pub fn compute(c: &CountSpec, pipeline: &Pipeline, ingested: &Ingested, hierarchy: &Hierarchy) -> Result<LazyFrame> {
    let (first, last) = pipeline.years;
    // Every current region, every year: counts default to 0 where nothing was reported.
    let regions = frame::collect(frame::distinct(hierarchy.rollup.clone().lazy().select([col("region_code"), col("region_level")])))?;
    let (codes, levels) = (regions.column("region_code")?.str()?.clone(), regions.column("region_level")?.str()?.clone());
    let (mut g_year, mut g_code, mut g_level) = (Vec::new(), Vec::new(), Vec::new());
    for year in first..=last {
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

    let yearly = match ingested.tables.get("projects") {
        Some(projects) => {
            let kinds = c.kinds.iter().fold(lit(false), |acc, k| acc.or(col("kind").eq(lit(k.clone()))));
            let rows = projects
                .clone()
                .lazy()
                .filter(kinds.and(col("year").gt_eq(lit(c.from_year))).and(col("count").is_not_null()))
                .select([col("year"), col("region_code").alias("from_code"), col("count").cast(DataType::Float64).alias("__n")]);
            hierarchy.roll_up(rows, &["year"], &["__n"])
        }
        None => frame::empty_frame(&[("year", DataType::Int32), ("region_code", DataType::String), ("region_level", DataType::String), ("__n", DataType::Float64)])?.lazy(),
    };
    // Cumulative: for each year t, the sum over from_year ..= t.
    let mut cumulative = Vec::new();
    for t in first..=last {
        cumulative.push(
            yearly
                .clone()
                .filter(col("year").lt_eq(lit(t)))
                .group_by([col("region_code")])
                .agg([col("__n").sum().alias("__cum")])
                .with_column(lit(t).alias("year")),
        );
    }
    let cumulative = frame::concat(cumulative)?;
    let joined = frame::left_join(grid, cumulative, &["year", "region_code"]);
    let joined = frame::left_join(joined, hierarchy.names.clone().lazy(), &["region_code"]);
    let no_flags: Expr = lit(NULL).cast(DataType::List(Box::new(DataType::String)));
    Ok(joined.select([
        lit(c.id.clone()).alias("indicator"),
        col("year"),
        col("region_code"),
        col("region_level"),
        col("region_name"),
        lit("total").alias("sex"),
        lit("total").alias("area"),
        col("__cum").fill_null(lit(0.0)).alias("value"),
        lit(NULL).cast(DataType::Float64).alias("numerator"),
        lit(NULL).cast(DataType::Float64).alias("denominator"),
        lit("count").alias("unit"),
        super::flags(vec![])?.fill_null(no_flags.clone()).alias("flags"),
        lit(NULL).cast(DataType::Float64).alias("coverage"),
    ]))
}
