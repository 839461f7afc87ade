//! Cheap refusals before a file is read into memory, so that a small hostile file cannot take
//! gigabytes: a CSV line longer than the source's `max_line_bytes` (found by streaming the
//! file in blocks), an XLSX workbook whose zip directory says it inflates beyond
//! `max_uncompressed_bytes` or a part that inflates more than two-hundredfold (a zip bomb).

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};
use crate::spec::{Format, SourceSpec};

/// A part inflating more than this many times its stored size, and to more than a few
/// mebibytes, is a zip bomb; real sheets compress about tenfold.
const MAX_RATIO: u64 = 200;
const RATIO_FLOOR: u64 = 4 << 20;

/// Refuse the source's file if it breaks a limit; read only what it takes to tell.
pub fn check(source: &SourceSpec) -> Result<()> {
    match source.format {
        Format::Csv => longest_line(&source.path, source.max_line_bytes),
        Format::Xlsx => inflated_size(&source.path, source.max_uncompressed_bytes),
    }
}

fn refused(path: &Path, location: String, message: String) -> Error {
    Error::Input { file: path.to_path_buf(), location, message }
}

/// The first line longer than `max` bytes, by a streamed scan (line breaks as "\n"; a "\r\n"
/// file counts its "\r" in the line, one byte).
fn longest_line(path: &Path, max: u64) -> Result<()> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut block = vec![0u8; 1 << 16];
    let (mut line, mut length) = (1u64, 0u64);
    loop {
        let n = file.read(&mut block).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            return Ok(());
        }
        for &b in &block[..n] {
            if b == b'\n' {
                line += 1;
                length = 0;
                continue;
            }
            length += 1;
            if length > max {
                return Err(refused(
                    path,
                    line.to_string(),
                    format!(
                        "this line is longer than {max} bytes (max_line_bytes): not a record of a \
                         delivery; refused before reading the file (raise max_line_bytes for this \
                         source if such lines are real)"
                    ),
                ));
            }
        }
    }
}

/// What the workbook's zip directory says its parts inflate to, checked before any is inflated.
fn inflated_size(path: &Path, max: u64) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    // Not a zip at all: left for the XLSX reader to say so.
    let Ok(mut zip) = zip::ZipArchive::new(std::io::BufReader::new(file)) else { return Ok(()) };
    let mut total = 0u64;
    for i in 0..zip.len() {
        let Ok(part) = zip.by_index_raw(i) else { continue };
        let (size, stored) = (part.size(), part.compressed_size().max(1));
        if size > RATIO_FLOOR && size / stored > MAX_RATIO {
            return Err(refused(
                path,
                String::new(),
                format!(
                    "part {} inflates {}-fold ({stored} → {size} bytes): a zip bomb, not a \
                     workbook; refused unread",
                    part.name().unwrap_or_default(),
                    size / stored
                ),
            ));
        }
        total = total.saturating_add(size);
    }
    if total > max {
        return Err(refused(
            path,
            String::new(),
            format!(
                "the workbook inflates to {total} bytes, more than {max} (max_uncompressed_bytes); \
                 refused unread (raise max_uncompressed_bytes for this source if it is real)"
            ),
        ));
    }
    Ok(())
}
