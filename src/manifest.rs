//! `manifest.json`: what a run read, did and wrote. One type, written by `run` and read by every
//! verb that opens a run folder (reuse of unchanged tables, `diff`, `check`, `baseline`).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::hashes::Hashes;

/// The manifest of one published run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub run_id: String,
    pub pipeline_id: String,
    pub pipeline_file: String,
    pub started_at: String,
    pub finished_at: String,
    pub edustat_version: String,
    /// The git commit of the edustat that wrote the run (`unknown` when built outside git;
    /// absent from manifests written before it was recorded).
    #[serde(default)]
    pub edustat_commit: String,
    pub schema_version: String,
    pub spec_hash: String,
    /// Fingerprint of everything the run read: equal fingerprints, equal outputs.
    pub fingerprint: String,
    pub divisions: InputFile,
    /// Per canonical table: its fingerprint and whether it was reused from the previous run.
    pub tables: Vec<TableState>,
    pub inputs: Vec<FileReport>,
    pub stages: Vec<StageCount>,
    pub files: Vec<Written>,
}

/// A file read whole (the division table).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InputFile {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// What ingest says about one input file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileReport {
    pub path: String,
    pub table: String,
    pub bytes: u64,
    pub sha256: String,
    pub encoding: Option<String>,
    pub sheet: Option<String>,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_quarantined: u64,
}

/// One canonical table of the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableState {
    pub table: String,
    pub fingerprint: String,
    pub rows: u64,
    pub reused: bool,
}

/// Rows in and out of one stage, and its time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageCount {
    pub stage: String,
    pub rows_in: u64,
    pub rows_out: u64,
    pub millis: u128,
}

/// A file the run wrote.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Written {
    pub path: String,
    pub rows: Option<u64>,
    pub bytes: u64,
    pub sha256: String,
}

impl Manifest {
    /// Read `manifest.json` of a run folder.
    pub fn read(run_dir: &Path) -> Result<Manifest> {
        let path = run_dir.join("manifest.json");
        // A run folder whose manifest is gone or garbled is damaged input, whoever reads it.
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::input(&path, format!("cannot be read ({e})")))?;
        serde_json::from_str(&text)
            .map_err(|e| Error::input(&path, format!("is not a manifest edustat wrote ({e})")))
    }

    /// The files of run folder `run_dir` that no longer match this manifest (missing, another
    /// size, another SHA-256), each with what is wrong; empty when the run is whole.
    pub fn damage(&self, run_dir: &Path) -> Vec<(String, String)> {
        self.damage_with(run_dir, &Hashes::none())
    }

    /// [`Manifest::damage`], taking a file's hash from `hashes` where its stat shows it
    /// untouched since it was last hashed.
    pub fn damage_with(&self, run_dir: &Path, hashes: &Hashes) -> Vec<(String, String)> {
        use rayon::prelude::*;
        // Files hashed on every core (a national run folder holds hundreds of MB), in order.
        let checked = self.files.par_iter().map(|f| (f.path.clone(), problem(run_dir, f, hashes)));
        checked.filter_map(|(path, problem)| Some((path, problem?))).collect()
    }

    /// What is wrong with one listed file of `run_dir`, if anything (unlisted: nothing known).
    pub fn damage_of(&self, run_dir: &Path, file: &str) -> Option<String> {
        problem(run_dir, self.files.iter().find(|f| f.path == file)?, &Hashes::none())
    }

    /// Rows of a written table, when the manifest lists it.
    pub fn rows_of(&self, file: &str) -> Option<u64> {
        self.files.iter().find(|f| f.path == file).and_then(|f| f.rows)
    }

    /// Rows quarantined over every input.
    pub fn rows_quarantined(&self) -> u64 {
        self.inputs.iter().map(|f| f.rows_quarantined).sum()
    }
}

/// A written file against its manifest entry: the size first (one stat), then the content,
/// hashed in blocks.
fn problem(run_dir: &Path, file: &Written, hashes: &Hashes) -> Option<String> {
    let path = run_dir.join(&file.path);
    match std::fs::metadata(&path).map(|m| m.len()) {
        Err(e) => Some(format!("cannot be read ({e})")),
        Ok(len) if len != file.bytes => {
            Some(format!("{len} bytes where the manifest says {}", file.bytes))
        }
        Ok(_) => match hashes.sha256(&path) {
            Err(e) => Some(format!("cannot be read ({e})")),
            Ok(hash) if hash != file.sha256 => {
                Some("its SHA-256 differs from the manifest's".to_string())
            }
            Ok(_) => None,
        },
    }
}
