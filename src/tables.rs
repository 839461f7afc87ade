//! The canonical tables: their columns, which are keys, how each is typed, and the values a
//! coded column may take; and [`Tables`], one run's canonical tables. Ingest maps raw files onto
//! these; compute reads only these.

use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};

use crate::error::Result;
use crate::frame::{self, DataFrame, DataType, LazyFrame};

/// One run's canonical tables by name: what ingest stages and compute reads. A table that no
/// source delivered is absent, never an empty frame standing in for it.
#[derive(Clone, Default)]
pub struct Tables(BTreeMap<&'static str, Table>);

impl Deref for Tables {
    type Target = BTreeMap<&'static str, Table>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for Tables {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl<'a> IntoIterator for &'a Tables {
    type Item = (&'a &'static str, &'a Table);
    type IntoIter = std::collections::btree_map::Iter<'a, &'static str, Table>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl Tables {
    /// Rows over all canonical tables (not the sums kept for the families, named `__…`).
    pub fn rows(&self) -> u64 {
        self.0.iter().filter(|(n, _)| !n.starts_with("__")).map(|(_, t)| t.height() as u64).sum()
    }

    /// Keep a frame (a table, or sums kept for the families) in memory under `name`.
    pub fn hold(&mut self, name: &'static str, frame: DataFrame) {
        self.0.insert(name, Table::held(frame));
    }
}

/// One table of a run: held in memory, or written to the run's folder as it was staged and
/// read from there by every plan over it (a large table is never held beside the others).
#[derive(Clone)]
pub struct Table {
    rows: usize,
    columns: Vec<(String, DataType)>,
    kept: Kept,
}

#[derive(Clone)]
enum Kept {
    Held(DataFrame),
    /// The plan reading the written file (its coded columns cast to enums again).
    Written(Box<LazyFrame>),
}

impl Table {
    /// A table in memory.
    pub fn held(frame: DataFrame) -> Table {
        Table { rows: frame.height(), columns: frame::columns_of(&frame), kept: Kept::Held(frame) }
    }

    /// A table written to a file: `plan` reads it; it has `rows` rows and `columns`.
    pub fn written(plan: LazyFrame, rows: usize, columns: Vec<(String, DataType)>) -> Table {
        Table { rows, columns, kept: Kept::Written(Box::new(plan)) }
    }

    pub fn height(&self) -> usize {
        self.rows
    }

    pub fn has_column(&self, name: &str) -> bool {
        self.column_type(name).is_some()
    }

    /// The type of column `name`, if the table has it (as compute sees it: coded columns are
    /// enums).
    pub fn column_type(&self, name: &str) -> Option<&DataType> {
        self.columns.iter().find(|(c, _)| c == name).map(|(_, t)| t)
    }

    /// A plan over the table's rows.
    pub fn lazy(&self) -> LazyFrame {
        match &self.kept {
            Kept::Held(frame) => frame::lazy(frame),
            Kept::Written(plan) => (**plan).clone(),
        }
    }

    /// The table's rows in memory (read from its file if written).
    pub fn frame(&self) -> Result<DataFrame> {
        match &self.kept {
            Kept::Held(frame) => Ok(frame.clone()),
            Kept::Written(plan) => frame::collect((**plan).clone()),
        }
    }

    /// Is the table read from its file rather than held?
    pub fn is_written(&self) -> bool {
        matches!(self.kept, Kept::Written(_))
    }
}

/// How a canonical column is typed and checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Free text (names, ids). Kept as text; leading zeros matter.
    Text,
    /// A region code: looked up in the division table, retired codes mapped to successors.
    Region,
    /// School year by its starting calendar year; must lie within the pipeline's years.
    Year,
    /// Small integer such as age or grade.
    Int { min: i64, max: i64 },
    /// Non-negative integer count (a measure).
    Count,
    /// One of a closed set of canonical values.
    Coded(&'static [&'static str]),
    /// Yes / no (是/否, 有/无, 1/0, Y/N, true/false).
    Flag,
    /// Non-negative amount with decimals (m², 元).
    Amount,
    /// Non-negative whole number kept as an attribute (books, computers, beds).
    Whole,
}

/// One canonical column.
#[derive(Clone, Copy, Debug)]
pub struct ColumnDef {
    pub name: &'static str,
    pub kind: Kind,
    /// Part of the table's key.
    pub key: bool,
    /// May the column be set per value column (wide layouts: one raw column per grade / sex / category)?
    pub from_values: bool,
}

/// One canonical table.
#[derive(Debug)]
pub struct TableDef {
    pub name: &'static str,
    pub columns: &'static [ColumnDef],
    /// Measures (counts); each row of a wide raw file yields them through `values`.
    pub measures: &'static [&'static str],
    /// Another table whose key (`columns`) every row must match (a referenced school must exist).
    pub references: Option<(&'static str, &'static [&'static str])>,
}

pub const SEXES: &[&str] = &["total", "female", "male"];
pub const STAGES: &[&str] = &[
    "preschool",
    "primary",
    "junior",
    "senior_general",
    "secondary_vocational",
    "adult_senior",
    "technical",
];
pub const SCHOOL_KINDS: &[&str] = &[
    "kindergarten",
    "primary",
    "junior",
    "nine_year",
    "twelve_year",
    "complete_secondary",
    "senior_general",
    "secondary_vocational",
    "technical",
    "special",
    "teaching_point",
    "higher",
];
pub const OWNERSHIP: &[&str] = &["public", "private"];
pub const AREAS: &[&str] = &["urban", "town", "rural"];
pub const BASES: &[&str] = &["origin", "location"];
pub const HIGHER_CATEGORIES: &[&str] = &[
    "postgraduate",
    "undergraduate",
    "junior_college",
    "adult_fulltime",
    "adult_evening",
    "adult_correspondence",
    "online",
    "self_study_graduates",
    "inservice_postgraduate",
    "course_class",
    "military",
];
pub const POPULATION_SOURCES: &[&str] = &["census", "sample_survey", "estimate"];

const fn key(name: &'static str, kind: Kind) -> ColumnDef {
    ColumnDef { name, kind, key: true, from_values: false }
}
const fn value_key(name: &'static str, kind: Kind) -> ColumnDef {
    ColumnDef { name, kind, key: true, from_values: true }
}
const fn attr(name: &'static str, kind: Kind) -> ColumnDef {
    ColumnDef { name, kind, key: false, from_values: false }
}

pub static POPULATION: TableDef = TableDef {
    name: "population",
    columns: &[
        key("year", Kind::Year),
        key("region_code", Kind::Region),
        key("age", Kind::Int { min: 0, max: 100 }),
        value_key("sex", Kind::Coded(SEXES)),
        key("area", Kind::Coded(AREAS)),
        attr("source", Kind::Coded(POPULATION_SOURCES)),
    ],
    measures: &["population"],
    references: None,
};

pub static SCHOOLS: TableDef = TableDef {
    name: "schools",
    columns: &[
        key("year", Kind::Year),
        key("school_id", Kind::Text),
        attr("name", Kind::Text),
        attr("region_code", Kind::Region),
        attr("township_code", Kind::Text),
        attr("kind", Kind::Coded(SCHOOL_KINDS)),
        attr("ownership", Kind::Coded(OWNERSHIP)),
        attr("area", Kind::Coded(AREAS)),
        attr("inclusive", Kind::Flag),
        attr("township_central", Kind::Flag),
        attr("demonstration_level", Kind::Text),
        attr("broadband", Kind::Flag),
        attr("multimedia_classrooms", Kind::Whole),
        attr("building_area_m2", Kind::Amount),
        attr("sports_area_m2", Kind::Amount),
        attr("equipment_value_yuan", Kind::Amount),
        attr("books", Kind::Whole),
        attr("computers", Kind::Whole),
        attr("sports_ground_ok", Kind::Flag),
        attr("sports_equipment_ok", Kind::Flag),
        attr("music_equipment_ok", Kind::Flag),
        attr("art_equipment_ok", Kind::Flag),
        attr("science_equipment_ok", Kind::Flag),
        attr("dangerous_building_d", Kind::Flag),
        attr("boarders", Kind::Whole),
        attr("beds", Kind::Whole),
    ],
    measures: &[],
    references: None,
};

/// Measures of school-level and regional enrolment alike.
pub const ENROLMENT_MEASURES: &[&str] = &[
    "enrolled",
    "entrants",
    "graduates",
    "final_grade",
    "transfers_in",
    "transfers_out",
    "repeaters",
];

pub static ENROLMENT: TableDef = TableDef {
    name: "enrolment",
    columns: &[
        key("year", Kind::Year),
        key("school_id", Kind::Text),
        key("stage", Kind::Coded(STAGES)),
        value_key("grade", Kind::Int { min: 0, max: 12 }),
        value_key("sex", Kind::Coded(SEXES)),
    ],
    measures: ENROLMENT_MEASURES,
    references: Some(("schools", &["year", "school_id"])),
};

/// Enrolment aggregated by region, as yearbooks publish it: history before the school-level
/// deliveries start (e.g. primary entrants eight years back for retention). Where school-level
/// enrolment exists for a region and year, it takes precedence.
pub static REGIONAL_ENROLMENT: TableDef = TableDef {
    name: "regional_enrolment",
    columns: &[
        key("year", Kind::Year),
        key("region_code", Kind::Region),
        key("stage", Kind::Coded(STAGES)),
        value_key("grade", Kind::Int { min: 0, max: 12 }),
        value_key("sex", Kind::Coded(SEXES)),
    ],
    measures: ENROLMENT_MEASURES,
    references: None,
};

pub static HIGHER_EDUCATION: TableDef = TableDef {
    name: "higher_education",
    columns: &[
        key("year", Kind::Year),
        key("region_code", Kind::Region),
        key("basis", Kind::Coded(BASES)),
        value_key("category", Kind::Coded(HIGHER_CATEGORIES)),
        value_key("sex", Kind::Coded(SEXES)),
    ],
    measures: &["students"],
    references: None,
};

/// Classes by size band (班额): one row per school, stage and band. Bands are text such as
/// "0-25", "56-60", "66+" (the lower bound decides cut-offs), or "within_norm" / "over_norm"
/// for kindergartens, whose norm depends on the class type (docs/methodology.md §5.1).
pub static CLASSES: TableDef = TableDef {
    name: "classes",
    columns: &[
        key("year", Kind::Year),
        key("school_id", Kind::Text),
        key("stage", Kind::Coded(STAGES)),
        value_key("size_band", Kind::Text),
    ],
    measures: &["classes"],
    references: Some(("schools", &["year", "school_id"])),
};

/// Lower and upper bound of a band label: "0-25" → (0, 25), "66+" → (66, ∞), "25人及以下" is
/// mapped to "0-25" by the pipeline file. Labels without digits ("over_norm") have none.
pub fn band_bounds(band: &str) -> Option<(i64, i64)> {
    let digits: Vec<i64> = band
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    match (digits.first(), digits.get(1), band.trim_end().ends_with('+')) {
        (Some(lo), _, true) => Some((*lo, i64::MAX)),
        (Some(lo), Some(hi), false) => Some((*lo, *hi)),
        (Some(x), None, false) => Some((*x, *x)),
        _ => None,
    }
}

/// Teachers per school and stage (专任教师 and the subsets the balance indicators need).
pub static TEACHERS: TableDef = TableDef {
    name: "teachers",
    columns: &[
        key("year", Kind::Year),
        key("school_id", Kind::Text),
        key("stage", Kind::Coded(STAGES)),
    ],
    measures: &[
        "fulltime",
        "above_required_qualification",
        "mid_senior_title",
        "key_teachers",
        "pe_art_teachers",
    ],
    references: Some(("schools", &["year", "school_id"])),
};

/// Teachers by region, as yearbooks publish them: used where a region and stage has no
/// school-level teachers.
pub static REGIONAL_TEACHERS: TableDef = TableDef {
    name: "regional_teachers",
    columns: &[
        key("year", Kind::Year),
        key("region_code", Kind::Region),
        key("stage", Kind::Coded(STAGES)),
    ],
    measures: TEACHERS.measures,
    references: None,
};

/// Classes by region and size band, as yearbooks publish them: used where a region and stage
/// has no school-level classes.
pub static REGIONAL_CLASSES: TableDef = TableDef {
    name: "regional_classes",
    columns: &[
        key("year", Kind::Year),
        key("region_code", Kind::Region),
        key("stage", Kind::Coded(STAGES)),
        value_key("size_band", Kind::Text),
    ],
    measures: &["classes"],
    references: None,
};

/// Education finance and pay per region and year (元).
pub static FINANCE: TableDef = TableDef {
    name: "finance",
    columns: &[key("year", Kind::Year), key("region_code", Kind::Region)],
    measures: &[
        "general_budget_education_expenditure",
        "students",
        "teacher_avg_salary",
        "civil_servant_avg_salary",
    ],
    references: None,
};

/// International students: inbound (来桂留学) and outbound (出国留学), per region and year.
pub static EXCHANGE: TableDef = TableDef {
    name: "exchange",
    columns: &[key("year", Kind::Year), key("region_code", Kind::Region)],
    measures: &["inbound_students", "outbound_students"],
    references: None,
};

/// The project register: things built, recognised or completed (new kindergartens, demonstration
/// schools, labs, broadband connections …), counted per region and year. `kind` is free text so
/// each plan declares its own kinds; the mapping's code map decides which raw labels exist.
pub static PROJECTS: TableDef = TableDef {
    name: "projects",
    columns: &[key("year", Kind::Year), key("region_code", Kind::Region), key("kind", Kind::Text)],
    measures: &["count"],
    references: None,
};

/// All mappable tables, in the order ingest processes them (referenced tables first).
pub static TABLES: &[&TableDef] = &[
    &SCHOOLS,
    &POPULATION,
    &ENROLMENT,
    &REGIONAL_ENROLMENT,
    &CLASSES,
    &TEACHERS,
    &REGIONAL_TEACHERS,
    &REGIONAL_CLASSES,
    &HIGHER_EDUCATION,
    &FINANCE,
    &EXCHANGE,
    &PROJECTS,
];

/// Look a table up by name.
pub fn table(name: &str) -> Option<&'static TableDef> {
    TABLES.iter().copied().find(|t| t.name == name)
}

impl TableDef {
    pub fn column(&self, name: &str) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.name == name)
    }
    /// Key columns that come from raw columns or constants (not from value columns).
    pub fn row_keys(&self) -> Vec<&'static str> {
        self.columns.iter().filter(|c| c.key && !c.from_values).map(|c| c.name).collect()
    }
    /// The columns that take one of a closed set of values, with the set.
    pub fn coded_columns(&self) -> Vec<(&'static str, &'static [&'static str])> {
        let coded = |c: &ColumnDef| match c.kind {
            Kind::Coded(values) => Some((c.name, values)),
            _ => None,
        };
        self.columns.iter().filter_map(coded).collect()
    }
    /// All key columns, in schema order.
    pub fn keys(&self) -> Vec<&'static str> {
        self.columns.iter().filter(|c| c.key).map(|c| c.name).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::band_bounds;

    #[test]
    fn bands() {
        assert_eq!(band_bounds("0-25"), Some((0, 25)));
        assert_eq!(band_bounds("56-60"), Some((56, 60)));
        assert_eq!(band_bounds("66+"), Some((66, i64::MAX)));
        assert_eq!(band_bounds("over_norm"), None);
    }
}
