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
    /// A retired code with several successors (a split): its history cannot be re-mapped and
    /// counts as reported.
    Split,
}

/// How boundary changes are published (`boundaries` in the pipeline file).
pub use crate::spec::Boundaries;

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

/// One row of the code map.
struct MapRow {
    by: &'static str,
    key: String,
    counted: Counted,
    label: String,
    /// The division itself (its own code and years in force), where the key names one.
    own: Option<(String, Option<i32>, Option<i32>)>,
}

impl MapRow {
    fn of(
        by: &'static str,
        key: String,
        counted: Counted,
        label: String,
        d: Option<&Division>,
    ) -> Self {
        let own = d.map(|d| (d.code.clone(), d.valid_from, d.valid_to));
        MapRow { by, key, counted, label, own }
    }

    fn frame(rows: &[MapRow]) -> Result<DataFrame> {
        let text = |f: &dyn Fn(&MapRow) -> Option<String>| rows.iter().map(f).collect::<Vec<_>>();
        let year = |f: &dyn Fn(&MapRow) -> Option<i32>| rows.iter().map(f).collect::<Vec<_>>();
        frame(vec![
            Column::new("__by".into(), rows.iter().map(|r| r.by).collect::<Vec<_>>()),
            Column::new("__code".into(), text(&|r| Some(r.key.clone()))),
            Column::new("__canonical".into(), text(&|r| r.counted.0.clone())),
            Column::new("__status".into(), rows.iter().map(|r| r.counted.1).collect::<Vec<_>>()),
            Column::new("__label".into(), text(&|r| Some(r.label.clone()))),
            Column::new("__own".into(), text(&|r| r.own.as_ref().map(|o| o.0.clone()))),
            Column::new("__valid_from".into(), year(&|r| r.own.as_ref().and_then(|o| o.1))),
            Column::new("__valid_to".into(), year(&|r| r.own.as_ref().and_then(|o| o.2))),
        ])
    }
}

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

impl Division {
    /// The codes it was succeeded by (`successor_code`, `;`-separated: several for a split).
    pub fn successors(&self) -> Vec<&str> {
        self.successor_code
            .as_deref()
            .map(|s| s.split(';').map(str::trim).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default()
    }

    /// Was the code in force in `year`?
    pub fn in_force(&self, year: i32) -> bool {
        self.valid_from.is_none_or(|f| f <= year) && self.valid_to.is_none_or(|t| year <= t)
    }
}

impl Divisions {
    /// The division table as published (`divisions.parquet`): every row in code order, codes as
    /// text, aliases `;`-separated as delivered, so a run's outputs can be rolled up or named
    /// without the input file.
    pub fn to_frame(&self) -> Result<DataFrame> {
        let mut rows: Vec<&Division> = self.rows.iter().collect();
        rows.sort_by(|a, b| a.code.cmp(&b.code));
        let text = |f: &dyn Fn(&Division) -> Option<String>| {
            rows.iter().map(|d| f(d)).collect::<Vec<Option<String>>>()
        };
        let year =
            |f: &dyn Fn(&Division) -> Option<i32>| rows.iter().map(|d| f(d)).collect::<Vec<_>>();
        frame(vec![
            Column::new("code".into(), text(&|d| Some(d.code.clone()))),
            Column::new("name_zh".into(), text(&|d| Some(d.name_zh.clone()))),
            Column::new("name_en".into(), text(&|d| Some(d.name_en.clone()))),
            Column::new("level".into(), text(&|d| Some(d.level.clone()))),
            Column::new("parent_code".into(), text(&|d| d.parent_code.clone())),
            Column::new("valid_from".into(), year(&|d| d.valid_from)),
            Column::new("valid_to".into(), year(&|d| d.valid_to)),
            Column::new("successor_code".into(), text(&|d| d.successor_code.clone())),
            Column::new("aliases".into(), text(&|d| Some(d.aliases.join(";")))),
        ])
    }

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
            if let Some(s) =
                d.successors().into_iter().find(|s| !divisions.by_code.contains_key(*s))
            {
                return Err(bad(0, format!("{}: successor {s} is not in the table", d.code)));
            }
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
            if d.successors().len() > 1 {
                return Some(if hops == 0 {
                    Resolution::Split
                } else {
                    Resolution::RetiredWithoutSuccessor
                });
            }
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
            Some(Resolution::Split) => (Some(code.to_string()), "split"),
            _ => (None, "retired_no_successor"),
        }
    }

    /// `__by, __code → __canonical, __status, __label, __own, __valid_from, __valid_to` for every
    /// code in the table (`__by` = "code") and every name and alias (`__by` = "name", `__code`
    /// the name in lower case, `__label` as written); `__own` and its years in force are the
    /// division the key names. A name that two regions counted under different codes share has
    /// status `ambiguous`. Ingest joins raw codes or names against it.
    pub fn code_map(&self) -> Result<DataFrame> {
        let mut rows: Vec<MapRow> = Vec::new();
        for d in &self.rows {
            let (canonical, status) = self.counted_as(&d.code);
            rows.push(MapRow::of(
                "code",
                d.code.clone(),
                (canonical, status),
                d.code.clone(),
                Some(d),
            ));
        }
        let mut names: BTreeMap<String, (String, Vec<&Division>)> = BTreeMap::new();
        for d in &self.rows {
            let all = [&d.name_zh, &d.name_en].into_iter().chain(&d.aliases);
            for name in all.filter(|n| !n.is_empty()) {
                let entry = names
                    .entry(name.trim().to_lowercase())
                    .or_insert_with(|| (name.clone(), Vec::new()));
                if !entry.1.iter().any(|e| e.code == d.code) {
                    entry.1.push(d);
                }
            }
        }
        for (key, (label, divisions)) in names {
            let counted: Vec<Counted> =
                divisions.iter().map(|d| self.counted_as(&d.code)).collect();
            let row = match (divisions.as_slice(), counted.iter().all(|c| *c == counted[0])) {
                ([d], _) => MapRow::of("name", key, counted[0].clone(), label, Some(d)),
                (_, true) => MapRow::of("name", key, counted[0].clone(), label, None),
                _ => MapRow::of("name", key, (None, "ambiguous"), label, None),
            };
            rows.push(row);
        }
        MapRow::frame(&rows)
    }

    /// Every code above the townships, current or retired, and every region it counts in:
    /// `from_code, from_level, region_code, region_level` (itself, its city, its province).
    /// Which of them publish in a year is [`Divisions::in_force`]'s answer.
    pub fn rollup(&self) -> Result<DataFrame> {
        let (mut from, mut from_level, mut region, mut level) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for d in self.rows.iter().filter(|d| d.level != TOWNSHIP) {
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

    /// `year, region_code`: the codes above the townships that publish in each of `years`. As
    /// reported, a code publishes in the years it was in force. With constant boundaries, every
    /// current code publishes in every year (history re-mapped onto it), except the successors of
    /// a split before it; and a split code publishes in the years it was in force.
    pub fn in_force(&self, (first, last): (i32, i32), boundaries: Boundaries) -> Result<DataFrame> {
        // The successors of every split, gathered once (not a scan of the table per code).
        let split_successors: std::collections::BTreeSet<&str> =
            self.rows.iter().map(|r| r.successors()).filter(|s| s.len() > 1).flatten().collect();
        let split_successor = |code: &str| split_successors.contains(code);
        let (mut years, mut codes) = (Vec::new(), Vec::new());
        for d in self.rows.iter().filter(|d| d.level != TOWNSHIP) {
            let split = d.successors().len() > 1;
            for y in first..=last {
                let publishes = match boundaries {
                    Boundaries::AsReported => d.in_force(y),
                    Boundaries::Constant if split => d.in_force(y),
                    Boundaries::Constant if d.valid_to.is_some() => false,
                    Boundaries::Constant => !split_successor(&d.code) || d.in_force(y),
                };
                if publishes {
                    years.push(y);
                    codes.push(d.code.clone());
                }
            }
        }
        frame(vec![Column::new("year".into(), years), Column::new("region_code".into(), codes)])
    }

    /// Codes on either side of a split (`successor_code` listing several): their series break.
    pub fn split_codes(&self) -> Vec<String> {
        let mut out = Vec::new();
        for d in self.rows.iter().filter(|d| d.successors().len() > 1) {
            out.push(d.code.clone());
            out.extend(d.successors().into_iter().map(str::to_string));
        }
        out
    }

    /// `region_code, region_name` of every code (retired ones publish under boundaries as
    /// reported).
    pub fn names(&self) -> Result<DataFrame> {
        let current: Vec<&Division> = self.rows.iter().collect();
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
