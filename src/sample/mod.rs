//! Synthetic raw deliveries shaped like the real ones (Chinese headers, GB18030 and UTF-8 CSV,
//! XLSX with a title row, wide layouts with 其中：女 columns, retired county codes in early
//! years) and calibrated to published Guangxi magnitudes. Deterministic for a seed and scale.
//! A fixed catalogue of bad rows is appended; `README.md` lists each with its expected rule.

mod classes;
mod guangxi;
mod national;
mod preset;
mod resources;
mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

use crate::error::{Error, Result};
pub use national::national;
pub use preset::Preset;
use preset::over_plan;
use write::{Encoding, write_csv, write_xlsx};

/// Uniform draws from a portable seeded generator.
struct Dice(ChaCha8Rng);

impl Dice {
    fn new(seed: u64) -> Self {
        Dice(ChaCha8Rng::seed_from_u64(seed))
    }
    /// Uniform in [lo, hi).
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
    }
}

struct County {
    code: String,
    name: String,
    city: usize,
    weight: f64,
    preschool: f64,
    senior: f64,
    higher: f64,
    /// 0 (roomy) … 1 (crowded): how far class sizes run above the norm.
    crowding: f64,
    /// 0 (even) … 1 (uneven): how much schools of the county differ in resources per pupil.
    imbalance: f64,
    /// Townships (乡镇) with schools, scaled with the sample.
    townships: usize,
    /// The codes the county had before: (old code, old name, last school year used).
    earlier: Vec<(String, String, i32)>,
}

impl County {
    /// The code and name a delivery of `year` uses (retired codes before their change).
    fn code_in(&self, year: i32) -> (&str, &str) {
        for (old, name, last) in &self.earlier {
            if year <= *last {
                return (old, name);
            }
        }
        (&self.code, &self.name)
    }
}

struct School {
    id: String,
    name: String,
    county: usize,
    kind: &'static str,
    public: bool,
    area: &'static str,
    township: String,
    /// First school year the school exists.
    opened: i32,
    weight: f64,
    /// From this school year a public kindergarten is its township's central kindergarten.
    central_from: Option<i32>,
    /// From this school year a kindergarten is a regional demonstration kindergarten.
    demonstration_from: Option<i32>,
    /// From this school year a private kindergarten is recognised as inclusive (普惠).
    inclusive_from: Option<i32>,
}

/// A bad row the sample carries on purpose, and what edustat must do with it.
pub struct BadRow {
    pub file: String,
    pub what: &'static str,
    pub rule: &'static str,
}

/// The files of a sample being written, and the bad rows planted in them.
struct Delivery<'a> {
    out: &'a Path,
    written: Vec<PathBuf>,
    bad: Vec<BadRow>,
    /// Whether bad rows are planted (the bundled Guangxi sample's catalogue).
    extras: bool,
}

/// A file's name, header and rows.
type Table = (String, Vec<String>, Vec<Vec<String>>);

impl Delivery<'_> {
    fn csv(
        &mut self,
        name: &str,
        header: &[&str],
        rows: &[Vec<String>],
        e: Encoding,
    ) -> Result<()> {
        self.written.push(write_csv(self.out, name, header, rows, e)?);
        Ok(())
    }

    fn tables(&mut self, tables: Vec<Table>, encoding: Encoding) -> Result<()> {
        for (name, header, rows) in tables {
            let header: Vec<&str> = header.iter().map(String::as_str).collect();
            self.csv(&name, &header, &rows, encoding)?;
        }
        Ok(())
    }

    fn plant(&mut self, file: &str, what: &'static str, rule: &'static str) {
        if self.extras {
            self.bad.push(BadRow { file: file.into(), what, rule });
        }
    }
}

/// Population by county, year, age: (male, female).
type Population = BTreeMap<(i32, usize, i32), (i64, i64)>;

/// Write the Guangxi sample into `out`; returns the files written.
pub fn guangxi(out: &Path, scale: f64, seed: u64) -> Result<Vec<PathBuf>> {
    Ok(province(out, &Preset::guangxi(), scale, seed)?.0)
}

/// Write one province's delivery into `out`: the files written, and the rows of its division
/// table (written beside the files for Guangxi; the national preset gathers every province's).
pub fn province(
    out: &Path,
    p: &Preset,
    scale: f64,
    seed: u64,
) -> Result<(Vec<PathBuf>, Vec<Vec<String>>)> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let mut dice = Dice::new(seed);
    let mut counties = counties(&mut dice, p);
    let mut d = Delivery { out, written: Vec::new(), bad: Vec::new(), extras: p.guangxi_extras };
    let population = population_files(&mut d, &mut dice, &counties, scale, p)?;
    let schools = schools(&mut dice, &mut counties, scale, p);
    let divisions = division_rows(&counties, p);
    if p.guangxi_extras {
        let written =
            write_csv(out, "divisions.csv", crate::divisions::HEADER, &divisions, Encoding::Utf8)?;
        d.written.push(written);
    }
    let mut pupils = Pupils::new();
    let at = Setting { p, counties: &counties, schools: &schools, population: &population };
    let (kg_files, school_files) = enrolment(&mut dice, &at, &mut d.bad, &mut pupils)?;
    let calibration = calibration(&kg_files, scale, p);
    d.tables(kg_files, Encoding::Utf8Bom)?;
    d.tables(school_files, Encoding::Utf8)?;
    register_file(&mut d, &mut dice, &at, &pupils)?;
    d.tables(resources::teachers(&mut dice, &at, &pupils), Encoding::Utf8)?;
    let (header, rows) = resources::finance(&mut dice, &at, &pupils);
    d.csv("finance.csv", &header, &rows, Encoding::Utf8)?;
    if p.guangxi_extras {
        let (header, rows) = resources::exchange();
        d.csv("exchange.csv", &header, &rows, Encoding::Utf8)?;
    }
    // Higher education by origin (per county) and by location (province).
    let (header, rows) = higher_education(&mut dice, &at);
    d.plant(
        "higher_education.csv",
        "last row has 3 fields where the header has 14",
        "row.field_count",
    );
    d.csv("higher_education.csv", &header, &rows, Encoding::Utf8)?;
    // Classes by size band (schools) and within / over the norm (kindergartens).
    let classes = classes::classes(&mut dice, &at, &pupils, &mut d.bad);
    d.tables(classes, Encoding::Utf8)?;
    let (header, rows) = history(&mut dice, &counties, scale, p);
    d.plant(
        "regional_enrolment.csv",
        "last row: year 2005 is before the pipeline's history_from (2009)",
        "year.out_of_range",
    );
    d.csv("regional_enrolment.csv", &header, &rows, Encoding::Utf8)?;
    if p.guangxi_extras {
        let (header, rows) = projects(&mut dice, &counties);
        d.plant(
            "projects.csv",
            "last row: 项目类别 装修食堂 is not a kind of the plan",
            "code.unknown_value",
        );
        d.csv("projects.csv", &header, &rows, Encoding::Utf8)?;
        d.written.push(write::readme(out, scale, seed, &d.bad, &calibration)?);
    }
    Ok((d.written, divisions))
}

/// What every table of one province's delivery is drawn from.
struct Setting<'a> {
    p: &'a Preset,
    counties: &'a [County],
    schools: &'a [School],
    population: &'a Population,
}

/// Kindergartens and children of the 2020 kindergarten file, against the published figures.
fn calibration(kg_files: &[Table], scale: f64, p: &Preset) -> write::Calibration {
    let children_2020: i64 = kg_files
        .last()
        .map(|(_, _, rows)| {
            rows.iter()
                .map(|r| {
                    [4, 6, 8, 10].iter().filter_map(|i| r.get(*i)?.parse::<i64>().ok()).sum::<i64>()
                })
                .sum()
        })
        .unwrap_or(0);
    write::Calibration {
        kindergartens: kg_files.last().map_or(0, |(_, _, rows)| rows.len()),
        kindergartens_published: p.kindergartens * scale,
        children: children_2020,
        children_published: p.children * scale,
    }
}

/// Population: county × age × sex, one file per year, in the formats real deliveries use, each
/// with one planted bad row.
fn population_files(
    d: &mut Delivery,
    dice: &mut Dice,
    counties: &[County],
    scale: f64,
    p: &Preset,
) -> Result<Population> {
    let total_weight: f64 = counties.iter().map(|c| c.weight).sum();
    let mut population = Population::new();
    for year in p.years.iter().copied() {
        let mut rows = Vec::new();
        for (ci, c) in counties.iter().enumerate() {
            let (code, name) = c.code_in(year);
            for age in 0..=100 {
                let people = if age < 100 {
                    p.cohort(year - age) * guangxi::survival(age)
                } else {
                    (100..110).map(|a| p.cohort(year - a) * guangxi::survival(a)).sum()
                };
                let n = people * c.weight / total_weight * scale * dice.uniform(0.97, 1.03);
                let male = (n * guangxi::male_share(age)).round() as i64;
                let female = (n * (1.0 - guangxi::male_share(age))).round() as i64;
                population.insert((year, ci, age), (male, female));
                let age_text =
                    if age == 100 { "100岁及以上".to_string() } else { format!("{age}岁") };
                rows.push(vec![
                    code.to_string(),
                    name.to_string(),
                    age_text,
                    (male + female).to_string(),
                    male.to_string(),
                    female.to_string(),
                ]);
            }
        }
        population_file(d, year, rows, &p.short)?;
    }
    Ok(population)
}

/// One year's population file in the format of that year (GB18030 CSV, UTF-8 CSV in 2018, a
/// workbook with a title row in 2019), its bad row planted where the sample carries them.
fn population_file(
    d: &mut Delivery,
    year: i32,
    mut rows: Vec<Vec<String>>,
    province: &str,
) -> Result<()> {
    let header = ["地区代码", "地区名称", "年龄", "合计", "男", "女"];
    let first = rows[0].clone();
    let text = |cells: &[&str]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    let name = format!("population_{year}.csv");
    match year {
        2017 if d.extras => {
            rows.push(text(&["459999", "不存在县", "5岁", "30", "16", "14"]));
            let what = "last row: region code 459999 is in no division table";
            d.plant("population_2017.csv", what, "code.unknown_region");
            d.csv(&name, &header, &rows, Encoding::Gb18030)
        }
        2018 => {
            if d.extras {
                rows.push(first);
                let what = "last row repeats the first row's county and age";
                d.plant("population_2018.csv", what, "key.duplicate");
            }
            d.csv(&name, &header, &rows, Encoding::Utf8)
        }
        2019 => {
            if d.extras {
                rows.push(text(&[&first[0], &first[1], "150岁", "2", "1", "1"]));
                let what = "last row: age 150岁 is outside 0..=100";
                d.plant("population_2019.xlsx", what, "value.out_of_range");
            }
            let title = format!("2019年{province}分县、分年龄、性别人口（抽样调查推算）");
            let sheet = "分年龄人口";
            let path =
                write_xlsx(d.out, "population_2019.xlsx", sheet, Some(&title), &header, &rows)?;
            d.written.push(path);
            Ok(())
        }
        2020 if d.extras => {
            rows.push(text(&[&first[0], &first[1], &first[2], &first[3], "-12", &first[5]]));
            d.plant("population_2020.csv", "last row: 男 = -12", "count.negative");
            d.csv(&name, &header, &rows, Encoding::Gb18030)
        }
        _ => d.csv(&name, &header, &rows, Encoding::Gb18030),
    }
}

/// The school register, all years in one file, with resources sized by each school's pupils,
/// and two planted bad rows.
fn register_file(d: &mut Delivery, dice: &mut Dice, at: &Setting, pupils: &Pupils) -> Result<()> {
    let mut register = resources::register(dice, at, pupils);
    if !d.extras {
        return d.csv("schools.csv", resources::REGISTER_HEADER, &register, Encoding::Utf8);
    }
    let dup = register
        .iter()
        .find(|r| r[0] == "2018")
        .cloned()
        .ok_or_else(|| Error::Internal("no 2018 school".into()))?;
    register.push(dup);
    d.plant("schools.csv", "last-but-one row repeats the first 2018 school id", "key.duplicate");
    let mut odd = register[0].clone();
    odd[1] = "3999990002".into();
    odd[5] = "培训机构".into();
    register.push(odd);
    d.plant(
        "schools.csv",
        "last row: 办学类型 培训机构 is not a school type",
        "code.unknown_value",
    );
    d.csv("schools.csv", resources::REGISTER_HEADER, &register, Encoding::Utf8)
}

fn counties(dice: &mut Dice, p: &Preset) -> Vec<County> {
    let mut out = Vec::new();
    for (ci, (_, _, _, list)) in p.cities.iter().enumerate() {
        for (code, name) in list {
            let district = name.ends_with('区');
            let earlier = p
                .retired
                .iter()
                .filter(|r| r.3 == *code)
                .map(|(old, name, last, _)| (old.clone(), name.clone(), *last))
                .collect();
            out.push(County {
                code: code.clone(),
                name: name.clone(),
                city: ci,
                weight: dice.uniform(0.35, 1.65) * if district { 0.8 } else { 1.0 },
                preschool: dice.uniform(0.90, 1.10) * if district { 1.08 } else { 1.0 },
                senior: dice.uniform(0.90, 1.10) * if district { 1.1 } else { 1.0 },
                higher: dice.uniform(0.85, 1.15) * if district { 1.15 } else { 1.0 },
                crowding: dice.uniform(0.0, 1.0).powi(2),
                imbalance: dice.uniform(0.0, 1.0).powi(2),
                townships: 0,
                earlier,
            });
        }
    }
    // Rescale the county factors so that their population-weighted mean is 1: the province
    // then lands on the calibrated rate, while counties still vary around it.
    let weight: f64 = out.iter().map(|c| c.weight).sum();
    let mean =
        |f: &dyn Fn(&County) -> f64| out.iter().map(|c| c.weight * f(c)).sum::<f64>() / weight;
    let (p, s, h) = (mean(&|c| c.preschool), mean(&|c| c.senior), mean(&|c| c.higher));
    for c in &mut out {
        c.preschool /= p;
        c.senior /= s;
        c.higher /= h;
    }
    out
}

/// The schools of county `ci`.
fn counties_of(schools: &[School], ci: usize) -> impl Iterator<Item = &School> {
    schools.iter().filter(move |s| s.county == ci)
}

fn kind_zh(kind: &str) -> &'static str {
    match kind {
        "kindergarten" => "幼儿园",
        "primary" => "小学",
        "junior" => "初级中学",
        "senior_general" => "高级中学",
        "secondary_vocational" => "中等职业学校",
        "teaching_point" => "教学点",
        _ => "技工学校",
    }
}

fn schools(dice: &mut Dice, counties: &mut [County], scale: f64, p: &Preset) -> Vec<School> {
    let total: f64 = counties.iter().map(|c| c.weight).sum();
    let mut out = Vec::new();
    // Each city's technical school (技工学校) stands in its most populous county.
    let mut host = vec![usize::MAX; p.cities.len()];
    for (ci, c) in counties.iter().enumerate() {
        if host[c.city] == usize::MAX || c.weight > counties[host[c.city]].weight {
            host[c.city] = ci;
        }
    }
    // Indexed: each county is updated (its townships), then read while its schools are drawn.
    #[allow(clippy::needless_range_loop)]
    for ci in 0..counties.len() {
        let share = counties[ci].weight / total;
        let n = |count: f64| ((count * scale * share).round() as usize).max(1);
        // Townships scale with the sample: about 0.6 per kindergarten, 2 to 12 per county.
        counties[ci].townships = ((n(p.kindergartens) as f64 * 0.6).round() as usize).clamp(2, 12);
        let c = &counties[ci];
        let mut plan: Vec<(&'static str, usize)> = vec![
            ("kindergarten", n(p.kindergartens)),
            // At least 4 primary and 3 junior schools per county, so that school-to-school
            // balance (a CV across a county's schools) means something at small scales.
            ("primary", n(p.primary).max(4)),
            ("junior", n(p.junior).max(3)),
            ("senior_general", n(p.senior_schools)),
            ("secondary_vocational", n(p.vocational)),
        ];
        if p.teaching_points > 0.0 {
            plan.push(("teaching_point", n(p.teaching_points)));
        }
        if host[c.city] == ci {
            plan.push(("technical", 1));
        }
        let mut serial = 0;
        for (kind, count) in plan {
            for k in 0..count {
                serial += 1;
                out.push(one_school(dice, c, ci, kind, (k, count), (serial, p)));
            }
        }
    }
    out
}

/// The `k`-th of `count` schools of a kind in county `c` (`ci`), its id's serial `serial`.
fn one_school(
    dice: &mut Dice,
    c: &County,
    ci: usize,
    kind: &'static str,
    (k, count): (usize, usize),
    (serial, p): (usize, &Preset),
) -> School {
    let townships = c.townships;
    // Kindergartens keep opening: the last ones in each county open in later years.
    let first = p.first_year();
    let opened = if kind == "kindergarten" {
        let position = (k as f64 + 0.5) / count as f64;
        if position < 0.88 {
            first
        } else if position < 0.93 {
            2018.max(first)
        } else if position < 0.97 {
            2019.max(first)
        } else {
            2020.max(first)
        }
    } else {
        first
    };
    let label = match kind {
        "kindergarten" => format!("第{}幼儿园", k + 1),
        "primary" => format!("第{}小学", k + 1),
        "junior" => format!("第{}初级中学", k + 1),
        "senior_general" => format!("第{}高级中学", k + 1),
        "secondary_vocational" => "职业教育中心".to_string(),
        "teaching_point" => format!("第{}教学点", k + 1),
        _ => "技工学校".to_string(),
    };
    let draw = dice.uniform(0.0, 1.0);
    let township_index = k % townships;
    // The first kindergarten of each township is public and becomes its central one.
    let first_in_township = kind == "kindergarten" && k < townships;
    let public = kind != "kindergarten" || first_in_township || draw < 0.3;
    let position = township_index as f64 / townships as f64;
    let central_from = first_in_township.then_some(if position < 0.8 {
        2017
    } else if position < 0.9 {
        2018
    } else if position < 0.97 {
        2019
    } else {
        2020
    });
    // The draws run in this order (then_some takes its argument drawn either way).
    let demonstration_from = (kind == "kindergarten" && (k == 0 || dice.uniform(0.0, 1.0) < 0.06))
        .then_some(2017 + (dice.uniform(0.0, 4.0) as i32).min(3));
    let inclusive_from = (kind == "kindergarten" && !public && dice.uniform(0.0, 1.0) < 0.8)
        .then_some(2017 + (dice.uniform(0.0, 4.0) as i32).min(3));
    let area = if draw < 0.35 {
        "城区"
    } else if draw < 0.7 {
        "镇区"
    } else {
        "乡村"
    };
    School {
        id: p.school_id(&c.code, serial),
        name: format!("{}{}", c.name, label),
        county: ci,
        kind,
        public,
        area,
        township: format!("{}{:03}", c.code, 100 + township_index),
        opened,
        weight: dice.uniform(0.5, 1.5),
        central_from,
        demonstration_from,
        inclusive_from,
    }
}

type FileRows = (String, Vec<String>, Vec<Vec<String>>);

/// Pupils per (year, school id, canonical stage), for the class files.
type Pupils = BTreeMap<(i32, String, &'static str), i64>;

/// Split `total` over `weights` in whole numbers that add up exactly (largest remainders).
fn split(total: i64, weights: &[f64]) -> Vec<i64> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty() || sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut parts: Vec<i64> = exact.iter().map(|x| x.floor() as i64).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|a, b| {
        (exact[*b] - exact[*b].floor()).total_cmp(&(exact[*a] - exact[*a].floor())).then(a.cmp(b))
    });
    let missing = total - parts.iter().sum::<i64>();
    for i in order.into_iter().take(missing.max(0) as usize) {
        parts[i] += 1;
    }
    parts
}

fn pop(
    population: &Population,
    year: i32,
    county: usize,
    ages: std::ops::RangeInclusive<i32>,
) -> f64 {
    ages.map(|a| population.get(&(year, county, a)).map_or(0, |(m, f)| m + f)).sum::<i64>() as f64
}

/// The kindergarten and school enrolment files of every year, with their planted bad rows;
/// `pupils` is filled for the class and resource files.
fn enrolment(
    dice: &mut Dice,
    setting: &Setting,
    bad: &mut Vec<BadRow>,
    pupils: &mut Pupils,
) -> Result<(Vec<FileRows>, Vec<FileRows>)> {
    let Setting { p, counties, schools, population } = *setting;
    let (kg_header, school_header) = enrolment_headers();
    let mut kg_files = Vec::new();
    let mut school_files = Vec::new();
    for (yi, year) in p.years.iter().copied().enumerate() {
        let mut kg_rows: Vec<Vec<String>> = Vec::new();
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut technical_by_city: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
        for (ci, c) in counties.iter().enumerate() {
            let at = Place { year, yi, ci, c, schools, population, p };
            kg_rows.extend(kindergarten_rows(dice, &at, pupils));
            rows.extend(compulsory_rows(dice, &at, pupils));
            let senior = p.senior[yi] / 100.0 * pop(population, year, ci, 15..=17) * c.senior;
            rows.extend(senior_rows(dice, &at, senior, pupils));
            let tech = technical_by_city.entry(c.city).or_insert_with(|| vec![0.0; 3]);
            for (g, w) in [0.35, 0.33, 0.32].iter().enumerate() {
                tech[g] += senior * 0.095 * w;
            }
        }
        // Technical schools, their pupils pooled per city.
        for (city, grades) in technical_by_city {
            if let Some(s) =
                schools.iter().find(|s| s.kind == "technical" && counties[s.county].city == city)
            {
                let counts: Vec<i64> = grades.iter().map(|x| x.round() as i64).collect();
                rows.push(school_row(dice, &s.id, "技工学校", &counts, 0.30));
            }
        }
        let (kg_name, name) = (format!("kindergarten_{year}.csv"), format!("enrolment_{year}.csv"));
        if p.guangxi_extras {
            plant_enrolment(year, (&kg_name, &mut kg_rows), (&name, &mut rows), bad);
        }
        kg_files.push((kg_name, kg_header.clone(), kg_rows));
        school_files.push((name, school_header.clone(), rows));
    }
    Ok((kg_files, school_files))
}

/// One county in one year, for the enrolment rows.
struct Place<'a> {
    year: i32,
    /// Index of `year` in the preset's years.
    yi: usize,
    ci: usize,
    c: &'a County,
    schools: &'a [School],
    population: &'a Population,
    p: &'a Preset,
}

impl Place<'_> {
    /// The county's schools of a kind open in the year.
    fn open(&self, kind: &str) -> Vec<&School> {
        self.schools
            .iter()
            .filter(|s| s.county == self.ci && s.kind == kind && s.opened <= self.year)
            .collect()
    }
}

fn enrolment_headers() -> (Vec<String>, Vec<String>) {
    let texts = |cells: &[&str]| cells.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let kg_header = texts(&[
        "学校标识码",
        "招生数",
        "招生数其中：女",
        "毕业生数",
        "托班",
        "托班其中：女",
        "小班",
        "小班其中：女",
        "中班",
        "中班其中：女",
        "大班",
        "大班其中：女",
    ]);
    let mut school_header =
        texts(&["学校标识码", "学段", "招生数", "招生数其中：女", "毕业生数", "毕业生数其中：女"]);
    for g in ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级"] {
        school_header.push(g.to_string());
        school_header.push(format!("{g}其中：女"));
    }
    school_header.push("毕业班学生数".into());
    school_header.push("毕业班学生数其中：女".into());
    (kg_header, school_header)
}

/// Kindergartens: 托班 / 小班 / 中班 / 大班.
fn kindergarten_rows(dice: &mut Dice, at: &Place, pupils: &mut Pupils) -> Vec<Vec<String>> {
    let kgs = at.open("kindergarten");
    let children = (at.p.preschool[at.yi] / 100.0
        * pop(at.population, at.year, at.ci, 3..=5)
        * at.c.preschool)
        .round() as i64;
    let per_school = split(children, &kgs.iter().map(|s| s.weight).collect::<Vec<_>>());
    let mut out = Vec::new();
    for (s, n) in kgs.iter().zip(per_school) {
        pupils.insert((at.year, s.id.clone(), "preschool"), n);
        let bands = split(n, &[0.03, 0.31, 0.33, 0.33]);
        let mut row = vec![s.id.clone()];
        let entrants = ((bands[0] + bands[1]) as f64 * 0.96).round() as i64;
        row.push(entrants.to_string());
        row.push(((entrants as f64) * 0.465).round().to_string());
        row.push(((bands[3] as f64) * 0.97).round().to_string());
        for b in bands {
            let female = (b as f64 * dice.uniform(0.44, 0.49)).round() as i64;
            row.push(b.to_string());
            row.push(female.to_string());
        }
        out.push(row);
    }
    out
}

/// Primary and junior: one grade per single-year cohort.
fn compulsory_rows(dice: &mut Dice, at: &Place, pupils: &mut Pupils) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (kind, stage, first_age, grades, ratio, female_share) in
        [("primary", "小学", 6, 6usize, 1.02, 0.465), ("junior", "初中", 12, 3usize, 0.98, 0.47)]
    {
        let canonical: &'static str = if kind == "primary" { "primary" } else { "junior" };
        let mut list = at.open(kind);
        if kind == "primary" {
            list.extend(at.open("teaching_point"));
        }
        let per_grade: Vec<i64> = (0..grades)
            .map(|g| {
                let age = first_age + g as i32;
                (pop(at.population, at.year, at.ci, age..=age) * ratio).round() as i64
            })
            .collect();
        for (s, counts) in list.iter().zip(per_school(&per_grade, &list)) {
            pupils.insert((at.year, s.id.clone(), canonical), counts.iter().sum());
            out.push(school_row(dice, &s.id, stage, &counts, female_share));
        }
    }
    out
}

/// Each grade's pupils split over the schools by their weights: per school, its pupils by grade.
fn per_school(per_grade: &[i64], schools: &[&School]) -> Vec<Vec<i64>> {
    let weights: Vec<f64> = schools.iter().map(|s| s.weight).collect();
    let by_grade: Vec<Vec<i64>> = per_grade.iter().map(|n| split(*n, &weights)).collect();
    (0..schools.len()).map(|k| by_grade.iter().map(|g| g[k]).collect()).collect()
}

/// Senior secondary: general and vocational schools of the county (technical schools are
/// pooled per city by the caller).
fn senior_rows(dice: &mut Dice, at: &Place, senior: f64, pupils: &mut Pupils) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (kind, stage, share, female_share) in [
        ("senior_general", "普通高中", 0.56, 0.51),
        ("secondary_vocational", "中等职业教育", 0.345, 0.43),
    ] {
        let list = at.open(kind);
        let per_grade = split((senior * share).round() as i64, &[0.35, 0.33, 0.32]);
        for (s, counts) in list.iter().zip(per_school(&per_grade, &list)) {
            if kind == "senior_general" {
                pupils.insert((at.year, s.id.clone(), "senior_general"), counts.iter().sum());
            }
            out.push(school_row(dice, &s.id, stage, &counts, female_share));
        }
    }
    out
}

/// The bad rows planted in the enrolment files of `year`.
fn plant_enrolment(
    year: i32,
    (kg_name, kg_rows): (&str, &mut Vec<Vec<String>>),
    (name, rows): (&str, &mut Vec<Vec<String>>),
    bad: &mut Vec<BadRow>,
) {
    let mut plant = |file: &str, what: &'static str, rule: &'static str| {
        bad.push(BadRow { file: file.into(), what, rule });
    };
    match year {
        2018 => {
            let mut r = kg_rows[0].clone();
            r[6] = "十二".into();
            kg_rows.push(r);
            plant(kg_name, "last row: 小班 = 十二 (a number in words)", "count.not_integer");
        }
        2019 => {
            let mut r = rows[0].clone();
            r[0] = "3999990001".into();
            rows.push(r);
            let what = "last row: school 3999990001 is not in the 2019 register";
            plant(name, what, "ref.unknown_school");
        }
        2020 => {
            let mut r = rows[0].clone();
            let total: i64 = r[6].parse().unwrap_or(0);
            r[7] = (total + 5).to_string();
            rows.push(r);
            plant(name, "last row: 一年级其中：女 exceeds 一年级", "count.female_exceeds_total");
        }
        _ => {}
    }
}

/// One school row of the wide enrolment layout; grades beyond the stage stay blank.
fn school_row(
    dice: &mut Dice,
    id: &str,
    stage: &str,
    grades: &[i64],
    female_share: f64,
) -> Vec<String> {
    let female = |n: i64, dice: &mut Dice| {
        (n as f64 * dice.uniform(female_share - 0.02, female_share + 0.02)).round() as i64
    };
    let first = grades.first().copied().unwrap_or(0);
    let last = grades.last().copied().unwrap_or(0);
    let entrants = (first as f64 * 0.99).round() as i64;
    let graduates = (last as f64 * 0.985).round() as i64;
    let mut row = vec![id.to_string(), stage.to_string()];
    for n in [entrants, graduates] {
        let f = female(n, dice);
        row.push(n.to_string());
        row.push(f.to_string());
    }
    let mut last_female = 0;
    for g in 0..6 {
        match grades.get(g) {
            Some(n) => {
                let f = female(*n, dice);
                last_female = f;
                row.push(n.to_string());
                row.push(f.to_string());
            }
            None => {
                row.push(String::new());
                row.push(String::new());
            }
        }
    }
    row.push(last.to_string());
    row.push(last_female.to_string());
    row
}

/// Weighted shares of 在学总规模 by category and the MOE weights (docs/methodology.md §3.4): raw counts
/// are share / weight so that the weighted total comes out as planned.
const HIGHER_CATEGORIES: &[(&str, f64, f64)] = &[
    ("研究生", 0.030, 1.0),
    ("普通本科", 0.400, 1.0),
    ("普通专科", 0.360, 1.0),
    ("成人本专科（脱产）", 0.005, 1.0),
    ("成人本专科（业余）", 0.030, 0.5),
    ("成人本专科（函授）", 0.060, 0.5),
    ("网络本专科", 0.060, 0.5),
    ("自学考试毕业人数", 0.040, 1.5),
    ("在职攻读学位研究生", 0.005, 1.0),
    ("研究生课程进修班", 0.002, 0.5),
    ("军事院校本专科", 0.008, 1.0),
];

fn higher_education(dice: &mut Dice, at: &Setting) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let Setting { p, counties, population, .. } = *at;
    let mut header = vec!["年份", "地区代码", "统计口径"];
    header.extend(HIGHER_CATEGORIES.iter().map(|(n, _, _)| *n));
    let mut rows = Vec::new();
    for (yi, year) in p.years.iter().copied().enumerate() {
        let mut province = vec![0i64; HIGHER_CATEGORIES.len()];
        for (ci, c) in counties.iter().enumerate() {
            let weighted = p.higher[yi] / 100.0 * pop(population, year, ci, 18..=22) * c.higher;
            let mut row =
                vec![year.to_string(), c.code_in(year).0.to_string(), "生源地".to_string()];
            for (k, (_, share, weight)) in HIGHER_CATEGORIES.iter().enumerate() {
                let n = (weighted * share / weight * dice.uniform(0.97, 1.03)).round() as i64;
                province[k] += n;
                row.push(n.to_string());
            }
            rows.push(row);
        }
        // Location basis: students in the province's institutions, whatever their origin.
        let mut row = vec![year.to_string(), p.province.0.clone(), "所在地".to_string()];
        row.extend(province.iter().map(|n| ((*n as f64) * 0.93).round().to_string()));
        rows.push(row);
    }
    if p.guangxi_extras {
        rows.push(vec!["2020".into(), "450102".into(), "生源地".into()]);
    }
    (header, rows)
}

/// A normal draw (Box–Muller) from two uniforms.
fn normal(dice: &mut Dice, mean: f64, sd: f64) -> f64 {
    let (u, v) = (dice.uniform(1e-12, 1.0), dice.uniform(0.0, 1.0));
    mean + sd * (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// A yearbook extract, 2009–2016: primary and junior entrants and junior final-grade students per
/// county, with the codes of each year. Primary intake is sized so that the province's
/// 巩固率 (junior final grade in t over primary entrants in t − 8) runs from about 94% (2017) to
/// 95.5% (2020), continuing the published 93.4% of 2016 (docs/methodology.md §1).
fn history(
    dice: &mut Dice,
    counties: &[County],
    scale: f64,
    p: &Preset,
) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let header = vec!["年份", "地区代码", "学段", "招生数", "招生数其中：女", "毕业班学生数"];
    let total: f64 = counties.iter().map(|c| c.weight).sum();
    // junior final grade ≈ 0.98 of the age-14 cohort; entrants = that cohort at 6 × intake factor
    let intake =
        |t: i32| p.intake.iter().find(|(year, _)| *year == t).map_or(1.02, |(_, factor)| *factor);
    let mut rows = Vec::new();
    for year in p.history.0..=p.history.1 {
        for c in counties {
            let share = c.weight / total * scale;
            let primary = p.cohort(year - 6)
                * guangxi::survival(6)
                * share
                * intake(year + 8)
                * dice.uniform(0.98, 1.02);
            let junior = p.cohort(year - 12)
                * guangxi::survival(12)
                * share
                * 0.99
                * dice.uniform(0.98, 1.02);
            let final_grade = p.cohort(year - 14) * guangxi::survival(14) * share * 0.98;
            let code = c.code_in(year).0.to_string();
            rows.push(vec![
                year.to_string(),
                code.clone(),
                "小学".into(),
                primary.round().to_string(),
                (primary * 0.465).round().to_string(),
                String::new(),
            ]);
            rows.push(vec![
                year.to_string(),
                code,
                "初中".into(),
                junior.round().to_string(),
                (junior * 0.47).round().to_string(),
                final_grade.round().to_string(),
            ]);
        }
    }
    if p.guangxi_extras {
        let mut old = rows[0].clone();
        old[0] = "2005".into();
        rows.push(old);
    }
    (header, rows)
}

/// The project register 2018–2020: per county for local projects, for the province otherwise.
/// Most kinds end 2020 between 95% and 125% of the plan's count; the draw decides which fall short.
fn projects(dice: &mut Dice, counties: &[County]) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let header = vec!["年份", "地区代码", "项目类别", "数量"];
    let total: f64 = counties.iter().map(|c| c.weight).sum();
    let mut rows = Vec::new();
    for (_, label, target, local) in guangxi::PROJECT_KINDS {
        let reached = (target * dice.uniform(0.95, 1.25)).round() as i64;
        let per_year = split(reached, &[0.3, 0.35, 0.35]);
        for (yi, year) in [2018, 2019, 2020].iter().enumerate() {
            if *local {
                let weights: Vec<f64> =
                    counties.iter().map(|c| c.weight / total * dice.uniform(0.5, 1.5)).collect();
                for (c, n) in counties.iter().zip(split(per_year[yi], &weights)) {
                    if n > 0 {
                        rows.push(vec![
                            year.to_string(),
                            c.code_in(*year).0.to_string(),
                            label.to_string(),
                            n.to_string(),
                        ]);
                    }
                }
            } else {
                rows.push(vec![
                    year.to_string(),
                    guangxi::PROVINCE.0.to_string(),
                    label.to_string(),
                    per_year[yi].to_string(),
                ]);
            }
        }
    }
    rows.push(vec!["2019".into(), "450102".into(), "装修食堂".into(), "1".into()]);
    (header, rows)
}

/// The province's rows of the division table: itself, its cities, counties, townships and
/// retired codes.
fn division_rows(counties: &[County], p: &Preset) -> Vec<Vec<String>> {
    let (pcode, pname, pen) = &p.province;
    let mut rows = vec![division(pcode, pname, pen, "province", "")];
    for (code, name, en, _) in &p.cities {
        rows.push(division(code, name, &format!("{en} City"), "city", pcode));
    }
    for c in counties {
        let mut row = division(&c.code, &c.name, "", "county", p.city_code(c.city));
        if let Some(r) = p.retired.iter().find(|r| r.3 == c.code) {
            row[5] = (r.2 + 1).to_string();
        }
        rows.push(row);
    }
    // Townships (乡镇), 9-digit: county code + 100.. ; districts also have two 街道 (001, 002),
    // which hold no schools and are not 乡镇 (docs/methodology.md §8.1).
    for c in counties {
        for k in 0..c.townships {
            let suffix = if k % 3 == 2 { "乡" } else { "镇" };
            let (code, name) =
                (format!("{}{:03}", c.code, 100 + k), format!("{}第{}{}", c.name, k + 1, suffix));
            rows.push(division(&code, &name, "", "township", &c.code));
        }
        if c.name.ends_with('区') {
            for k in 1..=2 {
                let (code, name) =
                    (format!("{}{:03}", c.code, k), format!("{}第{}街道", c.name, k));
                rows.push(division(&code, &name, "", "township", &c.code));
            }
        }
    }
    for (old, name, last, successor) in &p.retired {
        let mut row = division(old, name, "", "county", &format!("{}00", &old[..4]));
        (row[6], row[7]) = (last.to_string(), successor.to_string());
        rows.push(row);
    }
    rows
}

/// A row of the division table, valid throughout (no dates, no successor).
fn division(code: &str, name_zh: &str, name_en: &str, level: &str, parent: &str) -> Vec<String> {
    let mut row: Vec<String> = [code, name_zh, name_en, level, parent].map(str::to_string).into();
    row.extend([String::new(), String::new(), String::new()]);
    row
}
