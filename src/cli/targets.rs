//! `edustat targets [<run-dir>]`: the plan's targets and their status, as a table.
//!
//! Example: `edustat targets out/guangxi-2018-2020/latest`

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::assess::Assessment;
use crate::error::Result;
use crate::frame;
use crate::query::output::aligned;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A run folder (default: the latest run of the only pipeline under --out).
    run: Option<PathBuf>,
    #[arg(long, default_value = "out")]
    out: PathBuf,
}

pub fn execute(args: Args) -> Result<()> {
    print_run(&crate::run_folder::locate(args.run, &args.out)?)
}

/// Print the targets table of a published run folder, once its `targets.parquet` is shown to
/// be the file the run wrote.
pub fn print_run(dir: &std::path::Path) -> Result<()> {
    if let Ok(manifest) = crate::manifest::Manifest::read(dir)
        && let Some(why) = manifest.damage_of(dir, "targets.parquet")
    {
        return Err(crate::error::Error::input(
            dir.join("targets.parquet"),
            format!("{why}: not the file this run wrote (`edustat verify` checks the run)"),
        ));
    }
    let df = frame::read_parquet(&dir.join("targets.parquet"))?;
    let columns = |names: &[&str]| -> Result<BTreeMap<String, Vec<Option<String>>>> {
        names.iter().map(|n| Ok((n.to_string(), frame::texts(&df, n)?))).collect()
    };
    let texts = columns(&[
        "indicator",
        "region_code",
        "region_name",
        "comparator",
        "target_year",
        "source",
        "baseline_year",
        "latest_year",
        "status",
    ])?;
    let numbers: BTreeMap<&str, Vec<Option<f64>>> =
        ["target_value", "target_value_high", "baseline_value", "latest_value", "gap"]
            .into_iter()
            .map(|n| Ok((n, frame::floats(&df, n)?)))
            .collect::<Result<_>>()?;
    let text = |c: &str, i: usize| texts.get(c).and_then(|v| v[i].clone()).unwrap_or_default();
    let num = |c: &str, i: usize| numbers.get(c).and_then(|v| v[i]);
    let mut rows = vec![header()];
    for i in 0..df.height() {
        rows.push(vec![
            text("indicator", i),
            format!("{} {}", text("region_code", i), text("region_name", i)),
            target_text(
                &text("comparator", i),
                num("target_value", i),
                num("target_value_high", i),
            ),
            format!("{} ({})", text("target_year", i), text("source", i)),
            format!("{} {}", text("baseline_year", i), fmt(num("baseline_value", i))),
            match num("latest_value", i) {
                Some(v) => format!("{} {}", text("latest_year", i), fmt(Some(v))),
                None => "-".into(),
            },
            text("status", i),
            fmt(num("gap", i)),
        ]);
    }
    println!("{}", table(&rows));
    println!("run: {}", dir.display());
    Ok(())
}

fn header() -> Vec<String> {
    ["indicator", "region", "target", "by", "baseline", "latest", "status", "gap"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn target_text(comparator: &str, value: Option<f64>, high: Option<f64>) -> String {
    match comparator {
        "between" => format!("{}–{}", fmt(value), fmt(high)),
        "about" => format!("≈ {}", fmt(value)),
        c => format!("{c} {}", fmt(value)),
    }
}

/// One decimal, but enough digits that a small non-zero value never prints as 0.0.
fn fmt(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(x) if x != 0.0 && x.abs() < 0.05 => format!("{x:.1e}"),
        Some(x) => format!("{x:.1}"),
    }
}

/// The targets of a run as a text table.
pub fn render(assessments: &[Assessment]) -> String {
    let mut rows = vec![header()];
    for a in assessments {
        rows.push(vec![
            a.target.indicator.clone(),
            format!("{} {}", a.target.region, a.region_name.clone().unwrap_or_default()),
            target_text(a.target.comparator.as_str(), Some(a.target.value), a.target.value_high),
            format!("{} ({})", a.target.target_year, a.target.source),
            format!("{} {}", a.target.baseline_year, fmt(a.baseline_value)),
            a.latest.map(|(y, v)| format!("{y} {}", fmt(Some(v)))).unwrap_or_else(|| "-".into()),
            a.status.to_string(),
            fmt(a.gap),
        ]);
    }
    table(&rows)
}

fn table(rows: &[Vec<String>]) -> String {
    aligned(rows)
}
