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

/// A well-formed workbook in the shape of the Guangxi population workbook (sheet 分年龄人口, a
/// title in row 1, the grid from row 2), built from fuzzed text so that the fuzzer reaches the
/// cells, headers and merges rather than the zip container. Lines are rows, commas separate
/// cells; a cell that reads as a finite number is written as a number. Directive lines:
/// `!merge r1 c1 r2 c2` merges a range (0-based, the grid's rows and columns), `!hidden` puts a
/// hidden sheet first, `!sheet NAME` names the data sheet. At most 300 rows × 40 columns.
pub fn workbook(text: &str) -> Option<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let mut grid: Vec<Vec<&str>> = Vec::new();
    let mut merges = Vec::new();
    let mut hidden = false;
    let mut name = "分年龄人口".to_string();
    for line in text.lines().take(300) {
        if let Some(rest) = line.strip_prefix("!merge ") {
            let n: Vec<u32> = rest.split_whitespace().filter_map(|x| x.parse().ok()).collect();
            if let [r1, c1, r2, c2] = n[..] {
                merges.push((r1.min(300), c1.min(40) as u16, r2.min(300), c2.min(40) as u16));
            }
        } else if line == "!hidden" {
            hidden = true;
        } else if let Some(n) = line.strip_prefix("!sheet ") {
            name = n.to_string();
        } else {
            grid.push(line.split(',').take(40).collect());
        }
    }
    if hidden {
        let lookup = book.add_worksheet();
        lookup.set_name("代码表").ok()?;
        lookup.write_string(0, 0, "代码").ok()?;
        lookup.set_hidden(true);
    }
    let sheet = book.add_worksheet();
    sheet.set_name(name).ok()?;
    sheet.write_string(0, 0, "分年龄人口数").ok()?;
    for (r, row) in grid.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let cell: String = cell.chars().take(200).collect();
            let (r, c) = (r as u32 + 1, c as u16);
            match cell.trim().parse::<f64>() {
                Ok(x) if x.is_finite() => sheet.write_number(r, c, x).ok()?,
                _ if cell.is_empty() => continue,
                _ => sheet.write_string(r, c, &cell).ok()?,
            };
        }
    }
    for (r1, c1, r2, c2) in merges {
        let label = grid.get(r1 as usize).and_then(|row| row.get(c1 as usize)).copied().unwrap_or("");
        // Overlapping or one-cell ranges are refused by the writer: skip them.
        let _ = sheet.merge_range(r1 + 1, c1, r2 + 1, c2, label, &Format::new());
    }
    book.save_to_buffer().ok()
}
