//! `edustat run <pipeline.toml>`: the whole pipeline, then a summary: targets, quarantined rows,
//! checks, reused tables and where the outputs are. An unchanged rerun recomputes nothing.
//!
//! Examples: `edustat run pipelines/guangxi-2018-2020.toml --out out` ·
//! `edustat run pipelines/guangxi-2018-2020.toml --force --progress never --log-format json`

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::ValueEnum;

use crate::error::Result;
use crate::run::Options;

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum Progress {
    /// Bars when stderr is a terminal.
    Auto,
    /// No bars (cron, CI).
    Never,
    /// Bars even when stderr is not a terminal.
    Always,
}

impl Progress {
    pub fn enabled(self) -> bool {
        match self {
            Progress::Auto => std::io::stderr().is_terminal(),
            Progress::Never => false,
            Progress::Always => true,
        }
    }
}

const EXAMPLES: &str = "\
Examples:
  edustat run pipelines/guangxi-2018-2020.toml
      ingest, compute, assess and publish into out/guangxi-2018-2020/runs/<run-id>; an
      unchanged rerun recomputes nothing and says so
  edustat run pipelines/guangxi-2018-2020.toml --force
      recompute everything, even when no input changed
  edustat run pipelines/guangxi-2018-2020.toml --progress never --log-format json 2>> nightly.log
      from cron: no progress bars, one JSON object per log line (text logs carry no colour
      unless stderr is a terminal; --color always forces it)
  edustat run pipelines/national-2016-2020.toml --out /data/edustat
      publish under another output folder";

#[derive(clap::Args, Debug)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// The pipeline file.
    pipeline: PathBuf,
    /// Output root; runs go to <out>/<pipeline-id>/runs/<run-id>.
    #[arg(long, default_value = "out")]
    out: PathBuf,
    /// Recompute and publish even when inputs, spec and edustat are unchanged.
    #[arg(long)]
    force: bool,
    /// Progress bars on stderr.
    #[arg(long, value_enum, default_value_t = Progress::Auto)]
    progress: Progress,
    /// Let input paths leave the pipeline's root.
    #[arg(long)]
    allow_outside: bool,
}

pub fn execute(args: Args) -> Result<()> {
    let summary = crate::run::run_with(
        &args.pipeline,
        &args.out,
        Options {
            force: args.force,
            progress: args.progress.enabled(),
            allow_outside: args.allow_outside,
            hold_rows: None,
        },
    )?;
    if summary.unchanged {
        say!(
            "unchanged: inputs, spec and edustat version are those of run {}; nothing recomputed (--force to recompute)",
            summary.run_id
        )?;
        super::targets::print_run(&summary.run_dir, &super::targets::Filter::default())?;
        return Ok(());
    }
    super::targets::print_run(&summary.run_dir, &super::targets::Filter::default())?;
    say!(
        "indicator rows: {}; quarantined input rows: {}; checks passed: {}",
        summary.indicator_rows,
        summary.rows_quarantined,
        summary.checks_passed
    )?;
    if summary.warnings > 0 {
        say!(
            "warnings: {} checks failed that do not stop a run (severity warning); see checks.parquet",
            summary.warnings
        )?;
    }
    if !summary.reused_tables.is_empty() {
        say!("reused unchanged tables: {}", summary.reused_tables.join(", "))?;
    }
    say!("run {} published in {}", summary.run_id, summary.run_dir.display())?;
    Ok(())
}
