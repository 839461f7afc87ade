//! The binary's exit codes and messages for pipeline-file and input errors.

use super::common;

/// (exit code, stderr) of the binary.
fn edustat(args: &[&str]) -> (i32, String) {
    let ran = common::edustat(args, &[]);
    (ran.code.unwrap_or(-1), ran.stderr)
}

/// A copy of the tiny fixture with its pipeline file edited by `edit`.
fn fixture(edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let dir = common::tiny_copy();
    let toml = std::fs::read_to_string(dir.path().join("pipeline.toml")).unwrap();
    std::fs::write(dir.path().join("pipeline.toml"), edit(toml)).unwrap();
    dir
}

/// 1-based line of the pipeline file that contains `needle`.
fn line_of(dir: &tempfile::TempDir, needle: &str) -> usize {
    let text = std::fs::read_to_string(dir.path().join("pipeline.toml")).unwrap();
    text.lines().position(|l| l.contains(needle)).expect("needle in file") + 1
}

fn run_fixture(dir: &tempfile::TempDir) -> (i32, String) {
    run_fixture_with(dir, &[])
}

/// `edustat run` of the fixture's pipeline into its `out`, with `extra` flags.
fn run_fixture_with(dir: &tempfile::TempDir, extra: &[&str]) -> (i32, String) {
    let pipeline = dir.path().join("pipeline.toml");
    let out = dir.path().join("out");
    let mut args = vec![
        "run",
        pipeline.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--log-level",
        "error",
    ];
    args.extend_from_slice(extra);
    edustat(&args)
}

#[test]
fn unknown_key_exits_2_naming_the_line() {
    let dir = fixture(|t| {
        t.replacen(
            "divisions = \"divisions.csv\"\n",
            "divisions = \"divisions.csv\"\ncolour = \"red\"\n",
            1,
        )
    });
    let (code, err) = run_fixture(&dir);
    assert_eq!(code, 2, "{err}");
    let line = line_of(&dir, "colour");
    assert!(err.contains(&format!("pipeline.toml:{line}:")) && err.contains("colour"), "{err}");
}

#[test]
fn wrong_type_and_missing_file_exit_2() {
    let dir = fixture(|t| t.replacen("years = [2019, 2020]", "years = \"2020\"", 1));
    let (code, err) = run_fixture(&dir);
    assert_eq!(code, 2, "{err}");
    let line = line_of(&dir, "years = ");
    assert!(err.contains(&format!("pipeline.toml:{line}:")), "{err}");

    let dir = fixture(|t| {
        t.replacen("path = \"kindergarten.csv\"", "path = \"kindergarten_missing.csv\"", 1)
    });
    let (code, err) = run_fixture(&dir);
    assert_eq!(code, 2, "{err}");
    let line = line_of(&dir, "kindergarten_missing");
    assert!(
        err.contains(&format!("pipeline.toml:{line}:")) && err.contains("does not exist"),
        "{err}"
    );
}

#[test]
fn weight_out_of_range_exits_2() {
    let dir = fixture(|t| {
        t.replacen("components = { preschool = 1.0 }", "components = { preschool = -1.0 }", 1)
    });
    let (code, err) = run_fixture(&dir);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("out of range"), "{err}");
}

#[test]
fn a_class_share_with_a_cut_off_declares_its_straddling_rule() {
    // Without straddling_bands: exit 2, the share's line named, both choices spelled out.
    let dir = fixture(|t| {
        t.replacen("min_size = 56\nstraddling_bands = \"count_below\"\n", "min_size = 56\n", 1)
    });
    let (code, err) = run_fixture(&dir);
    assert_eq!(code, 2, "{err}");
    let line = line_of(&dir, "id = \"large_class_share_compulsory\"");
    assert!(err.contains(&format!("pipeline.toml:{line}:")), "{err}");
    assert!(err.contains("exclude") && err.contains("count_below"), "{err}");
    // A value outside the two: exit 2 as well.
    let dir = fixture(|t| t.replacen("\"count_below\"", "\"split\"", 1));
    let (code, err) = run_fixture(&dir);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("split"), "{err}");
}

#[test]
fn missing_required_column_exits_3_and_publishes_nothing() {
    let dir = fixture(|t| t.replacen("stage = \"学段\"", "stage = \"办学阶段\"", 1));
    let (code, err) = run_fixture(&dir);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("enrolment.csv") && err.contains("办学阶段"), "{err}");
    assert!(!dir.path().join("out/tiny/latest").exists());
}

#[test]
fn quarantine_gate_exits_3_and_keeps_latest() {
    let dir = fixture(|t| t);
    assert_eq!(run_fixture(&dir).0, 0);
    let before = std::fs::read_link(dir.path().join("out/tiny/latest")).unwrap();
    // Break one of three kindergarten rows: 33% quarantined, above the default 1% gate.
    let k = std::fs::read_to_string(dir.path().join("kindergarten.csv")).unwrap().replacen(
        "3502020001,40,20",
        "3502020001,四十,20",
        1,
    );
    std::fs::write(dir.path().join("kindergarten.csv"), k).unwrap();
    let (code, err) = run_fixture(&dir);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("quarantine.share") && err.contains("kindergarten.csv"), "{err}");
    assert_eq!(std::fs::read_link(dir.path().join("out/tiny/latest")).unwrap(), before);
}

#[test]
fn a_path_leaving_the_pipeline_root_is_refused_unless_allowed() {
    // exchange.csv moves to a sibling folder named after the fixture's own: ../<name>-shared/.
    let dir = fixture(|t| t.replacen("path = \"exchange.csv\"", "path = \"OUTSIDE\"", 1));
    let sibling = format!("{}-shared", dir.path().file_name().unwrap().to_string_lossy());
    let outside = format!("../{sibling}/exchange.csv");
    let toml = std::fs::read_to_string(dir.path().join("pipeline.toml"))
        .unwrap()
        .replace("OUTSIDE", &outside);
    std::fs::write(dir.path().join("pipeline.toml"), toml).unwrap();
    let shared = dir.path().parent().unwrap().join(&sibling);
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::copy(dir.path().join("exchange.csv"), shared.join("exchange.csv")).unwrap();
    let (code, err) = run_fixture(&dir);
    assert_eq!(code, 2, "{err}");
    let line = line_of(&dir, &outside);
    assert!(
        err.contains(&format!("pipeline.toml:{line}:"))
            && err.contains("outside the pipeline's root"),
        "{err}"
    );
    let (code, err) = run_fixture_with(&dir, &["--allow-outside"]);
    let _ = std::fs::remove_dir_all(&shared);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn messages_point_the_right_way() {
    // An input path that is a folder says so (not "does not exist").
    let dir = fixture(|t| t.replacen("path = \"exchange.csv\"", "path = \"folder.csv\"", 1));
    std::fs::create_dir_all(dir.path().join("folder.csv")).unwrap();
    let (code, err) = run_fixture(&dir);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is a folder, not a file"), "{err}");
    // A header two rows further down than declared: the message says where it is and what to
    // declare.
    let dir = fixture(|t| t);
    let exchange = dir.path().join("exchange.csv");
    let text = std::fs::read_to_string(&exchange).unwrap();
    std::fs::write(&exchange, format!("来桂留学统计表\n单位：人\n{text}")).unwrap();
    let (code, err) = run_fixture(&dir);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("exchange.csv") && err.contains("header_row = 3"), "{err}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_names_the_file() {
    // /dev/full accepts the open and refuses every write with ENOSPC.
    let df =
        edustat::frame::frame(vec![edustat::frame::Column::new("x".into(), vec![1.0f64; 1000])])
            .unwrap();
    let err = edustat::frame::write_parquet(&df, std::path::Path::new("/dev/full"), &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("/dev/full") && err.to_lowercase().contains("space"), "{err}");
}

/// A zip archive named like a workbook, with one part of `size` bytes (zeros, or a byte
/// pattern that barely compresses), written by streaming.
fn workbook_of(path: &std::path::Path, size: usize, compressible: bool) {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("xl/sharedStrings.xml", options).unwrap();
    let mut state = 0x2545_f491_u32;
    let block: Vec<u8> = (0..1 << 16)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            if compressible { 0 } else { state as u8 }
        })
        .collect();
    for _ in 0..size / block.len() {
        zip.write_all(&block).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn hostile_files_are_refused_before_they_are_read() {
    // A CSV line of 2 MiB (over the default max_line_bytes of 1 MiB): exit 3 naming the line,
    // found by streaming the file, before it is read whole.
    let dir = fixture(|t| t);
    let exchange = dir.path().join("exchange.csv");
    let text = std::fs::read_to_string(&exchange).unwrap();
    std::fs::write(&exchange, format!("{text}2020,{}\n", "9".repeat(2 << 20))).unwrap();
    let (code, err) = run_fixture(&dir);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("exchange.csv:3") && err.contains("max_line_bytes"), "{err}");
    // A workbook whose one part inflates a thousandfold (16 MiB of zeros in ~16 KiB): a zip
    // bomb, refused from the zip directory alone.
    let dir = fixture(|t| t.replacen("path = \"exchange.csv\"", "path = \"exchange.xlsx\"", 1));
    workbook_of(&dir.path().join("exchange.xlsx"), 16 << 20, true);
    let (code, err) = run_fixture(&dir);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("exchange.xlsx") && err.contains("zip bomb"), "{err}");
    // A workbook that inflates beyond the declared max_uncompressed_bytes (2 MiB that barely
    // compress, against 1 MB).
    let dir = fixture(|t| {
        t.replacen(
            "path = \"exchange.csv\"",
            "path = \"exchange.xlsx\"\nmax_uncompressed_bytes = 1000000",
            1,
        )
    });
    workbook_of(&dir.path().join("exchange.xlsx"), 2 << 20, false);
    let (code, err) = run_fixture(&dir);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("inflates to 2097152 bytes") && err.contains("max_uncompressed_bytes"),
        "{err}"
    );
}

#[test]
fn a_tenfold_denominator_error_stops_the_run_or_warns_as_declared() {
    // C's population aged 3–5 divided by ten (40 → 4 a year): its preschool ratio becomes
    // 124 / 12 = 1033.3 % instead of 103.3 %, far above the declared bound of 150.
    fn bound(action: &'static str) -> impl Fn(String) -> String {
        move |t: String| {
            format!(
                "{t}\n[[plausibility.indicators]]\nids = [\"ger_preschool\"]\nmax = 150.0\naction = \"{action}\"\n"
            )
        }
    }
    let tenfold = |dir: &tempfile::TempDir| {
        let p = dir.path().join("population.csv");
        let text = std::fs::read_to_string(&p).unwrap();
        let text = ["3岁", "4岁", "5岁"].iter().fold(text, |t, age| {
            t.replace(&format!("450202,{age},40,20,20"), &format!("450202,{age},4,2,2"))
        });
        std::fs::write(p, text).unwrap();
    };
    let dir = fixture(bound("fail"));
    tenfold(&dir);
    let (code, err) = run_fixture(&dir);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("plausibility.range") && err.contains("450202 2020: 1033.33"), "{err}");
    assert!(!dir.path().join("out/tiny/latest").exists(), "nothing published");
    // Declared a warning: published, and the failed check is in checks.parquet.
    let dir = fixture(bound("warn"));
    tenfold(&dir);
    let (code, err) = run_fixture(&dir);
    assert_eq!(code, 0, "{err}");
    let checks =
        edustat::frame::read_parquet(&dir.path().join("out/tiny/latest/checks.parquet")).unwrap();
    let rules = common::texts(&checks, "rule");
    let severity = common::texts(&checks, "severity");
    let passed = edustat::frame::bools(&checks, "passed").unwrap();
    let i = rules.iter().position(|r| r == "plausibility.range").unwrap();
    assert_eq!((passed[i], severity[i].as_str()), (Some(false), "warning"));
    // A bound on an indicator the pipeline does not publish: exit 2 naming the line.
    let dir = fixture(|t| {
        format!("{t}\n[[plausibility.indicators]]\nids = [\"ger_nothing\"]\nmax = 1.0\n")
    });
    let (code, err) = run_fixture(&dir);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("ger_nothing"), "{err}");
}

#[test]
fn delimiters_and_missing_markers_are_declared() {
    let inbound = |dir: &tempfile::TempDir| {
        let df =
            edustat::frame::read_parquet(&dir.path().join("out/tiny/latest/indicators.parquet"))
                .unwrap();
        common::indicator(&df, "inbound_students", 2020, "450000", "total").and_then(|r| r.value)
    };
    // A semicolon-separated export, declared: the same 120 inbound students.
    let dir = fixture(|t| {
        t.replacen("path = \"exchange.csv\"", "path = \"exchange.csv\"\ndelimiter = \";\"", 1)
    });
    std::fs::write(
        dir.path().join("exchange.csv"),
        "年份;地区代码;来桂;出国\n2020;450000;120;80\n",
    )
    .unwrap();
    let (code, err) = run_fixture(&dir);
    assert_eq!(code, 0, "{err}");
    assert_eq!(inbound(&dir), Some(120.0));
    // ".." for "not available": undeclared, a count that is not a number (quarantined: the one
    // row of the file, over the 1% gate); declared as missing, an empty cell.
    let dots = "年份,地区代码,来桂,出国\n2020,450000,120,..\n";
    let dir = fixture(|t| t);
    std::fs::write(dir.path().join("exchange.csv"), dots).unwrap();
    let (code, err) = run_fixture(&dir);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("quarantine.share") && err.contains("exchange.csv"), "{err}");
    let dir = fixture(|t| {
        t.replacen("table = \"exchange\"", "table = \"exchange\"\nmissing = [\"..\"]", 1)
    });
    std::fs::write(dir.path().join("exchange.csv"), dots).unwrap();
    let (code, err) = run_fixture(&dir);
    assert_eq!(code, 0, "{err}");
    assert_eq!(inbound(&dir), Some(120.0));
    let q = edustat::frame::read_parquet(&dir.path().join("out/tiny/latest/quarantine.parquet"))
        .unwrap();
    assert_eq!(q.height(), 0);
    // A delimiter of two characters: exit 2 naming the line.
    let dir = fixture(|t| {
        t.replacen("path = \"exchange.csv\"", "path = \"exchange.csv\"\ndelimiter = \";;\"", 1)
    });
    let (code, err) = run_fixture(&dir);
    assert_eq!(code, 2, "{err}");
    let line = line_of(&dir, "delimiter = ");
    assert!(
        err.contains(&format!("pipeline.toml:{line}:")) && err.contains("one character"),
        "{err}"
    );
}
