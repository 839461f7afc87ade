//! `edustat query "<SQL>" [<run>]`: read-only SQL over a run's tables, printed or written in
//! the format asked.
//!
//! Example: `edustat query "SELECT * FROM targets WHERE status = 'off_track'"`

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::query::output::{self, Format};

const EXAMPLES: &str = "\
Tables: indicators, targets, catalogue, quarantine, checks, and staging.<table> (the canonical
input rows, e.g. staging.schools). `SHOW TABLES` lists them; `DESCRIBE indicators` gives the
columns and every indicator of the run with its names and unit. Only reading statements run.

Examples: questions planners ask (the Guangxi sample's indicator ids).

  Counties below the preschool target (90%) in 2020, lowest first:
    edustat query \"SELECT region_code, region_name, value FROM indicators
      WHERE indicator = 'ger_preschool' AND year = 2020 AND region_level = 'county'
        AND sex = 'total' AND area = 'total' AND value < 90 ORDER BY value\"

  A region's series, with what was divided:
    edustat query \"SELECT year, value, numerator, denominator, flags FROM indicators
      WHERE indicator = 'ger_senior_secondary' AND region_code = '450000'
        AND sex = 'total' AND area = 'total' ORDER BY year\"

  Girls against boys, and the parity index (female over male):
    edustat query \"SELECT region_name, indicator, sex, value FROM indicators
      WHERE indicator IN ('ger_senior_secondary', 'ger_senior_secondary_gpi')
        AND year = 2020 AND region_level = 'city' AND area = 'total'
      ORDER BY region_name, indicator, sex\"

  The counties that improved most, 2017 to 2020:
    edustat query \"SELECT a.region_code, a.region_name, a.value AS v2017, b.value AS v2020,
        b.value - a.value AS change
      FROM indicators a JOIN indicators b
        ON a.indicator = b.indicator AND a.region_code = b.region_code
       AND a.sex = b.sex AND a.area = b.area
      WHERE a.indicator = 'ger_preschool' AND a.year = 2017 AND b.year = 2020
        AND a.region_level = 'county' AND a.sex = 'total' AND a.area = 'total'
      ORDER BY change DESC LIMIT 10\"

  Targets off track, for a spreadsheet:
    edustat query \"SELECT * FROM targets WHERE status = 'off_track'\" -o off_track.xlsx

Output: an aligned table on a terminal (at most --rows rows; stderr says `N rows, M shown`
when rows are left out), CSV otherwise; --format or the -o file's extension choose another.
CSV, TSV and XLSX are formula-safe: text starting with = + - @ is written with a leading '.

Known gaps of the SQL engine: no ROLLUP, CUBE, GROUPING SETS or PIVOT; STDDEV and VARIANCE are
the sample statistics only. The Parquet files of a run open with default settings in DuckDB,
Spark, pandas and R, which have them:
    duckdb -c \"SELECT ... FROM 'out/guangxi-2018-2020/latest/indicators.parquet'\"";

#[derive(clap::Args, Debug)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// One read-only SQL statement (SELECT, WITH, EXPLAIN, SHOW TABLES, DESCRIBE <table>); it may
    /// open with `--` comments.
    #[arg(allow_hyphen_values = true)]
    sql: String,
    /// A run folder (default: the latest run of the only pipeline under --out).
    run: Option<PathBuf>,
    #[arg(long, default_value = "out")]
    out: PathBuf,
    /// Output format (default: table on a terminal, csv otherwise, or the -o file's extension).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the answer to this file instead of standard output.
    #[arg(short = 'o', long)]
    output: Option<PathBuf>,
    /// Rows a table shows at most.
    #[arg(long, default_value_t = 40)]
    rows: usize,
}

pub fn execute(args: Args) -> Result<()> {
    let format = chosen_format(args.format, args.output.as_deref())?;
    let run = crate::run_folder::locate(args.run, &args.out)?;
    let answer = crate::query::answer(&run, &args.sql)?;
    match (&args.output, format) {
        (Some(path), f) => write_file(&answer, f, path)?,
        (None, Format::Table) => {
            let (text, cut) = output::table(&answer, args.rows)?;
            say_raw!("{text}")?;
            let n = answer.height();
            if cut {
                eprintln!(
                    "{n} rows, {} shown (--rows to see more, --format csv for all)",
                    args.rows
                );
            } else {
                eprintln!("{n} rows");
            }
        }
        (None, f) => write_to(&answer, f, &mut std::io::stdout().lock())?,
    }
    Ok(())
}

/// The format asked, or the one the output file's extension names, or a table on a terminal
/// and CSV in a pipe.
fn chosen_format(asked: Option<Format>, output: Option<&Path>) -> Result<Format> {
    let from_extension =
        output.and_then(|p| p.extension()).and_then(|e| e.to_str()).map(|e| {
            match e.to_ascii_lowercase().as_str() {
                "tsv" | "tab" => Some(Format::Tsv),
                "json" => Some(Format::Json),
                "ndjson" | "jsonl" => Some(Format::Ndjson),
                "parquet" => Some(Format::Parquet),
                "xlsx" => Some(Format::Xlsx),
                "csv" => Some(Format::Csv),
                _ => None,
            }
        });
    let format = match (asked, from_extension.flatten()) {
        (Some(f), _) | (None, Some(f)) => f,
        (None, None) if output.is_some() => Format::Csv,
        (None, None) if std::io::stdout().is_terminal() => Format::Table,
        (None, None) => Format::Csv,
    };
    if format.needs_file() && output.is_none() {
        return Err(Error::Usage(format!(
            "--format {format:?} writes a file: give -o FILE",
            format = format
        )));
    }
    if format == Format::Table && output.is_some() {
        return Err(Error::Usage(
            "a table is for the terminal; write csv, json or xlsx to a file".into(),
        ));
    }
    Ok(format)
}

fn write_to(
    answer: &crate::frame::DataFrame,
    format: Format,
    to: &mut dyn std::io::Write,
) -> Result<()> {
    match format {
        Format::Csv => output::delimited(answer, b',', to),
        Format::Tsv => output::delimited(answer, b'\t', to),
        Format::Json => output::json(answer, false, to),
        Format::Ndjson => output::json(answer, true, to),
        Format::Table | Format::Parquet | Format::Xlsx => {
            Err(Error::Internal(format!("{format:?} is not written to a stream")))
        }
    }
}

fn write_file(answer: &crate::frame::DataFrame, format: Format, path: &Path) -> Result<()> {
    match format {
        Format::Parquet => {
            crate::frame::write_parquet(answer, path, &[])?;
        }
        Format::Xlsx => output::xlsx(answer, path)?,
        f => {
            let mut file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
            write_to(answer, f, &mut file)?;
        }
    }
    eprintln!("{} rows written to {}", answer.height(), path.display());
    Ok(())
}
