//! A published run folder: where it is (a folder named on the command line, a pipeline's
//! `latest`, or the only pipeline published under `--out`) and how every verb finds it.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The folder `<out>/<pipeline>/latest` points at, if the pipeline has published.
pub fn latest(out: &Path, pipeline_id: &str) -> Option<PathBuf> {
    let root = out.join(pipeline_id);
    let target = std::fs::read_link(root.join("latest")).ok()?;
    Some(root.join(target))
}

/// The run folder a verb works on: `given` (a run folder, or a pipeline's output folder whose
/// `latest` is used), else `<out>/<pipeline>/latest` when exactly one pipeline has published
/// under `out`.
pub fn locate(given: Option<PathBuf>, out: &Path) -> Result<PathBuf> {
    if let Some(r) = given {
        if is_run(&r) {
            return Ok(r);
        }
        if is_run(&r.join("latest")) {
            return Ok(r.join("latest"));
        }
        return Err(Error::Usage(format!(
            "{} is not a run folder (no manifest.json)",
            r.display()
        )));
    }
    let mut latest: Vec<PathBuf> = std::fs::read_dir(out)
        .map_err(|e| Error::Usage(format!("no published runs under {}: {e}", out.display())))?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("latest"))
        .filter(|p| is_run(p))
        .collect();
    latest.sort();
    match latest.len() {
        1 => Ok(latest.remove(0)),
        0 => Err(Error::Usage(format!(
            "no published runs under {}; run `edustat run <pipeline.toml>` first",
            out.display()
        ))),
        _ => Err(Error::Usage(format!(
            "several pipelines under {}; name the run folder",
            out.display()
        ))),
    }
}

/// A folder holding a published run (its manifest is written last).
pub fn is_run(dir: &Path) -> bool {
    dir.join("manifest.json").is_file()
}

/// A table of a published run folder, once it is shown to be the file the run wrote (same
/// size and SHA-256 as its manifest records): a report or workbook is never drawn from a file
/// changed after the run.
pub fn table(dir: &Path, file: &str) -> Result<crate::frame::DataFrame> {
    let manifest = crate::manifest::Manifest::read(dir)?;
    if let Some(why) = manifest.damage_of(dir, file) {
        return Err(Error::input(
            dir.join(file),
            format!("{why}: not the file this run wrote (`edustat verify` checks the run)"),
        ));
    }
    crate::frame::read_parquet(&dir.join(file))
}
