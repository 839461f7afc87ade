//! Strict text decoding of raw files: UTF-8 (BOM allowed), GB18030 (a superset of GBK and
//! GB2312) and UTF-16 with BOM. Invalid bytes are an error with their byte offset and line,
//! never a replacement character.

use encoding_rs::{DecoderResult, Encoding as Codec, GB18030, UTF_16BE, UTF_16LE};

/// Text encodings a source may declare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Gb18030,
    /// BOM if present, else strict UTF-8, else strict GB18030.
    Auto,
}

/// Where and why decoding failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub byte_offset: usize,
    pub line: usize,
    pub message: String,
}

/// Decode `bytes` as declared. Returns the text and the encoding actually used.
pub fn decode(bytes: &[u8], declared: Encoding) -> Result<(String, &'static str), DecodeError> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        if declared == Encoding::Gb18030 {
            return Err(err(
                bytes,
                0,
                "file starts with a UTF-8 byte-order mark but is declared gb18030",
            ));
        }
        return utf8(bytes, rest, 3).map(|t| (t, "utf-8"));
    }
    for (bom, codec, name) in
        [(&[0xFF, 0xFE][..], UTF_16LE, "utf-16le"), (&[0xFE, 0xFF][..], UTF_16BE, "utf-16be")]
    {
        if let Some(rest) = bytes.strip_prefix(bom) {
            if declared != Encoding::Auto {
                return Err(err(
                    bytes,
                    0,
                    &format!(
                        "file is {name} (byte-order mark) but is declared {}",
                        declared_name(declared)
                    ),
                ));
            }
            return strict(bytes, rest, 2, codec).map(|t| (t, name));
        }
    }
    match declared {
        Encoding::Utf8 => utf8(bytes, bytes, 0).map(|t| (t, "utf-8")),
        Encoding::Gb18030 => {
            // Valid UTF-8 with Chinese in it would "decode" as GB18030 into mojibake without a
            // single invalid byte: header names would no longer match, and names in the data would
            // be silently garbled. Chinese GB18030 text is valid UTF-8 only by rare accident.
            if !bytes.is_ascii()
                && let Ok(text) = std::str::from_utf8(bytes)
            {
                let at = text.find(|c: char| !c.is_ascii()).unwrap_or(0);
                return Err(err(
                    bytes,
                    at,
                    "file is declared gb18030 but is valid UTF-8 (declare encoding = \"utf-8\" or \"auto\")",
                ));
            }
            strict(bytes, bytes, 0, GB18030).map(|t| (t, "gb18030"))
        }
        Encoding::Auto => match std::str::from_utf8(bytes) {
            Ok(t) => Ok((t.to_string(), "utf-8")),
            Err(_) => strict(bytes, bytes, 0, GB18030).map(|t| (t, "gb18030")).map_err(|mut e| {
                e.message = format!("neither valid UTF-8 nor valid GB18030: {}", e.message);
                e
            }),
        },
    }
}

fn declared_name(e: Encoding) -> &'static str {
    match e {
        Encoding::Utf8 => "utf-8",
        Encoding::Gb18030 => "gb18030",
        Encoding::Auto => "auto",
    }
}

fn utf8(all: &[u8], body: &[u8], skipped: usize) -> Result<String, DecodeError> {
    match std::str::from_utf8(body) {
        Ok(t) => Ok(t.to_string()),
        Err(e) => {
            let at = skipped + e.valid_up_to();
            let hint = if strict(all, body, skipped, GB18030).is_ok() {
                " (the file decodes as GB18030: declare encoding = \"gb18030\")"
            } else {
                ""
            };
            Err(err(all, at, &format!("invalid UTF-8 byte 0x{:02X}{hint}", all[at])))
        }
    }
}

fn strict(
    all: &[u8],
    body: &[u8],
    skipped: usize,
    codec: &'static Codec,
) -> Result<String, DecodeError> {
    let mut decoder = codec.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(body.len())
        .unwrap_or(body.len() * 3 + 16);
    let mut out = String::with_capacity(capacity);
    let (result, read) = decoder.decode_to_string_without_replacement(body, &mut out, true);
    match result {
        DecoderResult::InputEmpty => Ok(out),
        DecoderResult::Malformed(bad, unread) => {
            // `read` bytes were consumed; the malformed sequence ends `unread` bytes before that.
            let end = read.saturating_sub(unread as usize);
            let at = skipped + end.saturating_sub(bad as usize);
            Err(err(
                all,
                at,
                &format!(
                    "invalid {} byte sequence 0x{}",
                    codec.name(),
                    hexbytes(&all[at..(at + bad as usize).min(all.len())])
                ),
            ))
        }
        DecoderResult::OutputFull => {
            Err(err(all, skipped + read, "internal: decode buffer too small"))
        }
    }
}

fn hexbytes(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

fn err(all: &[u8], at: usize, message: &str) -> DecodeError {
    let line = all[..at.min(all.len())].iter().filter(|b| **b == b'\n').count() + 1;
    DecodeError { byte_offset: at, line, message: message.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gb18030_round_trip_and_offsets() {
        let (bytes, _, _) = GB18030.encode("地区代码,年龄\n450102,3岁\n");
        assert_eq!(decode(&bytes, Encoding::Gb18030).unwrap().0, "地区代码,年龄\n450102,3岁\n");
        assert_eq!(decode(&bytes, Encoding::Auto).unwrap().1, "gb18030");
        let e = decode(&bytes, Encoding::Utf8).unwrap_err();
        assert_eq!(e.byte_offset, 0);
        assert!(e.message.contains("GB18030"), "{}", e.message);
        // "ab\n" then 0x81 0x20: 0x81 opens a two-byte sequence, 0x20 cannot follow it.
        let e = decode(b"ab\n\x81\x20cd", Encoding::Gb18030).unwrap_err();
        assert_eq!((e.byte_offset, e.line), (3, 2));
    }

    #[test]
    fn utf8_declared_gb18030_is_refused_not_garbled() {
        let text = "地区代码,年龄\n450102,3岁\n";
        let e = decode(text.as_bytes(), Encoding::Gb18030).unwrap_err();
        // The first non-ASCII byte is the first byte of the file, line 1.
        assert_eq!((e.byte_offset, e.line), (0, 1));
        assert!(e.message.contains("valid UTF-8"), "{}", e.message);
        // Plain ASCII is the same text in both encodings and stays accepted.
        assert_eq!(decode(b"a,b\n1,2\n", Encoding::Gb18030).unwrap().0, "a,b\n1,2\n");
    }

    #[test]
    fn boms() {
        assert_eq!(decode(b"\xEF\xBB\xBFa,b", Encoding::Utf8).unwrap().0, "a,b");
        assert_eq!(
            decode(b"\xFF\xFEa\x00", Encoding::Auto).unwrap(),
            ("a".to_string(), "utf-16le")
        );
        assert!(decode(b"\xFF\xFEa\x00", Encoding::Utf8).is_err());
    }
}
