//! `edustat explain <indicator>`: the catalogue entry of an indicator, as the pipeline that
//! computes it describes it (`--pipeline`, default: every file in `pipelines/`).
//!
//! Examples: `edustat explain ger_higher` · `edustat explain balance_2012_books_primary`

use std::path::PathBuf;

use crate::catalogue::Described;
use crate::error::{Error, Result};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Indicator id, e.g. ger_preschool.
    indicator: String,
    /// The pipeline file whose catalogue to search (default: every file in pipelines/).
    #[arg(long)]
    pipeline: Option<PathBuf>,
}

pub fn execute(args: Args) -> Result<()> {
    let files: Vec<PathBuf> = match args.pipeline {
        Some(p) => vec![p],
        None => {
            let mut files: Vec<PathBuf> = std::fs::read_dir("pipelines")
                .map(|d| {
                    d.filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                        .collect()
                })
                .unwrap_or_default();
            files.sort();
            files
        }
    };
    if files.is_empty() {
        return Err(Error::Usage(
            "no pipeline to look in: give --pipeline <file> (indicators are described by the pipeline that computes them)".into(),
        ));
    }
    let mut known: Vec<String> = Vec::new();
    for file in &files {
        let catalogue = crate::spec::catalogue_of(file)?;
        if let Some(e) = catalogue.iter().find(|e| e.id == args.indicator) {
            return print(e, file);
        }
        known.extend(catalogue.into_iter().map(|e| e.id));
    }
    let searched: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    Err(Error::Usage(format!(
        "unknown indicator {:?} in {}; its indicators: {}",
        args.indicator,
        searched.join(", "),
        known.join(", ")
    )))
}

fn print(e: &Described, file: &std::path::Path) -> Result<()> {
    say!(
        "{}\n  {}\n  {}\n  unit: {}\n  definition: {}\n  method: {}",
        e.id,
        e.name_zh,
        e.name_en,
        e.unit,
        e.definition,
        e.methodology
    )?;
    if !e.plan.is_empty() {
        say!("  plan: {}", e.plan)?;
    }
    say!("  declared in: {}", file.display())
}
