//! The report's page: a summary of statuses and a table of targets, one section per target
//! (figures, its series chart, and for a 县县 target its regions ranked and those short of it),
//! and the run's provenance. Chinese labels with English beside them; one inline stylesheet,
//! allowed by its hash under a `default-src 'none'` content policy, so the page makes no
//! request of any kind and prints as it shows.

use base64::Engine;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use sha2::Digest;

use super::chart;
use super::{Report, Target};

const STYLE: &str = include_str!("report.css");

/// The page of `report`, as bytes to write.
pub fn render(report: &Report) -> String {
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(STYLE));
    let policy = format!(
        "default-src 'none'; style-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'"
    );
    let m = &report.manifest;
    let title = format!("{} · 目标进展 Progress against targets · {}", m.pipeline_id, m.run_id);
    let page = html! {
        (DOCTYPE)
        html lang="zh-Hans" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(policy);
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { "目标进展报告 " span.en { "Progress against the plan's targets" } }
                    p.run { (m.pipeline_id) " · run " code { (m.run_id) } " · " (m.finished_at) }
                }
                (summary(report))
                main {
                    @for t in &report.targets {
                        (section(t))
                    }
                }
                (super::provenance::provenance(report))
            }
        }
    };
    page.into_string()
}

/// A status in Chinese and English.
pub fn status_label(status: &str) -> String {
    let zh = match status {
        "achieved" => "已达成",
        "on_track" => "进度正常",
        "off_track" => "滞后",
        "no_baseline" => "无基线",
        "no_recent_value" => "无近期数值",
        _ => "",
    };
    format!("{zh} {}", status.replace('_', " "))
}

fn badge(status: &str) -> Markup {
    html! { span class=(format!("badge s-{status}")) { (status_label(status)) } }
}

/// The statuses counted, and every target in one table linking to its section.
fn summary(report: &Report) -> Markup {
    let count = |s: &str| report.targets.iter().filter(|t| t.status == s).count();
    html! {
        section #summary {
            h2 { "概览 " span.en { "Summary" } }
            p.counts {
                (report.targets.len()) " 项目标 targets: "
                @for s in crate::assess::STATUSES {
                    span class=(format!("count s-{s}")) data-status=(s) {
                        (status_label(s)) " " strong { (count(s)) }
                    }
                    " "
                }
            }
            table.targets {
                thead { tr {
                    th { "指标 indicator" } th { "地区 region" } th { "目标 target" }
                    th.num { "基线 baseline" } th.num { "最新 latest" } th { "状态 status" } th.num { "差距 gap" }
                } }
                tbody {
                    @for t in &report.targets {
                        tr data-target=(t.id) data-status=(t.status) {
                            td { a href=(format!("#t-{}", t.id)) { (t.name_zh) } br; span.en { (t.name_en) } }
                            td.nowrap { (t.region_name) }
                            td.nowrap {
                                (chart::target_text(t)) " (" (t.target_year) ")"
                                @if let Some(each) = t.applies_text() { br; span.en { (each) } }
                            }
                            td.num { (t.baseline_year) " " (t.shown(t.baseline_value)) }
                            td.num { (latest(t, t.latest)) }
                            td.nowrap { (badge(&t.status)) @if let Some((m, n)) = t.counted { " " (m) "/" (n) } }
                            td.num { (t.shown(t.gap)) }
                        }
                    }
                }
            }
        }
    }
}

fn latest(t: &Target, l: Option<(i32, f64)>) -> String {
    match l {
        Some((y, v)) => format!("{y} {}", t.shown(Some(v))),
        None => "-".into(),
    }
}

/// The unit as the figures show it.
fn unit(t: &Target) -> &'static str {
    match t.unit.as_str() {
        "percent" => "%",
        "yuan" => " 元",
        _ => "",
    }
}

/// One target: its figures, its series, and for a 县县 target its regions.
fn section(t: &Target) -> Markup {
    let u = unit(t);
    html! {
        section.target id=(format!("t-{}", t.id)) data-target=(t.id) data-status=(t.status) data-indicator=(t.indicator) {
            h3 { (badge(&t.status)) " " (t.name_zh) " " span.en { (t.name_en) } }
            p.wording { "「" (t.wording) "」 " (t.source) " · " (t.region_name) " " code { (t.region_code) } }
            dl.figures {
                div { dt { "目标 target" } dd { (chart::target_text(t)) (u) " (" (t.target_year) ")" } }
                div { dt { "基线 baseline" } dd { (t.baseline_year) ": " (t.shown(t.baseline_value)) (u) } }
                div { dt { "最新 latest" } dd { (latest(t, t.latest)) (u) } }
                div { dt { "差距 gap" } dd { (t.shown(t.gap)) } }
                @if let Some(r) = t.required_annual_change {
                    div { dt { "每年尚需 needed a year" } dd { (t.shown(Some(r))) } }
                }
                @if let Some(each) = t.applies_text() {
                    div { dt { "适用 applies to" } dd { (each) } }
                }
                @if let Some((m, n)) = t.counted {
                    div { dt { "达标地区 regions meeting" } dd { (m) " / " (n) } }
                }
                div { dt { "指标 indicator" } dd { code { (t.indicator) } " (" (t.unit) ")" } }
            }
            figure {
                (chart::series(t))
                figcaption { (t.name_zh) "，" (t.region_name) " · " (t.name_en) ": value each year, the target and the straight line from the baseline" }
            }
            @if t.each() {
                (regions(t))
            }
        }
    }
}

/// A 县县 target's regions: ranked, counted as of every year, and those not meeting it listed.
fn regions(t: &Target) -> Markup {
    let short: Vec<_> = t.regions.iter().filter(|r| r.status != "achieved").collect();
    html! {
        figure {
            (chart::ranked(t))
            figcaption { "各地区最新值 each " (t.applies_to) "'s latest value against " (chart::target_text(t)) }
        }
        p.meeting {
            "达标地区 regions meeting, as of: "
            @for p in &t.progress {
                @if let Some((m, n)) = p.counted { span.year { (p.year) " " strong { (m) "/" (n) } } " " }
            }
        }
        @if !short.is_empty() {
            details.short open[short.len() <= 12] {
                summary { "未达标 not meeting it: " (short.len()) }
                table.regions {
                    thead { tr { th { "代码 code" } th { "地区 region" } th.num { "最新 latest" } th { "状态 status" } } }
                    tbody {
                        @for r in &short {
                            tr data-region=(r.code) data-status=(r.status) {
                                td { code { (r.code) } } td { (r.name) } td.num { (latest(t, r.latest)) } td { (badge(&r.status)) }
                            }
                        }
                    }
                }
            }
        }
    }
}
