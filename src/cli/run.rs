//! `edustat run <pipeline.toml>`: the whole pipeline, then a summary of targets and outputs.
//!
//! Example: `edustat run pipelines/guangxi-2018-2020.toml --out out`

use std::path::PathBuf;

use crate::error::Result;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The pipeline file.
    pipeline: PathBuf,
    /// Output root; runs go to <out>/<pipeline-id>/runs/<run-id>.
    #[arg(long, default_value = "out")]
    out: PathBuf,
}

pub fn execute(args: Args) -> Result<()> {
    let summary = crate::run::run(&args.pipeline, &args.out)?;
    println!("{}", super::targets::render(&summary.assessments));
    let counts = ["achieved", "on_track", "off_track", "no_data"]
        .iter()
        .map(|s| format!("{} {s}", summary.assessments.iter().filter(|a| a.status == *s).count()))
        .collect::<Vec<_>>()
        .join(", ");
    println!("targets: {counts}");
    println!("indicator rows: {}; quarantined input rows: {}", summary.indicator_rows, summary.rows_quarantined);
    println!("run {} published in {}", summary.run_id, summary.run_dir.display());
    Ok(())
}
