"""Which database SPORTELLO_DATABASE names: a path (or sqlite:///path) is SQLite, a
postgresql:// URL is PostgreSQL. Both give a storage.db.Database."""

from __future__ import annotations

import re
from pathlib import Path

from storage.db import Database

POSTGRESQL_SCHEMES = ("postgresql://", "postgres://")
SQLITE_SCHEME = "sqlite:///"


def is_postgresql(target: str) -> bool:
    return target.startswith(POSTGRESQL_SCHEMES)


def sqlite_path(target: str) -> Path:
    """The file a SQLite setting names (`sqlite:///relative` or `sqlite:////absolute`)."""
    return (
        Path(target.removeprefix(SQLITE_SCHEME))
        if target.startswith(SQLITE_SCHEME)
        else Path(target)
    )


def database_name(target: str) -> Path:
    """The SQLite file, or for PostgreSQL the URL without its password (for messages)."""
    if is_postgresql(target):
        return Path(re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", target))
    return sqlite_path(target)


async def open_database(sqlite: Path, url: str | None, pool_size: int) -> Database:
    """The PostgreSQL database at `url`, or else the SQLite file."""
    if url is not None:
        from storage.pg_db import PgDatabase

        return await PgDatabase.connect(url, pool_size)
    return await Database.open(sqlite)
