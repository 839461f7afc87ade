//! `edustat check --baseline <dir> [<run>]`: the diff against a committed baseline with the
//! tolerances of the pipeline file; exit 4 when an indicator moves beyond its tolerance, a row
//! appears or disappears, or any target's status changes.
//!
//! Example: `edustat check --baseline tests/baselines/guangxi-2018-2020 out/guangxi-2018-2020/latest`

use std::path::PathBuf;

use super::diff::Format;
use crate::diff::{self, Snapshot, Tolerances};
use crate::error::{Error, Result};

const EXAMPLES: &str = "\
Examples:
  edustat check --baseline tests/baselines/guangxi-2018-2020
      the latest run under out/ against the baseline, with the pipeline file's [check]
      tolerances; exit 4 on a regression (CI fails the job)
  edustat check --baseline tests/baselines/guangxi-2018-2020 out/guangxi-2018-2020/latest \\
      --pipeline pipelines/guangxi-2018-2020.toml
      a given run, with the tolerances of a given pipeline file";

#[derive(clap::Args, Debug)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// The baseline folder (written by `edustat baseline`).
    #[arg(long)]
    baseline: PathBuf,
    /// The run to check (default: the latest run of the only pipeline under --out).
    run: Option<PathBuf>,
    #[arg(long, default_value = "out")]
    out: PathBuf,
    /// The pipeline file whose [check] tolerances apply (default: exact to 1e-9 relative).
    #[arg(long)]
    pipeline: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// Check a run of another pipeline against the baseline (refused otherwise: exit 2).
    #[arg(long)]
    other_pipeline: bool,
}

pub fn execute(args: Args) -> Result<()> {
    let run = crate::run_folder::locate(args.run, &args.out)?;
    let tolerances = match &args.pipeline {
        Some(p) => crate::spec::load(p)?.tolerances,
        None => Tolerances::default(),
    };
    let (baseline, run) = (Snapshot::load(&args.baseline)?, Snapshot::load(&run)?);
    baseline.same_pipeline_as(&run, args.other_pipeline)?;
    let d = diff::diff(&baseline, &run, &tolerances)?;
    let regressions = d.regressions();
    if regressions == 0 {
        say!(
            "check: no indicator moved beyond its tolerance and no target changed status ({} rows differ within tolerance)",
            d.moves.len()
        )?;
        return Ok(());
    }
    say_raw!("{}", diff::render(&d, args.format.layout(), args.limit)?)?;
    Err(Error::Regression(format!("{regressions} regressions against {}", args.baseline.display())))
}
