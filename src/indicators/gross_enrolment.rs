//! Gross enrolment ratios (docs/methodology.md §3.1, §3.3, §3.4): weighted enrolment of any age over
//! the population of an age band, × 100. Weights are keyed by year in the pipeline file; for
//! higher education the numerator prefers the basis listed first (生源地) and flags the rest.

use super::scope::{count_of, in_years, located};
use super::{Hierarchy, LOW_COVERAGE, flag_if, flags};
use crate::error::Result;
use crate::frame::{
    self, Column, DataFrame, DataType, Expr, IntoLazy, LazyFrame, NULL, col, lit, when,
};
use crate::spec::{GerNumerator, GrossEnrolmentSpec, Pipeline};
use crate::tables::Tables;

/// Compute one gross enrolment ratio for every region, year and sex the data allows.
pub fn compute(
    g: &GrossEnrolmentSpec,
    pipeline: &Pipeline,
    tables: &Tables,
    hierarchy: &Hierarchy,
) -> Result<LazyFrame> {
    let Some(counted) = counted_rows(g, tables) else { return super::empty().map(|d| d.lazy()) };
    let weights = weights_frame(g, pipeline.years)?;
    let numerator = frame::inner_join(
        counted.filter(col("__count").is_not_null()),
        weights.lazy(),
        &["year", "__component"],
    )
    .with_column((col("__count").cast(DataType::Float64) * col("__weight")).alias("__num"));
    let numerator = by_sex(numerator, &["year", "from_code", "__basis"], "__num")?;
    let has_parts = count_of(numerator.clone().filter(col("sex").neq(lit("total"))), "sex")? > 0;
    let mut denominator =
        by_sex(population_rows(g, tables, hierarchy)?, &["year", "from_code"], "__den")?;
    if !has_parts {
        denominator = denominator.filter(col("sex").eq(lit("total")));
    }
    let joined = rolled_up(g, numerator, denominator, hierarchy)?;
    let value = when(col("__den").gt(lit(0.0)))
        .then(col("__num").fill_null(lit(0.0)) / col("__den") * lit(100.0))
        .otherwise(lit(NULL).cast(DataType::Float64));
    let flag_list = flags(vec![
        flag_if(value.clone().gt(lit(100.0)), "over_100"),
        flag_if(col("__den").is_null().or(col("__den").eq(lit(0.0))), "denominator_missing"),
        flag_if(
            col("__basis").is_not_null().and(col("__basis").neq(lit(g.basis[0].clone()))),
            "location_basis",
        ),
        flag_if(col("coverage").fill_null(lit(0.0)).lt(lit(LOW_COVERAGE)), "low_coverage"),
    ])?;
    Ok(joined.filter(in_years(pipeline.years)).select(
        super::Output::new(lit(g.id.clone()), "percent", value)
            .parts(col("__num").fill_null(lit(0.0)).alias("numerator"), col("__den"))
            .flags(flag_list)
            .coverage(col("coverage").fill_null(lit(0.0)))
            .breakdown(col("sex"), lit("total"))
            .columns()?,
    ))
}

/// The counted rows of the numerator: year, from_code, sex, __basis, __component, __count;
/// `None` when the delivery lacks the tables they come from.
fn counted_rows(g: &GrossEnrolmentSpec, tables: &Tables) -> Option<LazyFrame> {
    match g.numerator {
        GerNumerator::Enrolment => {
            let enrolment = frame::lazy(tables.get("enrolment")?);
            Some(located(enrolment, tables)?.select([
                col("year"),
                col("from_code"),
                col("sex"),
                lit(g.basis[0].clone()).alias("__basis"),
                col("stage").alias("__component"),
                col("enrolled").alias("__count"),
            ]))
        }
        GerNumerator::HigherEducation => {
            Some(frame::lazy(tables.get("higher_education")?).select([
                col("year"),
                col("region_code").alias("from_code"),
                col("sex"),
                col("basis").alias("__basis"),
                col("category").alias("__component"),
                col("students").alias("__count"),
            ]))
        }
    }
}

/// The denominator rows: population of the age band (year, from_code, sex, __den), county
/// rows only — population delivered for a city or the province checks the sum of its counties
/// (a quality gate) and is never counted a second time.
fn population_rows(
    g: &GrossEnrolmentSpec,
    tables: &Tables,
    hierarchy: &Hierarchy,
) -> Result<LazyFrame> {
    let Some(p) = tables.get("population") else {
        return Ok(frame::empty_frame(&[
            ("year", DataType::Int32),
            ("from_code", DataType::String),
            ("sex", DataType::String),
            ("__den", DataType::Float64),
        ])?
        .lazy());
    };
    let band = col("age").gt_eq(lit(g.ages.0 as i32)).and(col("age").lt_eq(lit(g.ages.1 as i32)));
    Ok(frame::inner_join(frame::lazy(p), hierarchy.county_codes()?.lazy(), &["region_code"])
        .filter(band)
        .select([
            col("year"),
            col("region_code").alias("from_code"),
            col("sex"),
            col("population").cast(DataType::Float64).alias("__den"),
        ]))
}

/// Numerator and denominator rolled up the hierarchy, the preferred basis chosen per region,
/// year and sex, with the coverage of that basis and the region names.
fn rolled_up(
    g: &GrossEnrolmentSpec,
    numerator: LazyFrame,
    denominator: LazyFrame,
    hierarchy: &Hierarchy,
) -> Result<LazyFrame> {
    let num = hierarchy.roll_up(numerator.clone(), &["year", "sex", "__basis"], &["__num"]);
    let pref = g.basis.iter().enumerate().rev().fold(lit(99i32), |acc, (i, b)| {
        when(col("__basis").eq(lit(b.clone()))).then(lit(i as i32)).otherwise(acc)
    });
    let lowest = col("__pref").min().over([col("year"), col("region_code"), col("sex")])?;
    let num = num.with_column(pref.alias("__pref")).filter(col("__pref").eq(lowest));
    let den = hierarchy.roll_up(denominator, &["year", "sex"], &["__den"]);
    // Coverage of the basis actually used: counties that reported on that basis.
    let reported = numerator.filter(col("sex").eq(lit("total"))).select([
        col("year"),
        col("__basis"),
        col("from_code"),
    ]);
    let coverage = hierarchy.coverage(reported, &["year", "__basis"]);
    let joined = frame::full_join(num, den, &["year", "region_code", "region_level", "sex"]);
    let joined = frame::left_join(joined, coverage, &["year", "__basis", "region_code"]);
    Ok(frame::left_join(joined, hierarchy.names.clone().lazy(), &["region_code"]))
}

/// `year, __component, __weight` for every pipeline year with weights in force.
fn weights_frame(g: &GrossEnrolmentSpec, (first, last): (i32, i32)) -> Result<DataFrame> {
    let (mut years, mut components, mut weights) = (Vec::new(), Vec::new(), Vec::new());
    for year in first..=last {
        for (component, w) in g.weights_for(year).into_iter().flatten() {
            years.push(year);
            components.push(component.clone());
            weights.push(*w);
        }
    }
    frame::frame(vec![
        Column::new("year".into(), years),
        Column::new("__component".into(), components),
        Column::new("__weight".into(), weights),
    ])
}

/// Sum `value` by `keys` and sex: a `total` row from every row, plus `female` / `male` rows
/// from the rows that carry that sex.
fn by_sex(rows: LazyFrame, keys: &[&str], value: &str) -> Result<LazyFrame> {
    let key_exprs: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    let total = rows
        .clone()
        .group_by(key_exprs.clone())
        .agg([col(value).sum()])
        .with_column(lit("total").alias("sex"));
    let mut part_keys = key_exprs;
    part_keys.push(col("sex"));
    let parts =
        rows.filter(col("sex").neq(lit("total"))).group_by(part_keys).agg([col(value).sum()]);
    let order: Vec<Expr> = keys.iter().map(|k| col(*k)).chain([col("sex"), col(value)]).collect();
    frame::concat(vec![total.select(order.clone()), parts.select(order)])
}
