"""Migration 0005: the booking vocabulary as CHECK constraints, added by rebuilding the
bookings table without losing a row, an outbox link or an index."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain import BookingStatus, MeetingMode, NextStep
from storage.db import Database
from storage.sqlite_file import migrations

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
INSERT = (
    "INSERT INTO bookings (person_id, operator_id, starts_at, ends_at, status, uid, "
    "meeting_mode, next_step, created_at, updated_at) VALUES (1, 'op', ?, ?, ?, ?, ?, ?, 'x', 'x')"
)


def database_before_checks(path: Path) -> None:
    """A database as version 4 left it, with an appointment, its outbox rows and a delivery."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    for number, script in migrations():
        if number <= 4:
            conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    conn.executescript(
        """
        INSERT INTO people (id, created_at, last_seen_at) VALUES (1, 'x', 'x');
        INSERT INTO bookings (id, person_id, operator_id, starts_at, ends_at, status, uid,
            meeting_mode, next_step, satisfaction, created_at, updated_at)
            VALUES (7, 1, 'giulia', '2026-11-25T09:00:00+00:00', '2026-11-25T09:45:00+00:00',
                    'attended', 'uid-7', 'api', 'cpi', 4, 'x', 'x');
        INSERT INTO bookings (id, person_id, operator_id, starts_at, ends_at, status,
            hold_expires_at, uid, meeting_mode, created_at, updated_at)
            VALUES (8, 1, 'marco', '2026-11-26T09:00:00+00:00', '2026-11-26T09:45:00+00:00',
                    'held', '2026-11-24T12:00:00+00:00', 'uid-8', 'room', 'x', 'x');
        INSERT INTO outbox (id, kind, person_id, booking_id, due_at, created_at)
            VALUES (30, 'survey', 1, 7, 'x', 'x'), (31, 'waitlist_offer', 1, 8, 'x', 'x'),
                   (32, 'resend', 1, NULL, 'x', 'x');
        INSERT INTO deliveries (provider_id, outbox_id, channel, status, created_at, updated_at)
            VALUES ('SM1', 30, 'whatsapp', 'sent', 'x', 'x');
        """
    )
    conn.close()


async def migrated(tmp_path: Path) -> sqlite3.Connection:
    path = tmp_path / "old.db"
    database_before_checks(path)
    db = await Database.open(path)
    await db.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


async def test_the_rebuild_keeps_every_row_link_and_index(tmp_path: Path) -> None:
    conn = await migrated(tmp_path)
    rows = conn.execute(
        "SELECT id, status, next_step, satisfaction, hold_expires_at FROM bookings ORDER BY id"
    ).fetchall()
    assert rows == [
        (7, "attended", "cpi", 4, None),
        (8, "held", None, None, "2026-11-24T12:00:00+00:00"),
    ]
    links = conn.execute("SELECT id, booking_id FROM outbox ORDER BY id").fetchall()
    assert links == [(30, 7), (31, 8), (32, None)]
    assert conn.execute("SELECT outbox_id FROM deliveries").fetchall() == [(30,)]
    indexes = {r[1] for r in conn.execute("PRAGMA index_list(bookings)")}
    assert {"bookings_slot_taken", "bookings_person", "bookings_starts"} <= indexes
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    outbox_sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'outbox'").fetchone()
    assert "REFERENCES bookings(id)" in outbox_sql[0]
    # The cascade still points at the new table.
    conn.execute("DELETE FROM bookings WHERE id = 7")
    assert conn.execute("SELECT id FROM outbox ORDER BY id").fetchall() == [(31,), (32,)]


async def test_every_state_the_code_knows_is_accepted_and_nothing_else(tmp_path: Path) -> None:
    conn = await migrated(tmp_path)
    for number, status in enumerate(s for s in BookingStatus if s != BookingStatus.HELD):
        for mode in MeetingMode:
            start = f"2027-01-{number + 1:02d}T{len(mode)}:00"
            conn.execute(INSERT, (start, start, status, f"u-{status}-{mode}", mode, None))
    for step in NextStep:
        conn.execute(INSERT, ("2027-02-01", "x", "attended", f"s-{step}", "room", step))
    for unknown_status, unknown_mode in (("pending", "room"), ("booked", "phone")):
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            conn.execute(INSERT, ("2027-03-01", "x", unknown_status, "bad", unknown_mode, None))
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        conn.execute(INSERT, ("2027-03-01", "x", "attended", "bad", "room", "holiday"))
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        conn.execute("UPDATE bookings SET status = 'done' WHERE id = 8")


async def test_a_slot_is_still_given_once(tmp_path: Path) -> None:
    conn = await migrated(tmp_path)
    taken = ("2026-11-26T09:00:00+00:00", "x", "booked", "another", "room", None)
    conn.execute("UPDATE bookings SET operator_id = 'op' WHERE id = 8")
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        conn.execute(INSERT, taken)
