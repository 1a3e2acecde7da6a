"""The administrator's listings, through the real command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.app import App
from bot.reports import bookings, outbox, slots
from tests.booking_helpers import booked_person


def sportello(database: Path, *args: str) -> str:
    env = {**os.environ, "SPORTELLO_DATABASE": str(database)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    return result.stdout


def test_operators_command(tmp_path: Path) -> None:
    out = sportello(tmp_path / "s.db", "operators")
    assert "giulia  Giulia Bianchi" in out
    assert "tue: 09:00-13:00, 14:30-17:30" in out


def test_slots_command_knows_holidays(tmp_path: Path) -> None:
    # 8 December is a public holiday (Immacolata); 9 December is a Wednesday with Giulia.
    out = sportello(tmp_path / "s.db", "slots", "--day", "2026-12-08", "--days", "2")
    assert "2026-12-08" not in out
    assert "2026-12-09 Wed 09:00  giulia" in out


async def test_listings_show_bookings_without_personal_data(app: App) -> None:
    await booked_person(app, "anna")
    day = app.clock.now().date()
    lines = await slots(app.db, app.settings.agenda, day, 1)
    assert any("12:00  marco" in line and "booked #1" in line for line in lines)
    listed = await bookings(app.db, day, 1, every_status=False)
    assert listed[0].startswith("#1")
    assert "person 1" in listed[0]
    assert "anna" not in "\n".join(listed).lower()
    queue = await outbox(app.db, every_status=False)
    assert any("reminder" in line for line in queue)
    assert queue[-1].startswith("outbox: pending")
