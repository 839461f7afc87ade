//! `edustat targets [<run-dir>] [--level L] [--status S] [--indicator ID]`: the plan's targets
//! and their status, as a table; with `--level county`, every county of the 县县 targets.
//!
//! Example: `edustat targets --level county --status off_track`

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::frame::{self, DataFrame, Expr, IntoLazy, col, lit};
use crate::query::output::aligned;
use crate::report::figure;

const EXAMPLES: &str = "\
Examples:
  edustat targets
      the latest run under out/: every target on the region the plan addresses
  edustat targets --status off_track
      only the targets behind their trajectory
  edustat targets --level county --status off_track --indicator super_large_class_share_compulsory
      the counties behind on a 县县 target
  edustat targets out/guangxi-2018-2020/runs/<run-id>
      an earlier run";

#[derive(clap::Args, Debug)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// A run folder (default: the latest run of the only pipeline under --out).
    run: Option<PathBuf>,
    #[arg(long, default_value = "out")]
    out: PathBuf,
    /// Rows of regions of this level (`county`: each county of the targets set for every county).
    /// Default: the regions the plan addresses.
    #[arg(long)]
    level: Option<String>,
    /// Only rows of this status (achieved, on_track, off_track, no_baseline, no_recent_value).
    #[arg(long)]
    status: Option<String>,
    /// Only the targets of this indicator.
    #[arg(long)]
    indicator: Option<String>,
}

/// Which rows of `targets.parquet` to show.
#[derive(Debug, Default)]
pub struct Filter {
    pub level: Option<String>,
    pub status: Option<String>,
    pub indicator: Option<String>,
}

impl Filter {
    /// The rows the filter shows, as an expression (the same test as `Rows::shown`).
    fn rows(&self) -> Expr {
        let mut shown = match &self.level {
            Some(level) => col("region_level").eq(lit(level.clone())),
            None => col("region_code").eq_missing(col("target_region")),
        };
        if let Some(s) = &self.status {
            shown = shown.and(col("status").eq(lit(s.clone())));
        }
        if let Some(x) = &self.indicator {
            shown = shown.and(col("indicator").eq(lit(x.clone())));
        }
        shown
    }
}

pub fn execute(args: Args) -> Result<()> {
    if let Some(s) = &args.status
        && !crate::assess::STATUSES.contains(&s.as_str())
    {
        return Err(Error::Usage(format!(
            "--status {s}: one of {}",
            crate::assess::STATUSES.join(", ")
        )));
    }
    let filter = Filter { level: args.level, status: args.status, indicator: args.indicator };
    print_run(&crate::run_folder::locate(args.run, &args.out)?, &filter)
}

/// Print the targets table of a published run folder, once its `targets.parquet` is shown to
/// be the file the run wrote, and a line of counts.
pub fn print_run(dir: &Path, filter: &Filter) -> Result<()> {
    let df = crate::run_folder::table(dir, "targets.parquet")?;
    // Filtered in the frame first: a national run has thousands of rows, a few of them shown.
    let df = frame::collect(df.lazy().filter(filter.rows()))?;
    let rows = Rows::read(&df)?;
    let shown: Vec<usize> = (0..df.height()).filter(|i| rows.shown(*i, filter)).collect();
    let mut table = vec![header()];
    table.extend(shown.iter().map(|i| rows.line(*i)));
    say!("{}", aligned(&table))?;
    let counts = crate::assess::STATUSES
        .iter()
        .map(|s| format!("{} {s}", shown.iter().filter(|i| rows.text("status", **i) == *s).count()))
        .collect::<Vec<_>>()
        .join(", ");
    let what = match &filter.level {
        Some(level) => format!("{level} rows"),
        None => "targets".into(),
    };
    say!("{what}: {counts}")?;
    Ok(())
}

/// The columns of `targets.parquet` the table shows.
struct Rows(frame::Rows);

impl Rows {
    fn read(df: &DataFrame) -> Result<Rows> {
        let texts = [
            "indicator",
            "region_code",
            "region_name",
            "region_level",
            "target_region",
            "comparator",
            "target_year",
            "source",
            "baseline_year",
            "latest_year",
            "status",
            "regions_meeting",
            "regions_assessed",
        ];
        let numbers =
            ["target_value", "target_value_high", "baseline_value", "latest_value", "gap"];
        Ok(Rows(frame::Rows::read(df, &texts, &numbers, &[])?))
    }

    fn text(&self, c: &str, i: usize) -> String {
        self.0.text(c, i).unwrap_or_default().to_string()
    }

    fn num(&self, c: &str, i: usize) -> Option<f64> {
        self.0.float(c, i)
    }

    fn shown(&self, i: usize, f: &Filter) -> bool {
        let level = match &f.level {
            Some(level) => self.text("region_level", i) == *level,
            None => self.text("region_code", i) == self.text("target_region", i),
        };
        level
            && f.status.as_ref().is_none_or(|s| self.text("status", i) == *s)
            && f.indicator.as_ref().is_none_or(|x| self.text("indicator", i) == *x)
    }

    fn line(&self, i: usize) -> Vec<String> {
        let counted = match self.text("regions_assessed", i).as_str() {
            "" => "-".to_string(),
            n => format!("{}/{n}", self.text("regions_meeting", i)),
        };
        vec![
            self.text("indicator", i),
            format!("{} {}", self.text("region_code", i), self.text("region_name", i)),
            target_text(
                &self.text("comparator", i),
                self.num("target_value", i),
                self.num("target_value_high", i),
            ),
            format!("{} ({})", self.text("target_year", i), self.text("source", i)),
            format!("{} {}", self.text("baseline_year", i), figure(self.num("baseline_value", i))),
            match self.num("latest_value", i) {
                Some(v) => format!("{} {}", self.text("latest_year", i), figure(Some(v))),
                None => "-".into(),
            },
            self.text("status", i),
            counted,
            figure(self.num("gap", i)),
        ]
    }
}

fn header() -> Vec<String> {
    ["indicator", "region", "target", "by", "baseline", "latest", "status", "meeting", "gap"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn target_text(comparator: &str, value: Option<f64>, high: Option<f64>) -> String {
    match comparator {
        "between" => format!("{}–{}", figure(value), figure(high)),
        "about" => format!("≈ {}", figure(value)),
        c => format!("{c} {}", figure(value)),
    }
}
