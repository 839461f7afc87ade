//! Staffing and money (docs/methodology.md §8.2–§8.4): pupils per full-time teacher, totals and ratios
//! of region-level measures (education spending, spending per student, teacher pay over civil
//! servants' pay), and year-on-year growth of any indicator (the two 只增不减 checks).

use super::{Hierarchy, flag_if, flags, ratio, scope, totals};
use crate::error::Result;
use crate::frame::{self, DataFrame, DataType, IntoLazy, LazyFrame, NULL, col, lit, when};
use crate::spec::{GrowthSpec, MeasureSpec, Pipeline, PupilTeacherRatioSpec};
use crate::tables::Tables;

/// Pupils of the stages over their full-time teachers, where a region has both (from school
/// records, or from region-level tables where a region and stage has none), before the roll-up
/// (`year, from_code, area, __num, __den`); `None` without pupils or teachers of the stages.
pub fn pupil_teacher_rows(
    spec: &PupilTeacherRatioSpec,
    pipeline: &Pipeline,
    tables: &Tables,
) -> Option<LazyFrame> {
    let of = |tables_of: (&str, &str), measure: &str| {
        scope::by_region(tables, tables_of, &spec.stages, measure, &[])
    };
    let pupils = of(("enrolment", "regional_enrolment"), "enrolled")?;
    let staff = of(("teachers", "regional_teachers"), "fulltime")?;
    let pupils = scope::by_area(
        pupils,
        scope::REGION_YEAR,
        vec![col("enrolled").cast(DataType::Float64).sum().alias("__num")],
        &["__num"],
        pipeline.by_area,
    );
    let staff = scope::by_area(
        staff,
        scope::REGION_YEAR,
        vec![col("fulltime").cast(DataType::Float64).sum().alias("__den")],
        &["__den"],
        pipeline.by_area,
    );
    // Pupils without teachers (or teachers without pupils) are unpaired: flagged, not divided.
    Some(frame::full_join(pupils, staff, &["year", "from_code", "area"]))
}

/// A summed measure, or one measure over another, of a region-level table.
pub fn measure(
    spec: &MeasureSpec,
    pipeline: &Pipeline,
    tables: &Tables,
    hierarchy: &Hierarchy,
) -> Result<LazyFrame> {
    let Some(table) = tables.get(spec.table.as_str()) else {
        return super::empty().map(|d| d.lazy());
    };
    let rows = table.clone().lazy();
    match &spec.denominator {
        None => {
            let data = rows.filter(col(spec.numerator.as_str()).is_not_null()).select([
                col("year"),
                col("region_code").alias("from_code"),
                col(spec.numerator.as_str()).cast(DataType::Float64).alias("__n"),
            ]);
            totals(&spec.id, &spec.unit, data, hierarchy, pipeline.years)
        }
        Some(den) => {
            // A region reporting one part only is flagged unpaired, not dropped.
            let any =
                col(spec.numerator.as_str()).is_not_null().or(col(den.as_str()).is_not_null());
            let data = rows.filter(any).select([
                col("year"),
                col("region_code").alias("from_code"),
                lit("total").alias("area"),
                col(spec.numerator.as_str()).cast(DataType::Float64).alias("__num"),
                col(den.as_str()).cast(DataType::Float64).alias("__den"),
            ]);
            let out =
                ratio(&spec.id, &spec.unit, spec.scale, data, hierarchy, pipeline.years, &[])?;
            Ok(if spec.county_only {
                out.filter(col("region_level").eq(lit(hierarchy.base.clone())))
            } else {
                out
            })
        }
    }
}

/// Year-on-year change of an indicator already computed: (v_t / v_{t-1} - 1) x 100, with
/// v_t as numerator and v_{t-1} as denominator. The first year has no row.
pub fn growth(spec: &GrowthSpec, computed: &DataFrame) -> Result<LazyFrame> {
    let of = computed
        .clone()
        .lazy()
        .filter(col("indicator").eq(lit(spec.of.clone())).and(col("value").is_not_null()));
    let previous = of.clone().select([
        (col("year") + lit(1)).alias("year"),
        col("region_code"),
        col("sex"),
        col("area"),
        col("value").alias("__previous"),
    ]);
    let keys = ["year", "region_code", "sex", "area"];
    let joined = frame::inner_join(of.clone(), previous, &keys);
    // The flags both years carry, on the year they are compared in.
    let both_years = frame::concat(vec![
        of.clone().select([col("year"), col("region_code"), col("sex"), col("area"), col("flags")]),
        of.select([
            (col("year") + lit(1)).alias("year"),
            col("region_code"),
            col("sex"),
            col("area"),
            col("flags"),
        ]),
    ])?;
    let joined = frame::left_join(joined, super::inherited_flags(both_years, &keys), &keys);
    let value = when(col("__previous").gt(lit(0.0)))
        .then((col("value") / col("__previous") - lit(1.0)) * lit(100.0))
        .otherwise(lit(NULL).cast(DataType::Float64));
    let mut candidates = vec![flag_if(col("__previous").lt_eq(lit(0.0)), "denominator_missing")];
    for (column, flag) in super::inherited_columns() {
        candidates.push(flag_if(col(column.as_str()).gt(lit(0.0)), flag));
    }
    let out = super::Output::new(lit(spec.id.clone()), "percent", value)
        .parts(col("value"), col("__previous"))
        .flags(flags(candidates)?)
        .coverage(col("coverage"))
        .breakdown(col("sex"), col("area"));
    Ok(joined.select(out.columns()?))
}
