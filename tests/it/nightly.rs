//! Nightly runs: unchanged reruns recompute nothing, changed files re-ingest only their table,
//! a run killed at any point leaves `latest` on a complete run and the next run cleans up, one
//! run at a time (an operating-system lock: exit 5 while held, never blocked by a stale file;
//! runs started together never both publish), old runs pruned, JSON logs, `validate`.

use std::path::{Path, PathBuf};

use super::common::{edustat, tiny_copy};

/// A copy of the tiny fixture in a temporary folder; returns (guard, pipeline file, out root).
fn fixture() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tiny_copy();
    let pipeline = dir.path().join("pipeline.toml");
    let out = dir.path().join("out");
    (dir, pipeline, out)
}

fn run(
    pipeline: &Path,
    out: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (Option<i32>, String, String) {
    let mut args = vec![
        "run",
        pipeline.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--progress",
        "never",
    ];
    args.extend_from_slice(extra);
    let ran = edustat(&args, env);
    (ran.code, ran.stdout, ran.stderr)
}

fn runs(out: &Path) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(out.join("tiny/runs"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    ids.sort();
    ids
}

fn latest(out: &Path) -> String {
    std::fs::read_link(out.join("tiny/latest"))
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string()
}

fn manifest(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("tiny/latest/manifest.json")).unwrap())
        .unwrap()
}

#[test]
fn unchanged_rerun_recomputes_nothing_and_force_does() {
    let (_g, pipeline, out) = fixture();
    assert_eq!(run(&pipeline, &out, &[], &[]).0, Some(0));
    let first = latest(&out);
    let (code, stdout, _) = run(&pipeline, &out, &[], &[]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("unchanged") && stdout.contains(&first), "{stdout}");
    assert_eq!(runs(&out), vec![first.clone()], "no new run folder");
    // --force recomputes and publishes a new run.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(run(&pipeline, &out, &["--force"], &[]).0, Some(0));
    assert_eq!(runs(&out).len(), 2);
    assert_ne!(latest(&out), first);
}

#[test]
fn a_changed_file_reingests_only_its_table() {
    let (g, pipeline, out) = fixture();
    assert_eq!(run(&pipeline, &out, &[], &[]).0, Some(0));
    let before = manifest(&out)["fingerprint"].as_str().unwrap().to_string();
    // One more inbound student in exchange.csv.
    let path = g.path().join("exchange.csv");
    std::fs::write(
        &path,
        std::fs::read_to_string(&path).unwrap().replace("2020,450000,120,80", "2020,450000,121,80"),
    )
    .unwrap();
    let (code, stdout, _) = run(&pipeline, &out, &[], &[]);
    assert_eq!(code, Some(0), "{stdout}");
    let m = manifest(&out);
    assert_ne!(m["fingerprint"].as_str().unwrap(), before);
    for t in m["tables"].as_array().unwrap() {
        let name = t["table"].as_str().unwrap();
        assert_eq!(t["reused"].as_bool(), Some(name != "exchange"), "{name}");
    }
    // The reused tables still account for their files, and the new value is there.
    // population, schools, kindergarten, enrolment, higher_education, projects, classes,
    // kindergarten_classes, teachers, finance, exchange, regional_enrolment: 12 files.
    assert_eq!(m["inputs"].as_array().unwrap().len(), 12);
    let df = edustat::frame::read_parquet(&out.join("tiny/latest/indicators.parquet")).unwrap();
    let row = super::common::indicator(&df, "inbound_students", 2020, "450000", "total").unwrap();
    assert_eq!(row.value, Some(121.0));
}

#[test]
fn a_run_killed_at_any_point_leaves_latest_on_a_complete_run() {
    for point in ["after_ingest", "mid_publish", "before_switch"] {
        let (_g, pipeline, out) = fixture();
        assert_eq!(run(&pipeline, &out, &[], &[]).0, Some(0));
        let good = latest(&out);
        let (code, _, stderr) = run(&pipeline, &out, &["--force"], &[("EDUSTAT_FAILPOINT", point)]);
        assert_eq!(code, None, "{point}: the process must die by a signal, like kill -9: {stderr}");
        // latest still names the earlier, complete run.
        assert_eq!(latest(&out), good, "{point}");
        assert!(out.join("tiny/latest/manifest.json").is_file());
        // The next run succeeds and removes the leftovers (a .tmp folder, or an orphan run).
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let (code, _, stderr) = run(&pipeline, &out, &["--force"], &[]);
        assert_eq!(code, Some(0), "{point}: {stderr}");
        assert_ne!(latest(&out), good);
        let leftovers = std::fs::read_dir(out.join("tiny/runs"))
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
            .count();
        assert_eq!(leftovers, 0, "{point}");
        // The killed run's lock went with its process; the next run took it and released it.
        let lock = std::fs::read_to_string(out.join("tiny/.lock")).unwrap();
        assert!(lock.is_empty(), "{point}: the lock file is left empty when free: {lock}");
    }
}

#[test]
fn one_run_at_a_time_and_stale_lock_files_never_block() {
    let (_g, pipeline, out) = fixture();
    std::fs::create_dir_all(out.join("tiny")).unwrap();
    let lock_path = out.join("tiny/.lock");
    // A live holder: this test process holds the operating-system lock on the file.
    let mut held = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&lock_path)
        .unwrap();
    held.try_lock().unwrap();
    std::io::Write::write_all(&mut held, b"pid=4242\nstarted=now\n").unwrap();
    let (code, _, stderr) = run(&pipeline, &out, &[], &[]);
    assert_eq!(code, Some(5), "{stderr}");
    assert!(stderr.contains("pid=4242"), "names the holder: {stderr}");
    assert!(!out.join("tiny/latest").exists());
    drop(held);
    // A stale file naming a live process that is not an edustat holding the lock (pid 1, as
    // after a reboot): the file decides nothing; the run takes the lock, says so, releases it.
    std::fs::write(&lock_path, "pid=1\nstarted=long ago\n").unwrap();
    let (code, _, stderr) = run(&pipeline, &out, &[], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("ended without releasing") && stderr.contains("pid=1"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&lock_path).unwrap(), "", "empty when free");
}

#[test]
fn runs_started_together_never_both_publish() {
    // Batches of four forced runs started at the same moment: each run publishes or exits 5
    // naming the holder; the runs that published never overlapped in time, and each left
    // exactly one run folder.
    let (_g, pipeline, out) = fixture();
    assert_eq!(run(&pipeline, &out, &[], &[]).0, Some(0));
    let mut published = 1;
    for _ in 0..6 {
        let children: Vec<_> = (0..4)
            .map(|_| {
                std::process::Command::new(env!("CARGO_BIN_EXE_edustat"))
                    .args(["run", pipeline.to_str().unwrap(), "--out", out.to_str().unwrap()])
                    .args(["--progress", "never", "--force", "--log-level", "error"])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let done = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&done.stderr);
            match done.status.code() {
                Some(0) => published += 1,
                Some(5) => assert!(stderr.contains("held by another edustat run"), "{stderr}"),
                other => panic!("exit {other:?}: {stderr}"),
            }
        }
    }
    let ids = runs(&out);
    let kept: Vec<&String> = ids.iter().filter(|id| !id.starts_with('.')).collect();
    // keep_runs (10) may have pruned the oldest: never more folders than runs that published.
    assert!(kept.len() <= published && kept.len() >= published.min(10), "{kept:?} vs {published}");
    let mut spans: Vec<(String, String)> = kept
        .iter()
        .map(|id| {
            let m: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(out.join("tiny/runs").join(id).join("manifest.json"))
                    .unwrap(),
            )
            .unwrap();
            (
                m["started_at"].as_str().unwrap().to_string(),
                m["finished_at"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    spans.sort();
    for pair in spans.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "two runs overlapped: {pair:?}");
    }
}

#[test]
fn old_runs_are_pruned() {
    let (_g, pipeline, out) = fixture();
    let toml = std::fs::read_to_string(&pipeline).unwrap() + "\n[publish]\nkeep_runs = 2\n";
    std::fs::write(&pipeline, toml).unwrap();
    for _ in 0..3 {
        assert_eq!(run(&pipeline, &out, &["--force"], &[]).0, Some(0));
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    let left = runs(&out);
    assert_eq!(left.len(), 2, "{left:?}");
    assert_eq!(latest(&out), left[1]);
}

#[test]
fn json_logs_parse_line_by_line() {
    let (_g, pipeline, out) = fixture();
    let (code, _, stderr) = run(&pipeline, &out, &["--log-format", "json"], &[]);
    assert_eq!(code, Some(0));
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let stages: Vec<&str> = lines.iter().filter_map(|l| l["fields"]["stage"].as_str()).collect();
    assert_eq!(stages, ["ingest", "compute", "assess", "publish"]);
    assert!(lines.iter().all(|l| l["fields"]["stage"].is_null() || l["fields"]["millis"].is_u64()));
}

#[test]
fn validate_writes_nothing_and_fails_on_gates() {
    let (g, pipeline, out) = fixture();
    let ran = edustat(&["validate", pipeline.to_str().unwrap(), "--progress", "never"], &[]);
    let (code, stdout) = (ran.code, ran.stdout);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("kindergarten.csv") && stdout.contains("0 failed"), "{stdout}");
    assert!(!out.exists(), "validate writes nothing");
    // A population that halves in a year fails the year-on-year gate.
    let population = std::fs::read_to_string(g.path().join("population.csv")).unwrap();
    let mut earlier = String::from("地区代码,年龄,合计,男,女\n");
    for line in population.lines().skip(1).filter(|l| l.starts_with("450102")) {
        let f: Vec<&str> = line.split(',').collect();
        let (m, w): (i64, i64) =
            (f[3].parse::<i64>().unwrap() * 2, f[4].parse::<i64>().unwrap() * 2);
        earlier.push_str(&format!("{},{},{},{m},{w}\n", f[0], f[1], m + w));
    }
    std::fs::write(g.path().join("population_2019.csv"), earlier).unwrap();
    let toml = std::fs::read_to_string(&pipeline).unwrap()
        + "\n[[sources]]\npath = \"population_2019.csv\"\nmapping = \"population\"\nconstants = { year = 2019, source = \"census\" }\n\n[gates]\npopulation_max_yoy_change = 0.1\n";
    std::fs::write(&pipeline, toml).unwrap();
    let ran = edustat(&["validate", pipeline.to_str().unwrap(), "--progress", "never"], &[]);
    let (code, stdout) = (ran.code, ran.stdout);
    assert_eq!(code, Some(3), "{stdout}");
    // County A: 2 × its 2020 population in 2019 → −50 %.
    assert!(
        stdout.contains("FAIL population.yoy_change [450102 2020]") && stdout.contains("-50.0%"),
        "{stdout}"
    );
    let (code, _, stderr) = run(&pipeline, &out, &[], &[]);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(!out.join("tiny/latest").exists(), "a failed gate publishes nothing");
}

/// The tiny fixture with a 2019 register (every 2020 school again, and `extra` primary schools
/// in county C registered in both years) and 2019 enrolment (the schools of `enrolment.csv` and
/// the extra ones; no kindergarten delivers in 2019), gated at 90 % reporting.
fn with_2019_enrolment(g: &Path, pipeline: &Path, extra: &[&str]) {
    let copy_of = |text: &str, id: &str| -> Vec<String> {
        let line = text.lines().find(|l| l.contains("3502020003")).unwrap();
        vec![line.replace("3502020003", id)]
    };
    let schools = std::fs::read_to_string(g.join("schools.csv")).unwrap();
    let mut rows: Vec<String> = schools.lines().map(str::to_string).collect();
    rows.extend(extra.iter().flat_map(|id| copy_of(&schools, id)));
    let again: Vec<String> = rows
        .iter()
        .filter(|l| l.starts_with("2020,"))
        .map(|l| l.replacen("2020,", "2019,", 1))
        .collect();
    rows.extend(again);
    std::fs::write(g.join("schools.csv"), rows.join("\n") + "\n").unwrap();
    let enrolment = std::fs::read_to_string(g.join("enrolment.csv")).unwrap();
    let mut earlier: Vec<String> = enrolment.lines().map(str::to_string).collect();
    earlier.extend(extra.iter().flat_map(|id| copy_of(&enrolment, id)));
    std::fs::write(g.join("enrolment_2019.csv"), earlier.join("\n") + "\n").unwrap();
    let toml = std::fs::read_to_string(pipeline).unwrap()
        + "\n[[sources]]\npath = \"enrolment_2019.csv\"\nmapping = \"enrolment\"\nconstants = { year = 2019 }\n\n[gates]\nmin_reporting_ratio = 0.9\n";
    std::fs::write(pipeline, toml).unwrap();
}

#[test]
fn reporting_coverage_counts_each_countys_schools_with_enrolment_by_hand() {
    // Schools with any enrolment row, by county (B's kindergarten is registered under its
    // retired code 450199 and counted under its successor 450103):
    //   A 450102: 2020 3501020001 (kindergarten), 3501020002, 3501020003, 3501020004 = 4;
    //             2019 3501020002, 3501020003, 3501020004 = 3 → 4 / 3 = 133.3 %, passes;
    //   B 450103: 2020 3501990001 = 1; 2019 none → no check (nothing to compare with);
    //   C 450202: 2020 3502020001 (kindergarten), 3502020002, 3502020003 = 3;
    //             2019 3502020002, 3502020003, 3502020004 = 3 → 100.0 %, passes.
    let (g, pipeline, out) = fixture();
    with_2019_enrolment(g.path(), &pipeline, &["3502020004"]);
    let (code, _, stderr) = run(&pipeline, &out, &[], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let checks = edustat::frame::read_parquet(&out.join("tiny/latest/checks.parquet")).unwrap();
    let texts = |c: &str| edustat::frame::texts(&checks, c).unwrap();
    let (rules, scopes, details) = (texts("rule"), texts("scope"), texts("detail"));
    let mut coverage: Vec<(String, String)> = (0..checks.height())
        .filter(|&i| rules[i].as_deref() == Some("reporting.coverage"))
        .map(|i| (scopes[i].clone().unwrap(), details[i].clone().unwrap()))
        .collect();
    coverage.sort();
    let expected = [
        ("450102 2020", "4 schools reported enrolment, 3 the year before (133.3%, minimum 90.0%)"),
        ("450202 2020", "3 schools reported enrolment, 3 the year before (100.0%, minimum 90.0%)"),
    ];
    let expected: Vec<(String, String)> =
        expected.iter().map(|(s, d)| (s.to_string(), d.to_string())).collect();
    assert_eq!(coverage, expected);
    // One more school in C that delivered in 2019 only: 3 of 4 = 75.0 % stops the run.
    let (g, pipeline, _) = fixture();
    with_2019_enrolment(g.path(), &pipeline, &["3502020004", "3502020005"]);
    let ran = edustat(&["validate", pipeline.to_str().unwrap(), "--progress", "never"], &[]);
    assert_eq!(ran.code, Some(3), "{}", ran.stdout);
    let failed = "FAIL reporting.coverage [450202 2020]: 3 schools reported enrolment, 4 the year before (75.0%, minimum 90.0%)";
    assert!(ran.stdout.contains(failed), "{}", ran.stdout);
    assert!(!ran.stdout.contains("[450102 2020]"), "{}", ran.stdout);
}

#[test]
fn supplied_population_totals_are_checked_and_never_counted_twice() {
    let (g, pipeline, out) = fixture();
    // An all-ages total for A (年龄 = 合计) and city 450100's own figures for ages 3 and 4.
    // A's single ages: men 10×3 + 100 + 20×3 + 10×5 = 240, women the same → 合计 480 = 240 + 240.
    // Ages 3 and 4 of the city = A (10 + 10) + B (5 + 5): 15 men and 15 women each; the age-4 row
    // says 16 men, one too many.
    let path = g.path().join("population.csv");
    let text = std::fs::read_to_string(&path).unwrap()
        + "450102,合计,480,240,240\n450100,3岁,30,15,15\n450100,4岁,31,16,15\n";
    std::fs::write(&path, text).unwrap();
    let toml = std::fs::read_to_string(&pipeline).unwrap().replace(
        "strip_suffixes = { age = [\"岁\"] }",
        "strip_suffixes = { age = [\"岁\"] }\ntotal_labels = { age = [\"合计\"] }",
    );
    std::fs::write(&pipeline, toml).unwrap();
    let ran = edustat(&["validate", pipeline.to_str().unwrap(), "--progress", "never"], &[]);
    let (code, stdout) = (ran.code, ran.stdout);
    assert_eq!(code, Some(3), "{stdout}");
    assert!(stdout.contains("FAIL population.county_sum [450100 2020 male age 4]: supplied 16, the sum of its counties 15"), "{stdout}");
    assert_eq!(
        stdout.matches("FAIL").count(),
        1,
        "the total row and the other city rows pass: {stdout}"
    );
    // With the city row corrected the run passes, and the city's preschool denominator is still
    // A + B = 60 + 30 = 90: rows of cities and totals are never added to the counties'.
    std::fs::write(
        &path,
        std::fs::read_to_string(&path)
            .unwrap()
            .replace("450100,4岁,31,16,15", "450100,4岁,30,15,15"),
    )
    .unwrap();
    let (code, _, stderr) = run(&pipeline, &out, &[], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let df = edustat::frame::read_parquet(&out.join("tiny/latest/indicators.parquet")).unwrap();
    assert_eq!(
        super::common::indicator(&df, "ger_preschool", 2020, "450100", "total")
            .unwrap()
            .denominator,
        Some(90.0)
    );
    assert_eq!(
        super::common::indicator(&df, "ger_preschool", 2020, "450102", "total")
            .unwrap()
            .denominator,
        Some(60.0)
    );
}

#[test]
fn a_damaged_latest_is_never_trusted() {
    let (_g, pipeline, out) = fixture();
    assert_eq!(run(&pipeline, &out, &[], &[]).0, Some(0));
    let arg = |p: &Path| p.to_str().unwrap().to_string();
    let ran = edustat(&["verify", &arg(&out.join("tiny/latest"))], &[]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(ran.stdout.contains("17 of 17 files match"), "{}", ran.stdout);
    // Truncate the published indicators: verify names the file (exit 3), targets refuses its
    // damaged file... (targets.parquet), and an unchanged rerun recomputes instead of vouching.
    let indicators = out.join("tiny/latest/indicators.parquet");
    let bytes = std::fs::read(&indicators).unwrap();
    std::fs::write(&indicators, &bytes[..100]).unwrap();
    let ran = edustat(&["verify", &arg(&out.join("tiny/latest"))], &[]);
    assert_eq!(ran.code, Some(3), "{}", ran.stderr);
    assert!(ran.stdout.contains("damaged  indicators.parquet"), "{}", ran.stdout);
    let targets = out.join("tiny/latest/targets.parquet");
    std::fs::write(&targets, b"not parquet").unwrap();
    let ran = edustat(&["targets", &arg(&out.join("tiny/latest"))], &[]);
    assert_eq!(ran.code, Some(3), "{}", ran.stderr);
    assert!(ran.stderr.contains("targets.parquet"), "{}", ran.stderr);
    let before = latest(&out);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (code, stdout, stderr) = run(&pipeline, &out, &[], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stdout.contains("nothing recomputed"), "{stdout}");
    assert!(
        stderr.contains("does not match its manifest") && stderr.contains("indicators.parquet"),
        "{stderr}"
    );
    assert_ne!(latest(&out), before);
    assert_eq!(edustat(&["verify", "--out", &arg(&out)], &[]).code, Some(0));
    // A truncated staging table and another input changed: no table is reused from that run.
    let staging = out.join("tiny/latest/staging/population.parquet");
    std::fs::write(&staging, b"PAR1").unwrap();
    let exchange = pipeline.parent().unwrap().join("exchange.csv");
    let text = std::fs::read_to_string(&exchange).unwrap().replace(",120,", ",121,");
    std::fs::write(&exchange, text).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (code, _, stderr) = run(&pipeline, &out, &[], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("staging/population.parquet"), "{stderr}");
    assert_eq!(
        manifest(&out)["tables"].as_array().unwrap().iter().filter(|t| t["reused"] == true).count(),
        0
    );
}

#[test]
fn sigterm_and_sigint_remove_the_unfinished_run() {
    let (_g, pipeline, out) = fixture();
    assert_eq!(run(&pipeline, &out, &[], &[]).0, Some(0));
    let good = latest(&out);
    let unfinished = |out: &Path| {
        std::fs::read_dir(out.join("tiny/runs"))
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-"))
            .count()
    };
    for (signal, name, code) in [("-TERM", "SIGTERM", 143), ("-INT", "SIGINT", 130)] {
        // A run paused in the middle of publishing (EDUSTAT_FAILPOINT=pause:mid_publish).
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_edustat"))
            .args(["run", pipeline.to_str().unwrap(), "--out", out.to_str().unwrap()])
            .args(["--progress", "never", "--force"])
            .env("EDUSTAT_FAILPOINT", "pause:mid_publish")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Wait for the run to say it is paused there (it has its unfinished folder by then).
        let mut child = child;
        let mut said = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut stderr = String::new();
        loop {
            let mut line = String::new();
            let n = std::io::BufRead::read_line(&mut said, &mut line).unwrap();
            assert!(n > 0, "the run ended before mid_publish: {stderr}");
            stderr.push_str(&line);
            if line.contains("failpoint mid_publish: pausing") {
                break;
            }
        }
        assert_eq!(unfinished(&out), 1, "{name}: the run is building its folder");
        let pid = child.id().to_string();
        let sent = std::process::Command::new("kill").args([signal, &pid]).status().unwrap();
        assert!(sent.success());
        std::io::Read::read_to_string(&mut said, &mut stderr).unwrap();
        let done = child.wait().unwrap();
        assert_eq!(done.code(), Some(code), "{name}: {stderr}");
        assert!(stderr.contains(&format!("stopped by {name}")), "{stderr}");
        assert_eq!(unfinished(&out), 0, "{name}: the unfinished folder is gone");
        assert_eq!(latest(&out), good, "{name}: latest untouched");
    }
    // The lock went with the processes: the next run publishes.
    assert_eq!(run(&pipeline, &out, &["--force"], &[]).0, Some(0));
}

#[test]
fn tables_reused_a_year_at_a_time_publish_what_a_full_run_does() {
    // Every table read back from its file and the school-level ones staged a year at a time
    // (hold_rows 0), then one input changed: the other tables are reused from the first run, a
    // year at a time, and the run publishes the same files as a forced run that holds them all.
    let (g, pipeline, out) = fixture();
    let options =
        |force, hold_rows| edustat::run::Options { force, hold_rows, ..Default::default() };
    edustat::run::run_with(&pipeline, &out, options(false, Some(0))).unwrap();
    let path = g.path().join("exchange.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("2020,450000,120,80", "2020,450000,121,80")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let reran = edustat::run::run_with(&pipeline, &out, options(false, Some(0))).unwrap();
    for table in ["schools", "enrolment", "classes", "teachers"] {
        assert!(
            reran.reused_tables.iter().any(|t| t == table),
            "{table}: {:?}",
            reran.reused_tables
        );
    }
    let fresh = g.path().join("fresh");
    let full = edustat::run::run_with(&pipeline, &fresh, options(true, None)).unwrap();
    let names = |dir: &Path| {
        let mut names: Vec<PathBuf> = ["", "staging"]
            .iter()
            .flat_map(|sub| std::fs::read_dir(dir.join(sub)).unwrap().flatten())
            .map(|e| e.path().strip_prefix(dir).unwrap().to_path_buf())
            .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
            .collect();
        names.sort();
        names
    };
    assert_eq!(names(&reran.run_dir), names(&full.run_dir));
    assert!(!reran.run_dir.join("scratch").exists());
    for file in names(&full.run_dir) {
        let a = edustat::frame::read_parquet(&reran.run_dir.join(&file)).unwrap();
        let b = edustat::frame::read_parquet(&full.run_dir.join(&file)).unwrap();
        assert!(a.equals_missing(&b), "{} differs", file.display());
    }
}
