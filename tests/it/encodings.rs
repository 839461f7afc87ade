//! The same population delivered as UTF-8 CSV, GB18030 CSV (declared and auto-detected),
//! UTF-8 with BOM, and XLSX (title row, numbers as numbers) must give identical canonical tables.

use std::path::Path;

use super::common::repo;
use edustat::divisions::Divisions;
use edustat::frame::DataFrame;

const ROWS: &[[&str; 5]] = &[
    ["450102", "3岁", "20", "10", "10"],
    ["450102", "4岁", "21", "11", "10"],
    ["450199", "5岁", "7", "3", "4"],
    ["450202", "100岁及以上", "9", "2", "7"],
];

fn csv_text() -> String {
    let mut t = String::from("地区代码,年龄,合计,男,女\r\n");
    for r in ROWS {
        t.push_str(&r.join(","));
        t.push_str("\r\n");
    }
    t
}

fn pipeline(dir: &Path, file: &str, extra: &str) -> std::path::PathBuf {
    std::fs::copy(repo().join("tests/fixtures/tiny/divisions.csv"), dir.join("divisions.csv"))
        .unwrap();
    let toml = format!(
        r#"id = "enc"
title_zh = "编码"
title_en = "encodings"
years = [2020, 2020]
province = "450000"
divisions = "divisions.csv"
[mappings.population]
table = "population"
columns = {{ region_code = "地区代码", age = "年龄" }}
strip_suffixes = {{ age = ["岁及以上", "岁"] }}
values = [
  {{ raw = "合计", measure = "population", sex = "total" }},
  {{ raw = "男", measure = "population", sex = "male" }},
  {{ raw = "女", measure = "population", sex = "female" }},
]
[[sources]]
path = "{file}"
mapping = "population"
constants = {{ year = 2020, source = "census" }}
{extra}
"#
    );
    let path = dir.join("pipeline.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

fn population(pipeline_file: &Path) -> DataFrame {
    let p = edustat::spec::load(pipeline_file).unwrap();
    let d = Divisions::load(&p.divisions).unwrap();
    let ingested = edustat::ingest::ingest(&p, &d, Default::default(), false).unwrap();
    assert_eq!(ingested.quarantine.height(), 0);
    ingested.tables["population"].frame().unwrap()
}

#[test]
fn utf8_gb18030_bom_and_xlsx_give_identical_tables() {
    let dirs: Vec<tempfile::TempDir> = (0..5).map(|_| tempfile::tempdir().unwrap()).collect();
    // 1. UTF-8 declared
    std::fs::write(dirs[0].path().join("p.csv"), csv_text()).unwrap();
    let utf8 = population(&pipeline(dirs[0].path(), "p.csv", "encoding = \"utf-8\""));
    // 2. GB18030 declared, 3. GB18030 auto-detected
    let gb = encoding_rs::GB18030.encode(&csv_text()).0.into_owned();
    assert_ne!(
        gb,
        csv_text().into_bytes(),
        "the GB18030 bytes must differ from UTF-8 for the test to mean anything"
    );
    std::fs::write(dirs[1].path().join("p.csv"), &gb).unwrap();
    let gb_declared = population(&pipeline(dirs[1].path(), "p.csv", "encoding = \"gb18030\""));
    std::fs::write(dirs[2].path().join("p.csv"), &gb).unwrap();
    let gb_auto = population(&pipeline(dirs[2].path(), "p.csv", "encoding = \"auto\""));
    // 4. UTF-8 with BOM (Excel's "CSV UTF-8")
    std::fs::write(
        dirs[3].path().join("p.csv"),
        [b"\xEF\xBB\xBF".as_slice(), csv_text().as_bytes()].concat(),
    )
    .unwrap();
    let bom = population(&pipeline(dirs[3].path(), "p.csv", "encoding = \"utf-8\""));
    // 5. XLSX: a title in row 1, header in row 2, counts stored as numbers.
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name("人口").unwrap();
    ws.write_string(0, 0, "2020年分年龄人口").unwrap();
    for (c, h) in ["地区代码", "年龄", "合计", "男", "女"].iter().enumerate() {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    for (r, row) in ROWS.iter().enumerate() {
        ws.write_string(r as u32 + 2, 0, row[0]).unwrap();
        ws.write_string(r as u32 + 2, 1, row[1]).unwrap();
        for (c, cell) in row.iter().enumerate().skip(2).take(3) {
            ws.write_number(r as u32 + 2, c as u16, cell.parse::<f64>().unwrap()).unwrap();
        }
    }
    book.save(dirs[4].path().join("p.xlsx")).unwrap();
    let xlsx = population(&pipeline(dirs[4].path(), "p.xlsx", "sheet = \"人口\"\nheader_row = 2"));

    // 4 rows × (male, female) = 8 rows; 450199 became 450103.
    assert_eq!(utf8.height(), 8);
    let codes = super::common::texts(&utf8, "region_code");
    assert!(codes.contains(&"450103".to_string()) && !codes.contains(&"450199".to_string()));
    for (name, other) in [
        ("gb18030", &gb_declared),
        ("gb18030 auto", &gb_auto),
        ("utf-8 bom", &bom),
        ("xlsx", &xlsx),
    ] {
        assert!(utf8.equals_missing(other), "{name} differs:\n{utf8}\n{other}");
    }
}

#[test]
fn gbk_bytes_declared_utf8_is_an_error_with_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let gb = encoding_rs::GB18030.encode(&csv_text()).0.into_owned();
    std::fs::write(dir.path().join("p.csv"), &gb).unwrap();
    let p = edustat::spec::load(&pipeline(dir.path(), "p.csv", "encoding = \"utf-8\"")).unwrap();
    let d = Divisions::load(&p.divisions).unwrap();
    let err = edustat::ingest::ingest(&p, &d, Default::default(), false).err().expect("must fail");
    let text = err.to_string();
    // The first byte of 地 in GB18030 (0xB5) sits at offset 0, line 1.
    assert!(text.contains("p.csv:1 (byte 0)"), "{text}");
    assert!(text.contains("gb18030"), "the message suggests the right encoding: {text}");
    assert_eq!(err.exit(), edustat::error::Exit::BadInput);
}
