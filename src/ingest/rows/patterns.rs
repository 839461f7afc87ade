//! Value columns declared by pattern: `"{year} {stage}"` names every header of that shape
//! ("2010 Primary", "2019年 小学"), and each matching column carries its year and stage. The
//! stage is read through the mapping's `codes.stage` (or must be a canonical stage); columns of
//! years outside the pipeline's data years are not read.

use super::Header;
use crate::error::{Error, Result};
use crate::spec::{PATTERN_STAGE, PATTERN_YEAR, ValueSpec};
use crate::tables::STAGES;

/// A raw column a value column names: its index, and the year and stage its header gives.
pub(super) type Matched = (usize, Option<i32>, Option<String>);

/// One piece of a pattern.
#[derive(Debug, PartialEq)]
enum Piece<'a> {
    Text(&'a str),
    Year,
    Stage,
}

fn pieces(pattern: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = pattern;
    while !rest.is_empty() {
        let next = [(PATTERN_YEAR, Piece::Year), (PATTERN_STAGE, Piece::Stage)]
            .into_iter()
            .filter_map(|(p, piece)| rest.find(p).map(|at| (at, p.len(), piece)))
            .min_by_key(|(at, _, _)| *at);
        match next {
            Some((at, len, piece)) => {
                if at > 0 {
                    out.push(Piece::Text(&rest[..at]));
                }
                out.push(piece);
                rest = &rest[at + len..];
            }
            None => {
                out.push(Piece::Text(rest));
                rest = "";
            }
        }
    }
    out
}

/// The year and stage text `header` gives the pattern's placeholders, if it has the shape.
fn matches<'h>(pieces: &[Piece], header: &'h str) -> Option<(Option<&'h str>, Option<&'h str>)> {
    match pieces.split_first() {
        None => header.is_empty().then_some((None, None)),
        Some((Piece::Text(t), rest)) => matches(rest, header.strip_prefix(t)?),
        Some((Piece::Year, rest)) => {
            let digits = header.get(..4).filter(|d| d.bytes().all(|b| b.is_ascii_digit()))?;
            let (_, stage) = matches(rest, &header[4..])?;
            Some((Some(digits), stage))
        }
        Some((Piece::Stage, rest)) => {
            (1..=header.len()).filter(|n| header.is_char_boundary(*n)).find_map(|n| {
                let (year, _) = matches(rest, &header[n..])?;
                Some((year, Some(header[..n].trim())))
            })
        }
    }
}

impl Header<'_> {
    /// The raw columns `v` names, each with the year and stage its header gives: one column
    /// for a plain header, every matching one for a pattern (an error if none matches).
    pub(super) fn value_columns(
        &self,
        v: &ValueSpec,
        (first, last): (i32, i32),
    ) -> Result<Vec<Matched>> {
        if !v.is_pattern() {
            let i = self
                .index(&v.raw)
                .ok_or_else(|| self.missing(&v.raw, &format!("{} value", v.measure)))?;
            return Ok(vec![(i, None, None)]);
        }
        let pieces = pieces(&v.raw);
        let stage_codes = self.source.codes.get("stage");
        let mut out = Vec::new();
        let mut shaped = 0;
        for (i, h) in self.raw.headers.iter().enumerate() {
            let Some((year, stage)) = matches(&pieces, h.trim()) else { continue };
            shaped += 1;
            let year = year.and_then(|y| y.parse::<i32>().ok());
            if year.is_some_and(|y| y < first || y > last) {
                continue;
            }
            let stage = match stage {
                None => None,
                Some(s) => match stage_codes.and_then(|c| c.get(s)) {
                    Some(code) => Some(code.clone()),
                    None if STAGES.contains(&s) => Some(s.to_string()),
                    None => continue,
                },
            };
            out.push((i, year, stage));
        }
        if shaped == 0 {
            return Err(Error::Input {
                file: self.source.path.clone(),
                location: format!("{}", self.source.header_row),
                message: format!(
                    "no column matches the pattern {:?} ({} value); the header has: {}{}",
                    v.raw,
                    v.measure,
                    self.raw.headers.join(", "),
                    self.raw.header_note
                ),
            });
        }
        Ok(out)
    }

    /// Every raw column a value column or pattern names (whatever year it holds).
    pub(super) fn value_indices(&self) -> Vec<usize> {
        let mut out = Vec::new();
        for v in &self.source.values {
            if v.is_pattern() {
                let p = pieces(&v.raw);
                out.extend(
                    self.raw
                        .headers
                        .iter()
                        .enumerate()
                        .filter(|(_, h)| matches(&p, h.trim()).is_some())
                        .map(|(i, _)| i),
                );
            } else {
                out.extend(self.index(&v.raw));
            }
        }
        out
    }

    /// The raw columns read only as counts (value columns the mapping does not also map to a
    /// canonical column): their "no value" markers are made empty as their text is gathered.
    pub(super) fn count_indices(&self) -> std::collections::BTreeSet<usize> {
        let mapped: Vec<usize> =
            self.source.columns.iter().filter_map(|(_, h)| self.index(h)).collect();
        self.value_indices().into_iter().filter(|i| !mapped.contains(i)).collect()
    }

    /// Does the header match one of the mapping's patterns (so it is not left unmapped)?
    pub(super) fn patterned(source: &crate::spec::SourceSpec, h: &str) -> bool {
        source
            .values
            .iter()
            .filter(|v| v.is_pattern())
            .any(|v| matches(&pieces(&v.raw), h.trim()).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::{matches, pieces};

    #[test]
    fn year_and_stage_from_headers() {
        let p = pieces("{year} {stage}");
        assert_eq!(matches(&p, "2010 Primary"), Some((Some("2010"), Some("Primary"))));
        assert_eq!(
            matches(&p, "2010 Lower secondary"),
            Some((Some("2010"), Some("Lower secondary")))
        );
        assert_eq!(matches(&p, "Province"), None);
        let p = pieces("{year}年 {stage}");
        assert_eq!(matches(&p, "2019年 小学"), Some((Some("2019"), Some("小学"))));
        let p = pieces("Pupils {year} (thousands)");
        assert_eq!(matches(&p, "Pupils 2012 (thousands)"), Some((Some("2012"), None)));
        assert_eq!(matches(&p, "Pupils 201 (thousands)"), None);
    }
}
