//! Sex breakdowns of one file's value columns: total, female and male of the same measure and
//! keys must agree (female ≤ total, female + male = total); a missing part is derived
//! (male = total − female), and only the parts are kept when both exist.

use std::collections::BTreeMap;

use super::{Typing, ValueCol};
use crate::frame::Expr;

/// Add the agreement rules to `typing`, derive missing parts, and return the value columns to
/// keep. `parsed[j]` is value column `j` parsed; `raw_column` names a raw header's column.
pub(super) fn reconcile(
    typing: &mut Typing,
    values: Vec<ValueCol>,
    parsed: &[Expr],
    raw_column: impl Fn(&str) -> Expr,
) -> Vec<ValueCol> {
    let mut groups: BTreeMap<String, BTreeMap<String, Vec<usize>>> = BTreeMap::new();
    for (j, v) in values.iter().enumerate() {
        let key = format!(
            "{}|{:?}|{:?}|{:?}|{:?}|{:?}",
            v.measure, v.grade, v.category, v.size_band, v.year, v.stage
        );
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
        agreement_rules(typing, &values, parsed, &raw_column, (t, f, m));
        match (t, f, m) {
            (_, Some(f), Some(m)) => keep.extend([f, m]),
            (Some(t), Some(f), None) | (Some(t), None, Some(f)) => {
                let base = &values[f];
                let other = if base.sex == "female" { "male" } else { "female" };
                let name = format!("__v{}", values.len() + derived.len());
                typing.typed.push((parsed[t].clone() - parsed[f].clone()).alias(&name));
                derived.push(ValueCol { name, sex: other.into(), ..base.clone() });
                keep.push(f);
            }
            _ => keep.extend(parts.values().flatten().copied()),
        }
    }
    let mut kept: Vec<ValueCol> = keep.into_iter().map(|j| values[j].clone()).collect();
    kept.extend(derived);
    kept
}

/// female ≤ total, and female + male = total, where the columns exist.
fn agreement_rules(
    typing: &mut Typing,
    values: &[ValueCol],
    parsed: &[Expr],
    raw_column: &impl Fn(&str) -> Expr,
    (t, f, m): (Option<usize>, Option<usize>, Option<usize>),
) {
    let raw_of = |j: usize| values[j].raw.clone();
    if let (Some(t), Some(f)) = (t, f) {
        let (total, female) = (raw_of(t), raw_of(f));
        let fail = parsed[f].clone().gt(parsed[t].clone());
        let message = format!("{female} exceeds its total {total}");
        typing.rule(fail, "count.female_exceeds_total", &female, raw_column(&female), message);
    }
    if let (Some(t), Some(f), Some(m)) = (t, f, m) {
        let (total, female, male) = (raw_of(t), raw_of(f), raw_of(m));
        let fail = (parsed[f].clone() + parsed[m].clone()).neq(parsed[t].clone());
        let message = format!("{male} + {female} differs from {total}");
        typing.rule(fail, "count.sex_sum_mismatch", &total, raw_column(&total), message);
    }
}
