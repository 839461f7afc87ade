//! Class size (大班额, docs/methodology.md §5): the share of classes (not pupils) at or above a size
//! cut-off or in listed bands, and pupils per class. Bands come from the delivery ("56-60",
//! "66+"); a band that straddles a cut-off ("51-60" against 56) cannot be split: the pipeline
//! declares whether its classes are excluded or counted below the cut-off, and it is flagged.

use std::collections::BTreeMap;

use super::{Hierarchy, scope};
use crate::error::Result;
use crate::frame::{self, Column, DataType, Expr, IntoLazy, LazyFrame, col, lit, when};
use crate::spec::{ClassAverageSpec, ClassShareSpec, Pipeline, Straddling};
use crate::tables::Tables;
use crate::tables::band_bounds;

/// Classes of the stages by region (school records, or `regional_classes` where a region and
/// stage has none): year, from_code, stage, area, size_band, classes.
fn located_classes(tables: &Tables, stages: &[String]) -> Option<LazyFrame> {
    scope::by_region(tables, ("classes", "regional_classes"), stages, "classes", &["size_band"])
}

/// Share of classes in the band(s) the spec names, percent.
pub fn shares(
    specs: &[&ClassShareSpec],
    pipeline: &Pipeline,
    tables: &Tables,
    hierarchy: &Hierarchy,
) -> Result<Vec<LazyFrame>> {
    let mut parts = Vec::new();
    for spec in specs {
        if let Some(rows) = share_rows(spec, pipeline, tables)? {
            parts.push((spec.id.clone(), rows));
        }
    }
    let flags = [("__straddling", "band_straddles_cutoff")];
    let how = (("percent", 100.0), &flags[..]);
    Ok(super::keyed_ratio(parts, how, hierarchy, pipeline.years)?.into_iter().collect())
}

/// One class share's rows before the roll-up (`year, from_code, area, __num, __den,
/// __straddling`); `None` without classes of its stages.
fn share_rows(
    spec: &ClassShareSpec,
    pipeline: &Pipeline,
    tables: &Tables,
) -> Result<Option<LazyFrame>> {
    let Some(classes) = located_classes(tables, &spec.stages) else { return Ok(None) };
    // Which bands count, decided once per distinct label (a handful), not per row.
    let labels = frame::collect(frame::distinct(classes.clone().select([col("size_band")])))?;
    let labels = frame::texts(&labels, "size_band")?;
    let mut verdict: BTreeMap<String, (bool, bool)> = BTreeMap::new();
    for label in labels.iter().flatten().map(String::as_str) {
        let counted = match spec.min_size {
            Some(min) => band_bounds(label).is_some_and(|(lo, _)| lo >= min),
            None => spec.bands.iter().any(|b| b == label),
        };
        let straddles = spec
            .min_size
            .is_some_and(|min| band_bounds(label).is_some_and(|(lo, hi)| lo < min && hi >= min));
        verdict.insert(label.to_string(), (counted, straddles));
    }
    let bands = frame::frame(vec![
        Column::new("size_band".into(), verdict.keys().cloned().collect::<Vec<_>>()),
        Column::new("__counted".into(), verdict.values().map(|v| v.0).collect::<Vec<_>>()),
        Column::new("__straddles".into(), verdict.values().map(|v| v.1).collect::<Vec<_>>()),
    ])?;
    // Straddling classes are flagged either way; excluded, they leave the denominator too.
    let in_denominator = match spec.straddling {
        Some(Straddling::Exclude) => col("__straddles").not(),
        _ => lit(true),
    };
    // The classes each sum counts, as columns (masked sums in a group-by are slower).
    let counted = |cond: Expr, name: &str| {
        when(cond).then(col("classes")).otherwise(lit(0.0)).alias(name.to_string())
    };
    let masked = frame::inner_join(classes, bands.lazy(), &["size_band"]).with_columns([
        counted(col("__counted"), "__num"),
        counted(in_denominator, "__den"),
        counted(col("__straddles"), "__straddling"),
    ]);
    let sums = vec![col("__num").sum(), col("__den").sum(), col("__straddling").sum()];
    Ok(Some(scope::by_area(
        masked,
        scope::REGION_YEAR,
        sums,
        &["__num", "__den", "__straddling"],
        pipeline.by_area,
    )))
}

/// Pupils per class: enrolment of the stages over their classes, before the roll-up (`year,
/// from_code, area, __num, __den`); `None` without classes or enrolment of the stages.
pub fn average_rows(
    spec: &ClassAverageSpec,
    pipeline: &Pipeline,
    tables: &Tables,
) -> Result<Option<LazyFrame>> {
    let pupils = scope::by_region(
        tables,
        ("enrolment", "regional_enrolment"),
        &spec.stages,
        "enrolled",
        &[],
    );
    let (Some(classes), Some(pupils)) = (located_classes(tables, &spec.stages), pupils) else {
        return Ok(None);
    };
    // Pupils: the sex parts (female + male), or the total where no parts were delivered.
    let pupils = scope::by_area(
        pupils,
        scope::REGION_YEAR,
        vec![col("enrolled").cast(DataType::Float64).sum().alias("__num")],
        &["__num"],
        pipeline.by_area,
    );
    let classes = scope::by_area(
        classes,
        scope::REGION_YEAR,
        vec![col("classes").sum().alias("__den")],
        &["__den"],
        pipeline.by_area,
    );
    // Pupils without classes (or classes without pupils) are unpaired: flagged, never divided
    // (classes without pupils would read as 0 pupils per class).
    Ok(Some(frame::full_join(pupils, classes, &["year", "from_code", "area"])))
}
