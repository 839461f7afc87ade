//! The report's provenance section: which run, from which pipeline and code, read which files
//! (with their SHA-256), how many rows were quarantined and why, and which checks failed.

use maud::{Markup, html};

use super::Report;

pub fn provenance(report: &Report) -> Markup {
    let m = &report.manifest;
    let q = &report.quarantine;
    let c = &report.checks;
    html! {
        section #provenance {
            h2 { "数据来源与质量 " span.en { "Provenance and quality" } }
            table.facts { tbody {
                tr { th { "运行 run" } td { code { (m.run_id) } } }
                tr { th { "流程 pipeline" } td { (m.pipeline_id) " · " code { (m.pipeline_file) } } }
                tr { th { "时间 time" } td { (m.started_at) " – " (m.finished_at) } }
                tr { th { "版本 edustat" } td { (m.edustat_version) " (commit " (m.edustat_commit) ") · schema " (m.schema_version) } }
                tr { th { "配置散列 spec hash" } td { code { (m.spec_hash) } } }
                tr { th { "区划表 divisions" } td { code { (m.divisions.path) } " · " (m.divisions.bytes) " bytes · " code.hash { (m.divisions.sha256) } } }
            } }
            h3 { "输入文件 Inputs (" (m.inputs.len()) ")" }
            table.inputs {
                thead { tr {
                    th { "文件 file · SHA-256" } th { "表 table" } th.num { "读入 read" } th.num { "接受 accepted" }
                    th.num { "隔离 quarantined" } th.num { "bytes" }
                } }
                tbody {
                    @for f in &m.inputs {
                        tr {
                            td {
                                code { (f.path) } @if let Some(s) = &f.sheet { " [" (s) "]" }
                                br; code.hash { (f.sha256) }
                            }
                            td { (f.table) }
                            td.num { (f.rows_read) } td.num { (f.rows_accepted) } td.num { (f.rows_quarantined) }
                            td.num { (f.bytes) }
                        }
                    }
                }
            }
            h3 #quarantine { "隔离的行 Quarantined rows: " span data-count=(q.total) { (q.total) } }
            @if q.total > 0 {
                p { @for (rule, n) in &q.by_rule { code { (rule) } " " (n) "  " } }
                table.quarantine {
                    thead { tr { th { "文件 file" } th { "行 line" } th { "列 column" } th { "原值 raw" } th { "规则 rule" } th { "说明 message" } } }
                    tbody {
                        @for [file, line, column, raw, rule, message] in &q.rows {
                            tr { td { code { (file) } } td.num { (line) } td { (column) } td { code { (raw) } } td { code { (rule) } } td { (message) } }
                        }
                    }
                }
                @if q.total > q.rows.len() {
                    p.more { (q.rows.len()) " of " (q.total) " shown; quarantine.parquet holds them all" }
                }
            }
            h3 #checks { "质量检查 Checks: " (c.passed) " / " (c.total) " passed; failed: " span data-count=(c.failed.len()) { (c.failed.len()) } }
            @if !c.failed.is_empty() {
                table.checks {
                    thead { tr { th { "检查 rule" } th { "范围 scope" } th { "级别 severity" } th { "详情 detail" } } }
                    tbody {
                        @for [rule, scope, severity, detail] in &c.failed {
                            tr data-severity=(severity) { td { code { (rule) } } td { (scope) } td { (severity) } td { (detail) } }
                        }
                    }
                }
            }
        }
    }
}
