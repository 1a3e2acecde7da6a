"""Catalogs as spreadsheets for native-speaker reviewers, and their answers back into the .po.

`export_sheet` writes one XLSX per language: a row per message (a row per plural form), with
the English id, where it is used, the Italian text the tone follows, the current translation,
and an empty column for the reviewer's text. `import_sheet` reads a reviewed file back: a row
with reviewer's text replaces the translation once it passes the checks the catalog test
makes (known message, same placeholders, Arabic starting with an Arabic letter); every other
row is reported, by its row number, and changes nothing. docs/TRANSLATING.md tells reviewers
how to fill it in.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from zipfile import BadZipFile

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import write_po
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils.exceptions import InvalidFileException

from bot.catalogs import (
    PLACEHOLDER,
    keep_review_status,
    msgid,
    read_catalog,
    required,
    review_status,
    strings,
)
from bot.i18n import DEFAULT_LOCALES_DIR, catalog_path
from bot.languages import is_rtl

COLUMNS = ("msgid", "plural form", "context", "Italian", "current translation", "reviewer's text")
KEY, FORM, CONTEXT, ITALIAN, CURRENT, REVIEWED = range(len(COLUMNS))
WIDTHS = (50, 8, 28, 50, 50, 50)
SHEET = "messages"


@dataclass
class ImportResult:
    language: str
    changed: int = 0
    unchanged: int = 0  # the reviewer's text equals the current translation
    problems: list[str] = field(default_factory=list)


def _form_names(catalog: Catalog) -> list[str]:
    return [str(i) for i in range(catalog.num_plurals)]


def export_sheet(
    language: str,
    found: dict[str, set[str]],
    out: Path,
    locales_dir: Path = DEFAULT_LOCALES_DIR,
) -> int:
    """Write locales' `language` catalog as a reviewer's spreadsheet; the number of rows."""
    catalog = read_catalog(language, locales_dir)
    italian = {msgid(m): strings(m) for m in read_catalog("it", locales_dir) if m.id}
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    wanted = required(language, found)
    rows = 0
    for message in sorted((m for m in catalog if m.id), key=msgid):
        key = msgid(message)
        if key not in wanted:
            continue
        where = ", ".join([*message.auto_comments, *sorted(found[key])])
        forms = strings(message) or [""]
        plural = isinstance(message.id, tuple)
        for index, text in enumerate(forms):
            source = italian.get(key, [""])
            sheet.append(
                (
                    key,
                    index if plural else None,
                    where + (f" (plural: {message.id[1]})" if plural else ""),
                    source[min(index, len(source) - 1)],
                    text,
                    None,
                )
            )
            rows += 1
    for column, width in zip("ABCDEF", WIDTHS, strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return rows


def _problem(language: str, message: Message, form: int | None, text: str) -> str | None:
    plural = isinstance(message.id, tuple)
    if plural and form is None:
        return "a plural message needs its plural form number"
    if not plural and form is not None:
        return "this message has no plural forms; leave the plural form empty"
    expected = sorted(PLACEHOLDER.findall(msgid(message)))
    if sorted(PLACEHOLDER.findall(text)) != expected:
        shown = " ".join(expected) or "none"
        return f"the placeholders must be exactly those of the original ({shown})"
    if is_rtl(language):
        first = text.lstrip()[:1]
        if not text.lstrip().startswith("• ") and "ARABIC" not in unicodedata.name(first, ""):
            return "an Arabic message must start with an Arabic letter"
    return None


def import_sheet(
    language: str, sheet_path: Path, locales_dir: Path = DEFAULT_LOCALES_DIR
) -> ImportResult:
    """Apply a reviewed spreadsheet to the language's catalog; report what was refused."""
    result = ImportResult(language)
    try:
        book = load_workbook(sheet_path, read_only=True, data_only=True)
    except (OSError, ValueError, KeyError, BadZipFile, InvalidFileException) as exc:
        result.problems.append(f"{sheet_path}: not a readable XLSX file ({type(exc).__name__})")
        return result
    sheet = book[SHEET] if SHEET in book.sheetnames else book.active
    rows = list(sheet.iter_rows(values_only=True))
    if not rows or tuple(str(c or "") for c in rows[0][: len(COLUMNS)]) != COLUMNS:
        result.problems.append(f"{sheet_path}: the first row must be the columns {COLUMNS}")
        return result
    catalog = read_catalog(language, locales_dir)
    messages = {msgid(m): m for m in catalog if m.id}
    for number, row in enumerate(rows[1:], start=2):
        cells = [*row, *([None] * len(COLUMNS))][: len(COLUMNS)]
        reviewed = cells[REVIEWED]
        if reviewed is None or not str(reviewed).strip():
            continue
        text = str(reviewed)
        message = messages.get(str(cells[KEY] or ""))
        if message is None:
            result.problems.append(f"row {number}: the msgid is not in the {language} catalog")
            continue
        form = _form(cells[FORM], catalog)
        if form == -1:
            result.problems.append(
                f"row {number}: plural form must be 0 to {catalog.num_plurals - 1}"
            )
            continue
        problem = _problem(language, message, form, text)
        if problem:
            result.problems.append(f"row {number}: {problem}")
            continue
        if _apply(message, form, text, catalog.num_plurals):
            result.changed += 1
        else:
            result.unchanged += 1
    if result.changed:
        path = catalog_path(locales_dir, language)
        status = review_status(path)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=0, no_location=True, sort_output=True)
        keep_review_status(path, status)
    return result


def _form(value: object, catalog: Catalog) -> int | None:
    """The plural form number of a row; None for a singular row, -1 when it is wrong."""
    if value is None or value == "":
        return None
    try:
        number = int(str(value))
    except ValueError:
        return -1
    return number if 0 <= number < catalog.num_plurals else -1


def _apply(message: Message, form: int | None, text: str, forms: int) -> bool:
    if form is None:
        changed = message.string != text
        message.string = text
    else:
        current = [*strings(message), *([""] * forms)][:forms]
        changed = current[form] != text
        current[form] = text
        message.string = tuple(current)
    if changed:
        message.flags.discard("fuzzy")
    return changed
