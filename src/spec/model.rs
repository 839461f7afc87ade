//! The pipeline file as written: serde structures that reject unknown keys and keep the spans
//! of the values that later checks may need to point at.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::{Comparator, GerNumerator, ShareWeight, Straddling};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineFile {
    pub id: Spanned<String>,
    pub title_zh: String,
    pub title_en: String,
    /// First and last school year the pipeline reports.
    pub years: Spanned<[i32; 2]>,
    /// Earliest year of history the pipeline reads (cohorts that entered school before the
    /// first reported year); default: the first reported year.
    #[serde(default)]
    pub history_from: Option<Spanned<i32>>,
    /// The code of the top of the division hierarchy (the province; a country for a national
    /// pipeline).
    pub province: Spanned<String>,
    /// The division table's levels, top first (default province, city, county).
    #[serde(default)]
    pub levels: Option<Spanned<Vec<String>>>,
    /// `constant` (default: history on today's codes) or `as_reported`.
    #[serde(default)]
    pub boundaries: Option<super::Boundaries>,
    /// Publish rows by area (urban / town / rural) wherever both parts of a value have one
    /// (default true).
    #[serde(default)]
    pub by_area: Option<bool>,
    /// The folder input paths may not leave, relative to this file (default: this file's folder).
    #[serde(default)]
    pub root: Option<Spanned<String>>,
    /// The division table (CSV, canonical English headers), relative to this file.
    pub divisions: Spanned<String>,
    /// Files of shared `[mappings]` and `[last_grade]` (deliveries of the same shape read by
    /// several pipelines), relative to this file.
    #[serde(default)]
    pub include: Vec<Spanned<String>>,
    /// Placeholders of source paths and the values each expands to: `{province}` in
    /// `path = "{province}/schools.csv"` gives one source per listed province.
    #[serde(default)]
    pub expand: BTreeMap<String, Vec<String>>,
    /// Final grade of each stage, for value columns declared with `grade = "last"`.
    #[serde(default)]
    pub last_grade: BTreeMap<String, i64>,
    #[serde(default)]
    pub gates: Gates,
    /// Rows of a region above other rows of the same table (a national row among provinces).
    #[serde(default)]
    pub supplied_totals: SuppliedTotals,
    #[serde(default)]
    pub plausibility: Plausibility,
    #[serde(default)]
    pub publish: Publish,
    #[serde(default)]
    pub check: Check,
    #[serde(default)]
    pub mappings: BTreeMap<String, Mapping>,
    pub sources: Vec<Source>,
    #[serde(default)]
    pub indicators: Indicators,
    #[serde(default)]
    pub targets: Vec<Target>,
    /// Names, definition, method and plan section of indicators, by id.
    #[serde(default)]
    pub labels: BTreeMap<Spanned<String>, Label>,
}

/// `[labels.<id>]`: how the catalogue describes one indicator.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    #[serde(default)]
    pub name_zh: Option<String>,
    #[serde(default)]
    pub name_en: Option<String>,
    /// Only for an indicator a target names and the pipeline does not compute; otherwise the
    /// family's unit (it must match if given).
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub definition: Option<String>,
    #[serde(default)]
    pub methodology: Option<String>,
    #[serde(default)]
    pub plan: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gates {
    /// A source whose quarantined share of rows exceeds this fails the run (exit 3).
    #[serde(default = "default_max_quarantine_share")]
    pub max_quarantine_share: Spanned<f64>,
    /// A county whose population (all ages) changes by more than this share from one year to
    /// the next fails the run; none = no check.
    #[serde(default)]
    pub population_max_yoy_change: Option<f64>,
    /// A county whose schools reporting enrolment fall below this share of the previous year's
    /// fails the run; none = no check.
    #[serde(default)]
    pub min_reporting_ratio: Option<f64>,
}

impl Default for Gates {
    fn default() -> Self {
        Gates {
            max_quarantine_share: Spanned::new(0..0, default_max_quarantine_share().into_inner()),
            population_max_yoy_change: None,
            min_reporting_ratio: None,
        }
    }
}

fn default_max_quarantine_share() -> Spanned<f64> {
    Spanned::new(0..0, 0.01)
}

/// `[supplied_totals]`: what a row of a region that lies above other rows of the same table
/// does. Never summed with them: checked against them, or used in their place.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuppliedTotals {
    /// `check` (default) or `fill`.
    #[serde(default, rename = "use")]
    pub use_: Option<super::TotalUse>,
    /// Largest relative difference between a total and the sum of its parts (rounded
    /// yearbook figures); default 0.
    #[serde(default)]
    pub tolerance: Option<Spanned<f64>>,
}

/// Row checks whose limits are judgement, not law: set per pipeline.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plausibility {
    /// The most pupils one class can hold. A school and stage whose enrolled pupils exceed what
    /// its reported classes can hold (each class at the top of its size band, the open top band
    /// capped here) has its class row quarantined; none = no check.
    #[serde(default)]
    pub largest_class: Option<Spanned<i64>>,
    /// Bounds on published values, per group of indicators.
    #[serde(default)]
    pub indicators: Vec<PlausibleValues>,
}

/// What a published value may plausibly be (`[[plausibility.indicators]]`): a range, a change
/// from the region's own previous year, a distance from its sibling regions.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlausibleValues {
    pub ids: Spanned<Vec<String>>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    /// Largest relative change from the previous year (0.5 = ±50 %).
    #[serde(default)]
    pub max_change: Option<f64>,
    /// Largest modified z-score among the regions of one parent and level.
    #[serde(default)]
    pub max_modified_z: Option<f64>,
    #[serde(default)]
    pub action: Option<super::Action>,
}

/// Tolerances of `edustat check`: relative, by default and per indicator.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    #[serde(default)]
    pub tolerance: Option<f64>,
    #[serde(default)]
    pub tolerances: BTreeMap<String, f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Publish {
    /// Runs kept in `out/<pipeline>/runs`; older ones are removed after a successful run.
    #[serde(default = "default_keep_runs")]
    pub keep_runs: usize,
}

impl Default for Publish {
    fn default() -> Self {
        Publish { keep_runs: default_keep_runs() }
    }
}

fn default_keep_runs() -> usize {
    10
}

/// How the raw columns of one file layout map onto a canonical table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub table: Spanned<String>,
    /// canonical column → raw header
    #[serde(default)]
    pub columns: BTreeMap<Spanned<String>, String>,
    /// canonical column → suffixes stripped before typing, in order (e.g. 岁及以上, 岁)
    #[serde(default)]
    pub strip_suffixes: BTreeMap<String, Vec<String>>,
    /// canonical column → (raw value → canonical value)
    #[serde(default)]
    pub codes: BTreeMap<Spanned<String>, BTreeMap<String, String>>,
    /// canonical column → labels that mark a row as a supplied total (年龄 = 合计): the column is
    /// null on such rows ("all ages"), which are kept for checks and never counted twice
    #[serde(default)]
    pub total_labels: BTreeMap<String, Vec<String>>,
    /// raw headers the mapping knows and deliberately leaves out (no warning for them)
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Cells that mean "no value" in this delivery (e.g. "..", "…", "x"): read as empty, never
    /// quarantined.
    #[serde(default)]
    pub missing: Vec<String>,
    /// wide layouts: each raw value column, the measure it holds and the keys it implies
    #[serde(default)]
    pub values: Vec<ValueColumn>,
    /// How the region column names regions: `code` (default) or `name` (names and aliases of
    /// the division table, case and surrounding spaces ignored).
    #[serde(default)]
    pub regions: Option<super::RegionsBy>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueColumn {
    pub raw: String,
    pub measure: Spanned<String>,
    #[serde(default)]
    pub sex: Option<Spanned<String>>,
    #[serde(default)]
    pub grade: Option<Spanned<GradeValue>>,
    #[serde(default)]
    pub category: Option<Spanned<String>>,
    #[serde(default)]
    pub size_band: Option<Spanned<String>>,
    /// A table "in thousands": 1000 (each cell times this must be a whole number).
    #[serde(default)]
    pub scale: Option<Spanned<i64>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum GradeValue {
    Number(i64),
    Word(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Path relative to the pipeline file; `{year}` expands to every pipeline year (or to
    /// `years`), and a placeholder of `[expand]` to each of its values.
    pub path: Spanned<String>,
    /// First and last year a `{year}` path expands to (default: the pipeline's years).
    #[serde(default)]
    pub years: Option<Spanned<[i32; 2]>>,
    pub mapping: Spanned<String>,
    /// utf-8, gb18030 or auto (BOM, then strict UTF-8, then strict GB18030)
    #[serde(default = "default_encoding")]
    pub encoding: Spanned<String>,
    /// XLSX only: the sheet to read (default: the first).
    #[serde(default)]
    pub sheet: Option<String>,
    /// XLSX only: a sheet declaring more cells than this is refused before it is read.
    #[serde(default)]
    pub max_cells: Option<u64>,
    /// CSV only: a line longer than this many bytes refuses the file before it is read.
    #[serde(default)]
    pub max_line_bytes: Option<u64>,
    /// XLSX only: a workbook whose parts inflate to more bytes than this is refused unread.
    #[serde(default)]
    pub max_uncompressed_bytes: Option<u64>,
    /// CSV only: the field separator, one character (default ","; e.g. ";" or "\t").
    #[serde(default)]
    pub delimiter: Option<Spanned<String>>,
    /// 1-based line (CSV) or row (XLSX) of the header; lines above it are titles.
    #[serde(default = "default_header_row")]
    pub header_row: usize,
    /// canonical column → constant value for every row (e.g. year of a file-per-year delivery)
    #[serde(default)]
    pub constants: BTreeMap<String, toml::Value>,
}

fn default_encoding() -> Spanned<String> {
    Spanned::new(0..0, "auto".to_string())
}
fn default_header_row() -> usize {
    1
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicators {
    #[serde(default)]
    pub gross_enrolment: Vec<GrossEnrolment>,
    #[serde(default)]
    pub count: Vec<Count>,
    #[serde(default)]
    pub class_share: Vec<ClassShare>,
    #[serde(default)]
    pub class_average: Vec<ClassAverage>,
    #[serde(default)]
    pub county_rule: Vec<CountyRule>,
    #[serde(default)]
    pub school_share: Vec<SchoolShare>,
    #[serde(default)]
    pub school_total: Vec<SchoolTotal>,
    #[serde(default)]
    pub township_coverage: Vec<TownshipCoverage>,
    #[serde(default)]
    pub pupil_teacher_ratio: Vec<PupilTeacherRatio>,
    #[serde(default)]
    pub total: Vec<Total>,
    #[serde(default)]
    pub measure_ratio: Vec<MeasureRatio>,
    #[serde(default)]
    pub growth: Vec<Growth>,
    #[serde(default)]
    pub balance: Vec<Balance>,
    #[serde(default)]
    pub retention: Vec<Retention>,
    #[serde(default)]
    pub survival: Vec<Survival>,
}

/// A cohort ratio (巩固率): a measure of a stage in year t over a measure of a stage in t − lag.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    pub id: Spanned<String>,
    pub numerator: StageMeasure,
    pub denominator: StageMeasure,
    pub lag: i32,
    /// add the cohort's transfers in and subtract its transfers out (years t − lag + 1 ..= t)
    #[serde(default)]
    pub adjust_transfers: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageMeasure {
    pub stage: Spanned<String>,
    pub measure: Spanned<String>,
}

/// UIS survival rate to the last grade by the reconstructed-cohort method (docs/methodology.md §3.2):
/// the product of grade-to-grade promotion rates over the stages' grades, in order.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Survival {
    pub id: Spanned<String>,
    /// the stages in order, each with its number of grades (e.g. primary 6, junior 3)
    pub stages: Vec<StageGrades>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageGrades {
    pub stage: String,
    pub grades: i32,
}

/// School-to-school balance of a county (docs/methodology.md §6): for each resource per pupil, the
/// enrolment-weighted coefficient of variation across the county's schools, per stage, and
/// the plain mean of those CVs (综合差异系数).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Balance {
    /// ids are `<prefix>_<resource id>_<stage>` and `<prefix>_composite_<stage>`
    pub prefix: Spanned<String>,
    pub stages: Vec<String>,
    pub resources: Vec<BalanceResource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BalanceResource {
    pub id: String,
    /// a numeric column of the school register, or `teachers.<measure>`
    pub column: Spanned<String>,
    /// multiplier of the per-pupil value (100 for "per hundred pupils"); CVs do not depend on it
    #[serde(default = "default_scale")]
    pub per: f64,
}

/// Share of schools (or of their pupils) meeting conditions on the school register.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchoolShare {
    pub id: Spanned<String>,
    /// school kinds in scope (denominator)
    pub kinds: Vec<String>,
    /// "schools" (count schools) or "pupils" (weight by enrolment of `stages`)
    #[serde(default)]
    pub weight: ShareWeight,
    #[serde(default)]
    pub stages: Vec<String>,
    /// every one must hold (numerator)
    #[serde(default)]
    pub when_all: Vec<Spanned<String>>,
    /// at least one must hold (numerator), in addition to `when_all`
    #[serde(default)]
    pub when_any: Vec<Spanned<String>>,
    /// the smallest super-large class in pupils, for the `no_super_large_class` condition
    #[serde(default)]
    pub super_large_from: Option<Spanned<i64>>,
    /// also publish the number of schools meeting the conditions under this id
    #[serde(default)]
    pub count_id: Option<String>,
    /// flag every value `proxy_definition` (the official definition is not known)
    #[serde(default)]
    pub proxy: bool,
}

/// Sum of a whole-number attribute of the register (e.g. multimedia classrooms).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchoolTotal {
    pub id: Spanned<String>,
    pub kinds: Vec<String>,
    pub column: Spanned<String>,
}

/// Townships (乡镇, not 街道) with at least one school meeting the conditions.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TownshipCoverage {
    pub id: Spanned<String>,
    pub kinds: Vec<String>,
    #[serde(default)]
    pub when_all: Vec<Spanned<String>>,
    /// the smallest super-large class in pupils, for the `no_super_large_class` condition
    #[serde(default)]
    pub super_large_from: Option<Spanned<i64>>,
    /// 9-digit codes whose last three digits are below this are 街道 (NBS: 0xx 街道, 1xx 镇, 2xx 乡)
    #[serde(default = "default_street_below")]
    pub street_codes_below: u32,
}

fn default_street_below() -> u32 {
    100
}

/// Pupils per full-time teacher (生师比) of some stages.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PupilTeacherRatio {
    pub id: Spanned<String>,
    pub stages: Vec<String>,
}

/// A measure of a region-level table, summed over regions.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Total {
    pub id: Spanned<String>,
    pub table: Spanned<String>,
    pub measure: Spanned<String>,
    #[serde(default = "default_count_unit")]
    pub unit: String,
}

fn default_count_unit() -> String {
    "count".into()
}

/// One measure over another of the same region-level table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureRatio {
    pub id: Spanned<String>,
    pub table: Spanned<String>,
    pub numerator: Spanned<String>,
    pub denominator: Spanned<String>,
    pub unit: String,
    #[serde(default = "default_scale")]
    pub scale: f64,
    /// averages (pay) cannot be summed upwards: county rows only
    #[serde(default)]
    pub county_only: bool,
}

fn default_scale() -> f64 {
    1.0
}

/// Year-on-year change of another indicator, percent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Growth {
    pub id: Spanned<String>,
    pub of: Spanned<String>,
}

/// Share of classes (not pupils) of some stages that are at least `min_size` pupils, or that fall
/// in the listed bands (docs/methodology.md §5.2).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassShare {
    pub id: Spanned<String>,
    pub stages: Vec<String>,
    #[serde(default)]
    pub min_size: Option<i64>,
    #[serde(default)]
    pub bands: Vec<String>,
    /// With `min_size`: `exclude` or `count_below` (docs/methodology.md §5.2).
    #[serde(default)]
    pub straddling_bands: Option<Spanned<Straddling>>,
}

/// Pupils per class: enrolment of the stages over their classes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassAverage {
    pub id: Spanned<String>,
    pub stages: Vec<String>,
}

/// Counties meeting every condition on other indicators (e.g. Guangxi's 2020 class-size rule:
/// no 66+ classes and at most 5% at 56+), as a count and a share of counties with data.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountyRule {
    pub id: Spanned<String>,
    pub conditions: Vec<Condition>,
    /// flag every value `proxy_definition` (the rule covers only part of the official test)
    #[serde(default)]
    pub proxy: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub indicator: Spanned<String>,
    pub comparator: Spanned<Comparator>,
    pub value: f64,
}

/// A counted indicator: projects of some kinds, cumulative from `from_year`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Count {
    pub id: Spanned<String>,
    pub name_zh: String,
    pub name_en: String,
    /// project kinds (values of projects.kind) that count
    pub kinds: Vec<String>,
    /// first year whose projects count (the plan period's start)
    pub from_year: i32,
    /// the plan section that asks for it
    #[serde(default)]
    pub plan: String,
}

/// A gross enrolment ratio: weighted enrolment of any age over the population of an age band.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrossEnrolment {
    pub id: Spanned<String>,
    /// enrolment (components are stages) or higher_education (components are categories)
    pub numerator: Spanned<GerNumerator>,
    /// inclusive age band of the denominator, completed years
    pub ages: Spanned<[i64; 2]>,
    /// higher_education only: bases in order of preference; any but the first is flagged
    #[serde(default)]
    pub basis: Vec<String>,
    pub weights: Vec<Weights>,
    /// Publish the weighted numerator (pupils or students counted, e.g. 在学总规模) as its own
    /// indicator of this id, unit count.
    #[serde(default)]
    pub numerator_id: Option<Spanned<String>>,
}

/// Component weights in force from `from_year` until the next entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub from_year: i32,
    pub components: BTreeMap<Spanned<String>, Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub id: String,
    pub indicator: Spanned<String>,
    pub region: Spanned<String>,
    pub comparator: Spanned<Comparator>,
    pub value: f64,
    /// upper bound of a `between` target ("1–3")
    #[serde(default)]
    pub value_high: Option<f64>,
    /// relative tolerance of an `about` target ("左右"), default 0.1
    #[serde(default)]
    pub tolerance: Option<f64>,
    pub target_year: i32,
    pub baseline_year: i32,
    /// A level of the division table (`county`): the target applies to every region of that
    /// level under `region` (县县: every county), each assessed, and `region` gets how many meet it.
    #[serde(default)]
    pub each: Option<Spanned<String>>,
    /// The plan's section, e.g. 一（三）總體目標
    pub source: String,
    /// The plan's own words for the target
    pub wording: String,
}

/// A file of `include`: what pipelines reading deliveries of the same shape share.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shared {
    #[serde(default)]
    pub last_grade: BTreeMap<String, i64>,
    #[serde(default)]
    pub mappings: BTreeMap<String, Mapping>,
}
