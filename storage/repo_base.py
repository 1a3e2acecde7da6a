"""What every repository is built on: `_Repo`'s one-round-trip helpers over the session's
connection (SQLite or PostgreSQL), and the UTC ISO text times are stored as (`_ts`, `_dt`).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import aiosqlite


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class _Repo:
    """Each helper is one round trip to aiosqlite's thread: under load every round trip waits
    for a turn of the busy event loop while the transaction holds the database, so they are
    what limits throughput, far more than SQLite's own work."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def _one(self, sql: str, *params: object) -> aiosqlite.Row | None:
        rows = await self._conn.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def _all(self, sql: str, *params: object) -> list[aiosqlite.Row]:
        return list(await self._conn.execute_fetchall(sql, params))

    async def _run(self, sql: str, *params: object) -> int:
        """Execute a statement; returns the number of rows changed."""
        # A finished INSERT/UPDATE/DELETE keeps nothing open in SQLite, so its cursor needs no
        # close (which would be another round trip).
        cursor = await self._conn.execute(sql, params)
        return cursor.rowcount

    async def _insert(self, sql: str, *params: object) -> int:
        """Execute an INSERT; returns the new row's id (RETURNING: both backends have it)."""
        rows = await self._conn.execute_fetchall(f"{sql} RETURNING id", params)
        return int(next(iter(rows))[0])

    @property
    def _postgresql(self) -> bool:
        return getattr(self._conn, "dialect", "sqlite") == "postgresql"

    async def _attempt(self, sql: str, *params: object) -> int | None:
        """Rows changed, or None when a constraint refused the statement; the transaction
        goes on either way (PostgreSQL needs a savepoint for that, SQLite undoes just the
        failed statement)."""
        attempt = getattr(self._conn, "attempt", None)
        if attempt is not None:
            cursor = await attempt(sql, params)
            return None if cursor is None else int(cursor.rowcount)
        try:
            cursor = await self._conn.execute(sql, params)
        except sqlite3.IntegrityError:
            return None
        return cursor.rowcount

    async def _attempt_insert(self, sql: str, *params: object) -> int | None:
        """The new row's id, or None when a constraint refused it (see `_attempt`)."""
        sql = f"{sql} RETURNING id"
        attempt = getattr(self._conn, "attempt", None)
        if attempt is not None:
            cursor = await attempt(sql, params)
            return None if cursor is None else int(cursor.fetchall()[0][0])
        try:
            rows = await self._conn.execute_fetchall(sql, params)
        except sqlite3.IntegrityError:
            return None
        return int(next(iter(rows))[0])


def like_literal(text: str) -> str:
    """Text for inside a LIKE pattern written with ESCAPE '\\': its own %, _ and \\ taken
    literally (skill ids have underscores; a search may hold any of them)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
