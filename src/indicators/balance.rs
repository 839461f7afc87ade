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

/// CVs from per-school rows `year, from_code, stage, __p` with one column per resource
/// ([`resource_column`] `k` for `resources[k]`, an `(id, per)`): one row per (year, from_code,
/// stage, resource) with a school that has pupils and a value, with `__resource`, `__cv`,
/// `__sd`, `__mean`, `__n`. Every resource is computed in the same two passes over the schools.
pub fn cv(rows: LazyFrame, resources: &[(String, f64)]) -> Result<LazyFrame> {
    let keys = [col("year"), col("from_code"), col("stage")];
    let rows = frame::shared(rows.filter(col("__p").gt(lit(0.0))));
    let name = |what: &str, k: usize| format!("__{what}{k}");
    let has = |k: usize| col(resource_column(k)).is_not_null();
    let mut totals = Vec::new();
    for k in 0..resources.len() {
        let p = when(has(k)).then(col("__p")).otherwise(lit(NULL).cast(DataType::Float64));
        totals.push(p.sum().alias(name("p_sum", k)));
        totals.push(col(resource_column(k)).sum().alias(name("r_sum", k)));
        totals.push(has(k).cast(DataType::UInt32).sum().alias(name("n", k)));
    }
    let totals = rows.clone().group_by(keys.clone()).agg(totals);
    let joined = frame::inner_join(rows, totals, &["year", "from_code", "stage"]);
    let mut spread = Vec::new();
    for (k, (_, per)) in resources.iter().enumerate() {
        let mean = col(name("r_sum", k)) / col(name("p_sum", k)) * lit(*per);
        let x = col(resource_column(k)) / col("__p") * lit(*per);
        // Null where the school has no value of this resource: left out of the sum.
        let dev = (col("__p") / col(name("p_sum", k))) * (x - mean.clone()).pow(2);
        spread.push(dev.sum().alias(name("var", k)));
        spread.push(mean.first().alias(name("mean", k)));
        spread.push(col(name("n", k)).first());
    }
    let spread = frame::shared(joined.group_by(keys).agg(spread));
    let parts = resources.iter().enumerate().map(|(k, (id, _))| {
        let (sd, mean) = (col(name("var", k)).sqrt(), col(name("mean", k)));
        spread.clone().filter(col(name("n", k)).gt(lit(0u32))).select([
            col("year"),
            col("from_code"),
            col("stage"),
            lit(id.clone()).alias("__resource"),
            when(mean.clone().gt(lit(0.0)))
                .then(sd.clone() / mean.clone())
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias("__cv"),
            sd.alias("__sd"),
            mean.alias("__mean"),
            col(name("n", k)).alias("__n"),
        ])
    });
    frame::concat(parts.collect())
}

/// The column of the `k`-th resource in the per-school rows.
fn resource_column(k: usize) -> String {
    format!("__r{k}")
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

/// Per-school rows with a column for every resource of the spec that the delivery has (see
/// [`cv`]), and those resources' `(id, per)`.
fn school_rows(spec: &BalanceSpec, tables: &Tables) -> Option<(LazyFrame, Vec<(String, f64)>)> {
    let (pupils, schools) = (scope::pupils_by_school(tables)?, tables.get("schools")?);
    // Pupils per school and stage, and per school over all its stages (to split shared resources).
    let per_stage = pupils.clone().filter(scope::of_stages(&spec.stages));
    let per_school = pupils
        .group_by([col("year"), col("school_id")])
        .agg([col("__p").sum().alias("__p_school")]);
    let base = frame::inner_join(per_stage, per_school, &["year", "school_id"]);
    let mut base = frame::inner_join(base, schools.clone().lazy(), &["year", "school_id"])
        .with_column(col("region_code").alias("from_code"));
    // The teachers' measures the resources read, joined at once, each under a name of its own
    // (it may share one with the register's).
    let mut measures: Vec<&str> = Vec::new();
    for (_, column, _) in &spec.resources {
        if let ResourceColumn::Teachers(m) = column
            && !measures.contains(&m.as_str())
        {
            measures.push(m.as_str());
        }
    }
    let joined =
        |m: &str| format!("__teachers_{}", measures.iter().position(|k| *k == m).unwrap_or(0));
    let teachers = tables.get("teachers").filter(|_| !measures.is_empty());
    if let Some(t) = teachers {
        let mut columns = vec![col("year"), col("school_id"), col("stage")];
        columns.extend(measures.iter().map(|m| col(*m).alias(joined(m))));
        base = frame::left_join(base, t.lazy().select(columns), &["year", "school_id", "stage"]);
    }
    let mut sel = vec![col("year"), col("from_code"), col("stage"), col("__p")];
    let mut present = Vec::new();
    for (id, column, per) in &spec.resources {
        let r = match column {
            // A school's register resource is shared by its stages in proportion to their pupils.
            ResourceColumn::Register(c) => {
                col(c.as_str()).cast(DataType::Float64) * col("__p") / col("__p_school")
            }
            ResourceColumn::Teachers(m) if teachers.is_some() => {
                col(joined(m).as_str()).cast(DataType::Float64)
            }
            ResourceColumn::Teachers(_) => continue,
        };
        sel.push(r.alias(resource_column(present.len())));
        present.push((id.clone(), *per));
    }
    if present.is_empty() {
        return None;
    }
    Some((base.select(sel), present))
}

/// The CV rows and composites of one balance family, as indicator rows.
pub fn compute(
    spec: &BalanceSpec,
    pipeline: &Pipeline,
    tables: &Tables,
    hierarchy: &Hierarchy,
) -> Result<Vec<LazyFrame>> {
    let Some((rows, resources)) = school_rows(spec, tables) else {
        return Ok(vec![super::empty()?.lazy()]);
    };
    // In key order: a composite's mean then adds its CVs in one order, run after run (a
    // group-by's output order varies, and floating-point sums with it).
    let cvs = cv(rows, &resources)?;
    let cvs = frame::collect(frame::sort_by(cvs, &["year", "from_code", "stage", "__resource"]))?;
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
            Column::new("__p".into(), p.to_vec()),
            Column::new(resource_column(0).into(), r.to_vec()),
        ])
        .unwrap()
        .lazy()
    }

    fn books(rows: LazyFrame) -> LazyFrame {
        cv(rows, &[("books".to_string(), 1.0)]).unwrap()
    }

    fn one(lf: LazyFrame, column: &str) -> Option<f64> {
        frame::floats(&frame::collect(lf).unwrap(), column).unwrap()[0]
    }

    #[test]
    fn methodology_test_vector() {
        // docs/methodology.md §6.1: five primary schools, books. x̄ = 1913 / 302 = 6.3344;
        // Σ (P_i/P)(x_i − x̄)² = 10.653 → S = 3.2639 → CV = 0.5153.
        let out =
            books(rows(&[45.0, 37.0, 89.0, 76.0, 55.0], &[279.0, 137.0, 935.0, 160.0, 402.0]));
        let got = frame::collect(out).unwrap();
        let cv = frame::floats(&got, "__cv").unwrap()[0].unwrap();
        let mean = frame::floats(&got, "__mean").unwrap()[0].unwrap();
        assert!((mean - 1913.0 / 302.0).abs() < 1e-12);
        assert!((cv - 0.5153).abs() < 5e-5, "{cv}");
    }

    #[test]
    fn edge_cases() {
        // One school: no spread → CV 0. A school without pupils is left out.
        assert_eq!(one(books(rows(&[40.0, 0.0], &[400.0, 99.0])), "__cv"), Some(0.0));
        // Zero mean: no CV (null), never NaN.
        assert_eq!(one(books(rows(&[40.0, 50.0], &[0.0, 0.0])), "__cv"), None);
        // A county whose schools report no pupils: no CV row at all.
        assert_eq!(frame::collect(books(rows(&[0.0, 0.0], &[10.0, 20.0]))).unwrap().height(), 0);
    }

    #[test]
    fn a_school_without_a_value_is_left_out_of_that_resource_only() {
        // Books: the five schools of the test vector above (CV 0.5153). Computers: the same
        // values but the fifth school has none, so it is left out of computers alone:
        // P = 45 + 37 + 89 + 76 = 247, R = 279 + 137 + 935 + 160 = 1511, x̄ = 6.1174;
        // Σ (P_i/P)(x_i − x̄)² = 12.766 → S = 3.5730 → CV = 0.5841.
        let computers = [Some(279.0), Some(137.0), Some(935.0), Some(160.0), None];
        let rows = frame(vec![
            Column::new("year".into(), vec![2020i32; 5]),
            Column::new("from_code".into(), vec!["450102"; 5]),
            Column::new("stage".into(), vec!["primary"; 5]),
            Column::new("__p".into(), vec![45.0, 37.0, 89.0, 76.0, 55.0]),
            Column::new(resource_column(0).into(), vec![279.0, 137.0, 935.0, 160.0, 402.0]),
            Column::new(resource_column(1).into(), computers.to_vec()),
        ])
        .unwrap();
        let resources = [("books".to_string(), 1.0), ("computers".to_string(), 1.0)];
        let got =
            frame::collect(frame::sort_by(cv(rows.lazy(), &resources).unwrap(), &["__resource"]))
                .unwrap();
        assert_eq!(
            frame::texts(&got, "__resource").unwrap(),
            [Some("books".into()), Some("computers".into())]
        );
        let cvs = frame::floats(&got, "__cv").unwrap();
        assert!((cvs[0].unwrap() - 0.5153).abs() < 5e-5, "{cvs:?}");
        assert!((cvs[1].unwrap() - 0.5841).abs() < 5e-5, "{cvs:?}");
        let means = frame::floats(&got, "__mean").unwrap();
        assert!((means[1].unwrap() - 1511.0 / 247.0).abs() < 1e-12, "{means:?}");
        assert_eq!(frame::ints(&got, "__n").unwrap(), [Some(5), Some(4)]);
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
