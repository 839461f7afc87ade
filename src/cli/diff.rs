//! `edustat diff <old-run> <new-run>`: which indicators moved, by how much, where and why, and
//! what changed between the runs (spec hash, edustat version, input files).
//!
//! Examples: `edustat diff out/guangxi-2018-2020/runs/A out/guangxi-2018-2020/runs/B` ·
//! `edustat diff tests/baselines/guangxi-2018-2020 out/guangxi-2018-2020/latest --format markdown`

use std::path::PathBuf;

use clap::ValueEnum;

use crate::diff::{self, Snapshot, Tolerances};
use crate::error::Result;

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Table,
    Markdown,
    Json,
}

impl Format {
    pub fn layout(self) -> diff::Layout {
        match self {
            Format::Table => diff::Layout::Table,
            Format::Markdown => diff::Layout::Markdown,
            Format::Json => diff::Layout::Json,
        }
    }
}

const EXAMPLES: &str = "\
Examples:
  edustat diff out/guangxi-2018-2020/runs/<yesterday> out/guangxi-2018-2020/latest
      which indicators moved overnight, the largest moves first, and which inputs changed
  edustat diff tests/baselines/guangxi-2018-2020 out/guangxi-2018-2020/latest --format markdown
      against the committed baseline, as a table for a pull request
  edustat diff out/guangxi-2018-2020/runs/<a> out/guangxi-2018-2020/runs/<b> --format json > moved.json
      for scripts: the same content as one JSON document";

#[derive(clap::Args, Debug)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// The earlier run folder (or a baseline folder).
    old: PathBuf,
    /// The later run folder (or a baseline folder).
    new: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Rows to list after the summary.
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// Compare runs of two different pipelines (refused otherwise: exit 2).
    #[arg(long)]
    other_pipeline: bool,
}

pub fn execute(args: Args) -> Result<()> {
    let (old, new) = (Snapshot::load(&args.old)?, Snapshot::load(&args.new)?);
    old.same_pipeline_as(&new, args.other_pipeline)?;
    let d = diff::diff(&old, &new, &Tolerances::default())?;
    say_raw!("{}", diff::render(&d, args.format.layout(), args.limit)?)?;
    Ok(())
}
