//! The indicator catalogue's layout: one entry per indicator id with its Chinese and English
//! names, unit, formula in words and where its method and target come from. Each pipeline
//! describes its own indicators (`spec::labels`); `edustat explain` prints an entry, and
//! reports and queries join to `catalogue.parquet`.

/// A catalogue entry. Published as `catalogue.parquet` so outputs can join to it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Described {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub unit: String,
    pub definition: String,
    pub methodology: String,
    pub plan: String,
    /// The pipeline table that declares the indicator (`gross_enrolment`, `class_share` …);
    /// empty for an id only a target names.
    pub family: String,
}

/// The catalogue as a table (`catalogue.parquet`).
pub fn to_frame(entries: &[Described]) -> crate::Result<crate::frame::DataFrame> {
    use crate::frame::Column;
    let col = |name: &str, f: &dyn Fn(&Described) -> String| {
        Column::new(name.into(), entries.iter().map(f).collect::<Vec<_>>())
    };
    crate::frame::frame(vec![
        col("indicator", &|e| e.id.clone()),
        col("name_zh", &|e| e.name_zh.clone()),
        col("name_en", &|e| e.name_en.clone()),
        col("unit", &|e| e.unit.clone()),
        col("definition", &|e| e.definition.clone()),
        col("methodology", &|e| e.methodology.clone()),
        col("plan", &|e| e.plan.clone()),
        col("family", &|e| e.family.clone()),
    ])
}
