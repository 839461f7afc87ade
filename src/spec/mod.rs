//! The pipeline file: parsed strictly, checked against the canonical tables, and resolved into
//! a [`Pipeline`] the stages can trust (paths absolute, `{year}` expanded, mappings merged).
//! Every error names the TOML line it comes from.

mod families;
pub mod labels;
mod model;
mod sources;
mod targets;

pub use families::*;
pub use targets::{Comparator, TargetSpec};

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::catalogue::Described;
use crate::error::{Error, Result};
use crate::tables::TableDef;

/// Cells an XLSX sheet may declare unless the source says otherwise (a real delivery of the
/// largest table, 500k schools × 40 columns, is 20 million).
pub const DEFAULT_MAX_CELLS: u64 = 50_000_000;

/// The longest CSV line a source may have unless it says otherwise: a real record is a few
/// hundred bytes; a line of a mebibyte is a broken export, refused before the file is read.
pub const DEFAULT_MAX_LINE_BYTES: u64 = 1 << 20;

/// The most bytes an XLSX workbook may inflate to unless the source says otherwise (the
/// largest real sheet inflates to tens of megabytes).
pub const DEFAULT_MAX_UNCOMPRESSED_BYTES: u64 = 512 << 20;

pub use crate::decode::Encoding;

/// File formats, decided by the extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

/// A value column's grade: a number, or the final grade of the row's stage.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Grade {
    Fixed(i64),
    Last,
}

/// One raw value column of a wide layout and what it holds.
#[derive(Clone, Debug)]
pub struct ValueSpec {
    /// The raw header, or a pattern of headers with `{year}` and/or `{stage}` in it.
    pub raw: String,
    pub measure: String,
    pub sex: String,
    pub grade: Option<Grade>,
    pub category: Option<String>,
    pub size_band: Option<String>,
    /// Every cell is multiplied by this (1000 for a table in thousands) and must then be whole.
    pub scale: i64,
}

impl ValueSpec {
    /// Does `raw` name many columns (`{year}`, `{stage}` in it)?
    pub fn is_pattern(&self) -> bool {
        self.raw.contains(PATTERN_YEAR) || self.raw.contains(PATTERN_STAGE)
    }
}

/// The placeholder of a value-column pattern that matches a four-digit year.
pub const PATTERN_YEAR: &str = "{year}";
/// The placeholder of a value-column pattern that matches a stage (through the mapping's
/// `codes.stage`, or a canonical stage).
pub const PATTERN_STAGE: &str = "{stage}";

/// How boundary changes are published (`boundaries`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Boundaries {
    /// History re-mapped onto today's codes: a retired code counts under its successor in
    /// every year (a split, which cannot be re-mapped, is published as reported and flagged).
    #[default]
    Constant,
    /// Each year on the codes in force that year.
    AsReported,
}

/// How a source's region column names its regions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionsBy {
    /// Codes of the division table (retired ones counted under their successors).
    #[default]
    Code,
    /// Names and aliases of the division table.
    Name,
}

/// One input file, ready to ingest.
#[derive(Clone, Debug)]
pub struct SourceSpec {
    /// Which `[[sources]]` entry of the pipeline file it comes from (files of one entry are
    /// typed together where their headers agree).
    pub entry: usize,
    pub path: PathBuf,
    /// The path as the pipeline file names it (after `{year}` expansion), for messages.
    pub display: String,
    pub format: Format,
    pub encoding: Encoding,
    pub sheet: Option<String>,
    /// XLSX: the most cells a sheet may declare.
    pub max_cells: u64,
    /// CSV: the longest line, in bytes.
    pub max_line_bytes: u64,
    /// XLSX: the most bytes the workbook's parts may inflate to, together.
    pub max_uncompressed_bytes: u64,
    pub header_row: usize,
    /// CSV: the field separator.
    pub delimiter: u8,
    /// Cells that mean "no value", read as empty.
    pub missing: Vec<String>,
    pub table: &'static TableDef,
    /// canonical column → raw header
    pub columns: Vec<(String, String)>,
    pub strip_suffixes: BTreeMap<String, Vec<String>>,
    pub codes: BTreeMap<String, BTreeMap<String, String>>,
    pub constants: Vec<(String, String)>,
    pub values: Vec<ValueSpec>,
    /// Raw headers deliberately not mapped.
    pub ignore: Vec<String>,
    /// Whether the region column holds codes or names.
    pub regions: RegionsBy,
    /// canonical column → labels of supplied-total rows
    pub total_labels: BTreeMap<String, Vec<String>>,
}

/// Tolerances of `edustat check` (`[check]`): a default relative tolerance and per-indicator
/// overrides.
#[derive(Debug, Clone)]
pub struct Tolerances {
    pub default: f64,
    pub per_indicator: BTreeMap<String, f64>,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances { default: 1e-9, per_indicator: BTreeMap::new() }
    }
}

/// What a supplied total does (`[supplied_totals] use`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TotalUse {
    /// Left out of every sum; compared with the sum of its parts where they cover every
    /// reporting unit under it (a quality gate), noted as a warning where they do not.
    #[default]
    Check,
    /// As `check` where the parts cover every reporting unit; where they do not, the total is
    /// used for its region in place of its parts (noted as a warning).
    Fill,
}

/// `[supplied_totals]`, resolved.
#[derive(Clone, Copy, Debug, Default)]
pub struct SuppliedTotals {
    pub use_: TotalUse,
    pub tolerance: f64,
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
    /// The division table's levels, top first; the last is the reporting unit that every rate
    /// and coverage is counted over (`county` by default).
    pub levels: Vec<String>,
    /// Constant boundaries (history on today's codes) or as reported.
    pub boundaries: Boundaries,
    /// Rows by area (urban / town / rural) beside the totals, where both parts have an area.
    pub by_area: bool,
    /// The division table, as [`from_here`] shows it.
    pub divisions: PathBuf,
    /// The division table as the pipeline file names it (relative to the pipeline file's
    /// folder): the form manifests record, the same wherever a run is started from.
    pub divisions_display: String,
    pub last_grade: BTreeMap<String, i64>,
    pub max_quarantine_share: f64,
    /// Rows above other rows of the same table: checked or used in their place.
    pub supplied_totals: SuppliedTotals,
    pub population_max_yoy_change: Option<f64>,
    pub min_reporting_ratio: Option<f64>,
    /// `[plausibility] largest_class`: pupils one class can hold, for the class-capacity check.
    pub largest_class: Option<i64>,
    /// `[[plausibility.indicators]]`: bounds on published values.
    pub plausible: Vec<PlausibleSpec>,
    pub keep_runs: usize,
    /// Relative tolerances of `edustat check`.
    pub tolerances: Tolerances,
    pub sources: Vec<SourceSpec>,
    /// The indicator families the pipeline declares.
    pub families: Families,
    pub targets: Vec<TargetSpec>,
    /// `[labels]`: how the catalogue describes each indicator.
    pub labels: BTreeMap<String, labels::Label>,
}

impl Pipeline {
    /// Every indicator the pipeline publishes, described: its `[labels]` over its family's
    /// generic text; then the labelled indicators only its targets name.
    pub fn catalogue(&self) -> Vec<Described> {
        labels::catalogue(&self.families, &self.labels)
    }
}

/// The catalogue a pipeline file declares, read without its inputs (which need not exist
/// yet, as for a national sample not generated): its indicator families and `[labels]` only.
pub fn catalogue_of(path: &Path) -> Result<Vec<Described>> {
    let (_, text, raw) = parse(path)?;
    let real = RealPaths::default();
    let ctx = Ctx { path, text: &text, root: None, real: &real };
    let families = families::resolve(&ctx, &raw.indicators)?;
    let targeted: Vec<String> = raw.targets.iter().map(|t| t.indicator.get_ref().clone()).collect();
    let labels = labels::resolve(&ctx, &raw.labels, &families, &targeted)?;
    Ok(labels::catalogue(&families, &labels))
}

/// Read, parse and validate a pipeline file.
pub fn load(path: &Path) -> Result<Pipeline> {
    load_with(path, false)
}

/// Read, parse and validate a pipeline file; `allow_outside` lets input paths leave the
/// pipeline's root.
pub fn load_with(path: &Path, allow_outside: bool) -> Result<Pipeline> {
    let (bytes, text, raw) = parse(path)?;
    let real = RealPaths::default();
    let mut ctx = Ctx { path, text: &text, root: None, real: &real };
    let included = includes(&ctx, &raw)?;
    if !allow_outside {
        let declared =
            raw.root.as_ref().map(|r| ctx.dir().join(r.get_ref())).unwrap_or_else(|| ctx.dir());
        let span = raw.root.as_ref().map(|r| r.span()).unwrap_or(0..0);
        ctx.root = Some(
            declared
                .canonicalize()
                .map_err(|e| ctx.err(span, format!("root {}: {e}", declared.display())))?,
        );
    }
    // The spec hash covers the included files too: a changed shared mapping is a changed spec.
    let mut hashed = bytes;
    for inc in &included {
        hashed.extend_from_slice(inc.text.as_bytes());
    }
    resolve(&ctx, raw, &included, crate::digest::sha256(&hashed))
}

/// A pipeline file's bytes, text and TOML, errors naming its line.
fn parse(path: &Path) -> Result<(Vec<u8>, String, model::PipelineFile)> {
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
    Ok((bytes, text, raw))
}

/// A file named by `include`: its path, text and what it declares.
struct Included {
    path: PathBuf,
    text: String,
    shared: model::Shared,
}

/// Read and parse every file of `include`, errors naming the included file and its line.
fn includes(ctx: &Ctx, raw: &model::PipelineFile) -> Result<Vec<Included>> {
    let mut out = Vec::new();
    for name in &raw.include {
        let path = ctx.dir().join(name.get_ref());
        let text = std::fs::read_to_string(&path)
            .map_err(|e| ctx.err(name.span(), format!("include {}: {e}", path.display())))?;
        let shared: model::Shared = toml::from_str(&text).map_err(|e| Error::Spec {
            path: path.clone(),
            line: e.span().map(|s| line_of(text.as_bytes(), s.start)),
            message: e.message().trim().to_string(),
        })?;
        out.push(Included { path, text, shared });
    }
    Ok(out)
}

/// `[last_grade]` of the pipeline file and its includes; a stage given two different grades
/// is an error.
fn last_grade(
    ctx: &Ctx,
    raw: &model::PipelineFile,
    included: &[Included],
) -> Result<BTreeMap<String, i64>> {
    let mut out = raw.last_grade.clone();
    for inc in included {
        for (stage, grade) in &inc.shared.last_grade {
            match out.insert(stage.clone(), *grade) {
                Some(other) if other != *grade => {
                    return Err(ctx.err(
                        raw.include.first().map(|i| i.span()).unwrap_or(0..0),
                        format!(
                            "last_grade.{stage} is {other} here and {grade} in {}",
                            inc.path.display()
                        ),
                    ));
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

struct Ctx<'a> {
    path: &'a Path,
    text: &'a str,
    /// Input paths must resolve inside this folder (None: `--allow-outside`).
    root: Option<PathBuf>,
    real: &'a RealPaths,
}

/// Paths resolved as `canonicalize` resolves them, each folder once: a national pipeline names
/// thousands of files in a few dozen folders, and resolving every file's path from the root
/// (one `readlink` per component) cost more than the rest of an unchanged rerun.
#[derive(Default)]
struct RealPaths {
    folders: std::cell::RefCell<std::collections::HashMap<PathBuf, PathBuf>>,
}

impl RealPaths {
    /// The path with every symbolic link and `.`/`..` resolved: its folder's (remembered), then
    /// its name, unless the file itself is a link (then resolved whole).
    fn of(&self, path: &Path) -> std::io::Result<PathBuf> {
        let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
            return path.canonicalize();
        };
        if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
            return path.canonicalize();
        }
        let folder = if folder.as_os_str().is_empty() { Path::new(".") } else { folder };
        if let Some(real) = self.folders.borrow().get(folder) {
            return Ok(real.join(name));
        }
        let real = folder.canonicalize()?;
        self.folders.borrow_mut().insert(folder.to_path_buf(), real.clone());
        Ok(real.join(name))
    }
}

impl Ctx<'_> {
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> Error {
        let line = if span.is_empty() && span.start == 0 {
            None
        } else {
            Some(line_of(self.text.as_bytes(), span.start))
        };
        Error::Spec { path: self.path.to_path_buf(), line, message: message.into() }
    }
    /// Refuse a path that resolves (symlinks included) outside the pipeline's root.
    fn confined(&self, span: Range<usize>, path: &Path) -> Result<()> {
        let Some(root) = &self.root else { return Ok(()) };
        let real = (self.real.of(path))
            .map_err(|e| self.err(span.clone(), format!("{}: {e}", path.display())))?;
        if real.starts_with(root) {
            return Ok(());
        }
        Err(self.err(
            span,
            format!("{} is outside the pipeline's root {} (declare root = \"…\" in the pipeline file, or run with --allow-outside)", path.display(), root.display()),
        ))
    }

    /// [`from_here`], each folder resolved once per pipeline.
    fn shown(&self, path: &Path) -> PathBuf {
        from_here_with(path, &|p| self.real.of(p).ok())
    }

    fn dir(&self) -> PathBuf {
        match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())].iter().filter(|b| **b == b'\n').count() + 1
}

fn resolve(
    ctx: &Ctx,
    raw: model::PipelineFile,
    included: &[Included],
    spec_hash: String,
) -> Result<Pipeline> {
    let (id, first, last) = identity(ctx, &raw)?;
    let divisions = division_table(ctx, &raw)?;
    let history_from = history_from(ctx, &raw, first)?;
    let largest_class = largest_class(ctx, &raw)?;
    let share = *raw.gates.max_quarantine_share.get_ref();
    if !(0.0..=1.0).contains(&share) {
        return Err(ctx
            .err(raw.gates.max_quarantine_share.span(), "max_quarantine_share must lie in 0..=1"));
    }
    let last_grade = last_grade(ctx, &raw, included)?;
    let sources = sources::resolve(ctx, &raw, included, &last_grade, (first, last))?;
    let supplied_totals = supplied_totals(ctx, &raw.supplied_totals)?;
    let levels = levels(ctx, &raw)?;

    let families = families::resolve(ctx, &raw.indicators)?;
    let targeted: Vec<String> = raw.targets.iter().map(|t| t.indicator.get_ref().clone()).collect();
    let labels = labels::resolve(ctx, &raw.labels, &families, &targeted)?;
    let targets = targets::resolve(ctx, &raw.targets, &families, &labels, &levels)?;
    let plausible = plausible(ctx, &raw.plausibility.indicators, &families)?;

    Ok(Pipeline {
        id,
        title_zh: raw.title_zh,
        title_en: raw.title_en,
        file: ctx.path.to_path_buf(),
        spec_hash,
        years: (first, last),
        data_years: (history_from, last),
        province: raw.province.into_inner(),
        levels,
        boundaries: raw.boundaries.unwrap_or_default(),
        by_area: raw.by_area.unwrap_or(true),
        divisions,
        divisions_display: raw.divisions.get_ref().clone(),
        last_grade,
        max_quarantine_share: share,
        supplied_totals,
        population_max_yoy_change: raw.gates.population_max_yoy_change,
        min_reporting_ratio: raw.gates.min_reporting_ratio,
        largest_class,
        plausible,
        keep_runs: raw.publish.keep_runs.max(1),
        tolerances: Tolerances {
            default: raw.check.tolerance.unwrap_or(1e-9),
            per_indicator: raw.check.tolerances,
        },
        sources,
        families,
        targets,
        labels,
    })
}

/// The pipeline's id, first and last year, and a well-formed top region code.
fn identity(ctx: &Ctx, raw: &model::PipelineFile) -> Result<(String, i32, i32)> {
    let id = raw.id.get_ref().clone();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(ctx.err(
            raw.id.span(),
            format!("id {id:?} must be non-empty ASCII letters, digits, '-' or '_'"),
        ));
    }
    let [first, last] = *raw.years.get_ref();
    if first > last || first < 1949 || last > 2100 {
        return Err(ctx.err(
            raw.years.span(),
            format!("years [{first}, {last}] must be ascending school years"),
        ));
    }
    if !is_region_code(raw.province.get_ref()) {
        return Err(ctx.err(
            raw.province.span(),
            "province must be the code of the top region of the division table (letters, digits, '-', '_', '.')",
        ));
    }
    Ok((id, first, last))
}

/// The division table's path: it exists and lies inside the pipeline's root.
fn division_table(ctx: &Ctx, raw: &model::PipelineFile) -> Result<PathBuf> {
    let divisions = ctx.dir().join(raw.divisions.get_ref());
    if !divisions.is_file() {
        return Err(ctx.err(
            raw.divisions.span(),
            format!("division table {} does not exist", divisions.display()),
        ));
    }
    ctx.confined(raw.divisions.span(), &divisions)?;
    Ok(ctx.shown(&divisions))
}

/// An existing file's path as the user would type it from the working directory: relative to
/// it (`data-samples/guangxi/finance.csv`, not `pipelines/../data-samples/guangxi/finance.csv`;
/// `../data/finance.csv` from a sibling folder, up to two levels up), absolute otherwise. `..`
/// is resolved by name, and the shorter form is used only when it names the same file (a
/// symbolic link on the way can make `a/..` differ from `.`).
pub fn from_here(path: &Path) -> PathBuf {
    from_here_with(path, &|p| p.canonicalize().ok())
}

fn from_here_with(path: &Path, real: &dyn Fn(&Path) -> Option<PathBuf>) -> PathBuf {
    let Ok(cwd) = std::env::current_dir() else { return path.to_path_buf() };
    let by_name = |p: &Path| {
        let mut out = PathBuf::new();
        for part in p.components() {
            match part {
                std::path::Component::CurDir => {}
                std::path::Component::ParentDir => {
                    out.pop();
                }
                other => out.push(other),
            }
        }
        out
    };
    let (absolute, cwd) = (by_name(&cwd.join(path)), by_name(&cwd));
    let shared = absolute.components().zip(cwd.components()).take_while(|(a, b)| a == b).count();
    let up = cwd.components().count() - shared;
    let shown = if shared > 1 && up <= 2 {
        let mut shown: PathBuf = std::iter::repeat_n("..", up).collect();
        shown.extend(absolute.components().skip(shared));
        shown
    } else {
        absolute
    };
    let same = |a: &Path, b: &Path| match (real(a), real(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    };
    if same(&shown, path) { shown } else { path.to_path_buf() }
}

/// `history_from`: no later than the first reported year (default: that year).
fn history_from(ctx: &Ctx, raw: &model::PipelineFile, first: i32) -> Result<i32> {
    match &raw.history_from {
        Some(h) if *h.get_ref() > first || *h.get_ref() < 1949 => Err(ctx.err(
            h.span(),
            format!("history_from must be a year no later than the first reported year {first}"),
        )),
        Some(h) => Ok(*h.get_ref()),
        None => Ok(first),
    }
}

/// `[supplied_totals]`: the tolerance lies in 0..1.
fn supplied_totals(ctx: &Ctx, raw: &model::SuppliedTotals) -> Result<SuppliedTotals> {
    let tolerance = match &raw.tolerance {
        Some(t) if !(0.0..1.0).contains(t.get_ref()) => {
            return Err(
                ctx.err(t.span(), "supplied_totals.tolerance must lie in 0..1 (0.001 = 0.1 %)")
            );
        }
        Some(t) => *t.get_ref(),
        None => 0.0,
    };
    Ok(SuppliedTotals { use_: raw.use_.unwrap_or_default(), tolerance })
}

/// What a failed plausibility bound does: stop the run (exit 3, nothing published) or only
/// record the failed check and publish.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Fail,
    Warn,
}

/// One `[[plausibility.indicators]]` entry, resolved.
#[derive(Clone, Debug)]
pub struct PlausibleSpec {
    pub ids: Vec<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub max_change: Option<f64>,
    pub max_modified_z: Option<f64>,
    pub action: Action,
}

/// `[[plausibility.indicators]]`: ids the pipeline publishes, at least one bound, bounds > 0.
fn plausible(
    ctx: &Ctx,
    raw: &[model::PlausibleValues],
    families: &Families,
) -> Result<Vec<PlausibleSpec>> {
    let mut out = Vec::new();
    for p in raw {
        if let Some(id) = p.ids.get_ref().iter().find(|id| !families.publishes(id)) {
            return Err(
                ctx.err(p.ids.span(), format!("{id:?} is not an indicator of this pipeline"))
            );
        }
        let positive = [p.max_change, p.max_modified_z].iter().flatten().all(|v| *v > 0.0);
        let any = [p.min, p.max, p.max_change, p.max_modified_z].iter().any(Option::is_some);
        if !positive || !any {
            return Err(ctx.err(
                p.ids.span(),
                "a plausibility entry sets min, max, max_change or max_modified_z (the last two above 0)",
            ));
        }
        out.push(PlausibleSpec {
            ids: p.ids.get_ref().clone(),
            min: p.min,
            max: p.max,
            max_change: p.max_change,
            max_modified_z: p.max_modified_z,
            action: p.action.unwrap_or(Action::Fail),
        });
    }
    Ok(out)
}

/// `[plausibility] largest_class`, in 1..=1000 pupils.
fn largest_class(ctx: &Ctx, raw: &model::PipelineFile) -> Result<Option<i64>> {
    match &raw.plausibility.largest_class {
        Some(n) if !(1..=1000).contains(n.get_ref()) => Err(
            ctx.err(n.span(), format!("largest_class {} must lie in 1..=1000 pupils", n.get_ref()))
        ),
        Some(n) => Ok(Some(*n.get_ref())),
        None => Ok(None),
    }
}

/// A code as a division table may spell it: GB/T 2260 digits, ISO 3166-2 (`VN-HN`) or any
/// other scheme of ASCII letters, digits, '-', '_' and '.', at most 32 characters.
pub fn is_region_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// `levels`: distinct identifiers, top first, none of them `township`.
fn levels(ctx: &Ctx, raw: &model::PipelineFile) -> Result<Vec<String>> {
    let Some(levels) = &raw.levels else {
        return Ok(["province", "city", "county"].map(String::from).to_vec());
    };
    let list = levels.get_ref();
    let ok = |l: &String| {
        !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '_') && l != "township"
    };
    let distinct = list.iter().collect::<std::collections::BTreeSet<_>>().len() == list.len();
    if list.is_empty() || !list.iter().all(ok) || !distinct {
        return Err(ctx.err(
            levels.span(),
            "levels lists the division table's levels, top first (e.g. [\"country\", \"region\", \"province\"]): distinct words, township excluded (it always names units below the last level)",
        ));
    }
    Ok(list.clone())
}
