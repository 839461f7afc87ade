//! `edustat export [<run>] --xlsx FILE`: the run as one workbook for Excel users.

use std::path::PathBuf;

use crate::error::Result;

#[derive(clap::Args, Debug)]
#[command(after_long_help = "\
The workbook holds:
  README      the run, its input files with their SHA-256, the sheets, the statuses and the
              catalogue (Chinese and English names, units, definitions)
  targets     every target and region, the status in colour
  <family>    one sheet per indicator family (gross_enrolment, class_share, ...): a row per
              indicator, region, sex and area, years across, the region's place in the
              hierarchy in columns
  indicators  every indicator row as one Excel table, ready for Insert > PivotTable
Codes are text (450102 stays 450102), values carry their unit's number format (percent is
0-100), a missing value is a blank cell, and no cell is a formula. Past Excel's 1,048,576
rows a sheet continues as `name (2)`. The same run always gives the same bytes.

Examples:
  edustat export --xlsx guangxi.xlsx
      the latest run under out/ (when one pipeline has published there)
  edustat export out/guangxi-2018-2020 --xlsx guangxi.xlsx
      a pipeline's latest run
  edustat export out/guangxi-2018-2020/runs/<run-id> --xlsx then.xlsx
      an earlier run")]
pub struct Args {
    /// A run folder, or a pipeline's output folder (default: the latest run under --out).
    run: Option<PathBuf>,
    #[arg(long, default_value = "out")]
    out: PathBuf,
    /// The workbook to write (.xlsx).
    #[arg(long, value_name = "FILE")]
    xlsx: PathBuf,
}

pub fn execute(args: Args) -> Result<()> {
    let dir = crate::run_folder::locate(args.run, &args.out)?;
    crate::export::write(&dir, &args.xlsx)?;
    eprintln!("workbook of {} written to {}", dir.display(), args.xlsx.display());
    Ok(())
}
