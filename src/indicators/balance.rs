//! County balance (均衡, docs/methodology.md §6): per county, stage and resource, the enrolment-weighted
//! coefficient of variation of resources per pupil across schools,
//!     x̄ = ΣR / ΣP,  S = sqrt(Σ (P_i/P)(x_i − x̄)²),  CV = S / x̄,
//! and the plain mean of a county's CVs (综合差异系数). Schools with no pupils are left out; a
//! county whose mean is 0 has no CV (null, flagged `zero_mean`); one school gives CV 0 (flagged
//! `single_school`). Pass rules are county rules in the pipeline file. County rows only.

use super::{flag_if, flags, scope};
use crate::error::Result;
use crate::frame::{self, DataType, Expr, IntoLazy, LazyFrame, NULL, col, lit, when};
use crate::indicators::Hierarchy;
use crate::spec::{BalanceSpec, Pipeline, ResourceColumn};
use crate::tables::Tables;

/// CVs from per-school rows `year, from_code, stage, __resource, __p, __r, __per`:
/// one row per (year, from_code, stage, __resource) with `__cv`, `__sd`, `__mean`, `__n`.
pub fn cv(rows: LazyFrame) -> Result<LazyFrame> {
    let keys = [col("year"), col("from_code"), col("stage"), col("__resource")];
    let rows = frame::shared(rows.filter(col("__p").gt(lit(0.0)).and(col("__r").is_not_null())));
    let totals = rows.clone().group_by(keys.clone()).agg([
        col("__p").sum().alias("__p_sum"),
        col("__r").sum().alias("__r_sum"),
        col("__per").first().alias("__per"),
        col("__p").count().alias("__n"),
    ]);
    let joined = frame::inner_join(
        rows.drop(crate::frame::by_names(&["__per"])),
        totals,
        &["year", "from_code", "stage", "__resource"],
    );
    let mean = col("__r_sum") / col("__p_sum") * col("__per");
    let x = col("__r") / col("__p") * col("__per");
    let spread = joined
        .with_column(((col("__p") / col("__p_sum")) * (x - mean.clone()).pow(2)).alias("__dev"))
        .group_by(keys)
        .agg([col("__dev").sum().alias("__var"), mean.first().alias("__mean"), col("__n").first()]);
    let sd = col("__var").sqrt();
    Ok(spread.select([
        col("year"),
        col("from_code"),
        col("stage"),
        col("__resource"),
        when(col("__mean").gt(lit(0.0)))
            .then(sd.clone() / col("__mean"))
            .otherwise(lit(NULL).cast(DataType::Float64))
            .alias("__cv"),
        sd.alias("__sd"),
        col("__mean"),
        col("__n"),
    ]))
}

/// The plain mean of each county's CVs per stage; null unless all `expected` CVs are there
/// (a composite of the parts that remain would be another indicator).
pub fn composite(cvs: LazyFrame, expected: u32) -> LazyFrame {
    cvs.group_by([col("year"), col("from_code"), col("stage")]).agg([
        when(col("__cv").null_count().gt(lit(0u32)).or(col("__cv").count().lt(lit(expected))))
            .then(lit(NULL).cast(DataType::Float64))
            .otherwise(col("__cv").mean())
            .alias("__composite"),
        col("__cv").count().alias("__k"),
    ])
}

/// Per-school rows for every resource of the spec.
fn school_rows(spec: &BalanceSpec, tables: &Tables) -> Option<LazyFrame> {
    let (enrolment, schools) = (tables.get("enrolment")?, tables.get("schools")?);
    let stages = scope::of_stages(&spec.stages);
    let enrolled = enrolment.clone().lazy().filter(col("enrolled").is_not_null());
    // Pupils per school and stage, and per school over all its stages (to split shared resources).
    let per_stage = enrolled
        .clone()
        .filter(stages)
        .group_by([col("year"), col("school_id"), col("stage")])
        .agg([col("enrolled").cast(DataType::Float64).sum().alias("__p")]);
    let per_school = enrolled
        .group_by([col("year"), col("school_id")])
        .agg([col("enrolled").cast(DataType::Float64).sum().alias("__p_school")]);
    let base = frame::inner_join(per_stage, per_school, &["year", "school_id"]);
    // Read once per resource: evaluated once.
    let base = frame::shared(
        frame::inner_join(base, schools.clone().lazy(), &["year", "school_id"])
            .with_column(col("region_code").alias("from_code")),
    );
    let teachers = tables.get("teachers").map(|t| t.clone().lazy());
    let mut parts = Vec::new();
    for (id, column, per) in &spec.resources {
        let (frame, r): (LazyFrame, Expr) = match column {
            // A school's register resource is shared by its stages in proportion to their pupils.
            ResourceColumn::Register(c) => (
                base.clone(),
                col(c.as_str()).cast(DataType::Float64) * col("__p") / col("__p_school"),
            ),
            ResourceColumn::Teachers(m) => match &teachers {
                Some(t) => (
                    frame::left_join(
                        base.clone(),
                        t.clone().select([
                            col("year"),
                            col("school_id"),
                            col("stage"),
                            col(m.as_str()).alias("__t"),
                        ]),
                        &["year", "school_id", "stage"],
                    ),
                    col("__t").cast(DataType::Float64),
                ),
                None => continue,
            },
        };
        parts.push(frame.select([
            col("year"),
            col("from_code"),
            col("stage"),
            lit(id.clone()).alias("__resource"),
            col("__p"),
            r.alias("__r"),
            lit(*per).alias("__per"),
        ]));
    }
    frame::concat(parts).ok()
}

/// The CV rows and composites of one balance family, as indicator rows.
pub fn compute(
    spec: &BalanceSpec,
    pipeline: &Pipeline,
    tables: &Tables,
    hierarchy: &Hierarchy,
) -> Result<Vec<LazyFrame>> {
    let Some(rows) = school_rows(spec, tables) else { return Ok(vec![super::empty()?.lazy()]) };
    // In key order: a composite's mean then adds its CVs in one order, run after run (a
    // group-by's output order varies, and floating-point sums with it).
    let cvs =
        frame::collect(frame::sort_by(cv(rows)?, &["year", "from_code", "stage", "__resource"]))?;
    let id_of = |resource: Expr| -> Expr {
        // "<prefix>_<resource>_<stage>"
        crate::frame::concat_text(vec![
            lit(format!("{}_", spec.prefix)),
            resource,
            lit("_"),
            col("stage"),
        ])
    };
    let located = |lf: LazyFrame| -> LazyFrame {
        let lf = frame::left_join(
            lf.with_column(col("from_code").alias("region_code")),
            hierarchy.names.clone().lazy(),
            &["region_code"],
        );
        lf.filter(scope::in_years(pipeline.years))
    };
    let cv_rows = located(cvs.clone().lazy()).select(
        super::Output::new(id_of(col("__resource")), "cv", col("__cv"))
            .parts(col("__sd"), col("__mean"))
            .flags(flags(vec![
                flag_if(col("__mean").lt_eq(lit(0.0)), "zero_mean"),
                flag_if(col("__n").eq(lit(1u32)), "single_school"),
            ])?)
            .coverage(lit(1.0))
            .level(lit(hierarchy.base.clone()))
            .columns()?,
    );
    // A resource without a CV (not reported, zero mean) leaves the composite incomplete.
    let incomplete =
        col("__composite").is_null().or(col("__k").lt(lit(spec.resources.len() as u32)));
    let composite_rows = located(composite(cvs.lazy(), spec.resources.len() as u32)).select(
        super::Output::new(id_of(lit("composite")), "cv", col("__composite"))
            .parts(lit(NULL).cast(DataType::Float64), col("__k").cast(DataType::Float64))
            .flags(flags(vec![flag_if(incomplete, "cv_missing")])?)
            .coverage(lit(1.0))
            .level(lit(hierarchy.base.clone()))
            .columns()?,
    );
    Ok(vec![cv_rows, composite_rows])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{Column, frame};

    fn rows(p: &[f64], r: &[f64]) -> LazyFrame {
        let n = p.len();
        frame(vec![
            Column::new("year".into(), vec![2020i32; n]),
            Column::new("from_code".into(), vec!["450102"; n]),
            Column::new("stage".into(), vec!["primary"; n]),
            Column::new("__resource".into(), vec!["books"; n]),
            Column::new("__p".into(), p.to_vec()),
            Column::new("__r".into(), r.to_vec()),
            Column::new("__per".into(), vec![1.0; n]),
        ])
        .unwrap()
        .lazy()
    }

    fn one(lf: LazyFrame, column: &str) -> Option<f64> {
        frame::floats(&frame::collect(lf).unwrap(), column).unwrap()[0]
    }

    #[test]
    fn methodology_test_vector() {
        // docs/methodology.md §6.1: five primary schools, books. x̄ = 1913 / 302 = 6.3344;
        // Σ (P_i/P)(x_i − x̄)² = 10.653 → S = 3.2639 → CV = 0.5153.
        let out = cv(rows(&[45.0, 37.0, 89.0, 76.0, 55.0], &[279.0, 137.0, 935.0, 160.0, 402.0]))
            .unwrap();
        let got = frame::collect(out).unwrap();
        let cv = frame::floats(&got, "__cv").unwrap()[0].unwrap();
        let mean = frame::floats(&got, "__mean").unwrap()[0].unwrap();
        assert!((mean - 1913.0 / 302.0).abs() < 1e-12);
        assert!((cv - 0.5153).abs() < 5e-5, "{cv}");
    }

    #[test]
    fn edge_cases() {
        // One school: no spread → CV 0. A school without pupils is left out.
        assert_eq!(one(cv(rows(&[40.0, 0.0], &[400.0, 99.0])).unwrap(), "__cv"), Some(0.0));
        // Zero mean: no CV (null), never NaN.
        assert_eq!(one(cv(rows(&[40.0, 50.0], &[0.0, 0.0])).unwrap(), "__cv"), None);
        // A county whose schools report no pupils: no CV row at all.
        assert_eq!(
            frame::collect(cv(rows(&[0.0, 0.0], &[10.0, 20.0])).unwrap()).unwrap().height(),
            0
        );
    }

    #[test]
    fn anhui_composite() {
        // docs/methodology.md §6.1, 庐阳区 小学: the eight CVs average 0.5917 (the table prints 0.592).
        let cvs = [0.881, 1.299, 0.977, 0.379, 0.170, 0.334, 0.286, 0.408];
        let n = cvs.len();
        let lf = frame(vec![
            Column::new("year".into(), vec![2020i32; n]),
            Column::new("from_code".into(), vec!["340103"; n]),
            Column::new("stage".into(), vec!["primary"; n]),
            Column::new("__cv".into(), cvs.to_vec()),
        ])
        .unwrap()
        .lazy();
        let got = one(composite(lf, 8), "__composite").unwrap();
        assert!(
            (got - 4.734 / 8.0).abs() < 1e-12 && (got * 1000.0).round() / 1000.0 == 0.592,
            "{got}"
        );
        // A missing CV makes the composite missing, not the mean of the rest: a null CV, or
        // one of the two expected CVs absent.
        let cvs = |values: Vec<Option<f64>>| {
            let n = values.len();
            frame(vec![
                Column::new("year".into(), vec![2020i32; n]),
                Column::new("from_code".into(), vec!["340103"; n]),
                Column::new("stage".into(), vec!["primary"; n]),
                Column::new("__cv".into(), values),
            ])
            .unwrap()
            .lazy()
        };
        assert_eq!(one(composite(cvs(vec![Some(0.3), None]), 2), "__composite"), None);
        assert_eq!(one(composite(cvs(vec![Some(0.3)]), 2), "__composite"), None);
        // (0.3 + 0.5) / 2 = 0.4 with both there.
        let both = one(composite(cvs(vec![Some(0.3), Some(0.5)]), 2), "__composite").unwrap();
        assert!((both - 0.4).abs() < 1e-12, "{both}");
    }
}
