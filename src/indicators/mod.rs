//! Stage 2, compute: indicator families over the division hierarchy. Every family returns rows
//! in the long layout of `indicators.parquet`; counts are rolled up county → city → province
//! by summing numerators and denominators, then dividing.

pub mod balance;
pub mod class_size;
pub mod counts;
pub mod county_rule;
pub mod gross_enrolment;
pub mod retention;
pub mod school_share;
pub mod scope;
pub mod staffing;

use crate::divisions::Divisions;
use crate::error::Result;
use crate::frame::{
    self, Column, DataFrame, DataType, Expr, IntoLazy, LazyFrame, NULL, col, concat_list, lit, when,
};
use crate::spec::{Family, Phase, Pipeline};
use crate::tables::Tables;

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

/// Compute every indicator the pipeline declares: the families that read the canonical tables,
/// then growths (which read their values), then county rules (which read both).
pub fn compute(pipeline: &Pipeline, tables: &Tables, divisions: &Divisions) -> Result<DataFrame> {
    let hierarchy = Hierarchy::new(divisions)?;
    let mut base = empty()?;
    let mut all = None;
    for phase in [Phase::Tables, Phase::Values, Phase::Rules] {
        let mut new: Vec<LazyFrame> = Vec::new();
        for family in pipeline.families.iter().filter(|f| f.phase() == phase) {
            new.extend(rows(family, pipeline, tables, &hierarchy, &base)?);
        }
        if new.is_empty() {
            continue;
        }
        let parts: Vec<LazyFrame> = all.take().into_iter().chain(new).collect();
        base = frame::collect(frame::concat(parts)?)?;
        all = Some(base.clone().lazy());
    }
    let all = match all {
        Some(all) => all,
        None => empty()?.lazy(),
    };
    let level_order = when(col("region_level").eq(lit("province")))
        .then(lit(0))
        .otherwise(when(col("region_level").eq(lit("city"))).then(lit(1)).otherwise(lit(2)))
        .alias("__level");
    let sex_order = when(col("sex").eq(lit("total")))
        .then(lit(0))
        .otherwise(when(col("sex").eq(lit("female"))).then(lit(1)).otherwise(lit(2)))
        .alias("__sex");
    let sorted = frame::sort_by(
        all.with_columns([level_order, sex_order]),
        &["indicator", "year", "__level", "region_code", "__sex", "area"],
    );
    frame::collect(sorted.select(COLUMNS.iter().map(|c| col(*c)).collect::<Vec<_>>()))
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
    Ok(match family {
        Family::GrossEnrolment(s) => {
            vec![gross_enrolment::compute(s, pipeline, tables, hierarchy)?]
        }
        Family::Count(s) => vec![counts::compute(s, pipeline, tables, hierarchy)?],
        Family::ClassShare(s) => vec![class_size::share(s, pipeline, tables, hierarchy)?],
        Family::ClassAverage(s) => vec![class_size::average(s, pipeline, tables, hierarchy)?],
        Family::SchoolShare(s) => school_share::share(s, pipeline, tables, hierarchy)?,
        Family::SchoolTotal(s) => vec![school_share::total(s, pipeline, tables, hierarchy)?],
        Family::TownshipCoverage(s) => {
            vec![school_share::townships(s, pipeline, tables, hierarchy)?]
        }
        Family::PupilTeacherRatio(s) => {
            vec![staffing::pupil_teacher_ratio(s, pipeline, tables, hierarchy)?]
        }
        Family::Measure(s) => vec![staffing::measure(s, pipeline, tables, hierarchy)?],
        Family::Balance(s) => balance::compute(s, pipeline, tables, hierarchy)?,
        Family::Retention(s) => vec![retention::retention(s, pipeline, tables, hierarchy)?],
        Family::Survival(s) => vec![retention::survival(s, pipeline, tables, hierarchy)?],
        Family::Growth(s) => vec![staffing::growth(s, base)?],
        Family::CountyRule(s) => vec![county_rule::compute(s, base, pipeline, hierarchy)?],
    })
}

/// Rows of a summed quantity for every current region and year, 0 where nothing was reported:
/// `data` has `year, from_code, __n` (f64). No numerator, denominator or coverage.
pub fn totals(
    id: &str,
    unit: &str,
    data: LazyFrame,
    hierarchy: &Hierarchy,
    years: (i32, i32),
) -> Result<LazyFrame> {
    let regions = frame::collect(frame::distinct(
        hierarchy.rollup.clone().lazy().select([col("region_code"), col("region_level")]),
    ))?;
    let (codes, levels) =
        (frame::texts(&regions, "region_code")?, frame::texts(&regions, "region_level")?);
    let (mut g_year, mut g_code, mut g_level) = (Vec::new(), Vec::new(), Vec::new());
    for year in years.0..=years.1 {
        for i in 0..regions.height() {
            g_year.push(year);
            g_code.push(codes[i].clone());
            g_level.push(levels[i].clone());
        }
    }
    let grid = frame::frame(vec![
        Column::new("year".into(), g_year),
        Column::new("region_code".into(), g_code),
        Column::new("region_level".into(), g_level),
    ])?
    .lazy();
    let rolled = hierarchy.roll_up(data, &["year"], &["__n"]).select([
        col("year"),
        col("region_code"),
        col("__n"),
    ]);
    let joined = frame::left_join(grid, rolled, &["year", "region_code"]);
    let joined = frame::left_join(joined, hierarchy.names.clone().lazy(), &["region_code"]);
    Ok(joined
        .select(Output::new(lit(id.to_string()), unit, col("__n").fill_null(lit(0.0))).columns()?))
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
    /// `region_code, __expected`: number of current counties under each region.
    pub counties: DataFrame,
    /// Current townships: (9-digit code, county code).
    pub townships: Vec<(String, String)>,
}

impl Hierarchy {
    pub fn new(divisions: &Divisions) -> Result<Self> {
        let rollup = divisions.rollup()?;
        let counties = frame::collect(
            rollup
                .clone()
                .lazy()
                .filter(col("from_level").eq(lit("county")))
                .group_by([col("region_code")])
                .agg([col("from_code").n_unique().cast(DataType::Float64).alias("__expected")]),
        )?;
        let townships = divisions
            .rows
            .iter()
            .filter(|d| d.level == "township" && d.valid_to.is_none())
            .filter_map(|d| Some((d.code.clone(), d.parent_code.clone()?)))
            .collect();
        Ok(Hierarchy { rollup, names: divisions.names()?, counties, townships })
    }

    /// `region_code` of every current county (for keeping county-level rows only).
    pub fn county_codes(&self) -> Result<DataFrame> {
        frame::collect(frame::distinct(
            self.rollup
                .clone()
                .lazy()
                .filter(col("from_level").eq(lit("county")))
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
        let county_rows = self
            .rollup
            .clone()
            .lazy()
            .filter(col("from_level").eq(lit("county")))
            .select([col("from_code"), col("region_code")]);
        let mut sel: Vec<Expr> = by.iter().map(|c| col(*c)).collect();
        sel.push(col("from_code").alias("region_code"));
        let reported = frame::distinct(reported.select(sel));
        // (by, reporting code, county under it) → distinct (by, county)
        let covered = frame::inner_join(reported, county_rows.clone(), &["region_code"]);
        let mut sel: Vec<Expr> = by.iter().map(|c| col(*c)).collect();
        sel.push(col("from_code"));
        let covered = frame::distinct(covered.select(sel));
        let up = frame::inner_join(covered, county_rows, &["from_code"]);
        let mut keys: Vec<Expr> = by.iter().map(|c| col(*c)).collect();
        keys.push(col("region_code"));
        let counted = up
            .group_by(keys)
            .agg([col("from_code").n_unique().cast(DataType::Float64).alias("__covered")]);
        let mut out: Vec<Expr> = by.iter().map(|c| col(*c)).collect();
        out.push(col("region_code"));
        out.push((col("__covered") / col("__expected")).alias("coverage"));
        frame::left_join(counted, self.counties.clone().lazy(), &["region_code"]).select(out)
    }
}

/// Rows of a ratio whose parts are reported per `from_code` (a county, or a city or the province
/// for data delivered at that level): `data` has `year, from_code, __num, __den` (f64) and any
/// extra columns named in `count_flags`, each summed and turned into its flag where positive.
/// `scale` is 100 for percents, 1 for plain ratios.
pub fn ratio(
    id: &str,
    unit: &str,
    scale: f64,
    data: LazyFrame,
    hierarchy: &Hierarchy,
    years: (i32, i32),
    count_flags: &[(&str, &str)],
) -> Result<LazyFrame> {
    // Only numerators with a denominator are divided; the rest is counted to flag it.
    let data = data.with_column(
        when(col("__den").is_not_null())
            .then(col("__num"))
            .otherwise(lit(NULL).cast(DataType::Float64))
            .alias("__paired"),
    );
    let mut sums: Vec<&str> = vec!["__num", "__paired", "__den"];
    sums.extend(count_flags.iter().map(|(c, _)| *c));
    let rolled = hierarchy.roll_up(data.clone(), &["year"], &sums);
    let reported = data.filter(col("__den").gt(lit(0.0))).select([col("year"), col("from_code")]);
    let coverage = hierarchy.coverage(reported, &["year"]);
    let joined = frame::left_join(rolled, coverage, &["year", "region_code"]);
    let joined = frame::left_join(joined, hierarchy.names.clone().lazy(), &["region_code"]);
    let value = when(col("__den").gt(lit(0.0)))
        .then(col("__paired").fill_null(lit(0.0)) / col("__den") * lit(scale))
        .otherwise(lit(NULL).cast(DataType::Float64));
    let mut candidates = vec![
        flag_if(col("__den").is_null().or(col("__den").eq(lit(0.0))), "denominator_missing"),
        flag_if(
            col("__num").fill_null(lit(0.0)).neq(col("__paired").fill_null(lit(0.0))),
            "numerator_unpaired",
        ),
        flag_if(col("coverage").fill_null(lit(0.0)).lt(lit(LOW_COVERAGE)), "low_coverage"),
    ];
    if unit == "percent" {
        candidates.insert(0, flag_if(value.clone().gt(lit(100.0)), "over_100"));
    }
    for (column, flag) in count_flags {
        candidates.push(flag_if(col(*column).gt(lit(0.0)), flag));
    }
    let numerator = when(col("__den").is_not_null())
        .then(col("__paired").fill_null(lit(0.0)))
        .otherwise(lit(NULL).cast(DataType::Float64));
    let out = Output::new(lit(id.to_string()), unit, value)
        // What was divided: null where there was no denominator to divide by.
        .parts(numerator, col("__den"))
        .flags(flags(candidates)?)
        .coverage(col("coverage").fill_null(lit(0.0)));
    Ok(joined.filter(scope::in_years(years)).select(out.columns()?))
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
