//! `edustat export`: a published run as one workbook for Excel users — a README sheet (the run,
//! its sources and the catalogue in Chinese and English), the targets with their statuses in
//! colour, one sheet per indicator family (regions down with their hierarchy in columns, years
//! across), and every indicator row as one long Excel table to pivot. Codes stay text, numbers
//! carry their unit's format, and no cell is a formula. The same run gives the same bytes.
//!
//! This file reads the run; `book.rs` holds the workbook's formats and sheet plumbing,
//! `sheets.rs` the README and targets, `families.rs` the wide and long indicator sheets.

mod book;
mod families;
mod sheets;

use std::collections::BTreeMap;
use std::path::Path;

use crate::catalogue::Described;
use crate::error::{Error, Result};
use crate::frame::{self, Rows};
use crate::manifest::Manifest;
use crate::run_folder;

/// What the workbook is written from.
#[derive(Debug)]
pub struct Run {
    pub manifest: Manifest,
    /// Catalogue entries in the pipeline's order.
    pub catalogue: Vec<Described>,
    pub targets: frame::DataFrame,
    pub indicators: frame::DataFrame,
    pub regions: Regions,
    /// indicator → its position in `catalogue`.
    positions: BTreeMap<String, usize>,
}

impl Run {
    /// The catalogue entry of an indicator.
    pub fn entry(&self, indicator: &str) -> Option<&Described> {
        self.positions.get(indicator).map(|i| &self.catalogue[*i])
    }
}

/// The division table as the sheets need it: names, and where each region sits.
#[derive(Debug, Default)]
pub struct Regions {
    /// code → (name, level, parent code).
    pub by_code: BTreeMap<String, (String, String, Option<String>)>,
    /// The levels above the reporting units, top first: each gets a code and a name column.
    pub upper_levels: Vec<String>,
    /// code → its path from the top ([`Regions::path`]), for every code of the table.
    paths: BTreeMap<String, Vec<String>>,
}

impl Regions {
    /// The codes from the top of the hierarchy down to `code` itself (a sort key that puts
    /// every region right after its parent).
    pub fn path(&self, code: &str) -> Vec<String> {
        match self.paths.get(code) {
            Some(p) => p.clone(),
            None => self.walk(code),
        }
    }

    fn walk(&self, code: &str) -> Vec<String> {
        let mut path = vec![code.to_string()];
        let mut at = self.by_code.get(code).and_then(|r| r.2.clone());
        while let Some(parent) = at {
            if path.len() > 16 || path.contains(&parent) {
                break;
            }
            at = self.by_code.get(&parent).and_then(|r| r.2.clone());
            path.push(parent);
        }
        path.reverse();
        path
    }

    /// The region of `level` that `code` lies in (or is), with its name.
    pub fn ancestor(&self, code: &str, level: &str) -> Option<(&str, &str)> {
        let path = self.paths.get(code)?;
        path.iter().find_map(|c| {
            let (name, l, _) = self.by_code.get(c)?;
            (l == level).then_some((c.as_str(), name.as_str()))
        })
    }
}

/// Write the workbook of the run in `dir` to `to` (through a temporary file beside it,
/// renamed into place: Excel never opens half a workbook).
pub fn write(dir: &Path, to: &Path) -> Result<()> {
    let run = read(dir)?;
    let folder = match to.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = to.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let partial = folder.join(format!(".{name}.partial.xlsx"));
    let written = book::workbook(&run, &partial);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    std::fs::rename(&partial, to).map_err(|e| Error::io(to, e))
}

/// Every table the workbook shows, each checked against the run's manifest first.
pub fn read(dir: &Path) -> Result<Run> {
    let catalogue = catalogue(dir)?;
    let positions = catalogue.iter().enumerate().map(|(i, e)| (e.id.clone(), i)).collect();
    Ok(Run {
        manifest: Manifest::read(dir)?,
        catalogue,
        targets: run_folder::table(dir, "targets.parquet")?,
        indicators: run_folder::table(dir, "indicators.parquet")?,
        regions: regions(dir)?,
        positions,
    })
}

fn catalogue(dir: &Path) -> Result<Vec<Described>> {
    let df = run_folder::table(dir, "catalogue.parquet")?;
    let names =
        ["indicator", "family", "name_zh", "name_en", "unit", "definition", "methodology", "plan"];
    let r = Rows::read(&df, &names, &[], &[])?;
    let t = |c: &str, i: usize| r.text(c, i).unwrap_or_default().to_string();
    Ok((0..r.height())
        .map(|i| Described {
            id: t("indicator", i),
            family: t("family", i),
            name_zh: t("name_zh", i),
            name_en: t("name_en", i),
            unit: t("unit", i),
            definition: t("definition", i),
            methodology: t("methodology", i),
            plan: t("plan", i),
        })
        .collect())
}

fn regions(dir: &Path) -> Result<Regions> {
    let df = run_folder::table(dir, "divisions.parquet")?;
    let r = Rows::read(&df, &["code", "name_zh", "level", "parent_code"], &[], &[])?;
    let t = |c: &str, i: usize| r.text(c, i).unwrap_or_default().to_string();
    let mut regions = Regions::default();
    for i in 0..r.height() {
        let parent = r.text("parent_code", i).map(str::to_string);
        regions.by_code.insert(t("code", i), (t("name_zh", i), t("level", i), parent));
    }
    regions.paths = regions.by_code.keys().map(|c| (c.clone(), regions.walk(c))).collect();
    // Levels by depth (the shallowest region of each), townships and the deepest left out.
    let mut depth: BTreeMap<String, usize> = BTreeMap::new();
    for (code, (_, level, _)) in &regions.by_code {
        let d = regions.path(code).len();
        let e = depth.entry(level.clone()).or_insert(d);
        *e = (*e).min(d);
    }
    depth.remove(crate::divisions::TOWNSHIP);
    let mut levels: Vec<(usize, String)> = depth.into_iter().map(|(l, d)| (d, l)).collect();
    levels.sort();
    levels.pop();
    regions.upper_levels = levels.into_iter().map(|(_, l)| l).collect();
    Ok(regions)
}
