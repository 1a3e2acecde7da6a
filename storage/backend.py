"""Which database SPORTELLO_DATABASE names: a path (or sqlite:///path) is SQLite, a
postgresql:// URL is PostgreSQL. Both give a storage.db.Database."""

from __future__ import annotations

from pathlib import Path

from bot.setting_values import database_name, is_postgresql, sqlite_path
from storage.db import Database

__all__ = ["database_name", "is_postgresql", "open_database", "sqlite_path"]


async def open_database(sqlite: Path, url: str | None, pool_size: int) -> Database:
    """The PostgreSQL database at `url`, or else the SQLite file."""
    if url is not None:
        from storage.pg_db import PgDatabase

        return await PgDatabase.connect(url, pool_size)
    return await Database.open(sqlite)
