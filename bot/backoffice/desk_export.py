"""Every list of the back-office as CSV and XLSX, with the filters that are on screen: a page
builds one `Listing` and both the HTML table and the files come from it."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from openpyxl import Workbook
from openpyxl.styles import Font
from starlette.responses import Response

from bot.clock import ROME
from bot.i18n import Translator

Cell = str | int | datetime | None
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Listing:
    name: str  # the file's name, without extension: no personal data
    title: str  # already translated
    columns: Sequence[str]  # already translated
    rows: list[Sequence[Cell]]
    filters: dict[str, str] = field(default_factory=dict)  # query parameters now applied
    filter_labels: list[tuple[str, str]] = field(default_factory=list)  # shown, translated

    def export_url(self, base: str, fmt: str) -> str:
        query = urlencode({k: v for k, v in self.filters.items() if v})
        return f"{base}/export.{fmt}" + (f"?{query}" if query else "")


def _text(cell: Cell, translator: Translator) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return translator.moment(cell)
    text = str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def shown(listing: Listing, translator: Translator) -> list[list[str]]:
    """The rows as the page shows them."""
    return [[_text(c, translator) if c is not None else "" for c in row] for row in listing.rows]


def csv_bytes(listing: Listing, translator: Translator) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(listing.columns)
    writer.writerows([_text(c, translator) for c in row] for row in listing.rows)
    # The byte-order mark makes spreadsheet programs read UTF-8 (accents) correctly.
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def _xlsx_value(cell: Cell, translator: Translator) -> str | int | datetime | None:
    if isinstance(cell, datetime):
        return cell.astimezone(ROME).replace(tzinfo=None)  # spreadsheets have no time zones
    if isinstance(cell, str):
        return _text(cell, translator)
    return cell


def xlsx_bytes(listing: Listing, translator: Translator) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = listing.title[:31]
    sheet.append(list(listing.columns))
    for header in sheet[1]:
        header.font = Font(bold=True)
    for row in listing.rows:
        sheet.append([_xlsx_value(c, translator) for c in row])
    for column in sheet.iter_cols(min_row=2):
        for cell in column:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
    sheet.freeze_panes = "A2"
    filters = book.create_sheet(translator.tr("Filters"))
    for label, value in listing.filter_labels or [
        (translator.tr("Filters"), translator.tr("none"))
    ]:
        filters.append([label, value])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_response(listing: Listing, fmt: str, translator: Translator) -> Response | None:
    """The file in that format, or None for a format we do not make."""
    if fmt == "csv":
        body = csv_bytes(listing, translator)
    elif fmt == "xlsx":
        body = xlsx_bytes(listing, translator)
    else:
        return None
    return Response(
        body,
        media_type=FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{listing.name}.{fmt}"'},
    )
