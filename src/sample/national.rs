//! The national preset: the 31 provinces as the Ministry receives them, one delivery folder per
//! province (named by its code) in the formats of the Guangxi files, school years 2011–2020,
//! and one national division table. Province codes and names are real; Guangxi's cities and
//! counties are real; everyone else's are synthetic in the GB/T 2260 pattern (city `PPCC00`,
//! districts `PPCC01..`, counties `PPCC21..`, county-level cities `PPCC81..`), with some counties
//! turned into districts during the decade, as real codes change every year.
//!
//! Magnitudes: the national 2020 counts of the 2020 bulletin and the published national rates
//! of 2016–2020 (2011–2015 are approximate), each province's share by its 2020 census population.

use std::path::{Path, PathBuf};

use super::preset::{City, Preset, Retired};
use super::write::{Encoding, write_csv};
use super::{Dice, division};
use crate::error::Result;

/// (code, name, short name, English, 2020 census population in 10 000s, county-level units,
/// prefecture-level units). Counts of units are approximate (recollection, about 2,840 and 333
/// in all); the codes and names are real.
pub const PROVINCES: &[(&str, &str, &str, &str, f64, usize, usize)] = &[
    ("110000", "北京市", "北京", "Beijing", 2189.0, 16, 1),
    ("120000", "天津市", "天津", "Tianjin", 1387.0, 16, 1),
    ("130000", "河北省", "河北", "Hebei", 7461.0, 167, 11),
    ("140000", "山西省", "山西", "Shanxi", 3492.0, 117, 11),
    ("150000", "内蒙古自治区", "内蒙古", "Inner Mongolia", 2405.0, 103, 12),
    ("210000", "辽宁省", "辽宁", "Liaoning", 4259.0, 100, 14),
    ("220000", "吉林省", "吉林", "Jilin", 2407.0, 60, 9),
    ("230000", "黑龙江省", "黑龙江", "Heilongjiang", 3185.0, 121, 13),
    ("310000", "上海市", "上海", "Shanghai", 2487.0, 16, 1),
    ("320000", "江苏省", "江苏", "Jiangsu", 8475.0, 95, 13),
    ("330000", "浙江省", "浙江", "Zhejiang", 6457.0, 90, 11),
    ("340000", "安徽省", "安徽", "Anhui", 6103.0, 104, 16),
    ("350000", "福建省", "福建", "Fujian", 4154.0, 84, 9),
    ("360000", "江西省", "江西", "Jiangxi", 4519.0, 100, 11),
    ("370000", "山东省", "山东", "Shandong", 10153.0, 136, 16),
    ("410000", "河南省", "河南", "Henan", 9937.0, 157, 17),
    ("420000", "湖北省", "湖北", "Hubei", 5775.0, 103, 17),
    ("430000", "湖南省", "湖南", "Hunan", 6644.0, 122, 14),
    ("440000", "广东省", "广东", "Guangdong", 12601.0, 122, 21),
    ("450000", "广西壮族自治区", "广西", "Guangxi", 5013.0, 111, 14),
    ("460000", "海南省", "海南", "Hainan", 1008.0, 25, 4),
    ("500000", "重庆市", "重庆", "Chongqing", 3205.0, 38, 2),
    ("510000", "四川省", "四川", "Sichuan", 8367.0, 183, 21),
    ("520000", "贵州省", "贵州", "Guizhou", 3856.0, 88, 9),
    ("530000", "云南省", "云南", "Yunnan", 4721.0, 129, 16),
    ("540000", "西藏自治区", "西藏", "Tibet", 365.0, 74, 7),
    ("610000", "陕西省", "陕西", "Shaanxi", 3953.0, 107, 10),
    ("620000", "甘肃省", "甘肃", "Gansu", 2502.0, 86, 14),
    ("630000", "青海省", "青海", "Qinghai", 592.0, 44, 8),
    ("640000", "宁夏回族自治区", "宁夏", "Ningxia", 720.0, 22, 5),
    ("650000", "新疆维吾尔自治区", "新疆", "Xinjiang", 2585.0, 106, 14),
];

/// The national code of the country's own row.
pub const COUNTRY: (&str, &str, &str) = ("100000", "中华人民共和国", "People's Republic of China");

/// School years of the national delivery and of its yearbook extract.
pub const YEARS: std::ops::RangeInclusive<i32> = 2011..=2020;
pub const HISTORY: (i32, i32) = (2003, 2010);

/// National rates (percent) 2011–2020: 2016–2020 published (全国教育事业发展统计公报), 2015 the
/// 13th Five-Year plan's baselines, 2011–2014 approximate.
pub const PRESCHOOL: [f64; 10] = [62.3, 64.5, 67.5, 70.5, 75.0, 77.4, 79.6, 81.7, 83.4, 85.2];
pub const SENIOR_SECONDARY: [f64; 10] =
    [84.0, 85.0, 86.0, 86.5, 87.0, 87.0, 88.3, 88.8, 89.5, 91.2];
pub const HIGHER: [f64; 10] = [26.9, 30.0, 34.5, 37.5, 40.0, 42.7, 45.7, 48.1, 51.6, 54.4];

/// National 2020 counts (公报 2020): kindergartens, children in them, primary schools, teaching
/// points, junior, general senior and secondary vocational schools.
pub const KINDERGARTENS: f64 = 291_700.0;
pub const CHILDREN: f64 = 48_182_600.0;
pub const PRIMARY_SCHOOLS: f64 = 158_000.0;
pub const TEACHING_POINTS: f64 = 90_000.0;
pub const JUNIOR_SCHOOLS: f64 = 52_800.0;
pub const SENIOR_SCHOOLS: f64 = 14_200.0;
pub const VOCATIONAL_SCHOOLS: f64 = 9_865.0;

/// Births of the whole country as a multiple of Guangxi's cohort curve: the 2020 population
/// aged 3–5 (children 48.18 million at 85.2 %, about 56.6 million) over Guangxi's (about 2.49
/// million on the curve).
const COUNTRY_COHORT: f64 = 22.7;

/// The national sample: every province's delivery in `out/<code>/` and the national division
/// table in `out/divisions.csv`, province after province (one province's tables in memory at
/// a time). `only`, when not empty, limits it to those provinces (by code); every province's
/// files are the same bytes with or without it. Returns the files written.
pub fn national(out: &Path, scale: f64, seed: u64, only: &[String]) -> Result<Vec<PathBuf>> {
    if let Some(unknown) = only.iter().find(|c| !PROVINCES.iter().any(|p| p.0 == c.as_str())) {
        return Err(crate::Error::Usage(format!(
            "--provinces: {unknown} is not a province code (110000 … 650000)"
        )));
    }
    std::fs::create_dir_all(out).map_err(|e| crate::Error::io(out, e))?;
    let mut dice = Dice::new(seed);
    let factors = rate_factors(&mut dice);
    let total: f64 = PROVINCES.iter().map(|p| p.4).sum();
    let mut written = Vec::new();
    let (code, zh, en) = COUNTRY;
    let mut divisions = vec![division(code, zh, en, "country", "")];
    for (i, row) in PROVINCES.iter().enumerate() {
        if !only.is_empty() && !only.iter().any(|c| c == row.0) {
            continue;
        }
        let preset = preset(row, row.4 / total, factors[i]);
        let folder = out.join(row.0);
        let (files, mut rows) = super::province(&folder, &preset, scale, seed + 1 + i as u64)?;
        rows[0][4] = code.to_string();
        divisions.extend(rows);
        written.extend(files);
        tracing::info!(province = row.0, files = written.len(), "national sample");
    }
    written.push(write_csv(
        out,
        "divisions.csv",
        crate::divisions::HEADER,
        &divisions,
        Encoding::Utf8,
    )?);
    written.push(readme(out, scale, seed)?);
    Ok(written)
}

/// Each province's factors on the national (preschool, senior, higher) rates, their
/// population-weighted mean 1, so that the country lands on the published rates.
fn rate_factors(dice: &mut Dice) -> Vec<(f64, f64, f64)> {
    let raw: Vec<(f64, f64, f64)> = PROVINCES
        .iter()
        .map(|_| (dice.uniform(0.85, 1.12), dice.uniform(0.9, 1.08), dice.uniform(0.75, 1.35)))
        .collect();
    let total: f64 = PROVINCES.iter().map(|p| p.4).sum();
    let mean = |f: &dyn Fn(&(f64, f64, f64)) -> f64| {
        PROVINCES.iter().zip(&raw).map(|(p, r)| p.4 / total * f(r)).sum::<f64>()
    };
    let (a, b, c) = (mean(&|r| r.0), mean(&|r| r.1), mean(&|r| r.2));
    raw.into_iter().map(|(x, y, z)| (x / a, y / b, z / c)).collect()
}

type Province = (&'static str, &'static str, &'static str, &'static str, f64, usize, usize);

/// The delivery of one province: its share of the national magnitudes, its divisions.
fn preset(row: &Province, share: f64, (fp, fs, fh): (f64, f64, f64)) -> Preset {
    let (code, zh, short, en, ..) = *row;
    let (cities, retired) = if code == "450000" {
        let g = Preset::guangxi();
        (g.cities, g.retired.into_iter().filter(|r| r.2 >= *YEARS.start()).collect())
    } else {
        synthetic_divisions(row)
    };
    let rates = |national: &[f64; 10], f: f64| national.iter().map(|r| r * f).collect();
    Preset {
        province: (code.into(), zh.into(), en.into()),
        short: short.into(),
        cities,
        retired,
        years: YEARS.collect(),
        history: HISTORY,
        intake: Vec::new(),
        preschool: rates(&PRESCHOOL, fp),
        senior: rates(&SENIOR_SECONDARY, fs),
        higher: rates(&HIGHER, fh),
        kindergartens: KINDERGARTENS * share,
        children: CHILDREN * share,
        primary: PRIMARY_SCHOOLS * share,
        teaching_points: TEACHING_POINTS * share,
        junior: JUNIOR_SCHOOLS * share,
        senior_schools: SENIOR_SCHOOLS * share,
        vocational: VOCATIONAL_SCHOOLS * share,
        cohort_scale: COUNTRY_COHORT * share,
        guangxi_extras: false,
    }
}

/// Cities and counties in the GB/T 2260 pattern, and the counties of every fourth city that
/// became districts during the decade (the old code retired, the new one its successor).
fn synthetic_divisions(row: &Province) -> (Vec<City>, Vec<Retired>) {
    let (code, _, short, en, _, units, prefectures) = *row;
    let prefix = &code[..2];
    let municipality = matches!(prefix, "11" | "12" | "31" | "50");
    let mut cities = Vec::new();
    let mut retired = Vec::new();
    for ci in 0..prefectures {
        let n = units / prefectures + usize::from(ci < units % prefectures);
        let city_code = format!("{prefix}{:02}00", ci + 1);
        let (city_zh, city_en) = if municipality {
            (
                if ci == 0 { "市辖区".to_string() } else { "县".to_string() },
                format!("{en} {}", ci + 1),
            )
        } else {
            (format!("{short}第{}市", ci + 1), format!("{en} {}", ci + 1))
        };
        let mut counties = Vec::new();
        let mut serial = [0usize; 3];
        for k in 0..n {
            // Districts first (01..), then counties (21..), then county-level cities (81..).
            let kind = match k * 10 / n.max(1) {
                _ if municipality && ci == 0 => 0,
                0..=3 => 0,
                4..=8 => 1,
                _ => 2,
            };
            serial[kind] += 1;
            let suffix = [0, 20, 80][kind] + serial[kind];
            let county = format!("{prefix}{:02}{:02}", ci + 1, suffix);
            let prefix_name = if municipality { short.to_string() } else { city_zh.clone() };
            let name = format!("{prefix_name}{}{}", serial[kind], ["区", "县", "市"][kind]);
            counties.push((county, name));
        }
        if ci % 4 == 1 && n > 2 && !municipality {
            // Its first district was a county until it became a district in 2012–2020.
            let (new_code, _) = counties[0].clone();
            let old = format!("{prefix}{:02}{:02}", ci + 1, 70 + ci % 10);
            let last = 2012 + (ci % 9) as i32;
            retired.push((old, format!("{city_zh}旧{}县", ci + 1), last, new_code));
        }
        cities.push((city_code, city_zh, city_en, counties));
    }
    (cities, retired)
}

fn readme(out: &Path, scale: f64, seed: u64) -> Result<PathBuf> {
    let mut text = format!(
        "# National sample (synthetic)\n\nWritten by `edustat sample --preset national --scale {scale} --seed {seed}`; the same\n\
         seed and scale give the same bytes. One folder per province, named by its code, in the\n\
         formats of the Guangxi delivery (population in GB18030 CSV, UTF-8 CSV in 2018 and XLSX in\n\
         2019; schools, enrolment, classes, teachers, higher education, finance, a 2003–2010\n\
         yearbook extract), school years 2011–2020, and `divisions.csv` for the whole country\n\
         (country 100000, provinces, cities, counties, townships, retired codes).\n\n\
         Province codes and names are real; Guangxi's cities and counties are real; the others'\n\
         are synthetic in the GB/T 2260 pattern. Magnitudes at scale 1 are the 2020 national\n\
         bulletin's (kindergartens {KINDERGARTENS}, primary schools {PRIMARY_SCHOOLS} and teaching points\n\
         {TEACHING_POINTS}, junior {JUNIOR_SCHOOLS}, general senior {SENIOR_SCHOOLS}, secondary vocational\n\
         {VOCATIONAL_SCHOOLS}) shared by 2020 census population; rates follow the published national\n\
         series (2011–2014 approximate), each province around it. No bad rows are planted.\n\n\
         | code | province | population (10 000) | county-level units | prefecture-level units |\n| --- | --- | --- | --- | --- |\n"
    );
    for (code, zh, _, _, pop, units, prefectures) in PROVINCES {
        text.push_str(&format!("| {code} | {zh} | {pop} | {units} | {prefectures} |\n"));
    }
    let path = out.join("README.md");
    std::fs::write(&path, text).map_err(|e| crate::Error::io(&path, e))?;
    Ok(path)
}
