//! `edustat report [<run>] -o report.html`: the run's targets as one self-contained HTML page
//! (charts of every target's progress, 县县 targets' regions ranked, the run's provenance).
//!
//! Examples:
//!   edustat report -o report.html                       # the latest run under out/
//!   edustat report out/guangxi-2018-2020 -o gx.html     # a pipeline's latest run
//!   edustat report out/guangxi-2018-2020/runs/20201201T010203Z -o then.html

use std::path::PathBuf;

use crate::error::Result;

#[derive(clap::Args, Debug)]
#[command(after_long_help = "\
The page needs nothing beside it: charts are inline SVG, the stylesheet is inline, and its
content policy (default-src 'none') lets the browser fetch nothing, so it opens offline, can
be mailed as one file and prints on A4. Labels are Chinese with English beside them. The same
run always gives the same bytes.

Examples:
  edustat report -o report.html
      the latest run under out/ (when one pipeline has published there)
  edustat report out/guangxi-2018-2020 -o guangxi.html
      a pipeline's latest run
  edustat report out/guangxi-2018-2020/runs/<run-id> -o then.html
      an earlier run, to compare with today's")]
pub struct Args {
    /// A run folder, or a pipeline's output folder (default: the latest run under --out).
    run: Option<PathBuf>,
    #[arg(long, default_value = "out")]
    out: PathBuf,
    /// The HTML file to write.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
}

pub fn execute(args: Args) -> Result<()> {
    let dir = crate::run_folder::locate(args.run, &args.out)?;
    crate::report::write(&dir, &args.output)?;
    eprintln!("report of {} written to {}", dir.display(), args.output.display());
    Ok(())
}
