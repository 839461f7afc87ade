//! The sample's class tables: classes per school and stage by size band, and kindergarten
//! classes within and over the norm of their type.

use super::{BadRow, Dice, FileRows, Pupils, Setting, normal, over_plan, split};

/// Size bands of the class tables (班额情况), lower bounds.
const BANDS: &[(&str, i64)] = &[
    ("25人及以下", 0),
    ("26-30人", 26),
    ("31-35人", 31),
    ("36-40人", 36),
    ("41-45人", 41),
    ("46-50人", 46),
    ("51-55人", 51),
    ("56-60人", 56),
    ("61-65人", 61),
    ("66人及以上", 66),
];

/// Class files per year: schools' classes by size band; kindergartens' classes within and
/// over the norm of their class type (小班 25, 中班 30, 大班 35, 混合班 30). Crowded counties run
/// large classes that shrink from 2017 to 2020, as Guangxi's 大班额 plan required.
pub fn classes(
    dice: &mut Dice,
    at: &Setting,
    pupils: &Pupils,
    bad: &mut Vec<BadRow>,
) -> Vec<FileRows> {
    let Setting { p: preset, counties, schools, .. } = *at;
    let mut header: Vec<String> = vec!["学校标识码".into(), "学段".into()];
    header.extend(BANDS.iter().map(|(b, _)| b.to_string()));
    let kg_header: Vec<String> = [
        "学校标识码",
        "小班达标班数",
        "小班超额班数",
        "中班达标班数",
        "中班超额班数",
        "大班达标班数",
        "大班超额班数",
        "混合班达标班数",
        "混合班超额班数",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut files = Vec::new();
    for year in preset.years.iter().copied() {
        let easing = over_plan([1.0, 0.75, 0.5, 0.3], year);
        let mut rows = Vec::new();
        let mut kg_rows = Vec::new();
        for s in schools.iter().filter(|s| s.opened <= year) {
            let crowding = counties[s.county].crowding;
            let (stage_zh, stage, base) = match s.kind {
                "primary" | "teaching_point" => ("小学", "primary", 40.0),
                "junior" => ("初中", "junior", 46.0),
                "senior_general" => ("普通高中", "senior_general", 48.0),
                "kindergarten" => ("", "preschool", 0.0),
                _ => continue,
            };
            let Some(n) = pupils.get(&(year, s.id.clone(), stage)).copied() else { continue };
            if stage == "preschool" {
                kg_rows.push(kindergarten_row(dice, &s.id, n, (crowding, easing)));
                continue;
            }
            let mut row = vec![s.id.clone(), stage_zh.to_string()];
            let mean = base + 16.0 * crowding * easing;
            row.extend(size_bands(dice, n, mean).iter().map(|b| b.to_string()));
            rows.push(row);
        }
        let name = format!("classes_{year}.csv");
        if year == 2019 && preset.guangxi_extras {
            let mut r = rows[0].clone();
            r[1] = "高中".into();
            rows.push(r);
            bad.push(BadRow {
                file: name.clone(),
                what: "last row: 学段 高中 is not a stage of the mapping (普通高中 is)",
                rule: "code.unknown_value",
            });
        }
        files.push((name, header.clone(), rows));
        files.push((format!("kindergarten_classes_{year}.csv"), kg_header.clone(), kg_rows));
    }
    files
}

/// A kindergarten's classes of each type, within and over the norm.
fn kindergarten_row(
    dice: &mut Dice,
    id: &str,
    children: i64,
    (crowding, easing): (f64, f64),
) -> Vec<String> {
    let total = ((children as f64 / 28.0).round() as i64).max(1);
    let over_share = (0.04 + 0.20 * crowding * easing).min(0.9);
    let mut row = vec![id.to_string()];
    for t in split(total, &[0.3, 0.33, 0.33, 0.04]) {
        let over = (t as f64 * over_share * dice.uniform(0.5, 1.5)).round().min(t as f64) as i64;
        row.push((t - over).to_string());
        row.push(over.to_string());
    }
    row
}

/// Classes per size band for `pupils` in classes of about `mean`: sizes drawn around the mean,
/// then scaled so that they add up to the school's pupils (every pupil sits in one class, as
/// the capacity check expects).
fn size_bands(dice: &mut Dice, pupils: i64, mean: f64) -> Vec<i64> {
    let count = ((pupils as f64 / mean).round() as i64).max(1);
    let draws: Vec<f64> = (0..count).map(|_| normal(dice, mean, 5.0).max(1.0)).collect();
    let mut bands = vec![0i64; BANDS.len()];
    for size in split(pupils, &draws) {
        let b = BANDS.iter().rposition(|(_, lo)| size >= *lo).unwrap_or(0);
        bands[b] += 1;
    }
    bands
}
