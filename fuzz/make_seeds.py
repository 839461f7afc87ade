#!/usr/bin/env python3
"""Writes fuzz/seeds/: small XLSX seeds in the shapes the Guangxi pipeline reads. The bundled
population_2019.xlsx (written by the sample generator as Excel writes files: shared strings,
styles, a title row) is cut to its first 40 rows, so that libFuzzer's input limit keeps the
whole workbook. Same bytes on every run. Run from the repository: python3 fuzz/make_seeds.py"""

import re
import zipfile

SOURCE = "data-samples/guangxi/population_2019.xlsx"
ROWS = 40


def cut(xml: str) -> str:
    rows = re.findall(r'<row r="(\d+)".*?</row>', xml, flags=re.S)
    keep_until = xml.index(f'<row r="{ROWS + 1}"') if len(rows) > ROWS else None
    if keep_until is None:
        return xml
    end = xml.index("</sheetData>")
    xml = xml[:keep_until] + xml[end:]
    return re.sub(r'<dimension ref="A1:([A-Z]+)\d+"/>', lambda m: f'<dimension ref="A1:{m.group(1)}{ROWS}"/>', xml)


def main():
    with zipfile.ZipFile(SOURCE) as src, zipfile.ZipFile("fuzz/seeds/population_2019_head.xlsx", "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = cut(data.decode("utf-8")).encode("utf-8")
            info = zipfile.ZipInfo(item.filename, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, data)


if __name__ == "__main__":
    main()
