"""A test's own look at the database, past the storage layer: a SQLite file through the
standard library's sqlite3, or a PostgreSQL database through one asyncpg connection behind the
same interface (`SyncPg`). The SQL is written as for SQLite (`?` parameters), as the
repositories' is."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from bot.setting_values import is_postgresql
from storage.pg_sql import placeholders

T = TypeVar("T")
Target = Path | str
"""A SQLite file, or a postgresql:// URL."""


class SyncRows:
    def __init__(self, rows: list[asyncpg.Record]) -> None:
        self._rows = rows

    # Any, as sqlite3's cursor gives: the callers index the rows they know are there.
    def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Any]:
        return self._rows


class SyncPg:
    """The part of a sqlite3 connection synchronous test code reads with, over one asyncpg
    connection on an event loop of its own (in a thread: the caller may be inside a loop).
    Its rows answer by index and by name, as sqlite3.Row does."""

    def __init__(self, url: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._conn: asyncpg.Connection = self._call(asyncpg.connect(url))

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=60)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> SyncRows:
        return SyncRows(self._call(self._conn.fetch(placeholders(sql), *params)))

    def close(self) -> None:
        try:
            self._call(self._conn.close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()

    def __enter__(self) -> SyncPg:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


Reader = sqlite3.Connection | SyncPg


def connect(database: Target) -> Reader:
    """The SQLite file, or the PostgreSQL database at a URL; close it when done."""
    if is_postgresql(str(database)):
        return SyncPg(str(database))
    conn = sqlite3.connect(database, timeout=30)
    conn.row_factory = sqlite3.Row
    return conn


def check_integrity(conn: Reader) -> None:
    """SQLite's own checks of the file and its foreign keys. PostgreSQL checks foreign keys
    on every statement, and its files are its own business."""
    if isinstance(conn, sqlite3.Connection):
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
