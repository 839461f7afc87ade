//! Cohort indicators (docs/methodology.md §3.2). `retention`: a measure of a stage in year t over a
//! measure in year t − lag (九年义务教育巩固率 = 初中毕业班学生数(t) / 小学招生数(t−8)), optionally
//! with the cohort's transfers (local 巩固率). `survival`: the UIS survival rate to the last
//! grade by the reconstructed-cohort method, the product of grade-to-grade promotion rates
//! (E(t+1, g+1) − R(t+1, g+1)) / E(t, g). Enrolment comes from school-level deliveries located
//! by school and, for region-years without them, from regional (yearbook) tables.

use std::collections::BTreeMap;

use super::scope::{self, summed};
use super::{Hierarchy, flag_if, flags, ratio};
use crate::error::Result;
use crate::frame::{self, Column, DataFrame, DataType, IntoLazy, LazyFrame, NULL, col, lit, when};
use crate::spec::{Pipeline, RetentionSpec, SurvivalSpec};
use crate::tables::Tables;

use crate::tables::ENROLMENT_MEASURES as MEASURES;

/// Enrolment per `year, from_code, stage, grade`: school-level rows located by their school, plus
/// regional rows for (year, region, stage) that have no school-level data.
fn enrolment_view(tables: &Tables) -> Result<Option<LazyFrame>> {
    let keys = [col("year"), col("from_code"), col("stage"), col("grade")];
    let mut parts = Vec::new();
    if let Some(school) = scope::enrolment_by_grade(tables) {
        parts.push(frame::shared(school));
    }
    if let Some(regional) = tables.get("regional_enrolment") {
        let regional = regional
            .clone()
            .lazy()
            .with_column(col("region_code").alias("from_code"))
            .group_by(keys)
            .agg(MEASURES.iter().map(|m| summed(m)).collect::<Vec<_>>());
        let regional = match parts.first() {
            Some(school) => frame::anti_join(
                regional,
                frame::distinct(school.clone().select([
                    col("year"),
                    col("from_code"),
                    col("stage"),
                ])),
                &["year", "from_code", "stage"],
            ),
            None => regional,
        };
        parts.push(regional);
    }
    if parts.is_empty() {
        return Ok(None);
    }
    Ok(Some(frame::shared(frame::concat(parts)?)))
}

/// A measure of a stage per year and region (all grades summed).
fn stage_measure(view: &LazyFrame, stage: &str, measure: &str, alias: &str) -> LazyFrame {
    view.clone()
        .filter(col("stage").eq(lit(stage.to_string())).and(col(measure).is_not_null()))
        .group_by([col("year"), col("from_code")])
        .agg([col(measure).sum().alias(alias)])
}

/// A cohort ratio for every region and reported year, percent.
pub fn retention(
    spec: &RetentionSpec,
    pipeline: &Pipeline,
    tables: &Tables,
    hierarchy: &Hierarchy,
) -> Result<LazyFrame> {
    let Some(view) = enrolment_view(tables)? else { return super::empty().map(|d| d.lazy()) };
    let (first, last) = pipeline.years;
    let num = stage_measure(&view, &spec.numerator.0, &spec.numerator.1, "__num")
        .filter(scope::in_years((first, last)));
    // The cohort's starting point, moved to the year it is compared with.
    let den = stage_measure(&view, &spec.denominator.0, &spec.denominator.1, "__start")
        .with_column((col("year") + lit(spec.lag)).alias("year"));
    // A missing start is flagged, not dropped; a start without its end is unpaired too.
    let mut data = frame::full_join(num, den, &["year", "from_code"]);
    let mut count_flags: Vec<(&str, &str)> = vec![("__entry_missing", "entry_year_missing")];
    if spec.adjust_transfers {
        // Net transfers of the cohort's stage in the years t − lag + 1 ..= t.
        let stage = spec.denominator.0.clone();
        let net = view.filter(col("stage").eq(lit(stage))).select([
            col("year"),
            col("from_code"),
            (col("transfers_in").fill_null(lit(0.0)) - col("transfers_out").fill_null(lit(0.0)))
                .alias("__net"),
            (col("transfers_in").is_not_null().or(col("transfers_out").is_not_null()))
                .cast(DataType::Float64)
                .alias("__reported"),
        ]);
        let mut windows = Vec::new();
        for t in first..=last {
            windows.push(
                net.clone()
                    .filter(col("year").gt(lit(t - spec.lag)).and(col("year").lt_eq(lit(t))))
                    .group_by([col("from_code")])
                    .agg([col("__net").sum(), col("__reported").sum()])
                    .with_column(lit(t).alias("year")),
            );
        }
        data = frame::left_join(data, frame::concat(windows)?, &["year", "from_code"]);
        data = data.with_columns([
            (col("__start") + col("__net").fill_null(lit(0.0))).alias("__start"),
            when(col("__reported").fill_null(lit(0.0)).gt(lit(0.0)))
                .then(lit(0.0))
                .otherwise(lit(1.0))
                .alias("__transfers_missing"),
        ]);
        count_flags.push(("__transfers_missing", "transfers_missing"));
    }
    let data = data.select([
        col("year"),
        col("from_code"),
        lit("total").alias("area"),
        col("__num"),
        col("__start").alias("__den"),
        when(col("__start").is_null().and(col("__num").is_not_null()))
            .then(lit(1.0))
            .otherwise(lit(0.0))
            .alias("__entry_missing"),
        if spec.adjust_transfers {
            col("__transfers_missing")
        } else {
            lit(0.0).alias("__transfers_missing")
        },
    ]);
    ratio(&spec.id, "percent", 100.0, data, hierarchy, pipeline.years, &count_flags)
}

/// The reconstructed-cohort survival rate for every region and reported year t that has t + 1.
pub fn survival(
    spec: &SurvivalSpec,
    pipeline: &Pipeline,
    tables: &Tables,
    hierarchy: &Hierarchy,
) -> Result<LazyFrame> {
    let Some(view) = enrolment_view(tables)? else { return super::empty().map(|d| d.lazy()) };
    // Global grade index: the stages' grades one after another (primary 1–6, junior 7–9).
    let mut offset = 0;
    let mut index = Vec::new();
    for (stage, grades) in &spec.stages {
        let of_stage = col("stage").eq(lit(stage.clone()));
        let in_grades = col("grade").gt_eq(lit(1)).and(col("grade").lt_eq(lit(*grades)));
        index.push((of_stage.and(in_grades), col("grade") + lit(offset)));
        offset += grades;
    }
    let total_grades = offset;
    let rows = view
        .with_column(frame::first_match(index, lit(NULL).cast(DataType::Int32)).alias("__g"))
        .filter(col("__g").is_not_null().and(col("enrolled").is_not_null()))
        .select([
            col("year"),
            col("from_code"),
            col("__g"),
            col("enrolled").alias("__e"),
            col("repeaters").alias("__r"),
        ]);
    let reported_repeaters = scope::count_of(rows.clone(), "__r")? > 0;
    let rolled = hierarchy.roll_up(
        paired_transitions(rows),
        &["year", "__g"],
        &["__e", "__e_next", "__r_next"],
    );
    let rates = transition_rates(rolled, total_grades, pipeline.years)?;
    let out = cohort_products(&rates, total_grades)?;
    let out = frame::left_join(out.lazy(), hierarchy.names.clone().lazy(), &["region_code"]);
    let flagged = flags(vec![
        flag_if(col("value").gt(lit(100.0)), "over_100"),
        flag_if(lit(!reported_repeaters), "repeaters_missing"),
    ])?;
    Ok(out.select(
        super::Output::new(lit(spec.id.clone()), "percent", col("value"))
            .flags(flagged)
            .columns()?,
    ))
}

/// Each reporting unit's grade g in year t beside its grade g + 1 in year t + 1: only units
/// that reported both enter a region's promotion rate (one late county must not read as
/// drop-outs). Rows: `year, from_code, __g, __e, __e_next, __r_next`.
fn paired_transitions(rows: LazyFrame) -> LazyFrame {
    let next = rows.clone().select([
        (col("year") - lit(1)).alias("year"),
        col("from_code"),
        (col("__g") - lit(1)).alias("__g"),
        col("__e").alias("__e_next"),
        col("__r").alias("__r_next"),
    ]);
    frame::inner_join(rows, next, &["year", "from_code", "__g"]).select([
        col("year"),
        col("from_code"),
        col("__g"),
        col("__e"),
        col("__e_next"),
        col("__r_next"),
    ])
}

/// Per region, reported year and grade g < the last: the share of grade g in year t found in
/// grade g + 1 in year t + 1, less its repeaters (`__p`), sorted by year, region and grade.
fn transition_rates(rolled: LazyFrame, total_grades: i32, years: (i32, i32)) -> Result<DataFrame> {
    let promoted = (col("__e_next") - col("__r_next").fill_null(lit(0.0))) / col("__e");
    // Sorted, so that the product is taken in grade order: repeatable to the last bit.
    frame::collect(frame::sort_by(
        rolled.filter(col("__g").lt(lit(total_grades)).and(scope::in_years(years))).select([
            col("year"),
            col("region_code"),
            col("region_level"),
            promoted.alias("__p"),
            col("__g"),
        ]),
        &["year", "region_code", "__g"],
    ))
}

/// The product over the grade transitions per region and year (a few thousand rows), × 100,
/// for the region-years with every transition: year, region_code, region_level, value.
fn cohort_products(rates: &DataFrame, total_grades: i32) -> Result<DataFrame> {
    let years = frame::ints(rates, "year")?;
    let codes = frame::texts(rates, "region_code")?;
    let levels = frame::texts(rates, "region_level")?;
    let ps = frame::floats(rates, "__p")?;
    let mut product: BTreeMap<(i32, String, String), (f64, i32)> = BTreeMap::new();
    for i in 0..rates.height() {
        if let (Some(y), Some(c), Some(l), Some(p)) = (years[i], &codes[i], &levels[i], ps[i]) {
            let e = product.entry((y as i32, c.clone(), l.clone())).or_insert((1.0, 0));
            e.0 *= p;
            e.1 += 1;
        }
    }
    let complete: Vec<(&(i32, String, String), f64)> = product
        .iter()
        .filter(|(_, (_, n))| *n == total_grades - 1)
        .map(|(k, (p, _))| (k, *p * 100.0))
        .collect();
    frame::frame(vec![
        Column::new("year".into(), complete.iter().map(|(k, _)| k.0).collect::<Vec<_>>()),
        Column::new(
            "region_code".into(),
            complete.iter().map(|(k, _)| k.1.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "region_level".into(),
            complete.iter().map(|(k, _)| k.2.clone()).collect::<Vec<_>>(),
        ),
        Column::new("value".into(), complete.iter().map(|(_, v)| *v).collect::<Vec<_>>()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transition_needs_both_years_of_the_same_unit() {
        // A: grade 1 of 2019 = 100, grade 2 of 2020 = 90. B: grade 1 of 2019 = 50, no 2020
        // delivery. Only A's pair enters: the region's rate is 90 / 100 = 0.9, not
        // 90 / (100 + 50) = 0.6 (B's late file read as 50 drop-outs).
        let rows = frame::frame(vec![
            Column::new("year".into(), vec![2019i32, 2020, 2019]),
            Column::new("from_code".into(), vec!["A", "A", "B"]),
            Column::new("__g".into(), vec![1i32, 2, 1]),
            Column::new("__e".into(), vec![100.0, 90.0, 50.0]),
            Column::new("__r".into(), vec![None::<f64>, None, None]),
        ])
        .unwrap();
        let paired = frame::collect(paired_transitions(rows.lazy())).unwrap();
        assert_eq!(paired.height(), 1);
        assert_eq!(frame::texts(&paired, "from_code").unwrap(), vec![Some("A".to_string())]);
        assert_eq!(frame::floats(&paired, "__e").unwrap(), vec![Some(100.0)]);
        assert_eq!(frame::floats(&paired, "__e_next").unwrap(), vec![Some(90.0)]);
    }
}
