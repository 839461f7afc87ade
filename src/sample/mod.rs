//! Synthetic raw deliveries for tests and demos.
use std::path::{Path, PathBuf};
use crate::error::Result;
pub fn guangxi(_out: &Path, _scale: f64, _seed: u64) -> Result<Vec<PathBuf>> { Ok(vec![]) }
