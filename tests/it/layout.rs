//! The house rules a reviewer would check by hand, checked on every `make test`: functions short
//! enough to hold in one's head, imports between top-level modules that run one way, and polars
//! named only behind the facade. They read the source as rustfmt leaves it (`make lint`).

use std::path::{Path, PathBuf};

use super::common::repo;

/// Top-level modules of `src/`, each importing only modules listed after it.
const LAYERS: &[&str] = &[
    "cli",
    "query",
    "report",
    "export",
    "run",
    "fingerprint",
    "gates",
    "ingest",
    "indicators",
    "assess",
    "sample",
    "divisions",
    "diff",
    "publish",
    "run_folder",
    "manifest",
    "hashes",
    "lock",
    "interrupt",
    "spec",
    "catalogue",
    "tables",
    "decode",
    "digest",
    "frame",
    "error",
];

/// The most lines a function of `src/` may span, signature to closing brace.
const MAX_FUNCTION_LINES: usize = 80;

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The top-level module a file of `src/` belongs to (`None` for main.rs and lib.rs).
fn module_of(path: &Path) -> Option<String> {
    let relative = path.strip_prefix(repo().join("src")).unwrap();
    let first = relative.components().next()?.as_os_str().to_str()?.trim_end_matches(".rs");
    (!matches!(first, "main" | "lib")).then(|| first.to_string())
}

fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter(|(_, l)| !l.trim_start().starts_with("//"))
}

/// (first line, lines) of every function: from its `fn` line to the `}` at the same indent.
fn functions(text: &str) -> Vec<(usize, usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let signature = ["fn ", "pub fn ", "pub(crate) fn ", "pub(super) fn ", "const fn "]
            .iter()
            .any(|p| trimmed.starts_with(p));
        if !signature || trimmed.ends_with(';') {
            continue;
        }
        let indent = &line[..line.len() - trimmed.len()];
        let close = format!("{indent}}}");
        let end =
            (i..lines.len()).find(|&j| lines[j] == close || lines[j].ends_with('}') && j == i);
        let name = trimmed.split("fn ").nth(1).unwrap_or("").split(['(', '<']).next().unwrap_or("");
        out.push((i + 1, end.map_or(1, |e| e - i + 1), name.to_string()));
    }
    out
}

#[test]
fn no_function_in_src_is_longer_than_80_lines() {
    let mut long = Vec::new();
    for path in rust_files(&repo().join("src")) {
        let text = std::fs::read_to_string(&path).unwrap();
        for (line, n, name) in functions(&text) {
            if n > MAX_FUNCTION_LINES {
                long.push(format!("{}:{line} {name}: {n} lines", path.display()));
            }
        }
    }
    assert!(long.is_empty(), "functions over {MAX_FUNCTION_LINES} lines:\n{}", long.join("\n"));
}

#[test]
fn imports_between_top_level_modules_run_one_way() {
    let rank = |m: &str| LAYERS.iter().position(|l| *l == m);
    let mut wrong = Vec::new();
    for path in rust_files(&repo().join("src")) {
        let Some(module) = module_of(&path) else { continue };
        let Some(own) = rank(&module) else {
            wrong.push(format!("{module} ({}) is not placed in LAYERS", path.display()));
            continue;
        };
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, line) in code_lines(&text) {
            for used in line.split("crate::").skip(1) {
                let name: String =
                    used.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                match rank(&name) {
                    Some(r) if r <= own && name != module => wrong.push(format!(
                        "{}:{}: {module} imports {name}, which is not below it",
                        path.display(),
                        i + 1
                    )),
                    _ => {}
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn only_the_facade_names_polars_or_reads_its_cells() {
    // Column accessors of polars (`df.column(c)?.f64()?`), its cell values and series: outside
    // frame.rs, cells are read through frame::texts / floats / ints / bools / text_lists / cell.
    let cell_level = [
        ")?.str()?",
        ")?.f64()?",
        ")?.i32()?",
        ")?.i64()?",
        ")?.u32()?",
        ")?.bool()?",
        ")?.list()?",
        ".f64().unwrap()",
        ".str().unwrap()",
        "AnyValue",
        "get_as_series",
        ".extract::<",
    ];
    let mut found = Vec::new();
    for path in rust_files(&repo().join("src")) {
        let facade = path.ends_with("src/frame.rs");
        // The error type wraps polars' own error, the one polars type outside the facade.
        let error = path.ends_with("src/error.rs");
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, line) in code_lines(&text) {
            if facade {
                continue;
            }
            if line.contains("polars") && !(error && line.contains("polars::error::PolarsError")) {
                found.push(format!("{}:{}: names polars: {}", path.display(), i + 1, line.trim()));
            }
            if let Some(p) = cell_level.iter().find(|p| line.contains(*p)) {
                found.push(format!(
                    "{}:{}: reads cells ({p}): {}",
                    path.display(),
                    i + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_function_finder_sees_what_rustfmt_writes() {
    let text = "fn one() {}\n\npub fn two(\n    a: u8,\n) -> u8 {\n    a\n}\n\nimpl X {\n    fn three(&self) {\n        let _ = 1;\n    }\n}\n";
    let found: Vec<(usize, usize, String)> = functions(text);
    assert_eq!(found, vec![(1, 1, "one".into()), (3, 5, "two".into()), (10, 3, "three".into())]);
}
