//! edustat: raw census and school-statistics files → official education indicators → the
//! targets of an education plan. Four stages (ingest, compute, assess, publish); the command
//! line in `cli` only wires them.

pub mod assess;
pub mod catalogue;
pub mod cli;
pub mod decode;
pub mod diff;
pub mod digest;
pub mod divisions;
pub mod error;
pub mod export;
pub mod fingerprint;
pub mod frame;
pub mod gates;
pub mod hashes;
pub mod indicators;
pub mod ingest;
pub mod interrupt;
pub mod lock;
pub mod manifest;
pub mod publish;
pub mod query;
pub mod report;
pub mod run;
pub mod run_folder;
pub mod sample;
pub mod spec;
pub mod tables;

pub use error::{Error, Result};

/// The edustat version written into every output.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The git commit the binary was built from (12 hex digits; `unknown` when built outside a git
/// checkout), shown by `--version` and written into every manifest.
pub const COMMIT: &str = env!("EDUSTAT_COMMIT");

/// Version of the output layout (columns and types of the published tables). 2: `checks.parquet`
/// gained `severity`. 3: `targets.parquet` gained a row per region of a 县县 target and the
/// columns region_level, target_region, applies_to, regions_meeting, regions_assessed; statuses
/// no_baseline and no_recent_value replace no_data; `progress.parquet` is new. 4: `targets` and
/// `progress` lead with `target` (the pipeline's id of the target); `catalogue` gained `family`.
pub const SCHEMA_VERSION: &str = "4";
