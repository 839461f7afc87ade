//! Stage 2, compute: indicator families over the division hierarchy. Every family returns rows
//! in the long layout of `indicators.parquet`; counts are rolled up county → city → province
//! by summing numerators and denominators, then dividing.

pub mod balance;
mod batch;
pub mod class_size;
pub mod counts;
pub mod county_rule;
pub mod gross_enrolment;
pub mod retention;
pub mod school_share;
pub mod scope;
pub mod staffing;
pub mod supplied;

use crate::divisions::{Divisions, TOWNSHIP};
use crate::error::Result;
use crate::frame::{
    self, DataFrame, DataType, Expr, IntoLazy, LazyFrame, NULL, col, concat_list, lit, when,
};
use crate::spec::{Family, Phase, Pipeline};
use crate::tables::Tables;
use batch::Batch;

/// Columns of `indicators.parquet`, in order.
pub const COLUMNS: &[&str] = &[
    "indicator",
    "year",
    "region_code",
    "region_level",
    "region_name",
    "sex",
    "area",
    "value",
    "numerator",
    "denominator",
    "unit",
    "flags",
    "coverage",
];

/// Below this share of reporting units a value is flagged `low_coverage`.
pub const LOW_COVERAGE: f64 = 0.95;

/// What [`compute`] produces.
pub struct Indicators {
    /// One row per indicator, year, region, sex and area ([`COLUMNS`]).
    pub values: DataFrame,
    /// Every supplied total compared with its parts ([`supplied::COMPARISON_COLUMNS`]), for
    /// the gates.
    pub supplied_totals: DataFrame,
}

/// Compute every indicator the pipeline declares: the families that read the canonical tables,
/// then growths (which read their values), then county rules (which read both).
pub fn compute(pipeline: &Pipeline, tables: &Tables, divisions: &Divisions) -> Result<Indicators> {
    let hierarchy = Hierarchy::new(divisions, pipeline)?;
    let resolved = supplied::resolve(tables, &hierarchy, pipeline.supplied_totals)?;
    let located = scope::located_tables(&resolved.tables)?;
    let values = compute_values(pipeline, &located, &hierarchy)?;
    Ok(Indicators { values, supplied_totals: resolved.comparisons })
}

fn compute_values(
    pipeline: &Pipeline,
    tables: &Tables,
    hierarchy: &Hierarchy,
) -> Result<DataFrame> {
    let mut base = empty()?;
    let mut all = None;
    for phase in [Phase::Tables, Phase::Values, Phase::Rules] {
        let mut new: Vec<LazyFrame> = Vec::new();
        // Kinds of many small indicators are planned together, after the loop.
        let mut together = Batch::default();
        for family in pipeline.families.iter().filter(|f| f.phase() == phase) {
            if together.take(family) {
                continue;
            }
            let started = std::time::Instant::now();
            new.extend(rows(family, pipeline, tables, hierarchy, &base)?);
            let ids = family.ids();
            tracing::debug!(family = family.table(), first = ?ids.first(), millis = started.elapsed().as_millis() as u64, "planned");
        }
        new.extend(together.rows(pipeline, (tables, &base), hierarchy)?);
        if new.is_empty() {
            continue;
        }
        let started = std::time::Instant::now();
        let parts: Vec<LazyFrame> = all.take().into_iter().chain(new).collect();
        base = frame::collect(frame::concat(parts)?)?;
        tracing::debug!(phase = ?phase, rows = base.height(), millis = started.elapsed().as_millis() as u64, "computed");
        all = Some(base.clone().lazy());
    }
    let all = match all {
        Some(all) => with_breaks(with_no_data_rows(all, hierarchy)?, hierarchy)?,
        None => empty()?.lazy(),
    };
    let level_order = hierarchy.levels.iter().enumerate().rev().fold(
        lit(hierarchy.levels.len() as i32),
        |acc, (i, l)| {
            when(col("region_level").eq(lit(l.clone()))).then(lit(i as i32)).otherwise(acc)
        },
    );
    let level_order = level_order.alias("__level");
    let sex_order = when(col("sex").eq(lit("total")))
        .then(lit(0))
        .otherwise(when(col("sex").eq(lit("female"))).then(lit(1)).otherwise(lit(2)))
        .alias("__sex");
    let area_order = ["total", "urban", "town", "rural"]
        .iter()
        .enumerate()
        .rev()
        .fold(lit(4i32), |acc, (i, a)| {
            when(col("area").eq(lit(*a))).then(lit(i as i32)).otherwise(acc)
        });
    // Made, then sorted a column at a time: the sorted rows never sit beside all the unsorted.
    let all =
        frame::collect(all.with_columns([level_order, sex_order, area_order.alias("__area")]))?;
    let sorted = frame::sorted_by_columns(
        all,
        &["indicator", "year", "__level", "region_code", "__sex", "__area"],
    )?;
    frame::collect(frame::lazy(&sorted).select(COLUMNS.iter().map(|c| col(*c)).collect::<Vec<_>>()))
}

/// One family's rows. `base` holds the indicators of the earlier phases (empty in the first),
/// which growths and county rules read.
fn rows(
    family: &Family,
    pipeline: &Pipeline,
    tables: &Tables,
    hierarchy: &Hierarchy,
    base: &DataFrame,
) -> Result<Vec<LazyFrame>> {
    let needs_schools =
        matches!(family, Family::SchoolTotal(_) | Family::TownshipCoverage(_) | Family::Balance(_));
    if needs_schools && !tables.contains_key("schools") {
        tracing::warn!(indicators = ?family.ids(), "these indicators need school records (a schools table); the delivery has none, so they have no rows");
    }
    Ok(match family {
        Family::Count(_)
        | Family::SchoolShare(_)
        | Family::ClassShare(_)
        | Family::ClassAverage(_)
        | Family::PupilTeacherRatio(_)
        | Family::CountyRule(_) => {
            let mut alone = Batch::default();
            alone.take(family);
            alone.rows(pipeline, (tables, base), hierarchy)?
        }
        Family::GrossEnrolment(s) => {
            vec![gross_enrolment::compute(s, pipeline, tables, hierarchy)?]
        }
        Family::SchoolTotal(s) => vec![school_share::total(s, pipeline, tables, hierarchy)?],
        Family::TownshipCoverage(s) => {
            vec![school_share::townships(s, pipeline, tables, hierarchy)?]
        }
        Family::Measure(s) => vec![staffing::measure(s, pipeline, tables, hierarchy)?],
        Family::Balance(s) => balance::compute(s, pipeline, tables, hierarchy)?,
        Family::Retention(s) => vec![retention::retention(s, pipeline, tables, hierarchy)?],
        Family::Survival(s) => vec![retention::survival(s, pipeline, tables, hierarchy)?],
        Family::Growth(s) => vec![staffing::growth(s, base)?],
    })
}

/// Rows of a summed quantity for the regions with data: `data` has `year, from_code, __n` (f64,
/// null where not reported); a sum over nothing reported stays null. No numerator or denominator;
/// coverage: the share of the region's counties that reported (flagged `low_coverage` under
/// 95%). Regions without data get their `no_data` row with every other family's.
pub fn totals(
    id: &str,
    unit: &str,
    data: LazyFrame,
    hierarchy: &Hierarchy,
    years: (i32, i32),
) -> Result<LazyFrame> {
    totals_of(lit(id.to_string()), &["year"], (unit, data), hierarchy, years)
}

/// [`totals`] of several indicators in one plan: `data` has `__id` (the indicator) beside
/// `year, from_code, __n`, and each indicator is summed and covered on its own.
pub fn totals_by_id(
    unit: &str,
    data: LazyFrame,
    hierarchy: &Hierarchy,
    years: (i32, i32),
) -> Result<LazyFrame> {
    totals_of(col("__id"), &["year", "__id"], (unit, data), hierarchy, years)
}

/// [`totals`] with the indicator `indicator` (an expression over the rows) and `by` the keys
/// summed by (the year first).
fn totals_of(
    indicator: Expr,
    by: &[&str],
    (unit, data): (&str, LazyFrame),
    hierarchy: &Hierarchy,
    years: (i32, i32),
) -> Result<LazyFrame> {
    let data = frame::shared(data);
    let mut keys: Vec<Expr> = by.iter().map(|k| col(*k)).collect();
    keys.push(col("from_code"));
    let reported = data.clone().filter(col("__n").is_not_null()).select(keys);
    let coverage = hierarchy.coverage(reported, by);
    let rolled = hierarchy.roll_up(data, by, &["__n"]);
    let mut on = by.to_vec();
    on.push("region_code");
    let joined = frame::left_join(rolled, coverage, &on);
    let joined = frame::left_join(joined, hierarchy.names.clone().lazy(), &["region_code"]);
    let low = col("coverage").fill_null(lit(0.0)).lt(lit(LOW_COVERAGE));
    Ok(joined.filter(scope::in_years(years)).select(
        Output::new(indicator, unit, col("__n"))
            .flags(flags(vec![flag_if(low, "low_coverage")])?)
            .coverage(col("coverage").fill_null(lit(0.0)))
            .columns()?,
    ))
}

/// `all` with `boundary_break` on the rows of codes on either side of a split: their series
/// change meaning where the split falls.
fn with_breaks(all: LazyFrame, hierarchy: &Hierarchy) -> Result<LazyFrame> {
    if hierarchy.breaks.is_empty() {
        return Ok(all);
    }
    let broken = frame::any_of(
        hierarchy.breaks.iter().map(|c| col("region_code").eq(lit(c.clone()))).collect(),
    );
    let flagged = concat_list([col("flags"), lit("boundary_break")])?;
    Ok(all.with_column(when(broken).then(flagged).otherwise(col("flags")).alias("flags")))
}

/// The gender parity index of the rows of a rate published by sex (UIS): the female value over
/// the male value, as indicator `id` (unit `index`, sex `total`), with the female value as
/// numerator and the male value as denominator. Null, flagged `parity_undefined`, where either
/// value is missing or the male value is 0; its coverage is the lower of the two.
pub fn parity(rows: LazyFrame, id: &str) -> Result<LazyFrame> {
    let keys = ["year", "region_code", "region_level", "region_name", "area"];
    let side = |sex: &str, value: &str, cov: &str, low: &str| {
        let mut sel: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
        sel.push(col("value").alias(value));
        sel.push(col("coverage").alias(cov));
        let is_low = col("flags").list().contains(lit("low_coverage"), false);
        sel.push(is_low.alias(low));
        rows.clone().filter(col("sex").eq(lit(sex))).select(sel)
    };
    let pairs = frame::inner_join(
        side("female", "__f", "__cf", "__lf"),
        side("male", "__m", "__cm", "__lm"),
        &keys,
    );
    let defined = col("__f").is_not_null().and(col("__m").gt(lit(0.0)));
    let value = when(defined.clone()).then(col("__f") / col("__m")).otherwise(null_f64());
    let coverage = when(col("__cf").lt(col("__cm"))).then(col("__cf")).otherwise(col("__cm"));
    let low = col("__lf").or(col("__lm"));
    Ok(pairs.select(
        Output::new(lit(id.to_string()), "index", value)
            .parts(col("__f"), col("__m"))
            .flags(flags(vec![
                flag_if(defined.not(), "parity_undefined"),
                flag_if(low, "low_coverage"),
            ])?)
            .coverage(coverage)
            .breakdown(lit("total"), col("area"))
            .columns()?,
    ))
}

/// Keys of one published row.
const ROW_KEYS: &[&str] = &["indicator", "year", "region_code", "sex", "area"];

/// `all` with a row for every current region (counties only, for an indicator published for
/// counties only) in every (year, sex, area) the indicator has any row for: a region without
/// one gets a null value, null parts, coverage 0 and the flag `no_data`.
fn with_no_data_rows(all: LazyFrame, hierarchy: &Hierarchy) -> Result<LazyFrame> {
    let cells = frame::distinct(all.clone().select([
        col("indicator"),
        col("year"),
        col("sex"),
        col("area"),
        col("unit"),
    ]));
    let above_counties = all.clone().group_by([col("indicator")]).agg([col("region_level")
        .neq(lit(hierarchy.base.clone()))
        .cast(DataType::UInt32)
        .sum()
        .alias("__above")]);
    let cells =
        frame::left_join(cells, above_counties, &["indicator"]).with_column(lit(1i32).alias("__k"));
    let regions = frame::distinct(
        hierarchy.rollup.clone().lazy().select([col("region_code"), col("region_level")]),
    );
    let regions = frame::left_join(regions, hierarchy.names.clone().lazy(), &["region_code"])
        .with_column(lit(1i32).alias("__k"));
    let grid = frame::inner_join(cells, regions, &["__k"]).filter(
        col("__above").gt(lit(0u32)).or(col("region_level").eq(lit(hierarchy.base.clone()))),
    );
    let grid = frame::inner_join(grid, hierarchy.in_force.clone().lazy(), &["year", "region_code"]);
    let present = all.clone().select(ROW_KEYS.iter().map(|c| col(*c)).collect::<Vec<_>>());
    let missing = frame::anti_join(grid, present, ROW_KEYS);
    let filled = missing.select([
        col("indicator"),
        col("year"),
        col("region_code"),
        col("region_level"),
        col("region_name"),
        col("sex"),
        col("area"),
        null_f64().alias("value"),
        null_f64().alias("numerator"),
        null_f64().alias("denominator"),
        col("unit"),
        flags(vec![lit("no_data")])?,
        lit(0.0).alias("coverage"),
    ]);
    frame::concat(vec![all, filled])
}

fn empty() -> Result<DataFrame> {
    let mut cols: Vec<(&str, DataType)> = Vec::new();
    for c in COLUMNS {
        let t = match *c {
            "year" => DataType::Int32,
            "value" | "numerator" | "denominator" | "coverage" => DataType::Float64,
            "flags" => DataType::List(Box::new(DataType::String)),
            _ => DataType::String,
        };
        cols.push((c, t));
    }
    frame::empty_frame(&cols)
}

/// The division hierarchy as frames for joins.
pub struct Hierarchy {
    /// `from_code, region_code, region_level`: every current code under itself and its ancestors.
    pub rollup: DataFrame,
    /// `region_code, region_name`
    pub names: DataFrame,
    /// `year, region_code, __expected`: the reporting units in force under each region.
    pub counties: DataFrame,
    /// Current townships: (code, county code).
    pub townships: Vec<(String, String)>,
    /// The division table's levels, top first.
    pub levels: Vec<String>,
    /// The last of them: the reporting unit (county).
    pub base: String,
    /// `year, region_code`: the regions that publish in each data year.
    pub in_force: DataFrame,
    /// Codes on either side of a split: their rows are flagged `boundary_break`.
    pub breaks: Vec<String>,
    /// `year, from_code`: each reporting unit in force.
    units: DataFrame,
}

impl Hierarchy {
    /// The hierarchy of `divisions` over the pipeline's levels (top first; the last is the
    /// reporting unit), in its data years, on its boundaries.
    pub fn new(divisions: &Divisions, pipeline: &Pipeline) -> Result<Self> {
        let levels = &pipeline.levels;
        let base = levels.last().cloned().unwrap_or_else(|| "county".into());
        let rollup = divisions.rollup()?;
        let in_force = divisions.in_force(pipeline.data_years, pipeline.boundaries)?;
        let units = frame::collect(frame::inner_join(
            in_force.clone().lazy().select([col("year"), col("region_code").alias("from_code")]),
            rollup.clone().lazy().filter(col("from_level").eq(lit(base.clone()))),
            &["from_code"],
        ))?;
        let counties = frame::collect(
            units.clone().lazy().group_by([col("year"), col("region_code")]).agg([col(
                "from_code",
            )
            .n_unique()
            .cast(DataType::Float64)
            .alias("__expected")]),
        )?;
        let breaks = divisions.split_codes();
        let townships = divisions
            .rows
            .iter()
            .filter(|d| d.level == TOWNSHIP && d.valid_to.is_none())
            .filter_map(|d| Some((d.code.clone(), d.parent_code.clone()?)))
            .collect();
        Ok(Hierarchy {
            rollup,
            names: divisions.names()?,
            counties,
            townships,
            levels: levels.to_vec(),
            base,
            in_force,
            breaks,
            units: frame::collect(frame::distinct(
                units.lazy().select([col("year"), col("from_code")]),
            ))?,
        })
    }

    /// `year, region_code` of the reporting units in force in each data year.
    pub fn units(&self) -> LazyFrame {
        self.units.clone().lazy().select([col("year"), col("from_code").alias("region_code")])
    }

    /// `region_code` of every reporting unit, current or retired (for keeping their rows only).
    pub fn county_codes(&self) -> Result<DataFrame> {
        frame::collect(frame::distinct(
            self.rollup
                .clone()
                .lazy()
                .filter(col("from_level").eq(lit(self.base.clone())))
                .select([col("from_code").alias("region_code")]),
        ))
    }

    /// Sum `value_cols` of rows keyed by `from_code` (a county, city or the province) into
    /// that region and every region above it, grouped additionally by `by`.
    pub fn roll_up(&self, data: LazyFrame, by: &[&str], value_cols: &[&str]) -> LazyFrame {
        let joined = frame::inner_join(data, self.rollup.clone().lazy(), &["from_code"]);
        let mut keys: Vec<Expr> = by.iter().map(|c| col(*c)).collect();
        keys.push(col("region_code"));
        keys.push(col("region_level"));
        // A sum over nothing reported stays null (polars would give 0).
        let sums: Vec<Expr> = value_cols.iter().map(|c| scope::summed(c)).collect();
        joined.group_by(keys).agg(sums)
    }

    /// Share of each region's counties covered by data reported at `from_code`, per `by`.
    /// Data reported for a city or the province covers every county under it.
    pub fn coverage(&self, reported: LazyFrame, by: &[&str]) -> LazyFrame {
        // (year, unit in force, region it counts in); `by` starts with the year
        let county_rows = frame::inner_join(
            self.rollup
                .clone()
                .lazy()
                .filter(col("from_level").eq(lit(self.base.clone())))
                .select([col("from_code"), col("region_code")]),
            self.units.clone().lazy(),
            &["from_code"],
        );
        let mut sel: Vec<Expr> = by.iter().map(|c| col(*c)).collect();
        sel.push(col("from_code").alias("region_code"));
        let reported = frame::distinct(reported.select(sel));
        // (by, reporting code, county under it) → distinct (by, county)
        let covered = frame::inner_join(reported, county_rows.clone(), &["year", "region_code"]);
        let mut sel: Vec<Expr> = by.iter().map(|c| col(*c)).collect();
        sel.push(col("from_code"));
        let covered = frame::distinct(covered.select(sel));
        let up = frame::inner_join(covered, county_rows, &["year", "from_code"]);
        let mut keys: Vec<Expr> = by.iter().map(|c| col(*c)).collect();
        keys.push(col("region_code"));
        let counted = up
            .group_by(keys)
            .agg([col("from_code").n_unique().cast(DataType::Float64).alias("__covered")]);
        let mut out: Vec<Expr> = by.iter().map(|c| col(*c)).collect();
        out.push(col("region_code"));
        out.push((col("__covered") / col("__expected")).alias("coverage"));
        frame::left_join(counted, self.counties.clone().lazy(), &["year", "region_code"])
            .select(out)
    }
}

/// Flags that a value computed from flagged inputs carries on, through county rules, growths
/// and roll-ups.
pub const INHERITED: &[&str] =
    &["proxy_definition", "band_straddles_cutoff", "low_coverage", "location_basis"];

fn null_f64() -> Expr {
    lit(NULL).cast(DataType::Float64)
}

/// Ratio parts reported per `from_code` (a county, or a city or the province for data
/// delivered at that level), rolled up the hierarchy. `data` has `year, from_code`, the `by`
/// columns, `__num` and `__den` (f64, null where not reported) and the `extra` columns (summed).
/// A unit's parts are paired when both are reported; only paired parts (`__pnum`, `__pden`)
/// are divided anywhere above it, and `__num_only` / `__den_only` count the units left out.
/// Coverage counts the counties whose paired parts entered.
pub fn paired(
    data: LazyFrame,
    by: &[&str],
    hierarchy: &Hierarchy,
    extra: &[&str],
) -> Result<LazyFrame> {
    let both = col("__num").is_not_null().and(col("__den").is_not_null());
    let data = frame::shared(data).with_columns([
        when(both.clone()).then(col("__num")).otherwise(null_f64()).alias("__pnum"),
        when(both.clone()).then(col("__den")).otherwise(null_f64()).alias("__pden"),
        col("__num")
            .is_not_null()
            .and(col("__den").is_null())
            .cast(DataType::Float64)
            .alias("__num_only"),
        col("__den")
            .is_not_null()
            .and(col("__num").is_null())
            .cast(DataType::Float64)
            .alias("__den_only"),
    ]);
    let mut keys = vec!["year"];
    keys.extend(by);
    let mut sums = vec!["__num", "__den", "__pnum", "__pden", "__num_only", "__den_only"];
    sums.extend(extra);
    let rolled = hierarchy.roll_up(data.clone(), &keys, &sums);
    let mut reported: Vec<Expr> = keys.iter().map(|c| col(*c)).collect();
    reported.push(col("from_code"));
    let reported = data.filter(both.and(col("__den").gt(lit(0.0)))).select(reported);
    let coverage = hierarchy.coverage(reported, &keys);
    let mut on = keys.clone();
    on.push("region_code");
    let joined = frame::left_join(rolled, coverage, &on);
    Ok(frame::left_join(joined, hierarchy.names.clone().lazy(), &["region_code"]))
}

/// The value of a `paired` row: paired numerator over a positive paired denominator × `scale`.
pub fn paired_value(scale: f64) -> Expr {
    when(col("__pden").gt(lit(0.0)))
        .then(col("__pnum") / col("__pden") * lit(scale))
        .otherwise(null_f64())
}

/// The flags of a `paired` row; `count_flags` name extra summed columns that flag where positive.
pub fn paired_flags(unit: &str, scale: f64, count_flags: &[(&str, &str)]) -> Vec<Expr> {
    let value = paired_value(scale);
    let mut conditions: Vec<(&str, Expr)> = Vec::new();
    if unit == "percent" {
        conditions.push(("over_100", value.clone().gt(lit(100.0))));
    }
    // A numerator with nothing (positive) to divide it by; a denominator without a numerator.
    let no_value = value.is_null();
    let zero_den = col("__pden").eq(lit(0.0)).fill_null(lit(false));
    conditions.extend([
        ("denominator_missing", no_value.clone().and(col("__num_only").gt(lit(0.0)).or(zero_den))),
        ("numerator_missing", no_value.and(col("__den_only").gt(lit(0.0)))),
        ("numerator_unpaired", col("__num_only").gt(lit(0.0))),
        ("denominator_unpaired", col("__den_only").gt(lit(0.0))),
        ("low_coverage", col("coverage").fill_null(lit(0.0)).lt(lit(LOW_COVERAGE))),
    ]);
    for (column, flag) in count_flags {
        let holds = col(*column).gt(lit(0.0)).fill_null(lit(false));
        // A flag named twice (its own and an inherited one) is listed once.
        match conditions.iter_mut().find(|(name, _)| name == flag) {
            Some((_, cond)) => *cond = cond.clone().fill_null(lit(false)).or(holds),
            None => conditions.push((flag, holds)),
        }
    }
    conditions.into_iter().map(|(name, cond)| flag_if(cond, name)).collect()
}

/// Rows of a ratio (see `paired` for `data`, which also has `area`: `total` or one area, see
/// `scope::by_area`): only paired parts are divided, the `numerator` and `denominator` columns
/// hold what was divided, and each extra column of `count_flags` is summed and turned into its
/// flag where positive. `scale` is 100 for percents, 1 for ratios. A region's rows by area
/// carry the coverage of its total: a county with no rural school is not missing from the
/// rural value.
pub fn ratio(
    id: &str,
    unit: &str,
    scale: f64,
    data: LazyFrame,
    hierarchy: &Hierarchy,
    years: (i32, i32),
    count_flags: &[(&str, &str)],
) -> Result<LazyFrame> {
    let of = (lit(id.to_string()), &[] as &[&str]);
    ratio_of(of, (unit, scale), data, (hierarchy, years), count_flags)
}

/// [`ratio`] of several indicators in one plan: `data` has `__id` (the indicator) beside the
/// columns `ratio` reads, and each indicator is rolled up and covered on its own.
pub fn ratio_by_id(
    (unit, scale): (&str, f64),
    data: LazyFrame,
    hierarchy: &Hierarchy,
    years: (i32, i32),
    count_flags: &[(&str, &str)],
) -> Result<LazyFrame> {
    ratio_of((col("__id"), &["__id"]), (unit, scale), data, (hierarchy, years), count_flags)
}

/// The ratios of `parts` (indicator id, rows before the roll-up: `year, from_code, area, __num,
/// __den` and the columns `flags` count), each `unit` × `scale` with the flags where its
/// counted column is positive, all in one plan ([`ratio_by_id`]); `None` for no parts.
pub fn keyed_ratio(
    parts: Vec<(String, LazyFrame)>,
    ((unit, scale), flags): ((&str, f64), &[(&str, &str)]),
    hierarchy: &Hierarchy,
    years: (i32, i32),
) -> Result<Option<LazyFrame>> {
    if parts.is_empty() {
        return Ok(None);
    }
    let columns = ["year", "from_code", "area", "__num", "__den"];
    let keyed = parts.into_iter().map(|(id, rows)| {
        let mut sel = vec![lit(id).alias("__id")];
        sel.extend(columns.iter().chain(flags.iter().map(|(c, _)| c)).map(|c| col(*c)));
        rows.select(sel)
    });
    let data = frame::concat(keyed.collect())?;
    ratio_by_id((unit, scale), data, hierarchy, years, flags).map(Some)
}

/// [`ratio`] with the indicator an expression over the rows, and `ids` the keys that tell
/// indicators apart (none, or `__id`).
fn ratio_of(
    (indicator, ids): (Expr, &[&str]),
    (unit, scale): (&str, f64),
    data: LazyFrame,
    (hierarchy, years): (&Hierarchy, (i32, i32)),
    count_flags: &[(&str, &str)],
) -> Result<LazyFrame> {
    let extra: Vec<&str> = count_flags.iter().map(|(c, _)| *c).collect();
    let mut by = ids.to_vec();
    by.push("area");
    let joined = frame::shared(paired(data, &by, hierarchy, &extra)?);
    let mut on = vec!["year", "region_code"];
    on.extend(ids);
    let mut total: Vec<Expr> = on.iter().map(|c| col(*c)).collect();
    total.push(col("coverage").alias("__total_coverage"));
    let total = joined.clone().filter(col("area").eq(lit("total"))).select(total);
    let joined =
        frame::left_join(joined, total, &on).with_column(col("__total_coverage").alias("coverage"));
    let out = Output::new(indicator, unit, paired_value(scale))
        .parts(col("__pnum"), col("__pden"))
        .flags(flags(paired_flags(unit, scale, count_flags))?)
        .coverage(col("coverage").fill_null(lit(0.0)))
        .breakdown(lit("total"), col("area"));
    Ok(joined.filter(scope::in_years(years)).select(out.columns()?))
}

/// Per `keys`, one `__f_<flag>` count column for each flag of `INHERITED` carried by `rows`
/// (which hold `keys` and `flags`).
pub fn inherited_flags(rows: LazyFrame, keys: &[&str]) -> LazyFrame {
    let mut sel: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    sel.push(col("flags"));
    let exploded = frame::explode(rows.select(sel), "flags");
    let counts: Vec<Expr> = INHERITED
        .iter()
        .map(|f| {
            col("flags")
                .eq(lit(f.to_string()))
                .fill_null(lit(false))
                .cast(DataType::Float64)
                .sum()
                .alias(format!("__f_{f}"))
        })
        .collect();
    exploded.group_by(keys.iter().map(|k| col(*k)).collect::<Vec<_>>()).agg(counts)
}

/// `(column, flag)` pairs of `inherited_flags`, for `ratio`'s `count_flags`.
pub fn inherited_columns() -> Vec<(String, &'static str)> {
    INHERITED.iter().map(|f| (format!("__f_{f}"), *f)).collect()
}

/// The columns of `indicators.parquet`, in order, from a frame holding `year, region_code,
/// region_name` (and `region_level` unless given): one builder instead of thirteen columns
/// spelled out by every family.
pub struct Output {
    indicator: Expr,
    unit: String,
    value: Expr,
    numerator: Expr,
    denominator: Expr,
    flags: Option<Expr>,
    coverage: Expr,
    level: Expr,
    sex: Expr,
    area: Expr,
}

impl Output {
    /// Total, all areas, no ratio parts, no flags, no coverage, `region_level` from the frame.
    pub fn new(indicator: Expr, unit: &str, value: Expr) -> Self {
        let null = || lit(NULL).cast(DataType::Float64);
        Output {
            indicator,
            unit: unit.to_string(),
            value,
            numerator: null(),
            denominator: null(),
            flags: None,
            coverage: null(),
            level: col("region_level"),
            sex: lit("total"),
            area: lit("total"),
        }
    }
    pub fn parts(mut self, numerator: Expr, denominator: Expr) -> Self {
        (self.numerator, self.denominator) = (numerator, denominator);
        self
    }
    pub fn flags(mut self, flags: Expr) -> Self {
        self.flags = Some(flags);
        self
    }
    pub fn coverage(mut self, coverage: Expr) -> Self {
        self.coverage = coverage;
        self
    }
    pub fn level(mut self, level: Expr) -> Self {
        self.level = level;
        self
    }
    pub fn breakdown(mut self, sex: Expr, area: Expr) -> Self {
        (self.sex, self.area) = (sex, area);
        self
    }
    pub fn columns(self) -> Result<Vec<Expr>> {
        Ok(vec![
            self.indicator.alias("indicator"),
            col("year"),
            col("region_code"),
            self.level.alias("region_level"),
            col("region_name"),
            self.sex.alias("sex"),
            self.area.alias("area"),
            self.value.alias("value"),
            self.numerator.alias("numerator"),
            self.denominator.alias("denominator"),
            lit(self.unit).alias("unit"),
            match self.flags {
                Some(f) => f.alias("flags"),
                None => flags(vec![])?,
            },
            self.coverage.alias("coverage"),
        ])
    }
}

/// The `flags` list column from optional flag expressions (each a string or null).
pub fn flags(candidates: Vec<Expr>) -> Result<Expr> {
    // With no candidate, one that never fires: the result is an empty list, never null.
    let candidates =
        if candidates.is_empty() { vec![crate::frame::null_text()] } else { candidates };
    Ok(concat_list(candidates)?.list().drop_nulls().alias("flags"))
}

/// `Some(name)` where `cond` holds.
pub fn flag_if(cond: Expr, name: &str) -> Expr {
    when(cond).then(lit(name.to_string())).otherwise(crate::frame::null_text())
}
