//! Writers for the synthetic deliveries: CSV in UTF-8 (with or without BOM) or GB18030, XLSX
//! with an optional title row, and the sample's README. Output bytes depend only on the input.

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook};

use super::BadRow;
use crate::error::{Error, Result};

#[derive(Clone, Copy)]
pub enum Encoding {
    Utf8,
    /// UTF-8 with a byte-order mark, as Excel's "CSV UTF-8" saves it.
    Utf8Bom,
    Gb18030,
}

pub fn write_csv(
    out: &Path,
    name: &str,
    header: &[&str],
    rows: &[Vec<String>],
    encoding: Encoding,
) -> Result<PathBuf> {
    let path = out.join(name);
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let fail = |e: csv::Error| Error::Internal(format!("{name}: {e}"));
    w.write_record(header).map_err(fail)?;
    for r in rows {
        w.write_record(r).map_err(fail)?;
    }
    let text = w.into_inner().map_err(|e| Error::Internal(format!("{name}: {e}")))?;
    let bytes = match encoding {
        Encoding::Utf8 => text,
        Encoding::Utf8Bom => [b"\xEF\xBB\xBF".as_slice(), &text].concat(),
        Encoding::Gb18030 => {
            let s = String::from_utf8(text).map_err(|e| Error::Internal(e.to_string()))?;
            encoding_rs::GB18030.encode(&s).0.into_owned()
        }
    };
    std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
    Ok(path)
}

pub fn write_xlsx(
    out: &Path,
    name: &str,
    sheet: &str,
    title: Option<&str>,
    header: &[&str],
    rows: &[Vec<String>],
) -> Result<PathBuf> {
    let path = out.join(name);
    let fail = |e: rust_xlsxwriter::XlsxError| Error::Internal(format!("{name}: {e}"));
    let mut book = Workbook::new();
    let fixed = ExcelDateTime::from_ymd(2020, 1, 1).map_err(fail)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&fixed));
    let ws = book.add_worksheet();
    ws.set_name(sheet).map_err(fail)?;
    let mut r = 0u32;
    if let Some(t) = title {
        ws.write_string(0, 0, t).map_err(fail)?;
        r = 1;
    }
    for (c, h) in header.iter().enumerate() {
        ws.write_string(r, c as u16, *h).map_err(fail)?;
    }
    for row in rows {
        r += 1;
        for (c, cell) in row.iter().enumerate() {
            // Counts are numbers in real workbooks; codes and labels are text.
            let numeric = c >= 3 && cell.parse::<f64>().is_ok();
            if numeric {
                ws.write_number(r, c as u16, cell.parse::<f64>().unwrap_or(0.0)).map_err(fail)?;
            } else {
                ws.write_string(r, c as u16, cell.as_str()).map_err(fail)?;
            }
        }
    }
    book.save(&path).map_err(fail)?;
    Ok(path)
}

/// How the sample's 2020 kindergarten figures compare with the published ones, scaled.
pub struct Calibration {
    pub kindergartens: usize,
    pub kindergartens_published: f64,
    pub children: i64,
    pub children_published: f64,
}

pub fn readme(
    out: &Path,
    scale: f64,
    seed: u64,
    bad: &[BadRow],
    c: &Calibration,
) -> Result<PathBuf> {
    let path = out.join("README.md");
    let mut t = String::new();
    t.push_str(&format!(
        "# Guangxi sample deliveries (synthetic)\n\nWritten by `edustat sample --preset guangxi --scale {scale} --seed {seed} -o <dir>`; the same\nseed and scale give the same bytes. Magnitudes are Guangxi's scaled by {scale} (published figures;\n2020: 13,662 kindergartens and 2,266,184 children at scale 1). Headers are in simplified\ncharacters, as mainland deliveries are. Every figure is invented; none is an official statistic.\n\n"
    ));
    t.push_str(&format!(
        "2020 in this sample: {} kindergartens (published × scale: {:.0}),\n{} children in kindergarten (published × scale: {:.0}).\n\n",
        c.kindergartens, c.kindergartens_published, c.children, c.children_published
    ));
    t.push_str("| file | format | holds |\n| --- | --- | --- |\n");
    t.push_str("| divisions.csv | UTF-8, canonical English headers | province, 14 cities, 111 current counties, their townships (9-digit 乡镇 codes from 100, 街道 below 100; scaled with the sample), 6 retired county codes with successors (docs/methodology.md §9) |\n");
    t.push_str("| population_2017.csv | GB18030 CSV | population by county × single age (0岁 … 100岁及以上) × sex: 地区代码, 地区名称, 年龄, 合计, 男, 女 |\n");
    t.push_str("| population_2018.csv | UTF-8 CSV | the same layout |\n");
    t.push_str("| population_2019.xlsx | XLSX, sheet 分年龄人口, title in row 1, header in row 2 | the same layout, counts as numbers |\n");
    t.push_str("| population_2020.csv | GB18030 CSV | the same layout |\n");
    t.push_str("| schools.csv | UTF-8 CSV | school register, all years: 年份, 学校标识码, 学校名称, 行政区划代码, 乡镇代码, 办学类型, 举办者, 城乡分类, 是否普惠性幼儿园, 是否乡镇中心幼儿园, 示范等级, 是否接入互联网宽带, 网络多媒体教室数, 教学及辅助用房面积, 体育运动场馆面积, 教学仪器设备资产值, 图书册数, 计算机台数, the five 达标 flags, 有D级危房, 寄宿生数, 床位数 |\n");
    t.push_str("| teachers_YYYY.csv | UTF-8 CSV | per school and stage: 专任教师数, 高于规定学历教师数, 中级及以上职称教师数, 县级以上骨干教师数, 体育艺术专任教师数 |\n");
    t.push_str("| finance.csv | UTF-8 CSV | per county and year: 一般公共预算教育支出 (元), 在校学生数, 教师年平均工资, 公务员年平均工资 |\n");
    t.push_str("| exchange.csv | UTF-8 CSV | the province's 来桂留学人数 and 出国留学人数 per year, at real magnitude (2017 ≈ 14,000 and 2018 15,217 are published; the rest is invented) |\n");
    t.push_str("| kindergarten_YYYY.csv | UTF-8 CSV with BOM (Excel export) | per kindergarten: 招生数, 毕业生数, 托班 / 小班 / 中班 / 大班 each with 其中：女 |\n");
    t.push_str("| enrolment_YYYY.csv | UTF-8 CSV | per school and stage (小学, 初中, 普通高中, 中等职业教育, 技工学校): 招生数, 毕业生数, 一年级 … 六年级 each with 其中：女, 毕业班学生数 |\n");
    t.push_str("| higher_education.csv | UTF-8 CSV | higher-education students by category, per county on origin basis (生源地) and for the province on location basis (所在地) |\n");
    t.push_str("| classes_YYYY.csv | UTF-8 CSV | classes per school and stage (小学, 初中, 普通高中) by size band: 25人及以下, 26-30人 … 61-65人, 66人及以上 |\n");
    t.push_str("| kindergarten_classes_YYYY.csv | UTF-8 CSV | kindergarten classes within and over the norm of their type (小班 25, 中班 30, 大班 35, 混合班 30): 小班达标班数, 小班超额班数, … |\n");
    t.push_str("| regional_enrolment.csv | UTF-8 CSV | yearbook extract 2009–2016 per county (codes of each year, so 451025 靖西县 until 2014 and 451281 宜州市 until 2016): 小学 and 初中 招生数 with 其中：女, 初中 毕业班学生数 — the cohorts behind retention |\n");
    t.push_str("| projects.csv | UTF-8 CSV | the project register 2018–2020 (年份, 地区代码, 项目类别, 数量): per county for local projects, for the province (450000) otherwise; at real magnitude whatever the scale, since the plan's counts are absolute |\n\n");
    t.push_str("Retired county codes appear where a real delivery of that year would carry them: 450331 荔浦县\n(2017), 451021 田阳县 (2017–2018), 451023 平果县 (2017–2019), 450127 横县 (2017–2020). They must\nroll up into 450381, 451003, 451082 and 450181.\n\n");
    t.push_str("## Deliberately bad rows\n\nEach must end in quarantine with the rule shown; every other row is accepted.\n\n| file | row | rule |\n| --- | --- | --- |\n");
    for b in bad {
        t.push_str(&format!("| {} | {} | `{}` |\n", b.file, b.what, b.rule));
    }
    std::fs::write(&path, t).map_err(|e| Error::io(&path, e))?;
    Ok(path)
}
