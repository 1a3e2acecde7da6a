"""`sportello migrate-db --to URL` copies a desk's SQLite data to PostgreSQL: every table's
count, the ids, the monitoring counters as they were (not counted twice), and the next ids
after the copied ones; a target with rows is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import build_app
from bot.cli import main
from bot.clock import ManualClock
from storage.pg_copy import copy_to_postgresql
from storage.sqlite_file import StorageError
from tests.booking_helpers import booked_person
from tests.chat import Chat
from tests.conftest import make_settings, run_apart


async def _desk_on_sqlite(path: Path, clock: ManualClock) -> dict[str, int]:
    app = await build_app(make_settings(path), clock)
    try:
        await booked_person(app, "anna")
        await booked_person(app, "bruno")
        await Chat(app.engine, "carla").send("/start")
        return await app.db.row_counts()
    finally:
        await app.close()


async def test_every_row_is_copied_and_the_desk_carries_on(
    tmp_path: Path, pg_url: str, clock: ManualClock
) -> None:
    path = tmp_path / "desk.db"
    before = await _desk_on_sqlite(path, clock)
    steps: list[tuple[str, int, int]] = []
    copied = await copy_to_postgresql(path, pg_url, lambda t, d, n: steps.append((t, d, n)))
    assert copied.counts == before
    assert ("bookings", 2, 2) in steps
    settings = make_settings(tmp_path / "unused.db", SPORTELLO_DATABASE=pg_url)
    app = await build_app(settings, clock)
    try:
        assert await app.db.row_counts() == before  # the counters were not counted again
        async with app.db.read() as tx:
            anna = await tx.people.by_identity(Chat(app.engine, "x").channel, "anna")
            assert anna is not None
            assert len(await tx.bookings.active_for(anna.id)) == 1
        # New rows take ids after the copied ones.
        await booked_person(app, "dario")
        counts = await app.db.row_counts()
        assert counts["bookings"] == before["bookings"] + 1
        assert counts["people"] == before["people"] + 1
    finally:
        await app.close()


async def test_a_target_with_rows_is_refused(
    tmp_path: Path, pg_url: str, clock: ManualClock
) -> None:
    path = tmp_path / "desk.db"
    await _desk_on_sqlite(path, clock)
    await copy_to_postgresql(path, pg_url, lambda *_: None)
    with pytest.raises(StorageError, match="not empty"):
        await copy_to_postgresql(path, pg_url, lambda *_: None)


def test_the_command_shows_progress_and_the_counts(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "desk.db"
    run_apart(_desk_on_sqlite(path, ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))))
    monkeypatch.setenv("SPORTELLO_DATABASE", str(path))
    assert main(["migrate-db", "--to", pg_url]) == 0
    out = capsys.readouterr().out
    assert "bookings: 2/2 rows" in out
    assert "every table's count matches" in out
    assert main(["migrate-db", "--to", pg_url]) == 1
    assert "not empty" in capsys.readouterr().err
