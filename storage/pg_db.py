"""The PostgreSQL database, through asyncpg: the same interface as storage.db.Database.

A pool of connections; every unit of work is one transaction on one of them. Several
processes may serve the same database: a person's turns are serialised by a
transaction-scoped advisory lock (`Locks.person`), outbox rows are claimed with
FOR UPDATE SKIP LOCKED, periodic jobs run in the process holding the leader lock, and
constraint races are decided by the database inside savepoints (PostgreSQL aborts the whole
transaction on a failed statement otherwise).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite
import asyncpg
from asyncpg.pool import PoolConnectionProxy

from storage.db import Database
from storage.pg_sql import POSTGRESQL, placeholders, postgresql_migrations, returns_rows
from storage.session import Session
from storage.sqlite_file import StorageError

log = logging.getLogger(__name__)


class _OneLine(logging.Filter):
    """asyncpg's pool (0.32+) logs every failed reconnection, while the server restarts,
    with a traceback: one line naming the error says as much in the bot's log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            name = type(record.exc_info[1]).__name__
            record.msg = f"{record.getMessage()} ({name})"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


logging.getLogger("asyncpg.pool").addFilter(_OneLine())

T = TypeVar("T")
Conn = asyncpg.Connection | PoolConnectionProxy
Body = Callable[[Session], Coroutine[Any, Any, T]]
DEFAULT_POOL_SIZE = 10
# Keys of the session-level advisory locks (pg_advisory_lock's one-bigint form); the
# per-person transaction locks use the two-int form, so they never collide with these.
MIGRATION_LOCK = 0x5350_0001
LEADER_LOCK = 0x5350_0002
# Every serving process holds this one shared: their number divides the sending pace.
SENDERS_LOCK = 0x5350_0003
VERSION_TABLE = "sportello_schema"
CONNECT_TIMEOUT = 10.0


class PgCursor:
    """What the repositories read of a sqlite3 cursor after a statement."""

    def __init__(self, rowcount: int, rows: list[asyncpg.Record]) -> None:
        self.rowcount = rowcount
        self.rows = rows

    def fetchall(self) -> list[asyncpg.Record]:
        return self.rows


def pg_text(value: str) -> str:
    """PostgreSQL's text cannot hold NUL, which anyone can put in a message, a name or an id
    (SQLite keeps it): U+FFFD, the character for "not representable", stands in for it."""
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


def _arg(value: Any) -> Any:
    # Booleans are stored as 0/1 integers, as on SQLite.
    if isinstance(value, bool):
        return int(value)
    return pg_text(value) if isinstance(value, str) else value


def _args(params: Sequence[Any]) -> list[Any]:
    return [_arg(p) for p in params]


def _changed(status: str) -> int:
    """Rows changed, from asyncpg's command tag ("UPDATE 3", "INSERT 0 1")."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PgConnection:
    """The part of aiosqlite's connection the repositories use, over an asyncpg connection
    inside a transaction; the SQL is the same, with `?` turned into `$n`."""

    dialect = POSTGRESQL

    def __init__(self, conn: Conn) -> None:
        self._pg = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> PgCursor:
        query = placeholders(sql)
        if returns_rows(sql):
            rows = await self._pg.fetch(query, *_args(params))
            return PgCursor(len(rows), rows)
        status = await self._pg.execute(query, *_args(params))
        return PgCursor(_changed(status), [])

    async def execute_fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return cast("list[Any]", await self._pg.fetch(placeholders(sql), *_args(params)))

    async def attempt(self, sql: str, params: Sequence[Any] = ()) -> PgCursor | None:
        """The statement in a savepoint: None, and the transaction still usable, when a
        constraint refused it."""
        try:
            async with self._pg.transaction():
                return await self.execute(sql, params)
        except asyncpg.IntegrityConstraintViolationError:
            return None


def _bounded(size: int) -> int:
    return max(2, size)


async def _migrate(conn: Conn) -> None:
    async with conn.transaction():
        # Two processes starting at once: one migrates, the other waits and finds it done.
        await conn.execute(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        await conn.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version BIGINT NOT NULL)")
        current = await conn.fetchval(f"SELECT max(version) FROM {VERSION_TABLE}") or 0
        for migration in postgresql_migrations():
            if migration.number <= current:
                continue
            log.info("applying database migration %d", migration.number)
            await conn.execute(migration.script)
            await conn.execute(
                f"INSERT INTO {VERSION_TABLE} (version) VALUES ($1)", migration.number
            )


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


class PgDatabase(Database):
    dialect = POSTGRESQL

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        # No super().__init__(): it would hold SQLite's connections.
        self._pool = pool
        self.url = url
        self.path = Path(redacted(url))  # what messages name; no file behind it
        self._leader: asyncpg.Connection | None = None
        self._presence: asyncpg.Connection | None = None
        # One query at a time on each of the two connections of our own.
        self._own_lock = asyncio.Lock()

    @classmethod
    async def connect(cls, url: str, pool_size: int = DEFAULT_POOL_SIZE) -> PgDatabase:
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=1,
                max_size=_bounded(pool_size),
                timeout=CONNECT_TIMEOUT,
                statement_cache_size=1024,
            )
        except (TimeoutError, OSError, asyncpg.PostgresError, ValueError) as exc:
            raise StorageError(
                f"Cannot connect to PostgreSQL at {redacted(url)}: {exc}. Check "
                "SPORTELLO_DATABASE (postgresql://user:password@host:port/database) and that "
                "the server is running."
            ) from exc
        try:
            async with pool.acquire() as conn:
                await _migrate(conn)
                collation = await conn.fetchval(
                    "SELECT datcollate FROM pg_database WHERE datname = current_database()"
                )
                if collation not in ("C", "POSIX"):
                    # Times are ISO text, compared and sorted as text.
                    log.warning(
                        "the database's collation is %s, not C: create it with --locale C "
                        "(docs/DEPLOYING.md)",
                        collation,
                    )
        except BaseException as exc:
            await pool.close()
            if isinstance(exc, asyncpg.PostgresError):
                raise StorageError(f"Cannot migrate {redacted(url)}: {exc}") from exc
            raise
        return cls(pool, url)

    async def close(self) -> None:
        for conn in (self._leader, self._presence):
            if conn is not None:
                await conn.close()
        self._leader = self._presence = None
        await self._pool.close()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Session]:
        """A transaction that may write: committed on exit, rolled back on any exception."""
        async with self._pool.acquire() as conn, conn.transaction():
            yield Session(cast("aiosqlite.Connection", PgConnection(conn)))

    async def write_inline(self, body: Body[T]) -> T:
        """`body(session)` as one write transaction (SQLite runs it on its own thread; here
        it is an ordinary transaction)."""
        async with self.write() as tx:
            return await body(tx)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Session]:
        """A read-only snapshot."""
        async with (
            self._pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            yield Session(cast("aiosqlite.Connection", PgConnection(conn)))

    async def checkpoint(self) -> bool:
        """Nothing to fold in: PostgreSQL's WAL is recycled by the server, and erased rows'
        space is reclaimed by autovacuum."""
        return True

    async def checkpoint_settled(self) -> None:
        return None

    async def backup(
        self, target: Path, progress: Callable[[int, int], None] | None = None
    ) -> None:
        raise StorageError(
            "On PostgreSQL, back up with pg_dump (see docs/DEPLOYING.md); "
            "`sportello backup` copies SQLite files only."
        )

    async def tables(self) -> list[str]:
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                "current_schema() AND table_type = 'BASE TABLE' AND table_name <> $1 "
                "ORDER BY table_name",
                VERSION_TABLE,
            )
        return [r["table_name"] for r in rows]

    async def row_counts(self) -> dict[str, int]:
        counts = {}
        async with self._pool.acquire() as conn:
            for table in await self.tables():
                counts[table] = int(await conn.fetchval(f'SELECT COUNT(*) FROM "{table}"'))
        return counts

    async def quick_check(self) -> str:
        async with self._pool.acquire() as conn:
            return "ok" if await conn.fetchval("SELECT 1") == 1 else "no answer"

    async def integrity_check(self) -> str:
        return await self.quick_check()

    async def is_leader(self) -> bool:
        async with self._own_lock:
            return await self._is_leader()

    async def _is_leader(self) -> bool:
        """Whether this process runs the periodic jobs: it holds a session-level advisory
        lock on a connection of its own, which the server releases when the process dies,
        so another process takes over at its next try."""
        try:
            if self._leader is not None:
                if not self._leader.is_closed() and await self._leader.fetchval("SELECT 1"):
                    return True
                self._leader = None  # the connection, and so the lock, was lost
            conn = await asyncpg.connect(self.url, timeout=CONNECT_TIMEOUT)
            if await conn.fetchval(f"SELECT pg_try_advisory_lock({LEADER_LOCK})"):
                self._leader = conn
                log.info("this process now runs the periodic jobs")
                return True
            await conn.close()
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            log.warning("could not check the leader lock")
        return False

    async def senders(self) -> int:
        async with self._own_lock:
            return await self._senders()

    async def _senders(self) -> int:
        """The processes sending through this database, this one included: each holds the
        shared senders lock on a connection of its own while it runs (released by the
        server when the process dies)."""
        try:
            if self._presence is None or self._presence.is_closed():
                self._presence = await asyncpg.connect(self.url, timeout=CONNECT_TIMEOUT)
                await self._presence.execute(f"SELECT pg_advisory_lock_shared({SENDERS_LOCK})")
            count = await self._presence.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND classid = $1 AND objid = $2 AND objsubid = 1",
                SENDERS_LOCK >> 32,
                SENDERS_LOCK & 0xFFFF_FFFF,
            )
            return max(1, int(count))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            self._presence = None
            log.warning("could not count the sending processes")
            return 1

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Conn]:
        """A raw connection, for the copy from SQLite (storage/pg_copy.py)."""
        async with self._pool.acquire() as conn:
            yield conn
