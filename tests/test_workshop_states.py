"""Migration 0005 (workshop states): registration and broadcast states are CHECKed, and a database that
already holds workshops keeps every row, id, index and outbox link through the rebuild."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.domain import BroadcastKind, BroadcastStatus, RegistrationStatus
from storage.db import Database
from storage.sqlite_file import migrations

T = "2026-11-24T09:00:00+00:00"
# Found by content, not number: migrations may be renumbered when branches merge.
NUMBER, SCRIPT = next((n, s) for n, s in migrations() if "registrations_checked" in s)


def database_before_it(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = ON")
    for number, script in migrations():
        if number < NUMBER:
            conn.executescript(script)
    conn.executescript(
        f"""
        PRAGMA user_version = {NUMBER - 1};
        INSERT INTO people (id, created_at, last_seen_at) VALUES (7, '{T}', '{T}');
        INSERT INTO workshops (id, code, title, description, starts_at, duration_minutes,
            capacity, audience, created_by, created_at)
            VALUES (3, 'abc234', 'CV', '', '2026-12-02T09:00:00+00:00', 90, 5, '{{}}', 's', '{T}');
        INSERT INTO registrations (id, workshop_id, person_id, status, seat, created_at,
            updated_at) VALUES (11, 3, 7, 'registered', 1, '{T}', '{T}');
        INSERT INTO broadcasts (id, kind, workshop_id, audience, created_by, created_at, status,
            total) VALUES (5, 'workshop', 3, '{{}}', 's', '{T}', 'sending', 1);
        INSERT INTO outbox (id, kind, person_id, due_at, created_at, broadcast_id, workshop_id)
            VALUES (21, 'workshop_invitation', 7, '{T}', '{T}', 5, 3);
        """
    )
    conn.commit()
    conn.close()


async def test_rebuild_keeps_rows_and_links(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    database_before_it(path)
    db = await Database.open(path)
    try:
        async with db.read() as tx:
            registration = await tx.registrations.by_id(11)
            broadcast = await tx.broadcasts.get(5)
            items = await tx.outbox.listing(("pending",))
        assert registration is not None
        assert registration.status is RegistrationStatus.REGISTERED
        assert registration.seat == 1
        assert broadcast is not None
        assert broadcast.status is BroadcastStatus.SENDING
        assert [(i.id, i.broadcast_id) for i in items] == [(21, 5)]
    finally:
        await db.close()
    conn = sqlite3.connect(path)
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"registrations_seat", "registrations_waiting", "outbox_broadcast"} <= indexes
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE registrations SET status = 'maybe' WHERE id = 11")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE broadcasts SET status = 'paused' WHERE id = 5")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE broadcasts SET kind = 'poll' WHERE id = 5")
    conn.close()


def test_enums_and_checks_agree() -> None:
    for state in (*RegistrationStatus, *BroadcastStatus, *BroadcastKind):
        assert f"'{state.value}'" in SCRIPT
