"""Moving a desk from its SQLite file to PostgreSQL (`sportello migrate-db --to URL`).

Both databases are brought to the same migration, so their tables and columns are the same
(tests/test_pg_schema.py); every row is copied in one PostgreSQL transaction, parents before
children, with the tables' own triggers off (the monitoring counters are copied as they
are, not counted again), the ids kept and each identity sequence moved past the highest id.
The count of every table is then compared. A target that already holds rows is refused.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.db import Database
from storage.pg_db import VERSION_TABLE, Conn, PgDatabase, pg_text
from storage.sqlite_file import StorageError

CHUNK = 5000
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Copied:
    counts: dict[str, int]


def _order(conn: sqlite3.Connection, tables: list[str]) -> list[str]:
    """Tables with the ones they reference first (the foreign keys hold at every insert)."""
    parents = {
        table: {row[2] for row in conn.execute(f'PRAGMA foreign_key_list("{table}")')} - {table}
        for table in tables
    }
    ordered: list[str] = []
    while len(ordered) < len(tables):
        ready = [t for t in tables if t not in ordered and parents[t] <= set(ordered)]
        if not ready:
            raise StorageError(f"circular foreign keys among {sorted(set(tables) - set(ordered))}")
        ordered.extend(sorted(ready))
    return ordered


async def _columns(pg: Conn, table: str) -> dict[str, str]:
    rows = await pg.fetch(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = $1",
        table,
    )
    return {r["column_name"]: r["data_type"] for r in rows}


def _convert(value: Any, pg_type: str) -> Any:
    """SQLite keeps whatever it was given; PostgreSQL's column has one type."""
    if value is None:
        return None
    if pg_type in ("bigint", "integer"):
        return int(value)
    if pg_type == "text":
        return pg_text(value if isinstance(value, str) else str(value))
    return value


async def _copy_table(source: sqlite3.Connection, pg: Conn, table: str, progress: Progress) -> int:
    types = await _columns(pg, table)
    names = [row[1] for row in source.execute(f'PRAGMA table_info("{table}")')]
    if set(names) != set(types):
        raise StorageError(f"the table {table} differs between the two databases")
    total = int(source.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])
    quoted = ", ".join(f'"{n}"' for n in names)
    cursor = source.execute(f'SELECT {quoted} FROM "{table}"')
    done = 0
    progress(table, done, total)
    while rows := cursor.fetchmany(CHUNK):
        records = [
            tuple(_convert(v, types[n]) for v, n in zip(row, names, strict=True)) for row in rows
        ]
        await pg.copy_records_to_table(table, records=records, columns=names)
        done += len(records)
        progress(table, done, total)
    if "id" in types:
        await pg.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f'COALESCE((SELECT max(id) FROM "{table}"), 0) + 1, false) '
            f"WHERE pg_get_serial_sequence('{table}', 'id') IS NOT NULL"
        )
    return done


async def copy_to_postgresql(sqlite_path: Path, url: str, progress: Progress) -> Copied:
    """Copy every row of the SQLite database into the empty PostgreSQL one at `url`."""
    if not await asyncio.to_thread(sqlite_path.exists):
        raise StorageError(
            f"{sqlite_path} does not exist: set SPORTELLO_DATABASE to the desk's file."
        )
    # Opening brings the file to the current migration (and folds its WAL in).
    await (await Database.open(sqlite_path)).close()
    target = await PgDatabase.connect(url)
    try:
        existing = {t: n for t, n in (await target.row_counts()).items() if n}
        if existing:
            listed = ", ".join(f"{t} ({n})" for t, n in sorted(existing.items()))
            raise StorageError(
                f"the PostgreSQL database is not empty: {listed}. Give an empty database."
            )
        source = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
        try:
            tables = [
                r[0]
                for r in source.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%'"
                )
            ]
            expected = {
                t: int(source.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]) for t in tables
            }
            async with target.connection() as pg, pg.transaction():
                for table in _order(source, tables):
                    await pg.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
                    await _copy_table(source, pg, table, progress)
                    await pg.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
        finally:
            source.close()
        counts = await target.row_counts()
        counts.pop(VERSION_TABLE, None)
        wrong = {t: (n, counts.get(t)) for t, n in expected.items() if counts.get(t) != n}
        if wrong:
            raise StorageError(f"the counts differ after the copy (SQLite, PostgreSQL): {wrong}")
        return Copied(counts)
    finally:
        await target.close()
