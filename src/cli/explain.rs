//! `edustat explain <indicator>`: the catalogue entry of an indicator, as the pipeline that
//! computes it describes it (`--pipeline`, default: every file in `pipelines/`).
//!
//! Examples: `edustat explain ger_higher` · `edustat explain balance_2012_books_primary`

use std::path::PathBuf;

use crate::catalogue::Described;
use crate::error::{Error, Result};
use crate::query::output::aligned;

const EXAMPLES: &str = "\
Examples:
  edustat explain ger_preschool
      names, unit, formula in words, method and plan section, from the files in pipelines/
  edustat explain --list
      every indicator: id, Chinese and English name, unit
  edustat explain large_class_share_compulsory --pipeline pipelines/national-2016-2020.toml
      as another pipeline describes it";

#[derive(clap::Args, Debug)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// Indicator id, e.g. ger_preschool.
    #[arg(required_unless_present = "list")]
    indicator: Option<String>,
    /// Print every indicator of the catalogue as a table (id, Chinese name, English name, unit).
    #[arg(long, conflicts_with = "indicator")]
    list: bool,
    /// The pipeline file whose catalogue to search (default: every file in pipelines/).
    #[arg(long)]
    pipeline: Option<PathBuf>,
}

pub fn execute(args: Args) -> Result<()> {
    let files = pipeline_files(args.pipeline)?;
    let catalogues =
        files.iter().map(|f| Ok((f, crate::spec::catalogue_of(f)?))).collect::<Result<Vec<_>>>()?;
    let Some(id) = args.indicator else { return list(&catalogues) };
    for (file, catalogue) in &catalogues {
        if let Some(e) = catalogue.iter().find(|e| e.id == id) {
            return print(e, file);
        }
    }
    let known: Vec<&str> =
        catalogues.iter().flat_map(|(_, c)| c.iter().map(|e| e.id.as_str())).collect();
    let searched: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let hint = match nearest(&id, &known) {
        Some(near) => format!("did you mean {near}? "),
        None => String::new(),
    };
    Err(Error::Usage(format!(
        "unknown indicator {id:?} in {}; {hint}(`edustat explain --list` prints all {})",
        searched.join(", "),
        distinct(&known)
    )))
}

/// The pipeline files to read: the one given, or every `.toml` in `pipelines/`.
fn pipeline_files(given: Option<PathBuf>) -> Result<Vec<PathBuf>> {
    if let Some(p) = given {
        return Ok(vec![p]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir("pipelines")
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    if files.is_empty() {
        return Err(Error::Usage(
            "no pipeline to look in: give --pipeline <file> (indicators are described by the pipeline that computes them)".into(),
        ));
    }
    Ok(files)
}

/// The known id closest to `id` by edit distance, if close enough to be a slip of the keyboard
/// (at most a third of its length, and at least 1 and at most 3 edits), as cargo suggests.
fn nearest<'a>(id: &str, known: &[&'a str]) -> Option<&'a str> {
    let limit = (id.chars().count() / 3).clamp(1, 3);
    known
        .iter()
        .map(|k| (strsim::levenshtein(id, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, k)| k)
}

fn distinct(ids: &[&str]) -> usize {
    ids.iter().collect::<std::collections::BTreeSet<_>>().len()
}

/// Every indicator of each pipeline's catalogue, one table per pipeline file.
fn list(catalogues: &[(&PathBuf, Vec<Described>)]) -> Result<()> {
    for (n, (file, catalogue)) in catalogues.iter().enumerate() {
        if n > 0 {
            say!("")?;
        }
        say!("{} ({} indicators)\n", file.display(), catalogue.len())?;
        let mut rows = vec![vec!["id".into(), "name_zh".into(), "name_en".into(), "unit".into()]];
        rows.extend(
            catalogue
                .iter()
                .map(|e| vec![e.id.clone(), e.name_zh.clone(), e.name_en.clone(), e.unit.clone()]),
        );
        say!("{}", aligned(&rows))?;
    }
    Ok(())
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
