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
        // An output root (`--out`) under which exactly one pipeline has published.
        return match published_under(&r).as_slice() {
            [only] => Ok(only.clone()),
            _ => Err(Error::Usage(format!(
                "{} is not a run folder (no manifest.json), a pipeline's output folder or an \
                 output root with one pipeline",
                r.display()
            ))),
        };
    }
    if let Err(e) = std::fs::read_dir(out) {
        return Err(Error::Usage(format!("no published runs under {}: {e}", out.display())));
    }
    let mut latest = published_under(out);
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

/// The `latest` run of every pipeline published under the output root `out`, in name order.
fn published_under(out: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(out) else { return Vec::new() };
    let mut latest: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("latest"))
        .filter(|p| is_run(p))
        .collect();
    latest.sort();
    latest
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
