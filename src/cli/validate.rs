//! `edustat validate <pipeline.toml>`: ingest and run the quality gates; print what would be
//! quarantined and which gates fail; write nothing. Exit 3 when a gate fails.
//!
//! Example: `edustat validate pipelines/guangxi-2018-2020.toml`

use std::path::PathBuf;

use crate::error::{Error, Result};

const EXAMPLES: &str = "\
Examples:
  edustat validate pipelines/guangxi-2018-2020.toml
      rows read, accepted and quarantined per file, the first 20 quarantined rows and the
      failed quality gates; writes nothing; exit 3 when a gate fails
  edustat validate pipelines/guangxi-2018-2020.toml --show 200 > quarantine.txt
      the first 200 quarantined rows, each with its file, line, rule, column and value";

#[derive(clap::Args, Debug)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// The pipeline file.
    pipeline: PathBuf,
    /// Progress bars on stderr.
    #[arg(long, value_enum, default_value_t = super::run::Progress::Auto)]
    progress: super::run::Progress,
    /// Let input paths leave the pipeline's root.
    #[arg(long)]
    allow_outside: bool,
    /// Quarantine rows to show.
    #[arg(long, default_value_t = 20)]
    show: usize,
}

pub fn execute(args: Args) -> Result<()> {
    let v = crate::run::validate(&args.pipeline, args.progress.enabled(), args.allow_outside)?;
    say!("{:<60} {:>9} {:>9} {:>11}", "file", "read", "accepted", "quarantined")?;
    let shown = |path: &str| v.shown.get(path).cloned().unwrap_or_else(|| path.to_string());
    for f in &v.ingested.files {
        say!(
            "{:<60} {:>9} {:>9} {:>11}",
            shown(&f.path),
            f.rows_read,
            f.rows_accepted,
            f.rows_quarantined
        )?;
    }
    let q = &v.ingested.quarantine;
    if q.height() > 0 {
        say!(
            "\nquarantine ({} rows{}):",
            q.height(),
            if q.height() > args.show { format!(", first {}", args.show) } else { String::new() }
        )?;
        let text = |c: &str, i: usize| {
            q.column(c)
                .ok()
                .and_then(|s| s.get(i).ok())
                .map(|v| v.to_string().trim_matches('"').to_string())
                .unwrap_or_default()
        };
        for i in 0..q.height().min(args.show) {
            say!(
                "  {}:{} [{}] {} = {:?}: {}",
                shown(&text("source_file", i)),
                text("line", i),
                text("rule", i),
                text("column", i),
                text("raw_value", i),
                text("message", i)
            )?;
        }
    }
    let failed: Vec<_> = v.checks.iter().filter(|c| !c.passed && !c.warning).collect();
    let warned: Vec<_> = v.checks.iter().filter(|c| !c.passed && c.warning).collect();
    say!("\nchecks: {} run, {} failed, {} warnings", v.checks.len(), failed.len(), warned.len())?;
    for c in &failed {
        say!("  FAIL {} [{}]: {}", c.rule, c.scope, c.detail)?;
    }
    for c in &warned {
        say!("  WARN {} [{}]: {}", c.rule, c.scope, c.detail)?;
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::Gate(format!(
            "{} checks failed; `edustat run` would publish nothing",
            failed.len()
        )))
    }
}
