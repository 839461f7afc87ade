//! The command line: one module per verb; this file parses flags, sets up logging and
//! dispatches. Verbs return typed errors; `main` maps them to exit codes.

/// `println!` for what a verb prints: a reader that went away (`edustat targets | head`) ends
/// the verb quietly ([`Error::OutputClosed`]) instead of a panic.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::write_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` for what a verb prints, as [`say!`].
macro_rules! say_raw {
    ($($arg:tt)*) => {
        $crate::cli::write_out(format_args!($($arg)*))
    };
}

mod baseline;
mod check;
mod diff;
mod explain;
mod export;
mod query;
mod report;
mod run;
mod sample;
mod targets;
mod validate;
mod verify;

use clap::{Parser, Subcommand, ValueEnum};

use crate::error::{Error, Result};

#[derive(Parser, Debug)]
#[command(
    name = "edustat",
    version,
    about = "Education statistics pipeline: raw files -> indicators -> plan targets"
)]
struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Log level filter (e.g. info, debug, edustat=debug). Overrides RUST_LOG.
    #[arg(long, global = true)]
    log_level: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Ingest, compute, assess and publish a pipeline.
    Run(run::Args),
    /// Ingest and run the quality gates; print quarantine and failed gates; write nothing.
    Validate(validate::Args),
    /// Print the plan's targets and their status from a published run.
    Targets(targets::Args),
    /// Which indicators moved between two runs, by how much, where and why.
    Diff(diff::Args),
    /// Diff against a committed baseline with tolerances; exit 4 on a regression.
    Check(check::Args),
    /// Write a run as the sorted CSV baseline that `check` compares against.
    Baseline(baseline::Args),
    /// Read-only SQL over a run's tables (`edustat query --help` has worked examples).
    Query(query::Args),
    /// Write the run's targets as one self-contained HTML page with charts.
    Report(report::Args),
    /// Write the run as one workbook for Excel users (README, targets, a sheet per family, a long table).
    Export(export::Args),
    /// Print the catalogue entry of an indicator.
    Explain(explain::Args),
    /// Write synthetic raw files shaped like real deliveries.
    Sample(sample::Args),
    /// Check that every file of a run is the one its manifest records (exit 3 if not).
    Verify(verify::Args),
}

/// Entry point used by `main`.
pub fn main() -> Result<()> {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) =>
        {
            say_raw!("{e}")?;
            return Ok(());
        }
        Err(e) => {
            let text = e.to_string();
            return Err(Error::Usage(text.trim_start_matches("error: ").trim_end().to_string()));
        }
    };
    init_logging(cli.log_format, cli.log_level.as_deref());
    crate::interrupt::watch();
    match cli.command {
        Command::Run(a) => run::execute(a),
        Command::Validate(a) => validate::execute(a),
        Command::Targets(a) => targets::execute(a),
        Command::Diff(a) => diff::execute(a),
        Command::Check(a) => check::execute(a),
        Command::Baseline(a) => baseline::execute(a),
        Command::Query(a) => query::execute(a),
        Command::Report(a) => report::execute(a),
        Command::Export(a) => export::execute(a),
        Command::Explain(a) => explain::execute(a),
        Command::Sample(a) => sample::execute(a),
        Command::Verify(a) => verify::execute(a),
    }
}

/// Write a verb's output to stdout; a closed pipe is [`Error::OutputClosed`].
pub(crate) fn write_out(args: std::fmt::Arguments) -> Result<()> {
    use std::io::Write;
    std::io::stdout().lock().write_fmt(args).map_err(Error::from_output)
}

fn init_logging(format: LogFormat, level: Option<&str>) {
    use tracing_subscriber::EnvFilter;
    let filter = match level {
        Some(l) => EnvFilter::new(l),
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.with_target(false).try_init(),
    };
}
