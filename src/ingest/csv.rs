//! CSV reading: RFC 4180 records (the csv crate) with the line each starts on, as a text
//! editor counts lines.

use std::path::Path;

use super::read::{Assembler, RawTable};
use crate::decode::decode;
use crate::error::{Error, Result};
use crate::spec::SourceSpec;

/// Decode a CSV source's bytes as declared and read its records.
pub(super) fn read(source: &SourceSpec, bytes: &[u8]) -> Result<RawTable> {
    let (text, used) = decode(bytes, source.encoding).map_err(|e| Error::Input {
        file: source.path.clone(),
        location: format!("{} (byte {})", e.line, e.byte_offset),
        message: e.message,
    })?;
    let mut table = read_csv(&source.path, &text, source.header_row, source.delimiter)?;
    table.encoding = Some(used);
    Ok(table)
}

pub(super) fn read_csv(
    path: &Path,
    text: &str,
    header_row: usize,
    delimiter: u8,
) -> Result<RawTable> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut table = Assembler::new(path, header_row, None, "");
    let mut lines = Lines::default();
    let mut record = csv::StringRecord::new();
    let mut index = 0usize;
    loop {
        let more = reader.read_record(&mut record).map_err(|e| Error::Input {
            file: path.to_path_buf(),
            location: e
                .position()
                .map(|p| lines.line_at(text, p.byte() as usize).to_string())
                .unwrap_or_default(),
            message: format!("CSV record {} cannot be parsed: {e}", index + 1),
        })?;
        if !more {
            break;
        }
        index += 1;
        let line = record
            .position()
            .map(|p| lines.line_at(text, p.byte() as usize))
            .unwrap_or(index as i64);
        let fields: Vec<&str> = record.iter().collect();
        table.push(line, &fields)?;
    }
    table.finish()
}

/// Line numbers from byte offsets, counting "\r\n", "\n" and a lone "\r" as one line break
/// each. The csv crate's own `Position::line` falls one behind per record on CRLF files
/// (BurntSushi/rust-csv#395), and Excel on Windows writes CRLF.
#[derive(Default)]
struct Lines {
    /// Bytes scanned so far, and the line breaks among them.
    scanned: usize,
    breaks: i64,
}

impl Lines {
    /// The 1-based line on which a record reported at byte `at` starts: line breaks at `at`
    /// (the rest of a CRLF the parser had not consumed) belong before the record. Offsets only
    /// grow, so the whole file is scanned once.
    fn line_at(&mut self, text: &str, at: usize) -> i64 {
        let bytes = text.as_bytes();
        let mut start = at.min(bytes.len());
        while start < bytes.len() && (bytes[start] == b'\r' || bytes[start] == b'\n') {
            start += 1;
        }
        if start < self.scanned {
            // Never happens for a reader that only moves forward; count afresh rather than guess.
            *self = Lines::default();
        }
        for i in self.scanned..start {
            match bytes[i] {
                b'\n' if i > 0 && bytes[i - 1] == b'\r' => {}
                b'\n' | b'\r' => self.breaks += 1,
                _ => {}
            }
        }
        self.scanned = start;
        self.breaks + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_lines_with_any_line_ending() {
        for text in [
            "a,b\n1,2\n3,4\n",
            "a,b\r\n1,2\r\n3,4\r\n",
            "a,b\r\n1,2\n3,4\r\n",
            "a,b\r1,2\r3,4\r",
            "a,b\r\n1,2\r\n3,4",
        ] {
            let t = read_csv(Path::new("x.csv"), text, 1, b',').unwrap();
            assert_eq!(t.lines, vec![2, 3], "{text:?}");
        }
        // A quoted field over two lines: the next record starts two lines further down; a blank
        // line is skipped by the parser but still counted.
        let t =
            read_csv(Path::new("x.csv"), "a,b\r\n\"x\r\ny\",2\r\n\r\n3,4\r\n", 1, b',').unwrap();
        assert_eq!(t.lines, vec![2, 5]);
    }

    #[test]
    fn a_header_of_a_million_columns_is_read_in_linear_time() {
        // Distinct names: 1,000,000 columns. A quadratic duplicate check would compare 5 × 10^11
        // pairs here; the test would not finish.
        let header: Vec<String> = (0..1_000_000).map(|i| format!("c{i}")).collect();
        let text = format!("{}\n", header.join(","));
        let t = read_csv(Path::new("x.csv"), &text, 1, b',').unwrap();
        assert_eq!(t.headers.len(), 1_000_000);
        let e = read_csv(Path::new("x.csv"), "a,b,c,b\n", 1, b',').unwrap_err().to_string();
        assert!(e.contains("header \"b\" appears twice (columns 2 and 4)"), "{e}");
    }
}
