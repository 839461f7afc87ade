"""Open every Parquet file of an edustat run with the readers planners use, default arguments
only, and check what they see: plain Arrow types (no string_view, no large types), codes as
text, the contract's column types. Run by tests/it/readers.rs in each venv `make readers`
builds (tests/readers/current.txt, tests/readers/oldest.txt).

usage: python open_outputs.py <run folder>    (prints one line per file and reader; exit 1 on
any failure, naming file, column and what was seen)
"""

import pathlib
import sys

import pandas
import pyarrow
import pyarrow.parquet as pq

# What every published column may be, as pyarrow names the types.
PLAIN = {"string", "int32", "int64", "double", "bool", "list<item: string>", "list<element: string>"}

# The contract of the published tables (README, "Outputs"): column -> pyarrow type.
CONTRACT = {
    "indicators.parquet": {
        "indicator": "string",
        "year": "int32",
        "region_code": "string",
        "region_level": "string",
        "region_name": "string",
        "sex": "string",
        "area": "string",
        "value": "double",
        "numerator": "double",
        "denominator": "double",
        "unit": "string",
        "flags": "list<string>",
        "coverage": "double",
    },
}

# Columns that hold codes: text in every reader, leading zeros and all.
CODES = {"region_code", "school_id", "township_code", "from_code", "parent_code", "code"}


def type_name(t):
    if pyarrow.types.is_list(t):
        return "list<%s>" % type_name(t.value_type)
    return str(t)


def check_file(path, run, failures):
    name = str(path.relative_to(run))
    schema = pq.read_schema(path)
    for field in schema:
        seen = str(field.type)
        if seen not in PLAIN:
            failures.append("%s: column %s is %s in pyarrow (not a plain type)" % (name, field.name, seen))
    expected = CONTRACT.get(name)
    if expected is not None:
        got = {f.name: type_name(f.type) for f in schema}
        if list(got) != list(expected):
            failures.append("%s: columns %s, the contract says %s" % (name, list(got), list(expected)))
        for column, want in expected.items():
            if got.get(column) != want:
                failures.append("%s: %s is %s, the contract says %s" % (name, column, got.get(column), want))
    table = pq.read_table(path)
    frame = pandas.read_parquet(path)
    if len(frame) != table.num_rows:
        failures.append("%s: pandas read %d rows, pyarrow %d" % (name, len(frame), table.num_rows))
    for column in frame.columns:
        values = frame[column].dropna()
        if len(values) == 0:
            continue
        first = values.iloc[0]
        arrow_type = type_name(schema.field(column).type)
        if arrow_type == "string" and not isinstance(first, str):
            failures.append("%s: pandas gives %r (%s) in text column %s" % (name, first, type(first).__name__, column))
        if arrow_type.startswith("list<") and not all(isinstance(x, str) for x in list(first)):
            failures.append("%s: pandas gives %r in list column %s" % (name, first, column))
        if column in CODES and not isinstance(first, str):
            failures.append("%s: code column %s reads as %s in pandas" % (name, column, type(first).__name__))
    print("ok %-45s %7d rows  pyarrow %s, pandas %s" % (name, table.num_rows, pyarrow.__version__, pandas.__version__))
    return frame


def check_other_readers(path, run, failures):
    """polars and DuckDB, where this venv has them (the current one does)."""
    name = str(path.relative_to(run))
    try:
        import polars
    except ImportError:
        polars = None
    if polars is not None:
        frame = polars.read_parquet(path)
        for column in CODES & set(frame.columns):
            if frame.schema[column] != polars.String:
                failures.append("%s: polars reads %s as %s" % (name, column, frame.schema[column]))
    try:
        import duckdb
    except ImportError:
        duckdb = None
    if duckdb is not None:
        rows = duckdb.sql("select count(*) from read_parquet('%s')" % str(path).replace("'", "''")).fetchall()[0][0]
        described = duckdb.sql("describe select * from read_parquet('%s')" % str(path).replace("'", "''")).fetchall()
        for column, kind, *_ in described:
            if column in CODES and kind != "VARCHAR":
                failures.append("%s: DuckDB reads %s as %s" % (name, column, kind))
        if rows != pq.read_metadata(path).num_rows:
            failures.append("%s: DuckDB counts %d rows" % (name, rows))


def main():
    run = pathlib.Path(sys.argv[1])
    files = sorted(run.rglob("*.parquet"))
    if not files:
        print("no Parquet file under %s" % run)
        return 1
    failures = []
    for path in files:
        try:
            check_file(path, run, failures)
            check_other_readers(path, run, failures)
        except Exception as error:  # a reader that cannot open the file at all
            failures.append("%s: %s: %s" % (path.relative_to(run), type(error).__name__, error))
    # Region codes keep their leading zeros and their text in a real question a planner asks.
    try:
        indicators = pandas.read_parquet(run / "indicators.parquet")
        counties = indicators[indicators["region_level"] == "county"]["region_code"].unique()
        if not all(isinstance(c, str) and len(c) == 6 for c in counties):
            failures.append("indicators.parquet: county codes are not six-character text in pandas")
    except Exception as error:
        failures.append("indicators.parquet: %s: %s" % (type(error).__name__, error))
    for failure in failures:
        print("FAIL " + failure)
    print("%d files, %d failures" % (len(files), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
