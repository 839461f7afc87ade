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
mod completions;
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

use std::io::IsTerminal;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use crate::error::{Error, Result};

/// `--version`: the release and the commit it was built from.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("EDUSTAT_COMMIT"), ")");

/// The end of `edustat --help`.
const AFTER_HELP: &str = "\
Exit codes:
  0         success (also when the reader of the output goes away early, as `head` does)
  1         internal failure (a bug, or the file system refused)
  2         usage or pipeline-file error; the message names the file and line
  3         bad input data (an unreadable file, a failed quality gate) or a run file that is not
            the one its manifest records; nothing is published
  4         `check` found a regression
  5         another run of the same pipeline holds the lock
  130, 143  stopped by SIGINT or SIGTERM; the unfinished run is removed, `latest` is unchanged

Every verb's --help ends with examples. Start with:
  edustat run pipelines/guangxi-2018-2020.toml
  edustat targets";

#[derive(Parser, Debug)]
#[command(
    name = "edustat",
    version = VERSION,
    about = "Education statistics pipeline: raw files -> indicators -> plan targets",
    after_help = AFTER_HELP
)]
struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Log level filter (e.g. info, debug, edustat=debug). Overrides RUST_LOG.
    #[arg(long, global = true)]
    log_level: Option<String>,
    /// Colour in the logs: auto (only when stderr is a terminal and NO_COLOR is unset), always,
    /// never.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
    #[command(subcommand)]
    command: Command,
}

/// Whether logs carry colour escapes.
#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
enum Color {
    Auto,
    Always,
    Never,
}

impl Color {
    /// `auto` colours only a terminal, and never when NO_COLOR is set to anything non-empty
    /// (no-color.org) or TERM is `dumb`: a cron job's log file gets plain text.
    fn enabled(self) -> bool {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                !set("NO_COLOR")
                    && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
                    && std::io::stderr().is_terminal()
            }
        }
    }
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
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::Args),
    /// Print the man page (roff), generated from these same definitions.
    Man(completions::ManArgs),
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
    init_logging(cli.log_format, cli.log_level.as_deref(), cli.color.enabled());
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
        Command::Completions(a) => completions::execute(a),
        Command::Man(a) => completions::man(a),
    }
}

/// Write a verb's output to stdout; a closed pipe is [`Error::OutputClosed`].
pub(crate) fn write_out(args: std::fmt::Arguments) -> Result<()> {
    use std::io::Write;
    std::io::stdout().lock().write_fmt(args).map_err(Error::from_output)
}

/// The whole command line as clap describes it, for completions and the man page.
fn definition() -> clap::Command {
    Cli::command()
}

fn init_logging(format: LogFormat, level: Option<&str>, color: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = match level {
        Some(l) => EnvFilter::new(l),
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.with_target(false).try_init(),
    };
}
