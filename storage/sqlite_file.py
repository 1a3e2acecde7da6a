"""The SQLite file itself: its path checked and prepared, connections opened on it, the
PRAGMAs, the migrations, a checkpoint step, and the lock that lets one process serve it.

storage.db builds its `Database` (the connections and the transaction API) on these.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
# Set on each connection (journal_mode is the file's). WAL lets readers work while one writer
# commits. synchronous=NORMAL in WAL mode keeps every committed transaction through a process
# crash (kill -9); only a power loss can drop the last commits, never corrupt the file.
# secure_delete overwrites erased rows so that a /cancella leaves no trace in the file.
PRAGMAS = (
    "journal_mode = WAL",
    "synchronous = NORMAL",
    "foreign_keys = ON",
    f"busy_timeout = {BUSY_TIMEOUT_MS}",
    "secure_delete = ON",
)


class StorageError(Exception):
    """The database cannot be used; the message says what to fix."""


def migrations() -> list[tuple[int, str]]:
    folder = resources.files("storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append((number, entry.read_text(encoding="utf-8")))
    return sorted(found)


def prepare_path(raw: str | os.PathLike[str]) -> Path:
    """The absolute database path, with its folder created; errors say what to fix."""
    path = Path(raw).expanduser().resolve()
    if path.is_dir():
        raise StorageError(f"{path} is a folder: set SPORTELLO_DATABASE to a file's path.")
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"Cannot create the folder {folder} for the database ({exc.strerror}). "
            "Set SPORTELLO_DATABASE to a path in a writable folder."
        ) from exc
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise StorageError(
            f"The database file {path} is not readable and writable by this user. "
            "Fix its permissions or set SPORTELLO_DATABASE to another path."
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StorageError(
            f"The folder {folder} is not writable: SQLite needs to create its journal "
            "files next to the database. Fix its permissions or set SPORTELLO_DATABASE."
        )
    if not path.exists():
        log.info("creating a new database file")
    return path


async def connect(path: Path, what: str) -> aiosqlite.Connection:
    """aiosqlite.connect to a file known to open: when it cannot, aiosqlite's worker thread
    would report to an event loop already closed (a traceback after the clear message)."""
    try:
        await asyncio.to_thread(lambda: sqlite3.connect(path).close())
    except sqlite3.Error as exc:
        raise StorageError(f"Cannot open {what} {path}: {exc}") from exc
    return await aiosqlite.connect(path, isolation_level=None)


def new_file(target: Path) -> None:
    if target.exists():
        raise StorageError(f"{target} already exists: choose a new file for the backup.")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"Cannot create the folder {target.parent} ({exc.strerror}).") from exc


def configure(conn: sqlite3.Connection) -> None:
    for pragma in PRAGMAS:
        conn.execute(f"PRAGMA {pragma}").fetchall()


def migrate(conn: sqlite3.Connection) -> None:
    row = conn.execute("PRAGMA user_version").fetchone()
    current = int(row[0]) if row else 0
    for number, script in migrations():
        if number <= current:
            continue
        log.info("applying database migration %d", number)
        conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")


def checkpoint_on_this_thread(conn: sqlite3.Connection) -> bool:
    """One TRUNCATE checkpoint that does not wait for readers: True when the whole WAL was
    folded into the main file and truncated to nothing."""
    # The busy handler would make the checkpoint wait for readers, holding the connection.
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return int(busy) == 0


@contextmanager
def sole_process(database: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an advisory lock on `<database>.lock` for as long as this process serves the
    database. The kernel releases it when the process ends, even by kill -9, so a lock
    never outlives its holder; other processes (admin commands, backup) do not take it."""
    served = prepare_path(database)
    path = Path(f"{served}.lock")
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StorageError(f"Cannot create the lock file {path} ({exc.strerror}).") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", errors="replace").strip() or "unknown"
            raise StorageError(
                f"another sportello process (pid {holder}) is already serving {served}. "
                "Only one `sportello run` or `sportello chat` may use a database file at a "
                "time: stop the other one first, or set SPORTELLO_DATABASE to another file. "
                "Read-only commands and `sportello backup` work while it runs."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        yield
    finally:
        os.close(fd)
