//! Supplied totals against their parts: a total whose parts cover every reporting unit under it
//! must equal their sum (within `[supplied_totals] tolerance`); one whose parts do not is noted
//! as a warning saying whether it was left out or used in their place.

use super::Check;
use crate::error::Result;
use crate::frame::{self, DataFrame};
use crate::spec::Pipeline;

/// One check per supplied total and measure found in the region-level tables: `c` holds the
/// comparisons the indicators were computed with (`indicators::supplied::COMPARISON_COLUMNS`).
pub fn checks(pipeline: &Pipeline, c: &DataFrame) -> Result<Vec<Check>> {
    let policy = pipeline.supplied_totals;
    let texts = |n: &str| frame::texts(c, n);
    let floats = |n: &str| frame::floats(c, n);
    let (table, scope, region, measure) =
        (texts("table")?, texts("scope")?, texts("region_code")?, texts("measure")?);
    let (supplied, parts, covered, expected) =
        (floats("supplied")?, floats("parts")?, floats("covered")?, floats("expected")?);
    let used = frame::bools(c, "used")?;
    let mut out = Vec::new();
    for i in 0..c.height() {
        let name = |v: &Option<String>| v.clone().unwrap_or_default();
        let scope = format!(
            "{} {} {} {}",
            name(&table[i]),
            name(&region[i]),
            name(&scope[i]),
            name(&measure[i])
        );
        let (x, sum) = (supplied[i].unwrap_or(0.0), parts[i].unwrap_or(0.0));
        let (have, want) = (covered[i].unwrap_or(0.0), expected[i].unwrap_or(0.0));
        let check = if have >= want && want > 0.0 {
            let passed = (x - sum).abs() <= policy.tolerance * x.abs();
            Check {
                rule: "supplied_total.sum".into(),
                scope,
                passed,
                detail: format!(
                    "supplied {x}, the sum of its parts {sum} (tolerance {:.3}%); the total is not counted again",
                    policy.tolerance * 100.0
                ),
                warning: false,
            }
        } else {
            let what = match used[i] {
                Some(true) => "used in place of its parts (supplied_totals.use = \"fill\")",
                _ => {
                    "left out; its region counts only its parts (set supplied_totals.use = \"fill\" to use it)"
                }
            };
            Check {
                rule: "supplied_total.incomplete_parts".into(),
                scope,
                passed: false,
                detail: format!(
                    "supplied {x}; its parts cover {have} of {want} reporting units (sum {sum}): the total is {what}"
                ),
                warning: true,
            }
        };
        out.push(check);
    }
    Ok(out)
}
