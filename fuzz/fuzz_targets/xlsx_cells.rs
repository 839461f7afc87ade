//! XLSX contents: well-formed workbooks with fuzzed cells, merges and sheets, read as the XLSX
//! source of the Guangxi pipeline (header in row 2 of sheet 分年龄人口).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Some(book) = edustat_fuzz::workbook(&String::from_utf8_lossy(data)) {
        edustat_fuzz::harness().check(edustat::spec::Format::Xlsx, &book);
    }
});
