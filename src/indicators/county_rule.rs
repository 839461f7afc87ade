//! County rules: the counties whose values meet every condition (Guangxi's class-size rules,
//! the balance pass rules, pay and spending checks), as a share of the counties with data for
//! every condition. Numerator: counties meeting the rule; denominator: counties with data.

use super::{Hierarchy, ratio};
use crate::error::Result;
use crate::frame::{self, DataFrame, DataType, IntoLazy, LazyFrame, col, first_match, lit, when};
use crate::spec::{Comparator, CountyRuleSpec, Pipeline};

/// Compute one county rule from the county rows of already computed indicators. One flat plan:
/// the rows of every condition's indicator are tested, then counted per county and year.
pub fn compute(
    rule: &CountyRuleSpec,
    indicators: &DataFrame,
    pipeline: &Pipeline,
    hierarchy: &Hierarchy,
) -> Result<LazyFrame> {
    let n = rule.conditions.len() as u32;
    let ids = frame::any_of(
        rule.conditions.iter().map(|c| col("indicator").eq(lit(c.indicator.clone()))).collect(),
    );
    let test = first_match(
        rule.conditions
            .iter()
            .map(|c| {
                let holds = match c.comparator {
                    Comparator::AtMost => col("value").lt_eq(lit(c.value)),
                    _ => col("value").gt_eq(lit(c.value)),
                };
                (col("indicator").eq(lit(c.indicator.clone())), holds)
            })
            .collect(),
        lit(false),
    );
    let per_county = indicators
        .clone()
        .lazy()
        .filter(
            ids.and(col("region_level").eq(lit("county")))
                .and(col("sex").eq(lit("total")))
                .and(col("area").eq(lit("total")))
                .and(col("value").is_not_null()),
        )
        .with_column(test.alias("__ok"))
        .group_by([col("year"), col("region_code").alias("from_code")])
        .agg([
            col("indicator").n_unique().alias("__present"),
            col("__ok").cast(DataType::UInt32).sum().alias("__met"),
        ])
        // A county lacking any condition's value is not counted at all.
        .filter(col("__present").eq(lit(n)));
    let data = per_county.select([
        col("year"),
        col("from_code"),
        when(col("__met").eq(lit(n))).then(lit(1.0)).otherwise(lit(0.0)).alias("__num"),
        lit(1.0).alias("__den"),
        lit(if rule.proxy { 1.0 } else { 0.0 }).alias("__proxy"),
    ]);
    ratio(
        &rule.id,
        "percent",
        100.0,
        data,
        hierarchy,
        pipeline.years,
        &[("__proxy", "proxy_definition")],
    )
}
