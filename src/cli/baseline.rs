//! `edustat baseline [<run>] -o DIR`: write a run as the sorted CSV baseline that `check`
//! compares against (indicators.csv, targets.csv, baseline.json). `make baseline` refreshes the
//! committed one; tests never do.
//!
//! Example: `edustat baseline out/guangxi-2018-2020/latest -o tests/baselines/guangxi-2018-2020`

use std::path::PathBuf;

use crate::error::Result;

const EXAMPLES: &str = "\
Examples:
  edustat baseline out/guangxi-2018-2020/latest -o tests/baselines/guangxi-2018-2020
      refresh the committed baseline after an intended change (review its diff)
  edustat baseline -o /tmp/today
      the latest run under out/";

#[derive(clap::Args, Debug)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// The run folder (default: the latest run of the only pipeline under --out).
    run: Option<PathBuf>,
    #[arg(long, default_value = "out")]
    out: PathBuf,
    /// Where to write the baseline.
    #[arg(short = 'o', long)]
    output: PathBuf,
}

pub fn execute(args: Args) -> Result<()> {
    let run = crate::run_folder::locate(args.run, &args.out)?;
    crate::diff::write_baseline(&run, &args.output)?;
    say!("baseline of {} written to {}", run.display(), args.output.display())?;
    Ok(())
}
