//! `edustat query`: read-only SQL over one published run — its tables registered by name
//! (`indicators`, `targets`, `progress`, `catalogue`, `quarantine`, `checks`,
//! `staging.<table>`), with
//! `SHOW TABLES` and `DESCRIBE <table>` answered from the run itself.

pub mod output;

use std::path::{Path, PathBuf};

use sqlparser::ast::Statement;
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;

use crate::error::{Error, Result};
use crate::frame::{self, Column, DataFrame, IntoLazy, LazyFrame};

/// What a statement asks.
#[derive(Debug, PartialEq)]
pub enum Asked {
    /// A query (SELECT, WITH, VALUES, EXPLAIN of one) for the SQL engine.
    Query,
    ShowTables,
    /// `DESCRIBE <table>`.
    Describe(String),
}

/// The kind of one read-only statement; anything that would change a table, or more than one
/// statement, is refused (exit 2) before anything runs.
pub fn asked(sql: &str) -> Result<Asked> {
    let statements = Parser::parse_sql(&GenericDialect {}, sql)
        .map_err(|e| Error::Usage(format!("SQL: {e}")))?;
    let [statement] = statements.as_slice() else {
        return Err(Error::Usage(format!(
            "SQL: one statement at a time ({} given)",
            statements.len()
        )));
    };
    match statement {
        Statement::Query(_) => Ok(Asked::Query),
        Statement::Explain { statement, .. } if matches!(**statement, Statement::Query(_)) => {
            Ok(Asked::Query)
        }
        Statement::ShowTables { .. } => Ok(Asked::ShowTables),
        Statement::ExplainTable { table_name, .. } => Ok(Asked::Describe(
            table_name
                .0
                .iter()
                .filter_map(|p| p.as_ident())
                .map(|i| i.value.clone())
                .collect::<Vec<_>>()
                .join("."),
        )),
        other => {
            let verb = other.to_string();
            let verb = verb.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
            Err(Error::Usage(format!(
                "SQL: `{verb} …` is not read-only; query reads a run, it never changes one \
                 (SELECT, WITH, EXPLAIN, SHOW TABLES and DESCRIBE are read)"
            )))
        }
    }
}

/// The tables of a run folder: (name, file), the published tables first, then the
/// staging tables as `staging.<table>`.
pub fn tables(run: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut found = Vec::new();
    for name in
        ["indicators", "targets", "progress", "catalogue", "divisions", "quarantine", "checks"]
    {
        let file = run.join(format!("{name}.parquet"));
        if file.exists() {
            found.push((name.to_string(), file));
        }
    }
    let staging = run.join("staging");
    let mut staged: Vec<(String, PathBuf)> = match std::fs::read_dir(&staging) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
            .filter_map(|p| {
                let stem = p.file_stem()?.to_str()?.to_string();
                Some((format!("staging.{stem}"), p))
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    staged.sort();
    found.extend(staged);
    Ok(found)
}

/// The answer to one read-only statement over the run's tables.
pub fn answer(run: &Path, sql: &str) -> Result<DataFrame> {
    let tables = tables(run)?;
    match asked(sql)? {
        Asked::ShowTables => show_tables(&tables),
        Asked::Describe(name) => describe(&tables, &name),
        Asked::Query => {
            let sql = &with_dotted_names(sql)?;
            let plans = tables
                .iter()
                .map(|(name, file)| Ok((name.clone(), frame::read_parquet(file)?.lazy())))
                .collect::<Result<Vec<(String, LazyFrame)>>>()?;
            frame::sql(&plans, sql)
        }
    }
}

/// The statement with every table named `staging.<table>` unquoted (as Spark SQL would read a
/// database's table) quoted as the one name polars SQL registers, so the same SQL runs in both.
fn with_dotted_names(sql: &str) -> Result<String> {
    use sqlparser::ast::{Ident, ObjectName, ObjectNamePart, visit_relations_mut};
    let mut statements = Parser::parse_sql(&GenericDialect {}, sql)
        .map_err(|e| Error::Usage(format!("SQL: {e}")))?;
    let _ = visit_relations_mut(&mut statements, |name: &mut ObjectName| {
        let parts: Vec<&Ident> = name.0.iter().filter_map(|p| p.as_ident()).collect();
        if let [schema, table] = parts.as_slice()
            && schema.quote_style.is_none()
            && schema.value == "staging"
        {
            let joined = Ident::with_quote('"', format!("staging.{}", table.value));
            *name = ObjectName(vec![ObjectNamePart::Identifier(joined)]);
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    Ok(statements.iter().map(ToString::to_string).collect::<Vec<_>>().join(";\n"))
}

fn show_tables(tables: &[(String, PathBuf)]) -> Result<DataFrame> {
    let rows = tables
        .iter()
        .map(|(_, file)| Ok(frame::read_parquet(file)?.height() as i64))
        .collect::<Result<Vec<i64>>>()?;
    frame::frame(vec![
        Column::new("name".into(), tables.iter().map(|t| t.0.clone()).collect::<Vec<_>>()),
        Column::new("rows".into(), rows),
        Column::new(
            "file".into(),
            tables.iter().map(|t| t.1.display().to_string()).collect::<Vec<_>>(),
        ),
    ])
}

/// Columns, types and meanings of a table; for `indicators`, also every indicator of the run
/// with its catalogue names and unit.
fn describe(tables: &[(String, PathBuf)], name: &str) -> Result<DataFrame> {
    let Some((_, file)) = tables.iter().find(|(n, _)| n == name) else {
        let known: Vec<&str> = tables.iter().map(|t| t.0.as_str()).collect();
        return Err(Error::Usage(format!(
            "DESCRIBE: no table {name} in this run (tables: {})",
            known.join(", ")
        )));
    };
    let df = frame::read_parquet(file)?;
    let (mut columns, mut types, mut meanings) = (Vec::new(), Vec::new(), Vec::new());
    for (column, kind) in frame::column_types(&df) {
        meanings.push(meaning(name, &column).to_string());
        columns.push(column);
        types.push(kind);
    }
    if name == "indicators"
        && let Some((_, catalogue)) = tables.iter().find(|(n, _)| n == "catalogue")
    {
        let catalogue = frame::read_parquet(catalogue)?;
        let ids = frame::texts(&catalogue, "indicator")?;
        let zh = frame::texts(&catalogue, "name_zh")?;
        let en = frame::texts(&catalogue, "name_en")?;
        let units = frame::texts(&catalogue, "unit")?;
        for i in 0..catalogue.height() {
            let text = |v: &[Option<String>]| v[i].clone().unwrap_or_default();
            columns.push(format!("indicator = '{}'", text(&ids)));
            types.push(text(&units));
            meanings.push(format!("{} / {}", text(&zh), text(&en)));
        }
    }
    frame::frame(vec![
        Column::new("column".into(), columns),
        Column::new("type".into(), types),
        Column::new("meaning".into(), meanings),
    ])
}

/// What a published column holds (README, "Outputs").
fn meaning(table: &str, column: &str) -> &'static str {
    match (table, column) {
        ("indicators", "indicator") => "indicator id (the rows below list this run's)",
        (_, "year") => "data year",
        (_, "region_code") => "region code, text (GB/T 2260 or the pipeline's own scheme)",
        (_, "region_level") => "the division table's level of the region",
        (_, "region_name") => "the region's name",
        (_, "sex") => "total, female or male",
        (_, "area") => "total, urban, town or rural",
        ("indicators", "value") => "the value: numerator / denominator (× 100 for percents)",
        ("indicators", "numerator") => "what was divided (sum over the region's units)",
        ("indicators", "denominator") => "what it was divided by",
        (_, "unit") => "percent, ratio, index, count, yuan, …",
        ("indicators", "flags") => "why a value is missing or qualified (no_data, low_coverage, …)",
        ("indicators", "coverage") => "share of the region's reporting units whose data entered",
        ("targets" | "progress", "target") => "the target's id in the pipeline file",
        ("targets", "status") => "achieved, on_track, off_track, no_baseline or no_recent_value",
        ("progress", "status") => "the status as of that year (values up to it)",
        ("catalogue", "family") => "the pipeline table declaring the indicator",
        ("divisions", "code") => "region code, text",
        ("divisions", "parent_code") => "the code of the region it rolls up into",
        ("divisions", "successor_code") => "where a retired code's history counts (`;`: a split)",
        ("targets", "gap") => "latest value minus target (negative: short of it)",
        ("targets", "source") => "the plan's section",
        ("quarantine", "rule") => "the rule the input row broke",
        ("checks", "rule") => "the quality check",
        ("checks", "severity") => "gate (a failure stops the run) or warning (recorded only)",
        _ => "",
    }
}
