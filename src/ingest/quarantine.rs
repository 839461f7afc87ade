//! Quarantine: the rows ingest refused, each with where it was, what was wrong and which rule
//! said so. Ends up as `quarantine.parquet`.

use crate::error::Result;
use crate::frame::{Column, DataFrame, DataType, Expr, IntoLazy, LazyFrame, col, frame, lit, when};

/// Columns of `quarantine.parquet`, in order.
pub const COLUMNS: &[(&str, DataType)] = &[
    ("source_file", DataType::String),
    ("sheet", DataType::String),
    ("line", DataType::Int64),
    ("column", DataType::String),
    ("raw_value", DataType::String),
    ("rule", DataType::String),
    ("message", DataType::String),
];

/// Longest raw value kept in a quarantine row; longer ones are cut and marked.
pub const RAW_VALUE_CHARS: usize = 256;

/// `raw` cut to [`RAW_VALUE_CHARS`] characters, marked when cut.
pub fn clip(raw: &str) -> String {
    match raw.char_indices().nth(RAW_VALUE_CHARS) {
        Some((at, _)) => format!("{}… ({} bytes in all)", &raw[..at], raw.len()),
        None => raw.to_string(),
    }
}

/// One record refused before it could be typed (blank, ragged).
#[derive(Debug, Clone)]
pub struct Rejected {
    pub line: i64,
    pub sheet: Option<String>,
    pub column: String,
    pub raw_value: String,
    pub rule: &'static str,
    pub message: String,
}

impl Rejected {
    pub fn new(
        line: i64,
        sheet: Option<&str>,
        column: &str,
        raw_value: &str,
        rule: &'static str,
        message: String,
    ) -> Self {
        Rejected {
            line,
            sheet: sheet.map(str::to_string),
            column: column.into(),
            raw_value: clip(raw_value),
            rule,
            message,
        }
    }
}

/// Quarantine rows for records rejected while reading.
pub fn from_rejected(file: &str, rows: &[Rejected]) -> Result<DataFrame> {
    let n = rows.len();
    frame(vec![
        Column::new("source_file".into(), vec![file.to_string(); n]),
        Column::new("sheet".into(), rows.iter().map(|r| r.sheet.clone()).collect::<Vec<_>>()),
        Column::new("line".into(), rows.iter().map(|r| r.line).collect::<Vec<_>>()),
        Column::new("column".into(), rows.iter().map(|r| r.column.clone()).collect::<Vec<_>>()),
        Column::new(
            "raw_value".into(),
            rows.iter().map(|r| r.raw_value.clone()).collect::<Vec<_>>(),
        ),
        Column::new("rule".into(), rows.iter().map(|r| r.rule.to_string()).collect::<Vec<_>>()),
        Column::new("message".into(), rows.iter().map(|r| r.message.clone()).collect::<Vec<_>>()),
    ])
}

/// The files quarantine rows name: `__file` (the index every typed row carries; `first` for the
/// first of `files`, then in order), `__source_file`, `__sheet`.
pub fn names(first: u32, files: &[(String, Option<String>)]) -> Result<DataFrame> {
    frame(vec![
        Column::new("__file".into(), (first..first + files.len() as u32).collect::<Vec<_>>()),
        Column::new("__source_file".into(), files.iter().map(|f| f.0.clone()).collect::<Vec<_>>()),
        Column::new("__sheet".into(), files.iter().map(|f| f.1.clone()).collect::<Vec<_>>()),
    ])
}

/// Quarantine rows of a frame with `__file`, `__line`, `__rule`, `__column`, `__raw`,
/// `__message`, each naming its file and sheet from `names` ([`names`]).
pub fn rows_of(rejected: LazyFrame, names: &DataFrame) -> LazyFrame {
    crate::frame::left_join(rejected, names.clone().lazy(), &["__file"]).select(select_exprs())
}

/// The selection that turns a frame with `__source_file`, `__sheet`, `__line`, `__rule`,
/// `__column`, `__raw`, `__message` into quarantine rows.
fn select_exprs() -> Vec<Expr> {
    vec![
        col("__source_file").alias("source_file"),
        col("__sheet").alias("sheet"),
        col("__line").cast(DataType::Int64).alias("line"),
        col("__column").alias("column"),
        {
            let raw = col("__raw");
            let long = raw.clone().str().len_chars().gt(lit(RAW_VALUE_CHARS as u32));
            let cut = crate::frame::concat_text(vec![
                raw.clone().str().slice(lit(0), lit(RAW_VALUE_CHARS as u64)),
                lit("… ("),
                raw.clone().str().len_bytes().cast(DataType::String),
                lit(" bytes in all)"),
            ]);
            when(long).then(cut).otherwise(raw).alias("raw_value")
        },
        col("__rule").alias("rule"),
        col("__message").alias("message"),
    ]
}
