//! The indicator families of a pipeline file, resolved: one [`Family`] per declared table, each
//! variant checking its own parameters against the canonical tables (stages, school kinds,
//! measures, conditions) and naming every id it will publish, so that targets, growths and
//! county rules can refer to them.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;

use super::{Comparator, Ctx, model};
use crate::catalogue::Described;
use crate::error::Result;
use crate::tables::{self, Kind};

/// What a class share does with a size band that straddles its cut-off ("51-60" against 56):
/// its classes cannot be split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Straddling {
    /// Out of numerator and denominator: the share of the classes whose side is known.
    Exclude,
    /// Counted below the cut-off: in the denominator only, so the share is a lower bound.
    CountBelow,
}

/// What the numerator of a gross enrolment ratio counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GerNumerator {
    /// Pupils enrolled in schools, by stage (components are stages).
    Enrolment,
    /// Students of higher education by category (components are categories).
    HigherEducation,
}

impl GrossEnrolmentSpec {
    /// The id of its gender parity index (female value over male value).
    pub fn gpi_id(&self) -> String {
        format!("{}_gpi", self.id)
    }
}

/// What a school share weighs each school by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareWeight {
    /// Count schools.
    #[default]
    Schools,
    /// Weigh each school by its pupils of the listed stages.
    Pupils,
}

/// A gross enrolment ratio, resolved.
#[derive(Clone, Debug)]
pub struct GrossEnrolmentSpec {
    pub id: String,
    pub numerator: GerNumerator,
    pub ages: (i64, i64),
    pub basis: Vec<String>,
    /// (from_year, component → weight), sorted by from_year
    pub weights: Vec<(i32, BTreeMap<String, f64>)>,
    /// The id under which the weighted numerator is published as a count, if any.
    pub numerator_id: Option<String>,
}

impl GrossEnrolmentSpec {
    /// The weights in force in `year`, if any entry starts at or before it.
    pub fn weights_for(&self, year: i32) -> Option<&BTreeMap<String, f64>> {
        self.weights.iter().rev().find(|(from, _)| *from <= year).map(|(_, w)| w)
    }
}

/// A counted indicator, resolved.
#[derive(Clone, Debug)]
pub struct CountSpec {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub kinds: Vec<String>,
    pub from_year: i32,
    pub plan: String,
}

/// A class-size share, resolved.
#[derive(Clone, Debug)]
pub struct ClassShareSpec {
    pub id: String,
    pub stages: Vec<String>,
    pub min_size: Option<i64>,
    pub bands: Vec<String>,
    /// Declared with `min_size` (required there); `None` with `bands`.
    pub straddling: Option<Straddling>,
}

/// An average class size, resolved.
#[derive(Clone, Debug)]
pub struct ClassAverageSpec {
    pub id: String,
    pub stages: Vec<String>,
}

/// One condition of a county rule: `indicator comparator value`, with `<=` or `>=`.
#[derive(Clone, Debug)]
pub struct RuleCondition {
    pub indicator: String,
    pub comparator: Comparator,
    pub value: f64,
}

/// A county rule, resolved: every condition must hold for a county to count.
#[derive(Clone, Debug)]
pub struct CountyRuleSpec {
    pub id: String,
    pub conditions: Vec<RuleCondition>,
    pub proxy: bool,
}

/// Where a balance resource comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum ResourceColumn {
    /// A numeric column of the school register (one value per school, split over its stages
    /// by pupils).
    Register(String),
    /// A measure of the teachers table (per school and stage).
    Teachers(String),
}

/// A balance family, resolved.
#[derive(Clone, Debug)]
pub struct BalanceSpec {
    pub prefix: String,
    pub stages: Vec<String>,
    /// (resource id, column, per)
    pub resources: Vec<(String, ResourceColumn, f64)>,
}

impl BalanceSpec {
    pub fn cv_id(&self, resource: &str, stage: &str) -> String {
        format!("{}_{resource}_{stage}", self.prefix)
    }
    pub fn composite_id(&self, stage: &str) -> String {
        format!("{}_composite_{stage}", self.prefix)
    }
}

/// Conditions a school-share may test (besides every yes/no column of the register).
pub const SCHOOL_CONDITIONS: &[&str] = &[
    "public",
    "demonstration",
    "multimedia",
    "beds_for_boarders",
    "no_dangerous_building",
    "no_super_large_class",
];

/// School conditions, resolved; `no_super_large_class` carries its cut-off.
#[derive(Clone, Debug, Default)]
pub struct Conditions {
    pub all: Vec<String>,
    pub any: Vec<String>,
    /// Classes of this many pupils or more are super-large (`super_large_from`); set whenever a
    /// condition is `no_super_large_class`.
    pub super_large_from: Option<i64>,
}

/// A school share, resolved.
#[derive(Clone, Debug)]
pub struct SchoolShareSpec {
    pub id: String,
    pub kinds: Vec<String>,
    /// weight by pupils of these stages; empty = count schools
    pub pupil_stages: Vec<String>,
    pub conditions: Conditions,
    pub count_id: Option<String>,
    pub proxy: bool,
}

/// A sum of a register attribute, resolved.
#[derive(Clone, Debug)]
pub struct SchoolTotalSpec {
    pub id: String,
    pub kinds: Vec<String>,
    pub column: String,
}

/// A township coverage, resolved.
#[derive(Clone, Debug)]
pub struct TownshipCoverageSpec {
    pub id: String,
    pub kinds: Vec<String>,
    pub conditions: Conditions,
    pub street_codes_below: u32,
}

/// A pupil–teacher ratio, resolved.
#[derive(Clone, Debug)]
pub struct PupilTeacherRatioSpec {
    pub id: String,
    pub stages: Vec<String>,
}

/// A summed measure or a ratio of two measures of a region-level table, resolved.
#[derive(Clone, Debug)]
pub struct MeasureSpec {
    pub id: String,
    pub table: String,
    pub numerator: String,
    /// None for a plain total
    pub denominator: Option<String>,
    pub unit: String,
    pub scale: f64,
    pub county_only: bool,
}

/// Year-on-year change of another indicator, resolved.
#[derive(Clone, Debug)]
pub struct GrowthSpec {
    pub id: String,
    pub of: String,
}

/// A cohort ratio, resolved.
#[derive(Clone, Debug)]
pub struct RetentionSpec {
    pub id: String,
    /// (stage, measure)
    pub numerator: (String, String),
    pub denominator: (String, String),
    pub lag: i32,
    pub adjust_transfers: bool,
}

/// A reconstructed-cohort survival rate, resolved: (stage, grades) in order.
#[derive(Clone, Debug)]
pub struct SurvivalSpec {
    pub id: String,
    pub stages: Vec<(String, i32)>,
}

/// One declared indicator family, resolved. Families read the canonical tables, except
/// `Growth` (reads computed values) and `CountyRule` (reads those and the growths).
#[derive(Clone, Debug)]
pub enum Family {
    GrossEnrolment(GrossEnrolmentSpec),
    Count(CountSpec),
    ClassShare(ClassShareSpec),
    ClassAverage(ClassAverageSpec),
    SchoolShare(SchoolShareSpec),
    SchoolTotal(SchoolTotalSpec),
    TownshipCoverage(TownshipCoverageSpec),
    PupilTeacherRatio(PupilTeacherRatioSpec),
    Measure(MeasureSpec),
    Balance(BalanceSpec),
    Retention(RetentionSpec),
    Survival(SurvivalSpec),
    Growth(GrowthSpec),
    CountyRule(CountyRuleSpec),
}

/// When a family can be computed: from the tables, or after other indicators exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// From the canonical tables alone.
    Tables,
    /// From the values of the `Tables` phase (growth).
    Values,
    /// From the values of both earlier phases (county rules).
    Rules,
}

impl Family {
    /// Every indicator id the family publishes.
    pub fn ids(&self) -> Vec<String> {
        match self {
            Family::GrossEnrolment(s) => {
                [s.id.clone(), s.gpi_id()].into_iter().chain(s.numerator_id.clone()).collect()
            }
            Family::Count(s) => vec![s.id.clone()],
            Family::ClassShare(s) => vec![s.id.clone()],
            Family::ClassAverage(s) => vec![s.id.clone()],
            Family::SchoolShare(s) => {
                std::iter::once(s.id.clone()).chain(s.count_id.clone()).collect()
            }
            Family::SchoolTotal(s) => vec![s.id.clone()],
            Family::TownshipCoverage(s) => vec![s.id.clone()],
            Family::PupilTeacherRatio(s) => vec![s.id.clone()],
            Family::Measure(s) => vec![s.id.clone()],
            Family::Balance(b) => b
                .stages
                .iter()
                .flat_map(|st| {
                    b.resources
                        .iter()
                        .map(move |(r, _, _)| b.cv_id(r, st))
                        .chain(std::iter::once(b.composite_id(st)))
                })
                .collect(),
            Family::Retention(s) => vec![s.id.clone()],
            Family::Survival(s) => vec![s.id.clone()],
            Family::Growth(s) => vec![s.id.clone()],
            Family::CountyRule(s) => vec![s.id.clone()],
        }
    }

    /// The pipeline file's table that declares the family (`[[indicators.<table>]]`), which
    /// the catalogue publishes as the indicator's `family`.
    pub fn table(&self) -> &'static str {
        match self {
            Family::GrossEnrolment(_) => "gross_enrolment",
            Family::Count(_) => "count",
            Family::ClassShare(_) => "class_share",
            Family::ClassAverage(_) => "class_average",
            Family::SchoolShare(_) => "school_share",
            Family::SchoolTotal(_) => "school_total",
            Family::TownshipCoverage(_) => "township_coverage",
            Family::PupilTeacherRatio(_) => "pupil_teacher_ratio",
            Family::Measure(m) if m.denominator.is_none() => "total",
            Family::Measure(_) => "measure_ratio",
            Family::Balance(_) => "balance",
            Family::Retention(_) => "retention",
            Family::Survival(_) => "survival",
            Family::Growth(_) => "growth",
            Family::CountyRule(_) => "county_rule",
        }
    }

    /// When the family can be computed.
    pub fn phase(&self) -> Phase {
        match self {
            Family::Growth(_) => Phase::Values,
            Family::CountyRule(_) => Phase::Rules,
            _ => Phase::Tables,
        }
    }

    /// Catalogue entries for ids that only the pipeline file defines (counted indicators and
    /// balance CVs); other families publish ids of the built-in catalogue.
    pub fn described(&self) -> Vec<Described> {
        match self {
            Family::Count(c) => vec![describe_count(c)],
            Family::Balance(b) => describe_balance(b),
            _ => Vec::new(),
        }
    }
}

fn describe_count(c: &CountSpec) -> Described {
    Described {
        id: c.id.clone(),
        name_zh: c.name_zh.clone(),
        name_en: c.name_en.clone(),
        unit: "count".into(),
        definition: format!(
            "Projects of kind {} in the project register, cumulative from {} (0 before), summed over counties into cities and the province.",
            c.kinds.join(" + "),
            c.from_year
        ),
        methodology: "docs/methodology.md §1a".into(),
        plan: c.plan.clone(),
        family: String::new(),
    }
}

fn describe_balance(b: &BalanceSpec) -> Vec<Described> {
    let mut out = Vec::new();
    for stage in &b.stages {
        for (resource, column, per) in &b.resources {
            let source = match column {
                ResourceColumn::Register(c) => format!("register column {c}"),
                ResourceColumn::Teachers(m) => format!("teachers.{m}"),
            };
            out.push(Described {
                id: b.cv_id(resource, stage),
                name_zh: format!("{resource}校际差异系数（{stage}）"),
                name_en: format!("School-to-school CV of {resource} per pupil, {stage}"),
                unit: "cv".into(),
                definition: format!(
                    "Enrolment-weighted coefficient of variation across the county's schools of ({source}) x {per} / pupils; numerator = weighted SD, denominator = county mean (sum of resources over sum of pupils). County rows only."
                ),
                methodology: "docs/methodology.md §6".into(),
                plan: String::new(),
                family: String::new(),
            });
        }
        out.push(Described {
            id: b.composite_id(stage),
            name_zh: format!("综合差异系数（{stage}）"),
            name_en: format!("Composite school-to-school CV, {stage}"),
            unit: "cv".into(),
            definition: format!(
                "Plain mean of the county's CVs of {}; flagged cv_missing when any is missing.",
                b.resources.iter().map(|r| r.0.as_str()).collect::<Vec<_>>().join(", ")
            ),
            methodology: "docs/methodology.md §6.1".into(),
            plan: String::new(),
            family: String::new(),
        });
    }
    out
}

/// Every family of a pipeline, resolved, in the order of the pipeline file's tables.
#[derive(Clone, Debug, Default)]
pub struct Families(Vec<Family>);

impl Families {
    pub fn iter(&self) -> std::slice::Iter<'_, Family> {
        self.0.iter()
    }
    /// Every published id, sorted.
    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.0.iter().flat_map(Family::ids).collect();
        ids.sort_unstable();
        ids
    }
    /// Does some family publish `id`?
    pub fn publishes(&self, id: &str) -> bool {
        self.0.iter().any(|f| f.ids().iter().any(|i| i == id))
    }
}

/// Resolve the `[indicators]` tables: the families and, through them, every id they publish.
/// Growths may refer to any id of the table families, county rules to those and the growths.
pub(super) fn resolve(ctx: &Ctx, raw: &model::Indicators) -> Result<Families> {
    let mut families = Vec::new();
    for g in &raw.gross_enrolment {
        families.push(Family::GrossEnrolment(resolve_gross_enrolment(ctx, g)?));
    }
    for c in &raw.count {
        families.push(Family::Count(resolve_count(ctx, c)?));
    }
    for c in &raw.class_share {
        families.push(Family::ClassShare(resolve_class_share(ctx, c)?));
    }
    for c in &raw.class_average {
        check_stages(ctx, &c.stages, c.id.span())?;
        let spec = ClassAverageSpec { id: c.id.get_ref().clone(), stages: c.stages.clone() };
        families.push(Family::ClassAverage(spec));
    }
    resolve_register_families(ctx, raw, &mut families)?;
    resolve_measures(ctx, raw, &mut families)?;
    for r in &raw.retention {
        families.push(Family::Retention(resolve_retention(ctx, r)?));
    }
    for v in &raw.survival {
        families.push(Family::Survival(resolve_survival(ctx, v)?));
    }
    for b in &raw.balance {
        families.push(Family::Balance(resolve_balance(ctx, b)?));
    }
    let known = Families(families.clone());
    for g in &raw.growth {
        if !known.publishes(g.of.get_ref()) {
            let message =
                format!("growth of {:?}, which this pipeline does not compute", g.of.get_ref());
            return Err(ctx.err(g.of.span(), message));
        }
        families.push(Family::Growth(GrowthSpec {
            id: g.id.get_ref().clone(),
            of: g.of.get_ref().clone(),
        }));
    }
    let known = Families(families.clone());
    for r in &raw.county_rule {
        families.push(Family::CountyRule(resolve_county_rule(ctx, r, &known)?));
    }
    let families = Families(families);
    let ids = families.ids();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(ctx.err(0..0, format!("indicator id {:?} is declared twice", w[0])));
    }
    Ok(families)
}

fn check_stages(ctx: &Ctx, stages: &[String], span: Range<usize>) -> Result<()> {
    match stages.iter().find(|s| !tables::STAGES.contains(&s.as_str())) {
        Some(bad) => Err(
            ctx.err(span, format!("{bad:?} is not a stage; stages: {}", tables::STAGES.join(", ")))
        ),
        None if stages.is_empty() => Err(ctx.err(span, "at least one stage is required")),
        None => Ok(()),
    }
}

fn check_kinds(ctx: &Ctx, kinds: &[String], span: Range<usize>) -> Result<()> {
    match kinds.iter().find(|k| !tables::SCHOOL_KINDS.contains(&k.as_str())) {
        Some(bad) => Err(ctx.err(
            span,
            format!("{bad:?} is not a school kind; kinds: {}", tables::SCHOOL_KINDS.join(", ")),
        )),
        None if kinds.is_empty() => Err(ctx.err(span, "at least one school kind is required")),
        None => Ok(()),
    }
}

fn check_condition_names(ctx: &Ctx, conditions: &[toml::Spanned<String>]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for c in conditions {
        let name = c.get_ref().as_str();
        let flag = tables::SCHOOLS.column(name).is_some_and(|d| d.kind == Kind::Flag);
        if !flag && !SCHOOL_CONDITIONS.contains(&name) {
            return Err(ctx.err(
                c.span(),
                format!(
                    "{name:?} is neither a yes/no column of the school register nor one of {}",
                    SCHOOL_CONDITIONS.join(", ")
                ),
            ));
        }
        out.push(name.to_string());
    }
    Ok(out)
}

/// `when_all` / `when_any` checked; `no_super_large_class` needs `super_large_from`.
fn resolve_conditions(
    ctx: &Ctx,
    all: &[toml::Spanned<String>],
    any: &[toml::Spanned<String>],
    super_large_from: Option<&toml::Spanned<i64>>,
) -> Result<Conditions> {
    let conditions = Conditions {
        all: check_condition_names(ctx, all)?,
        any: check_condition_names(ctx, any)?,
        super_large_from: super_large_from.map(|n| *n.get_ref()),
    };
    let needs = all.iter().chain(any).find(|c| c.get_ref() == "no_super_large_class");
    match (needs, super_large_from) {
        (Some(c), None) => Err(ctx.err(
            c.span(),
            "no_super_large_class needs super_large_from (the smallest super-large class, in pupils, e.g. 66)",
        )),
        (_, Some(n)) if !(1..=1000).contains(n.get_ref()) => Err(ctx.err(
            n.span(),
            format!("super_large_from {} must lie in 1..=1000 pupils", n.get_ref()),
        )),
        _ => Ok(conditions),
    }
}

fn resolve_count(ctx: &Ctx, c: &model::Count) -> Result<CountSpec> {
    if c.kinds.is_empty() {
        return Err(ctx.err(c.id.span(), "a count needs at least one project kind"));
    }
    Ok(CountSpec {
        id: c.id.get_ref().clone(),
        name_zh: c.name_zh.clone(),
        name_en: c.name_en.clone(),
        kinds: c.kinds.clone(),
        from_year: c.from_year,
        plan: c.plan.clone(),
    })
}

fn resolve_class_share(ctx: &Ctx, c: &model::ClassShare) -> Result<ClassShareSpec> {
    check_stages(ctx, &c.stages, c.id.span())?;
    if c.min_size.is_some() != c.bands.is_empty() {
        return Err(ctx.err(
            c.id.span(),
            "a class share takes either min_size or bands, not both and not neither",
        ));
    }
    let straddling = c.straddling_bands.as_ref().map(|s| *s.get_ref());
    if c.min_size.is_some() && straddling.is_none() {
        return Err(ctx.err(
            c.id.span(),
            "a class share with min_size declares straddling_bands = \"exclude\" (a band across \
             the cut-off, such as 51-60 against 56, is out of numerator and denominator) or \
             \"count_below\" (its classes count as below the cut-off: a lower bound)",
        ));
    }
    if let (Some(s), true) = (&c.straddling_bands, c.min_size.is_none()) {
        return Err(ctx.err(s.span(), "straddling_bands applies to a class share with min_size"));
    }
    Ok(ClassShareSpec {
        id: c.id.get_ref().clone(),
        stages: c.stages.clone(),
        min_size: c.min_size,
        bands: c.bands.clone(),
        straddling,
    })
}

/// The families read from the school register: shares, totals, township coverage and
/// pupil–teacher ratios.
fn resolve_register_families(
    ctx: &Ctx,
    raw: &model::Indicators,
    families: &mut Vec<Family>,
) -> Result<()> {
    for c in &raw.school_share {
        families.push(Family::SchoolShare(resolve_school_share(ctx, c)?));
    }
    for c in &raw.school_total {
        check_kinds(ctx, &c.kinds, c.id.span())?;
        if !tables::SCHOOLS
            .column(c.column.get_ref())
            .is_some_and(|d| matches!(d.kind, Kind::Whole | Kind::Amount))
        {
            return Err(ctx.err(
                c.column.span(),
                format!("{:?} is not a numeric column of the school register", c.column.get_ref()),
            ));
        }
        families.push(Family::SchoolTotal(SchoolTotalSpec {
            id: c.id.get_ref().clone(),
            kinds: c.kinds.clone(),
            column: c.column.get_ref().clone(),
        }));
    }
    for c in &raw.township_coverage {
        check_kinds(ctx, &c.kinds, c.id.span())?;
        families.push(Family::TownshipCoverage(TownshipCoverageSpec {
            id: c.id.get_ref().clone(),
            kinds: c.kinds.clone(),
            conditions: resolve_conditions(ctx, &c.when_all, &[], c.super_large_from.as_ref())?,
            street_codes_below: c.street_codes_below,
        }));
    }
    for c in &raw.pupil_teacher_ratio {
        check_stages(ctx, &c.stages, c.id.span())?;
        let spec = PupilTeacherRatioSpec { id: c.id.get_ref().clone(), stages: c.stages.clone() };
        families.push(Family::PupilTeacherRatio(spec));
    }
    Ok(())
}

fn resolve_school_share(ctx: &Ctx, c: &model::SchoolShare) -> Result<SchoolShareSpec> {
    check_kinds(ctx, &c.kinds, c.id.span())?;
    let pupil_stages = match c.weight {
        ShareWeight::Schools => Vec::new(),
        ShareWeight::Pupils => {
            check_stages(ctx, &c.stages, c.id.span())?;
            c.stages.clone()
        }
    };
    Ok(SchoolShareSpec {
        id: c.id.get_ref().clone(),
        kinds: c.kinds.clone(),
        pupil_stages,
        conditions: resolve_conditions(ctx, &c.when_all, &c.when_any, c.super_large_from.as_ref())?,
        count_id: c.count_id.clone(),
        proxy: c.proxy,
    })
}

fn check_measure(
    ctx: &Ctx,
    table: &toml::Spanned<String>,
    measure: &toml::Spanned<String>,
) -> Result<()> {
    let regional: Vec<&str> = tables::TABLES
        .iter()
        .filter(|t| t.column("region_code").is_some() && t.column("school_id").is_none())
        .map(|t| t.name)
        .collect();
    let Some(def) = tables::table(table.get_ref()).filter(|d| regional.contains(&d.name)) else {
        return Err(ctx.err(
            table.span(),
            format!(
                "{:?} is not a region-level table; region-level tables: {}",
                table.get_ref(),
                regional.join(", ")
            ),
        ));
    };
    if !def.measures.contains(&measure.get_ref().as_str()) {
        return Err(ctx.err(
            measure.span(),
            format!(
                "table {} has no measure {:?}; measures: {}",
                def.name,
                measure.get_ref(),
                def.measures.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Totals and ratios of region-level measures.
fn resolve_measures(ctx: &Ctx, raw: &model::Indicators, families: &mut Vec<Family>) -> Result<()> {
    for t in &raw.total {
        check_measure(ctx, &t.table, &t.measure)?;
        families.push(Family::Measure(MeasureSpec {
            id: t.id.get_ref().clone(),
            table: t.table.get_ref().clone(),
            numerator: t.measure.get_ref().clone(),
            denominator: None,
            unit: t.unit.clone(),
            scale: 1.0,
            county_only: false,
        }));
    }
    for r in &raw.measure_ratio {
        check_measure(ctx, &r.table, &r.numerator)?;
        check_measure(ctx, &r.table, &r.denominator)?;
        families.push(Family::Measure(MeasureSpec {
            id: r.id.get_ref().clone(),
            table: r.table.get_ref().clone(),
            numerator: r.numerator.get_ref().clone(),
            denominator: Some(r.denominator.get_ref().clone()),
            unit: r.unit.clone(),
            scale: r.scale,
            county_only: r.county_only,
        }));
    }
    Ok(())
}

fn resolve_balance(ctx: &Ctx, b: &model::Balance) -> Result<BalanceSpec> {
    check_stages(ctx, &b.stages, b.prefix.span())?;
    let mut resources = Vec::new();
    for r in &b.resources {
        let name = r.column.get_ref();
        let numeric_register = || {
            tables::SCHOOLS
                .column(name)
                .is_some_and(|d| matches!(d.kind, Kind::Whole | Kind::Amount))
        };
        let column = match name.strip_prefix("teachers.") {
            Some(m) if tables::TEACHERS.measures.contains(&m) => {
                ResourceColumn::Teachers(m.to_string())
            }
            None if numeric_register() => ResourceColumn::Register(name.clone()),
            _ => {
                return Err(ctx.err(
                    r.column.span(),
                    format!("{name:?} is neither a numeric register column nor teachers.<measure>"),
                ));
            }
        };
        if r.per.is_nan() || r.per <= 0.0 {
            return Err(ctx.err(r.column.span(), "per must be positive"));
        }
        resources.push((r.id.clone(), column, r.per));
    }
    Ok(BalanceSpec { prefix: b.prefix.get_ref().clone(), stages: b.stages.clone(), resources })
}

fn stage_measure(ctx: &Ctx, sm: &model::StageMeasure) -> Result<(String, String)> {
    if !tables::STAGES.contains(&sm.stage.get_ref().as_str()) {
        return Err(ctx.err(sm.stage.span(), format!("{:?} is not a stage", sm.stage.get_ref())));
    }
    if !tables::ENROLMENT.measures.contains(&sm.measure.get_ref().as_str()) {
        return Err(ctx.err(
            sm.measure.span(),
            format!(
                "{:?} is not an enrolment measure; measures: {}",
                sm.measure.get_ref(),
                tables::ENROLMENT.measures.join(", ")
            ),
        ));
    }
    Ok((sm.stage.get_ref().clone(), sm.measure.get_ref().clone()))
}

fn resolve_retention(ctx: &Ctx, r: &model::Retention) -> Result<RetentionSpec> {
    if !(1..=20).contains(&r.lag) {
        return Err(ctx.err(r.id.span(), "lag must be 1..=20 years"));
    }
    Ok(RetentionSpec {
        id: r.id.get_ref().clone(),
        numerator: stage_measure(ctx, &r.numerator)?,
        denominator: stage_measure(ctx, &r.denominator)?,
        lag: r.lag,
        adjust_transfers: r.adjust_transfers,
    })
}

fn resolve_survival(ctx: &Ctx, v: &model::Survival) -> Result<SurvivalSpec> {
    let stages: Vec<String> = v.stages.iter().map(|s| s.stage.clone()).collect();
    check_stages(ctx, &stages, v.id.span())?;
    if v.stages.iter().any(|s| !(1..=12).contains(&s.grades))
        || v.stages.iter().map(|s| s.grades).sum::<i32>() < 2
    {
        return Err(
            ctx.err(v.id.span(), "each stage needs 1..=12 grades, two grades at least in all")
        );
    }
    Ok(SurvivalSpec {
        id: v.id.get_ref().clone(),
        stages: v.stages.iter().map(|s| (s.stage.clone(), s.grades)).collect(),
    })
}

fn resolve_county_rule(
    ctx: &Ctx,
    r: &model::CountyRule,
    known: &Families,
) -> Result<CountyRuleSpec> {
    let mut conditions = Vec::new();
    for c in &r.conditions {
        if !known.publishes(c.indicator.get_ref()) {
            return Err(ctx.err(
                c.indicator.span(),
                format!(
                    "condition on {:?}, which this pipeline does not compute",
                    c.indicator.get_ref()
                ),
            ));
        }
        let comparator = *c.comparator.get_ref();
        if !matches!(comparator, Comparator::AtMost | Comparator::AtLeast) {
            return Err(
                ctx.err(c.comparator.span(), "a condition's comparator is \"<=\" or \">=\"")
            );
        }
        conditions.push(RuleCondition {
            indicator: c.indicator.get_ref().clone(),
            comparator,
            value: c.value,
        });
    }
    if conditions.is_empty() {
        return Err(ctx.err(r.id.span(), "a county rule needs at least one condition"));
    }
    Ok(CountyRuleSpec { id: r.id.get_ref().clone(), conditions, proxy: r.proxy })
}

fn resolve_gross_enrolment(ctx: &Ctx, g: &model::GrossEnrolment) -> Result<GrossEnrolmentSpec> {
    let numerator = *g.numerator.get_ref();
    let allowed: &[&str] = match numerator {
        GerNumerator::Enrolment => tables::STAGES,
        GerNumerator::HigherEducation => tables::HIGHER_CATEGORIES,
    };
    let [lo, hi] = *g.ages.get_ref();
    if !(0..=100).contains(&lo) || !(0..=100).contains(&hi) || lo > hi {
        return Err(ctx.err(
            g.ages.span(),
            format!("ages [{lo}, {hi}] must be an ascending band within 0..=100"),
        ));
    }
    if let Some(b) = g.basis.iter().find(|b| !tables::BASES.contains(&b.as_str())) {
        return Err(ctx.err(g.id.span(), format!("basis {b:?} must be origin or location")));
    }
    if g.weights.is_empty() {
        return Err(ctx.err(g.id.span(), "at least one [[...weights]] entry is required"));
    }
    let mut weights = Vec::new();
    for w in &g.weights {
        weights.push((w.from_year, resolve_weights(ctx, w, allowed, g.numerator.get_ref())?));
    }
    weights.sort_by_key(|(y, _)| *y);
    let basis =
        if g.basis.is_empty() { vec!["origin".into(), "location".into()] } else { g.basis.clone() };
    Ok(GrossEnrolmentSpec {
        id: g.id.get_ref().clone(),
        numerator,
        ages: (lo, hi),
        basis,
        weights,
        numerator_id: g.numerator_id.as_ref().map(|n| n.get_ref().clone()),
    })
}

fn resolve_weights(
    ctx: &Ctx,
    w: &model::Weights,
    allowed: &[&str],
    numerator: &GerNumerator,
) -> Result<BTreeMap<String, f64>> {
    let mut map = BTreeMap::new();
    for (component, weight) in &w.components {
        if !allowed.contains(&component.get_ref().as_str()) {
            let of = match numerator {
                GerNumerator::Enrolment => "enrolment",
                GerNumerator::HigherEducation => "higher_education",
            };
            return Err(ctx.err(
                component.span(),
                format!(
                    "{:?} is not a component of {of}; allowed: {}",
                    component.get_ref(),
                    allowed.join(", ")
                ),
            ));
        }
        let x = *weight.get_ref();
        if !(0.0..=10.0).contains(&x) || x.is_nan() {
            return Err(ctx.err(weight.span(), format!("weight {x} is out of range 0..=10")));
        }
        map.insert(component.get_ref().clone(), x);
    }
    Ok(map)
}
