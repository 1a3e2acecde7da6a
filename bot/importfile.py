"""The rows of a file the desk wrote by hand or exported from a spreadsheet: TOML tables, or
CSV with a header. Whatever is wrong with the file is said in plain words."""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

# Far above any real list of workshops; a bigger file is a wrong file.
MAX_BYTES = 5_000_000
SEPARATORS = (",", ";", "\t")

Row = dict[str | None, object]


class ImportFileError(Exception):
    """The file cannot be read as rows; the message says why."""


def read_rows(path: Path, table: str, fields: Sequence[str]) -> list[Row]:
    """The `[[table]]` tables of a .toml file, or the rows of any other file read as CSV."""
    text = _text(path)
    if path.suffix.lower() == ".toml":
        return _toml_rows(text, table)
    return _csv_rows(text, fields)


def _text(path: Path) -> str:
    if path.is_dir():
        raise ImportFileError("it is a folder, not a file")
    if not path.exists():
        raise ImportFileError("there is no such file")
    if not path.is_file():
        raise ImportFileError("it is not a regular file")
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ImportFileError(f"it is larger than {MAX_BYTES // 1_000_000} MB")
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"it cannot be read ({exc.strerror})") from exc
    return _decoded(data)


def _decoded(data: bytes) -> str:
    """UTF-8 (with or without the BOM spreadsheets add), UTF-16 with its BOM ("Unicode text"
    exports), or Windows-1252, what spreadsheets in Italy write by default."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data:
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise ImportFileError("it is not a text file (save it as TOML, or CSV from a spreadsheet)")


def _toml_rows(text: str, table: str) -> list[Row]:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ImportFileError(f"it is not valid TOML: {exc}") from exc
    rows = document.get(table)
    if rows is None:
        raise ImportFileError(f"it has no [[{table}]] tables")
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise ImportFileError(f"'{table}' must be [[{table}]] tables, one for each {table}")
    return [dict(row) for row in rows]


def _csv_rows(text: str, fields: Sequence[str]) -> list[Row]:
    header = text.lstrip().partition("\n")[0]
    if not header.strip():
        raise ImportFileError("it is empty")
    separator = max(SEPARATORS, key=header.count)
    reader = csv.DictReader(io.StringIO(text), delimiter=separator)
    try:
        rows: list[Row] = [
            {_column(key): value for key, value in row.items()}
            for row in reader
            if any(isinstance(v, str) and v.strip() for v in row.values())
        ]
    except csv.Error as exc:
        raise ImportFileError(f"line {reader.line_num} is not valid CSV: {exc}") from exc
    columns = [_column(name) for name in reader.fieldnames or ()]
    unknown = [name for name in columns if name not in fields]
    if unknown:
        raise ImportFileError(
            f"the first line must name the columns; unknown: {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(fields)})"
        )
    return rows


def _column(name: str | None) -> str | None:
    return name.strip().lower().replace(" ", "_").replace("-", "_") if name else name


def shape_problem(row: Row, fields: Sequence[str], list_fields: Sequence[str]) -> str | None:
    """What makes one row impossible to read as fields of text, numbers and lists."""
    if None in row:
        return "more values than columns"
    for key, value in row.items():
        if key not in fields and key not in list_fields:
            return f"unknown field {key!r} (known: {', '.join([*fields, *list_fields])})"
        if key in list_fields and isinstance(value, list):
            if not all(isinstance(item, str) for item in value):
                return f"{key}: a list of codes in quotes"
        elif value is not None and not isinstance(value, str | int | datetime):
            return f"{key}: a text, a whole number or a date and time"
        if isinstance(value, bool):
            return f"{key}: a text or a whole number, not true/false"
    return None
