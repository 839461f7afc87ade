//! `edustat explain <indicator>`: the catalogue entry of an indicator — the built-in entries
//! and those a pipeline declares (`--pipeline`, default: every file in `pipelines/`).
//!
//! Examples: `edustat explain ger_higher` · `edustat explain balance_2012_books_primary`

use std::path::PathBuf;

use crate::catalogue::{self, Described};
use crate::error::{Error, Result};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Indicator id, e.g. ger_preschool.
    indicator: String,
    /// A pipeline file whose declared indicators to search too.
    #[arg(long)]
    pipeline: Option<PathBuf>,
}

pub fn execute(args: Args) -> Result<()> {
    if let Some(e) = catalogue::entry(&args.indicator) {
        print(&Described::from(e), None);
        return Ok(());
    }
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
    for file in files {
        let pipeline = crate::spec::load(&file)?;
        if let Some(e) = pipeline.catalogue().into_iter().find(|e| e.id == args.indicator) {
            print(&e, Some(&file));
            return Ok(());
        }
    }
    let ids: Vec<&str> = catalogue::CATALOGUE.iter().map(|e| e.id).collect();
    Err(Error::Usage(format!(
        "unknown indicator {:?}; the catalogue has {}, and pipeline files declare more",
        args.indicator,
        ids.join(", ")
    )))
}

fn print(e: &Described, file: Option<&PathBuf>) {
    println!(
        "{}\n  {}\n  {}\n  unit: {}\n  definition: {}\n  method: {}",
        e.id, e.name_zh, e.name_en, e.unit, e.definition, e.methodology
    );
    if !e.plan.is_empty() {
        println!("  plan: {}", e.plan);
    }
    if let Some(f) = file {
        println!("  declared in: {}", f.display());
    }
}
