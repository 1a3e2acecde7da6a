"""A test's own look at the database, past the storage layer: a SQLite file through sqlite3,
or a PostgreSQL database through one asyncpg connection. The SQL is written as for SQLite
(`?` parameters), as the repositories' is."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import AsyncIterator, Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from storage.pg_sql import placeholders

T = TypeVar("T")
Target = Path | str
"""A SQLite file, or a postgresql:// URL."""


class DirectDb:
    def __init__(self, sqlite: Path | None, pg: asyncpg.Connection | None) -> None:
        self._sqlite = sqlite
        self._pg = pg

    async def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        if self._pg is not None:
            return [tuple(row) for row in await self._pg.fetch(placeholders(sql), *params)]
        assert self._sqlite is not None
        with contextlib.closing(sqlite3.connect(self._sqlite, timeout=30)) as conn:
            return [tuple(row) for row in conn.execute(sql, params).fetchall()]

    async def integrity(self) -> None:
        """SQLite's own checks of the file and its foreign keys. PostgreSQL checks foreign keys
        on every statement, and its files are its own business."""
        if self._sqlite is None:
            return
        assert await self.rows("PRAGMA integrity_check") == [("ok",)]
        assert await self.rows("PRAGMA foreign_key_check") == []

    async def counts(self, sql: str) -> dict[Any, int]:
        """A two-column query (key, count) as a dict."""
        return {key: int(count) for key, count in await self.rows(sql)}


@contextlib.asynccontextmanager
async def direct(target: Target) -> AsyncIterator[DirectDb]:
    if isinstance(target, Path):
        yield DirectDb(target, None)
        return
    conn = await asyncpg.connect(target)
    try:
        yield DirectDb(None, conn)
    finally:
        await conn.close()


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
