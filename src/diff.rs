//! What moved between two runs, and why: indicators compared row by row on their key
//! (indicator, year, region, sex, area) with the cause of each move (numerator, denominator,
//! both, value, flags, row added or removed), target statuses, and what changed between the
//! runs' manifests (spec hash, edustat version, input files). A run is read from its folder;
//! a baseline from sorted CSV files that read well in code review.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::frame::{self, Column, DataFrame, DataType, Expr, IntoLazy, LazyFrame, col, lit, when};
use crate::manifest::Manifest;
pub use crate::spec::Tolerances;

/// Key columns of an indicator row.
pub const KEYS: &[&str] = &["indicator", "year", "region_code", "sex", "area"];
const INDICATOR_COLUMNS: &[&str] = &[
    "indicator",
    "year",
    "region_code",
    "sex",
    "area",
    "value",
    "numerator",
    "denominator",
    "flags",
];
const TARGET_COLUMNS: &[&str] = &[
    "indicator",
    "region_code",
    "target_year",
    "comparator",
    "target_value",
    "latest_year",
    "latest_value",
    "status",
];

/// The comparable content of a run or a baseline.
pub struct Snapshot {
    /// KEYS + value, numerator, denominator (f64) + flags (text, "|"-joined)
    pub indicators: DataFrame,
    /// TARGET_COLUMNS
    pub targets: DataFrame,
    pub spec_hash: Option<String>,
    pub version: Option<String>,
    /// The pipeline the run was of (absent in baselines written before it was recorded).
    pub pipeline_id: Option<String>,
    /// input path → sha256
    pub inputs: BTreeMap<String, String>,
}

/// `baseline.json`: what a baseline was made from, beside its CSV files.
#[derive(Debug, Default, serde::Deserialize, Serialize)]
struct BaselineMeta {
    #[serde(default)]
    pipeline_id: Option<String>,
    spec_hash: Option<String>,
    edustat_version: Option<String>,
    #[serde(default)]
    inputs: Vec<BaselineInput>,
}

#[derive(Debug, serde::Deserialize, Serialize)]
struct BaselineInput {
    path: String,
    sha256: String,
}

impl BaselineMeta {
    /// The `baseline.json` of a baseline folder: missing or unreadable, it is an input error
    /// (a baseline that cannot say what it was made from is not one).
    fn read(path: &Path) -> Result<BaselineMeta> {
        let bad = |message: String| Error::input(path, message);
        let text = std::fs::read_to_string(path).map_err(|e| {
            bad(format!("cannot be read ({e}); `edustat baseline <run> -o DIR` writes it"))
        })?;
        serde_json::from_str(&text).map_err(|e| {
            bad(format!(
                "is not a baseline.json edustat wrote ({e}); write it again with `edustat baseline`"
            ))
        })
    }
}

impl From<Manifest> for BaselineMeta {
    fn from(m: Manifest) -> BaselineMeta {
        BaselineMeta {
            pipeline_id: Some(m.pipeline_id),
            spec_hash: Some(m.spec_hash),
            edustat_version: Some(m.edustat_version),
            inputs: m
                .inputs
                .into_iter()
                .map(|i| BaselineInput { path: i.path, sha256: i.sha256 })
                .collect(),
        }
    }
}

impl Snapshot {
    /// Read a run folder (`manifest.json` + Parquet) or a baseline folder (`baseline.json` + CSV).
    pub fn load(dir: &Path) -> Result<Snapshot> {
        if dir.join("indicators.parquet").is_file() {
            let indicators = frame::collect(
                frame::read_parquet(&dir.join("indicators.parquet"))?.lazy().select(
                    INDICATOR_COLUMNS
                        .iter()
                        .map(|c| {
                            if *c == "flags" {
                                col("flags").list().join(lit("|"), true).alias("flags")
                            } else {
                                col(*c)
                            }
                        })
                        .collect::<Vec<_>>(),
                ),
            )?;
            let targets = frame::collect(
                frame::read_parquet(&dir.join("targets.parquet"))?
                    .lazy()
                    .select(TARGET_COLUMNS.iter().map(|c| col(*c)).collect::<Vec<_>>()),
            )?;
            let m = Manifest::read(dir)?;
            return Ok(Snapshot::new(indicators, targets, BaselineMeta::from(m)));
        }
        if dir.join("indicators.csv").is_file() {
            let indicators = read_csv(&dir.join("indicators.csv"), INDICATOR_COLUMNS)?;
            let targets = read_csv(&dir.join("targets.csv"), TARGET_COLUMNS)?;
            let meta = BaselineMeta::read(&dir.join("baseline.json"))?;
            return Ok(Snapshot::new(indicators, targets, meta));
        }
        Err(Error::Usage(format!(
            "{} is neither a run folder nor a baseline folder",
            dir.display()
        )))
    }

    fn new(indicators: DataFrame, targets: DataFrame, m: BaselineMeta) -> Snapshot {
        let inputs = m.inputs.into_iter().map(|i| (i.path, i.sha256)).collect();
        Snapshot {
            indicators,
            targets,
            spec_hash: m.spec_hash,
            version: m.edustat_version,
            pipeline_id: m.pipeline_id,
            inputs,
        }
    }

    /// Refuse to compare runs of two different pipelines (their rows do not correspond)
    /// unless `anyway`.
    pub fn same_pipeline_as(&self, other: &Snapshot, anyway: bool) -> Result<()> {
        match (&self.pipeline_id, &other.pipeline_id) {
            (Some(a), Some(b)) if a != b && !anyway => Err(Error::Usage(format!(
                "these are runs of two pipelines, {a} and {b}: their rows do not compare \
                 (pass --other-pipeline to compare them anyway)"
            ))),
            _ => Ok(()),
        }
    }
}

/// Numeric columns of the CSV forms.
fn is_number(c: &str) -> bool {
    matches!(c, "value" | "numerator" | "denominator" | "target_value" | "latest_value")
}

fn is_year(c: &str) -> bool {
    matches!(c, "year" | "target_year" | "latest_year")
}

/// Read a baseline CSV written by [`write_baseline`] (empty cell = null).
fn read_csv(path: &Path, columns: &[&str]) -> Result<DataFrame> {
    let bad =
        |m: String| Error::Input { file: path.to_path_buf(), location: String::new(), message: m };
    let mut reader = csv::Reader::from_path(path).map_err(|e| bad(e.to_string()))?;
    let header: Vec<String> =
        reader.headers().map_err(|e| bad(e.to_string()))?.iter().map(str::to_string).collect();
    if header != columns {
        return Err(bad(format!("header must be {}", columns.join(","))));
    }
    let mut cells: Vec<Vec<Option<String>>> = vec![Vec::new(); columns.len()];
    for record in reader.records() {
        let record = record.map_err(|e| bad(e.to_string()))?;
        for (i, cell) in record.iter().enumerate().take(columns.len()) {
            cells[i].push(if cell.is_empty() { None } else { Some(restore(cell).to_string()) });
        }
    }
    let mut out = Vec::new();
    for (name, values) in columns.iter().zip(cells) {
        let text = Column::new((*name).into(), values);
        out.push(text);
    }
    let typed: Vec<Expr> = columns
        .iter()
        .map(|c| {
            if is_number(c) {
                col(*c).strict_cast(DataType::Float64)
            } else if is_year(c) {
                col(*c).strict_cast(DataType::Int32)
            } else if *c == "flags" {
                col(*c).fill_null(lit(""))
            } else {
                col(*c)
            }
        })
        .collect();
    frame::collect(frame::frame(out)?.lazy().select(typed))
        .map_err(|e| bad(format!("not a baseline written by edustat: {e}")))
}

/// Write the sorted CSV form of a run (indicators.csv, targets.csv, baseline.json).
pub fn write_baseline(run: &Path, dir: &Path) -> Result<()> {
    let snap = Snapshot::load(run)?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let sorted = frame::collect(frame::sort_by(snap.indicators.lazy(), KEYS))?;
    write_csv(&sorted, INDICATOR_COLUMNS, &dir.join("indicators.csv"))?;
    let targets = frame::collect(frame::sort_by(
        snap.targets.lazy(),
        &["indicator", "region_code", "target_year", "comparator", "target_value"],
    ))?;
    write_csv(&targets, TARGET_COLUMNS, &dir.join("targets.csv"))?;
    let meta = BaselineMeta {
        pipeline_id: snap.pipeline_id.clone(),
        spec_hash: snap.spec_hash.clone(),
        edustat_version: snap.version.clone(),
        inputs: snap
            .inputs
            .iter()
            .map(|(p, h)| BaselineInput { path: p.clone(), sha256: h.clone() })
            .collect(),
    };
    let text = serde_json::to_string_pretty(&meta).map_err(|e| Error::Internal(e.to_string()))?;
    let path = dir.join("baseline.json");
    std::fs::write(&path, text + "\n").map_err(|e| Error::io(&path, e))
}

/// Digits kept in a baseline: results agree to about 1e-15, but parallel sums differ in the last
/// bits from run to run; 12 significant digits keep the CSV stable for review, far inside the
/// default tolerance of 1e-9.
const BASELINE_DIGITS: i32 = 12;

/// `x` to [`BASELINE_DIGITS`] significant digits, without trailing zeros.
fn significant(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = (BASELINE_DIGITS - 1 - magnitude).clamp(0, 20) as usize;
    let text = format!("{x:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    if text == "-0" { "0".into() } else { text }
}

/// A text cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`) gets a leading
/// apostrophe; numbers are written as numbers and are never touched.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@']) { format!("'{text}").into() } else { text.into() }
}

/// The inverse of [`neutralise`] for reading a baseline back.
fn restore(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => text,
    }
}

fn write_csv(df: &DataFrame, columns: &[&str], path: &Path) -> Result<()> {
    let mut w = csv::Writer::from_path(path)
        .map_err(|e| Error::Internal(format!("{}: {e}", path.display())))?;
    w.write_record(columns).map_err(|e| Error::Internal(e.to_string()))?;
    let series: Vec<_> =
        columns.iter().map(|c| df.column(c)).collect::<std::result::Result<_, _>>()?;
    for i in 0..df.height() {
        let mut row = Vec::with_capacity(columns.len());
        for s in &series {
            row.push(match crate::frame::cell(s, i)? {
                crate::frame::Cell::Null => String::new(),
                crate::frame::Cell::Float(x) => significant(x),
                crate::frame::Cell::Text(t) => neutralise(&t).into_owned(),
                crate::frame::Cell::Int(x) => x.to_string(),
                crate::frame::Cell::Bool(b) => b.to_string(),
                crate::frame::Cell::List(items) => neutralise(&items.join(";")).into_owned(),
                crate::frame::Cell::Other(t) => t,
            });
        }
        w.write_record(&row).map_err(|e| Error::Internal(e.to_string()))?;
    }
    w.flush().map_err(|e| Error::io(path, e))
}

/// One indicator row that moved.
#[derive(Debug, Clone, Serialize)]
pub struct Move {
    pub indicator: String,
    pub year: i32,
    pub region_code: String,
    pub sex: String,
    pub area: String,
    pub old: Option<f64>,
    pub new: Option<f64>,
    pub delta: Option<f64>,
    /// numerator, denominator, numerator and denominator, value, flags, row added, row removed
    pub cause: String,
    /// beyond the indicator's tolerance (or added / removed / flags changed)
    pub beyond_tolerance: bool,
}

/// A target whose status or latest value changed.
#[derive(Debug, Clone, Serialize)]
pub struct TargetMove {
    pub indicator: String,
    pub region_code: String,
    pub target_year: Option<i32>,
    pub old_status: Option<String>,
    pub new_status: Option<String>,
    pub old_value: Option<f64>,
    pub new_value: Option<f64>,
}

/// Per indicator: rows changed, the largest move and where.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorSummary {
    pub indicator: String,
    pub rows_changed: usize,
    pub largest_delta: Option<f64>,
    pub where_largest: String,
}

/// Everything that differs between two snapshots.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Diff {
    pub spec_hash: Option<(Option<String>, Option<String>)>,
    pub version: Option<(Option<String>, Option<String>)>,
    pub inputs_changed: Vec<String>,
    pub inputs_added: Vec<String>,
    pub inputs_removed: Vec<String>,
    pub summary: Vec<IndicatorSummary>,
    pub moves: Vec<Move>,
    pub targets: Vec<TargetMove>,
}

impl Diff {
    /// Moves beyond tolerance plus every target status change.
    pub fn regressions(&self) -> usize {
        self.moves.iter().filter(|m| m.beyond_tolerance).count()
            + self.targets.iter().filter(|t| t.old_status != t.new_status).count()
    }
    pub fn is_empty(&self) -> bool {
        self.moves.is_empty() && self.targets.is_empty()
    }
}

/// `a` and `b` equal, nulls equal to nulls.
fn same(a: Expr, b: Expr) -> Expr {
    (a.clone().is_null().and(b.clone().is_null())).or(a.eq(b).fill_null(lit(false)))
}

fn absolute(e: Expr) -> Expr {
    when(e.clone().lt(lit(0.0))).then(lit(0.0) - e.clone()).otherwise(e)
}

/// True where `a` and `b` differ by more than `tolerance` relative to |a| (at least 1), or
/// exactly one of them is null.
fn differs(a: Expr, b: Expr, tolerance: Expr) -> Expr {
    let scale =
        when(absolute(a.clone()).gt(lit(1.0))).then(absolute(a.clone())).otherwise(lit(1.0));
    let far = absolute(b.clone() - a.clone()).gt(tolerance * scale);
    (a.clone().is_null().and(b.clone().is_null()))
        .not()
        .and(a.is_null().or(b.is_null()).or(far.fill_null(lit(false))))
}

/// Compare `old` with `new`.
pub fn diff(old: &Snapshot, new: &Snapshot, tolerances: &Tolerances) -> Result<Diff> {
    let mut out = Diff::default();
    if old.spec_hash != new.spec_hash {
        out.spec_hash = Some((old.spec_hash.clone(), new.spec_hash.clone()));
    }
    if old.version != new.version {
        out.version = Some((old.version.clone(), new.version.clone()));
    }
    for (path, hash) in &new.inputs {
        match old.inputs.get(path) {
            None => out.inputs_added.push(path.clone()),
            Some(h) if h != hash => out.inputs_changed.push(path.clone()),
            _ => {}
        }
    }
    out.inputs_removed =
        old.inputs.keys().filter(|p| !new.inputs.contains_key(*p)).cloned().collect();
    out.moves = indicator_moves(old, new, tolerances)?;
    out.summary = summarise(&out.moves);
    out.targets = target_moves(old, new, tolerances)?;
    Ok(out)
}

/// The indicator rows that differ: a full join on the key, then only those rows collected,
/// largest moves first and added or removed rows (no delta) after them.
fn indicator_moves(old: &Snapshot, new: &Snapshot, tolerances: &Tolerances) -> Result<Vec<Move>> {
    let side = |df: &DataFrame, tag: &str| -> LazyFrame {
        let mut sel: Vec<Expr> = KEYS.iter().map(|k| col(*k)).collect();
        for c in ["value", "numerator", "denominator", "flags"] {
            sel.push(col(c).alias(format!("{c}_{tag}")));
        }
        sel.push(lit(true).alias(format!("__in_{tag}")));
        df.clone().lazy().select(sel)
    };
    let tolerance =
        tolerances.per_indicator.iter().fold(lit(tolerances.default), |acc, (id, t)| {
            when(col("indicator").eq(lit(id.clone()))).then(lit(*t)).otherwise(acc)
        });
    let joined = frame::full_join(side(&old.indicators, "old"), side(&new.indicators, "new"), KEYS);
    // Floating sums are not bit-for-bit repeatable across thread schedules: every number is
    // compared with the indicator's relative tolerance, so identical inputs give an empty diff.
    let moved = |a: &str, b: &str| differs(col(a), col(b), tolerance.clone());
    let (added, removed) = (col("__in_old").is_null(), col("__in_new").is_null());
    let num_changed = moved("numerator_old", "numerator_new");
    let den_changed = moved("denominator_old", "denominator_new");
    let value_changed = moved("value_old", "value_new");
    let flags_changed = same(col("flags_old"), col("flags_new")).not();
    let cause = frame::first_match(
        vec![
            (added.clone(), lit("row added")),
            (removed.clone(), lit("row removed")),
            (num_changed.clone().and(den_changed.clone()), lit("numerator and denominator")),
            (num_changed, lit("numerator")),
            (den_changed, lit("denominator")),
            (value_changed.clone(), lit("value")),
            (flags_changed.clone(), lit("flags")),
        ],
        frame::null_text(),
    );
    let beyond = added.or(removed).or(flags_changed).or(value_changed);
    let changed = frame::collect(
        joined
            .with_columns([
                cause.alias("__cause"),
                (col("value_new") - col("value_old")).alias("__delta"),
                beyond.alias("__beyond"),
            ])
            .filter(col("__cause").is_not_null()),
    )?;
    let mut moves = read_moves(&changed)?;
    moves.sort_by(|a, b| {
        let (x, y) = (a.delta.map(f64::abs).unwrap_or(-1.0), b.delta.map(f64::abs).unwrap_or(-1.0));
        y.total_cmp(&x).then_with(|| {
            (&a.indicator, a.year, &a.region_code, &a.sex).cmp(&(
                &b.indicator,
                b.year,
                &b.region_code,
                &b.sex,
            ))
        })
    });
    Ok(moves)
}

fn read_moves(changed: &DataFrame) -> Result<Vec<Move>> {
    let text = |c: &str| frame::texts(changed, c);
    let (ids, codes, sexes, areas, causes) =
        (text("indicator")?, text("region_code")?, text("sex")?, text("area")?, text("__cause")?);
    let years = frame::ints(changed, "year")?;
    let olds = frame::floats(changed, "value_old")?;
    let news = frame::floats(changed, "value_new")?;
    let deltas = frame::floats(changed, "__delta")?;
    let beyond = frame::bools(changed, "__beyond")?;
    Ok((0..changed.height())
        .map(|i| Move {
            indicator: ids[i].clone().unwrap_or_default(),
            year: years[i].unwrap_or_default() as i32,
            region_code: codes[i].clone().unwrap_or_default(),
            sex: sexes[i].clone().unwrap_or_default(),
            area: areas[i].clone().unwrap_or_default(),
            old: olds[i],
            new: news[i],
            delta: deltas[i],
            cause: causes[i].clone().unwrap_or_default(),
            beyond_tolerance: beyond[i].unwrap_or(true),
        })
        .collect())
}

/// Per indicator: rows changed and the largest move; most rows changed first.
fn summarise(moves: &[Move]) -> Vec<IndicatorSummary> {
    let mut per: BTreeMap<String, IndicatorSummary> = BTreeMap::new();
    for m in moves {
        let s = per.entry(m.indicator.clone()).or_insert(IndicatorSummary {
            indicator: m.indicator.clone(),
            rows_changed: 0,
            largest_delta: None,
            where_largest: String::new(),
        });
        s.rows_changed += 1;
        if let Some(d) = m.delta
            && s.largest_delta.is_none_or(|l| d.abs() > l.abs())
        {
            s.largest_delta = Some(d);
            s.where_largest = format!("{} {} {}", m.region_code, m.year, m.sex);
        }
    }
    let mut summary: Vec<IndicatorSummary> = per.into_values().collect();
    summary.sort_by(|a, b| b.rows_changed.cmp(&a.rows_changed).then(a.indicator.cmp(&b.indicator)));
    summary
}

/// Targets whose status or latest value changed.
fn target_moves(
    old: &Snapshot,
    new: &Snapshot,
    tolerances: &Tolerances,
) -> Result<Vec<TargetMove>> {
    let tkeys = ["indicator", "region_code", "target_year", "comparator", "target_value"];
    let tside = |df: &DataFrame, tag: &str| -> LazyFrame {
        df.clone().lazy().select([
            col("indicator"),
            col("region_code"),
            col("target_year"),
            col("comparator"),
            col("target_value"),
            col("status").alias(format!("status_{tag}")),
            col("latest_value").alias(format!("latest_{tag}")),
        ])
    };
    let status_changed = same(col("status_old"), col("status_new")).not();
    let value_moved = differs(col("latest_old"), col("latest_new"), lit(tolerances.default));
    let t = frame::collect(
        frame::full_join(tside(&old.targets, "old"), tside(&new.targets, "new"), &tkeys)
            .filter(status_changed.or(value_moved)),
    )?;
    let text = |c: &str| frame::texts(&t, c);
    let (ti, tr, so, sn) =
        (text("indicator")?, text("region_code")?, text("status_old")?, text("status_new")?);
    let years = frame::ints(&t, "target_year")?;
    let (lo, ln) = (frame::floats(&t, "latest_old")?, frame::floats(&t, "latest_new")?);
    Ok((0..t.height())
        .map(|i| TargetMove {
            indicator: ti[i].clone().unwrap_or_default(),
            region_code: tr[i].clone().unwrap_or_default(),
            target_year: years[i].map(|y| y as i32),
            old_status: so[i].clone(),
            new_status: sn[i].clone(),
            old_value: lo[i],
            new_value: ln[i],
        })
        .collect())
}

fn num(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.6}").trim_end_matches('0').trim_end_matches('.').to_string())
        .unwrap_or_else(|| "-".into())
}

/// How `render` lays a diff out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Aligned text columns, for a terminal.
    Table,
    /// Markdown tables, for a pull-request comment.
    Markdown,
    /// The whole diff as JSON.
    Json,
}

/// The diff as text: what changed between the runs, a summary per indicator, target changes,
/// then at most `limit` rows, largest moves first.
pub fn render(d: &Diff, layout: Layout, limit: usize) -> Result<String> {
    if layout == Layout::Json {
        return serde_json::to_string_pretty(d).map_err(|e| Error::Internal(e.to_string()));
    }
    let mut out = Text { md: layout == Layout::Markdown, s: String::new() };
    out.heading("What changed between the runs");
    for f in facts(d) {
        out.s.push_str(&format!("{}{f}\n", if out.md { "- " } else { "  " }));
    }
    out.heading(&format!(
        "Indicators: {} rows changed in {} indicators",
        d.moves.len(),
        d.summary.len()
    ));
    if !d.summary.is_empty() {
        let rows = d.summary.iter().map(|x| {
            vec![
                x.indicator.clone(),
                x.rows_changed.to_string(),
                num(x.largest_delta),
                x.where_largest.clone(),
            ]
        });
        out.table(&["indicator", "rows changed", "largest move", "where"], rows.collect());
    }
    if !d.targets.is_empty() {
        out.heading("Targets");
        let rows = d.targets.iter().map(target_row).collect();
        out.table(&["indicator", "region", "by", "status", "latest value"], rows);
    }
    if !d.moves.is_empty() {
        let first = if d.moves.len() > limit { format!(" (first {limit})") } else { String::new() };
        out.heading(&format!("Rows, largest moves first{first}"));
        let header = [
            "indicator",
            "year",
            "region",
            "sex",
            "old",
            "new",
            "delta",
            "cause",
            "beyond tolerance",
        ];
        out.table(&header, d.moves.iter().take(limit).map(move_row).collect());
    }
    Ok(out.s)
}

/// What changed between the runs themselves: spec, edustat, inputs.
fn facts(d: &Diff) -> Vec<String> {
    let mut facts = Vec::new();
    let pair = |(a, b): &(Option<String>, Option<String>)| {
        format!("{} → {}", a.as_deref().unwrap_or("-"), b.as_deref().unwrap_or("-"))
    };
    if let Some(p) = &d.spec_hash {
        facts.push(format!("spec hash {}", pair(p)));
    }
    if let Some(p) = &d.version {
        facts.push(format!("edustat {}", pair(p)));
    }
    for (label, list) in [
        ("input changed", &d.inputs_changed),
        ("input added", &d.inputs_added),
        ("input removed", &d.inputs_removed),
    ] {
        facts.extend(list.iter().map(|p| format!("{label}: {p}")));
    }
    if facts.is_empty() {
        facts.push("same spec, same edustat, same inputs".into());
    }
    facts
}

fn target_row(t: &TargetMove) -> Vec<String> {
    let status = if t.old_status == t.new_status {
        t.new_status.clone().unwrap_or_default()
    } else {
        format!(
            "{} → {}",
            t.old_status.as_deref().unwrap_or("-"),
            t.new_status.as_deref().unwrap_or("-")
        )
    };
    vec![
        t.indicator.clone(),
        t.region_code.clone(),
        t.target_year.map(|y| y.to_string()).unwrap_or_default(),
        status,
        format!("{} → {}", num(t.old_value), num(t.new_value)),
    ]
}

fn move_row(m: &Move) -> Vec<String> {
    vec![
        m.indicator.clone(),
        m.year.to_string(),
        m.region_code.clone(),
        m.sex.clone(),
        num(m.old),
        num(m.new),
        num(m.delta),
        m.cause.clone(),
        if m.beyond_tolerance { "yes".into() } else { "no".into() },
    ]
}

/// A diff being written as text or Markdown.
struct Text {
    md: bool,
    s: String,
}

impl Text {
    fn heading(&mut self, t: &str) {
        self.s.push_str(&if self.md { format!("\n### {t}\n\n") } else { format!("\n{t}\n") });
    }

    fn table(&mut self, header: &[&str], rows: Vec<Vec<String>>) {
        if self.md {
            let rule = " --- |".repeat(header.len());
            self.s.push_str(&format!("| {} |\n|{rule}\n", header.join(" | ")));
            for r in rows {
                self.s.push_str(&format!("| {} |\n", r.join(" | ")));
            }
            return;
        }
        let widths: Vec<usize> = (0..header.len())
            .map(|i| {
                rows.iter()
                    .map(|r| r[i].chars().count())
                    .chain([header[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |r: &[String]| {
            let cells: Vec<String> =
                r.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
            cells.join("  ").trim_end().to_string() + "\n"
        };
        self.s.push_str(&line(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>()));
        for r in rows {
            self.s.push_str(&line(&r));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{neutralise, restore};

    #[test]
    fn formula_cells_are_neutralised_and_restored() {
        for text in ["=SUM(A1)", "+1", "-x", "@cmd", "ger_preschool", "450102", "'quoted"] {
            let safe = neutralise(text);
            assert_eq!(restore(&safe), text);
            assert!(!safe.starts_with(['=', '+', '-', '@']), "{safe}");
        }
        assert_eq!(neutralise("=1+1"), "'=1+1");
        assert_eq!(neutralise("ger_preschool"), "ger_preschool");
    }

    #[test]
    fn baseline_numbers_keep_twelve_significant_digits() {
        assert_eq!(super::significant(0.11568567267463584), "0.115685672675");
        assert_eq!(super::significant(0.11568567267463585), "0.115685672675");
        assert_eq!(super::significant(113339.0), "113339");
        assert_eq!(super::significant(91.00002345678912), "91.0000234568");
        assert_eq!(super::significant(-3.3333333333333335), "-3.33333333333");
        assert_eq!(super::significant(0.0), "0");
    }
}
