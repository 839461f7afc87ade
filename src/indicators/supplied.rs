//! Supplied totals: rows of a region-level table whose region lies above other rows of the same
//! table with the same keys (a national row and regional sub-totals among the provinces). Such a
//! row never enters a sum with its parts: it is compared with them, or (`use = "fill"`) stands in
//! for them where they do not cover every reporting unit under it. Resolved bottom-up, so a
//! sub-total that stood in for its parts is a part of the total above it.

use crate::error::Result;
use crate::frame::{self, DataFrame, DataType, Expr, IntoLazy, LazyFrame, col, lit};
use crate::spec::{SuppliedTotals, TotalUse};
use crate::tables::{self, TableDef, Tables};

use super::Hierarchy;

/// Tables a supplied total may hide in. Population is not among them: its counties are the only
/// rows counted, and the gates compare the rows above them with their sums.
pub const TABLES: &[&str] = &[
    "regional_enrolment",
    "regional_teachers",
    "regional_classes",
    "higher_education",
    "finance",
    "exchange",
    "projects",
];

/// Columns of [`Resolved::comparisons`], one row per supplied total and measure.
pub const COMPARISON_COLUMNS: &[&str] = &[
    "table",
    "scope",
    "region_code",
    "measure",
    "supplied",
    "parts",
    "covered",
    "expected",
    "used",
];

/// The tables with supplied totals resolved, and every total compared with its parts.
pub struct Resolved {
    pub tables: Tables,
    /// `table, scope, region_code, measure, supplied, parts, covered, expected, used`: `covered`
    /// and `expected` count reporting units; `used` is true where the total stood in for them.
    pub comparisons: DataFrame,
}

/// Resolve every table of [`TABLES`] in `tables`.
pub fn resolve(tables: &Tables, hierarchy: &Hierarchy, policy: SuppliedTotals) -> Result<Resolved> {
    let mut out = tables.clone();
    let mut comparisons = Vec::new();
    let depth = depths(hierarchy)?;
    for name in TABLES {
        let (Some(df), Some(def)) = (tables.get(name), tables::table(name)) else { continue };
        let started = std::time::Instant::now();
        let (kept, compared) = resolve_table(def, &df.frame()?, hierarchy, &depth, policy)?;
        tracing::debug!(
            table = def.name,
            millis = started.elapsed().as_millis() as u64,
            "supplied totals resolved"
        );
        out.hold(def.name, kept);
        comparisons.extend(compared);
    }
    let comparisons = match comparisons.is_empty() {
        true => empty_comparisons()?,
        false => frame::collect(frame::concat(comparisons)?)?,
    };
    Ok(Resolved { tables: out, comparisons })
}

/// `region_code, __depth`: how many levels each current code lies below the top.
fn depths(hierarchy: &Hierarchy) -> Result<DataFrame> {
    frame::collect(
        hierarchy
            .rollup
            .clone()
            .lazy()
            .group_by([col("from_code")])
            .agg([(col("region_code").count() - lit(1u32)).alias("__depth")])
            .select([col("from_code").alias("region_code"), col("__depth")]),
    )
}

/// The row's keys other than its region, as one text (`year=2019 stage=primary`), nulls shown
/// as `-`: rows are parts of a total only when it matches.
fn key_text(def: &TableDef) -> Expr {
    let mut parts: Vec<Expr> = Vec::new();
    for (i, k) in def.keys().into_iter().filter(|k| *k != "region_code").enumerate() {
        let sep = if i == 0 { "" } else { " " };
        parts.push(lit(format!("{sep}{k}=")));
        parts.push(col(k).cast(DataType::String).fill_null(lit("-")));
    }
    frame::concat_text(parts).alias("__key")
}

/// One table: the rows kept (parts, and totals that stood in for missing parts) and the
/// comparisons of every total with its parts.
fn resolve_table(
    def: &TableDef,
    df: &DataFrame,
    hierarchy: &Hierarchy,
    depth: &DataFrame,
    policy: SuppliedTotals,
) -> Result<(DataFrame, Vec<LazyFrame>)> {
    let columns: Vec<Expr> = def
        .columns
        .iter()
        .map(|c| col(c.name))
        .chain(def.measures.iter().map(|m| col(*m)))
        .collect();
    if one_level(df, depth)? {
        // No row lies above another: no total has parts, every row is kept as it is.
        return Ok((frame::collect(df.clone().lazy().select(columns))?, Vec::new()));
    }
    let present = frame::any_of(def.measures.iter().map(|m| col(*m).is_not_null()).collect());
    let rows = frame::left_join(
        df.clone().lazy().with_row_index("__row", None).with_column(key_text(def)),
        depth.clone().lazy(),
        &["region_code"],
    )
    .with_column(present.alias("__present"));
    let mut current = frame::collect(rows)?;
    let deepest = frame::first_int(
        &frame::collect(current.clone().lazy().select([col("__depth").max()]))?,
        "__depth",
    )?
    .unwrap_or(0);
    let mut compared = Vec::new();
    for d in (0..deepest).rev() {
        let groups = frame::collect(totals_at(def, &current, d, hierarchy))?;
        if groups.height() == 0 {
            continue;
        }
        let complete = col("__covered").eq(col("__expected"));
        let drop_total = match policy.use_ {
            TotalUse::Check => lit(true),
            TotalUse::Fill => complete.clone(),
        };
        let totals =
            groups.clone().lazy().filter(drop_total.clone()).select([col("__prow").alias("__row")]);
        let parts = frame::explode(
            groups.clone().lazy().filter(drop_total.not()).select([col("__parts").alias("__row")]),
            "__row",
        );
        let removed = frame::concat(vec![totals, parts])?;
        current = frame::collect(frame::anti_join(current.lazy(), removed, &["__row"]))?;
        let used = match policy.use_ {
            TotalUse::Check => lit(false),
            TotalUse::Fill => complete.not(),
        };
        compared.extend(comparisons(def, groups.lazy().with_column(used.alias("used"))));
    }
    let kept = frame::collect(frame::sort_by(current.lazy(), &["__row"]).select(columns))?;
    Ok((kept, compared))
}

/// True when the rows' regions all lie at one depth (or none is in the hierarchy): the distinct
/// codes are looked up, not every row.
fn one_level(df: &DataFrame, depth: &DataFrame) -> Result<bool> {
    let codes = frame::distinct(df.clone().lazy().select([col("region_code")]));
    let depths =
        frame::inner_join(codes, depth.clone().lazy(), &["region_code"])
            .select([col("__depth").n_unique().alias("__levels")]);
    Ok(frame::first_int(&frame::collect(depths)?, "__levels")?.unwrap_or(0) <= 1)
}

/// The totals at depth `d` that have parts among `current`: per total (`__prow`, `__parent`,
/// `__key`, its measures as `__s_<m>`), its parts' rows (`__parts`), the reporting units they
/// cover (`__covered`; `__covered_<m>` counting only parts with that measure), the parts'
/// measures summed (`__p_<m>`) and the units under the total (`__expected`).
fn totals_at(def: &TableDef, current: &DataFrame, d: i64, hierarchy: &Hierarchy) -> LazyFrame {
    let rows = current.clone().lazy().filter(col("__present"));
    let mut parent_cols =
        vec![col("__row").alias("__prow"), col("region_code").alias("__parent"), col("__key")];
    parent_cols.extend(
        def.measures.iter().map(|m| col(*m).cast(DataType::Float64).alias(format!("__s_{m}"))),
    );
    let parents = rows.clone().filter(col("__depth").eq(lit(d as u32))).select(parent_cols);
    let ancestors = hierarchy
        .rollup
        .clone()
        .lazy()
        .select([col("from_code").alias("region_code"), col("region_code").alias("__parent")]);
    let below = rows.filter(col("__depth").gt(lit(d as u32)));
    let parts = frame::inner_join(below, ancestors, &["region_code"]);
    let parts = frame::inner_join(parts, parents, &["__key", "__parent"]);
    let units = hierarchy.counties.clone().lazy();
    let parts = frame::left_join(
        parts,
        units.clone().select([col("year"), col("region_code"), col("__expected").alias("__units")]),
        &["year", "region_code"],
    );
    let mut aggs = vec![col("__row").alias("__parts"), col("__units").sum().alias("__covered")];
    for m in def.measures {
        aggs.push(col(format!("__s_{m}")).first());
        aggs.push(super::scope::summed(m).alias(format!("__p_{m}")));
        let with = col("__units").filter(col(*m).is_not_null()).sum();
        aggs.push(with.alias(format!("__covered_{m}")));
    }
    let grouped =
        parts.group_by([col("__prow"), col("__parent"), col("__key"), col("year")]).agg(aggs);
    let expected =
        units.select([col("year"), col("region_code").alias("__parent"), col("__expected")]);
    frame::left_join(grouped, expected, &["year", "__parent"])
}

/// One comparison row per measure of each total in `groups` that has a value for it.
fn comparisons(def: &TableDef, groups: LazyFrame) -> Vec<LazyFrame> {
    def.measures
        .iter()
        .map(|m| {
            groups.clone().filter(col(format!("__s_{m}")).is_not_null()).select([
                lit(def.name).alias("table"),
                col("__key").alias("scope"),
                col("__parent").alias("region_code"),
                lit(*m).alias("measure"),
                col(format!("__s_{m}")).alias("supplied"),
                col(format!("__p_{m}")).alias("parts"),
                col(format!("__covered_{m}")).cast(DataType::Float64).alias("covered"),
                col("__expected").cast(DataType::Float64).alias("expected"),
                col("used"),
            ])
        })
        .collect()
}

fn empty_comparisons() -> Result<DataFrame> {
    let types: Vec<(&str, DataType)> = COMPARISON_COLUMNS
        .iter()
        .map(|c| {
            let t = match *c {
                "supplied" | "parts" | "covered" | "expected" => DataType::Float64,
                "used" => DataType::Boolean,
                _ => DataType::String,
            };
            (*c, t)
        })
        .collect();
    frame::empty_frame(&types)
}
