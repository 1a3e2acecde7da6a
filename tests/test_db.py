"""Database.write_inline: a whole transaction on the database's thread, in one round trip."""

from __future__ import annotations

import ast
import asyncio
import functools
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain import Channel
from storage.db import Database
from storage.session import Session
from storage.sqlite_file import StorageError

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def log_size(wal: Path) -> int:
    return wal.stat().st_size


async def language_of(db: Database, person_id: int) -> str | None:
    async with db.read() as tx:
        found = await tx.people.get(person_id)
    assert found is not None
    return found.language


async def count_people(db: Database) -> int:
    return (await db.row_counts())["people"]


async def test_a_body_commits_and_returns_its_result(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "s.db")
    try:

        async def body(tx: Session) -> int:
            person = await tx.people.create(Channel.CONSOLE, "anna", NOW, "it")
            return person.id

        person_id = await db.write_inline(body)
        assert await language_of(db, person_id) == "it"
    finally:
        await db.close()


async def test_a_failing_body_leaves_nothing_and_the_connection_usable(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "s.db")
    try:

        async def fails(tx: Session) -> None:
            await tx.people.create(Channel.CONSOLE, "anna", NOW, "it")
            raise ValueError("boom")

        async def waits(tx: Session) -> None:
            await tx.people.create(Channel.CONSOLE, "bruno", NOW, "it")
            await asyncio.sleep(0)  # not the database: refused, rolled back

        with pytest.raises(ValueError, match="boom"):
            await db.write_inline(fails)
        with pytest.raises(RuntimeError, match="other than the database"):
            await db.write_inline(waits)
        assert await count_people(db) == 0

        async def works(tx: Session) -> None:
            await tx.people.create(Channel.CONSOLE, "carla", NOW, "it")

        await db.write_inline(works)
        assert await count_people(db) == 1
    finally:
        await db.close()


async def test_a_checkpoint_between_transactions_does_not_block_the_next(tmp_path: Path) -> None:
    """A checkpoint's result row left unread kept later commits from happening ("SQL
    statements in progress"): found by the engine fuzz suite."""
    db = await Database.open(tmp_path / "s.db")
    try:
        for who in ("anna", "bruno"):

            async def body(tx: Session, who: str = who) -> None:
                await tx.people.create(Channel.CONSOLE, who, NOW, "it")

            await db.write_inline(body)
            await db.checkpoint()
        assert await count_people(db) == 2
    finally:
        await db.close()


async def test_a_checkpoint_a_reader_blocks_is_retried_and_finished_at_the_next_open(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.db"
    wal = Path(f"{path}-wal")
    db = await Database.open(path)
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM people").fetchone()

        async def body(tx: Session) -> None:
            await tx.people.create(Channel.CONSOLE, "anna", NOW, "it")

        await db.write_inline(body)
        assert not await db.checkpoint()
        await db.close()  # with the retry still pending: it is dropped, nothing raises
        assert log_size(wal) > 0, "the reader kept the log"
        reader.execute("COMMIT")
        # The reader's connection stays open, so closing it cannot be what empties the log.
        again = await Database.open(path)
        try:
            assert log_size(wal) == 0, "opening folds in what was left"
            assert await count_people(again) == 1
        finally:
            await again.close()
    finally:
        reader.close()


ROOT = Path(__file__).resolve().parents[1]
# aiosqlite's private members: its worker, its queue, the sqlite3 connection inside it.
AIOSQLITE_PRIVATE = {"_execute", "_conn", "_connection", "_thread", "_tx", "_connector"}


def test_no_private_member_of_aiosqlite_is_used() -> None:
    """Only `self._conn` of our own classes (the repositories' connection) may bear such a
    name: `x._conn` of anything else, or `self._conn._conn`, is reaching into aiosqlite."""
    found = []
    for folder in ("bot", "storage", "scheduling", "bench", "tests"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Attribute) or node.attr not in AIOSQLITE_PRIVATE:
                    continue
                if isinstance(node.value, ast.Name) and node.value.id == "self":
                    continue
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    assert found == []


async def test_the_inline_turn_runs_on_the_database_own_thread_and_sees_every_write(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "s.db")
    try:
        async with db.write() as tx:  # aiosqlite's connection
            await tx.people.create(Channel.CONSOLE, "anna", NOW, "it")

        async def body(tx: Session) -> tuple[str, int]:
            person = await tx.people.by_identity(Channel.CONSOLE, "anna")
            assert person is not None  # what the other connection committed
            created = await tx.people.create(Channel.CONSOLE, "ben", NOW, "en")
            return threading.current_thread().name, created.id

        thread, ben = await db.write_inline(body)
        assert thread.startswith("sportello-db")
        assert await language_of(db, ben) == "en"
    finally:
        await db.close()


def read_pragma(conn: sqlite3.Connection, pragma: str) -> object:
    return conn.execute(f"PRAGMA {pragma}").fetchone()[0]


async def test_the_own_connection_has_the_same_settings(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "s.db")
    try:
        for pragma, value in (
            ("journal_mode", "wal"),
            ("synchronous", 1),
            ("foreign_keys", 1),
            ("secure_delete", 1),
            ("busy_timeout", 5000),
        ):
            own = await db._own.run(functools.partial(read_pragma, pragma=pragma))
            assert own == value, pragma
            async with db._lock:
                rows = await db._aio.execute_fetchall(f"PRAGMA {pragma}")
            assert next(iter(rows))[0] == value, pragma
    finally:
        await db.close()


async def test_a_file_that_cannot_be_opened_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "s.db").write_bytes(b"this is not a database, it is text" * 100)
    before = set(threading.enumerate())
    with pytest.raises(StorageError, match="Cannot use the database"):
        await Database.open(folder / "s.db")
    assert set(threading.enumerate()) - before == set()  # no thread left behind


async def test_closing_twice_is_harmless(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "s.db")
    await db.close()
    await db.close()  # as aiosqlite's close: an app closed, then its fixture closes it


@pytest.mark.parametrize("kind", ["write", "read"])
async def test_a_transaction_cancelled_at_its_begin_leaves_none_open(
    tmp_path: Path, kind: str
) -> None:
    """A shutdown cancels what is running: a task cut while its BEGIN was on the way must not
    leave a transaction open, or every later write fails (and the delivered marks with it)."""
    db = await Database.open(tmp_path / "s.db")
    try:

        async def transaction() -> None:
            async with db.write() if kind == "write" else db.read():
                await asyncio.Event().wait()

        task = asyncio.create_task(transaction())
        await asyncio.sleep(0)  # the task holds the lock and waits for its BEGIN
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with db.write() as tx:
            await tx.people.create(Channel.CONSOLE, "anna", NOW, "it")
        assert await count_people(db) == 1
    finally:
        await db.close()
