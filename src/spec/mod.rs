//! The pipeline file: parsed strictly, checked against the canonical tables, and resolved into
//! a [`Pipeline`] the stages can trust (paths absolute, `{year}` expanded, mappings merged).
//! Every error names the TOML line it comes from.

mod indicators;
mod model;

pub use indicators::*;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::tables::{self, Kind, TableDef};

/// Cells an XLSX sheet may declare unless the source says otherwise (a real delivery of the
/// largest table, 500k schools × 40 columns, is 20 million).
pub const DEFAULT_MAX_CELLS: u64 = 50_000_000;

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
    /// XLSX: the most cells a sheet may declare.
    pub max_cells: u64,
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
    /// canonical column → labels of supplied-total rows
    pub total_labels: BTreeMap<String, Vec<String>>,
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
    pub population_max_yoy_change: Option<f64>,
    pub min_reporting_ratio: Option<f64>,
    /// `[plausibility] largest_class`: pupils one class can hold, for the class-capacity check.
    pub largest_class: Option<i64>,
    pub keep_runs: usize,
    /// Relative tolerances of `edustat check`.
    pub tolerances: crate::diff::Tolerances,
    pub sources: Vec<SourceSpec>,
    /// The indicator families the pipeline declares.
    pub families: Families,
    pub targets: Vec<TargetSpec>,
}

/// Read, parse and validate a pipeline file.
pub fn load(path: &Path) -> Result<Pipeline> {
    load_with(path, false)
}

/// Read, parse and validate a pipeline file; `allow_outside` lets input paths leave the
/// pipeline's root.
pub fn load_with(path: &Path, allow_outside: bool) -> Result<Pipeline> {
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
    let raw: model::PipelineFile = toml::from_str(&text).map_err(|e| Error::Spec {
        path: path.to_path_buf(),
        line: e.span().map(|s| line_of(text.as_bytes(), s.start)),
        message: e.message().trim().to_string(),
    })?;
    let mut ctx = Ctx { path, text: &text, root: None };
    if !allow_outside {
        let declared = raw.root.as_ref().map(|r| ctx.dir().join(r.get_ref())).unwrap_or_else(|| ctx.dir());
        let span = raw.root.as_ref().map(|r| r.span()).unwrap_or(0..0);
        ctx.root = Some(declared.canonicalize().map_err(|e| ctx.err(span, format!("root {}: {e}", declared.display())))?);
    }
    resolve(&ctx, raw, hex(&Sha256::digest(&bytes)))
}

struct Ctx<'a> {
    path: &'a Path,
    text: &'a str,
    /// Input paths must resolve inside this folder (None: `--allow-outside`).
    root: Option<PathBuf>,
}

impl Ctx<'_> {
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> Error {
        let line = if span.is_empty() && span.start == 0 { None } else { Some(line_of(self.text.as_bytes(), span.start)) };
        Error::Spec { path: self.path.to_path_buf(), line, message: message.into() }
    }
    /// Refuse a path that resolves (symlinks included) outside the pipeline's root.
    fn confined(&self, span: Range<usize>, path: &Path) -> Result<()> {
        let Some(root) = &self.root else { return Ok(()) };
        let real = path.canonicalize().map_err(|e| self.err(span.clone(), format!("{}: {e}", path.display())))?;
        if real.starts_with(root) {
            return Ok(());
        }
        Err(self.err(
            span,
            format!("{} is outside the pipeline's root {} (declare root = \"…\" in the pipeline file, or run with --allow-outside)", path.display(), root.display()),
        ))
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
    ctx.confined(raw.divisions.span(), &divisions)?;
    let history_from = match &raw.history_from {
        Some(h) if *h.get_ref() > first || *h.get_ref() < 1949 => {
            return Err(ctx.err(h.span(), format!("history_from must be a year no later than the first reported year {first}")));
        }
        Some(h) => *h.get_ref(),
        None => first,
    };
    let largest_class = match &raw.plausibility.largest_class {
        Some(n) if !(1..=1000).contains(n.get_ref()) => return Err(ctx.err(n.span(), format!("largest_class {} must lie in 1..=1000 pupils", n.get_ref()))),
        Some(n) => Some(*n.get_ref()),
        None => None,
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

    let (families, ids) = indicators::resolve(ctx, &raw.indicators)?;

    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
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
        population_max_yoy_change: raw.gates.population_max_yoy_change,
        min_reporting_ratio: raw.gates.min_reporting_ratio,
        largest_class,
        keep_runs: raw.publish.keep_runs.max(1),
        tolerances: crate::diff::Tolerances { default: raw.check.tolerance.unwrap_or(1e-9), per_indicator: raw.check.tolerances.clone() },
        sources,
        families,
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
    ctx.confined(source.path.span(), &path)?;
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
        max_cells: source.max_cells.unwrap_or(DEFAULT_MAX_CELLS),
        header_row: source.header_row,
        table,
        columns,
        strip_suffixes: mapping.strip_suffixes.clone(),
        codes,
        constants,
        values,
        ignore: mapping.ignore.clone(),
        total_labels: mapping.total_labels.clone(),
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
