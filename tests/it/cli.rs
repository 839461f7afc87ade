//! The command line as a statistician meets it: logs fit for a cron job's file, help that ends
//! with examples (kept as insta snapshots, `tests/it/snapshots/`), `explain`'s suggestions and
//! list, completions, the man page, the version with its commit, and paths shown as the user
//! would type them.

use std::path::Path;
use std::process::Command;

use super::common::{copy_tiny, repo};

/// Exit code, stdout and stderr of the binary run in `cwd` with a clean colour environment
/// (NO_COLOR, TERM and RUST_LOG as the test sets them, not as the machine has them).
fn at(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_edustat"));
    cmd.current_dir(cwd).args(args).env_remove("NO_COLOR").env_remove("TERM");
    cmd.env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).to_string();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// The tiny fixture laid out as a repository: `pipelines/tiny.toml` naming its files as
/// `../data/<file>`, the files in `data/`.
fn tiny_repository(dir: &Path) {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(dir.join("pipelines")).unwrap();
    copy_tiny(&data);
    let spec = std::fs::read_to_string(data.join("pipeline.toml")).unwrap();
    std::fs::remove_file(data.join("pipeline.toml")).unwrap();
    let spec = spec
        .replace(
            "divisions = \"divisions.csv\"",
            "root = \"..\"\ndivisions = \"../data/divisions.csv\"",
        )
        .replace("path = \"", "path = \"../data/");
    std::fs::write(dir.join("pipelines/tiny.toml"), spec).unwrap();
}

#[test]
fn a_log_written_to_a_file_has_no_colour_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    tiny_repository(dir.path());
    let run = ["run", "pipelines/tiny.toml", "--out", "out", "--progress", "never", "--force"];
    // stderr is a pipe here, as `2>> nightly.log` under cron: plain text.
    let (code, _, log) = at(dir.path(), &run, &[]);
    assert_eq!(code, 0, "{log}");
    assert!(log.contains(" INFO "), "the log has its lines: {log}");
    assert!(!log.contains('\u{1b}'), "an escape byte in a redirected log: {log:?}");
    // The control: asked for colour, the same log has escapes, so the check above can see them.
    let (code, _, log) = at(dir.path(), &[&run[..], &["--color", "always"]].concat(), &[]);
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("\u{1b}["), "--color always: {log:?}");
    // NO_COLOR never colours a pipe; --color never wins over a terminal too (not testable here).
    let (_, _, log) = at(dir.path(), &[&run[..], &["--color", "never"]].concat(), &[]);
    assert!(!log.contains('\u{1b}'));
    let (_, _, log) = at(dir.path(), &run, &[("NO_COLOR", "1")]);
    assert!(!log.contains('\u{1b}'));
}

/// Every verb's `--help`, and the top level's.
const VERBS: &[&str] = &[
    "run",
    "validate",
    "targets",
    "diff",
    "check",
    "baseline",
    "query",
    "report",
    "export",
    "explain",
    "sample",
    "verify",
    "completions",
    "man",
];

#[test]
fn every_verb_s_help_ends_with_examples() {
    let root = repo();
    let (code, top, _) = at(&root, &["--help"], &[]);
    assert_eq!(code, 0);
    assert!(top.contains("Exit codes:\n  0 "), "{top}");
    for code in ["  3 ", "  4 ", "  5 ", "  130, 143 "] {
        assert!(top.contains(code), "exit code {code:?} in {top}");
    }
    insta::assert_snapshot!("help", top);
    for verb in VERBS {
        let (code, help, err) = at(&root, &[verb, "--help"], &[]);
        assert_eq!(code, 0, "{verb}: {err}");
        let examples = help.find("Examples:").unwrap_or_else(|| panic!("{verb}: {help}"));
        assert!(help[examples..].contains(&format!("edustat {verb}")), "{verb}: {help}");
        insta::assert_snapshot!(format!("help_{verb}"), help);
    }
}

#[test]
fn explain_suggests_the_nearest_id_and_lists_the_catalogue() {
    let root = repo();
    let guangxi = "pipelines/guangxi-2018-2020.toml";
    let (code, out, err) = at(&root, &["explain", "ger_preschol", "--pipeline", guangxi], &[]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("unknown indicator \"ger_preschol\""), "{err}");
    assert!(err.contains("did you mean ger_preschool?"), "{err}");
    // Nothing near: no guess, and no wall of ids either.
    let (code, _, err) = at(&root, &["explain", "completely_else", "--pipeline", guangxi], &[]);
    assert_eq!(code, 2);
    assert!(!err.contains("did you mean"), "{err}");
    assert!(err.contains("`edustat explain --list` prints all"), "{err}");
    assert!(!err.contains("ger_higher"), "{err}");
    // --list: a header, a rule, then one row per indicator, as the pipeline file labels it.
    let (code, list, err) = at(&root, &["explain", "--list", "--pipeline", guangxi], &[]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = list.lines().collect();
    assert!(lines[2].starts_with("id "), "{list}");
    assert!(lines[3].starts_with("---"), "{list}");
    let row = lines.iter().find(|l| l.starts_with("ger_preschool ")).expect("ger_preschool row");
    for cell in
        ["学前教育三年毛入园率", "Gross enrolment ratio, pre-primary (three years)", "percent"]
    {
        assert!(row.contains(cell), "{cell} in {row}");
    }
    // The count in the heading is the number of rows under it.
    let rows = lines.len() - 4;
    assert!(lines[0].ends_with(&format!("({rows} indicators)")), "{}", lines[0]);
    // Each column starts at the same display column (a CJK character is two columns wide).
    let column = |l: &str| {
        let at = l.find("Gross enrolment ratio").unwrap();
        l[..at].chars().map(|c| if c > '\u{2e80}' { 2 } else { 1 }).sum::<usize>()
    };
    let higher = lines.iter().find(|l| l.starts_with("ger_higher ")).unwrap();
    assert_eq!(column(row), column(higher));
}

#[test]
fn completions_and_the_man_page_come_from_the_parser() {
    let root = repo();
    let (code, bash, _) = at(&root, &["completions", "bash"], &[]);
    assert_eq!(code, 0);
    assert!(bash.contains("_edustat()"), "{bash}");
    assert!(bash.contains("edustat__subcmd__explain") && bash.contains("--list"), "{bash}");
    let (_, zsh, _) = at(&root, &["completions", "zsh"], &[]);
    assert!(zsh.starts_with("#compdef edustat"), "{zsh}");
    let (_, fish, _) = at(&root, &["completions", "fish"], &[]);
    assert!(fish.contains("complete -c edustat") && fish.contains("completions"), "{fish}");
    let (code, _, err) = at(&root, &["completions", "tcsh"], &[]);
    assert_eq!(code, 2, "{err}");
    // The man page, read by man(1) itself.
    let dir = tempfile::tempdir().unwrap();
    let (code, page, _) = at(&root, &["man"], &[]);
    assert_eq!(code, 0);
    assert!(page.starts_with(".ie \\n(.g .ds Aq") || page.contains(".TH edustat 1"), "{page}");
    let (code, said, err) = at(&root, &["man", "--dir", dir.path().to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(said.contains("wrote the man pages"), "{said}");
    for page in ["edustat.1", "edustat-run.1", "edustat-explain.1", "edustat-completions.1"] {
        assert!(dir.path().join(page).is_file(), "{page}");
    }
    let rendered = Command::new("man")
        .args(["-l", "-P", "cat"])
        .arg(dir.path().join("edustat.1"))
        .env("MANWIDTH", "100")
        .output();
    if let Ok(rendered) = rendered {
        let text = String::from_utf8_lossy(&rendered.stdout);
        assert!(text.contains("Education statistics pipeline"), "{text}");
        assert!(text.contains("completions"), "{text}");
    }
}

#[test]
fn version_names_the_commit_and_the_manifest_records_it() {
    let root = repo();
    let (code, version, _) = at(&root, &["--version"], &[]);
    assert_eq!(code, 0);
    let rest = version.strip_prefix(&format!("edustat {} (commit ", env!("CARGO_PKG_VERSION")));
    let commit = rest.and_then(|r| r.strip_suffix(")\n")).unwrap_or_else(|| panic!("{version}"));
    let head = Command::new("git").args(["rev-parse", "--short=12", "HEAD"]).output().unwrap();
    let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
    if head.is_empty() {
        assert_eq!(commit, "unknown");
    } else {
        // Built from this checkout: the commit it stands on (HEAD moved since is rebuilt).
        assert_eq!(commit, head);
    }
    let dir = tempfile::tempdir().unwrap();
    tiny_repository(dir.path());
    let (code, _, err) =
        at(dir.path(), &["run", "pipelines/tiny.toml", "--out", "out", "--progress", "never"], &[]);
    assert_eq!(code, 0, "{err}");
    let run = dir.path().join("out/tiny/latest");
    let manifest = std::fs::read_to_string(run.join("manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(manifest["edustat_commit"], commit);
}

#[test]
fn paths_are_shown_from_the_working_directory_and_recorded_from_the_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    tiny_repository(dir.path());
    let (code, table, err) =
        at(dir.path(), &["validate", "pipelines/tiny.toml", "--progress", "never"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(table.contains("\ndata/classes.csv "), "{table}");
    assert!(!table.contains(".."), "{table}");
    // Logs say the same.
    let run = ["run", "pipelines/tiny.toml", "--out", "out", "--progress", "never"];
    let (code, _, log) = at(dir.path(), &run, &[]);
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("file=data/enrolment.csv"), "{log}");
    // The manifest keeps the pipeline file's form, wherever the run was started from.
    let manifest = std::fs::read_to_string(dir.path().join("out/tiny/latest/manifest.json"));
    let manifest: serde_json::Value = serde_json::from_str(&manifest.unwrap()).unwrap();
    let inputs = manifest["inputs"].as_array().unwrap();
    assert!(inputs.iter().any(|i| i["path"] == "../data/enrolment.csv"), "{inputs:?}");
    assert_eq!(manifest["divisions"]["path"], "../data/divisions.csv");
    // A bad file is named as the user would type it.
    std::fs::write(dir.path().join("data/enrolment.csv"), "nothing,like,the,header\n1,2,3,4\n")
        .unwrap();
    let (code, _, err) = at(dir.path(), &["validate", "pipelines/tiny.toml"], &[]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("data/enrolment.csv"), "{err}");
    assert!(!err.contains("../data/enrolment.csv"), "{err}");
    // From the pipeline's own folder, the same file is ../data/enrolment.csv.
    let (code, _, err) = at(&dir.path().join("pipelines"), &["validate", "tiny.toml"], &[]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("../data/enrolment.csv"), "{err}");
}
