//! Fingerprints of the canonical tables and the reuse they allow: a table whose fingerprint
//! equals the one in the latest published run is taken from that run instead of being ingested
//! again, and a run whose every fingerprint is unchanged publishes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::frame::{self, IntoLazy, col, lit};
use crate::hashes::Hashes;
use crate::ingest::Reused;
use crate::manifest::Manifest;
use crate::run_folder;
use crate::spec::Pipeline;
use crate::tables::TABLES;

/// The digest of every input, in the order of the pipeline's sources: hashed on every core (a
/// national delivery is thousands of files), or remembered in `hashes`.
pub fn inputs(pipeline: &Pipeline, hashes: &Hashes) -> Result<Vec<String>> {
    use rayon::prelude::*;
    pipeline
        .sources
        .par_iter()
        .map(|s| hashes.sha256(&s.path).map_err(|e| Error::io(&s.path, e)))
        .collect()
}

/// Fingerprints of every canonical table with sources: the edustat version, the spec, the
/// division table and the content of the table's files, plus the fingerprint of any table it
/// references (enrolment depends on the register).
/// `hashes` are those of [`inputs`].
pub fn tables(
    pipeline: &Pipeline,
    divisions_hash: &str,
    hashes: &[String],
) -> Result<BTreeMap<&'static str, String>> {
    let mut out: BTreeMap<&'static str, String> = BTreeMap::new();
    for table in TABLES.iter().copied() {
        let mut sources: Vec<(String, String)> = Vec::new();
        for (s, hash) in pipeline.sources.iter().zip(hashes) {
            if s.table.name == table.name {
                sources.push((s.display.clone(), hash.clone()));
            }
        }
        if sources.is_empty() {
            continue;
        }
        sources.sort();
        let referenced = table.references.and_then(|(other, _)| out.get(other)).cloned();
        let mut parts: Vec<&[u8]> = vec![
            crate::VERSION.as_bytes(),
            pipeline.spec_hash.as_bytes(),
            divisions_hash.as_bytes(),
            table.name.as_bytes(),
        ];
        for (path, hash) in &sources {
            parts.extend([path.as_bytes(), hash.as_bytes()]);
        }
        parts.push(referenced.as_deref().unwrap_or("").as_bytes());
        out.insert(table.name, crate::digest::sha256_of_parts(parts));
    }
    Ok(out)
}

/// The fingerprint of a whole run: of its tables' fingerprints.
pub fn run(tables: &BTreeMap<&'static str, String>) -> String {
    crate::digest::sha256_of_parts(
        tables.iter().flat_map(|(name, f)| [name.as_bytes(), f.as_bytes()]),
    )
}

/// The latest published run of the pipeline and its manifest, if it can be read and every file
/// it lists is as the manifest records it. A damaged run (a file truncated, edited or restored
/// from another backup) is never vouched for nor reused: the run says which files and
/// recomputes everything.
pub fn previous(out: &Path, pipeline_id: &str, hashes: &Hashes) -> Option<(PathBuf, Manifest)> {
    let dir = run_folder::latest(out, pipeline_id)?;
    let manifest = match Manifest::read(&dir) {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(run = %dir.display(), error = %e, "the latest run's manifest cannot be read; recomputing everything");
            return None;
        }
    };
    let damage = manifest.damage_with(&dir, hashes);
    if !damage.is_empty() {
        let listed: Vec<String> = damage.iter().map(|(f, why)| format!("{f}: {why}")).collect();
        tracing::warn!(run = %dir.display(), damaged = %listed.join("; "),
            "the latest run does not match its manifest; recomputing everything (edustat verify lists it)");
        return None;
    }
    Some((dir, manifest))
}

/// Tables of the previous run whose fingerprint is unchanged, with their quarantine rows and
/// file reports.
pub fn reusable(
    pipeline: &Pipeline,
    prev: &(PathBuf, Manifest),
    now: &BTreeMap<&'static str, String>,
) -> Result<BTreeMap<&'static str, Reused>> {
    let (dir, manifest) = prev;
    let quarantine = frame::read_parquet(&dir.join("quarantine.parquet"))?;
    let mut out = BTreeMap::new();
    for state in &manifest.tables {
        let Some((name, fingerprint)) = now.get_key_value(state.table.as_str()) else { continue };
        let path = dir.join("staging").join(format!("{name}.parquet"));
        if *fingerprint != state.fingerprint || !path.is_file() {
            continue;
        }
        let mine = frame::any_of(
            pipeline
                .sources
                .iter()
                .filter(|s| s.table.name == *name)
                .map(|s| col("source_file").eq(lit(s.display.clone())))
                .collect(),
        );
        out.insert(
            *name,
            Reused {
                file: path,
                rows: state.rows as usize,
                quarantine: frame::collect(quarantine.clone().lazy().filter(mine))?,
                files: manifest.inputs.iter().filter(|f| f.table == *name).cloned().collect(),
            },
        );
    }
    Ok(out)
}
