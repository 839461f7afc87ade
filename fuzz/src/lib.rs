//! What every fuzz target checks: one file's bytes, read as each distinct source of the Guangxi
//! pipeline (every mapping, encoding, sheet and header row it declares), must end in accepted
//! rows plus quarantine rows that add up to the rows read, or in an input error with a message.
//! Anything else — a panic, an engine error, an internal error, lost rows — is a finding.

use std::sync::OnceLock;

use edustat::error::Error;
use edustat::frame::DataFrame;
use edustat::spec::{Format, SourceSpec};

/// The pipeline whose mappings the fuzzed bytes are read with.
const PIPELINE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../pipelines/guangxi-2018-2020.toml");

pub struct Harness {
    sources: Vec<SourceSpec>,
    code_map: DataFrame,
    years: (i32, i32),
}

/// Loaded once per fuzzing process.
pub fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let pipeline = edustat::spec::load(std::path::Path::new(PIPELINE)).unwrap_or_else(|e| panic!("fuzz setup: {e}"));
        let divisions = edustat::divisions::Divisions::load(&pipeline.divisions).unwrap_or_else(|e| panic!("fuzz setup: {e}"));
        let code_map = divisions.code_map().unwrap_or_else(|e| panic!("fuzz setup: {e}"));
        // One source per distinct way of reading (the {year} copies of a mapping are the same).
        let mut sources: Vec<SourceSpec> = Vec::new();
        for s in pipeline.sources {
            let same = |o: &SourceSpec| {
                o.table.name == s.table.name
                    && o.format == s.format
                    && o.encoding == s.encoding
                    && o.sheet == s.sheet
                    && o.header_row == s.header_row
                    && o.columns == s.columns
            };
            if !sources.iter().any(same) {
                sources.push(s);
            }
        }
        Harness { sources, code_map, years: pipeline.data_years }
    })
}

impl Harness {
    /// Read `bytes` as every source of `format`; panic on anything but the two good endings.
    pub fn check(&self, format: Format, bytes: &[u8]) {
        for source in self.sources.iter().filter(|s| s.format == format) {
            match edustat::ingest::read_file(source, bytes, &self.code_map, self.years) {
                Ok(file) => {
                    let accepted = file.accepted.height() as u64;
                    let quarantined = file.quarantine.height() as u64;
                    assert_eq!(file.rows_read, accepted + quarantined, "{}: rows read != accepted + quarantined", source.display);
                    let rules = file.quarantine.column("rule").unwrap_or_else(|e| panic!("{}: quarantine without rule column: {e}", source.display));
                    assert_eq!(rules.null_count(), 0, "{}: a quarantine row without a rule", source.display);
                }
                Err(Error::Input { message, .. }) => {
                    assert!(!message.is_empty(), "{}: input error without a message", source.display);
                    // edustat caught a panic of the XLSX reader: still a finding.
                    assert!(!message.contains(edustat::ingest::read::XLSX_READER_FAILED), "{}: {message}", source.display);
                }
                Err(e) => panic!("{}: not an input error: {e}", source.display),
            }
        }
    }
}
