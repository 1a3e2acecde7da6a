"""`sportello backup` makes a consistent copy while the bot serves; the copy restores."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.app import App, build_app
from tests.booking_helpers import booked_person
from tests.chat import Chat, complete_intake
from tests.conftest import make_settings

# SQLite's online backup; PostgreSQL is backed up with pg_dump (docs/DEPLOYING.md).
pytestmark = pytest.mark.sqlite_only


async def test_backup_during_load_is_consistent_and_restores(app: App, tmp_path: Path) -> None:
    await booked_person(app, "first")
    target = tmp_path / "backup" / "copy.db"
    people = [Chat(app.engine, f"load{i}") for i in range(8)]

    async def load() -> None:
        await asyncio.gather(*(complete_intake(p) for p in people))

    steps: list[tuple[int, int]] = []
    await asyncio.gather(
        load(), app.db.backup(target, lambda done, total: steps.append((done, total)))
    )
    assert steps
    assert steps[-1][0] == steps[-1][1]
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("PRAGMA foreign_key_check").fetchall() == []
    restored = await build_app(make_settings(target), app.clock)
    try:
        counts = await restored.db.row_counts()
        assert await restored.db.integrity_check() == "ok"
        assert counts["bookings"] == 1
        assert counts["people"] >= 1
    finally:
        await restored.close()


async def test_backup_of_a_quiet_database_has_the_same_counts(app: App, tmp_path: Path) -> None:
    await booked_person(app, "anna")
    target = tmp_path / "quiet.db"
    await app.db.backup(target)
    restored = await build_app(make_settings(target), app.clock)
    try:
        assert await restored.db.row_counts() == await app.db.row_counts()
    finally:
        await restored.close()


def test_backup_command_refuses_to_overwrite(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    db, target = tmp_path / "s.db", tmp_path / "b.db"
    env = {**os.environ, "SPORTELLO_DATABASE": str(db)}
    first = subprocess.run(
        [sys.executable, "-m", "bot", "backup", str(target)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert first.returncode == 0, first.stderr
    assert "backup written to" in first.stdout
    again = subprocess.run(
        [sys.executable, "-m", "bot", "backup", str(target)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert again.returncode == 1
    assert "already exists" in again.stderr
