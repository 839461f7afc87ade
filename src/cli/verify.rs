//! `edustat verify [<run>]`: check that every file of a published run is the one its manifest
//! records (size and SHA-256), e.g. after restoring from a backup. Exit 3 naming the damaged
//! files.
//!
//! Example: `edustat verify out/guangxi-2018-2020/latest`

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::manifest::Manifest;

const EXAMPLES: &str = "\
Examples:
  edustat verify
      the latest run under out/: every file against its size and SHA-256 in manifest.json
  edustat verify out/guangxi-2018-2020/runs/<run-id>
      a run restored from backup; exit 3 naming each damaged file";

#[derive(clap::Args, Debug)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// A run folder (default: the latest run of the only pipeline under --out).
    run: Option<PathBuf>,
    #[arg(long, default_value = "out")]
    out: PathBuf,
}

pub fn execute(args: Args) -> Result<()> {
    let dir = crate::run_folder::locate(args.run, &args.out)?;
    let manifest = Manifest::read(&dir)?;
    let damage = manifest.damage(&dir);
    let whole = manifest.files.len() - damage.len();
    for (file, why) in &damage {
        say!("damaged  {file}: {why}")?;
    }
    say!(
        "{whole} of {} files match the manifest of run {}",
        manifest.files.len(),
        manifest.run_id
    )?;
    match damage.first() {
        None => Ok(()),
        Some((file, why)) => Err(Error::input(
            dir.join(file),
            format!(
                "{why} ({} damaged file(s)); run the pipeline again: a run that does not match its manifest is recomputed, never reused",
                damage.len()
            ),
        )),
    }
}
