//! `edustat explain <indicator>`: the catalogue entry of an indicator. Rates come from the
//! built-in catalogue; counted indicators are declared in pipeline files, so `explain` also
//! reads the pipeline given with `--pipeline` (default: every file in `pipelines/`).
//!
//! Examples: `edustat explain ger_higher` · `edustat explain multimedia_classroom`

use std::path::PathBuf;

use crate::catalogue;
use crate::error::{Error, Result};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Indicator id, e.g. ger_preschool.
    indicator: String,
    /// A pipeline file whose counted indicators to search too.
    #[arg(long)]
    pipeline: Option<PathBuf>,
}

pub fn execute(args: Args) -> Result<()> {
    if let Some(e) = catalogue::entry(&args.indicator) {
        println!("{}\n  {}\n  {}\n  unit: {}\n  definition: {}\n  method: {}\n  plan: {}", e.id, e.name_zh, e.name_en, e.unit, e.definition, e.methodology, e.plan);
        return Ok(());
    }
    let files: Vec<PathBuf> = match args.pipeline {
        Some(p) => vec![p],
        None => std::fs::read_dir("pipelines")
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect())
            .unwrap_or_default(),
    };
    for file in files {
        let pipeline = crate::spec::load(&file)?;
        if let Some(c) = pipeline.counts.iter().find(|c| c.id == args.indicator) {
            println!(
                "{}\n  {}\n  {}\n  unit: count\n  definition: projects of kind {} in the project register, cumulative from {} (before that year: 0), summed over counties into cities and the province\n  plan: {}\n  declared in: {}",
                c.id,
                c.name_zh,
                c.name_en,
                c.kinds.join(" + "),
                c.from_year,
                c.plan,
                file.display()
            );
            return Ok(());
        }
        for b in &pipeline.balances {
            for stage in &b.stages {
                if b.composite_id(stage) == args.indicator {
                    println!(
                        "{}\n  综合差异系数 ({stage})\n  Composite school-to-school CV, {stage}\n  unit: cv\n  definition: plain mean of the county's CVs of {}\n  method: METHODOLOGY §6\n  declared in: {}",
                        args.indicator,
                        b.resources.iter().map(|r| r.0.as_str()).collect::<Vec<_>>().join(", "),
                        file.display()
                    );
                    return Ok(());
                }
                if let Some((r, column, per)) = b.resources.iter().find(|(r, _, _)| b.cv_id(r, stage) == args.indicator) {
                    println!(
                        "{}\n  差异系数: {r} ({stage})\n  School-to-school CV of {r} per pupil, {stage}\n  unit: cv\n  definition: enrolment-weighted coefficient of variation across the county's schools of ({column:?}) x {per} / pupils; numerator = weighted SD, denominator = county mean (sum of resources over sum of pupils)\n  method: METHODOLOGY §6\n  declared in: {}",
                        args.indicator,
                        file.display()
                    );
                    return Ok(());
                }
            }
        }
    }
    let ids: Vec<&str> = catalogue::CATALOGUE.iter().map(|e| e.id).collect();
    Err(Error::Usage(format!("unknown indicator {:?}; the catalogue has {}, and pipeline files declare counted indicators", args.indicator, ids.join(", "))))
}
