//! What rows an indicator covers, shared by every family: school-level rows located in their
//! county through the register, the stages in scope, the reported years; sums that stay null
//! over nothing reported; and the count of values in a plan.

use crate::error::Result;
use crate::frame::{self, DataFrame, DataType, Expr, LazyFrame, NULL, col, lit, when};
use crate::tables::{ENROLMENT_MEASURES as MEASURES, Table, Tables};

/// The register's `year, school_id, from_code` (the school's county) and `area` (urban / town /
/// rural, null where the register has none), if there is a register.
pub fn school_counties(tables: &Tables) -> Option<LazyFrame> {
    match tables.get(COUNTIES) {
        Some(counties) => Some(counties.lazy()),
        None => Some(counties_of(tables.get("schools")?)),
    }
}

/// The name [`school_counties`] are kept under once read from the register (by
/// [`located_tables`], or as ingest writes the tables they locate), for every family that reads
/// them.
pub const COUNTIES: &str = "__school_counties";
/// The name [`located_tables`] keeps [`register_counties`] under.
const REGISTER_COUNTIES: &str = "__register_counties";

/// [`school_counties`] of the register `schools`.
pub fn counties_of(schools: &Table) -> LazyFrame {
    schools.lazy().select([
        col("year"),
        col("school_id"),
        col("region_code").alias("from_code"),
        col("area"),
    ])
}

/// `year, from_code` of every county with schools in that year's register: the counties that
/// delivered, whose count of schools meeting a condition is a number even where it is 0.
pub fn register_counties(tables: &Tables) -> Option<LazyFrame> {
    match tables.get(REGISTER_COUNTIES) {
        Some(counties) => Some(counties.lazy()),
        None => {
            Some(frame::distinct(school_counties(tables)?.select([col("year"), col("from_code")])))
        }
    }
}

/// School-level `rows` (keyed by `year, school_id`) with the county of their school as
/// `from_code` and its `area`; rows of schools missing from that year's register drop out (ingest has already
/// quarantined them). Rows of a table [`located_tables`] located already are taken as they are.
pub fn located(rows: LazyFrame, tables: &Tables) -> Option<LazyFrame> {
    let register = school_counties(tables)?;
    if frame::plan_has_column(&rows, "from_code") {
        return Some(rows);
    }
    Some(frame::inner_join(rows, register, &["year", "school_id"]))
}

/// The county sums ([`COUNTY_SUMS`], [`ENROLMENT_BY_GRADE`]) of the school-level tables
/// (enrolment, classes, teachers), summed once for every family that reads them, where they
/// save work. Each sum is a join of every row with the register, streamed into its sums, so
/// the joined rows are never held. A table whose sums are all kept stays as delivered: the
/// families read it by county only through them, and by school without the register. A table
/// with a sum not kept gets its school's county (`from_code`) and `area` beside every row,
/// joined once for the families that sum it themselves ([`located`]). The register's counties
/// ([`school_counties`], [`register_counties`]) are kept too, read once for every family.
pub fn located_tables(tables: &Tables) -> Result<Tables> {
    let mut out = tables.clone();
    let Some(register) = school_counties(tables) else { return Ok(out) };
    let register = frame::collect(register)?;
    out.hold(COUNTIES, register.clone());
    let counties = frame::lazy(&register).select([col("year"), col("from_code")]);
    out.hold(REGISTER_COUNTIES, frame::collect(frame::distinct(counties))?);
    let mut planned: Vec<(&'static str, &'static str, LazyFrame)> = Vec::new();
    let mut summed_tables = Vec::new();
    for name in SUMMED {
        let Some(rows) = tables.get(name) else { continue };
        let by_county =
            || frame::inner_join_small(rows.lazy(), frame::lazy(&register), &["year", "school_id"]);
        let sums = sums_of(name, |c| rows.has_column(c), by_county);
        if !sums.is_empty() {
            summed_tables.push(name);
        }
        planned.extend(sums.into_iter().map(|(summed, plan)| (name, summed, plan)));
    }
    if let Some(enrolment) = tables.get("enrolment") {
        planned.push(("enrolment", PUPILS_BY_SCHOOL, pupils_of(enrolment.lazy())));
    }
    // One sum at a time: only its groups are held while it runs. (All in one streamed run read
    // each file once, but held every sum's groups at once: national 0.4, 1 s faster for 0.6 GB
    // more.)
    let mut located_all = Vec::new();
    for (table, summed, plan) in planned {
        // Summed already as the table's years were written into the run ([`year_sums`]).
        let sums = match tables.get(summed) {
            Some(sums) => sums.frame()?,
            None => frame::collect_streamed(plan)?,
        };
        if kept_sums((table, summed), tables, &sums) {
            out.hold(summed, sums);
        } else {
            out.remove(summed);
            if summed != PUPILS_BY_SCHOOL {
                located_all.push(table);
            }
        }
    }
    for name in ["enrolment", "classes", "teachers"] {
        let Some(rows) = tables.get(name) else { continue };
        if located_all.contains(&name) || !summed_tables.contains(&name) {
            out.hold(name, located_rows(&rows.frame()?, &register)?);
        }
    }
    Ok(out)
}

/// The school-level tables with sums kept once per run ([`located_tables`]).
pub const SUMMED: [&str; 3] = ["enrolment", "classes", "teachers"];

/// The sums kept once per run of the school-level table `name` that has the columns they
/// read: (name of the sums, plan over its rows `located` by county).
fn sums_of(
    name: &str,
    has: impl Fn(&str) -> bool,
    located: impl Fn() -> LazyFrame,
) -> Vec<(&'static str, LazyFrame)> {
    let mut planned: Vec<(&'static str, LazyFrame)> = COUNTY_SUMS
        .iter()
        .filter(|(t, m, keep, _)| *t == name && [*m].iter().chain(*keep).all(|c| has(c)))
        .map(|(_, measure, keep, summed)| (*summed, county_sums(located(), measure, keep)))
        .collect();
    if name == "enrolment" && MEASURES.iter().all(|m| has(m)) {
        planned.push((ENROLMENT_BY_GRADE, by_grade(located())));
    }
    planned
}

/// The sums [`located_tables`] would make of one year of the school-level table `name`, made
/// from that year's `rows` (one year's, in memory as they are written into the run) and the
/// register's [`counties_of`], `register`: so that compute need not read the table again for
/// them. The sums of every year together are the table's: the year is one of their keys.
/// Nothing for a table without sums.
pub fn year_sums(
    name: &str,
    rows: &DataFrame,
    register: &DataFrame,
) -> Result<Vec<(&'static str, DataFrame)>> {
    let Some(year) = frame::first_int(rows, "year")? else { return Ok(Vec::new()) };
    // Every row has the year: one year's register is all a row can be located by.
    let register = frame::lazy(register).filter(col("year").eq(lit(year as i32)));
    sums_by(name, rows, register)
}

/// The sums [`located_tables`] would make of the whole school-level table `name`, made from
/// its `rows` and the register's [`counties_of`], `register`, as the table is kept: compute
/// takes them instead of making them. Nothing for a table without sums.
pub fn table_sums(
    name: &str,
    rows: &DataFrame,
    register: &DataFrame,
) -> Result<Vec<(&'static str, DataFrame)>> {
    sums_by(name, rows, frame::lazy(register))
}

/// [`year_sums`] and [`table_sums`]: `rows` located by `register` (lazy) and summed.
fn sums_by(
    name: &str,
    rows: &DataFrame,
    register: LazyFrame,
) -> Result<Vec<(&'static str, DataFrame)>> {
    let has = |c: &str| frame::has_column(rows, c);
    let by_county =
        || frame::inner_join_small(frame::lazy(rows), register.clone(), &["year", "school_id"]);
    let mut planned = sums_of(name, has, by_county);
    if name == "enrolment" {
        planned.push((PUPILS_BY_SCHOOL, pupils_of(frame::lazy(rows))));
    }
    planned.into_iter().map(|(summed, plan)| Ok((summed, frame::collect_streamed(plan)?))).collect()
}

/// School-level `rows` with their school's `from_code` and `area` beside them (new columns;
/// the table's own are shared, not copied). A row whose school is not in that year's register
/// (ingest quarantines them) drops out, as in [`located`].
fn located_rows(rows: &DataFrame, register: &DataFrame) -> Result<DataFrame> {
    let register = frame::lazy(register).with_column(lit(true).alias("__found"));
    let columns = ["from_code", "area", "__found"];
    let with = frame::looked_up(rows, register, &["year", "school_id"], &columns)?;
    let with = match frame::null_count(&with, "__found")? {
        0 => with,
        _ => frame::collect(frame::lazy(&with).filter(col("__found").is_not_null()))?,
    };
    frame::without(&with, "__found")
}

/// The name [`located_tables`] keeps [`pupils_by_school`] under.
const PUPILS_BY_SCHOOL: &str = "__pupils_by_school";

/// Pupils (`__p`, f64) per year, school and stage, for the families that weigh schools by
/// their pupils (balance, school shares): summed once per run where [`located_tables`] kept
/// them, else from every enrolment row. `None` without enrolment.
pub fn pupils_by_school(tables: &Tables) -> Option<LazyFrame> {
    match tables.get(PUPILS_BY_SCHOOL) {
        Some(sums) => Some(sums.lazy()),
        None => Some(pupils_of(tables.get("enrolment")?.lazy())),
    }
}

/// Every school's enrolment summed per year, school and stage; counts, so exact in f64.
fn pupils_of(enrolment: LazyFrame) -> LazyFrame {
    enrolment
        .filter(col("enrolled").is_not_null())
        .group_by([col("year"), col("school_id"), col("stage")])
        .agg([col("enrolled").cast(DataType::Float64).sum().alias("__p")])
}

/// The school-level measures that families only add up (gross enrolment, class shares and
/// sizes, pupil–teacher ratios), summed once per run by county, stage, area and the listed
/// columns: (table, measure, columns kept, name of the sums). A family reads these few rows
/// instead of every school's: a county has hundreds of schools.
const COUNTY_SUMS: &[(&str, &str, &[&str], &str)] = &[
    ("enrolment", "enrolled", &["sex"], "__enrolment_by_county"),
    ("classes", "classes", &["size_band"], "__classes_by_county"),
    ("teachers", "fulltime", &[], "__teachers_by_county"),
];

/// Are the sums `summed` of the school-level `table` worth keeping? Where they save work:
/// fewer than half the table's rows (few schools per county and stage would make them nearly
/// as many, and only cost memory).
fn kept_sums((table, summed): (&str, &str), tables: &Tables, sums: &DataFrame) -> bool {
    let (n, of) = (sums.height(), tables.get(table).map_or(0, Table::height));
    let kept = n * 2 <= of;
    tracing::debug!(table, sums = summed, rows = n, of, kept, "county sums");
    kept
}

/// The name [`located_tables`] keeps [`enrolment_by_grade`] under.
const ENROLMENT_BY_GRADE: &str = "__enrolment_by_grade";

/// Every enrolment measure of `located` rows summed (f64) per year, county (`from_code`), stage
/// and grade; null where no row carried it (missing is not zero).
fn by_grade(located: LazyFrame) -> LazyFrame {
    located
        .group_by([col("year"), col("from_code"), col("stage"), col("grade")])
        .agg(MEASURES.iter().map(|m| summed(m)).collect::<Vec<_>>())
}

/// School-level enrolment per year, county (`from_code`), stage and grade, every measure summed
/// ([`by_grade`]): once per run where [`located_tables`] kept it, else from every row located
/// by the register. `None` without enrolment or a register.
pub fn enrolment_by_grade(tables: &Tables) -> Option<LazyFrame> {
    match tables.get(ENROLMENT_BY_GRADE) {
        Some(sums) => Some(sums.lazy()),
        None => located(tables.get("enrolment")?.lazy(), tables).map(by_grade),
    }
}

/// `measure` (as f64) of `located` school-level rows summed per year, county (`from_code`),
/// stage, area and `keep`, over the rows that carry it. The measures are counts: their sums
/// as f64 are exact, in any order.
fn county_sums(located: LazyFrame, measure: &str, keep: &[&str]) -> LazyFrame {
    let mut keys = vec![col("year"), col("from_code"), col("stage"), col("area")];
    keys.extend(keep.iter().map(|k| col(*k)));
    located
        .filter(col(measure).is_not_null())
        .group_by(keys)
        .agg([col(measure).cast(DataType::Float64).sum()])
}

/// The county sums of `measure` of the school-level `table` that keep every column of `keep`,
/// if this run has them.
fn summed_by_county<'t>(
    tables: &'t Tables,
    table: &str,
    measure: &str,
    keep: &[&str],
) -> Option<&'t Table> {
    COUNTY_SUMS
        .iter()
        .find(|(t, m, kept, _)| {
            *t == table && *m == measure && keep.iter().all(|k| kept.contains(k))
        })
        .and_then(|(_, _, _, summed)| tables.get(summed))
}

/// Rows of a measure of `stages` by reporting region: the `school` table's rows located by the
/// register where a region, year and stage has them, the `regional` table's rows (a yearbook's
/// teachers or classes by region) where it has not. Columns: year, from_code, stage, area (the
/// school's; null on region-level rows), the `keep` columns, and `measure` as f64. `None` when
/// neither table was delivered.
pub fn by_region(
    tables: &Tables,
    (school, regional): (&str, &str),
    stages: &[String],
    measure: &str,
    keep: &[&str],
) -> Option<LazyFrame> {
    let select = |rows: LazyFrame| {
        let mut cols = vec![col("year"), col("from_code"), text("stage"), text("area")];
        cols.extend(keep.iter().map(|k| text(k)));
        cols.push(col(measure).cast(DataType::Float64));
        rows.filter(of_stages(stages).and(col(measure).is_not_null())).select(cols)
    };
    let school = match summed_by_county(tables, school, measure, keep) {
        Some(sums) => Some(select(sums.lazy())),
        None => tables.get(school).and_then(|t| located(t.lazy(), tables)).map(select),
    };
    let regional = tables.get(regional).map(|t| {
        select(t.lazy().with_columns([
            col("region_code").alias("from_code"),
            frame::null_text().alias("area"),
        ]))
    });
    match (school, regional) {
        (Some(s), Some(r)) => {
            let s = frame::shared(s);
            let covered =
                frame::distinct(s.clone().select([col("year"), col("from_code"), col("stage")]));
            let r = frame::anti_join(r, covered, &["year", "from_code", "stage"]);
            // Two frames of one schema: concat fails only on none.
            frame::concat(vec![s, r]).ok()
        }
        (s, r) => s.or(r),
    }
}

/// Sums of `rows` (`keys` and `area`) per `keys` in total (area `total`) and, with `by_area`,
/// per area where the row has one. `sums` are sums named after `names`.
pub fn by_area(
    rows: LazyFrame,
    keys: &[&str],
    sums: Vec<Expr>,
    names: &[&str],
    by_area: bool,
) -> LazyFrame {
    let rows = frame::shared(rows);
    let mut fine_keys: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    fine_keys.push(col("area"));
    let mut order = fine_keys.clone();
    order.extend(names.iter().map(|n| col(*n)));
    let total = rows
        .clone()
        .group_by(keys.iter().map(|k| col(*k)).collect::<Vec<_>>())
        .agg(sums.clone())
        .with_column(lit("total").alias("area"))
        .select(order.clone());
    if !by_area {
        return total;
    }
    let parts = rows.filter(col("area").is_not_null()).group_by(fine_keys).agg(sums);
    let parts = parts.with_column(text("area")).select(order);
    // Two frames of one schema: concat fails only on none.
    frame::concat(vec![total.clone(), parts]).unwrap_or(total)
}

/// Column `name` as text: a coded column (an enum inside a run) where its values meet labels
/// the families add (`total`), or leave for the published rows. Text stays text.
pub fn text(name: &str) -> Expr {
    col(name).cast(DataType::String)
}

/// The reporting keys most families sum by.
pub const REGION_YEAR: &[&str] = &["year", "from_code"];

/// True for rows of one of `stages`.
pub fn of_stages(stages: &[String]) -> Expr {
    frame::any_of(stages.iter().map(|s| col("stage").eq(lit(s.clone()))).collect())
}

/// True for rows of the reported years `(first, last)`.
pub fn in_years((first, last): (i32, i32)) -> Expr {
    col("year").gt_eq(lit(first)).and(col("year").lt_eq(lit(last)))
}

/// Sum of `measure` as f64 that stays null when no row carried it (missing is not zero).
pub fn summed(measure: &str) -> Expr {
    when(col(measure).count().gt(lit(0u32)))
        .then(col(measure).cast(DataType::Float64).sum())
        .otherwise(lit(NULL).cast(DataType::Float64))
        .alias(measure)
}

/// Non-null values of `column` in the rows of `plan`, computed.
pub fn count_of(plan: LazyFrame, column: &str) -> Result<u64> {
    let counted = frame::collect(plan.select([col(column).count().alias("__n")]))?;
    Ok(frame::first_int(&counted, "__n")?.unwrap_or(0) as u64)
}
