//! Typing and row rules. A raw text table becomes typed canonical columns; every row that
//! breaks a rule becomes one quarantine row naming the first rule it broke, the raw column
//! and the raw value. All of it is one polars plan over the whole file, no per-row loop.

mod cells;
mod patterns;
mod sexes;

use cells::{MISSING_MARKERS, plain_number};

use super::quarantine;
use super::read::RawTable;
use crate::error::{Error, Result};
use crate::frame::{self, DataFrame, DataType, Expr, IntoLazy, NULL, col, lit, when};
use crate::spec::{Grade, RegionsBy, SourceSpec, ValueSpec};
use crate::tables::{ColumnDef, Kind};

/// One typed value column of the accepted frame, ready to be unpivoted.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ValueCol {
    pub name: String,
    /// The raw header it was read from.
    pub raw: String,
    pub measure: String,
    pub sex: String,
    pub grade: Option<Grade>,
    pub category: Option<String>,
    pub size_band: Option<String>,
    /// Set by a header pattern's `{year}` and `{stage}`.
    pub year: Option<i32>,
    pub stage: Option<String>,
}

/// Files typed together in one plan: the files of one `[[sources]]` entry that share a
/// header (the 31 provinces' enrolment files of a year, or one file alone). A plan costs the
/// same whether it types a hundred rows or a million, so a delivery of thousands of small files
/// is typed in as many plans as it has kinds of file.
pub struct Batch<'a> {
    /// Each file: its index among its table's files (`__file`), its source, its text cells.
    pub files: Vec<(u32, &'a SourceSpec, RawTable)>,
    /// `__file`, `__source_file`, `__sheet` of the table's files, to name them in quarantine.
    pub names: &'a DataFrame,
}

impl Batch<'_> {
    /// The source entry the batch's files share (mapping, codes, values).
    fn source(&self) -> &SourceSpec {
        self.files[0].1
    }
}

/// The result of typing a batch of files.
pub struct Typed {
    /// `__line`, the typed canonical columns, and the `__v*` value columns.
    pub accepted: DataFrame,
    pub quarantine: DataFrame,
    pub values: Vec<ValueCol>,
    /// Rows quarantined per file of the batch, in its order.
    pub quarantined: Vec<u64>,
}

/// The column of a retired code as delivered (with `__valid_from`, `__valid_to`), kept through
/// ingest until the year of each row is known.
pub const REPORTED: &str = "__reported";

/// The rule of a region name the division table does not know.
pub const UNKNOWN_NAME: &str = "code.unknown_region_name";

/// A rule: rows where `fail` is true are quarantined with this rule id.
struct Rule {
    fail: Expr,
    id: &'static str,
    column: String,
    raw: Expr,
    message: String,
}

use crate::frame::{any_of, first_match, null_text};

fn raw_name(i: usize) -> String {
    format!("__c{i}")
}

/// Type the files of `batch` as their source declares, in one plan. `code_map` is
/// [`crate::divisions::Divisions::code_map`].
pub fn type_batch(batch: &Batch, code_map: &DataFrame, years: (i32, i32)) -> Result<Typed> {
    let (source, raw) = (batch.source(), &batch.files[0].2);
    let mut header =
        Header { source, raw, varying: varying_constants(batch), counts: Default::default() };
    header.counts = header.count_indices();
    let mut lf = text_frame(batch, &header)?.lazy();
    let mut typing = Typing::new(source);
    let mut region: Option<(String, Expr)> = None;
    for (canonical, display, raw_expr) in header.mapped_columns()? {
        let Some(def) = source.table.column(&canonical) else { continue };
        let stripped = typing.column(def, &canonical, &display, raw_expr, years)?;
        if def.kind == Kind::Region {
            // Region codes are typed by a join with the division table, after the other columns.
            region = Some((display, stripped));
        }
    }
    if let Some((display, raw_expr)) = region {
        let by = match source.regions {
            RegionsBy::Code => "code",
            RegionsBy::Name => "name",
        };
        let key = match source.regions {
            RegionsBy::Code => raw_expr.clone(),
            RegionsBy::Name => raw_expr.clone().str().to_lowercase(),
        };
        lf = lf.with_columns([key.alias("__code"), raw_expr.alias("__region_raw")]);
        let map = code_map.clone().lazy().filter(col("__by").eq(lit(by))).select([
            col("__code"),
            col("__canonical"),
            col("__status"),
            col("__own"),
            col("__valid_from"),
            col("__valid_to"),
        ]);
        lf = frame::left_join(lf, map, &["__code"]);
        typing.region(&display, source.regions);
    }
    let (values, parsed) = typing.values(&header, years)?;
    let raw_column = |raw: &str| col(raw_name(header.index(raw).unwrap_or(0)));
    let kept = sexes::reconcile(&mut typing, values, &parsed, raw_column);
    typing.split(lf, &kept, batch)
}

/// The constants whose value differs between the files of a batch (the year of a `{year}`
/// path): read from a column per row rather than a literal.
fn varying_constants(batch: &Batch) -> Vec<String> {
    let first = &batch.source().constants;
    first
        .iter()
        .filter(|(k, v)| {
            batch
                .files
                .iter()
                .any(|(_, s, _)| s.constants.iter().any(|(k2, v2)| k2 == k && v2 != v))
        })
        .map(|(k, _)| k.clone())
        .collect()
}

fn constant_name(canonical: &str) -> String {
    format!("__k_{canonical}")
}

/// The header the files of a batch share, and where the mapping's raw columns are in it.
struct Header<'a> {
    source: &'a SourceSpec,
    raw: &'a RawTable,
    /// Constants read per row ([`varying_constants`]).
    varying: Vec<String>,
    /// Raw columns read only as counts ([`Header::count_indices`]).
    counts: std::collections::BTreeSet<usize>,
}

impl Header<'_> {
    fn index(&self, h: &str) -> Option<usize> {
        self.raw.headers.iter().position(|x| x == h)
    }

    fn missing(&self, h: &str, what: &str) -> Error {
        Error::Input {
            file: self.source.path.clone(),
            location: format!("{}", self.source.header_row),
            message: format!(
                "column {h:?} ({what}) is missing from the header; the header has: {}{}{}",
                self.raw.headers.join(", "),
                self.raw.header_note,
                self.elsewhere(h)
            ),
        }
    }

    /// Where the file has `h` as a cell of another of its first rows: the header may be there.
    fn elsewhere(&self, h: &str) -> String {
        let row = self.raw.preview.iter().find(|(position, cells)| {
            *position != self.source.header_row && cells.iter().any(|c| c.trim() == h)
        });
        match row {
            Some((position, _)) => format!(
                "; row {position} of the file has {h:?}: if the header is there, declare \
                 `header_row = {position}` for this source"
            ),
            None => String::new(),
        }
    }

    /// (canonical, column as messages name it, raw expression) of every mapped column and
    /// constant, in the mapping's order.
    fn mapped_columns(&self) -> Result<Vec<(String, String, Expr)>> {
        let mut out = Vec::new();
        for (canonical, header) in &self.source.columns {
            let i = self
                .index(header)
                .ok_or_else(|| self.missing(header, &format!("mapped to {canonical}")))?;
            out.push((canonical.clone(), header.clone(), col(raw_name(i))));
        }
        for (canonical, value) in &self.source.constants {
            let expr = if self.varying.contains(canonical) {
                col(constant_name(canonical))
            } else {
                lit(value.clone())
            };
            out.push((canonical.clone(), format!("(constant {canonical})"), expr));
        }
        Ok(out)
    }
}

/// Raw columns read as numbers: value columns, and numeric or code columns of the mapping.
fn numeric_columns(source: &SourceSpec, header: &Header) -> Vec<usize> {
    let mut numeric: Vec<usize> = header.value_indices();
    for (canonical, h) in &source.columns {
        if let (Some(def), Some(i)) = (source.table.column(canonical), header.index(h))
            && matches!(
                def.kind,
                Kind::Year | Kind::Int { .. } | Kind::Amount | Kind::Whole | Kind::Region
            )
        {
            numeric.push(i);
        }
    }
    numeric
}

/// The text frame: `__file`, `__line`, one column per raw column the mapping reads (a file
/// may carry hundreds of others, or a million by accident), numbers written the spreadsheet
/// way made plain, and the constants that differ between the batch's files.
fn text_frame(batch: &Batch, header: &Header) -> Result<DataFrame> {
    let source = batch.source();
    let numeric = numeric_columns(source, header);
    let mapped: std::collections::BTreeSet<usize> = source
        .columns
        .iter()
        .filter_map(|(_, h)| header.index(h))
        .chain(header.value_indices())
        .collect();
    let rows: usize = batch.files.iter().map(|(_, _, raw)| raw.lines.len()).sum();
    let mut files: Vec<u32> = Vec::with_capacity(rows);
    let mut lines: Vec<i64> = Vec::with_capacity(rows);
    for (i, _, raw) in &batch.files {
        files.extend(std::iter::repeat_n(*i, raw.lines.len()));
        lines.extend(raw.lines.iter().copied());
    }
    let mut columns = vec![
        frame::Column::new("__file".into(), files),
        frame::Column::new("__line".into(), lines),
    ];
    // Each column on a core of its own: the cells are copied into polars' buffers here.
    let text: Vec<(frame::Column, usize)> = {
        use rayon::prelude::*;
        let mapped: Vec<usize> = mapped.into_iter().collect();
        mapped
            .into_par_iter()
            .map(|i| text_column(batch, header, &numeric, i))
            .collect::<Result<_>>()?
    };
    let normalised: usize = text.iter().map(|(_, n)| n).sum();
    columns.extend(text.into_iter().map(|(c, _)| c));
    for k in &header.varying {
        let value =
            |s: &SourceSpec| s.constants.iter().find(|(c, _)| c == k).map(|(_, v)| v.clone());
        let cells: Vec<Option<String>> = batch
            .files
            .iter()
            .flat_map(|(_, s, raw)| std::iter::repeat_n(value(s), raw.lines.len()))
            .collect();
        columns.push(frame::Column::new(constant_name(k).into(), cells));
    }
    if normalised > 0 {
        tracing::info!(file = %source.path.display(), cells = normalised, "numbers written with full-width digits or thousands separators read as plain numbers");
    }
    frame::frame(columns)
}

/// Raw column `i` of every file of `batch` as one text column, a count column's "no value"
/// markers empty and numbers in `numeric` columns written plainly; and how many were rewritten.
fn text_column(
    batch: &Batch,
    header: &Header,
    numeric: &[usize],
    i: usize,
) -> Result<(frame::Column, usize)> {
    let plain = numeric.contains(&i);
    let counted = header.counts.contains(&i);
    let mut normalised = 0usize;
    let parts: Vec<(&str, &[u32])> =
        batch.files.iter().map(|(_, _, raw)| raw.cells[i].parts()).collect();
    let column = frame::text_column_of_parts(&raw_name(i), &parts, |c| {
        if counted && MISSING_MARKERS.contains(&c) {
            return frame::RawCell::Null;
        }
        match Some(c).filter(|_| plain).and_then(plain_number) {
            Some(p) => {
                normalised += 1;
                frame::RawCell::New(p)
            }
            None => frame::RawCell::Same,
        }
    });
    Ok((column?, normalised))
}

/// Raw columns neither mapped nor declared ignored (ingest warns once per set of columns).
pub fn unmapped(source: &SourceSpec, raw: &RawTable) -> Vec<String> {
    let used: Vec<&str> = source
        .columns
        .iter()
        .map(|(_, h)| h.as_str())
        .chain(source.values.iter().map(|v| v.raw.as_str()))
        .collect();
    raw.headers
        .iter()
        .filter(|h| !h.is_empty() && !used.contains(&h.as_str()) && !source.ignore.contains(h))
        .filter(|h| !Header::patterned(source, h))
        .cloned()
        .collect()
}

/// One canonical column being typed: its definition, its name in the mapping, and how
/// messages name it (the raw header, or "(constant x)").
struct Column<'a> {
    def: &'a ColumnDef,
    canonical: &'a str,
    display: &'a str,
}

/// The typed columns of one file and the rules its rows must meet, in the order they are
/// tested (a row is quarantined by the first it breaks).
struct Typing<'a> {
    source: &'a SourceSpec,
    rules: Vec<Rule>,
    typed: Vec<Expr>,
    /// The row's year, typed, where a column or constant gives it.
    year: Option<Expr>,
}

impl<'a> Typing<'a> {
    fn new(source: &'a SourceSpec) -> Self {
        Typing { source, rules: Vec::new(), typed: vec![col("__file"), col("__line")], year: None }
    }

    /// The rejected rows of `all` with the id, column, raw value and message of the rule each
    /// breaks (`__rule_no`).
    fn described(&self, all: frame::LazyFrame) -> frame::LazyFrame {
        let by_number = |f: &dyn Fn(&Rule) -> Expr| {
            let numbered = self.rules.iter().enumerate();
            let cases = numbered.map(|(i, r)| (col("__rule_no").eq(lit(i as u32)), f(r)));
            first_match(cases.collect(), null_text())
        };
        all.filter(col("__rule_no").is_not_null()).with_columns([
            by_number(&|r| lit(r.id)).alias("__rule"),
            by_number(&|r| lit(r.column.clone())).alias("__column"),
            by_number(&|r| r.raw.clone().cast(DataType::String)).alias("__raw"),
            by_number(&|r| lit(r.message.clone())).alias("__message"),
        ])
    }

    fn rule(&mut self, fail: Expr, id: &'static str, column: &str, raw: Expr, message: String) {
        self.rules.push(Rule { fail, id, column: column.to_string(), raw, message });
    }

    /// One mapped column or constant, typed by its kind; returns the raw expression with the
    /// declared suffixes stripped (what a region code is joined on).
    fn column(
        &mut self,
        def: &ColumnDef,
        canonical: &str,
        display: &str,
        original: Expr,
        years: (i32, i32),
    ) -> Result<Expr> {
        let mut raw = original.clone();
        for suffix in self.source.strip_suffixes.get(canonical).into_iter().flatten() {
            raw = raw.str().strip_suffix(lit(suffix.clone()));
        }
        if def.key {
            let message = format!("{display}: required value is empty");
            self.rule(raw.clone().is_null(), "value.missing", display, null_text(), message);
        }
        let stripped = raw.clone();
        let column = Column { def, canonical, display };
        match def.kind {
            Kind::Text => self.text(&column, raw),
            Kind::Year => {
                let bounds = (years.0 as i64, years.1 as i64);
                self.integer(&column, raw, original, bounds, "year.out_of_range");
            }
            Kind::Int { min, max } => {
                self.integer(&column, raw, original, (min, max), "value.out_of_range");
            }
            Kind::Coded(allowed) => self.coded(&column, raw, allowed),
            Kind::Flag => self.flag(&column, raw, original),
            Kind::Amount | Kind::Whole => self.amount(&column, raw, original),
            Kind::Region => {}
            Kind::Count => {
                return Err(Error::Internal(format!(
                    "{canonical} is a count; counts come from value columns"
                )));
            }
        }
        Ok(stripped)
    }

    /// Free text; with a code map, only the listed raw labels exist.
    fn text(&mut self, c: &Column, raw: Expr) {
        let (def, display) = (c.def, c.display);
        let Some(map) = self.source.codes.get(c.canonical) else {
            self.typed.push(raw.alias(def.name));
            return;
        };
        let mapped = frame::translated(raw.clone(), map.iter().map(|(k, v)| (&**k, &**v)));
        let message = format!(
            "{display}: not one of {}",
            map.keys().cloned().collect::<Vec<_>>().join(" / ")
        );
        let fail = raw.clone().is_not_null().and(mapped.clone().is_null());
        self.rule(fail, "code.unknown_value", display, raw, message);
        self.typed.push(mapped.alias(def.name));
    }

    /// A year (within the pipeline's years) or a small integer (within its bounds). A
    /// supplied-total label (年龄 = 合计) types as null: the row is the all-ages total.
    fn integer(
        &mut self,
        c: &Column,
        raw: Expr,
        original: Expr,
        (min, max): (i64, i64),
        range_rule: &'static str,
    ) {
        let (def, display) = (c.def, c.display);
        let labels = self.source.total_labels.get(c.canonical).cloned().unwrap_or_default();
        let is_total = any_of(labels.iter().map(|l| original.clone().eq(lit(l.clone()))).collect());
        let parsed = when(is_total.clone())
            .then(lit(NULL).cast(DataType::Int64))
            .otherwise(raw.clone().cast(DataType::Int64));
        let fail = raw.is_not_null().and(parsed.clone().is_null()).and(is_total.not());
        let message = format!("{display}: not a whole number");
        self.rule(fail, "value.not_integer", display, original.clone(), message);
        let fail = parsed.clone().lt(lit(min)).or(parsed.clone().gt(lit(max)));
        let message = format!("{display}: outside {min}..={max}");
        self.rule(fail, range_rule, display, original, message);
        if def.kind == Kind::Year {
            self.year = Some(parsed.clone().cast(DataType::Int32));
        }
        self.typed.push(parsed.cast(DataType::Int32).alias(def.name));
    }

    /// One of a closed set of canonical values, through the code map when there is one.
    fn coded(&mut self, c: &Column, raw: Expr, allowed: &[&str]) {
        let (def, display) = (c.def, c.display);
        let (mapped, known): (Expr, Vec<String>) = match self.source.codes.get(c.canonical) {
            Some(map) => (
                frame::translated(raw.clone(), map.iter().map(|(k, v)| (&**k, &**v))),
                map.keys().cloned().collect(),
            ),
            None => (
                frame::translated(raw.clone(), allowed.iter().map(|a| (*a, *a))),
                allowed.iter().map(|s| s.to_string()).collect(),
            ),
        };
        let fail = raw.clone().is_not_null().and(mapped.clone().is_null());
        let message = format!("{display}: not one of {}", known.join(" / "));
        self.rule(fail, "code.unknown_value", display, raw, message);
        self.typed.push(mapped.alias(def.name));
    }

    /// Yes / no.
    fn flag(&mut self, c: &Column, raw: Expr, original: Expr) {
        let (def, display) = (c.def, c.display);
        const YES: [&str; 8] = ["是", "有", "1", "Y", "y", "true", "TRUE", "√"];
        const NO: [&str; 8] = ["否", "无", "0", "N", "n", "false", "FALSE", "×"];
        let words: Vec<&str> = YES.iter().chain(&NO).copied().collect();
        let flag = match frame::position_among(raw.clone(), &words) {
            // The first eight words say yes, the other eight no.
            Some(at) => at.lt(lit(YES.len() as u32)),
            None => {
                let among = |values: &[&str]| {
                    any_of(values.iter().map(|v| raw.clone().eq(lit(*v))).collect())
                };
                when(among(&YES)).then(lit(true)).otherwise(
                    when(among(&NO)).then(lit(false)).otherwise(lit(NULL).cast(DataType::Boolean)),
                )
            }
        };
        let fail = raw.is_not_null().and(flag.clone().is_null());
        let message = format!("{display}: expected 是/否 (or 1/0, Y/N)");
        self.rule(fail, "value.not_flag", display, original, message);
        self.typed.push(flag.alias(def.name));
    }

    /// A non-negative amount (decimals) or whole number.
    fn amount(&mut self, c: &Column, raw: Expr, original: Expr) {
        let (def, display) = (c.def, c.display);
        let (dtype, id, what) = match def.kind {
            Kind::Amount => (DataType::Float64, "value.not_number", "number"),
            _ => (DataType::Int64, "value.not_integer", "whole number"),
        };
        let parsed = raw.clone().cast(dtype);
        let fail = raw.is_not_null().and(parsed.clone().is_null());
        self.rule(fail, id, display, original.clone(), format!("{display}: not a {what}"));
        let message = format!("{display}: cannot be negative");
        self.rule(parsed.clone().lt(lit(0)), "value.negative", display, original, message);
        self.typed.push(parsed.alias(def.name));
    }

    /// The region code, joined with the division code map as `__code` → `__canonical`.
    fn region(&mut self, display: &str, by: RegionsBy) {
        let fail = col("__code").is_not_null().and(col("__status").is_null());
        let raw = col("__region_raw");
        match by {
            RegionsBy::Code => {
                let message = format!("{display}: not a code of the division table");
                self.rule(fail, "code.unknown_region", display, raw, message);
            }
            RegionsBy::Name => {
                // ingest adds the nearest known names to each such message
                let message = format!("{display}: not a name or alias of the division table");
                self.rule(fail, UNKNOWN_NAME, display, raw.clone(), message);
                let message = format!(
                    "{display}: a name two regions of the division table share; add an alias or deliver codes"
                );
                self.rule(
                    col("__status").eq(lit("ambiguous")),
                    "code.ambiguous_region_name",
                    display,
                    raw,
                    message,
                );
            }
        }
        let message = format!("{display}: a retired code with no successor in the division table");
        let fail = col("__status").eq(lit("retired_no_successor"));
        self.rule(fail, "code.retired_no_successor", display, col("__region_raw"), message);
        if let Some(year) = self.year.clone() {
            let fail = col("__valid_from").is_not_null().and(year.lt(col("__valid_from")));
            let message = format!(
                "{display}: a code the division table has in force only from a later year (valid_from)"
            );
            self.rule(fail, "code.not_yet_valid", display, col("__region_raw"), message);
        }
        self.typed.push(col("__canonical").alias("region_code"));
        // A retired code as delivered, and its years in force: where the row's year lies in
        // them, it is a region of its own as reported (and under constant boundaries a part of
        // its successor, summed with it, never a duplicate of it).
        let retired = col("__status").eq(lit("retired"));
        self.typed.push(when(retired).then(col("__own")).otherwise(null_text()).alias(REPORTED));
        self.typed.push(col("__valid_from").alias("__valid_from"));
        self.typed.push(col("__valid_to").alias("__valid_to"));
    }

    /// The value columns: counts, `__v<j>`, with their parsed expressions.
    fn values(&mut self, header: &Header, years: (i32, i32)) -> Result<(Vec<ValueCol>, Vec<Expr>)> {
        let mut values: Vec<ValueCol> = Vec::new();
        let mut parsed_of: Vec<Expr> = Vec::new();
        for v in &self.source.values {
            for (i, year, stage) in header.value_columns(v, years)? {
                let raw = col(raw_name(i));
                let blanked = header.counts.contains(&i);
                let parsed = self.count(v, &header.raw.headers[i], (raw, blanked));
                let name = format!("__v{}", values.len());
                self.typed.push(parsed.clone().alias(&name));
                parsed_of.push(parsed);
                values.push(ValueCol {
                    name,
                    raw: header.raw.headers[i].clone(),
                    measure: v.measure.clone(),
                    sex: v.sex.clone(),
                    grade: v.grade.clone(),
                    category: v.category.clone(),
                    size_band: v.size_band.clone(),
                    year,
                    stage,
                });
            }
        }
        Ok((values, parsed_of))
    }

    /// One raw value column parsed as a count (times its scale), with its rules.
    fn count(&mut self, v: &ValueSpec, header: &str, (raw, blanked): (Expr, bool)) -> Expr {
        // A count column's "no value" markers were made empty with its text (`text_frame`),
        // unless the column is also mapped: there the raw cell must stay as delivered.
        let cleaned = match blanked {
            true => raw.clone(),
            false => {
                let markers = MISSING_MARKERS.iter().map(|m| raw.clone().eq(lit(*m)));
                when(any_of(markers.collect())).then(null_text()).otherwise(raw.clone())
            }
        };
        let parsed = match v.scale {
            1 => cleaned.clone().cast(DataType::Int64),
            scale => frame::scaled_whole(cleaned.clone(), scale),
        };
        let fail = cleaned.is_not_null().and(parsed.clone().is_null());
        let message = match v.scale {
            1 => format!("{header}: a count must be a whole number"),
            s => format!(
                "{header}: a count in units of {s} must be a number that, times {s}, is whole (at most {} decimals)",
                s.to_string().len() - 1
            ),
        };
        self.rule(fail, "count.not_integer", header, raw.clone(), message);
        let message = format!("{header}: a count cannot be negative");
        self.rule(parsed.clone().lt(lit(0i64)), "count.negative", header, raw, message);
        parsed
    }

    /// One plan over the batch's files: the typed columns and, per row, the number of the first
    /// rule it breaks; rows without one are accepted, the others become quarantine rows. The
    /// rule's id, column, raw value and message are spelled out for those few rows only.
    fn split(self, lf: frame::LazyFrame, kept: &[ValueCol], batch: &Batch) -> Result<Typed> {
        let source = batch.source();
        let numbered = self.rules.iter().enumerate();
        let first = numbered.map(|(i, r)| (r.fail.clone(), lit(i as u32))).collect();
        let mut typed = self.typed.clone();
        typed.push(first_match(first, lit(NULL).cast(DataType::UInt32)).alias("__rule_no"));
        // The raw columns stay beside the typed ones (shared buffers, not copies) for the raw
        // values of rejected rows.
        let all = frame::collect(lf.with_columns(typed))?;
        let keep_cols: Vec<Expr> = ["__file", "__line"]
            .into_iter()
            .map(col)
            .chain(
                source
                    .table
                    .columns
                    .iter()
                    .filter(|c| frame::has_column(&all, c.name))
                    .map(|c| col(c.name)),
            )
            .chain(kept.iter().map(|v| col(v.name.as_str())))
            .chain(
                [REPORTED, "__valid_from", "__valid_to"]
                    .into_iter()
                    .filter(|c| frame::has_column(&all, c))
                    .map(col),
            )
            .collect();
        let accepted = frame::collect(
            all.clone().lazy().filter(col("__rule_no").is_null()).select(keep_cols),
        )?;
        let rejected = frame::collect(self.described(all.lazy()))?;
        let quarantined = per_file(&rejected, batch.files[0].0, batch.files.len())?;
        let quarantine = frame::collect(quarantine::rows_of(rejected.lazy(), batch.names))?;
        Ok(Typed { accepted, quarantine, values: kept.to_vec(), quarantined })
    }
}

/// Rows of `rows` (with `__file`) per file of a batch whose files are `first..first + n`.
pub fn per_file(rows: &DataFrame, first: u32, n: usize) -> Result<Vec<u64>> {
    let mut counts = vec![0u64; n];
    for f in frame::ints(rows, "__file")?.into_iter().flatten() {
        if let Some(c) = usize::try_from(f - i64::from(first)).ok().and_then(|k| counts.get_mut(k))
        {
            *c += 1;
        }
    }
    Ok(counts)
}
