//! `edustat explain <indicator>`: the catalogue entry of an indicator.
//!
//! Example: `edustat explain ger_higher`

use crate::catalogue;
use crate::error::{Error, Result};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Indicator id, e.g. ger_preschool.
    indicator: String,
}

pub fn execute(args: Args) -> Result<()> {
    let Some(e) = catalogue::entry(&args.indicator) else {
        let ids: Vec<&str> = catalogue::CATALOGUE.iter().map(|e| e.id).collect();
        return Err(Error::Usage(format!("unknown indicator {:?}; known: {}", args.indicator, ids.join(", "))));
    };
    println!("{}\n  {}\n  {}\n  unit: {}\n  definition: {}\n  method: {}\n  plan: {}", e.id, e.name_zh, e.name_en, e.unit, e.definition, e.methodology, e.plan);
    Ok(())
}
