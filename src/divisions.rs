//! The division table (GB/T 2260 codes, or any scheme): which codes exist, which were retired
//! and into what, their names, and how each level rolls up into the ones above. Codes stay text
//! everywhere.

use std::collections::BTreeMap;
use std::path::Path;

use crate::decode::decode;
use crate::error::{Error, Result};
use crate::frame::{Column, DataFrame, frame};
use crate::spec::Encoding;

/// The level of units below the reporting level (townships of a county), in any pipeline.
pub const TOWNSHIP: &str = "township";

/// The most levels a division hierarchy may have.
const MAX_DEPTH: usize = 16;

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
    /// Other names the region goes by in deliveries (`aliases` column, `;`-separated).
    pub aliases: Vec<String>,
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

/// The code a division counts under, and its status.
type Counted = (Option<String>, &'static str);

/// The header: [`HEADER`], optionally followed by `aliases`.
fn check_header(header: &[String]) -> std::result::Result<(), String> {
    let with_aliases =
        header.len() == HEADER.len() + 1 && header.last().is_some_and(|h| h == "aliases");
    if header[..header.len().min(HEADER.len())] != *HEADER
        || header.len() > HEADER.len() && !with_aliases
        || header.len() < HEADER.len()
    {
        return Err(format!(
            "division table header must be {} (optionally followed by aliases)",
            HEADER.join(",")
        ));
    }
    Ok(())
}

/// One record of the division table, or what is wrong with it.
fn division(record: &csv::StringRecord) -> std::result::Result<Division, String> {
    let opt = |i: usize| record.get(i).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let year = |i: usize| -> std::result::Result<Option<i32>, String> {
        opt(i)
            .map(|s| s.parse::<i32>().map_err(|_| format!("{}: {s:?} is not a year", HEADER[i])))
            .transpose()
    };
    let code = opt(0).ok_or_else(|| "code is empty".to_string())?;
    if !crate::spec::is_region_code(&code) {
        return Err(format!(
            "code {code:?} is not a code: ASCII letters, digits, '-', '_' or '.', at most 32"
        ));
    }
    let level = opt(3).ok_or_else(|| "level is empty".to_string())?;
    let aliases = opt(8)
        .map(|a| a.split(';').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    Ok(Division {
        code,
        name_zh: opt(1).unwrap_or_default(),
        name_en: opt(2).unwrap_or_default(),
        level,
        parent_code: opt(4),
        valid_from: year(5)?,
        valid_to: year(6)?,
        successor_code: opt(7),
        aliases,
    })
}

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
        check_header(&header).map_err(|m| bad(1, m))?;
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record
                .map_err(|e| bad(e.position().map_or(0, |p| p.line() as usize), e.to_string()))?;
            let line = record.position().map_or(0, |p| p.line() as usize);
            rows.push(division(&record).map_err(|m| bad(line, m))?);
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

    /// Every level is one the pipeline declares (`levels`, top first) or `township` (units below
    /// the reporting level); `path` names the table in the message.
    pub fn check_levels(&self, levels: &[String], path: &Path) -> Result<()> {
        for (i, d) in self.rows.iter().enumerate() {
            if d.level != TOWNSHIP && !levels.contains(&d.level) {
                return Err(Error::Input {
                    file: path.to_path_buf(),
                    location: (i + 2).to_string(),
                    message: format!(
                        "{}: level {:?} is not one the pipeline declares (levels = [{}], or {TOWNSHIP} below the last)",
                        d.code,
                        d.level,
                        levels.iter().map(|l| format!("{l:?}")).collect::<Vec<_>>().join(", ")
                    ),
                });
            }
        }
        Ok(())
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

    /// The code a division counts under and its status (current, retired,
    /// retired_no_successor).
    fn counted_as(&self, code: &str) -> (Option<String>, &'static str) {
        match self.resolve(code) {
            Some(Resolution::Current(c)) => (Some(c), "current"),
            Some(Resolution::Retired { successor }) => (Some(successor), "retired"),
            _ => (None, "retired_no_successor"),
        }
    }

    /// `__by, __code → __canonical, __status, __label` for every code in the table (`__by` =
    /// "code") and every name and alias (`__by` = "name", `__code` the name in lower case,
    /// `__label` as written). A name that two regions counted under different codes share has
    /// status `ambiguous`. Ingest joins raw codes or names against it.
    pub fn code_map(&self) -> Result<DataFrame> {
        let mut rows: Vec<(&str, String, Option<String>, &str, String)> = Vec::new();
        for d in &self.rows {
            let (canonical, status) = self.counted_as(&d.code);
            rows.push(("code", d.code.clone(), canonical, status, d.code.clone()));
        }
        let mut names: BTreeMap<String, (String, Vec<Counted>)> = BTreeMap::new();
        for d in &self.rows {
            let counted = self.counted_as(&d.code);
            let all = [&d.name_zh, &d.name_en].into_iter().chain(&d.aliases);
            for name in all.filter(|n| !n.is_empty()) {
                let entry = names
                    .entry(name.trim().to_lowercase())
                    .or_insert_with(|| (name.clone(), Vec::new()));
                if !entry.1.contains(&counted) {
                    entry.1.push(counted.clone());
                }
            }
        }
        for (key, (label, counted)) in names {
            let (canonical, status) = match counted.as_slice() {
                [(c, s)] => (c.clone(), *s),
                _ => (None, "ambiguous"),
            };
            rows.push(("name", key, canonical, status, label));
        }
        frame(vec![
            Column::new("__by".into(), rows.iter().map(|r| r.0).collect::<Vec<_>>()),
            Column::new("__code".into(), rows.iter().map(|r| r.1.clone()).collect::<Vec<_>>()),
            Column::new("__canonical".into(), rows.iter().map(|r| r.2.clone()).collect::<Vec<_>>()),
            Column::new("__status".into(), rows.iter().map(|r| r.3).collect::<Vec<_>>()),
            Column::new("__label".into(), rows.iter().map(|r| r.4.clone()).collect::<Vec<_>>()),
        ])
    }

    /// Every current province, city or county code and every region it counts in:
    /// `from_code, from_level, region_code, region_level` (itself, its city, its province).
    pub fn rollup(&self) -> Result<DataFrame> {
        let (mut from, mut from_level, mut region, mut level) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for d in self.rows.iter().filter(|d| d.level != TOWNSHIP && d.valid_to.is_none()) {
            let mut at = Some(d);
            let mut guard = 0;
            while let Some(r) = at {
                from.push(d.code.clone());
                from_level.push(d.level.clone());
                region.push(r.code.clone());
                level.push(r.level.clone());
                at = r.parent_code.as_deref().and_then(|p| self.get(p));
                guard += 1;
                if guard > MAX_DEPTH {
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
