//! `edustat sample`: synthetic raw files shaped like real deliveries, deterministic per seed.
//!
//! Example: `edustat sample --preset guangxi --scale 0.05 --seed 2018 -o data-samples/guangxi`

use std::path::PathBuf;

use crate::error::{Error, Result};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Which province's shape and magnitudes to imitate.
    #[arg(long, default_value = "guangxi")]
    preset: String,
    /// Size relative to the real province (1.0 = real magnitudes; 0.05 = the bundled sample).
    #[arg(long, default_value_t = 0.05)]
    scale: f64,
    /// Random seed; the same seed and scale give byte-identical files.
    #[arg(long, default_value_t = 2018)]
    seed: u64,
    /// Output folder.
    #[arg(short = 'o', long)]
    out: PathBuf,
}

pub fn execute(args: Args) -> Result<()> {
    if args.preset != "guangxi" {
        return Err(Error::Usage(format!("unknown preset {:?}; available: guangxi", args.preset)));
    }
    if !(args.scale > 0.0 && args.scale <= 1.0) {
        return Err(Error::Usage(format!("--scale {} must lie in (0, 1]", args.scale)));
    }
    let written = crate::sample::guangxi(&args.out, args.scale, args.seed)?;
    for w in written {
        say!("{}", w.display())?;
    }
    Ok(())
}
