//! The one integration test binary (each extra binary re-links polars).

mod bad_inputs;
mod common;
mod contract;
mod encodings;
mod nightly;
mod properties;
mod regression;
mod samples;
mod spec_errors;
mod tiny;
