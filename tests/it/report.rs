//! `edustat report`: one self-contained HTML page, the same bytes for the same run, charts drawn
//! where hand arithmetic puts them, and — in a real headless Chromium (`make browser`) — every
//! target's chart with the right status, no request leaving the page, a screenshot that is not
//! blank.
//!
//! The tiny fixture plus 县县 targets (tests/it/every_county.rs): preschool GER 2020 of county
//! A 450102 54 / 60 = 90 %, B 450103 30 / 30 = 100 %, C 450202 124 / 120 = 103.3 %; each county
//! must reach 95 %: A off_track, B and C achieved, the province 2 of 3.

use std::path::{Path, PathBuf};

use super::common::{edustat, guangxi_run, repo};
use edustat::frame::{self, IntoLazy, col};

/// The tiny fixture with the 县县 targets of tests/it/every_county.rs (by 2020, and by 2021).
fn tiny_run() -> (tempfile::TempDir, tempfile::TempDir, PathBuf) {
    super::every_county::run()
}

fn report(run: &Path, to: &Path) -> String {
    let r = edustat(&["report", run.to_str().unwrap(), "-o", to.to_str().unwrap()], &[]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    std::fs::read_to_string(to).unwrap()
}

/// The attribute `name` of the first element that carries `marker`.
fn attribute(html: &str, marker: &str, name: &str) -> String {
    let at = html.find(marker).unwrap_or_else(|| panic!("no {marker}"));
    let tag = &html[html[..at].rfind('<').unwrap()..at + html[at..].find('>').unwrap()];
    let key = format!(" {name}=\"");
    let start = tag.find(&key).unwrap_or_else(|| panic!("no {name} in {tag}")) + key.len();
    tag[start..start + tag[start..].find('"').unwrap()].to_string()
}

#[test]
fn the_page_is_self_contained_and_the_same_run_gives_the_same_bytes() {
    use base64::Engine;
    use sha2::Digest;
    let (_fixture, _out, run) = tiny_run();
    let dir = tempfile::tempdir().unwrap();
    let html = report(&run, &dir.path().join("a.html"));
    assert_eq!(html, report(&run, &dir.path().join("b.html")), "same run, same bytes");
    // Nothing to fetch: no script, link, source attribute, CSS url or import, no address.
    for fetching in ["<script", "<link", " src=", "url(", "@import", "http:", "https:"] {
        assert!(!html.contains(fetching), "{fetching}");
    }
    // The content policy allows nothing but the one stylesheet, by its hash.
    let style = &html[html.find("<style>").unwrap() + 7..html.find("</style>").unwrap()];
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(style));
    let policy = attribute(&html, "http-equiv=\"Content-Security-Policy\"", "content");
    assert_eq!(
        policy,
        format!(
            "default-src 'none'; style-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'"
        )
    );
    // Every target of the run has its section, with its status: the tiny pipeline's four (as
    // `edustat targets` prints them for the tiny fixture) and the two 县县 ones (A short of 95
    // in 2020: off track; by 2021 with no 2019 value to draw the line from: no baseline).
    for (target, status) in [
        ("preschool", "achieved"),
        ("universities", "achieved"),
        ("kindergartens_about_10", "achieved"),
        ("kindergartens_about_15", "off_track"),
        ("preschool_each_county", "off_track"),
        ("preschool_each_county_2021", "no_baseline"),
    ] {
        let id = format!("id=\"t-{target}\"");
        assert_eq!(attribute(&html, &id, "data-status"), status, "{target}");
    }
    assert_eq!(html.matches("<section class=\"target\"").count(), 6);
    // The province counts 2 of 3 counties meeting it, and A is listed as short of it.
    assert!(html.contains("2 / 3"));
    assert!(html.contains("<tr data-region=\"450102\" data-status=\"off_track\">"));
}

#[test]
fn the_ranked_chart_puts_each_region_where_arithmetic_does() {
    let (_fixture, _out, run) = tiny_run();
    let dir = tempfile::tempdir().unwrap();
    let html = report(&run, &dir.path().join("r.html"));
    // Value axis over 0, 95 and the counties' 90, 100, 103.3: ticks of 50 (0..150) on a plot
    // from y 190 (bottom of a 220-high box less 30) to 18: y(v) = 190 − v / 150 × 172.
    // Bars worst first (at least 95: lowest first), 432 wide in three 144 slots, 80 % filled.
    // A: y(90) = 190 − 103.2 = 86.8, height 103.2, x = 58 + 14.4 = 72.4, width 115.2.
    // B: y(100) = 190 − 114.67 = 75.3, height 114.7, x = 58 + 144 + 14.4 = 216.4.
    // C: y(103.33) = 190 − 118.49 = 71.5, height 118.5, x = 58 + 288 + 14.4 = 360.4.
    for (region, status, x, y, height) in [
        ("450102", "off_track", "72.4", "86.8", "103.2"),
        ("450103", "achieved", "216.4", "75.3", "114.7"),
        ("450202", "achieved", "360.4", "71.5", "118.5"),
    ] {
        let bar = format!("data-region=\"{region}\" data-status=\"{status}\" x=\"");
        assert_eq!(attribute(&html, &bar, "x"), x, "{region}");
        assert_eq!(attribute(&html, &bar, "y"), y, "{region}");
        assert_eq!(attribute(&html, &bar, "height"), height, "{region}");
        assert_eq!(attribute(&html, &bar, "width"), "115.2", "{region}");
    }
    // Worst first: A, then B, then C.
    let a = html.find("data-region=\"450102\" data-status").unwrap();
    let b = html.find("data-region=\"450103\" data-status").unwrap();
    let c = html.find("data-region=\"450202\" data-status").unwrap();
    assert!(a < b && b < c);
    // The threshold across the plot at y(95) = 190 − 108.93 = 81.1.
    let ranked = &html[html.find("<svg class=\"chart ranked\"").unwrap()..];
    assert!(ranked.contains("<line x1=\"58.0\" x2=\"490.0\" y1=\"81.1\" y2=\"81.1\">"));
}

#[test]
fn a_missing_output_is_a_usage_error_and_a_changed_table_is_refused() {
    let (_fixture, _out, run) = tiny_run();
    let r = edustat(&["report", run.to_str().unwrap()], &[]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    // A targets.parquet changed after the run is not the run's: exit 3, nothing written.
    let targets = run.join("targets.parquet");
    let mut bytes = std::fs::read(&targets).unwrap();
    let last = bytes.len() - 20;
    bytes[last] ^= 0xff;
    std::fs::write(&targets, bytes).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("r.html");
    let r = edustat(&["report", run.to_str().unwrap(), "-o", to.to_str().unwrap()], &[]);
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    assert!(r.stderr.contains("targets.parquet") && r.stderr.contains("edustat verify"));
    assert!(!to.exists());
}

/// What Chromium saw of a page (tests/browser/open_report.py).
fn in_chromium(page: &Path, shot: &Path) -> serde_json::Value {
    let python = repo().join(".venv/browser/bin/python");
    assert!(
        python.exists(),
        "{} is missing: `make browser` installs Chromium and its driver (make test does it first)",
        python.display()
    );
    let out = std::process::Command::new(&python)
        .arg(repo().join("tests/browser/open_report.py"))
        .arg(page)
        .arg(shot)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"))
}

#[test]
fn every_target_has_its_chart_with_its_status_in_chromium() {
    let run = guangxi_run();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    report(run, &page);
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("guangxi-report.png");
    let seen = in_chromium(&page, &shot);
    // The page's own file was the only request, and nothing was refused or logged.
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    assert_eq!(seen["requests"], serde_json::json!([url]));
    assert_eq!(seen["failed"], serde_json::json!([]));
    assert_eq!(seen["console"], serde_json::json!([]));
    // The targets of targets.parquet on the regions the plan addresses, and each county row.
    let targets = frame::read_parquet(&run.join("targets.parquet")).unwrap();
    let own =
        frame::collect(targets.clone().lazy().filter(col("region_code").eq(col("target_region"))))
            .unwrap();
    let ids = super::common::texts(&own, "target");
    let statuses = super::common::texts(&own, "status");
    let sections = seen["sections"].as_array().unwrap();
    assert_eq!(sections.len(), ids.len());
    assert_eq!(seen["summary_rows"].as_array().unwrap().len(), ids.len());
    for ((id, status), s) in ids.iter().zip(&statuses).zip(sections) {
        assert_eq!(s["target"], *id);
        assert_eq!(s["status"], *status, "{id}");
        let label = status.replace('_', " ");
        assert!(s["badge"].as_str().unwrap().ends_with(&label), "{id}: {}", s["badge"]);
        // The series chart is drawn at a real size.
        let size = s["series"].as_array().unwrap_or_else(|| panic!("{id}: no series chart"));
        assert!(size[0].as_i64().unwrap() > 300 && size[1].as_i64().unwrap() > 100, "{id}");
    }
    // 县县 targets: one bar per county, each with the county row's status.
    let counties =
        frame::collect(targets.lazy().filter(col("region_code").neq(col("target_region"))))
            .unwrap();
    let (county_targets, county_codes, county_statuses) = (
        super::common::texts(&counties, "target"),
        super::common::texts(&counties, "region_code"),
        super::common::texts(&counties, "status"),
    );
    let mut ranked = 0;
    for s in sections {
        let bars = s["bars"].as_array().unwrap();
        let expected: Vec<(String, String)> = (0..county_targets.len())
            .filter(|i| s["target"] == county_targets[*i])
            .map(|i| (county_codes[i].clone(), county_statuses[i].clone()))
            .collect();
        assert_eq!(bars.len(), expected.len(), "{}", s["target"]);
        if bars.is_empty() {
            assert!(s["ranked"].is_null());
            continue;
        }
        ranked += 1;
        let mut drawn: Vec<(String, String)> = bars
            .iter()
            .map(|b| {
                assert_eq!(b["shown"], true, "{b}");
                (b["region"].as_str().unwrap().into(), b["status"].as_str().unwrap().into())
            })
            .collect();
        drawn.sort();
        let mut expected = expected;
        expected.sort();
        assert_eq!(drawn, expected, "{}", s["target"]);
    }
    // The Guangxi pipeline sets three 县县 targets, over its 111 counties.
    assert_eq!(ranked, 3);
    assert_eq!(county_targets.len(), 3 * 111);
    assert_eq!(seen["quarantined"], "13");
    // The screenshot is a page, not a blank: many colours, much ink, the whole page's height.
    let shot_seen = &seen["screenshot"];
    assert_eq!(shot_seen["width"], 1100);
    assert!(shot_seen["height"].as_i64().unwrap() > 10_000, "{shot_seen}");
    assert!(shot_seen["colours"].as_i64().unwrap() > 500, "{shot_seen}");
    assert!(shot_seen["not_white"].as_f64().unwrap() > 0.05, "{shot_seen}");
}

#[test]
fn the_browser_check_sees_a_request_the_page_makes_and_the_policy_refuses_it() {
    // A control for the test above: a page that asks for an image off the machine. With the
    // report's policy the browser refuses it and says so; without it, the request is seen.
    let (_fixture, _out, run) = tiny_run();
    let dir = tempfile::tempdir().unwrap();
    let html = report(&run, &dir.path().join("r.html"));
    let fetching = html.replace("<main>", "<main><img src=\"https://example.invalid/x.png\">");
    let with_policy = dir.path().join("with.html");
    std::fs::write(&with_policy, &fetching).unwrap();
    let seen = in_chromium(&with_policy, &dir.path().join("with.png"));
    let requests = seen["requests"].to_string();
    assert!(requests.contains("https://example.invalid/x.png"), "the check sees it: {requests}");
    let failed = seen["failed"].to_string();
    assert!(failed.contains("x.png csp"), "refused by the policy: {failed}");
    let console = seen["console"].to_string();
    assert!(console.contains("Content Security Policy"), "{console}");
    // Without the policy the same request goes out to the network (and fails only there).
    let policy = &fetching[fetching.find("<meta http-equiv").unwrap()..];
    let policy = &policy[..policy.find('>').unwrap() + 1];
    let without_policy = dir.path().join("without.html");
    std::fs::write(&without_policy, fetching.replace(policy, "")).unwrap();
    let seen = in_chromium(&without_policy, &dir.path().join("without.png"));
    let requests = seen["requests"].to_string();
    assert!(requests.contains("https://example.invalid/x.png"), "{requests}");
    let failed = seen["failed"].to_string();
    assert!(!failed.contains("csp"), "{failed}");
}
