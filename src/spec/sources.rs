//! The `[[sources]]` of a pipeline file, resolved: each input file found (with `{year}`
//! expanded) inside the pipeline's root, its format, encoding and mapping checked against the
//! canonical table it feeds.

use std::collections::BTreeMap;
use std::path::Path;

use super::{
    Ctx, DEFAULT_MAX_CELLS, DEFAULT_MAX_LINE_BYTES, DEFAULT_MAX_UNCOMPRESSED_BYTES, Encoding,
    Format, Grade, Included, PATTERN_STAGE, PATTERN_YEAR, SourceSpec, ValueSpec, model,
};
use crate::error::Result;
use crate::tables::{self, Kind, TableDef};

/// The mappings by name, each with the file that declares it (the pipeline file or an
/// include), for errors that name the right file and line.
type Mappings<'a> = BTreeMap<&'a str, (&'a model::Mapping, Ctx<'a>)>;

fn mappings<'a>(
    ctx: &'a Ctx,
    raw: &'a model::PipelineFile,
    included: &'a [Included],
) -> Result<Mappings<'a>> {
    let mut out: Mappings = raw
        .mappings
        .iter()
        .map(|(name, m)| {
            (
                name.as_str(),
                (m, Ctx { path: ctx.path, text: ctx.text, root: ctx.root.clone(), real: ctx.real }),
            )
        })
        .collect();
    for (inc, span) in included.iter().zip(raw.include.iter().map(|i| i.span())) {
        for (name, m) in &inc.shared.mappings {
            let from =
                Ctx { path: &inc.path, text: &inc.text, root: ctx.root.clone(), real: ctx.real };
            if let Some((_, other)) = out.insert(name.as_str(), (m, from)) {
                return Err(ctx.err(
                    span,
                    format!(
                        "mapping {name:?} is declared twice: in {} and in {}",
                        other.path.display(),
                        inc.path.display()
                    ),
                ));
            }
        }
    }
    Ok(out)
}

/// Every source of the pipeline file, one per file (a `{year}` path gives one per year, a
/// placeholder of `[expand]` one per value).
pub(super) fn resolve(
    ctx: &Ctx,
    raw: &model::PipelineFile,
    included: &[Included],
    last_grade: &BTreeMap<String, i64>,
    (first, last): (i32, i32),
) -> Result<Vec<SourceSpec>> {
    let dir = ctx.dir();
    let mappings = mappings(ctx, raw, included)?;
    let mut sources = Vec::new();
    for (entry, source) in raw.sources.iter().enumerate() {
        let mapping_name = source.mapping.get_ref();
        let (mapping, from) = mappings.get(mapping_name.as_str()).ok_or_else(|| {
            ctx.err(
                source.mapping.span(),
                format!("no mapping named {mapping_name:?} in [mappings] or an include"),
            )
        })?;
        // The mapping is resolved once per year, not once per file the path expands to.
        let mut by_year: BTreeMap<Option<i32>, Mapped> = BTreeMap::new();
        for (display, year) in expanded(ctx, raw, source, (first, last))? {
            let at = Source { ctx, mapping_ctx: from, dir: &dir, display, entry };
            let mapped = match by_year.get(&year) {
                Some(m) => m.clone(),
                None => {
                    let m = mapped(&at, source, mapping, year, last_grade)?;
                    by_year.insert(year, m.clone());
                    m
                }
            };
            sources.push(resolve_source(&at, source, mapping, mapped)?);
        }
    }
    referenced_tables_delivered(ctx, raw, &mappings, &sources)?;
    Ok(sources)
}

/// Where a source's spans and its mapping's spans point, and the file's path as written.
struct Source<'a> {
    ctx: &'a Ctx<'a>,
    mapping_ctx: &'a Ctx<'a>,
    dir: &'a Path,
    display: String,
    entry: usize,
}

/// A source's paths: `{year}` over its years, each `[expand]` placeholder over its values.
fn expanded(
    ctx: &Ctx,
    raw: &model::PipelineFile,
    source: &model::Source,
    (first, last): (i32, i32),
) -> Result<Vec<(String, Option<i32>)>> {
    let path = source.path.get_ref();
    let mut paths: Vec<(String, Option<i32>)> = vec![(path.clone(), None)];
    if path.contains("{year}") {
        let [from, to] = source.years.as_ref().map_or([first, last], |y| *y.get_ref());
        if from > to || from < first || to > last {
            let span = source.years.as_ref().map_or(source.path.span(), |y| y.span());
            return Err(ctx.err(
                span,
                format!(
                    "years [{from}, {to}] must lie within the pipeline's years [{first}, {last}]"
                ),
            ));
        }
        paths = (from..=to).map(|y| (path.replace("{year}", &y.to_string()), Some(y))).collect();
    } else if let Some(y) = &source.years {
        return Err(ctx.err(y.span(), "years applies to a path with {year}"));
    }
    for (name, values) in &raw.expand {
        let placeholder = format!("{{{name}}}");
        if !path.contains(&placeholder) {
            continue;
        }
        let placeholder = placeholder.as_str();
        paths = paths
            .iter()
            .flat_map(|(p, y)| values.iter().map(move |v| (p.replace(placeholder, v), *y)))
            .collect();
    }
    if let Some(rest) = paths.first().and_then(|(p, _)| p.split_once('{')) {
        let name = rest.1.split('}').next().unwrap_or_default();
        let known: Vec<String> =
            std::iter::once("year".to_string()).chain(raw.expand.keys().cloned()).collect();
        return Err(ctx.err(
            source.path.span(),
            format!(
                "unknown placeholder {{{name}}} in the path; known: {} ([expand] declares more)",
                known.join(", ")
            ),
        ));
    }
    Ok(paths)
}

/// A table whose rows reference another (enrolment → schools) needs a source of that table.
fn referenced_tables_delivered(
    ctx: &Ctx,
    raw: &model::PipelineFile,
    mappings: &Mappings,
    sources: &[SourceSpec],
) -> Result<()> {
    for s in &raw.sources {
        let table = mappings
            .get(s.mapping.get_ref().as_str())
            .and_then(|(m, _)| tables::table(m.table.get_ref()));
        let Some(spec) = table else { continue };
        let Some((other, keys)) = spec.references else { continue };
        if !sources.iter().any(|t| t.table.name == other) {
            return Err(ctx.err(
                s.mapping.span(),
                format!(
                    "table {} references the {other} table by {}, but no source delivers {other}; add a [[sources]] entry whose mapping has table = \"{other}\"",
                    spec.name,
                    keys.join(" and ")
                ),
            ));
        }
    }
    Ok(())
}

/// What a source's mapping gives its files in one year.
#[derive(Clone)]
struct Mapped {
    table: &'static TableDef,
    columns: Vec<(String, String)>,
    constants: Vec<(String, String)>,
    codes: BTreeMap<String, BTreeMap<String, String>>,
    values: Vec<ValueSpec>,
}

fn mapped(
    at: &Source,
    source: &model::Source,
    mapping: &model::Mapping,
    year: Option<i32>,
    last_grade: &BTreeMap<String, i64>,
) -> Result<Mapped> {
    let (ctx, mctx) = (at.ctx, at.mapping_ctx);
    let table = tables::table(mapping.table.get_ref()).ok_or_else(|| {
        let known: Vec<&str> = tables::TABLES.iter().map(|t| t.name).collect();
        mctx.err(
            mapping.table.span(),
            format!("unknown table {:?}; known: {}", mapping.table.get_ref(), known.join(", ")),
        )
    })?;
    let columns = mapped_columns(mctx, table, mapping)?;
    let constants = constants(ctx, table, source, year)?;
    let codes = code_maps(mctx, table, mapping)?;
    let mut values = Vec::new();
    for v in &mapping.values {
        values.push(resolve_value(mctx, table, v, last_grade)?);
    }
    check_keys(mctx, table, mapping, &columns, &constants, &values)?;
    Ok(Mapped { table, columns, constants, codes, values })
}

fn resolve_source(
    at: &Source,
    source: &model::Source,
    mapping: &model::Mapping,
    m: Mapped,
) -> Result<SourceSpec> {
    let ctx = at.ctx;
    let Mapped { table, columns, constants, codes, values } = m;
    let display = at.display.clone();
    let (path, format) = input_file(ctx, at.dir, source, &display)?;
    let encoding = encoding(ctx, source)?;
    let delimiter = delimiter(ctx, source, format)?;
    if source.header_row == 0 {
        return Err(ctx.err(source.path.span(), "header_row is 1-based"));
    }
    Ok(SourceSpec {
        entry: at.entry,
        path,
        display,
        format,
        encoding,
        sheet: source.sheet.clone(),
        max_cells: source.max_cells.unwrap_or(DEFAULT_MAX_CELLS),
        max_line_bytes: source.max_line_bytes.unwrap_or(DEFAULT_MAX_LINE_BYTES),
        max_uncompressed_bytes: source
            .max_uncompressed_bytes
            .unwrap_or(DEFAULT_MAX_UNCOMPRESSED_BYTES),
        header_row: source.header_row,
        delimiter,
        missing: mapping.missing.iter().map(|m| m.trim().to_string()).collect(),
        table,
        columns,
        strip_suffixes: mapping.strip_suffixes.clone(),
        codes,
        constants,
        values,
        ignore: mapping.ignore.clone(),
        regions: mapping.regions.unwrap_or_default(),
        total_labels: mapping.total_labels.clone(),
    })
}

/// The CSV field separator: one ASCII character other than a quote or a line break.
fn delimiter(ctx: &Ctx, source: &model::Source, format: Format) -> Result<u8> {
    let Some(d) = &source.delimiter else { return Ok(b',') };
    let ok = match d.get_ref().as_bytes() {
        [b] if b.is_ascii() && !matches!(b, b'"' | b'\n' | b'\r') => Some(*b),
        _ => None,
    };
    match (ok, format) {
        (Some(_), Format::Xlsx) => Err(ctx.err(d.span(), "delimiter applies to CSV sources only")),
        (Some(b), Format::Csv) => Ok(b),
        (None, _) => Err(ctx.err(
            d.span(),
            format!(
                "delimiter {:?} must be one character such as \",\", \";\" or \"\\t\"",
                d.get_ref()
            ),
        )),
    }
}

/// The input file: it exists, lies inside the pipeline's root, and is CSV or XLSX.
fn input_file(
    ctx: &Ctx,
    dir: &Path,
    source: &model::Source,
    display: &str,
) -> Result<(std::path::PathBuf, Format)> {
    let path = dir.join(display);
    if !path.is_file() {
        let message = if path.is_dir() {
            format!("input {} is a folder, not a file: name the file in `path`", path.display())
        } else {
            format!("input file {} does not exist", path.display())
        };
        return Err(ctx.err(source.path.span(), message));
    }
    ctx.confined(source.path.span(), &path)?;
    let path = ctx.shown(&path);
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let format = match extension.as_deref() {
        Some("csv") | Some("txt") => Format::Csv,
        Some("xlsx") => Format::Xlsx,
        _ => {
            return Err(ctx.err(
                source.path.span(),
                format!("{display}: only .csv and .xlsx inputs are supported"),
            ));
        }
    };
    Ok((path, format))
}

fn encoding(ctx: &Ctx, source: &model::Source) -> Result<Encoding> {
    match source.encoding.get_ref().to_ascii_lowercase().as_str() {
        "utf-8" | "utf8" => Ok(Encoding::Utf8),
        "gb18030" | "gbk" | "gb2312" => Ok(Encoding::Gb18030),
        "auto" => Ok(Encoding::Auto),
        other => Err(ctx.err(
            source.encoding.span(),
            format!("unknown encoding {other:?}; use utf-8, gb18030 or auto"),
        )),
    }
}

/// canonical column → raw header, every canonical column one of the table's.
fn mapped_columns(
    ctx: &Ctx,
    table: &TableDef,
    mapping: &model::Mapping,
) -> Result<Vec<(String, String)>> {
    let mut columns = Vec::new();
    for (canonical, raw_header) in &mapping.columns {
        if table.column(canonical.get_ref()).is_none() {
            return Err(ctx.err(
                canonical.span(),
                format!("table {} has no column {:?}", table.name, canonical.get_ref()),
            ));
        }
        columns.push((canonical.get_ref().clone(), raw_header.clone()));
    }
    Ok(columns)
}

/// The source's constants as text; a `{year}` path sets `year`.
fn constants(
    ctx: &Ctx,
    table: &TableDef,
    source: &model::Source,
    year: Option<i32>,
) -> Result<Vec<(String, String)>> {
    let mut constants = Vec::new();
    for (name, value) in &source.constants {
        if table.column(name).is_none() {
            return Err(ctx.err(
                source.path.span(),
                format!("constant {name:?}: table {} has no such column", table.name),
            ));
        }
        let text = match value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            other => {
                let message = format!(
                    "constant {name:?} must be text or an integer, not {}",
                    other.type_str()
                );
                return Err(ctx.err(source.path.span(), message));
            }
        };
        constants.push((name.clone(), text));
    }
    if let Some(y) = year {
        constants.retain(|(n, _)| n != "year");
        constants.push(("year".into(), y.to_string()));
    }
    Ok(constants)
}

/// Code maps (raw label → canonical value) on coded or text columns.
fn code_maps(
    ctx: &Ctx,
    table: &TableDef,
    mapping: &model::Mapping,
) -> Result<BTreeMap<String, BTreeMap<String, String>>> {
    let mut codes = BTreeMap::new();
    for (canonical, map) in &mapping.codes {
        let Some(def) = table.column(canonical.get_ref()) else {
            return Err(ctx.err(
                canonical.span(),
                format!("table {} has no column {:?}", table.name, canonical.get_ref()),
            ));
        };
        match def.kind {
            Kind::Coded(allowed) => {
                if let Some(bad) = map.values().find(|v| !allowed.contains(&v.as_str())) {
                    return Err(ctx.err(
                        canonical.span(),
                        format!(
                            "{bad:?} is not a value of {}; allowed: {}",
                            def.name,
                            allowed.join(", ")
                        ),
                    ));
                }
            }
            Kind::Text => {}
            _ => {
                let message = format!("column {} takes no code map", def.name);
                return Err(ctx.err(canonical.span(), message));
            }
        }
        codes.insert(canonical.get_ref().clone(), map.clone());
    }
    Ok(codes)
}

/// Every key must come from somewhere (a column, a constant, or every value column), and a
/// table with measures needs value columns.
fn check_keys(
    ctx: &Ctx,
    table: &TableDef,
    mapping: &model::Mapping,
    columns: &[(String, String)],
    constants: &[(String, String)],
    values: &[ValueSpec],
) -> Result<()> {
    for def in table.columns.iter().filter(|c| c.key) {
        let placeholder = match def.name {
            "year" => Some(PATTERN_YEAR),
            "stage" => Some(PATTERN_STAGE),
            _ => None,
        };
        let from_pattern = placeholder
            .is_some_and(|p| !values.is_empty() && values.iter().all(|v| v.raw.contains(p)));
        // A table without grades (a yearbook's pupils of a stage) leaves grade null: all grades;
        // a population without areas leaves area null: all areas.
        let optional = matches!(def.name, "grade" | "area");
        let covered = columns.iter().any(|(c, _)| c == def.name)
            || constants.iter().any(|(c, _)| c == def.name)
            || from_pattern
            || optional
            || (def.from_values
                && (def.name == "sex" || values.iter().all(|v| value_key(v, def.name).is_some())));
        if !covered {
            return Err(ctx.err(mapping.table.span(), format!("key column {} of table {} is neither mapped, constant, nor set on every value column", def.name, table.name)));
        }
    }
    if !table.measures.is_empty() && values.is_empty() {
        return Err(ctx.err(
            mapping.table.span(),
            format!("table {} needs at least one value column", table.name),
        ));
    }
    Ok(())
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

fn resolve_value(
    ctx: &Ctx,
    table: &TableDef,
    v: &model::ValueColumn,
    last_grade: &BTreeMap<String, i64>,
) -> Result<ValueSpec> {
    if !table.measures.contains(&v.measure.get_ref().as_str()) {
        return Err(ctx.err(
            v.measure.span(),
            format!(
                "table {} has no measure {:?}; measures: {}",
                table.name,
                v.measure.get_ref(),
                table.measures.join(", ")
            ),
        ));
    }
    let check = |name: &str, value: &toml::Spanned<String>| -> Result<String> {
        match table.column(name) {
            Some(def) if def.from_values => match def.kind {
                Kind::Coded(allowed) if !allowed.contains(&value.get_ref().as_str()) => Err(ctx
                    .err(
                        value.span(),
                        format!(
                            "{:?} is not a value of {name}; allowed: {}",
                            value.get_ref(),
                            allowed.join(", ")
                        ),
                    )),
                _ => Ok(value.get_ref().clone()),
            },
            _ => Err(ctx.err(
                value.span(),
                format!("table {} takes no {name} on value columns", table.name),
            )),
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
                        return Err(
                            ctx.err(g.span(), "grade = \"last\" needs a [last_grade] table")
                        );
                    }
                    Some(Grade::Last)
                }
                _ => return Err(ctx.err(g.span(), "grade must be 0..=12 or \"last\"")),
            }
        }
    };
    let scale = scale(ctx, v)?;
    let spec = ValueSpec {
        raw: v.raw.clone(),
        measure: v.measure.get_ref().clone(),
        sex,
        grade,
        category,
        size_band,
        scale,
    };
    check_pattern(ctx, table, v, &spec)?;
    Ok(spec)
}

/// A value column's `scale`: a whole factor (default 1).
fn scale(ctx: &Ctx, v: &model::ValueColumn) -> Result<i64> {
    Ok(match &v.scale {
        Some(s) if !(1..=1_000_000_000).contains(s.get_ref()) => {
            return Err(ctx.err(
                s.span(),
                "scale must be a whole factor in 1..=1000000000 (1000 for a table in thousands)",
            ));
        }
        Some(s) => *s.get_ref(),
        None => 1,
    })
}

/// A pattern's placeholders: `{year}` and `{stage}` only, `{stage}` only where the table has a
/// stage, each at most once.
fn check_pattern(
    ctx: &Ctx,
    table: &TableDef,
    v: &model::ValueColumn,
    spec: &ValueSpec,
) -> Result<()> {
    let rest = spec.raw.replacen(PATTERN_YEAR, "", 1).replacen(PATTERN_STAGE, "", 1);
    let span = v.measure.span();
    if rest.contains('{') || rest.contains('}') {
        return Err(ctx.err(span, format!("value column {:?}: a pattern may hold {PATTERN_YEAR} and {PATTERN_STAGE}, each once, and no other braces", spec.raw)));
    }
    if spec.raw.contains(PATTERN_STAGE) && table.column("stage").is_none() {
        return Err(ctx
            .err(span, format!("value column {:?}: table {} has no stage", spec.raw, table.name)));
    }
    Ok(())
}
