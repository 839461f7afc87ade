//! The one integration test binary (each extra binary re-links polars).

// The 80-line rule is for src/; a test reads top to bottom, tables of cases included.
#![allow(clippy::too_many_lines, clippy::type_complexity)]

mod areas;
mod bad_inputs;
mod cli;
mod common;
mod contract;
mod encodings;
mod every_county;
mod export;
mod layout;
mod missing;
mod national;
mod nightly;
mod properties;
mod query;
mod readers;
mod regression;
mod report;
mod samples;
mod shared;
mod spec_errors;
mod tiny;
mod verbs;
mod yearbook;
