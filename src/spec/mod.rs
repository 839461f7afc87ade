//! The pipeline file: parsed strictly, checked against the canonical tables, and resolved into
//! a [`Pipeline`] the stages can trust (paths absolute, `{year}` expanded, mappings merged).
//! Every error names the TOML line it comes from.

mod model;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::tables::{self, Kind, TableDef};

/// Text encodings a source may declare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Gb18030,
    /// BOM if present, else strict UTF-8, else strict GB18030.
    Auto,
}

/// File formats, decided by the extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

/// A value column's grade: a number, or the final grade of the row's stage.
#[derive(Clone, Debug, PartialEq)]
pub enum Grade {
    Fixed(i64),
    Last,
}

/// One raw value column of a wide layout and what it holds.
#[derive(Clone, Debug)]
pub struct ValueSpec {
    pub raw: String,
    pub measure: String,
    pub sex: String,
    pub grade: Option<Grade>,
    pub category: Option<String>,
    pub size_band: Option<String>,
}

/// One input file, ready to ingest.
#[derive(Clone, Debug)]
pub struct SourceSpec {
    pub path: PathBuf,
    /// The path as the pipeline file names it (after `{year}` expansion), for messages.
    pub display: String,
    pub format: Format,
    pub encoding: Encoding,
    pub sheet: Option<String>,
    pub header_row: usize,
    pub table: &'static TableDef,
    /// canonical column → raw header
    pub columns: Vec<(String, String)>,
    pub strip_suffixes: BTreeMap<String, Vec<String>>,
    pub codes: BTreeMap<String, BTreeMap<String, String>>,
    pub constants: Vec<(String, String)>,
    pub values: Vec<ValueSpec>,
    /// Raw headers deliberately not mapped.
    pub ignore: Vec<String>,
}

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

/// A target of the plan.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetSpec {
    pub id: String,
    pub indicator: String,
    pub region: String,
    /// `>=`, `<=`, `==`, `between` (value ..= value_high) or `about` (value ± tolerance × value)
    pub comparator: String,
    pub value: f64,
    pub value_high: Option<f64>,
    pub tolerance: Option<f64>,
    pub target_year: i32,
    pub baseline_year: i32,
    pub source: String,
    pub wording: String,
}

/// A validated pipeline.
#[derive(Clone, Debug)]
pub struct Pipeline {
    pub id: String,
    pub title_zh: String,
    pub title_en: String,
    pub file: PathBuf,
    pub spec_hash: String,
    /// Reported years.
    pub years: (i32, i32),
    /// Years of data read: from `history_from` to the last reported year.
    pub data_years: (i32, i32),
    pub province: String,
    pub divisions: PathBuf,
    pub last_grade: BTreeMap<String, i64>,
    pub max_quarantine_share: f64,
    pub sources: Vec<SourceSpec>,
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
    pub targets: Vec<TargetSpec>,
}

/// Read, parse and validate a pipeline file.
pub fn load(path: &Path) -> Result<Pipeline> {
    let bytes = std::fs::read(path).map_err(|e| Error::Spec {
        path: path.to_path_buf(),
        line: None,
        message: format!("cannot read the pipeline file: {e}"),
    })?;
    let text = String::from_utf8(bytes.clone()).map_err(|e| Error::Spec {
        path: path.to_path_buf(),
        line: Some(line_of(&bytes, e.utf8_error().valid_up_to())),
        message: "the pipeline file is not valid UTF-8".into(),
    })?;
    let ctx = Ctx { path, text: &text };
    let raw: model::PipelineFile = toml::from_str(&text).map_err(|e| Error::Spec {
        path: path.to_path_buf(),
        line: e.span().map(|s| line_of(text.as_bytes(), s.start)),
        message: e.message().trim().to_string(),
    })?;
    resolve(&ctx, raw, hex(&Sha256::digest(&bytes)))
}

struct Ctx<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Ctx<'_> {
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> Error {
        let line = if span.is_empty() && span.start == 0 { None } else { Some(line_of(self.text.as_bytes(), span.start)) };
        Error::Spec { path: self.path.to_path_buf(), line, message: message.into() }
    }
    fn dir(&self) -> PathBuf {
        self.path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
    }
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())].iter().filter(|b| **b == b'\n').count() + 1
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn resolve(ctx: &Ctx, raw: model::PipelineFile, spec_hash: String) -> Result<Pipeline> {
    let id = raw.id.get_ref().clone();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(ctx.err(raw.id.span(), format!("id {id:?} must be non-empty ASCII letters, digits, '-' or '_'")));
    }
    let [first, last] = *raw.years.get_ref();
    if first > last || first < 1949 || last > 2100 {
        return Err(ctx.err(raw.years.span(), format!("years [{first}, {last}] must be ascending school years")));
    }
    if !is_region_code(raw.province.get_ref()) {
        return Err(ctx.err(raw.province.span(), "province must be a 6-digit region code"));
    }
    let dir = ctx.dir();
    let divisions = dir.join(raw.divisions.get_ref());
    if !divisions.is_file() {
        return Err(ctx.err(raw.divisions.span(), format!("division table {} does not exist", divisions.display())));
    }
    let history_from = match &raw.history_from {
        Some(h) if *h.get_ref() > first || *h.get_ref() < 1949 => {
            return Err(ctx.err(h.span(), format!("history_from must be a year no later than the first reported year {first}")));
        }
        Some(h) => *h.get_ref(),
        None => first,
    };
    let share = *raw.gates.max_quarantine_share.get_ref();
    if !(0.0..=1.0).contains(&share) {
        return Err(ctx.err(raw.gates.max_quarantine_share.span(), "max_quarantine_share must lie in 0..=1"));
    }

    let mut sources = Vec::new();
    for source in &raw.sources {
        let mapping_name = source.mapping.get_ref();
        let mapping = raw
            .mappings
            .get(mapping_name)
            .ok_or_else(|| ctx.err(source.mapping.span(), format!("no mapping named {mapping_name:?} in [mappings]")))?;
        let years: Vec<Option<i32>> = if source.path.get_ref().contains("{year}") {
            (first..=last).map(Some).collect()
        } else {
            vec![None]
        };
        for year in years {
            sources.push(resolve_source(ctx, &dir, source, mapping, year, &raw.last_grade)?);
        }
    }

    let mut gross_enrolment = Vec::new();
    for g in &raw.indicators.gross_enrolment {
        gross_enrolment.push(resolve_gross_enrolment(ctx, g)?);
    }

    let mut counts: Vec<CountSpec> = Vec::new();
    for c in &raw.indicators.count {
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
    for c in &raw.indicators.class_share {
        check_stages(&c.stages, c.id.span())?;
        if c.min_size.is_some() == !c.bands.is_empty() {
            return Err(ctx.err(c.id.span(), "a class share takes either min_size or bands, not both and not neither"));
        }
        class_shares.push(ClassShareSpec { id: c.id.get_ref().clone(), stages: c.stages.clone(), min_size: c.min_size, bands: c.bands.clone() });
    }
    let mut class_averages = Vec::new();
    for c in &raw.indicators.class_average {
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
    for c in &raw.indicators.school_share {
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
    for c in &raw.indicators.school_total {
        check_kinds(&c.kinds, c.id.span())?;
        if !tables::SCHOOLS.column(c.column.get_ref()).is_some_and(|d| matches!(d.kind, Kind::Whole | Kind::Amount)) {
            return Err(ctx.err(c.column.span(), format!("{:?} is not a numeric column of the school register", c.column.get_ref())));
        }
        school_totals.push(SchoolTotalSpec { id: c.id.get_ref().clone(), kinds: c.kinds.clone(), column: c.column.get_ref().clone() });
    }
    let mut township_coverages = Vec::new();
    for c in &raw.indicators.township_coverage {
        check_kinds(&c.kinds, c.id.span())?;
        township_coverages.push(TownshipCoverageSpec {
            id: c.id.get_ref().clone(),
            kinds: c.kinds.clone(),
            when_all: check_conditions(&c.when_all)?,
            street_codes_below: c.street_codes_below,
        });
    }
    let mut pupil_teacher_ratios = Vec::new();
    for c in &raw.indicators.pupil_teacher_ratio {
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
    for t in &raw.indicators.total {
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
    for r in &raw.indicators.measure_ratio {
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
    for b in &raw.indicators.balance {
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
    for r in &raw.indicators.retention {
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
    for v in &raw.indicators.survival {
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
    for g in &raw.indicators.growth {
        if !ids.contains(&g.of.get_ref().as_str()) {
            return Err(ctx.err(g.of.span(), format!("growth of {:?}, which this pipeline does not compute", g.of.get_ref())));
        }
        growths.push(GrowthSpec { id: g.id.get_ref().clone(), of: g.of.get_ref().clone() });
    }
    ids.extend(growths.iter().map(|g| g.id.as_str()));
    let mut county_rules = Vec::new();
    for r in &raw.indicators.county_rule {
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

    let mut targets = Vec::new();
    for t in &raw.targets {
        let computed = ids.binary_search(&t.indicator.get_ref().as_str()).is_ok();
        if !computed && crate::catalogue::entry(t.indicator.get_ref()).is_none() {
            return Err(ctx.err(t.indicator.span(), format!("target refers to indicator {:?}, which is neither computed by this pipeline nor in the catalogue", t.indicator.get_ref())));
        }
        if !computed {
            tracing::warn!(indicator = %t.indicator.get_ref(), "target's indicator is not computed by this pipeline; its status will be no_data");
        }
        match (t.comparator.get_ref().as_str(), t.value_high, t.tolerance) {
            (">=" | "<=" | "==", None, None) => {}
            ("between", Some(high), None) if high >= t.value => {}
            ("about", None, tol) if tol.is_none_or(|x| (0.0..1.0).contains(&x)) => {}
            _ => {
                return Err(ctx.err(
                    t.comparator.span(),
                    "comparator must be \">=\", \"<=\", \"==\", \"between\" (with value_high >= value) or \"about\" (with an optional tolerance in 0..1)",
                ));
            }
        }
        if !is_region_code(t.region.get_ref()) {
            return Err(ctx.err(t.region.span(), "region must be a 6-digit region code"));
        }
        targets.push(TargetSpec {
            id: t.id.clone(),
            indicator: t.indicator.get_ref().clone(),
            region: t.region.get_ref().clone(),
            comparator: t.comparator.get_ref().clone(),
            value: t.value,
            value_high: t.value_high,
            tolerance: t.tolerance,
            target_year: t.target_year,
            baseline_year: t.baseline_year,
            source: t.source.clone(),
            wording: t.wording.clone(),
        });
    }

    Ok(Pipeline {
        id,
        title_zh: raw.title_zh,
        title_en: raw.title_en,
        file: ctx.path.to_path_buf(),
        spec_hash,
        years: (first, last),
        data_years: (history_from, last),
        province: raw.province.into_inner(),
        divisions,
        last_grade: raw.last_grade,
        max_quarantine_share: share,
        sources,
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
        targets,
    })
}

fn is_region_code(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
}

fn resolve_source(
    ctx: &Ctx,
    dir: &Path,
    source: &model::Source,
    mapping: &model::Mapping,
    year: Option<i32>,
    last_grade: &BTreeMap<String, i64>,
) -> Result<SourceSpec> {
    let table = tables::table(mapping.table.get_ref())
        .ok_or_else(|| ctx.err(mapping.table.span(), format!("unknown table {:?}; known: schools, population, enrolment, higher_education", mapping.table.get_ref())))?;
    let display = match year {
        Some(y) => source.path.get_ref().replace("{year}", &y.to_string()),
        None => source.path.get_ref().clone(),
    };
    let path = dir.join(&display);
    if !path.is_file() {
        return Err(ctx.err(source.path.span(), format!("input file {} does not exist", path.display())));
    }
    let format = match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("csv") | Some("txt") => Format::Csv,
        Some("xlsx") => Format::Xlsx,
        _ => return Err(ctx.err(source.path.span(), format!("{display}: only .csv and .xlsx inputs are supported"))),
    };
    let encoding = match source.encoding.get_ref().to_ascii_lowercase().as_str() {
        "utf-8" | "utf8" => Encoding::Utf8,
        "gb18030" | "gbk" | "gb2312" => Encoding::Gb18030,
        "auto" => Encoding::Auto,
        other => return Err(ctx.err(source.encoding.span(), format!("unknown encoding {other:?}; use utf-8, gb18030 or auto"))),
    };
    if source.header_row == 0 {
        return Err(ctx.err(source.path.span(), "header_row is 1-based"));
    }

    let mut columns = Vec::new();
    for (canonical, raw_header) in &mapping.columns {
        if table.column(canonical.get_ref()).is_none() {
            return Err(ctx.err(canonical.span(), format!("table {} has no column {:?}", table.name, canonical.get_ref())));
        }
        columns.push((canonical.get_ref().clone(), raw_header.clone()));
    }
    let mut constants = Vec::new();
    for (name, value) in &source.constants {
        if table.column(name).is_none() {
            return Err(ctx.err(source.path.span(), format!("constant {name:?}: table {} has no such column", table.name)));
        }
        let text = match value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            other => return Err(ctx.err(source.path.span(), format!("constant {name:?} must be text or an integer, not {}", other.type_str()))),
        };
        constants.push((name.clone(), text));
    }
    if let Some(y) = year {
        constants.retain(|(n, _)| n != "year");
        constants.push(("year".into(), y.to_string()));
    }
    let mut codes = BTreeMap::new();
    for (canonical, map) in &mapping.codes {
        let Some(def) = table.column(canonical.get_ref()) else {
            return Err(ctx.err(canonical.span(), format!("table {} has no column {:?}", table.name, canonical.get_ref())));
        };
        match def.kind {
            Kind::Coded(allowed) => {
                if let Some(bad) = map.values().find(|v| !allowed.contains(&v.as_str())) {
                    return Err(ctx.err(canonical.span(), format!("{bad:?} is not a value of {}; allowed: {}", def.name, allowed.join(", "))));
                }
            }
            Kind::Text => {}
            _ => return Err(ctx.err(canonical.span(), format!("column {} takes no code map", def.name))),
        }
        codes.insert(canonical.get_ref().clone(), map.clone());
    }
    let mut values = Vec::new();
    for v in &mapping.values {
        values.push(resolve_value(ctx, table, v, last_grade)?);
    }
    // Every key must come from somewhere.
    for def in table.columns.iter().filter(|c| c.key) {
        let covered = columns.iter().any(|(c, _)| c == def.name)
            || constants.iter().any(|(c, _)| c == def.name)
            || (def.from_values && (def.name == "sex" || values.iter().all(|v| value_key(v, def.name).is_some())));
        if !covered {
            return Err(ctx.err(mapping.table.span(), format!("key column {} of table {} is neither mapped, constant, nor set on every value column", def.name, table.name)));
        }
    }
    if !table.measures.is_empty() && values.is_empty() {
        return Err(ctx.err(mapping.table.span(), format!("table {} needs at least one value column", table.name)));
    }
    Ok(SourceSpec {
        path,
        display,
        format,
        encoding,
        sheet: source.sheet.clone(),
        header_row: source.header_row,
        table,
        columns,
        strip_suffixes: mapping.strip_suffixes.clone(),
        codes,
        constants,
        values,
        ignore: mapping.ignore.clone(),
    })
}

fn value_key<'a>(v: &'a ValueSpec, name: &str) -> Option<&'a str> {
    match name {
        "grade" => v.grade.as_ref().map(|_| "grade"),
        "category" => v.category.as_deref(),
        "size_band" => v.size_band.as_deref(),
        "sex" => Some(v.sex.as_str()),
        _ => None,
    }
}

fn resolve_value(ctx: &Ctx, table: &TableDef, v: &model::ValueColumn, last_grade: &BTreeMap<String, i64>) -> Result<ValueSpec> {
    if !table.measures.contains(&v.measure.get_ref().as_str()) {
        return Err(ctx.err(v.measure.span(), format!("table {} has no measure {:?}; measures: {}", table.name, v.measure.get_ref(), table.measures.join(", "))));
    }
    let check = |name: &str, value: &toml::Spanned<String>| -> Result<String> {
        match table.column(name) {
            Some(def) if def.from_values => match def.kind {
                Kind::Coded(allowed) if !allowed.contains(&value.get_ref().as_str()) => {
                    Err(ctx.err(value.span(), format!("{:?} is not a value of {name}; allowed: {}", value.get_ref(), allowed.join(", "))))
                }
                _ => Ok(value.get_ref().clone()),
            },
            _ => Err(ctx.err(value.span(), format!("table {} takes no {name} on value columns", table.name))),
        }
    };
    let sex = match &v.sex {
        Some(s) => check("sex", s)?,
        None => "total".into(),
    };
    let category = v.category.as_ref().map(|c| check("category", c)).transpose()?;
    let size_band = v.size_band.as_ref().map(|c| check("size_band", c)).transpose()?;
    let grade = match &v.grade {
        None => None,
        Some(g) => {
            if table.column("grade").is_none() {
                return Err(ctx.err(g.span(), format!("table {} has no grade", table.name)));
            }
            match g.get_ref() {
                model::GradeValue::Number(n) if (0..=12).contains(n) => Some(Grade::Fixed(*n)),
                model::GradeValue::Word(w) if w == "last" => {
                    if last_grade.is_empty() {
                        return Err(ctx.err(g.span(), "grade = \"last\" needs a [last_grade] table"));
                    }
                    Some(Grade::Last)
                }
                _ => return Err(ctx.err(g.span(), "grade must be 0..=12 or \"last\"")),
            }
        }
    };
    Ok(ValueSpec { raw: v.raw.clone(), measure: v.measure.get_ref().clone(), sex, grade, category, size_band })
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
