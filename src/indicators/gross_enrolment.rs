//! Gross enrolment ratios (docs/methodology.md §3.1, §3.3, §3.4): weighted enrolment of any age over
//! the population of an age band, × 100. Weights are keyed by year in the pipeline file; for
//! higher education the numerator prefers the basis listed first (生源地) and flags the rest.

use super::scope::{self, count_of, in_years};
use super::{Hierarchy, flag_if, flags};
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
    let weights = weights_frame(g, pipeline.years)?;
    // The stages the weights count (a stage no weight names would be dropped by their join).
    let components = frame::texts(&weights, "__component")?;
    let stages: std::collections::BTreeSet<String> = components.into_iter().flatten().collect();
    let stages: Vec<String> = stages.into_iter().collect();
    let Some(counted) = counted_rows(g, tables, &stages) else {
        return super::empty().map(|d| d.lazy());
    };
    let numerator = frame::inner_join(
        counted.filter(col("__count").is_not_null()),
        weights.lazy(),
        &["year", "__component"],
    )
    .with_column((col("__count").cast(DataType::Float64) * col("__weight")).alias("__num"));
    let numerator = by_sex(numerator, &["year", "from_code", "__basis", "area"], "__num")?;
    let numerator = scope::by_area(
        numerator,
        &["year", "from_code", "__basis", "sex"],
        vec![col("__num").sum()],
        &["__num"],
        pipeline.by_area,
    );
    // Computed once (a few rows per county): the pairing below reads it several times.
    let numerator = frame::collect(numerator)?.lazy();
    let has_parts = count_of(numerator.clone().filter(col("sex").neq(lit("total"))), "sex")? > 0;
    let population = population_rows(g, tables, hierarchy, pipeline.by_area)?;
    let mut denominator = by_sex(population, &["year", "from_code", "area"], "__den")?;
    if !has_parts {
        denominator = denominator.filter(col("sex").eq(lit("total")));
    }
    let denominator = frame::collect(denominator)?.lazy();
    // Rows by area only where the population has areas too.
    let population_areas = count_of(denominator.clone().filter(by_area()), "area")? > 0;
    let numerator = match population_areas {
        true => numerator,
        false => numerator.filter(by_area().not()),
    };
    let numerator = match (g.numerator, scope::register_counties(tables)) {
        (GerNumerator::Enrolment, Some(delivered)) => {
            let mut zeros = vec![delivered.clone().with_column(lit("total").alias("area"))];
            if population_areas {
                let areas = frame::distinct(denominator.clone().filter(by_area()).select([
                    col("year"),
                    col("from_code"),
                    col("area"),
                ]));
                zeros.push(frame::inner_join(areas, delivered, &["year", "from_code"]));
            }
            with_register_zeros(g, numerator, frame::concat(zeros)?, has_parts)?
        }
        _ => numerator,
    };
    let numerator = frame::collect(numerator)?.lazy();
    let parts = frame::collect(pair_with_population(g, numerator, denominator, hierarchy)?)?;
    let rolled = super::paired(parts.lazy(), &["sex", "__basis", "area"], hierarchy, &[])?;
    let chosen = with_total_coverage(preferred_basis(g, rolled)?);
    let mut candidates = super::paired_flags("percent", 100.0, &[]);
    candidates.push(flag_if(col("__basis").neq(lit(g.basis[0].clone())), "location_basis"));
    let totals = numerator_rows(g, chosen.clone().filter(in_years(pipeline.years)))?;
    let rows = frame::collect(
        chosen.filter(in_years(pipeline.years)).select(
            super::Output::new(lit(g.id.clone()), "percent", super::paired_value(100.0))
                .parts(col("__pnum"), col("__pden"))
                .flags(flags(candidates)?)
                .coverage(col("coverage").fill_null(lit(0.0)))
                .breakdown(col("sex"), col("area"))
                .columns()?,
        ),
    )?
    .lazy();
    let gpi = super::parity(rows.clone(), &g.gpi_id())?;
    frame::concat(std::iter::once(rows).chain([gpi]).chain(totals).collect())
}

/// The weighted numerator as its own count indicator (`numerator_id`, e.g. 在学总规模): where
/// the ratio has a value, the numerator it divided.
fn numerator_rows(g: &GrossEnrolmentSpec, chosen: LazyFrame) -> Result<Option<LazyFrame>> {
    let Some(id) = &g.numerator_id else { return Ok(None) };
    let mut candidates = super::paired_flags("count", 1.0, &[]);
    candidates.push(flag_if(col("__basis").neq(lit(g.basis[0].clone())), "location_basis"));
    let value = when(super::paired_value(1.0).is_not_null())
        .then(col("__pnum"))
        .otherwise(lit(NULL).cast(DataType::Float64));
    Ok(Some(
        chosen.select(
            super::Output::new(lit(id.clone()), "count", value)
                .flags(flags(candidates)?)
                .coverage(col("coverage").fill_null(lit(0.0)))
                .breakdown(col("sex"), col("area"))
                .columns()?,
        ),
    ))
}

/// True on the rows of one area (not the total).
fn by_area() -> Expr {
    col("area").neq(lit("total"))
}

/// `rows` with the coverage of each region's total (same year, sex) on its rows by area: a
/// county with no rural school is not missing from the rural value.
fn with_total_coverage(rows: LazyFrame) -> LazyFrame {
    let keys = ["year", "region_code", "sex"];
    let total = rows.clone().filter(by_area().not()).select([
        col("year"),
        col("region_code"),
        col("sex"),
        col("coverage").alias("__total_coverage"),
    ]);
    frame::left_join(rows, total, &keys).with_column(col("__total_coverage").alias("coverage"))
}

/// The enrolment numerator with a 0 for every county and area of `candidates` (`year,
/// from_code, area`: the counties in that year's register, in total and in each area their
/// population has) that has no enrolment of the stages counted there: its schools are known,
/// and none teaches them. A county missing from the register has no numerator.
fn with_register_zeros(
    g: &GrossEnrolmentSpec,
    numerator: LazyFrame,
    candidates: LazyFrame,
    has_parts: bool,
) -> Result<LazyFrame> {
    let keys = ["year", "from_code", "area"];
    let with_rows =
        frame::distinct(numerator.clone().select(keys.iter().map(|k| col(*k)).collect::<Vec<_>>()));
    let without = frame::anti_join(candidates, with_rows, &keys);
    let sexes: &[&str] = if has_parts { &["total", "female", "male"] } else { &["total"] };
    let mut parts = vec![numerator];
    for sex in sexes {
        parts.push(without.clone().select([
            col("year"),
            col("from_code"),
            lit(g.basis[0].clone()).alias("__basis"),
            lit(*sex).alias("sex"),
            col("area"),
            lit(0.0).alias("__num"),
        ]));
    }
    frame::concat(parts)
}

/// Numerator rows paired with their population: a numerator delivered for a region is divided
/// by the population of all its counties, or by nothing when any of them lacks it. Counties
/// whose population no numerator row of a basis covers are denominator-only rows of that basis.
/// Rows: `year, from_code, sex, __basis, __num, __den`.
fn pair_with_population(
    g: &GrossEnrolmentSpec,
    numerator: LazyFrame,
    denominator: LazyFrame,
    hierarchy: &Hierarchy,
) -> Result<LazyFrame> {
    let counted = denominator.clone().with_column(lit(1.0).alias("__n_den"));
    let complete = frame::left_join(
        hierarchy.roll_up(counted, &["year", "sex", "area"], &["__den", "__n_den"]),
        hierarchy.counties.clone().lazy(),
        &["year", "region_code"],
    )
    .filter(col("__n_den").eq(col("__expected")))
    .select([
        col("year"),
        col("sex"),
        col("area"),
        col("region_code").alias("from_code"),
        col("__den"),
    ]);
    let with_den =
        frame::left_join(numerator.clone(), complete, &["year", "sex", "area", "from_code"])
            .select([
                col("year"),
                col("from_code"),
                col("sex"),
                col("area"),
                col("__basis"),
                col("__num"),
                col("__den"),
            ]);
    // (year, sex, area, basis, county) whose population a numerator row covers.
    let county_rows = hierarchy
        .rollup
        .clone()
        .lazy()
        .filter(col("from_level").eq(lit(hierarchy.base.clone())))
        .select([col("from_code"), col("region_code")]);
    let covered = frame::inner_join(
        numerator.select([
            col("year"),
            col("sex"),
            col("area"),
            col("__basis"),
            col("from_code").alias("region_code"),
        ]),
        county_rows,
        &["region_code"],
    )
    .select([col("year"), col("sex"), col("area"), col("__basis"), col("from_code")]);
    let mut parts = vec![with_den];
    for basis in &g.basis {
        let of_basis = denominator.clone().with_column(lit(basis.clone()).alias("__basis"));
        let keys = ["year", "sex", "area", "__basis", "from_code"];
        let uncovered = frame::anti_join(of_basis, covered.clone(), &keys);
        parts.push(uncovered.select([
            col("year"),
            col("from_code"),
            col("sex"),
            col("area"),
            col("__basis"),
            lit(NULL).cast(DataType::Float64).alias("__num"),
            col("__den"),
        ]));
    }
    frame::concat(parts)
}

/// Per region, year, sex and area, the row of the first basis in the pipeline's order that has a
/// value, or the first basis present where none has.
fn preferred_basis(g: &GrossEnrolmentSpec, rolled: LazyFrame) -> Result<LazyFrame> {
    let pref = g.basis.iter().enumerate().rev().fold(lit(99i32), |acc, (i, b)| {
        when(col("__basis").eq(lit(b.clone()))).then(lit(i as i32)).otherwise(acc)
    });
    let rank = pref + when(col("__pden").gt(lit(0.0))).then(lit(0i32)).otherwise(lit(100i32));
    let rolled = rolled.with_column(rank.alias("__rank"));
    let lowest =
        col("__rank").min().over([col("year"), col("region_code"), col("sex"), col("area")])?;
    Ok(rolled.filter(col("__rank").eq(lowest)))
}

/// The counted rows of the numerator: year, from_code, sex, area (of the school; null for
/// higher education), __basis, __component, __count;
/// `None` when the delivery lacks the tables they come from.
fn counted_rows(g: &GrossEnrolmentSpec, tables: &Tables, stages: &[String]) -> Option<LazyFrame> {
    match g.numerator {
        GerNumerator::Enrolment => enrolment_rows(g, tables, stages),
        GerNumerator::HigherEducation => Some(tables.get("higher_education")?.lazy().select([
            col("year"),
            col("region_code").alias("from_code"),
            scope::text("sex"),
            frame::null_text().alias("area"),
            scope::text("basis").alias("__basis"),
            scope::text("category").alias("__component"),
            col("students").alias("__count"),
        ])),
    }
}

/// Pupils of `stages`: school records where a region and year has them for the stage, the
/// region-level table (a yearbook's pupils by region) where it has not.
fn enrolment_rows(g: &GrossEnrolmentSpec, tables: &Tables, stages: &[String]) -> Option<LazyFrame> {
    let rows = scope::by_region(
        tables,
        ("enrolment", "regional_enrolment"),
        stages,
        "enrolled",
        &["sex"],
    )?;
    Some(rows.select([
        col("year"),
        col("from_code"),
        col("sex"),
        col("area"),
        lit(g.basis[0].clone()).alias("__basis"),
        col("stage").alias("__component"),
        col("enrolled").alias("__count"),
    ]))
}

/// The denominator rows: population of the age band (year, from_code, sex, area, __den),
/// county rows only — population delivered for a city or the province checks the sum of its
/// counties (a quality gate) and is never counted a second time. Area `total` is, per county,
/// year, age and sex, the row without an area where there is one (rows by area beside it are
/// checked against it, never added to it), else the sum of the rows by area; with `by_area`,
/// the rows by area follow.
fn population_rows(
    g: &GrossEnrolmentSpec,
    tables: &Tables,
    hierarchy: &Hierarchy,
    by_area: bool,
) -> Result<LazyFrame> {
    let Some(p) = tables.get("population") else {
        return Ok(frame::empty_frame(&[
            ("year", DataType::Int32),
            ("from_code", DataType::String),
            ("sex", DataType::String),
            ("area", DataType::String),
            ("__den", DataType::Float64),
        ])?
        .lazy());
    };
    let band = col("age").gt_eq(lit(g.ages.0 as i32)).and(col("age").lt_eq(lit(g.ages.1 as i32)));
    let rows = frame::inner_join(p.lazy(), hierarchy.county_codes()?.lazy(), &["region_code"])
        .filter(band)
        .select([
            col("year"),
            col("region_code").alias("from_code"),
            scope::text("sex"),
            col("age"),
            scope::text("area"),
            col("population").cast(DataType::Float64).alias("__den"),
        ]);
    let no_area = col("area").is_null();
    let of = |cond: Expr| when(cond).then(col("__den")).otherwise(lit(0.0));
    let total = rows
        .clone()
        .with_columns([
            of(no_area.clone()).alias("__whole"),
            no_area.clone().cast(DataType::UInt32).alias("__wholes"),
            of(no_area.clone().not()).alias("__parts"),
        ])
        .group_by([col("year"), col("from_code"), col("sex"), col("age")])
        .agg([col("__whole").sum(), col("__wholes").sum(), col("__parts").sum()])
        .select([
            col("year"),
            col("from_code"),
            col("sex"),
            lit("total").alias("area"),
            when(col("__wholes").gt(lit(0u32)))
                .then(col("__whole"))
                .otherwise(col("__parts"))
                .alias("__den"),
        ]);
    if !by_area {
        return Ok(total);
    }
    let parts = rows.filter(no_area.not()).select([
        col("year"),
        col("from_code"),
        col("sex"),
        col("area"),
        col("__den"),
    ]);
    frame::concat(vec![total, parts])
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
