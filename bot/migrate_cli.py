"""`sportello migrate-db --to postgresql://...`: the desk's SQLite file copied to PostgreSQL."""

from __future__ import annotations

import sys

from bot.settings import Settings
from bot.terminal import shown
from storage.backend import is_postgresql
from storage.pg_copy import copy_to_postgresql
from storage.pg_db import redacted
from storage.sqlite_file import StorageError, sole_process


async def run(settings: Settings, target: str) -> int:
    if settings.database_url is not None:
        print(
            "SPORTELLO_DATABASE already names PostgreSQL: migrate-db copies from a SQLite file.",
            file=sys.stderr,
        )
        return 2
    if not is_postgresql(target):
        print("--to must be a postgresql://user:password@host:5432/database URL.", file=sys.stderr)
        return 2

    def progress(table: str, done: int, total: int) -> None:
        print(
            f"\r{shown(table)}: {done}/{total} rows", end="" if done < total else "\n", flush=True
        )

    if not settings.database.is_file():
        print(
            f"{settings.database} is not a file: set SPORTELLO_DATABASE to the desk's SQLite file.",
            file=sys.stderr,
        )
        return 2
    try:
        # The bot must not write to the file meanwhile: the lock `sportello run` holds.
        with sole_process(settings.database):
            copied = await copy_to_postgresql(settings.database, target, progress)
    except StorageError as exc:
        print(f"\nCannot copy to {redacted(target)}: {exc}", file=sys.stderr)
        return 1
    total = sum(copied.counts.values())
    print(
        f"Copied {total} rows in {len(copied.counts)} tables; every table's count matches. "
        f"Set SPORTELLO_DATABASE to the PostgreSQL URL and start the bot."
    )
    return 0
