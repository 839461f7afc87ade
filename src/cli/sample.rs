//! `edustat sample`: synthetic raw files shaped like real deliveries, deterministic per seed.
//!
//! Examples: `edustat sample --preset guangxi --scale 0.05 --seed 2018 -o data-samples/guangxi`,
//! `edustat sample --preset national --scale 0.02 --seed 2016 -o target/national`

use std::path::PathBuf;

use crate::error::{Error, Result};

const EXAMPLES: &str = "\
Examples:
  edustat sample --preset guangxi --scale 0.05 --seed 2018 -o data-samples/guangxi
      the bundled Guangxi sample, byte for byte
  edustat sample --preset guangxi --scale 1.0 --seed 2018 -o /tmp/guangxi
      a full-size province (24,202 schools in 2020)
  edustat sample --preset national --scale 0.01 --seed 2018 -o data-samples/national
      31 provinces in folders by code, 2011-2020
  edustat sample --preset national --scale 0.01 --seed 2018 --provinces 450000,640000 -o /tmp/two
      two provinces, each exactly as in the whole sample";

#[derive(clap::Args, Debug)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// What to imitate: `guangxi` (one province, 2017–2020, with its catalogue of bad rows) or
    /// `national` (31 provincial deliveries in folders by code, 2011–2020, one division table).
    #[arg(long, default_value = "guangxi")]
    preset: String,
    /// Schools and pupils relative to the real ones (1.0 = real magnitudes; 0.05 = the bundled
    /// Guangxi sample). Divisions and population ages do not scale.
    #[arg(long, default_value_t = 0.05)]
    scale: f64,
    /// Random seed; the same seed and scale give byte-identical files.
    #[arg(long, default_value_t = 2018)]
    seed: u64,
    /// Output folder.
    #[arg(short = 'o', long)]
    out: PathBuf,
    /// National preset only: these provinces (codes, comma-separated), each written exactly as
    /// in the whole sample; the division table then lists only them.
    #[arg(long, value_delimiter = ',')]
    provinces: Vec<String>,
}

pub fn execute(args: Args) -> Result<()> {
    if !(args.scale > 0.0 && args.scale <= 1.0) {
        return Err(Error::Usage(format!("--scale {} must lie in (0, 1]", args.scale)));
    }
    if !args.provinces.is_empty() && args.preset != "national" {
        return Err(Error::Usage("--provinces applies to --preset national".into()));
    }
    let written = match args.preset.as_str() {
        "guangxi" => crate::sample::guangxi(&args.out, args.scale, args.seed)?,
        "national" => crate::sample::national(&args.out, args.scale, args.seed, &args.provinces)?,
        other => {
            return Err(Error::Usage(format!(
                "unknown preset {other:?}; available: guangxi, national"
            )));
        }
    };
    for w in written {
        say!("{}", w.display())?;
    }
    Ok(())
}
