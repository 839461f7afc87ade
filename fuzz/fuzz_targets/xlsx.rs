//! XLSX path: unzip → sheet → cells → map → validate, for every XLSX source of the Guangxi pipeline.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    edustat_fuzz::harness().check(edustat::spec::Format::Xlsx, data);
});
