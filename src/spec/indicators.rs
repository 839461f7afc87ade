//! The indicator families of a pipeline file, resolved: each family's parameters checked
//! against the canonical tables (stages, school kinds, measures, conditions) and every id it
//! will publish collected, so that targets and county rules can refer to them.

use std::collections::BTreeMap;
use std::ops::Range;

use super::{Ctx, model};
use crate::error::Result;
use crate::tables::{self, Kind};

/// A gross enrolment ratio, resolved.
#[derive(Clone, Debug)]
pub struct GrossEnrolmentSpec {
    pub id: String,
    /// "enrolment" or "higher_education"
    pub numerator: String,
    pub ages: (i64, i64),
    pub basis: Vec<String>,
    /// (from_year, component → weight), sorted by from_year
    pub weights: Vec<(i32, BTreeMap<String, f64>)>,
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
}

/// An average class size, resolved.
#[derive(Clone, Debug)]
pub struct ClassAverageSpec {
    pub id: String,
    pub stages: Vec<String>,
}

/// A county rule, resolved: every condition must hold for a county to count.
#[derive(Clone, Debug)]
pub struct CountyRuleSpec {
    pub id: String,
    /// (indicator, comparator `<=` / `>=`, value)
    pub conditions: Vec<(String, String, f64)>,
    pub proxy: bool,
}

/// Where a balance resource comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum ResourceColumn {
    /// A numeric column of the school register (one value per school, split over its stages by pupils).
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
pub const SCHOOL_CONDITIONS: &[&str] = &["public", "demonstration", "multimedia", "beds_for_boarders", "no_dangerous_building", "no_super_large_class"];

/// A school share, resolved.
#[derive(Clone, Debug)]
pub struct SchoolShareSpec {
    pub id: String,
    pub kinds: Vec<String>,
    /// weight by pupils of these stages; empty = count schools
    pub pupil_stages: Vec<String>,
    pub when_all: Vec<String>,
    pub when_any: Vec<String>,
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
    pub when_all: Vec<String>,
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

/// Every family of a pipeline, resolved.
#[derive(Clone, Debug)]
pub struct Families {
    pub gross_enrolment: Vec<GrossEnrolmentSpec>,
    pub counts: Vec<CountSpec>,
    pub class_shares: Vec<ClassShareSpec>,
    pub class_averages: Vec<ClassAverageSpec>,
    pub county_rules: Vec<CountyRuleSpec>,
    pub school_shares: Vec<SchoolShareSpec>,
    pub school_totals: Vec<SchoolTotalSpec>,
    pub township_coverages: Vec<TownshipCoverageSpec>,
    pub pupil_teacher_ratios: Vec<PupilTeacherRatioSpec>,
    pub measures: Vec<MeasureSpec>,
    pub growths: Vec<GrowthSpec>,
    pub balances: Vec<BalanceSpec>,
    pub retentions: Vec<RetentionSpec>,
    pub survivals: Vec<SurvivalSpec>,
}

/// Resolve the `[indicators]` tables; returns the families and every indicator id they publish.
pub(super) fn resolve(ctx: &Ctx, raw: &model::Indicators) -> Result<(Families, Vec<String>)> {
    let mut gross_enrolment = Vec::new();
    for g in &raw.gross_enrolment {
        gross_enrolment.push(resolve_gross_enrolment(ctx, g)?);
    }

    let mut counts: Vec<CountSpec> = Vec::new();
    for c in &raw.count {
        if c.kinds.is_empty() {
            return Err(ctx.err(c.id.span(), "a count needs at least one project kind"));
        }
        counts.push(CountSpec {
            id: c.id.get_ref().clone(),
            name_zh: c.name_zh.clone(),
            name_en: c.name_en.clone(),
            kinds: c.kinds.clone(),
            from_year: c.from_year,
            plan: c.plan.clone(),
        });
    }
    let check_stages = |stages: &[String], span: Range<usize>| -> Result<()> {
        match stages.iter().find(|s| !tables::STAGES.contains(&s.as_str())) {
            Some(bad) => Err(ctx.err(span, format!("{bad:?} is not a stage; stages: {}", tables::STAGES.join(", ")))),
            None if stages.is_empty() => Err(ctx.err(span, "at least one stage is required")),
            None => Ok(()),
        }
    };
    let mut class_shares = Vec::new();
    for c in &raw.class_share {
        check_stages(&c.stages, c.id.span())?;
        if c.min_size.is_some() == !c.bands.is_empty() {
            return Err(ctx.err(c.id.span(), "a class share takes either min_size or bands, not both and not neither"));
        }
        class_shares.push(ClassShareSpec { id: c.id.get_ref().clone(), stages: c.stages.clone(), min_size: c.min_size, bands: c.bands.clone() });
    }
    let mut class_averages = Vec::new();
    for c in &raw.class_average {
        check_stages(&c.stages, c.id.span())?;
        class_averages.push(ClassAverageSpec { id: c.id.get_ref().clone(), stages: c.stages.clone() });
    }
    let check_kinds = |kinds: &[String], span: Range<usize>| -> Result<()> {
        match kinds.iter().find(|k| !tables::SCHOOL_KINDS.contains(&k.as_str())) {
            Some(bad) => Err(ctx.err(span, format!("{bad:?} is not a school kind; kinds: {}", tables::SCHOOL_KINDS.join(", ")))),
            None if kinds.is_empty() => Err(ctx.err(span, "at least one school kind is required")),
            None => Ok(()),
        }
    };
    let check_conditions = |conditions: &[toml::Spanned<String>]| -> Result<Vec<String>> {
        let mut out = Vec::new();
        for c in conditions {
            let name = c.get_ref().as_str();
            let flag = tables::SCHOOLS.column(name).is_some_and(|d| d.kind == Kind::Flag);
            if !flag && !SCHOOL_CONDITIONS.contains(&name) {
                return Err(ctx.err(c.span(), format!("{name:?} is neither a yes/no column of the school register nor one of {}", SCHOOL_CONDITIONS.join(", "))));
            }
            out.push(name.to_string());
        }
        Ok(out)
    };
    let mut school_shares = Vec::new();
    for c in &raw.school_share {
        check_kinds(&c.kinds, c.id.span())?;
        let pupil_stages = match c.weight.as_str() {
            "schools" => Vec::new(),
            "pupils" => {
                check_stages(&c.stages, c.id.span())?;
                c.stages.clone()
            }
            _ => return Err(ctx.err(c.id.span(), "weight is \"schools\" or \"pupils\"")),
        };
        school_shares.push(SchoolShareSpec {
            id: c.id.get_ref().clone(),
            kinds: c.kinds.clone(),
            pupil_stages,
            when_all: check_conditions(&c.when_all)?,
            when_any: check_conditions(&c.when_any)?,
            count_id: c.count_id.clone(),
            proxy: c.proxy,
        });
    }
    let mut school_totals = Vec::new();
    for c in &raw.school_total {
        check_kinds(&c.kinds, c.id.span())?;
        if !tables::SCHOOLS.column(c.column.get_ref()).is_some_and(|d| matches!(d.kind, Kind::Whole | Kind::Amount)) {
            return Err(ctx.err(c.column.span(), format!("{:?} is not a numeric column of the school register", c.column.get_ref())));
        }
        school_totals.push(SchoolTotalSpec { id: c.id.get_ref().clone(), kinds: c.kinds.clone(), column: c.column.get_ref().clone() });
    }
    let mut township_coverages = Vec::new();
    for c in &raw.township_coverage {
        check_kinds(&c.kinds, c.id.span())?;
        township_coverages.push(TownshipCoverageSpec {
            id: c.id.get_ref().clone(),
            kinds: c.kinds.clone(),
            when_all: check_conditions(&c.when_all)?,
            street_codes_below: c.street_codes_below,
        });
    }
    let mut pupil_teacher_ratios = Vec::new();
    for c in &raw.pupil_teacher_ratio {
        check_stages(&c.stages, c.id.span())?;
        pupil_teacher_ratios.push(PupilTeacherRatioSpec { id: c.id.get_ref().clone(), stages: c.stages.clone() });
    }
    let check_measure = |table: &toml::Spanned<String>, measure: &toml::Spanned<String>| -> Result<()> {
        let Some(def) = tables::table(table.get_ref()) else {
            return Err(ctx.err(table.span(), format!("unknown table {:?}", table.get_ref())));
        };
        if def.column("region_code").is_none() || def.column("school_id").is_some() {
            return Err(ctx.err(table.span(), format!("table {} is not a region-level table", def.name)));
        }
        if !def.measures.contains(&measure.get_ref().as_str()) {
            return Err(ctx.err(measure.span(), format!("table {} has no measure {:?}; measures: {}", def.name, measure.get_ref(), def.measures.join(", "))));
        }
        Ok(())
    };
    let mut measures = Vec::new();
    for t in &raw.total {
        check_measure(&t.table, &t.measure)?;
        measures.push(MeasureSpec {
            id: t.id.get_ref().clone(),
            table: t.table.get_ref().clone(),
            numerator: t.measure.get_ref().clone(),
            denominator: None,
            unit: t.unit.clone(),
            scale: 1.0,
            county_only: false,
        });
    }
    for r in &raw.measure_ratio {
        check_measure(&r.table, &r.numerator)?;
        check_measure(&r.table, &r.denominator)?;
        measures.push(MeasureSpec {
            id: r.id.get_ref().clone(),
            table: r.table.get_ref().clone(),
            numerator: r.numerator.get_ref().clone(),
            denominator: Some(r.denominator.get_ref().clone()),
            unit: r.unit.clone(),
            scale: r.scale,
            county_only: r.county_only,
        });
    }
    let mut ids: Vec<&str> = gross_enrolment
        .iter()
        .map(|g| g.id.as_str())
        .chain(counts.iter().map(|c| c.id.as_str()))
        .chain(class_shares.iter().map(|c| c.id.as_str()))
        .chain(class_averages.iter().map(|c| c.id.as_str()))
        .chain(school_shares.iter().map(|c| c.id.as_str()))
        .chain(school_shares.iter().filter_map(|c| c.count_id.as_deref()))
        .chain(school_totals.iter().map(|c| c.id.as_str()))
        .chain(township_coverages.iter().map(|c| c.id.as_str()))
        .chain(pupil_teacher_ratios.iter().map(|c| c.id.as_str()))
        .chain(measures.iter().map(|c| c.id.as_str()))
        .collect();
    let mut balances = Vec::new();
    for b in &raw.balance {
        check_stages(&b.stages, b.prefix.span())?;
        let mut resources = Vec::new();
        for r in &b.resources {
            let name = r.column.get_ref();
            let column = match name.strip_prefix("teachers.") {
                Some(m) if tables::TEACHERS.measures.contains(&m) => ResourceColumn::Teachers(m.to_string()),
                None if tables::SCHOOLS.column(name).is_some_and(|d| matches!(d.kind, Kind::Whole | Kind::Amount)) => ResourceColumn::Register(name.clone()),
                _ => return Err(ctx.err(r.column.span(), format!("{name:?} is neither a numeric register column nor teachers.<measure>"))),
            };
            if !(r.per > 0.0) {
                return Err(ctx.err(r.column.span(), "per must be positive"));
            }
            resources.push((r.id.clone(), column, r.per));
        }
        balances.push(BalanceSpec { prefix: b.prefix.get_ref().clone(), stages: b.stages.clone(), resources });
    }
    let stage_measure = |sm: &model::StageMeasure| -> Result<(String, String)> {
        if !tables::STAGES.contains(&sm.stage.get_ref().as_str()) {
            return Err(ctx.err(sm.stage.span(), format!("{:?} is not a stage", sm.stage.get_ref())));
        }
        if !tables::ENROLMENT.measures.contains(&sm.measure.get_ref().as_str()) {
            return Err(ctx.err(sm.measure.span(), format!("{:?} is not an enrolment measure; measures: {}", sm.measure.get_ref(), tables::ENROLMENT.measures.join(", "))));
        }
        Ok((sm.stage.get_ref().clone(), sm.measure.get_ref().clone()))
    };
    let mut retentions = Vec::new();
    for r in &raw.retention {
        if !(1..=20).contains(&r.lag) {
            return Err(ctx.err(r.id.span(), "lag must be 1..=20 years"));
        }
        retentions.push(RetentionSpec {
            id: r.id.get_ref().clone(),
            numerator: stage_measure(&r.numerator)?,
            denominator: stage_measure(&r.denominator)?,
            lag: r.lag,
            adjust_transfers: r.adjust_transfers,
        });
    }
    let mut survivals = Vec::new();
    for v in &raw.survival {
        let stages: Vec<String> = v.stages.iter().map(|s| s.stage.clone()).collect();
        check_stages(&stages, v.id.span())?;
        if v.stages.iter().any(|s| !(1..=12).contains(&s.grades)) || v.stages.iter().map(|s| s.grades).sum::<i32>() < 2 {
            return Err(ctx.err(v.id.span(), "each stage needs 1..=12 grades, two grades at least in all"));
        }
        survivals.push(SurvivalSpec { id: v.id.get_ref().clone(), stages: v.stages.iter().map(|s| (s.stage.clone(), s.grades)).collect() });
    }
    let balance_ids: Vec<String> = balances
        .iter()
        .flat_map(|b| {
            b.stages.iter().flat_map(move |st| b.resources.iter().map(move |(r, _, _)| b.cv_id(r, st)).chain(std::iter::once(b.composite_id(st))))
        })
        .collect();
    ids.extend(balance_ids.iter().map(String::as_str));
    ids.extend(retentions.iter().map(|r| r.id.as_str()));
    ids.extend(survivals.iter().map(|r| r.id.as_str()));
    let mut growths = Vec::new();
    for g in &raw.growth {
        if !ids.contains(&g.of.get_ref().as_str()) {
            return Err(ctx.err(g.of.span(), format!("growth of {:?}, which this pipeline does not compute", g.of.get_ref())));
        }
        growths.push(GrowthSpec { id: g.id.get_ref().clone(), of: g.of.get_ref().clone() });
    }
    ids.extend(growths.iter().map(|g| g.id.as_str()));
    let mut county_rules = Vec::new();
    for r in &raw.county_rule {
        let mut conditions = Vec::new();
        for c in &r.conditions {
            if !ids.contains(&c.indicator.get_ref().as_str()) {
                return Err(ctx.err(c.indicator.span(), format!("condition on {:?}, which this pipeline does not compute", c.indicator.get_ref())));
            }
            if !matches!(c.comparator.get_ref().as_str(), "<=" | ">=") {
                return Err(ctx.err(c.comparator.span(), "a condition's comparator is \"<=\" or \">=\""));
            }
            conditions.push((c.indicator.get_ref().clone(), c.comparator.get_ref().clone(), c.value));
        }
        if conditions.is_empty() {
            return Err(ctx.err(r.id.span(), "a county rule needs at least one condition"));
        }
        county_rules.push(CountyRuleSpec { id: r.id.get_ref().clone(), conditions, proxy: r.proxy });
    }
    ids.extend(county_rules.iter().map(|r| r.id.as_str()));
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(ctx.err(0..0, format!("indicator id {:?} is declared twice", w[0])));
    }

    let ids: Vec<String> = ids.into_iter().map(str::to_string).collect();
    Ok((
        Families {
            gross_enrolment,
            counts,
            class_shares,
            class_averages,
            county_rules,
            school_shares,
            school_totals,
            township_coverages,
            pupil_teacher_ratios,
            measures,
            growths,
            balances,
            retentions,
            survivals,
        },
        ids,
    ))
}

fn resolve_gross_enrolment(ctx: &Ctx, g: &model::GrossEnrolment) -> Result<GrossEnrolmentSpec> {
    let numerator = g.numerator.get_ref().clone();
    let allowed: &[&str] = match numerator.as_str() {
        "enrolment" => tables::STAGES,
        "higher_education" => tables::HIGHER_CATEGORIES,
        _ => return Err(ctx.err(g.numerator.span(), "numerator must be \"enrolment\" or \"higher_education\"")),
    };
    let [lo, hi] = *g.ages.get_ref();
    if !(0..=100).contains(&lo) || !(0..=100).contains(&hi) || lo > hi {
        return Err(ctx.err(g.ages.span(), format!("ages [{lo}, {hi}] must be an ascending band within 0..=100")));
    }
    for b in &g.basis {
        if !tables::BASES.contains(&b.as_str()) {
            return Err(ctx.err(g.id.span(), format!("basis {b:?} must be origin or location")));
        }
    }
    if g.weights.is_empty() {
        return Err(ctx.err(g.id.span(), "at least one [[...weights]] entry is required"));
    }
    let mut weights = Vec::new();
    for w in &g.weights {
        let mut map = BTreeMap::new();
        for (component, weight) in &w.components {
            if !allowed.contains(&component.get_ref().as_str()) {
                return Err(ctx.err(component.span(), format!("{:?} is not a component of {numerator}; allowed: {}", component.get_ref(), allowed.join(", "))));
            }
            let x = *weight.get_ref();
            if !(0.0..=10.0).contains(&x) || x.is_nan() {
                return Err(ctx.err(weight.span(), format!("weight {x} is out of range 0..=10")));
            }
            map.insert(component.get_ref().clone(), x);
        }
        weights.push((w.from_year, map));
    }
    weights.sort_by_key(|(y, _)| *y);
    Ok(GrossEnrolmentSpec {
        id: g.id.get_ref().clone(),
        numerator,
        ages: (lo, hi),
        basis: if g.basis.is_empty() { vec!["origin".into(), "location".into()] } else { g.basis.clone() },
        weights,
    })
}

