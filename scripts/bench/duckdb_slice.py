"""The DuckDB side of `make bench`: what a data engineer would write instead of edustat, over the
same raw files, for the headline slice of a run. Typed reads of every input file (CSV in UTF-8
or GB18030, XLSX), wide layouts to long, retired county codes to their successors, then for
every county, city and province and every year: the three gross enrolment ratios by sex, the
56+ and 66+ shares of compulsory-school classes, and the pupil-teacher ratios by stage,
written as Parquet. Bad rows are dropped (TRY_CAST), not quarantined: that is the part edustat
adds.

usage: python duckdb_slice.py slice <delivery folder> <divisions.csv> <output folder>
       python duckdb_slice.py floor <delivery folder>      (every file read as text: the parse floor)

A delivery folder holds the files of one province (the Guangxi layout) or one folder per
province (the national layout: <folder>/<code>/...). DuckDB reads UTF-8 only without
extensions (none can be downloaded here), so GB18030 files are decoded by Python and XLSX
sheets read by python-calamine first; that time counts.
"""

import pathlib
import sys
import tempfile
import time

import duckdb
from python_calamine import CalamineWorkbook

HIGHER_WEIGHTS = {
    "研究生": 1.0, "普通本科": 1.0, "普通专科": 1.0, "成人本专科（脱产）": 1.0,
    "成人本专科（业余）": 0.5, "成人本专科（函授）": 0.5, "网络本专科": 0.5,
    "自学考试毕业人数": 1.5, "在职攻读学位研究生": 1.0, "研究生课程进修班": 0.5, "军事院校本专科": 1.0,
}
GRADES = ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级"]
KG_GRADES = ["托班", "小班", "中班", "大班"]
BANDS_56 = ["56-60人", "61-65人", "66人及以上"]
STAGES = {"小学": "primary", "初中": "junior", "普通高中": "senior_general", "成人高中": "adult_senior",
          "中等职业教育": "secondary_vocational", "技工学校": "technical", "学前教育": "preschool"}


def utf8_copy(path, scratch):
    """The file as UTF-8 CSV DuckDB can read: strict UTF-8 as it is, else strict GB18030
    decoded; an XLSX sheet written out as CSV (its title row dropped when it has one)."""
    if path.suffix == ".xlsx":
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        if len([c for c in sheet[0] if c not in ("", None)]) == 1:
            sheet = sheet[1:]
        out = scratch / (path.parent.name + "_" + path.stem + ".csv")
        with open(out, "w", encoding="utf-8", newline="") as f:
            for row in sheet:
                f.write(",".join(str(int(c)) if isinstance(c, float) and c.is_integer() else str(c) for c in row) + "\n")
        return out
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
        return path
    except UnicodeDecodeError:
        out = scratch / (path.parent.name + "_" + path.name)
        out.write_bytes(raw.decode("gb18030").encode("utf-8"))
        return out


def files(delivery, pattern):
    return sorted(delivery.glob(pattern)) + sorted(delivery.glob("*/" + pattern))


def read(con, name, paths, scratch):
    """One table of text columns from every file of a kind, with the file's year where its name
    has one."""
    if not paths:
        return
    selects = []
    for p in paths:
        year = "".join(ch for ch in p.stem if ch.isdigit())[-4:]
        source = str(utf8_copy(p, scratch)).replace("'", "''")
        y = year if len(year) == 4 else "NULL"
        selects.append(f"SELECT {y} AS file_year, * FROM read_csv('{source}', all_varchar = true, header = true, delim = ',', null_padding = true, strict_mode = false)")
    con.execute(f"CREATE TABLE {name} AS " + " UNION ALL BY NAME ".join(selects))


def floor(delivery):
    """Every file read as text and counted: the least a reader of these files can do."""
    con = duckdb.connect()
    rows = 0
    with tempfile.TemporaryDirectory() as scratch:
        for p in files(delivery, "*.csv") + files(delivery, "*.xlsx"):
            source = str(utf8_copy(p, pathlib.Path(scratch))).replace("'", "''")
            rows += con.execute(
                f"SELECT count(*) FROM read_csv('{source}', all_varchar = true, delim = ',', null_padding = true, strict_mode = false)"
            ).fetchone()[0]
    print(f"floor: {rows} rows read as text")


def load(con, delivery, divisions, scratch):
    con.execute(f"CREATE TABLE div AS SELECT * FROM read_csv('{divisions}', all_varchar = true)")
    # Every code to the current county it counts under, and that county's city and province.
    con.execute("""
        CREATE TABLE county AS
        SELECT d.code, c.code AS county, c.parent_code AS city, p.parent_code AS province
        FROM div d JOIN div c ON c.code = coalesce(d.successor_code, d.code)
        JOIN div p ON p.code = c.parent_code
        WHERE c.level = 'county' AND c.valid_to IS NULL""")
    read(con, "pop_raw", files(delivery, "population_*.csv") + files(delivery, "population_*.xlsx"), scratch)
    read(con, "register_raw", files(delivery, "schools.csv"), scratch)
    read(con, "kg_raw", files(delivery, "kindergarten_2*.csv"), scratch)
    read(con, "enr_raw", files(delivery, "enrolment_*.csv"), scratch)
    read(con, "cls_raw", files(delivery, "classes_*.csv"), scratch)
    read(con, "tch_raw", files(delivery, "teachers_*.csv"), scratch)
    read(con, "he_raw", files(delivery, "higher_education.csv"), scratch)
    for name, pattern in [("kgc_raw", "kindergarten_classes_*.csv"), ("fin_raw", "finance.csv"),
                          ("exc_raw", "exchange.csv"), ("prj_raw", "projects.csv"),
                          ("hist_raw", "regional_enrolment.csv")]:
        read(con, name, files(delivery, pattern), scratch)


def typed(con):
    sex_cols = "合计 AS total, 男 AS male, 女 AS female"
    con.execute(f"""
        CREATE TABLE pop AS
        SELECT DISTINCT ON (year, k.county, age, sex) file_year AS year, k.county, k.city, k.province,
               TRY_CAST(regexp_replace(年龄, '岁.*$', '') AS INT) AS age, sex, TRY_CAST(n AS BIGINT) AS n
        FROM (SELECT file_year, 地区代码, 年龄, {sex_cols} FROM pop_raw)
        UNPIVOT (n FOR sex IN (total, male, female))
        JOIN county k ON k.code = 地区代码
        WHERE TRY_CAST(n AS BIGINT) >= 0""")
    con.execute("""
        CREATE TABLE register AS
        SELECT DISTINCT ON (year, school_id) TRY_CAST(年份 AS INT) AS year, 学校标识码 AS school_id,
               k.county, k.city, k.province, 办学类型 AS kind
        FROM register_raw JOIN county k ON k.code = 行政区划代码""")
    kg = ", ".join(f'"{g}", "{g}其中：女"' for g in KG_GRADES)
    grades = ", ".join(f'"{g}", "{g}其中：女"' for g in GRADES)
    stages = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in STAGES.items())
    con.execute(f"""
        CREATE TABLE enrolment AS
        SELECT file_year AS year, 学校标识码 AS school_id, 'preschool' AS stage,
               CASE WHEN col LIKE '%其中：女' THEN 'female' ELSE 'total' END AS sex, TRY_CAST(n AS BIGINT) AS n
        FROM (SELECT file_year, 学校标识码, {kg} FROM kg_raw) UNPIVOT (n FOR col IN ({kg}))
        UNION ALL
        SELECT file_year, 学校标识码, CASE 学段 {stages} END,
               CASE WHEN col LIKE '%其中：女' THEN 'female' ELSE 'total' END, TRY_CAST(n AS BIGINT)
        FROM (SELECT file_year, 学校标识码, 学段, {grades} FROM enr_raw) UNPIVOT (n FOR col IN ({grades}))""")
    bands = [c for c in con.execute("DESCRIBE cls_raw").fetchall() if c[0].endswith("人") or c[0].endswith("以上") or c[0].endswith("以下")]
    band_list = ", ".join(f'"{b[0]}"' for b in bands)
    big = ", ".join(f"'{b}'" for b in BANDS_56)
    con.execute(f"""
        CREATE TABLE classes AS
        SELECT file_year AS year, 学校标识码 AS school_id, CASE 学段 {stages} END AS stage,
               TRY_CAST(n AS BIGINT) AS classes, band IN ({big}) AS c56, band = '66人及以上' AS c66
        FROM (SELECT file_year, 学校标识码, 学段, {band_list} FROM cls_raw) UNPIVOT (n FOR band IN ({band_list}))""")
    con.execute(f"""
        CREATE TABLE teachers AS
        SELECT file_year AS year, 学校标识码 AS school_id, CASE 学段 {stages} END AS stage,
               TRY_CAST(专任教师数 AS BIGINT) AS fulltime FROM tch_raw""")
    weights = " ".join(f"WHEN '{k}' THEN {v}" for k, v in HIGHER_WEIGHTS.items())
    cats = ", ".join(f'"{c}"' for c in HIGHER_WEIGHTS)
    con.execute(f"""
        CREATE TABLE higher AS
        SELECT TRY_CAST(年份 AS INT) AS year, k.county, k.city, k.province,
               sum(TRY_CAST(n AS DOUBLE) * CASE cat {weights} END) AS students
        FROM (SELECT 年份, 地区代码, 统计口径, {cats} FROM he_raw WHERE 统计口径 = '生源地')
        UNPIVOT (n FOR cat IN ({cats})) JOIN county k ON k.code = 地区代码
        GROUP BY ALL""")


LEVELS = ["county", "city", "province"]


def by_region(select, source, level):
    return f"SELECT {level} AS region_code, '{level}' AS region_level, {select} FROM {source} GROUP BY ALL"


def headline(con, out):
    con.execute("""
        CREATE TABLE pupils AS
        SELECT e.year, r.county, r.city, r.province, e.stage, s.sex,
               sum(CASE WHEN s.sex = 'total' THEN e.total WHEN s.sex = 'female' THEN e.female
                        ELSE e.total - e.female END) AS n
        FROM (SELECT year, school_id, stage, sum(n) FILTER (WHERE sex = 'total') AS total,
                     sum(n) FILTER (WHERE sex = 'female') AS female FROM enrolment GROUP BY ALL) e
        JOIN register r USING (year, school_id)
        CROSS JOIN (VALUES ('total'), ('female'), ('male')) s(sex)
        GROUP BY ALL""")
    gers = {"ger_preschool": ("stage = 'preschool'", 3, 5),
            "ger_senior_secondary": ("stage IN ('senior_general', 'adult_senior', 'secondary_vocational', 'technical')", 15, 17)}
    parts = []
    for level in LEVELS:
        for gid, (stages, lo, hi) in gers.items():
            parts.append(f"""
                SELECT '{gid}' AS indicator, p.year, p.{level} AS region_code, '{level}' AS region_level, p.sex,
                       100.0 * p.n / q.n AS value, p.n AS numerator, q.n AS denominator
                FROM (SELECT year, {level}, sex, sum(n) AS n FROM pupils WHERE {stages} GROUP BY ALL) p
                JOIN (SELECT year, {level}, sex, sum(n) AS n FROM pop WHERE age BETWEEN {lo} AND {hi} GROUP BY ALL) q
                USING (year, {level}, sex)""")
        parts.append(f"""
            SELECT 'ger_higher', h.year, h.{level}, '{level}', 'total', 100.0 * h.s / q.n, h.s, q.n
            FROM (SELECT year, {level}, sum(students) AS s FROM higher GROUP BY ALL) h
            JOIN (SELECT year, {level}, sum(n) AS n FROM pop WHERE age BETWEEN 18 AND 22 AND sex = 'total' GROUP BY ALL) q
            USING (year, {level})""")
        parts.append(f"""
            SELECT unnest(['large_class_share_compulsory', 'super_large_class_share_compulsory']), year, {level}, '{level}', 'total',
                   unnest([100.0 * c56 / n, 100.0 * c66 / n]), unnest([c56, c66]), n
            FROM (SELECT c.year, r.{level}, sum(classes) FILTER (WHERE c56) AS c56, sum(classes) FILTER (WHERE c66) AS c66,
                         sum(classes) AS n
                  FROM classes c JOIN register r USING (year, school_id)
                  WHERE c.stage IN ('primary', 'junior') GROUP BY ALL)""")
        parts.append(f"""
            SELECT 'pupil_teacher_ratio_' || stage, year, {level}, '{level}', 'total', p / t, p, t
            FROM (SELECT year, {level}, stage, sum(n) AS p FROM pupils WHERE sex = 'total' GROUP BY ALL)
            JOIN (SELECT t.year, r.{level}, t.stage, sum(fulltime) AS t FROM teachers t JOIN register r USING (year, school_id) GROUP BY ALL)
            USING (year, {level}, stage)""")
    target = str(out / "indicators.parquet").replace("'", "''")
    con.execute(f"COPY ({' UNION ALL '.join(parts)}) TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
    return con.execute(f"SELECT count(*) FROM read_parquet('{target}')").fetchone()[0]


def slice_(delivery, divisions, out):
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    with tempfile.TemporaryDirectory() as scratch:
        load(con, delivery, divisions, pathlib.Path(scratch))
    typed(con)
    rows = headline(con, out)
    print(f"slice: {rows} indicator rows")


if __name__ == "__main__":
    started = time.perf_counter()
    if sys.argv[1] == "floor":
        floor(pathlib.Path(sys.argv[2]))
    else:
        slice_(pathlib.Path(sys.argv[2]), sys.argv[3], pathlib.Path(sys.argv[4]))
    print(f"{sys.argv[1]}: {time.perf_counter() - started:.2f} s")
