//! The plan's targets, resolved: each names an indicator the pipeline computes (or one of the
//! built-in catalogue), a region, and a comparator whose extra values fit it.

use serde::Deserialize;

use super::{Ctx, Families, is_region_code, model};
use crate::error::Result;

/// How a value is compared with a target. Written in the pipeline file as `>=`, `<=`, `==`,
/// `between` (value ..= value_high) or `about` (value ± tolerance × value).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum Comparator {
    #[serde(rename = ">=")]
    AtLeast,
    #[serde(rename = "<=")]
    AtMost,
    #[serde(rename = "==")]
    Equal,
    #[serde(rename = "between")]
    Between,
    #[serde(rename = "about")]
    About,
}

impl Comparator {
    /// The comparator as the pipeline file and `targets.parquet` write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparator::AtLeast => ">=",
            Comparator::AtMost => "<=",
            Comparator::Equal => "==",
            Comparator::Between => "between",
            Comparator::About => "about",
        }
    }
}

impl std::fmt::Display for Comparator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A target of the plan.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetSpec {
    pub id: String,
    pub indicator: String,
    pub region: String,
    pub comparator: Comparator,
    pub value: f64,
    /// Upper bound of a `between` target.
    pub value_high: Option<f64>,
    /// Relative tolerance of an `about` target.
    pub tolerance: Option<f64>,
    pub target_year: i32,
    pub baseline_year: i32,
    /// The level every region of which under `region` must meet the target (县县), if any.
    pub each: Option<String>,
    pub source: String,
    pub wording: String,
}

/// Resolve `[[targets]]`: an indicator neither computed nor labelled is an error; one labelled
/// but not computed is a warning (its status will be `no_data`).
pub(super) fn resolve(
    ctx: &Ctx,
    raw: &[model::Target],
    families: &Families,
    labels: &std::collections::BTreeMap<String, super::labels::Label>,
    levels: &[String],
) -> Result<Vec<TargetSpec>> {
    let ids = families.ids();
    let mut targets = Vec::new();
    for t in raw {
        let indicator = t.indicator.get_ref();
        let computed = ids.binary_search(indicator).is_ok();
        if !computed && !labels.contains_key(indicator) {
            return Err(ctx.err(t.indicator.span(), format!("target refers to indicator {indicator:?}, which this pipeline neither computes nor describes in [labels]")));
        }
        if !computed {
            tracing::warn!(indicator = %indicator, "target's indicator is not computed by this pipeline; its status will be no_data");
        }
        let comparator = *t.comparator.get_ref();
        let fits = match (comparator, t.value_high, t.tolerance) {
            (Comparator::AtLeast | Comparator::AtMost | Comparator::Equal, None, None) => true,
            (Comparator::Between, Some(high), None) => high >= t.value,
            (Comparator::About, None, tol) => tol.is_none_or(|x| (0.0..1.0).contains(&x)),
            _ => false,
        };
        if !fits {
            return Err(ctx.err(
                t.comparator.span(),
                "comparator must be \">=\", \"<=\", \"==\", \"between\" (with value_high >= value) or \"about\" (with an optional tolerance in 0..1)",
            ));
        }
        if !is_region_code(t.region.get_ref()) {
            return Err(ctx.err(
                t.region.span(),
                "region must be a region code (letters, digits, '-', '_', '.')",
            ));
        }
        if let Some(each) = &t.each
            && !levels[1..].contains(each.get_ref())
        {
            return Err(ctx.err(
                each.span(),
                format!(
                    "each must name a level below the top of the division table ({})",
                    levels[1..].join(", ")
                ),
            ));
        }
        targets.push(TargetSpec {
            id: t.id.clone(),
            indicator: indicator.clone(),
            region: t.region.get_ref().clone(),
            comparator,
            value: t.value,
            value_high: t.value_high,
            tolerance: t.tolerance,
            target_year: t.target_year,
            baseline_year: t.baseline_year,
            each: t.each.as_ref().map(|e| e.get_ref().clone()),
            source: t.source.clone(),
            wording: t.wording.clone(),
        });
    }
    Ok(targets)
}
