"""The SQLite database's connections and transactions (the file's preparation, PRAGMAs,
migrations and single-process lock are in storage.sqlite_file).

Two connections per process to the same file: aiosqlite's, for `read()`, `write()` and the
backup, and a sqlite3 connection on a thread of its own (`OwnThread`) for a person's whole
turn in one round trip (`write_inline`), the migrations and the checkpoints. Every unit of
work runs in an explicit transaction: writes start with BEGIN IMMEDIATE so that two
processes on the same file serialise instead of failing half-way; one asyncio lock covers
both connections, so this process runs one transaction at a time (the two never wait for
each other) and a checkpoint never finds a reader of its own.

Only one process serves a database file (`storage.sqlite_file.sole_process`): two would
each pace their sends alone, together going past the platforms' limits.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite

from storage import rome_days
from storage.session import Session
from storage.sqlite_file import (
    PRAGMAS,
    StorageError,
    checkpoint_on_this_thread,
    configure,
    connect,
    migrate,
    new_file,
    prepare_path,
)

log = logging.getLogger(__name__)

# A checkpoint that a reader blocks is tried again after these many seconds, doubling.
CHECKPOINT_FIRST_RETRY = 0.05
CHECKPOINT_LONGEST_WAIT = 5.0
T = TypeVar("T")


class InlineConnection:
    """The part of aiosqlite's connection the repositories use (`execute`, `execute_fetchall`),
    over the sqlite3 connection itself, for code already on the database's thread: these
    coroutines never suspend."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._sqlite = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._sqlite.execute(sql, params)

    async def execute_fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._sqlite.execute(sql, params).fetchall()


class OwnThread:
    """A sqlite3 connection that lives on a thread of its own: work goes there through
    `loop.run_in_executor` (public asyncio), so a whole transaction is one round trip."""

    def __init__(self, executor: ThreadPoolExecutor, conn: sqlite3.Connection) -> None:
        self._executor = executor
        self._sqlite = conn
        self._closed = False

    @classmethod
    async def open(cls, path: Path) -> OwnThread:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sportello-db")
        opener = functools.partial(sqlite3.connect, path, isolation_level=None)
        try:
            conn = await asyncio.get_running_loop().run_in_executor(executor, opener)
        except BaseException:
            executor.shutdown()
            raise
        conn.row_factory = sqlite3.Row  # what aiosqlite.Row is: rows read by column name
        return cls(executor, conn)

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work(connection)` on the connection's thread."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, work, self._sqlite)

    async def close(self) -> None:
        """Idempotent, as aiosqlite's close is."""
        if self._closed:
            return
        self._closed = True
        await self.run(sqlite3.Connection.close)
        self._executor.shutdown()  # the thread is idle now: joined at once


Body = Callable[[Session], Coroutine[Any, Any, T]]


def _complete(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run to its end a coroutine that never suspends."""
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return finished.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("a transaction body waited for something other than the database")


def _transaction_on_this_thread(conn: sqlite3.Connection, body: Body[T]) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        session = Session(cast("aiosqlite.Connection", InlineConnection(conn)))
        result = _complete(body(session))
        conn.commit()
    except BaseException:
        conn.rollback()  # never leave the connection inside a transaction
        raise
    return result


class Database:
    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, own: OwnThread, path: Path) -> None:
        self._aio = conn
        self._own = own
        self._lock = asyncio.Lock()
        self._checkpointing: asyncio.Task[None] | None = None
        self.path = path

    @classmethod
    async def open(cls, path: str | os.PathLike[str]) -> Database:
        db_path = prepare_path(path)
        try:
            own = await OwnThread.open(db_path)
        except sqlite3.Error as exc:
            raise StorageError(f"Cannot open the database {db_path}: {exc}") from exc
        try:
            # Before aiosqlite opens the file: the switch to WAL and the migrations find
            # no other connection.
            await own.run(configure)
            await own.run(migrate)
            await own.run(rome_days.ensure)
            conn = await connect(db_path, "the database")
        except BaseException as exc:
            await own.close()
            if isinstance(exc, sqlite3.Error):
                raise StorageError(f"Cannot use the database {db_path}: {exc}") from exc
            raise
        conn.row_factory = aiosqlite.Row  # each cursor takes the factory from the connection
        db = cls(conn, own, db_path)
        try:
            for pragma in PRAGMAS:
                await conn.execute_fetchall(f"PRAGMA {pragma}")
        except sqlite3.Error as exc:
            await db.close()
            raise StorageError(f"Cannot use the database {db_path}: {exc}") from exc
        # What a previous process could not fold in (a reader held it) goes now.
        await db.checkpoint()
        return db

    async def is_leader(self) -> bool:
        """Whether this process runs the periodic jobs: on SQLite, the only one serving."""
        return True

    async def senders(self) -> int:
        """How many processes send messages through this database: one, on SQLite."""
        return 1

    async def close(self) -> None:
        if self._checkpointing is not None:
            self._checkpointing.cancel()
        async with self._lock:
            await self._aio.close()
            await self._own.close()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Session]:
        """A transaction that may write: committed on exit, rolled back on any exception."""
        async with self._lock:
            # BEGIN inside the try: a task cancelled while waiting for it (a shutdown) must
            # not leave the transaction open for every later one to fail on.
            try:
                await self._aio.execute("BEGIN IMMEDIATE")
                yield Session(self._aio)
            except BaseException:
                await self._aio.rollback()
                raise
            await self._aio.commit()

    async def write_inline(self, body: Body[T]) -> T:
        """`body(session)` as one write transaction, run whole on the own connection's thread.

        One round trip instead of one per statement, so the database is held for the time
        the work takes rather than for a dozen turns of a busy event loop: the hot path (a
        person's message) uses it. The body may await only the session's repositories;
        anything else that would suspend raises RuntimeError and rolls back.
        """
        async with self._lock:
            return await self._own.run(lambda conn: _transaction_on_this_thread(conn, body))

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Session]:
        """A read-only snapshot."""
        async with self._lock:
            try:
                await self._aio.execute("BEGIN")
                yield Session(self._aio)
            finally:
                await self._aio.rollback()

    async def checkpoint(self) -> bool:
        """Fold the WAL into the main file and truncate it, so erased data leave no copy.

        Never waits for readers: while one holds an older snapshot (`sportello backup`, an
        admin command, another connection), the old pages must stay, so the checkpoint is
        retried in the background, with backoff, until it completes. True if done now."""
        if await self._checkpoint_once():
            return True
        if self._checkpointing is None or self._checkpointing.done():
            log.warning("a reader holds an older snapshot: the checkpoint will be retried")
            self._checkpointing = asyncio.create_task(self._checkpoint_until_done())
        return False

    async def _checkpoint_once(self) -> bool:
        async with self._lock:
            try:
                return await self._own.run(checkpoint_on_this_thread)
            except sqlite3.Error as exc:
                log.warning("checkpoint failed: %s", type(exc).__name__)
                return False

    async def _checkpoint_until_done(self) -> None:
        wait = CHECKPOINT_FIRST_RETRY
        while True:
            await asyncio.sleep(wait)
            if await self._checkpoint_once():
                log.info("the retried checkpoint completed: the WAL is empty")
                return
            wait = min(wait * 2, CHECKPOINT_LONGEST_WAIT)

    async def checkpoint_settled(self) -> None:
        """Return once no checkpoint is waiting to be retried."""
        if self._checkpointing is not None:
            await asyncio.shield(self._checkpointing)

    async def backup(
        self, target: Path, progress: Callable[[int, int], None] | None = None
    ) -> None:
        """A consistent online copy through SQLite's backup API, while others keep writing:
        pages are copied in steps, and a step restarts if the file changed under it."""
        new_file(target)
        copy = await connect(target, "the backup file")
        try:

            def report(status: int, remaining: int, total: int) -> None:
                if progress is not None:
                    progress(total - remaining, total)

            async with self._lock:
                await self._aio.backup(copy, pages=256, progress=report)
        except sqlite3.Error as exc:
            raise StorageError(f"Cannot write the backup {target}: {exc}") from exc
        finally:
            await copy.close()

    async def row_counts(self) -> dict[str, int]:
        """Rows per table: what a restored backup should show."""
        async with self._lock:
            async with self._aio.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ) as cursor:
                tables = [row[0] for row in await cursor.fetchall()]
            counts = {}
            for table in sorted(tables):
                async with self._aio.execute(f'SELECT COUNT(*) FROM "{table}"') as cursor:
                    row = await cursor.fetchone()
                counts[table] = int(row[0]) if row else 0
        return counts

    async def quick_check(self) -> str:
        """A cheap health check: the file answers and its structure is sound."""
        async with self._lock, self._aio.execute("PRAGMA quick_check") as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else "no answer"

    async def integrity_check(self) -> str:
        async with self._lock, self._aio.execute("PRAGMA integrity_check") as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else "no answer"
