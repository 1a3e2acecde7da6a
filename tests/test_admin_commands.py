"""The administrator's listings, through the real command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.app import App
from bot.reports import bookings, outbox, slots
from tests.booking_helpers import booked_person


def sportello(database: Path | str, *args: str, status: int = 0) -> str:
    """What the command printed; its exit status must be `status`."""
    env = {**os.environ, "SPORTELLO_DATABASE": str(database)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == status, result.stderr
    return result.stdout + result.stderr


def test_operators_command(tmp_path: Path, database: str) -> None:
    out = sportello(database, "operators")
    assert "giulia  Giulia Bianchi" in out
    assert "tue: 09:00-13:00, 14:30-17:30" in out


def test_slots_command_knows_holidays(tmp_path: Path, database: str) -> None:
    # 8 December is a public holiday (Immacolata); 9 December is a Wednesday with Giulia.
    out = sportello(database, "slots", "--day", "2026-12-08", "--days", "2")
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


def test_staff_and_workshop_commands(tmp_path: Path, database: str) -> None:
    db = database
    assert "700000001 is now staff." in sportello(db, "staff", "add", "700000001", "--name", "Sara")
    assert "700000001  Sara" in sportello(db, "staff", "list")
    created = sportello(
        db,
        "workshops",
        "add",
        "--title",
        "CV clinic",
        "--starts",
        "2030-12-02 10:00",
        "--capacity",
        "12",
        "--place",
        "Sala Staffetti, Lucca",
        "--goals",
        "employee;guidance",
    )
    code = created.split()[1].rstrip(":")
    toml_file = tmp_path / "workshops.toml"
    toml_file.write_text(
        '[[workshop]]\ntitle = "Impresa: dall\'idea al progetto"\nstarts = "2030-12-05 15:00"\n'
        'duration = 120\ncapacity = 20\nlink = "https://zoom.us/j/1"\ngoals = ["business"]\n\n'
        '[[workshop]]\ntitle = "Broken"\nstarts = "yesterday"\ncapacity = 0\n',
        encoding="utf-8",
    )
    # A row skipped is a mistake to fix: the good rows are created, the status says so.
    imported = sportello(db, "workshops", "import", str(toml_file), status=1)
    assert "[2/2] skipped: starts:" in imported
    assert "imported 1 of 2 workshops" in imported
    csv_file = tmp_path / "workshops.csv"
    csv_file.write_text(
        "title,starts,duration,capacity,place,link,sectors\n"
        "Giornata aziende della carta,2030-12-10 09:30,180,40,Polo Tecnologico Lucchese,,paper;logistics\n",
        encoding="utf-8",
    )
    assert "imported 1 of 1 workshops" in sportello(db, "workshops", "import", str(csv_file))
    listing = sportello(db, "workshops", "list")
    assert f"{code}  2030-12-02 Mon 10:00  0/12  CV clinic" in listing
    assert len(listing.strip().splitlines()) == 3
    assert f"{code}  CV clinic" in sportello(db, "workshops", "attendees", code)
    env_qr = tmp_path / "qr.png"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "workshops", "qr", code, "--out", str(env_qr)],
        capture_output=True,
        text=True,
        env={**os.environ, "SPORTELLO_DATABASE": str(db), "TELEGRAM_BOT_USERNAME": "@LuccaBot"},
        timeout=60,
        check=True,
    )
    assert f"https://t.me/LuccaBot?start=ws_{code}" in result.stdout
    assert env_qr.read_bytes().startswith(b"\x89PNG")
