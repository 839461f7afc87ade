//! County rules: the counties whose values meet every condition (Guangxi's class-size rules,
//! the balance pass rules, pay and spending checks), as a share of the counties known.
//! Numerator: counties meeting the rule; denominator: counties with a value for every
//! condition. A county lacking a value for some condition is unknown: its row has no value
//! (flagged `condition_unknown`) and it is left out of every region above it, whose coverage
//! shows it. Rows carry the `INHERITED` flags of the values they were decided on.

use super::{Hierarchy, flag_if, flags, inherited_columns, inherited_flags, keyed_ratio};
use crate::error::Result;
use crate::frame::{
    self, DataFrame, DataType, Expr, IntoLazy, LazyFrame, NULL, col, first_match, lit, when,
};
use crate::spec::{Comparator, CountyRuleSpec, Pipeline};

/// Compute the county rules `rules` from the county rows of already computed indicators: the
/// rows of every condition's indicator tested, then counted per county and year; the counties
/// decided of every rule rolled up in one plan keyed by the rule's id.
pub fn compute_all(
    rules: &[&CountyRuleSpec],
    indicators: &DataFrame,
    pipeline: &Pipeline,
    hierarchy: &Hierarchy,
) -> Result<Vec<LazyFrame>> {
    let columns = inherited_columns();
    let count_flags: Vec<(&str, &str)> = columns.iter().map(|(c, f)| (c.as_str(), *f)).collect();
    let (mut decided, mut out) = (Vec::new(), Vec::new());
    for rule in rules {
        let (per_county, known) = per_county(rule, indicators, hierarchy);
        let mut data: Vec<Expr> = vec![
            col("year"),
            col("from_code"),
            lit("total").alias("area"),
            when(col("__met").eq(lit(known.1))).then(lit(1.0)).otherwise(lit(0.0)).alias("__num"),
            lit(1.0).alias("__den"),
        ];
        data.extend(columns.iter().map(|(c, _)| col(c.as_str())));
        decided.push((rule.id.clone(), per_county.clone().filter(known.0.clone()).select(data)));
        let unknown =
            unknown_rows(rule, per_county.filter(known.0.not()), hierarchy, &count_flags)?;
        out.push(unknown.filter(super::scope::in_years(pipeline.years)));
    }
    let how = (("percent", 100.0), &count_flags[..]);
    if let Some(decided) = keyed_ratio(decided, how, hierarchy, pipeline.years)? {
        out.insert(0, decided);
    }
    Ok(out)
}

/// One rule's tests counted per county and year (`__present`: conditions with a value,
/// `__met`: conditions met, and the inherited flags), and what makes a county known (a value
/// for each of the rule's conditions, of which there are the number given).
fn per_county(
    rule: &CountyRuleSpec,
    indicators: &DataFrame,
    hierarchy: &Hierarchy,
) -> (LazyFrame, (Expr, u32)) {
    let n = rule.conditions.len() as u32;
    let ids = frame::any_of(
        rule.conditions.iter().map(|c| col("indicator").eq(lit(c.indicator.clone()))).collect(),
    );
    let inputs = indicators
        .clone()
        .lazy()
        .filter(
            ids.and(col("region_level").eq(lit(hierarchy.base.clone())))
                .and(col("sex").eq(lit("total")))
                .and(col("area").eq(lit("total"))),
        )
        .with_column(col("region_code").alias("from_code"));
    let per_county = inputs
        .clone()
        .with_column(test(rule).alias("__ok"))
        .group_by([col("year"), col("from_code")])
        .agg([
            col("indicator").filter(col("value").is_not_null()).n_unique().alias("__present"),
            col("__ok").cast(DataType::UInt32).sum().alias("__met"),
        ]);
    let inherited = inherited_flags(inputs, &["year", "from_code"]);
    let mut per_county = frame::left_join(per_county, inherited, &["year", "from_code"]);
    if rule.proxy {
        per_county = per_county.with_column(lit(1.0).alias("__f_proxy_definition"));
    }
    (per_county, (col("__present").eq(lit(n)), n))
}

/// True where a row meets its condition; null where its value is null.
fn test(rule: &CountyRuleSpec) -> Expr {
    first_match(
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
    )
}

/// County rows of the counties lacking a value for some condition: no value, no parts.
fn unknown_rows(
    rule: &CountyRuleSpec,
    counties: LazyFrame,
    hierarchy: &Hierarchy,
    inherited: &[(&str, &str)],
) -> Result<LazyFrame> {
    let named = frame::left_join(
        counties.with_column(col("from_code").alias("region_code")),
        hierarchy.names.clone().lazy(),
        &["region_code"],
    );
    let mut candidates = vec![flag_if(lit(true), "condition_unknown")];
    candidates.extend(
        inherited.iter().map(|(c, f)| flag_if(col(*c).fill_null(lit(0.0)).gt(lit(0.0)), f)),
    );
    let null = || lit(NULL).cast(DataType::Float64);
    Ok(named.select(
        super::Output::new(lit(rule.id.clone()), "percent", null())
            .flags(flags(candidates)?)
            .coverage(lit(0.0))
            .level(lit(hierarchy.base.clone()))
            .columns()?,
    ))
}
