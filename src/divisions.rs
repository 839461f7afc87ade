//! The division table (GB/T 2260 codes): which codes exist, which were retired and into what,
//! and how counties roll up into cities and the province. Codes stay text everywhere.

use std::collections::BTreeMap;
use std::path::Path;

use crate::decode::decode;
use crate::error::{Error, Result};
use crate::frame::{Column, DataFrame, frame};
use crate::spec::Encoding;

/// One row of the division table.
#[derive(Debug, Clone)]
pub struct Division {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub level: String,
    pub parent_code: Option<String>,
    pub valid_from: Option<i32>,
    pub valid_to: Option<i32>,
    pub successor_code: Option<String>,
}

/// The loaded division table and the lookups derived from it.
#[derive(Debug, Clone)]
pub struct Divisions {
    pub rows: Vec<Division>,
    by_code: BTreeMap<String, usize>,
}

/// What a code found in a raw file resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    Current(String),
    /// A retired code and the current code it rolls up into.
    Retired {
        successor: String,
    },
    RetiredWithoutSuccessor,
}

/// The division table's header, as `edustat sample` writes it and `load` reads it.
pub const HEADER: &[&str] = &[
    "code",
    "name_zh",
    "name_en",
    "level",
    "parent_code",
    "valid_from",
    "valid_to",
    "successor_code",
];

impl Divisions {
    /// Read the canonical division CSV (UTF-8, the canonical English headers of `edustat sample`'s divisions.csv).
    pub fn load(path: &Path) -> Result<Divisions> {
        let bad = |line: usize, message: String| Error::Input {
            file: path.to_path_buf(),
            location: line.to_string(),
            message,
        };
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let (text, _) = decode(&bytes, Encoding::Utf8).map_err(|e| bad(e.line, e.message))?;
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| bad(1, e.to_string()))?
            .iter()
            .map(str::to_string)
            .collect();
        if header != HEADER {
            return Err(bad(1, format!("division table header must be {}", HEADER.join(","))));
        }
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record
                .map_err(|e| bad(e.position().map_or(0, |p| p.line() as usize), e.to_string()))?;
            let line = record.position().map_or(0, |p| p.line() as usize);
            let opt = |i: usize| {
                record.get(i).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
            };
            let year = |i: usize| -> Result<Option<i32>> {
                opt(i)
                    .map(|s| {
                        s.parse::<i32>()
                            .map_err(|_| bad(line, format!("{}: {s:?} is not a year", HEADER[i])))
                    })
                    .transpose()
            };
            let code = opt(0).ok_or_else(|| bad(line, "code is empty".into()))?;
            if code.len() != 6 && code.len() != 9 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(line, format!("code {code:?} is not a 6- or 9-digit code")));
            }
            let level = opt(3).unwrap_or_default();
            if !["province", "city", "county", "township"].contains(&level.as_str()) {
                return Err(bad(
                    line,
                    format!("level {level:?} must be province, city, county or township"),
                ));
            }
            rows.push(Division {
                code,
                name_zh: opt(1).unwrap_or_default(),
                name_en: opt(2).unwrap_or_default(),
                level,
                parent_code: opt(4),
                valid_from: year(5)?,
                valid_to: year(6)?,
                successor_code: opt(7),
            });
        }
        let mut by_code = BTreeMap::new();
        for (i, d) in rows.iter().enumerate() {
            if by_code.insert(d.code.clone(), i).is_some() {
                return Err(bad(i + 2, format!("code {} appears twice", d.code)));
            }
        }
        let divisions = Divisions { rows, by_code };
        for d in &divisions.rows {
            if let Some(p) = &d.parent_code
                && !divisions.by_code.contains_key(p)
            {
                return Err(bad(0, format!("{}: parent {p} is not in the table", d.code)));
            }
        }
        Ok(divisions)
    }

    pub fn get(&self, code: &str) -> Option<&Division> {
        self.by_code.get(code).map(|i| &self.rows[*i])
    }

    /// Resolve a code to the current code it counts under, following successors.
    pub fn resolve(&self, code: &str) -> Option<Resolution> {
        let mut d = self.get(code)?;
        let mut hops = 0;
        while d.valid_to.is_some() {
            let Some(next) = d.successor_code.as_deref().and_then(|s| self.get(s)) else {
                return Some(Resolution::RetiredWithoutSuccessor);
            };
            d = next;
            hops += 1;
            if hops > self.rows.len() {
                return Some(Resolution::RetiredWithoutSuccessor);
            }
        }
        if hops == 0 {
            Some(Resolution::Current(d.code.clone()))
        } else {
            Some(Resolution::Retired { successor: d.code.clone() })
        }
    }

    /// `code → canonical_code, status` for every code in the table (status: current, retired,
    /// retired_no_successor). Ingest joins raw codes against it.
    pub fn code_map(&self) -> Result<DataFrame> {
        let mut code = Vec::new();
        let mut canonical = Vec::new();
        let mut status = Vec::new();
        for d in &self.rows {
            code.push(d.code.clone());
            match self.resolve(&d.code) {
                Some(Resolution::Current(c)) => {
                    canonical.push(Some(c));
                    status.push("current");
                }
                Some(Resolution::Retired { successor }) => {
                    canonical.push(Some(successor));
                    status.push("retired");
                }
                _ => {
                    canonical.push(None);
                    status.push("retired_no_successor");
                }
            }
        }
        frame(vec![
            Column::new("__code".into(), code),
            Column::new("__canonical".into(), canonical),
            Column::new(
                "__status".into(),
                status.into_iter().map(str::to_string).collect::<Vec<_>>(),
            ),
        ])
    }

    /// Every current province, city or county code and every region it counts in:
    /// `from_code, from_level, region_code, region_level` (itself, its city, its province).
    pub fn rollup(&self) -> Result<DataFrame> {
        let (mut from, mut from_level, mut region, mut level) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for d in self.rows.iter().filter(|d| d.level != "township" && d.valid_to.is_none()) {
            let mut at = Some(d);
            let mut guard = 0;
            while let Some(r) = at {
                from.push(d.code.clone());
                from_level.push(d.level.clone());
                region.push(r.code.clone());
                level.push(r.level.clone());
                at = r.parent_code.as_deref().and_then(|p| self.get(p));
                guard += 1;
                if guard > 8 {
                    break;
                }
            }
        }
        frame(vec![
            Column::new("from_code".into(), from),
            Column::new("from_level".into(), from_level),
            Column::new("region_code".into(), region),
            Column::new("region_level".into(), level),
        ])
    }

    /// `region_code, region_name` of every current code.
    pub fn names(&self) -> Result<DataFrame> {
        let current: Vec<&Division> = self.rows.iter().filter(|d| d.valid_to.is_none()).collect();
        frame(vec![
            Column::new(
                "region_code".into(),
                current.iter().map(|d| d.code.clone()).collect::<Vec<_>>(),
            ),
            Column::new(
                "region_name".into(),
                current.iter().map(|d| d.name_zh.clone()).collect::<Vec<_>>(),
            ),
        ])
    }
}
