"""The reviewers' spreadsheets: exported per language, read back with every row checked."""

from __future__ import annotations

import shutil
from pathlib import Path

from openpyxl import load_workbook

from bot.catalogs import extracted, gaps, msgid, read_catalog, strings
from bot.review_sheets import COLUMNS, REVIEWED, export_sheet, import_sheet

ROOT = Path(__file__).resolve().parents[1]
FOUND = extracted(ROOT)
PLURAL = "You have already answered %(n)d question."


def copy_locales(tmp_path: Path) -> Path:
    locales = tmp_path / "locales"
    for language in ("it", "ro", "ar"):
        folder = locales / language / "LC_MESSAGES"
        folder.mkdir(parents=True)
        shutil.copy(ROOT / "locales" / language / "LC_MESSAGES" / "messages.po", folder)
    return locales


def export(tmp_path: Path, language: str, locales: Path) -> Path:
    out = tmp_path / f"messages.{language}.xlsx"
    export_sheet(language, FOUND, out, locales)
    return out


def review(path: Path, edits: dict[tuple[str, int | None], str]) -> None:
    book = load_workbook(path)
    sheet = book.active
    for row in sheet.iter_rows(min_row=2):
        key = (str(row[0].value), row[1].value)
        if key in edits:
            row[REVIEWED].value = edits.pop(key)
    for (added, form), text in edits.items():  # rows a careless reviewer added
        sheet.append((added, form, None, None, None, text))
    book.save(path)


def translation(locales: Path, language: str, key: str) -> list[str]:
    return next(strings(m) for m in read_catalog(language, locales) if m.id and msgid(m) == key)


def test_export_has_a_row_per_message_and_plural_form(tmp_path: Path) -> None:
    locales = copy_locales(tmp_path)
    path = export(tmp_path, "ar", locales)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0] == COLUMNS
    plural_rows = [r for r in rows if r[0] == PLURAL]
    assert [r[1] for r in plural_rows] == [0, 1, 2, 3, 4, 5]  # Arabic's six forms
    yes = next(r for r in rows if r[0] == "Yes")
    assert (yes[3], yes[4], yes[5]) == ("Sì", "نعم", None)
    assert "Create a workshop" in {r[0] for r in rows}
    assert "Log in" not in {r[0] for r in rows}  # the back-office stays Italian and English


def test_a_reviewed_sheet_comes_back_and_bad_rows_are_reported(tmp_path: Path) -> None:
    locales = copy_locales(tmp_path)
    path = export(tmp_path, "ro", locales)
    review(
        path,
        {
            ("Yes", None): "Da, sigur",
            (PLURAL, 2): "Ai răspuns deja la %(n)d de întrebări (revizuit).",
            ("Welcome back, %(name)s!", None): "Bine ai revenit!",  # lost its placeholder
            ("No such message", None): "Ceva",
            (PLURAL, 7): "Formă inexistentă %(n)d",
        },
    )
    result = import_sheet("ro", path, locales)
    assert result.changed == 2
    assert len(result.problems) == 3
    assert any("placeholders" in p for p in result.problems)
    assert any("not in the ro catalog" in p for p in result.problems)
    assert any("plural form must be" in p for p in result.problems)
    assert translation(locales, "ro", "Yes") == ["Da, sigur"]
    assert translation(locales, "ro", PLURAL)[2].endswith("(revizuit).")
    assert translation(locales, "ro", "Welcome back, %(name)s!") != ["Bine ai revenit!"]
    assert "awaiting" in (locales / "ro" / "LC_MESSAGES" / "messages.po").read_text()
    assert not gaps("ro", FOUND, locales).todo


def test_arabic_rows_must_start_with_an_arabic_letter(tmp_path: Path) -> None:
    locales = copy_locales(tmp_path)
    path = export(tmp_path, "ar", locales)
    review(path, {("Yes", None): "OK نعم"})
    result = import_sheet("ar", path, locales)
    assert result.changed == 0
    assert result.problems == [result.problems[0]]
    assert "Arabic letter" in result.problems[0]


def test_a_file_that_is_not_a_sheet_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    locales = copy_locales(tmp_path)
    bad = tmp_path / "notes.xlsx"
    bad.write_text("not a spreadsheet")
    result = import_sheet("ro", bad, locales)
    assert result.changed == 0
    assert "not a readable XLSX" in result.problems[0]
