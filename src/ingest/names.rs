//! Regions delivered by name: the quarantine message of a name the division table does not know
//! lists the nearest names it does know, so a misspelling is fixed in one look.

use super::rows::UNKNOWN_NAME;
use crate::error::Result;
use crate::frame::{self, Column, DataFrame, IntoLazy, col, lit, when};

/// How many known names a message suggests.
const SUGGESTED: usize = 3;

/// `quarantine` with the nearest known names added to every unknown-name message.
pub fn with_nearest(quarantine: DataFrame, code_map: &DataFrame) -> Result<DataFrame> {
    let unknown = frame::collect(frame::distinct(
        quarantine
            .clone()
            .lazy()
            .filter(col("rule").eq(lit(UNKNOWN_NAME)))
            .select([col("raw_value")]),
    ))?;
    if unknown.height() == 0 {
        return Ok(quarantine);
    }
    let names = frame::collect(code_map.clone().lazy().filter(col("__by").eq(lit("name"))))?;
    let labels: Vec<String> = frame::texts(&names, "__label")?.into_iter().flatten().collect();
    let values: Vec<Option<String>> = frame::texts(&unknown, "raw_value")?;
    let hints: Vec<Option<String>> =
        values.iter().map(|v| v.as_deref().map(|v| nearest(v, &labels))).collect();
    let table = frame::frame(vec![
        Column::new("raw_value".into(), values),
        Column::new("__hint".into(), hints),
    ])?;
    let joined = frame::left_join(quarantine.lazy(), table.lazy(), &["raw_value"]);
    let message = when(col("rule").eq(lit(UNKNOWN_NAME)).and(col("__hint").is_not_null()))
        .then(frame::concat_text(vec![col("message"), lit("; nearest: "), col("__hint")]))
        .otherwise(col("message"));
    let columns: Vec<_> = quarantine_columns()
        .into_iter()
        .map(|c| if c == "message" { message.clone().alias("message") } else { col(c) })
        .collect();
    frame::collect(joined.select(columns))
}

fn quarantine_columns() -> Vec<&'static str> {
    super::quarantine::COLUMNS.iter().map(|(n, _)| *n).collect()
}

/// The known names closest to `value` (edit distance over characters, case ignored), quoted.
fn nearest(value: &str, labels: &[String]) -> String {
    let lower = value.trim().to_lowercase();
    let mut scored: Vec<(usize, &String)> =
        labels.iter().map(|l| (strsim::levenshtein(&lower, &l.to_lowercase()), l)).collect();
    scored.sort();
    scored.iter().take(SUGGESTED).map(|(_, l)| format!("{l:?}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::nearest;

    #[test]
    fn nearest_names_first() {
        let known = ["Ha Noi", "Hai Phong", "Da Nang", "Hue"].map(String::from);
        assert_eq!(nearest("Hanoi", &known), "\"Ha Noi\", \"Hue\", \"Da Nang\"");
    }
}
