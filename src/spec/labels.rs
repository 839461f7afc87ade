//! The catalogue a pipeline publishes: every indicator it computes, described by its `[labels]`
//! entry (names, definition, method, the plan section behind it) over its family's generic text.
//! Nothing here names a plan; the plan's words live in the pipeline file.

use std::collections::BTreeMap;

use super::families::{Families, Family, GerNumerator};
use super::{Ctx, model};
use crate::catalogue::Described;
use crate::error::Result;

/// One `[labels.<id>]` entry, resolved: empty fields fall back to the family's text.
pub type Label = Described;

/// `[labels]`: each id an indicator the pipeline computes (its unit, if given, the family's),
/// or one a target names that it does not compute (then with a unit).
pub(super) fn resolve(
    ctx: &Ctx,
    raw: &BTreeMap<toml::Spanned<String>, model::Label>,
    families: &Families,
    targeted: &[String],
) -> Result<BTreeMap<String, Label>> {
    let generic: BTreeMap<String, Described> =
        families.iter().flat_map(described).map(|d| (d.id.clone(), d)).collect();
    let mut out = BTreeMap::new();
    for (id, l) in raw {
        let unit = l.unit.clone().unwrap_or_default();
        match generic.get(id.get_ref()) {
            Some(d) if !unit.is_empty() && unit != d.unit => {
                return Err(ctx.err(
                    id.span(),
                    format!(
                        "labels.{}: unit {unit:?}, but its family publishes {:?}",
                        id.get_ref(),
                        d.unit
                    ),
                ));
            }
            None if !targeted.contains(id.get_ref()) => {
                return Err(ctx.err(
                    id.span(),
                    format!(
                        "labels.{}: the pipeline neither computes nor targets this indicator",
                        id.get_ref()
                    ),
                ));
            }
            None if unit.is_empty() => {
                return Err(ctx.err(
                    id.span(),
                    format!(
                        "labels.{}: an indicator the pipeline does not compute needs its unit",
                        id.get_ref()
                    ),
                ));
            }
            _ => {}
        }
        out.insert(
            id.get_ref().clone(),
            Label {
                id: id.get_ref().clone(),
                name_zh: l.name_zh.clone().unwrap_or_default(),
                name_en: l.name_en.clone().unwrap_or_default(),
                unit,
                definition: l.definition.clone().unwrap_or_default(),
                methodology: l.methodology.clone().unwrap_or_default(),
                plan: l.plan.clone().unwrap_or_default(),
                family: String::new(),
            },
        );
    }
    Ok(out)
}

/// The catalogue: every computed id in the pipeline's order, its label over its family's text,
/// then the labelled ids only targets name.
pub fn catalogue(families: &Families, labels: &BTreeMap<String, Label>) -> Vec<Described> {
    let mut out: Vec<Described> = Vec::new();
    for d in families.iter().flat_map(described) {
        if out.iter().any(|o| o.id == d.id) {
            continue;
        }
        out.push(match labels.get(&d.id) {
            Some(l) => over(l, d),
            None => d,
        });
    }
    for (id, l) in labels {
        if !out.iter().any(|o| &o.id == id) {
            let blank = Described { id: id.clone(), ..Described::default() };
            out.push(over(l, blank));
        }
    }
    // An unlabelled parity index is named after its rate's names.
    let names: BTreeMap<String, (String, String)> =
        out.iter().map(|d| (d.id.clone(), (d.name_zh.clone(), d.name_en.clone()))).collect();
    for d in out.iter_mut().filter(|d| !labels.contains_key(&d.id)) {
        let Some(rate) = d.id.strip_suffix("_gpi") else { continue };
        if let Some((zh, en)) = names.get(rate).filter(|(zh, en)| !zh.is_empty() && !en.is_empty())
        {
            d.name_zh = format!("{zh}性别均等指数");
            d.name_en = format!("Gender parity index, {en}");
        }
    }
    out
}

/// `l`'s non-empty fields over `d`'s.
fn over(l: &Label, d: Described) -> Described {
    let pick = |a: &String, b: String| if a.is_empty() { b } else { a.clone() };
    Described {
        name_zh: pick(&l.name_zh, d.name_zh),
        name_en: pick(&l.name_en, d.name_en),
        unit: pick(&l.unit, d.unit),
        definition: pick(&l.definition, d.definition),
        methodology: pick(&l.methodology, d.methodology),
        plan: pick(&l.plan, d.plan),
        id: d.id,
        family: d.family,
    }
}

/// A family's own description of every id it publishes, each naming the family.
fn described(f: &Family) -> Vec<Described> {
    let own = f.described();
    let own =
        if own.is_empty() { f.ids().into_iter().map(|id| generic(f, &id)).collect() } else { own };
    own.into_iter().map(|d| Described { family: f.table().to_string(), ..d }).collect()
}

/// Names (zh, en), unit, definition and method of a generic catalogue entry.
type Text<'a> = (String, String, &'a str, String, &'static str);

/// The generic text of one id of a family, from its declaration.
fn generic(f: &Family, id: &str) -> Described {
    let (zh, en, unit, definition, method) = match f {
        Family::GrossEnrolment(g) if g.numerator_id.as_deref() == Some(id) => (
            format!("{}的分子（加权在学人数）", g.id),
            format!("Numerator of {} (weighted count)", g.id),
            "count",
            format!(
                "The weighted numerator of {}: pupils or students of its components, each weighted as the pipeline declares for the year, summed over the reporting units whose population is delivered too.",
                g.id
            ),
            "docs/methodology.md §3.4 (高等教育在学总规模)",
        ),
        Family::GrossEnrolment(g) if id == g.gpi_id() => (
            format!("{}性别均等指数", g.id),
            format!("Gender parity index of {}", g.id),
            "index",
            format!(
                "The female value of {} over its male value (UIS GPI); 1 is parity. Numerator and denominator hold the two values.",
                g.id
            ),
            "docs/methodology.md §2 (UIS gender parity index)",
        ),
        _ => enrolment_text(f).unwrap_or_else(|| other_text(f, id)),
    };
    Described {
        id: id.to_string(),
        name_zh: zh,
        name_en: en,
        unit: unit.to_string(),
        definition,
        methodology: method.to_string(),
        plan: String::new(),
        family: String::new(),
    }
}

fn list(v: &[String]) -> String {
    v.join(", ")
}

/// Families of pupils, classes and teachers.
fn enrolment_text(f: &Family) -> Option<Text<'static>> {
    Some(match f {
        Family::GrossEnrolment(g) => {
            let components: Vec<String> =
                g.weights.last().map(|(_, w)| w.keys().cloned().collect()).unwrap_or_default();
            let counted = match g.numerator {
                GerNumerator::Enrolment => "Pupils",
                GerNumerator::HigherEducation => "Students",
            };
            (
                format!("毛入学率（{}）", list(&components)),
                format!("Gross enrolment ratio, {}", list(&components)),
                "percent",
                format!(
                    "{counted} of any age in {} (weighted as the pipeline declares per year), over the population aged {}-{}, x 100; bases in order of preference: {}.",
                    list(&components),
                    g.ages.0,
                    g.ages.1,
                    list(&g.basis)
                ),
                "docs/methodology.md §3.1 (gross enrolment ratio, UIS)",
            )
        }
        Family::ClassShare(c) => (
            format!("班额比例（{}）", list(&c.stages)),
            format!("Share of classes by size, {}", list(&c.stages)),
            "percent",
            match c.min_size {
                Some(n) => format!(
                    "Classes of {} with {n} or more pupils over all their classes, x 100, from the size bands delivered.",
                    list(&c.stages)
                ),
                None => format!(
                    "Classes of {} in the bands {} over all their classes, x 100.",
                    list(&c.stages),
                    list(&c.bands)
                ),
            },
            "docs/methodology.md §5.2",
        ),
        Family::ClassAverage(c) => (
            format!("平均班额（{}）", list(&c.stages)),
            format!("Average class size, {}", list(&c.stages)),
            "ratio",
            format!("Pupils over classes of {}.", list(&c.stages)),
            "docs/methodology.md §5.3",
        ),
        Family::PupilTeacherRatio(p) => (
            format!("生师比（{}）", list(&p.stages)),
            format!("Pupil-teacher ratio, {}", list(&p.stages)),
            "ratio",
            format!("Pupils over full-time teachers of {}.", list(&p.stages)),
            "docs/methodology.md §8.2",
        ),
        _ => return None,
    })
}

/// Families of regions' measures, schools and other indicators.
fn other_text<'a>(f: &'a Family, id: &str) -> Text<'a> {
    match f {
        Family::Measure(m) => {
            let what = match &m.denominator {
                None => format!("{} of table {}, summed over regions.", m.numerator, m.table),
                Some(d) => {
                    format!("{} over {} of table {}, times {}.", m.numerator, d, m.table, m.scale)
                }
            };
            (id.to_string(), id.to_string(), m.unit.as_str(), what, "docs/methodology.md §8")
        }
        Family::Retention(r) => (
            "巩固率".to_string(),
            "Retention rate".to_string(),
            "percent",
            format!(
                "{} {} in year t over {} {} in year t-{}, x 100.",
                r.numerator.0, r.numerator.1, r.denominator.0, r.denominator.1, r.lag
            ),
            "docs/methodology.md §3.2",
        ),
        Family::Survival(s) => (
            "保留率".to_string(),
            "Survival rate to the last grade (UIS reconstructed cohort)".to_string(),
            "percent",
            format!(
                "Product of grade transition rates over {} grade(s) of {}, x 100.",
                s.stages.len(),
                list(&s.stages.iter().map(|(st, _)| st.clone()).collect::<Vec<_>>())
            ),
            "docs/methodology.md §3.2",
        ),
        Family::Growth(g) => (
            format!("{}增长", g.of),
            format!("Growth of {}", g.of),
            "percent",
            format!("Change of {} from the year before, in percent.", g.of),
            "docs/methodology.md §8.5",
        ),
        Family::CountyRule(r) => (
            "达标县比例".to_string(),
            "Share of counties meeting a rule".to_string(),
            "percent",
            format!(
                "Counties meeting every condition ({}) over all counties, x 100.",
                r.conditions
                    .iter()
                    .map(|c| format!("{} {:?} {}", c.indicator, c.comparator, c.value))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            "docs/methodology.md §2",
        ),
        _ => school_text(f, id),
    }
}

/// Families of the school register.
fn school_text(f: &Family, id: &str) -> Text<'static> {
    match f {
        Family::SchoolShare(s) if Some(id) == s.count_id.as_deref() => (
            "学校数".to_string(),
            format!("Schools meeting the conditions, {}", list(&s.kinds)),
            "count",
            format!("Schools of kinds {} meeting the pipeline's conditions.", list(&s.kinds)),
            "docs/methodology.md §7",
        ),
        Family::SchoolShare(s) => (
            "学校比例".to_string(),
            format!("Share of schools meeting the conditions, {}", list(&s.kinds)),
            "percent",
            format!(
                "Schools of kinds {} meeting the pipeline's conditions over all of them, x 100.",
                list(&s.kinds)
            ),
            "docs/methodology.md §7",
        ),
        Family::SchoolTotal(s) => (
            id.to_string(),
            id.to_string(),
            "count",
            format!("A register column summed over schools of kinds {}.", list(&s.kinds)),
            "docs/methodology.md §8.6",
        ),
        Family::TownshipCoverage(s) => (
            "乡镇覆盖率".to_string(),
            format!("Townships covered, {}", list(&s.kinds)),
            "percent",
            format!(
                "Townships with a school of kinds {} over all townships, x 100.",
                list(&s.kinds)
            ),
            "docs/methodology.md §8.1",
        ),
        _ => (id.to_string(), id.to_string(), "", String::new(), ""),
    }
}
