//! What each verb prints, as a user sees it, kept as insta snapshots (`tests/it/snapshots/`):
//! a change in what users read shows up in review. Paths of temporary folders and run ids are
//! replaced by placeholders first. After an intended change, run the tests with
//! `INSTA_UPDATE=always` and review the `.snap` diff before committing it.

use std::path::Path;

use super::common::{edustat, guangxi_run, repo, tiny_copy};

/// `text` with each (from, to) replaced, longest `from` first, and the repository's path as
/// `<repo>`.
fn scrub(text: &str, replacements: &[(&str, &str)]) -> String {
    let repo = repo();
    let mut pairs: Vec<(&str, &str)> =
        replacements.iter().copied().filter(|(f, _)| !f.is_empty()).collect();
    pairs.push((path(&repo), "<repo>"));
    pairs.sort_by_key(|(f, _)| std::cmp::Reverse(f.len()));
    pairs.iter().fold(text.to_string(), |t, (f, to)| t.replace(f, to))
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// stdout and the exit code of one call, as one snapshot text.
fn shown(args: &[&str], replacements: &[(&str, &str)]) -> String {
    let ran = edustat(args, &[("RUST_LOG", "error")]);
    let code = ran.code.map_or("signal".to_string(), |c| c.to_string());
    scrub(
        &format!("exit {code}\n--- stdout\n{}--- stderr\n{}", ran.stdout, ran.stderr),
        replacements,
    )
}

#[test]
fn explain_prints_the_catalogue_entry() {
    let pipeline = repo().join("pipelines/guangxi-2018-2020.toml");
    insta::assert_snapshot!(
        "explain_ger_higher",
        shown(&["explain", "ger_higher", "--pipeline", path(&pipeline)], &[])
    );
    // An id only the pipeline file defines (a counted target).
    insta::assert_snapshot!(
        "explain_counted",
        shown(&["explain", "new_public_kindergarten", "--pipeline", path(&pipeline)], &[])
    );
    let unknown = shown(&["explain", "no_such_indicator"], &[]);
    assert!(unknown.starts_with("exit 2\n"), "{unknown}");
    assert!(unknown.contains("unknown indicator \"no_such_indicator\""), "{unknown}");
}

#[test]
fn targets_prints_the_plan_table_of_a_run() {
    let run = guangxi_run();
    insta::assert_snapshot!(
        "targets_guangxi",
        shown(&["targets", path(run)], &[(path(run), "<run>")])
    );
}

#[test]
fn baseline_writes_sorted_csv_and_says_where() {
    let run = guangxi_run();
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("baseline");
    let text = shown(
        &["baseline", path(run), "-o", path(&dir)],
        &[(path(run), "<run>"), (path(out.path()), "<tmp>")],
    );
    insta::assert_snapshot!("baseline_guangxi", text);
    let committed = repo().join("tests/baselines/guangxi-2018-2020");
    for file in ["indicators.csv", "targets.csv"] {
        let written = std::fs::read(dir.join(file)).unwrap();
        assert_eq!(written, std::fs::read(committed.join(file)).unwrap(), "{file}");
    }
}

#[test]
fn sample_lists_the_files_it_wrote() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("sample");
    let args =
        ["sample", "--preset", "guangxi", "--scale", "0.01", "--seed", "7", "-o", path(&dir)];
    insta::assert_snapshot!("sample_files", shown(&args, &[(path(out.path()), "<tmp>")]));
}

#[test]
fn run_validate_and_diff_on_the_tiny_fixture() {
    let dir = tiny_copy();
    let (pipeline, out) = (dir.path().join("pipeline.toml"), dir.path().join("out"));
    let tmp = path(dir.path());
    // Run from the fixture's folder, as a user standing beside the pipeline file: the table
    // names the files as they would type them, wherever the temporary folder is.
    let validated = std::process::Command::new(env!("CARGO_BIN_EXE_edustat"))
        .current_dir(dir.path())
        .args(["validate", "pipeline.toml", "--progress", "never"])
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).to_string();
    insta::assert_snapshot!(
        "validate_tiny",
        format!(
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            validated.status.code().unwrap(),
            text(&validated.stdout),
            text(&validated.stderr)
        )
    );
    let first = edustat(&["run", path(&pipeline), "--out", path(&out), "--progress", "never"], &[]);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let id = first.stdout.lines().last().unwrap().split(' ').nth(1).unwrap().to_string();
    insta::assert_snapshot!("run_tiny", scrub(&first.stdout, &[(tmp, "<tmp>"), (&id, "<run-id>")]));
    let unchanged = shown(
        &["run", path(&pipeline), "--out", path(&out), "--progress", "never"],
        &[(tmp, "<tmp>"), (&id, "<run-id>")],
    );
    insta::assert_snapshot!("run_tiny_unchanged", unchanged);

    // One class of 56–60 more in one school: what moves, and why.
    let before = dir.path().join("before");
    std::fs::rename(out.join("tiny/runs").join(&id), &before).unwrap();
    let classes = dir.path().join("classes.csv");
    let text = std::fs::read_to_string(&classes).unwrap();
    std::fs::write(
        &classes,
        text.replacen("3502020003,小学,0,3,0,0,1,1", "3502020003,小学,0,3,0,0,2,1", 1),
    )
    .unwrap();
    let second =
        edustat(&["run", path(&pipeline), "--out", path(&out), "--progress", "never"], &[]);
    assert_eq!(second.code, Some(0), "{}", second.stderr);
    let latest = out.join("tiny/latest");
    let moved =
        shown(&["diff", path(&before), path(&latest), "--format", "markdown"], &[(tmp, "<tmp>")]);
    insta::assert_snapshot!("diff_tiny_one_class", moved);
}
