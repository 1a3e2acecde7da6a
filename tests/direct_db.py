"""A test's own look at the database, past the storage layer: a SQLite file through sqlite3,
or a PostgreSQL database through one asyncpg connection. The SQL is written as for SQLite
(`?` parameters), as the repositories' is."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg

from storage.pg_sql import placeholders

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
