//! Indicators read from the school register (docs/methodology.md §7, §8.1, §8.6): shares of schools, or
//! of their pupils, meeting conditions (普惠 coverage, public share, broadband, the
//! standardization proxy), counts of such schools, sums of register columns (multimedia
//! classrooms) and township coverage (乡镇 with a public central kindergarten). A condition
//! whose value is missing is not met: what a school did not report is not proven.

use std::collections::BTreeSet;

use super::{Hierarchy, ratio, scope, totals};
use crate::error::Result;
use crate::frame::{self, Column, DataType, Expr, IntoLazy, LazyFrame, NULL, col, lit, when};
use crate::spec::{Pipeline, SchoolShareSpec, SchoolTotalSpec, TownshipCoverageSpec};
use crate::tables::Tables;
use crate::tables::band_bounds;

/// The expression for one condition over the school frame.
fn condition(name: &str) -> Expr {
    match name {
        "public" => col("ownership").eq(lit("public")).fill_null(lit(false)),
        "demonstration" => col("demonstration_level").is_not_null(),
        "multimedia" => col("multimedia_classrooms").fill_null(lit(0i64)).gt_eq(lit(1i64)),
        "beds_for_boarders" => col("boarders")
            .fill_null(lit(0i64))
            .eq(lit(0i64))
            .or(col("beds").fill_null(lit(0i64)).gt_eq(col("boarders"))),
        "no_dangerous_building" => col("dangerous_building_d").eq(lit(false)).fill_null(lit(false)),
        "no_super_large_class" => col("__no_super_large"),
        flag => col(flag).fill_null(lit(false)),
    }
}

fn all_of(names: &[String]) -> Expr {
    crate::frame::all_of(names.iter().map(|n| condition(n)).collect())
}

fn any_of(names: &[String]) -> Expr {
    if names.is_empty() {
        lit(true)
    } else {
        crate::frame::any_of(names.iter().map(|n| condition(n)).collect())
    }
}

fn kind_filter(kinds: &[String]) -> Expr {
    crate::frame::any_of(kinds.iter().map(|k| col("kind").eq(lit(k.clone()))).collect())
}

/// The register with `from_code`, `__no_super_large` and `__straddling`: the school reported
/// classes and none of them is in a band starting at `super_large_from` pupils or above, nor in
/// a band across it ("61-70" against 66: not proven, and counted in `__straddling`). False when
/// no cut-off is declared, which only pipelines that never test the condition do.
fn school_frame(tables: &Tables, super_large_from: Option<i64>) -> Result<Option<LazyFrame>> {
    let Some(schools) = tables.get("schools") else { return Ok(None) };
    let schools = schools.clone().lazy().with_column(col("region_code").alias("from_code"));
    let (Some(classes), Some(cut_off)) = (tables.get("classes"), super_large_from) else {
        return Ok(Some(schools.with_columns([
            lit(false).alias("__no_super_large"),
            lit(0.0).alias("__straddling"),
        ])));
    };
    let labels =
        frame::collect(frame::distinct(classes.clone().lazy().select([col("size_band")])))?;
    let labels: Vec<String> = frame::texts(&labels, "size_band")?.into_iter().flatten().collect();
    let bands_where = |holds: &dyn Fn(i64, i64) -> bool| -> Expr {
        let of: BTreeSet<&String> = labels
            .iter()
            .filter(|l| band_bounds(l).is_some_and(|(lo, hi)| holds(lo, hi)))
            .collect();
        crate::frame::any_of(of.iter().map(|b| col("size_band").eq(lit(b.to_string()))).collect())
    };
    let super_band = bands_where(&|lo, _| lo >= cut_off);
    let across = bands_where(&|lo, hi| lo < cut_off && hi >= cut_off);
    // Masked as columns first: masked sums inside a group-by are far slower.
    let only =
        |mask: Expr| when(mask).then(col("classes")).otherwise(lit(NULL).cast(DataType::Int64));
    let per_school = classes
        .clone()
        .lazy()
        .with_columns([only(super_band).alias("__super"), only(across).alias("__across")])
        .group_by([col("year"), col("school_id")])
        .agg([col("__super").sum(), col("__across").sum(), col("classes").sum().alias("__all")])
        .select([
            col("year"),
            col("school_id"),
            (col("__super").fill_null(lit(0i64)) + col("__across").fill_null(lit(0i64)))
                .eq(lit(0i64))
                .and(col("__all").gt(lit(0i64)))
                .alias("__no_super_large"),
            col("__across")
                .fill_null(lit(0i64))
                .gt(lit(0i64))
                .cast(DataType::Float64)
                .alias("__straddling"),
        ]);
    Ok(Some(frame::left_join(schools, per_school, &["year", "school_id"]).with_columns([
        col("__no_super_large").fill_null(lit(false)),
        col("__straddling").fill_null(lit(0.0)),
    ])))
}

/// Shares of schools (or pupils) meeting the conditions, percent, and the counts some of them
/// also publish: every share of `specs` in one plan, keyed by its id (a plan each cost the
/// roll-up, coverage and flags once per indicator).
pub fn shares(
    specs: &[&SchoolShareSpec],
    pipeline: &Pipeline,
    tables: &Tables,
    hierarchy: &Hierarchy,
) -> Result<Vec<LazyFrame>> {
    let (mut data, mut counted) = (Vec::new(), Vec::new());
    for spec in specs {
        let Some(per_school) = per_school(spec, tables)? else { continue };
        let per_school = frame::shared(per_school);
        let keyed = per_school.clone().with_column(lit(spec.id.clone()).alias("__id"));
        data.push(scope::by_area(
            keyed,
            &["__id", "year", "from_code"],
            vec![
                col("__num").sum(),
                col("__den").sum(),
                col("__proxy").sum(),
                col("__straddling").sum(),
            ],
            &["__num", "__den", "__proxy", "__straddling"],
            pipeline.by_area,
        ));
        if let Some(count_id) = &spec.count_id {
            let rows = per_school.select([col("year"), col("from_code"), col("__n")]);
            let rows = with_register_zeros(rows, tables)?;
            counted.push(rows.with_column(lit(count_id.clone()).alias("__id")));
        }
    }
    let mut out = Vec::new();
    if !data.is_empty() {
        let flags = [("__proxy", "proxy_definition"), ("__straddling", "band_straddles_cutoff")];
        let data = frame::concat(data)?;
        out.push(super::ratio_by_id(("percent", 100.0), data, hierarchy, pipeline.years, &flags)?);
    }
    if !counted.is_empty() {
        let counted = frame::concat(counted)?;
        out.push(super::totals_by_id("count", counted, hierarchy, pipeline.years)?);
    }
    if out.is_empty() {
        out.push(super::empty()?.lazy());
    }
    Ok(out)
}

/// One share's schools in scope (`year, from_code, area`), each with its weight met
/// (`__num`), its weight (`__den`), whether it meets the conditions (`__n`), `__proxy` and
/// `__straddling`. `None` without a register, or without enrolment for a share of pupils.
fn per_school(spec: &SchoolShareSpec, tables: &Tables) -> Result<Option<LazyFrame>> {
    let Some(schools) = school_frame(tables, spec.conditions.super_large_from)? else {
        return Ok(None);
    };
    let scoped = schools.filter(kind_filter(&spec.kinds));
    let weighted = if spec.pupil_stages.is_empty() {
        scoped.with_column(lit(1.0).alias("__w"))
    } else {
        let Some(pupils) = scope::pupils_by_school(tables) else { return Ok(None) };
        let pupils = pupils
            .filter(scope::of_stages(&spec.pupil_stages))
            .group_by([col("year"), col("school_id")])
            .agg([col("__p").sum().alias("__w")]);
        frame::inner_join(scoped, pupils, &["year", "school_id"])
    };
    let met = all_of(&spec.conditions.all).and(any_of(&spec.conditions.any));
    Ok(Some(weighted.select([
        col("year"),
        col("from_code"),
        col("area"),
        when(met.clone()).then(col("__w")).otherwise(lit(0.0)).alias("__num"),
        col("__w").alias("__den"),
        when(met).then(lit(1.0)).otherwise(lit(0.0)).alias("__n"),
        lit(if spec.proxy { 1.0 } else { 0.0 }).alias("__proxy"),
        col("__straddling"),
    ])))
}

/// Sum of a register column over schools of the kinds.
pub fn total(
    spec: &SchoolTotalSpec,
    pipeline: &Pipeline,
    tables: &Tables,
    hierarchy: &Hierarchy,
) -> Result<LazyFrame> {
    let Some(schools) = school_frame(tables, None)? else {
        return super::empty().map(|d| d.lazy());
    };
    // A school of the kinds that left the column blank did not report it (null, not 0).
    let data = schools.filter(kind_filter(&spec.kinds)).select([
        col("year"),
        col("from_code"),
        col(spec.column.as_str()).cast(DataType::Float64).alias("__n"),
    ]);
    totals(&spec.id, "count", with_register_zeros(data, tables)?, hierarchy, pipeline.years)
}

/// `rows` (`year, from_code, __n`) and a 0 for every county in that year's register without
/// a row: a county that delivered its register and has no such school counts 0.
fn with_register_zeros(rows: LazyFrame, tables: &Tables) -> Result<LazyFrame> {
    let Some(delivered) = scope::register_counties(tables) else { return Ok(rows) };
    let keys = [col("year"), col("from_code")];
    let without = frame::anti_join(
        delivered,
        frame::distinct(rows.clone().select(keys)),
        &["year", "from_code"],
    );
    frame::concat(vec![
        rows,
        without.select([col("year"), col("from_code"), lit(0.0).alias("__n")]),
    ])
}

/// Townships (乡镇, not 街道) of each county with at least one school meeting the conditions,
/// over the county's townships in the division table.
pub fn townships(
    spec: &TownshipCoverageSpec,
    pipeline: &Pipeline,
    tables: &Tables,
    hierarchy: &Hierarchy,
) -> Result<LazyFrame> {
    let Some(schools) = school_frame(tables, spec.conditions.super_large_from)? else {
        return super::empty().map(|d| d.lazy());
    };
    // Townships per county: 9-digit codes whose last three digits are at least the threshold.
    let towns: Vec<(&String, &String)> = hierarchy
        .townships
        .iter()
        .filter(|(code, _)| {
            code.len() == 9 && code[6..].parse::<u32>().is_ok_and(|n| n >= spec.street_codes_below)
        })
        .map(|(c, p)| (c, p))
        .collect();
    let township_frame = frame::frame(vec![
        Column::new("township_code".into(), towns.iter().map(|t| t.0.clone()).collect::<Vec<_>>()),
        Column::new("__county".into(), towns.iter().map(|t| t.1.clone()).collect::<Vec<_>>()),
    ])?;
    let (mut year, mut county, mut den) = (Vec::new(), Vec::new(), Vec::new());
    let mut per_county: std::collections::BTreeMap<&String, f64> =
        std::collections::BTreeMap::new();
    for (_, c) in &towns {
        *per_county.entry(c).or_default() += 1.0;
    }
    for y in pipeline.years.0..=pipeline.years.1 {
        for (c, n) in &per_county {
            year.push(y);
            county.push((*c).clone());
            den.push(*n);
        }
    }
    let grid = frame::frame(vec![
        Column::new("year".into(), year),
        Column::new("from_code".into(), county),
        Column::new("__den".into(), den),
    ])?
    .lazy();
    let covered = frame::distinct(
        schools
            .filter(kind_filter(&spec.kinds).and(all_of(&spec.conditions.all)))
            .select([col("year"), col("township_code")]),
    );
    let covered = frame::inner_join(covered, township_frame.lazy(), &["township_code"])
        .group_by([col("year"), col("__county").alias("from_code")])
        .agg([col("township_code").n_unique().cast(DataType::Float64).alias("__num")]);
    // Counties missing from that year's register have no value; the others count their
    // covered townships, 0 where none is.
    let grid = match scope::register_counties(tables) {
        Some(delivered) => frame::inner_join(grid, delivered, &["year", "from_code"]),
        None => grid,
    };
    let data = frame::left_join(grid, covered, &["year", "from_code"])
        .with_columns([col("__num").fill_null(lit(0.0)), lit("total").alias("area")]);
    ratio(&spec.id, "percent", 100.0, data, hierarchy, pipeline.years, &[])
}
