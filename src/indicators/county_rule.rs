//! County rules: the counties whose values meet every condition (Guangxi's class-size rules,
//! later the balance pass rules), as a share of the counties with data for every condition.
//! Numerator: counties meeting the rule; denominator: counties with data.

use super::{Hierarchy, ratio};
use crate::error::Result;
use crate::frame::{self, DataFrame, DataType, Expr, IntoLazy, LazyFrame, col, lit, when};
use crate::spec::{CountyRuleSpec, Pipeline};

/// Compute one county rule from the county rows of already computed indicators.
pub fn compute(rule: &CountyRuleSpec, indicators: &DataFrame, pipeline: &Pipeline, hierarchy: &Hierarchy) -> Result<LazyFrame> {
    let county = |id: &str| {
        indicators
            .clone()
            .lazy()
            .filter(
                col("indicator")
                    .eq(lit(id.to_string()))
                    .and(col("region_level").eq(lit("county")))
                    .and(col("sex").eq(lit("total")))
                    .and(col("area").eq(lit("total")))
                    .and(col("value").is_not_null()),
            )
    };
    // One boolean column per condition, joined on (year, county): a county lacking any value drops out.
    let mut joined: Option<LazyFrame> = None;
    let mut met: Vec<Expr> = Vec::new();
    for (i, (id, comparator, value)) in rule.conditions.iter().enumerate() {
        let name = format!("__ok{i}");
        let test = if comparator == "<=" { col("value").lt_eq(lit(*value)) } else { col("value").gt_eq(lit(*value)) };
        let part = county(id).select([col("year"), col("region_code").alias("from_code"), test.alias(&name)]);
        joined = Some(match joined {
            None => part,
            Some(j) => frame::inner_join(j, part, &["year", "from_code"]),
        });
        met.push(col(name.as_str()));
    }
    let Some(joined) = joined else {
        return super::empty().map(|d| d.lazy());
    };
    let all = met.into_iter().reduce(|a, b| a.and(b)).unwrap_or(lit(false));
    let data = joined.select([
        col("year"),
        col("from_code"),
        when(all).then(lit(1.0)).otherwise(lit(0.0)).cast(DataType::Float64).alias("__num"),
        lit(1.0).alias("__den"),
    ]);
    ratio(&rule.id, "percent", 100.0, data, hierarchy, pipeline.years, &[])
}
