//! The sample's school resources: the register's attribute columns (普惠, 中心园, 示范, facilities,
//! the five 达标 flags, D-level buildings, boarders and beds), teachers per school and stage,
//! county finance and pay, and international exchange. Per-pupil resources scatter around the
//! national standards (docs/methodology.md §6.2) with a county-specific spread, so that balance CVs span
//! passing and failing counties.

use super::{Dice, FileRows, Pupils, Setting, counties_of, kind_zh, normal, over_plan};

/// The register's header.
pub const REGISTER_HEADER: &[&str] = &[
    "年份",
    "学校标识码",
    "学校名称",
    "行政区划代码",
    "乡镇代码",
    "办学类型",
    "举办者",
    "城乡分类",
    "是否普惠性幼儿园",
    "是否乡镇中心幼儿园",
    "示范等级",
    "是否接入互联网宽带",
    "网络多媒体教室数",
    "教学及辅助用房面积",
    "体育运动场馆面积",
    "教学仪器设备资产值",
    "图书册数",
    "计算机台数",
    "体育运动场馆面积达标",
    "体育器械配备达标",
    "音乐器材配备达标",
    "美术器材配备达标",
    "实验仪器达标",
    "有D级危房",
    "寄宿生数",
    "床位数",
];

fn yes(b: bool) -> String {
    if b { "是" } else { "否" }.to_string()
}

/// Pupils of a school in a year, over all its stages.
pub fn pupils_of(pupils: &Pupils, year: i32, id: &str) -> i64 {
    ["preschool", "primary", "junior", "senior_general"]
        .iter()
        .filter_map(|st| pupils.get(&(year, id.to_string(), *st)))
        .sum()
}

/// One register row per school and year.
pub fn register(dice: &mut Dice, at: &Setting, pupils: &Pupils) -> Vec<Vec<String>> {
    let Setting { p: preset, counties, schools, .. } = *at;
    let mut rows = Vec::new();
    for year in preset.years.iter().copied() {
        for s in schools.iter().filter(|s| s.opened <= year) {
            let c = &counties[s.county];
            let (code, _) = c.code_in(year);
            let kg = s.kind == "kindergarten";
            let since = |from: Option<i32>| from.is_some_and(|f| f <= year);
            let mut row = vec![
                year.to_string(),
                s.id.clone(),
                s.name.clone(),
                code.to_string(),
                s.township.clone(),
                kind_zh(s.kind).to_string(),
                if s.public { "公办" } else { "民办" }.to_string(),
                s.area.to_string(),
                if kg && !s.public { yes(since(s.inclusive_from)) } else { String::new() },
                if kg { yes(since(s.central_from)) } else { String::new() },
                if kg && since(s.demonstration_from) {
                    "自治区示范".to_string()
                } else {
                    String::new()
                },
            ];
            let school = matches!(s.kind, "primary" | "junior" | "senior_general");
            if !school {
                row.extend(std::iter::repeat_n(String::new(), REGISTER_HEADER.len() - row.len()));
                rows.push(row);
                continue;
            }
            let p = pupils_of(pupils, year, &s.id) as f64;
            let junior = s.kind != "primary";
            // Uneven counties differ most in 2017 and even out as balance drives proceed.
            let spread = (0.2 + 1.1 * c.imbalance) * over_plan([1.0, 0.85, 0.7, 0.6], year);
            let improve = 1.0 + 0.05 * f64::from((year - 2017).clamp(0, 3));
            let per_pupil = |norm: f64, dice: &mut Dice| {
                (p * norm * improve * normal(dice, 1.0, spread).max(0.15)).round()
            };
            let building = per_pupil(if junior { 5.8 } else { 4.5 }, dice);
            let sports = per_pupil(if junior { 10.2 } else { 7.5 }, dice);
            let equipment = per_pupil(if junior { 2500.0 } else { 2000.0 }, dice);
            let books = per_pupil(if junior { 35.0 } else { 25.0 }, dice);
            let computers = per_pupil(if junior { 0.12 } else { 0.10 }, dice);
            let multimedia =
                (p / 45.0 * over_plan([0.7, 0.8, 0.9, 0.97], year) * dice.uniform(0.8, 1.2))
                    .round();
            let broadband = dice.uniform(0.0, 1.0) < over_plan([0.9, 0.95, 0.98, 0.998], year);
            let flag_p = over_plan([0.75, 0.82, 0.9, 0.95], year);
            let flags: Vec<bool> = (0..5).map(|_| dice.uniform(0.0, 1.0) < flag_p).collect();
            let dangerous = dice.uniform(0.0, 1.0) < over_plan([0.03, 0.02, 0.01, 0.003], year);
            let boarders = if s.area == "乡村" && s.kind != "senior_general" {
                (p * 0.35).round()
            } else if s.kind == "senior_general" {
                (p * 0.6).round()
            } else {
                0.0
            };
            let short_of_beds = dice.uniform(0.0, 1.0) < over_plan([0.2, 0.12, 0.05, 0.0], year);
            let beds = if short_of_beds { (boarders * 0.8).round() } else { boarders };
            row.extend([
                yes(broadband),
                multimedia.to_string(),
                building.to_string(),
                sports.to_string(),
                equipment.to_string(),
                books.to_string(),
                computers.to_string(),
            ]);
            row.extend(flags.into_iter().map(yes));
            row.extend([yes(dangerous), boarders.to_string(), beds.to_string()]);
            rows.push(row);
        }
    }
    rows
}

/// Teachers per school and stage, one file per year.
pub fn teachers(dice: &mut Dice, at: &Setting, pupils: &Pupils) -> Vec<FileRows> {
    let Setting { p: preset, counties, schools, .. } = *at;
    let header: Vec<String> = [
        "学校标识码",
        "学段",
        "专任教师数",
        "高于规定学历教师数",
        "中级及以上职称教师数",
        "县级以上骨干教师数",
        "体育艺术专任教师数",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut files = Vec::new();
    for year in preset.years.iter().copied() {
        let mut rows = Vec::new();
        for s in schools.iter().filter(|s| s.opened <= year) {
            let (stage, stage_zh, ptr, qualified) = match s.kind {
                "kindergarten" => ("preschool", "学前教育", 17.0, 0.75),
                "primary" | "teaching_point" => ("primary", "小学", 18.0, 0.92),
                "junior" => ("junior", "初中", 13.0, 0.85),
                "senior_general" => ("senior_general", "普通高中", 13.5, 0.30),
                _ => continue,
            };
            let Some(p) = pupils.get(&(year, s.id.clone(), stage)).copied() else { continue };
            let spread = 0.1 + 0.4 * counties[s.county].imbalance;
            let fulltime = ((p as f64 / ptr) * normal(dice, 1.0, spread).max(0.3)).round().max(1.0);
            let share = |x: f64, dice: &mut Dice| {
                (fulltime * (x * dice.uniform(0.8, 1.2)).min(1.0)).round()
            };
            let row = vec![
                s.id.clone(),
                stage_zh.to_string(),
                fulltime.to_string(),
                share(qualified, dice).to_string(),
                share(0.45, dice).to_string(),
                share(0.06, dice).to_string(),
                share(0.10, dice).to_string(),
            ];
            rows.push(row);
        }
        files.push((format!("teachers_{year}.csv"), header.clone(), rows));
    }
    files
}

/// County finance and pay, all years: education spending rises most years; a few counties cut
/// it in some year, and some pay teachers less than civil servants.
pub fn finance(
    dice: &mut Dice,
    at: &Setting,
    pupils: &Pupils,
) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let Setting { p: preset, counties, schools, .. } = *at;
    let header = vec![
        "年份",
        "地区代码",
        "一般公共预算教育支出",
        "在校学生数",
        "教师年平均工资",
        "公务员年平均工资",
    ];
    let mut rows = Vec::new();
    for (ci, c) in counties.iter().enumerate() {
        let per_pupil = 11_000.0 * dice.uniform(0.8, 1.3);
        let teacher_pay = 72_000.0 * dice.uniform(0.9, 1.15);
        let pay_gap = dice.uniform(0.94, 1.08);
        let mut spending_trend = 1.0;
        for (yi, year) in preset.years.iter().copied().enumerate() {
            let students: i64 = counties_of(schools, ci)
                .filter(|s| s.opened <= year)
                .map(|s| pupils_of(pupils, year, &s.id))
                .sum();
            spending_trend *= if yi > 0 && dice.uniform(0.0, 1.0) < 0.08 { 0.95 } else { 1.06 };
            let spending = (students as f64 * per_pupil * spending_trend).round();
            let teacher = (teacher_pay * (1.0 + 0.07 * yi as f64)).round();
            let civil = (teacher * pay_gap).round();
            rows.push(vec![
                year.to_string(),
                c.code_in(year).0.to_string(),
                spending.to_string(),
                students.to_string(),
                teacher.to_string(),
                civil.to_string(),
            ]);
        }
    }
    (header, rows)
}

/// International students (来桂留学, 出国留学) for the province, at real magnitude: 2017 about
/// 14,000 and 2018 15,217 are published (docs/methodology.md §8.5); the rest is invented.
pub fn exchange() -> (Vec<&'static str>, Vec<Vec<String>>) {
    let header = vec!["年份", "地区代码", "来桂留学人数", "出国留学人数"];
    let rows = [
        (2017, 14_000, 7_800),
        (2018, 15_217, 8_600),
        (2019, 16_300, 9_400),
        (2020, 10_500, 7_100),
    ]
    .iter()
    .map(|(y, i, o)| {
        vec![y.to_string(), super::guangxi::PROVINCE.0.to_string(), i.to_string(), o.to_string()]
    })
    .collect();
    (header, rows)
}
