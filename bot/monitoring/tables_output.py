"""Every table as CSV, and all of them in one XLSX (one sheet per table), byte for byte
reproducible: the same figures give the same files."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook

from bot.monitoring.charts import HIDDEN
from bot.monitoring.figures import Cell, Table
from bot.monitoring.suppression import Shown

# The earliest moment a ZIP entry can carry: no build time leaks into the file.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def plain(value: Cell | None) -> str | int | float:
    """A cell as data: numbers stay numbers, a suppressed cell is "<5"."""
    if value is None:
        return HIDDEN
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def grid(table: Table, shown: Shown) -> list[list[str | int | float]]:
    header: list[str | int | float] = [table.row_header, *table.columns]
    body = [
        [row.label, *(plain(v) for v in values)]
        for row, values in zip(table.rows, shown, strict=True)
    ]
    return [header, *body]


def write_csv(table: Table, shown: Shown, path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(grid(table, shown))
    path.write_bytes(buffer.getvalue().encode("utf-8"))


def sheet_name(table: Table, used: set[str]) -> str:
    """Excel allows 31 characters and no []:*?/\\ in a sheet name; keep them unique."""
    base = re.sub(r"[\[\]:*?/\\]", "", table.key)[:31]
    name, n = base, 2
    while name in used:
        suffix = f"_{n}"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


def write_xlsx(tables: list[tuple[Table, Shown]], path: Path, stamp: date) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for table, shown in tables:
        sheet = workbook.create_sheet(sheet_name(table, used))
        sheet.append([table.title])
        for line in grid(table, shown):
            sheet.append(line)
        sheet.column_dimensions["A"].width = 42
    moment = datetime(stamp.year, stamp.month, stamp.day)
    workbook.properties.creator = "sportello"
    workbook.properties.created = moment
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(repack(buffer.getvalue(), moment))


def repack(data: bytes, moment: datetime) -> bytes:
    """openpyxl stamps the save time into docProps/core.xml and every ZIP entry: replace both
    with the period's last day."""
    fixed = moment.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + fixed + rb"\g<2>",
                    content,
                )
            info = zipfile.ZipInfo(item.filename, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, content)
    return out.getvalue()
