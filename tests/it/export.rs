//! `edustat export --xlsx`: the workbook as openpyxl (a reader that is not ours, the one
//! pandas.read_excel uses) sees it — sheets, frozen headers, filters, the long Excel table,
//! number formats from the unit, status colours, codes as text, no formula anywhere, and the
//! same bytes for the same run.
//!
//! The tiny fixture with the 县县 targets of tests/it/every_county.rs, the preschool target's
//! wording turned into something a spreadsheet would evaluate. Its preschool GER in 2020 (tests/
//! it/tiny.rs): province 208 / 210 = 99.05 %, city 450100 (54 + 30) / (60 + 30) = 93.33 %, county
//! A 450102 54 / 60 = 90 %, B 450103 30 / 30 = 100 %, city 450200 and county C 450202
//! 124 / 120 = 103.33 %; nothing in 2019.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::common::{close, edustat, guangxi_run, repo, tiny_copy};
use edustat::frame::{self, IntoLazy, col, lit};

const FORMULA: &str = "=HYPERLINK(\"https://example.invalid\",\"学前\")";

/// The tiny run: (fixture guard, output guard, run folder).
fn tiny_run() -> (tempfile::TempDir, tempfile::TempDir, PathBuf) {
    let dir = tiny_copy();
    let pipeline = dir.path().join("pipeline.toml");
    let text = std::fs::read_to_string(&pipeline)
        .unwrap()
        .replace("wording = \"學前教育三年毛入園率達90%\"", &format!("wording = '{FORMULA}'"))
        + super::every_county::TARGETS;
    std::fs::write(&pipeline, text).unwrap();
    let (guard, run) = super::common::run(&pipeline);
    (dir, guard, run)
}

fn export(run: &Path, to: &Path) {
    let r = edustat(&["export", run.to_str().unwrap(), "--xlsx", to.to_str().unwrap()], &[]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

/// What openpyxl reads (tests/readers/open_workbook.py, `full` or `summary`).
fn openpyxl(workbook: &Path, mode: &str) -> Value {
    let python = repo().join(".venv/current/bin/python");
    assert!(python.exists(), "{} is missing: `make readers` installs it", python.display());
    let out = std::process::Command::new(&python)
        .arg(repo().join("tests/readers/open_workbook.py"))
        .arg(workbook)
        .arg(mode)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"))
}

fn sheet<'a>(book: &'a Value, name: &str) -> &'a Value {
    book["sheets"].as_array().unwrap().iter().find(|s| s["name"] == name).unwrap()
}

/// Row `r` (0 = header) of a sheet as [value, number format, type, fill] cells.
fn row(sheet: &Value, r: usize) -> &Vec<Value> {
    sheet["cells"][r].as_array().unwrap()
}

fn values(sheet: &Value, r: usize) -> Vec<Value> {
    row(sheet, r).iter().map(|c| c[0].clone()).collect()
}

/// The first row whose cells hold the values `wanted` (column, value).
fn find<'a>(sheet: &'a Value, wanted: &[(usize, Value)]) -> &'a Vec<Value> {
    let rows = sheet["cells"].as_array().unwrap();
    rows.iter()
        .map(|r| r.as_array().unwrap())
        .find(|r| wanted.iter().all(|(c, v)| r.get(*c).is_some_and(|cell| cell[0] == *v)))
        .unwrap_or_else(|| panic!("no row {wanted:?} in {}", sheet["name"]))
}

#[test]
fn the_workbook_has_the_layout_a_planner_reads() {
    let (_fixture, _out, run) = tiny_run();
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("tiny.xlsx");
    export(&run, &xlsx);
    let book = openpyxl(&xlsx, "full");
    // README, targets, one sheet per family in the catalogue's order, the long table last.
    let names: Vec<&str> =
        book["sheets"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    let catalogue = frame::read_parquet(&run.join("catalogue.parquet")).unwrap();
    let mut families: Vec<String> = Vec::new();
    for f in super::common::texts(&catalogue, "family") {
        if !families.contains(&f) {
            families.push(f);
        }
    }
    let mut expected = vec!["README".to_string(), "targets".to_string()];
    expected.extend(families);
    expected.push("indicators".into());
    assert_eq!(names, expected);
    // README: the run and the catalogue in both languages.
    let readme = sheet(&book, "README");
    let run_id = run.file_name().unwrap().to_str().unwrap();
    find(readme, &[(0, json!("运行 run")), (1, json!(run_id))]);
    find(
        readme,
        &[(0, json!("ger_preschool")), (1, json!("gross_enrolment")), (2, json!("percent"))],
    );
    find(readme, &[(0, json!("new_public_kindergarten")), (3, json!("新建公办幼儿园"))]);
    // targets: four province targets and two 县县 ones with their three counties: 4 + 2 × 4.
    let targets = sheet(&book, "targets");
    assert_eq!(targets["freeze"], "C2");
    assert_eq!(targets["autofilter"], "A1:Y13");
    assert_eq!(
        values(targets, 0)[..5],
        [
            json!("target"),
            json!("indicator"),
            json!("name_zh"),
            json!("name_en"),
            json!("region_code")
        ]
    );
    // County A is short of 95: 90 in the unit's format, the status in Excel's "Bad" colours.
    let a = find(targets, &[(0, json!("preschool_each_county")), (4, json!("450102"))]);
    assert_eq!(a[4][2], "s", "a code is text");
    assert_eq!((&a[16][0], &a[16][1]), (&json!(90), &json!("0.0")));
    assert_eq!((&a[17][0], &a[17][3]), (&json!("off_track"), &json!("FFFFC7CE")));
    let b = find(targets, &[(0, json!("preschool_each_county")), (4, json!("450103"))]);
    assert_eq!((&b[17][0], &b[17][3]), (&json!("achieved"), &json!("FFC6EFCE")));
    let province = find(targets, &[(0, json!("preschool_each_county")), (4, json!("450000"))]);
    assert_eq!((&province[18][0], &province[19][0]), (&json!(2), &json!(3)));
    // gross_enrolment: regions down in hierarchy order, years across, codes and names of the
    // province and city each region lies in.
    let ger = sheet(&book, "gross_enrolment");
    assert_eq!(ger["freeze"], "E2");
    let header = values(ger, 0);
    assert_eq!(
        header,
        [
            "indicator",
            "name_zh",
            "region_code",
            "region_name",
            "sex",
            "area",
            "2019",
            "2020",
            "unit",
            "name_en",
            "region_level",
            "province_code",
            "province_name",
            "city_code",
            "city_name"
        ]
        .map(|s| json!(s))
    );
    let expected = [
        ("450000", 208.0 / 210.0 * 100.0, "", ""),
        ("450100", 84.0 / 90.0 * 100.0, "450100", "南宁市"),
        ("450102", 90.0, "450100", "南宁市"),
        ("450103", 100.0, "450100", "南宁市"),
        ("450200", 124.0 / 120.0 * 100.0, "450200", "柳州市"),
        ("450202", 124.0 / 120.0 * 100.0, "450200", "柳州市"),
    ];
    for (r, (code, value, city, city_name)) in expected.iter().enumerate() {
        let cells = row(ger, r + 1);
        assert_eq!((&cells[0][0], &cells[2][0]), (&json!("ger_preschool"), &json!(code)));
        assert_eq!((&cells[4][0], &cells[5][0]), (&json!("total"), &json!("total")));
        assert!(cells[6][0].is_null(), "no value in 2019 is a blank cell");
        assert!(close(cells[7][0].as_f64(), *value), "{code}: {}", cells[7][0]);
        assert_eq!(cells[7][1], "0.0");
        assert_eq!((&cells[11][0], &cells[12][0]), (&json!("450000"), &json!("广西壮族自治区")));
        let (c, n) = (&cells[13][0], &cells[14][0]);
        assert_eq!(c.as_str().unwrap_or(""), *city, "{code}");
        assert_eq!(n.as_str().unwrap_or(""), *city_name, "{code}");
    }
    // The gender parity index in its own format: girls 101 / 105 over boys 107 / 105 = 101 / 107.
    let gpi = find(ger, &[(0, json!("ger_preschool_gpi")), (2, json!("450000"))]);
    assert!(close(gpi[7][0].as_f64(), 101.0 / 107.0), "{}", gpi[7][0]);
    assert_eq!(gpi[7][1], "0.000");
    // indicators: every row of indicators.parquet in one Excel table, frozen header.
    let long = sheet(&book, "indicators");
    let rows = frame::read_parquet(&run.join("indicators.parquet")).unwrap().height();
    assert_eq!(long["tables"], json!({ "indicators": format!("A1:N{}", rows + 1) }));
    assert_eq!(long["freeze"], "A2");
    let cells = find(
        long,
        &[(0, json!("ger_preschool")), (2, json!(2020)), (3, json!("450102")), (6, json!("total"))],
    );
    assert_eq!((&cells[2][0], &cells[3][2]), (&json!(2020), &json!("s")));
    assert_eq!((&cells[9][0], &cells[10][0]), (&json!(54), &json!(60)));
    assert_eq!((&cells[8][1], &cells[11][0]), (&json!("0.0"), &json!("percent")));
    assert_eq!((&cells[13][0], &cells[13][1]), (&json!(1), &json!("0.0%")));
}

#[test]
fn no_cell_is_a_formula_and_the_same_run_gives_the_same_bytes() {
    let (_fixture, _out, run) = tiny_run();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.xlsx"), dir.path().join("b.xlsx"));
    export(&run, &a);
    export(&run, &b);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let book = openpyxl(&a, "full");
    // The wording that looks like a formula is a text cell holding exactly that text.
    let targets = sheet(&book, "targets");
    let preschool = find(targets, &[(0, json!("preschool"))]);
    assert_eq!((&preschool[24][0], &preschool[24][2]), (&json!(FORMULA), &json!("s")));
    for s in book["sheets"].as_array().unwrap() {
        for r in s["cells"].as_array().unwrap() {
            for c in r.as_array().unwrap() {
                assert_ne!(c[2], "f", "a formula in {}: {c}", s["name"]);
            }
        }
    }
    // The document's creation time is the run's, not the clock's.
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(book["created"], manifest["finished_at"].as_str().unwrap()[..19]);
}

#[test]
fn the_guangxi_workbook_opens_in_openpyxl_row_for_row() {
    let run = guangxi_run();
    let xlsx = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("guangxi.xlsx");
    export(run, &xlsx);
    let book = openpyxl(&xlsx, "summary");
    let indicators = frame::read_parquet(&run.join("indicators.parquet")).unwrap();
    let targets = frame::read_parquet(&run.join("targets.parquet")).unwrap();
    assert_eq!(sheet(&book, "targets")["rows"], targets.height());
    assert_eq!(sheet(&book, "indicators")["rows"], indicators.height());
    // A family sheet has a row per indicator, region, sex and area of its indicators.
    let catalogue = frame::read_parquet(&run.join("catalogue.parquet")).unwrap();
    let ids = super::common::texts(&catalogue, "indicator");
    let families = super::common::texts(&catalogue, "family");
    for family in ["gross_enrolment", "class_share", "county_rule", "balance"] {
        let mine: Vec<&String> =
            ids.iter().zip(&families).filter(|(_, f)| *f == family).map(|(i, _)| i).collect();
        let keys = frame::collect(frame::distinct(
            indicators
                .clone()
                .lazy()
                .filter(frame::any_of(
                    mine.iter().map(|i| col("indicator").eq(lit(i.as_str()))).collect(),
                ))
                .select([col("indicator"), col("region_code"), col("sex"), col("area")]),
        ))
        .unwrap();
        assert_eq!(sheet(&book, family)["rows"], keys.height(), "{family}");
    }
    for s in book["sheets"].as_array().unwrap() {
        assert_eq!(s["formulas"], 0, "{}", s["name"]);
        assert_eq!(s["codes_not_text"], 0, "{}", s["name"]);
    }
}
