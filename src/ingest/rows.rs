//! Typing and row rules. A raw text table becomes typed canonical columns; every row that
//! breaks a rule becomes one quarantine row naming the first rule it broke, the raw column
//! and the raw value. All of it is one polars plan over the whole file, no per-row loop.

use std::collections::BTreeMap;

use super::quarantine;
use super::read::RawTable;
use crate::error::{Error, Result};
use crate::frame::{self, Column, DataFrame, DataType, Expr, IntoLazy, NULL, col, lit, when};
use crate::spec::{Grade, SourceSpec};
use crate::tables::Kind;

/// Raw cells that mean "no value" in count columns.
const MISSING_MARKERS: &[&str] = &["-", "--", "—", "－", "/", "／"];

/// One typed value column of the accepted frame, ready to be unpivoted.
#[derive(Debug, Clone)]
pub struct ValueCol {
    pub name: String,
    pub measure: String,
    pub sex: String,
    pub grade: Option<Grade>,
    pub category: Option<String>,
    pub size_band: Option<String>,
}

/// The result of typing one file.
pub struct Typed {
    /// `__line`, the typed canonical columns, and the `__v*` value columns.
    pub accepted: DataFrame,
    pub quarantine: DataFrame,
    pub values: Vec<ValueCol>,
}

/// A rule: rows where `fail` is true are quarantined with this rule id.
struct Rule {
    fail: Expr,
    id: &'static str,
    column: String,
    raw: Expr,
    message: String,
}

use crate::frame::{any_of, first_match, null_text};

/// A number as spreadsheets and Chinese input methods write it, made plain: full-width digits
/// (１２３), a full-width point or minus, and thousands separators ("1,234", "1，234,567.5")
/// where every group after the first has exactly three digits. `None` when there is nothing to
/// change or the result would still not be a plain number: such cells stay as they are and
/// meet the row rules ("1,23" is not read as 123).
pub fn plain_number(cell: &str) -> Option<String> {
    let mut out = String::with_capacity(cell.len());
    let mut changed = false;
    for c in cell.chars() {
        let mapped = match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '．' => '.',
            '－' => '-',
            '，' => ',',
            _ => c,
        };
        changed |= mapped != c;
        out.push(mapped);
    }
    if out.contains(',') {
        let (sign, body) = out.strip_prefix('-').map_or(("", out.as_str()), |b| ("-", b));
        let (int, frac) = body.split_once('.').map_or((body, None), |(i, f)| (i, Some(f)));
        let mut groups = int.split(',');
        let first = groups.next().unwrap_or("");
        let grouped = (1..=3).contains(&first.len())
            && first.bytes().all(|b| b.is_ascii_digit())
            && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
            && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
        if !grouped {
            return None;
        }
        out = format!("{sign}{}{}", int.replace(',', ""), frac.map(|f| format!(".{f}")).unwrap_or_default());
        changed = true;
    }
    changed.then_some(out)
}

fn raw_name(i: usize) -> String {
    format!("__c{i}")
}

/// Type `raw` as `source` declares. `code_map` is [`crate::divisions::Divisions::code_map`].
pub fn type_rows(source: &SourceSpec, raw: &RawTable, code_map: &DataFrame, years: (i32, i32)) -> Result<Typed> {
    let table = source.table;
    let header_index = |h: &str| raw.headers.iter().position(|x| x == h);
    let missing_header = |h: &str, what: &str| Error::Input {
        file: source.path.clone(),
        location: format!("{}", source.header_row),
        message: format!("column {h:?} ({what}) is missing from the header; the header has: {}{}", raw.headers.join(", "), raw.header_note),
    };

    // Columns read as numbers: value columns and numeric or code columns of the mapping.
    let mut numeric: Vec<usize> = source.values.iter().filter_map(|v| header_index(&v.raw)).collect();
    for (canonical, header) in &source.columns {
        if let (Some(def), Some(i)) = (table.column(canonical), header_index(header))
            && matches!(def.kind, Kind::Year | Kind::Int { .. } | Kind::Amount | Kind::Whole | Kind::Region)
        {
            numeric.push(i);
        }
    }

    // Build the text frame: __line + one column per raw header.
    let mut columns = vec![Column::new("__line".into(), raw.lines.clone())];
    let mut normalised = 0usize;
    // Only the columns the mapping reads go into the frame (a file may carry hundreds of
    // others, or a million by accident).
    let mapped: std::collections::BTreeSet<usize> =
        source.columns.iter().map(|(_, h)| h).chain(source.values.iter().map(|v| &v.raw)).filter_map(|h| header_index(h)).collect();
    for (i, cells) in raw.cells.iter().enumerate() {
        if !mapped.contains(&i) {
            continue;
        }
        if numeric.contains(&i) {
            let plain: Vec<Option<String>> = cells
                .iter()
                .map(|c| {
                    let p = c.as_deref().and_then(plain_number);
                    normalised += p.is_some() as usize;
                    p.or_else(|| c.clone())
                })
                .collect();
            columns.push(Column::new(raw_name(i).into(), plain));
        } else {
            columns.push(Column::new(raw_name(i).into(), cells.clone()));
        }
    }
    if normalised > 0 {
        tracing::info!(file = %source.display, cells = normalised, "numbers written with full-width digits or thousands separators read as plain numbers");
    }
    let mut lf = frame::frame(columns)?.lazy();

    let used: Vec<&str> = source.columns.iter().map(|(_, h)| h.as_str()).chain(source.values.iter().map(|v| v.raw.as_str())).collect();
    let unused: Vec<&String> =
        raw.headers.iter().filter(|h| !h.is_empty() && !used.contains(&h.as_str()) && !source.ignore.contains(h)).collect();
    if !unused.is_empty() {
        tracing::warn!(file = %source.display, columns = ?unused, "columns not in the mapping are ignored");
    }

    let mut rules: Vec<Rule> = Vec::new();
    let mut typed: Vec<Expr> = vec![col("__line")];
    let mut needs_region_join: Option<(String, Expr)> = None;

    // Canonical columns from raw headers or constants.
    let mut sources: Vec<(String, String, Expr)> = Vec::new(); // (canonical, display column, raw expr)
    for (canonical, header) in &source.columns {
        let i = header_index(header).ok_or_else(|| missing_header(header, &format!("mapped to {canonical}")))?;
        sources.push((canonical.clone(), header.clone(), col(raw_name(i))));
    }
    for (canonical, value) in &source.constants {
        sources.push((canonical.clone(), format!("(constant {canonical})"), lit(value.clone())));
    }
    for (canonical, display, raw_expr) in sources {
        let Some(def) = table.column(&canonical) else { continue };
        let original = raw_expr.clone();
        let mut raw_expr = raw_expr;
        for suffix in source.strip_suffixes.get(&canonical).into_iter().flatten() {
            raw_expr = raw_expr.str().strip_suffix(lit(suffix.clone()));
        }
        let missing = Rule {
            fail: raw_expr.clone().is_null(),
            id: "value.missing",
            column: display.clone(),
            raw: null_text(),
            message: format!("{display}: required value is empty"),
        };
        if def.key {
            rules.push(missing);
        }
        match def.kind {
            Kind::Text => match source.codes.get(&canonical) {
                // A code map on a text column: only the listed raw labels exist.
                Some(map) => {
                    let mapped = first_match(map.iter().map(|(k, v)| (raw_expr.clone().eq(lit(k.clone())), lit(v.clone()))).collect(), null_text());
                    rules.push(Rule {
                        fail: raw_expr.clone().is_not_null().and(mapped.clone().is_null()),
                        id: "code.unknown_value",
                        column: display.clone(),
                        raw: raw_expr.clone(),
                        message: format!("{display}: not one of {}", map.keys().cloned().collect::<Vec<_>>().join(" / ")),
                    });
                    typed.push(mapped.alias(def.name));
                }
                None => typed.push(raw_expr.alias(def.name)),
            },
            Kind::Region => needs_region_join = Some((display, raw_expr)),
            Kind::Year | Kind::Int { .. } => {
                let (min, max, range_rule) = match def.kind {
                    Kind::Int { min, max } => (min, max, "value.out_of_range"),
                    _ => (years.0 as i64, years.1 as i64, "year.out_of_range"),
                };
                // A supplied-total label (年龄 = 合计) types as null: the row is the all-ages total.
                let labels = source.total_labels.get(&canonical).cloned().unwrap_or_default();
                let is_total = any_of(labels.iter().map(|l| original.clone().eq(lit(l.clone()))).collect());
                let parsed = when(is_total.clone()).then(lit(NULL).cast(DataType::Int64)).otherwise(raw_expr.clone().cast(DataType::Int64));
                rules.push(Rule {
                    fail: raw_expr.clone().is_not_null().and(parsed.clone().is_null()).and(is_total.not()),
                    id: "value.not_integer",
                    column: display.clone(),
                    raw: original.clone(),
                    message: format!("{display}: not a whole number"),
                });
                rules.push(Rule {
                    fail: parsed.clone().lt(lit(min)).or(parsed.clone().gt(lit(max))),
                    id: range_rule,
                    column: display.clone(),
                    raw: original.clone(),
                    message: format!("{display}: outside {min}..={max}"),
                });
                typed.push(parsed.cast(DataType::Int32).alias(def.name));
            }
            Kind::Coded(allowed) => {
                let cases: Vec<(Expr, Expr)> = match source.codes.get(&canonical) {
                    Some(map) => map.iter().map(|(k, v)| (raw_expr.clone().eq(lit(k.clone())), lit(v.clone()))).collect(),
                    None => allowed.iter().map(|a| (raw_expr.clone().eq(lit(*a)), lit(*a))).collect(),
                };
                let mapped = first_match(cases, null_text());
                let known: Vec<String> = match source.codes.get(&canonical) {
                    Some(map) => map.keys().cloned().collect(),
                    None => allowed.iter().map(|s| s.to_string()).collect(),
                };
                rules.push(Rule {
                    fail: raw_expr.clone().is_not_null().and(mapped.clone().is_null()),
                    id: "code.unknown_value",
                    column: display.clone(),
                    raw: raw_expr.clone(),
                    message: format!("{display}: not one of {}", known.join(" / ")),
                });
                typed.push(mapped.alias(def.name));
            }
            Kind::Flag => {
                let yes = any_of(["是", "有", "1", "Y", "y", "true", "TRUE", "√"].iter().map(|v| raw_expr.clone().eq(lit(*v))).collect());
                let no = any_of(["否", "无", "0", "N", "n", "false", "FALSE", "×"].iter().map(|v| raw_expr.clone().eq(lit(*v))).collect());
                let flag = when(yes).then(lit(true)).otherwise(when(no).then(lit(false)).otherwise(lit(NULL).cast(DataType::Boolean)));
                rules.push(Rule {
                    fail: raw_expr.clone().is_not_null().and(flag.clone().is_null()),
                    id: "value.not_flag",
                    column: display.clone(),
                    raw: original.clone(),
                    message: format!("{display}: expected 是/否 (or 1/0, Y/N)"),
                });
                typed.push(flag.alias(def.name));
            }
            Kind::Amount | Kind::Whole => {
                let dtype = if def.kind == Kind::Amount { DataType::Float64 } else { DataType::Int64 };
                let parsed = raw_expr.clone().cast(dtype);
                rules.push(Rule {
                    fail: raw_expr.clone().is_not_null().and(parsed.clone().is_null()),
                    id: if def.kind == Kind::Amount { "value.not_number" } else { "value.not_integer" },
                    column: display.clone(),
                    raw: original.clone(),
                    message: format!("{display}: not a {}", if def.kind == Kind::Amount { "number" } else { "whole number" }),
                });
                rules.push(Rule {
                    fail: parsed.clone().lt(lit(0)),
                    id: "value.negative",
                    column: display.clone(),
                    raw: original.clone(),
                    message: format!("{display}: cannot be negative"),
                });
                typed.push(parsed.alias(def.name));
            }
            Kind::Count => {
                return Err(Error::Internal(format!("{canonical} is a count; counts come from value columns")));
            }
        }
    }

    // Region codes: join the division code map.
    if let Some((display, raw_expr)) = needs_region_join {
        lf = lf.with_column(raw_expr.alias("__code"));
        lf = frame::left_join(lf, code_map.clone().lazy(), &["__code"]);
        rules.push(Rule {
            fail: col("__code").is_not_null().and(col("__status").is_null()),
            id: "code.unknown_region",
            column: display.clone(),
            raw: col("__code"),
            message: format!("{display}: not a code of the division table"),
        });
        rules.push(Rule {
            fail: col("__status").eq(lit("retired_no_successor")),
            id: "code.retired_no_successor",
            column: display.clone(),
            raw: col("__code"),
            message: format!("{display}: a retired code with no successor in the division table"),
        });
        typed.push(col("__canonical").alias("region_code"));
    }

    // Value columns: counts.
    let mut values: Vec<ValueCol> = Vec::new();
    let mut parsed_of: Vec<Expr> = Vec::new();
    for (j, v) in source.values.iter().enumerate() {
        let i = header_index(&v.raw).ok_or_else(|| missing_header(&v.raw, &format!("{} value", v.measure)))?;
        let raw_expr = col(raw_name(i));
        let markers = any_of(MISSING_MARKERS.iter().map(|m| raw_expr.clone().eq(lit(*m))).collect());
        let cleaned = when(markers).then(null_text()).otherwise(raw_expr.clone());
        let parsed = cleaned.clone().cast(DataType::Int64);
        rules.push(Rule {
            fail: cleaned.is_not_null().and(parsed.clone().is_null()),
            id: "count.not_integer",
            column: v.raw.clone(),
            raw: raw_expr.clone(),
            message: format!("{}: a count must be a whole number", v.raw),
        });
        rules.push(Rule {
            fail: parsed.clone().lt(lit(0i64)),
            id: "count.negative",
            column: v.raw.clone(),
            raw: raw_expr.clone(),
            message: format!("{}: a count cannot be negative", v.raw),
        });
        let name = format!("__v{j}");
        typed.push(parsed.clone().alias(&name));
        parsed_of.push(parsed);
        values.push(ValueCol {
            name,
            measure: v.measure.clone(),
            sex: v.sex.clone(),
            grade: v.grade.clone(),
            category: v.category.clone(),
            size_band: v.size_band.clone(),
        });
    }

    // Sex breakdowns: total / female / male of the same measure and keys must agree; a missing
    // part is derived (male = total − female), and only the parts are kept when both exist.
    let mut groups: BTreeMap<String, BTreeMap<String, Vec<usize>>> = BTreeMap::new();
    for (j, v) in values.iter().enumerate() {
        let key = format!("{}|{:?}|{:?}|{:?}", v.measure, v.grade, v.category, v.size_band);
        groups.entry(key).or_default().entry(v.sex.clone()).or_default().push(j);
    }
    let mut keep: Vec<usize> = Vec::new();
    let mut derived: Vec<ValueCol> = Vec::new();
    for parts in groups.values() {
        // Several columns with the same keys (e.g. 小班达标 and 中班达标 both "within_norm") are
        // summed when the table is built; sex checks apply only to one column per sex.
        if parts.values().any(|cols| cols.len() > 1) {
            keep.extend(parts.values().flatten().copied());
            continue;
        }
        let one = |sex: &str| parts.get(sex).and_then(|cols| cols.first().copied());
        let (t, f, m) = (one("total"), one("female"), one("male"));
        let raw_of = |j: usize| source.values[j].raw.clone();
        if let (Some(t), Some(f)) = (t, f) {
            rules.push(Rule {
                fail: parsed_of[f].clone().gt(parsed_of[t].clone()),
                id: "count.female_exceeds_total",
                column: raw_of(f),
                raw: col(raw_name(header_index(&raw_of(f)).unwrap_or(0))),
                message: format!("{} exceeds its total {}", raw_of(f), raw_of(t)),
            });
        }
        if let (Some(t), Some(f), Some(m)) = (t, f, m) {
            rules.push(Rule {
                fail: (parsed_of[f].clone() + parsed_of[m].clone()).neq(parsed_of[t].clone()),
                id: "count.sex_sum_mismatch",
                column: raw_of(t),
                raw: col(raw_name(header_index(&raw_of(t)).unwrap_or(0))),
                message: format!("{} + {} differs from {}", raw_of(m), raw_of(f), raw_of(t)),
            });
        }
        match (t, f, m) {
            (_, Some(f), Some(m)) => keep.extend([f, m]),
            (Some(t), Some(f), None) | (Some(t), None, Some(f)) => {
                let base = &values[f];
                let other = if base.sex == "female" { "male" } else { "female" };
                let name = format!("__v{}", values.len() + derived.len());
                typed.push((parsed_of[t].clone() - parsed_of[f].clone()).alias(&name));
                derived.push(ValueCol { name, sex: other.into(), ..base.clone() });
                keep.push(f);
            }
            _ => keep.extend(parts.values().flatten().copied()),
        }
    }
    let mut kept: Vec<ValueCol> = keep.into_iter().map(|j| values[j].clone()).collect();
    kept.extend(derived);

    // First failing rule per row.
    let pick = |f: &dyn Fn(&Rule) -> Expr| first_match(rules.iter().map(|r| (r.fail.clone(), f(r))).collect(), null_text());
    let rule_id = pick(&|r| lit(r.id));
    let rule_col = pick(&|r| lit(r.column.clone()));
    let rule_raw = pick(&|r| r.raw.clone().cast(DataType::String));
    let rule_msg = pick(&|r| lit(r.message.clone()));
    typed.extend([rule_id.alias("__rule"), rule_col.alias("__column"), rule_raw.alias("__raw"), rule_msg.alias("__message")]);

    let all = frame::collect(lf.select(typed))?;
    let keep_cols: Vec<Expr> = std::iter::once(col("__line"))
        .chain(table.columns.iter().filter(|c| all.column(c.name).is_ok()).map(|c| col(c.name)))
        .chain(kept.iter().map(|v| col(v.name.as_str())))
        .collect();
    let accepted = frame::collect(all.clone().lazy().filter(col("__rule").is_null()).select(keep_cols))?;
    let quarantine = frame::collect(
        all.lazy().filter(col("__rule").is_not_null()).select(quarantine::select_exprs(&source.display, raw.sheet.as_deref())),
    )?;
    Ok(Typed { accepted, quarantine, values: kept })
}

#[cfg(test)]
mod tests {
    use super::plain_number;

    #[test]
    fn plain_numbers() {
        assert_eq!(plain_number("1,234").as_deref(), Some("1234"));
        assert_eq!(plain_number("-1,234,567.50").as_deref(), Some("-1234567.50"));
        assert_eq!(plain_number("１２３").as_deref(), Some("123"));
        assert_eq!(plain_number("１，２３４．５").as_deref(), Some("1234.5"));
        assert_eq!(plain_number("３岁").as_deref(), Some("3岁"));
        // Nothing to change, or not a well-formed grouping: left for the row rules.
        for cell in ["1234", "1,23", "12,3456", ",123", "1,234.", "1,2a4", "一千", "1,234,5"] {
            assert_eq!(plain_number(cell), None, "{cell}");
        }
    }
}
