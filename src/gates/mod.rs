//! The quality gates of a run: every check kept whether it passed or not (`checks.parquet`),
//! and a failed one stops the run before anything is published (exit 3).
//!
//! Checks: row accounting and quarantine share per file; single ages against supplied all-ages
//! totals; counties against supplied city and province population; county population year on
//! year and schools reporting enrolment against the previous year (when the pipeline sets their
//! limits); values over 100 (informative); the plausibility of published values (`plausible`).

mod plausible;
mod totals;

use crate::divisions::Divisions;
use crate::error::{Error, Result};
use crate::frame::{self, Column, DataFrame, DataType, IntoLazy, LazyFrame, col, lit};
use crate::indicators::Indicators;
use crate::ingest::Ingested;
use crate::spec::Pipeline;
use crate::tables::Table;

/// One data-quality check, kept whether it passed or not.
#[derive(Debug, Clone)]
pub struct Check {
    pub rule: String,
    pub scope: String,
    pub passed: bool,
    pub detail: String,
    /// Recorded, but a failure does not stop the run (`action = "warn"`).
    pub warning: bool,
}

/// Every check of the pipeline's gates over what was ingested and computed.
pub fn checks(
    pipeline: &Pipeline,
    ingested: &Ingested,
    computed: &Indicators,
    divisions: &Divisions,
) -> Result<Vec<Check>> {
    let indicators = &computed.values;
    let mut checks = file_checks(pipeline, ingested);
    if let Some(population) = ingested.tables.get("population") {
        let (population, by_area) = timed("population.area_sum", || population_whole(population))?;
        checks.extend(by_area);
        if let Some(limit) = pipeline.population_max_yoy_change {
            checks
                .extend(timed("population.yoy_change", || population_change(&population, limit))?);
        }
        checks.extend(timed("population.age_sum", || population_age_sums(&population))?);
        checks.extend(timed("population.county_sum", || {
            population_county_sums(&population, divisions, &pipeline.levels)
        })?);
    }
    if let (Some(min), Some(enrolment), Some(schools)) = (
        pipeline.min_reporting_ratio,
        ingested.tables.get("enrolment"),
        ingested.tables.get("schools"),
    ) {
        checks.extend(timed("reporting.coverage", || reporting_coverage(enrolment, schools, min))?);
    }
    checks.extend(timed("supplied_total", || totals::checks(pipeline, &computed.supplied_totals))?);
    checks.push(timed("values.over_100", || over_100(indicators))?);
    checks.extend(timed("plausibility", || {
        plausible::checks(&pipeline.plausible, indicators, divisions)
    })?);
    Ok(checks)
}

/// `run()`, its time logged (debug) under the name of the checks it makes.
fn timed<T>(checks: &str, run: impl FnOnce() -> Result<T>) -> Result<T> {
    let started = std::time::Instant::now();
    let out = run();
    tracing::debug!(checks, millis = started.elapsed().as_millis() as u64, "checked");
    out
}

/// `Err(Gate)` naming the first ten failed checks, if any failed.
pub fn enforce(checks: &[Check]) -> Result<()> {
    let failed: Vec<&Check> = checks.iter().filter(|c| !c.passed && !c.warning).collect();
    if failed.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> =
        failed.iter().take(10).map(|c| format!("{} [{}]: {}", c.rule, c.scope, c.detail)).collect();
    let more = match failed.len() {
        n if n > 10 => format!(" (and {} more)", n - 10),
        _ => String::new(),
    };
    Err(Error::Gate(format!("{}{more}", lines.join("; "))))
}

/// The checks as `checks.parquet`.
pub fn to_frame(checks: &[Check]) -> Result<DataFrame> {
    frame::frame(vec![
        Column::new("rule".into(), checks.iter().map(|c| c.rule.clone()).collect::<Vec<_>>()),
        Column::new("scope".into(), checks.iter().map(|c| c.scope.clone()).collect::<Vec<_>>()),
        Column::new("passed".into(), checks.iter().map(|c| c.passed).collect::<Vec<_>>()),
        Column::new("detail".into(), checks.iter().map(|c| c.detail.clone()).collect::<Vec<_>>()),
        Column::new(
            "severity".into(),
            checks.iter().map(|c| if c.warning { "warning" } else { "gate" }).collect::<Vec<_>>(),
        ),
    ])
}

/// Per file: rows read = accepted + quarantined, and the quarantined share within the limit.
fn file_checks(pipeline: &Pipeline, ingested: &Ingested) -> Vec<Check> {
    let mut checks = Vec::new();
    for f in &ingested.files {
        checks.push(Check {
            rule: "rows.accounting".into(),
            scope: f.path.clone(),
            passed: f.rows_read == f.rows_accepted + f.rows_quarantined,
            detail: format!(
                "read {} = accepted {} + quarantined {}",
                f.rows_read, f.rows_accepted, f.rows_quarantined
            ),
            warning: false,
        });
        let share =
            if f.rows_read == 0 { 0.0 } else { f.rows_quarantined as f64 / f.rows_read as f64 };
        checks.push(Check {
            rule: "quarantine.share".into(),
            scope: f.path.clone(),
            passed: share <= pipeline.max_quarantine_share,
            detail: format!(
                "{:.3}% of rows quarantined (limit {:.3}%)",
                share * 100.0,
                pipeline.max_quarantine_share * 100.0
            ),
            warning: false,
        });
    }
    checks
}

/// `now` (year, region_code, column `now`) beside the same region's value a year before
/// (column `__prev`), for the regions and years that have both.
fn with_previous_year(now: LazyFrame, value: &str) -> Result<DataFrame> {
    let previous = now.clone().select([
        (col("year") + lit(1)).alias("year"),
        col("region_code"),
        col(value).alias("__prev"),
    ]);
    frame::collect(frame::sort_by(
        frame::inner_join(now, previous, &["year", "region_code"]),
        &["year", "region_code"],
    ))
}

/// The population as if delivered without areas — one row per year, region, age and sex: the
/// row without an area where there is one, else the sum of the rows by area — and the checks
/// of each row without an area against the sum of the rows by area beside it
/// (`population.area_sum`).
fn population_whole(population: &Table) -> Result<(DataFrame, Vec<Check>)> {
    let with_area = population.lazy().filter(col("area").is_not_null());
    if scope_is_empty(with_area.clone())? {
        return Ok((population.frame()?, Vec::new()));
    }
    let keys = ["year", "region_code", "sex", "age"];
    let key_exprs = || keys.iter().map(|k| col(*k)).collect::<Vec<_>>();
    let wholes = population.lazy().filter(col("area").is_null());
    let parts = with_area
        .group_by(key_exprs())
        .agg([col("population").cast(DataType::Int64).sum().alias("__sum")]);
    let supplied = wholes.select(
        key_exprs()
            .into_iter()
            .chain([col("population").cast(DataType::Int64).alias("__supplied")])
            .collect::<Vec<_>>(),
    );
    let pairs = frame::collect(frame::sort_by(
        frame::inner_join(supplied.clone(), parts.clone(), &keys),
        &keys,
    ))?;
    let checks = sums_match(&pairs, "population.area_sum", "the sum of its areas")?;
    let summed = frame::anti_join(parts, supplied.clone(), &keys);
    let as_rows = |rows: LazyFrame, value: &str| {
        rows.select(
            key_exprs().into_iter().chain([col(value).alias("population")]).collect::<Vec<_>>(),
        )
    };
    let whole = frame::concat(vec![as_rows(supplied, "__supplied"), as_rows(summed, "__sum")])?;
    Ok((frame::collect(whole)?, checks))
}

/// True when `rows` has no row.
fn scope_is_empty(rows: LazyFrame) -> Result<bool> {
    let n = frame::collect(rows.select([col("year").count().alias("__n")]))?;
    Ok(frame::first_int(&n, "__n")?.unwrap_or(0) == 0)
}

/// A county's population (all ages) year on year, within ±`limit`.
fn population_change(population: &DataFrame, limit: f64) -> Result<Vec<Check>> {
    let totals = population.clone().lazy().group_by([col("year"), col("region_code")]).agg([col(
        "population",
    )
    .sum()
    .alias("__p")]);
    let pairs = with_previous_year(totals, "__p")?;
    year_on_year(&pairs, "population.yoy_change", "__p", |now, before| {
        let change = now / before - 1.0;
        (
            change.abs() <= limit,
            format!(
                "population {before:.0} → {now:.0} ({:+.1}%, limit ±{:.1}%)",
                change * 100.0,
                limit * 100.0
            ),
        )
    })
}

/// Single ages against any all-ages totals supplied (rows whose age is null). The single ages are
/// summed only where such a total was delivered.
fn population_age_sums(population: &DataFrame) -> Result<Vec<Check>> {
    let keys = ["year", "region_code", "sex"];
    let supplied =
        frame::collect(population.clone().lazy().filter(col("age").is_null()).select([
            col("year"),
            col("region_code"),
            col("sex"),
            col("population").alias("__supplied"),
        ]))?;
    if supplied.height() == 0 {
        return Ok(Vec::new());
    }
    let singles = frame::semi_join(
        population.clone().lazy().filter(col("age").is_not_null()),
        supplied.clone().lazy(),
        &keys,
    )
    .group_by([col("year"), col("region_code"), col("sex")])
    .agg([col("population").sum().alias("__sum")]);
    let pairs =
        frame::collect(frame::sort_by(frame::inner_join(supplied.lazy(), singles, &keys), &keys))?;
    sums_match(&pairs, "population.age_sum", "the single ages")
}

/// Counties against any city or province rows delivered, age by age (a city may deliver only
/// some ages) and per sex. The counties are summed only under the regions that delivered rows.
fn population_county_sums(
    population: &DataFrame,
    divisions: &Divisions,
    levels: &[String],
) -> Result<Vec<Check>> {
    let base = levels.last().map_or("county", String::as_str);
    let rollup = divisions.rollup()?;
    let singles = population.clone().lazy().filter(col("age").is_not_null());
    let higher_codes = frame::distinct(
        rollup
            .clone()
            .lazy()
            .filter(col("from_level").neq(lit(base)))
            .select([col("from_code").alias("region_code")]),
    );
    let higher = frame::collect(
        frame::inner_join(singles.clone(), higher_codes, &["region_code"]).select([
            col("year"),
            col("region_code"),
            col("sex"),
            col("age"),
            col("population").alias("__supplied"),
        ]),
    )?;
    if higher.height() == 0 {
        return Ok(Vec::new());
    }
    let delivered = frame::distinct(higher.clone().lazy().select([col("region_code")]));
    let counties = frame::semi_join(
        rollup
            .lazy()
            .filter(col("from_level").eq(lit(base)).and(col("region_level").neq(lit(base)))),
        delivered,
        &["region_code"],
    );
    let county_rows = frame::inner_join(
        singles.select([
            col("year"),
            col("region_code").alias("from_code"),
            col("sex"),
            col("age"),
            col("population"),
        ]),
        counties,
        &["from_code"],
    )
    .group_by([col("year"), col("region_code"), col("sex"), col("age")])
    .agg([col("population").sum().alias("__sum")]);
    let keys = ["year", "region_code", "sex", "age"];
    let pairs = frame::collect(frame::sort_by(
        frame::inner_join(higher.lazy(), county_rows, &keys),
        &keys,
    ))?;
    sums_match(&pairs, "population.county_sum", "the sum of its counties")
}

/// Schools reporting enrolment per county, against the year before: at least `min` of them.
fn reporting_coverage(enrolment: &Table, schools: &Table, min: f64) -> Result<Vec<Check>> {
    let located = schools.lazy().select([col("year"), col("school_id"), col("region_code")]);
    // The schools with any enrolment row, a row each a year (streamed: the engine holds the
    // distinct schools, never a key per enrolment row) ...
    let reporting = frame::collect_streamed(frame::distinct(
        enrolment.lazy().select([col("year"), col("school_id")]),
    ))?;
    // ... and the register's schools among them.
    let reporting = frame::semi_join(located, reporting.lazy(), &["year", "school_id"])
        .group_by([col("year"), col("region_code")])
        .agg([col("school_id").count().cast(DataType::Float64).alias("__n")]);
    let pairs = with_previous_year(reporting, "__n")?;
    year_on_year(&pairs, "reporting.coverage", "__n", |now, before| {
        let ratio = now / before;
        (
            ratio >= min,
            format!(
                "{now:.0} schools reported enrolment, {before:.0} the year before ({:.1}%, minimum {:.1}%)",
                ratio * 100.0,
                min * 100.0
            ),
        )
    })
}

/// Percent values above 100 (informative: such values are flagged `over_100`, never capped).
fn over_100(indicators: &DataFrame) -> Result<Check> {
    let over = frame::collect(
        indicators
            .clone()
            .lazy()
            .filter(col("value").gt(lit(100.0)).and(col("unit").eq(lit("percent"))))
            .select([col("value").count().alias("n")]),
    )?;
    let n = frame::first_int(&over, "n")?.unwrap_or(0);
    Ok(Check {
        rule: "values.over_100".into(),
        scope: "indicators".into(),
        passed: true,
        detail: format!("{n} percent values above 100, flagged over_100"),
        warning: false,
    })
}

/// One check per (year, region, sex[, age]): column `__supplied` against `__sum`.
fn sums_match(pairs: &DataFrame, rule: &str, what: &str) -> Result<Vec<Check>> {
    let years = frame::ints(pairs, "year")?;
    let codes = frame::texts(pairs, "region_code")?;
    let sexes = frame::texts(pairs, "sex")?;
    let supplied = frame::ints(pairs, "__supplied")?;
    let sums = frame::ints(pairs, "__sum")?;
    let ages = match frame::has_column(pairs, "age") {
        true => frame::ints(pairs, "age")?,
        false => vec![None; pairs.height()],
    };
    let mut checks = Vec::new();
    for i in 0..pairs.height() {
        let (Some(y), Some(c), Some(x), Some(t)) = (years[i], &codes[i], supplied[i], sums[i])
        else {
            continue;
        };
        let sex = sexes[i].as_deref().unwrap_or("total");
        let age = ages[i].map(|a| format!(" age {a}")).unwrap_or_default();
        checks.push(Check {
            rule: rule.into(),
            scope: format!("{c} {y} {sex}{age}"),
            passed: x == t,
            detail: format!("supplied {x}, {what} {t}"),
            warning: false,
        });
    }
    Ok(checks)
}

/// One check per (year, region) pair of column `now` and `__prev` (skipped when the year
/// before is not positive).
fn year_on_year(
    pairs: &DataFrame,
    rule: &str,
    now: &str,
    test: impl Fn(f64, f64) -> (bool, String),
) -> Result<Vec<Check>> {
    let years = frame::ints(pairs, "year")?;
    let codes = frame::texts(pairs, "region_code")?;
    let values = frame::floats(pairs, now)?;
    let previous = frame::floats(pairs, "__prev")?;
    let mut checks = Vec::new();
    for i in 0..pairs.height() {
        if let (Some(y), Some(c), Some(x), Some(p)) = (years[i], &codes[i], values[i], previous[i])
            && p > 0.0
        {
            let (passed, detail) = test(x, p);
            let scope = format!("{c} {y}");
            checks.push(Check { rule: rule.into(), scope, passed, detail, warning: false });
        }
    }
    Ok(checks)
}
