//! Pipelines that share what deliveries of the same shape share: mappings from an `include`d
//! file, paths expanded over `[expand]` placeholders (one folder per province), `{year}` over a
//! source's own `years`, and a weighted numerator published as its own count (在学总规模).

use std::path::Path;

use super::common::{self, close, indicator, tiny_copy};
use edustat::frame::{self, IntoLazy};

/// Run the tiny fixture in `dir` (its `pipeline.toml` as edited) into `dir/out`.
fn run(dir: &Path) -> (Option<i32>, String) {
    let pipeline = dir.join("pipeline.toml");
    let out = dir.join("out");
    let args =
        ["run", pipeline.to_str().unwrap(), "--out", out.to_str().unwrap(), "--log-level", "error"];
    let ran = common::edustat(&args, &[]);
    (ran.code, ran.stderr)
}

fn edit(dir: &Path, f: impl Fn(String) -> String) {
    let path = dir.join("pipeline.toml");
    std::fs::write(&path, f(std::fs::read_to_string(&path).unwrap())).unwrap();
}

fn indicators(dir: &Path) -> frame::DataFrame {
    let df = frame::read_parquet(&dir.join("out/tiny/latest/indicators.parquet")).unwrap();
    frame::collect(frame::sort_by(df.lazy(), &["indicator", "year", "region_code", "sex", "area"]))
        .unwrap()
}

/// The `[mappings.classes]` table of the tiny pipeline, cut out of it.
fn cut_classes_mapping(text: &str) -> (String, String) {
    let start = text.find("[mappings.classes]").unwrap();
    let end = start + text[start..].find("\n[mappings.kindergarten_classes]").unwrap();
    (format!("{}{}", &text[..start], &text[end..]), text[start..end].to_string())
}

#[test]
fn an_included_mapping_reads_as_one_declared_in_place() {
    let (plain, shared) = (tiny_copy(), tiny_copy());
    assert_eq!(run(plain.path()).0, Some(0));
    let text = std::fs::read_to_string(shared.path().join("pipeline.toml")).unwrap();
    let (rest, mapping) = cut_classes_mapping(&text);
    std::fs::create_dir(shared.path().join("shared")).unwrap();
    std::fs::write(shared.path().join("shared/classes.toml"), &mapping).unwrap();
    let with_include = rest.replacen(
        "divisions = \"divisions.csv\"\n",
        "divisions = \"divisions.csv\"\ninclude = [\"shared/classes.toml\"]\n",
        1,
    );
    std::fs::write(shared.path().join("pipeline.toml"), with_include).unwrap();
    let (code, err) = run(shared.path());
    assert_eq!(code, Some(0), "{err}");
    // Every indicator row is the same; the class shares come from the included mapping.
    assert_eq!(indicators(plain.path()), indicators(shared.path()));
    let share = indicator(
        &indicators(shared.path()),
        "large_class_share_compulsory",
        2020,
        "450000",
        "total",
    );
    assert!(share.is_some_and(|r| r.value.is_some()));
    // The spec hash covers the included file: changing it is a changed spec.
    let hash = |d: &Path| {
        let m: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(d.join("out/tiny/latest/manifest.json")).unwrap(),
        )
        .unwrap();
        m["spec_hash"].as_str().unwrap().to_string()
    };
    assert_ne!(hash(plain.path()), hash(shared.path()));
}

#[test]
fn included_files_are_checked_like_the_pipeline_file() {
    // A mapping in both files: exit 2, naming both.
    let dir = tiny_copy();
    let text = std::fs::read_to_string(dir.path().join("pipeline.toml")).unwrap();
    let (_, mapping) = cut_classes_mapping(&text);
    std::fs::write(dir.path().join("more.toml"), &mapping).unwrap();
    edit(dir.path(), |t| {
        t.replacen(
            "divisions = \"divisions.csv\"\n",
            "divisions = \"divisions.csv\"\ninclude = [\"more.toml\"]\n",
            1,
        )
    });
    let (code, err) = run(dir.path());
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("mapping \"classes\" is declared twice") && err.contains("more.toml"),
        "{err}"
    );
    // A mistake inside the included file names that file and its line.
    std::fs::write(
        dir.path().join("more.toml"),
        "# shared\n[mappings.other]\ntable = \"classes\"\ncolour = 1\n",
    )
    .unwrap();
    let (code, err) = run(dir.path());
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("more.toml:4") && err.contains("colour"), "{err}");
    // A missing included file names the pipeline file's line.
    std::fs::remove_file(dir.path().join("more.toml")).unwrap();
    let (code, err) = run(dir.path());
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("pipeline.toml:") && err.contains("include"), "{err}");
}

#[test]
fn a_placeholder_expands_a_path_over_its_values() {
    // classes.csv split into two delivery folders, read through `{part}`: the same rows.
    let (plain, parts) = (tiny_copy(), tiny_copy());
    assert_eq!(run(plain.path()).0, Some(0));
    let csv = std::fs::read_to_string(parts.path().join("classes.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    for (part, rows) in [("p1", &lines[1..2]), ("p2", &lines[2..])] {
        std::fs::create_dir(parts.path().join(part)).unwrap();
        let text =
            std::iter::once(lines[0]).chain(rows.iter().copied()).collect::<Vec<_>>().join("\n");
        std::fs::write(parts.path().join(part).join("classes.csv"), text + "\n").unwrap();
    }
    edit(parts.path(), |t| {
        t.replacen("path = \"classes.csv\"", "path = \"{part}/classes.csv\"", 1).replacen(
            "divisions = \"divisions.csv\"\n",
            "divisions = \"divisions.csv\"\nexpand = { part = [\"p1\", \"p2\"] }\n",
            1,
        )
    });
    let (code, err) = run(parts.path());
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(indicators(plain.path()), indicators(parts.path()));
    let manifest =
        std::fs::read_to_string(parts.path().join("out/tiny/latest/manifest.json")).unwrap();
    assert!(manifest.contains("p1/classes.csv") && manifest.contains("p2/classes.csv"));
}

#[test]
fn placeholders_and_years_are_checked() {
    let dir = tiny_copy();
    edit(dir.path(), |t| {
        t.replacen("path = \"classes.csv\"", "path = \"{province}/classes.csv\"", 1)
    });
    let (code, err) = run(dir.path());
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("unknown placeholder {province}"), "{err}");
    // `years` narrows `{year}` within the pipeline's years, and needs `{year}` in the path.
    let dir = tiny_copy();
    edit(dir.path(), |t| {
        t.replacen("path = \"classes.csv\"\n", "path = \"classes.csv\"\nyears = [2019, 2020]\n", 1)
    });
    let (code, err) = run(dir.path());
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("years applies to a path with {year}"), "{err}");
}

#[test]
fn the_weighted_numerator_is_its_own_count() {
    // tests/it/tiny.rs: the weighted students of ger_higher, origin basis, paired with the
    // population: A 48, B 15, so 450100 and the province 63; C's 100 are location-basis students
    // (flagged) and its city 450200 the same.
    let dir = tiny_copy();
    edit(dir.path(), |t| {
        t.replacen(
            "id = \"ger_higher\"\n",
            "id = \"ger_higher\"\nnumerator_id = \"higher_enrolment\"\n",
            1,
        )
    });
    let (code, err) = run(dir.path());
    assert_eq!(code, Some(0), "{err}");
    let df = indicators(dir.path());
    for (region, students, flags) in [
        ("450102", 48.0, vec![]),
        ("450100", 63.0, vec![]),
        ("450202", 100.0, vec!["location_basis"]),
        ("450000", 63.0, vec!["denominator_unpaired", "low_coverage"]),
    ] {
        let r = indicator(&df, "higher_enrolment", 2020, region, "total").unwrap();
        assert!(close(r.value, students), "{region}: {:?}", r.value);
        assert_eq!((r.numerator, r.denominator), (None, None), "{region}");
        assert_eq!(r.flags, flags, "{region}");
    }
    let catalogue =
        frame::read_parquet(&dir.path().join("out/tiny/latest/catalogue.parquet")).unwrap();
    let ids = common::texts(&catalogue, "indicator");
    let units = common::texts(&catalogue, "unit");
    let at = ids.iter().position(|i| i == "higher_enrolment").unwrap();
    assert_eq!(units[at], "count");
}
