"""Open an edustat workbook (`edustat export --xlsx`) with openpyxl, a reader that is not
edustat's, and say what it holds as one JSON object on stdout. Run by tests/it/export.rs in the
venv `make readers` builds (tests/readers/current.txt).

usage: python open_workbook.py <workbook.xlsx> full      every cell: value, number format, fill
       python open_workbook.py <workbook.xlsx> summary   (read-only, for large workbooks)
                                                        sizes, headers, formulas, code types
"""

import datetime
import json
import sys

import openpyxl


def code_column(name):
    return name == "region_code" or name == "target_region" or str(name).endswith("_code")


def plain(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def summary(path):
    book = openpyxl.load_workbook(path, read_only=True)
    out = {"sheets": []}
    for sheet in book.worksheets:
        rows = sheet.iter_rows()
        header = [c.value for c in next(rows, [])]
        codes = [i for i, name in enumerate(header) if code_column(name)]
        seen = {"name": sheet.title, "header": header, "rows": 0, "formulas": 0, "codes_not_text": 0}
        for row in rows:
            seen["rows"] += 1
            for cell in row:
                if cell.data_type == "f":
                    seen["formulas"] += 1
            for i in codes:
                if i < len(row) and row[i].value is not None and not isinstance(row[i].value, str):
                    seen["codes_not_text"] += 1
        out["sheets"].append(seen)
    return out


def full(path):
    book = openpyxl.load_workbook(path)
    out = {"sheets": [], "created": plain(book.properties.created)}
    for sheet in book.worksheets:
        cells = []
        for row in sheet.iter_rows():
            cells.append(
                [
                    [plain(c.value), c.number_format, c.data_type, c.fill.fgColor.rgb if c.fill.fill_type else None]
                    for c in row
                ]
            )
        out["sheets"].append(
            {
                "name": sheet.title,
                "freeze": sheet.freeze_panes,
                "autofilter": sheet.auto_filter.ref,
                "tables": dict(sheet.tables.items()),
                "cells": cells,
            }
        )
    return out


if __name__ == "__main__":
    mode = full if sys.argv[2] == "full" else summary
    print(json.dumps(mode(sys.argv[1]), ensure_ascii=False))
