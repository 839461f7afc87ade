//! CSV path: decode → parse → map → validate, for every CSV source of the Guangxi pipeline.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    edustat_fuzz::harness().check(edustat::spec::Format::Csv, data);
});
