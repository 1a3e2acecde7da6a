"""The messaging capability: one vocabulary of outbox kinds and states (CHECKed by the schema
since the migration *_outbox_states.sql), one renderer per kind, one place that plans rows, records what the
provider reports, and decides WhatsApp's free text / template / not sent."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.capabilities import messaging
from bot.capabilities.messaging import RECIPIENTS, TEMPLATES, Recipient, Renderers, Route
from bot.channels import Template
from bot.domain import Channel, OutboxKind, OutboxStatus
from bot.flows import notifications, operators
from bot.settings import Settings
from storage.backend import open_database
from storage.db import Database
from storage.session import Session
from storage.sqlite_file import migrations

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 10:00 in Rome
NUMBER = "+393331112222"
SIDS = {"reminder": {"it": "HX-reminder", "ro": "HX-reminder-ro"}}


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    opened = await open_database(settings.database, settings.database_url, settings.database_pool)
    yield opened
    await opened.close()


async def whatsapp_person(tx: Session, last_inbound: datetime | None) -> int:
    person = await tx.people.create(Channel.WHATSAPP, NUMBER, NOW - timedelta(days=3), "it")
    if last_inbound is not None:
        await tx.people.touch(person.id, Channel.WHATSAPP, NUMBER, last_inbound)
    return person.id


# The registry


def test_every_kind_has_exactly_one_renderer_or_is_a_zoom_task() -> None:
    people = set(notifications.renders.by_kind)
    staff = set(operators.renders.by_kind)
    assert not people & staff
    zoom = {kind for kind in OutboxKind if RECIPIENTS[kind] is Recipient.ZOOM}
    assert (
        zoom
        == set(messaging.ZOOM_TASKS)
        == {
            OutboxKind.ZOOM_CREATE,
            OutboxKind.ZOOM_UPDATE,
            OutboxKind.ZOOM_DELETE,
        }
    )
    assert people | staff | zoom == set(OutboxKind)
    assert all(RECIPIENTS[kind] is Recipient.PERSON for kind in people)
    assert all(RECIPIENTS[kind] is Recipient.OPERATOR for kind in staff)


def test_the_registry_refuses_a_second_renderer_or_the_wrong_recipient() -> None:
    registry: Renderers[str] = Renderers(Recipient.PERSON)
    registry(OutboxKind.REMINDER)("first")
    with pytest.raises(ValueError, match="already"):
        registry(OutboxKind.REMINDER)
    with pytest.raises(ValueError, match="operator"):
        registry(OutboxKind.DIGEST)
    assert registry.get(OutboxKind.REMINDER) == "first"
    assert registry.get(OutboxKind.SURVEY) is None


def test_templates_are_only_for_people_and_not_for_the_survey_or_resend() -> None:
    assert all(RECIPIENTS[kind] is Recipient.PERSON for kind in TEMPLATES)
    assert OutboxKind.SURVEY not in TEMPLATES
    assert OutboxKind.RESEND not in TEMPLATES


# Planning, resend, reports


async def test_plan_writes_one_row_read_back_as_the_enum(db: Database) -> None:
    async with db.write() as tx:
        await messaging.plan(
            tx, OutboxKind.DIGEST, NOW, NOW, operator_id="marco", payload={"day": "x"}
        )
        (item,) = await tx.outbox.listing(tuple(OutboxStatus))
    assert item.kind is OutboxKind.DIGEST
    assert item.status is OutboxStatus.PENDING
    assert (item.operator_id, item.payload, item.due_at) == ("marco", {"day": "x"}, NOW)


async def test_undelivered_answers_plan_one_resend_per_person(db: Database) -> None:
    async with db.write() as tx:
        person_id = await whatsapp_person(tx, NOW)
        assert await messaging.resend_undelivered(tx, Channel.WHATSAPP, NUMBER, NOW)
        assert not await messaging.resend_undelivered(tx, Channel.WHATSAPP, NUMBER, NOW)
        assert not await messaging.resend_undelivered(tx, Channel.WHATSAPP, "+39000", NOW)
        (item,) = await tx.outbox.listing(("pending",))
    assert (item.kind, item.person_id) == (OutboxKind.RESEND, person_id)
    assert item.due_at == NOW + messaging.RESEND_AFTER
    assert item.not_after == NOW + messaging.RESEND_WITHIN


async def test_a_reply_due_goes_once_its_answers_are_delivered(db: Database) -> None:
    async with db.write() as tx:
        person_id = await whatsapp_person(tx, NOW)
        first = await messaging.plan_reply_due(tx, person_id, "whatsapp:SM1", NOW)
        second = await messaging.plan_reply_due(tx, person_id, "whatsapp:SM2", NOW)
        # The second replaces the first: a late mark for the first removes nothing.
        assert await messaging.answers_delivered(tx, [first]) == 0
        assert await messaging.answers_delivered(tx, [second]) == 1
        assert await tx.outbox.listing(("pending",)) == []


async def test_provider_reports_move_the_row_forward_only(db: Database) -> None:
    async with db.write() as tx:
        person_id = await whatsapp_person(tx, NOW)
        await messaging.plan(tx, OutboxKind.REMINDER, NOW, NOW, person_id=person_id)
        (item,) = await tx.outbox.listing(("pending",))
        await tx.outbox.finish(item, OutboxStatus.SENT, NOW, None)
        await messaging.record_sent(tx, Channel.WHATSAPP, "SM9", item.id, NOW, template=True)
        assert not await messaging.record_report(tx, "SM-unknown", "read", None, None, NOW)
        assert await messaging.record_report(tx, "SM9", "read", None, None, NOW)
        assert await messaging.record_report(tx, "SM9", "delivered", None, None, NOW)
        (read,) = await tx.outbox.listing(tuple(OutboxStatus))
        assert read.status is OutboxStatus.READ
        await messaging.record_report(tx, "SM9", "failed", "63016", "outside the window", NOW)
        (failed,) = await tx.outbox.listing(tuple(OutboxStatus))
    assert failed.status is OutboxStatus.FAILED
    assert failed.last_error == "63016: outside the window"


# WhatsApp's 24-hour window and the daily cap


async def route(db: Database, template: Template | None, cap: int = 10) -> messaging.WhatsAppRoute:
    async with db.read() as tx:
        return await messaging.whatsapp_route(tx, NUMBER, template, SIDS, cap, NOW)


async def test_inside_the_window_free_text_whatever_the_kind(db: Database) -> None:
    edge = NOW - messaging.WINDOW + messaging.WINDOW_MARGIN + timedelta(seconds=1)
    async with db.write() as tx:
        await whatsapp_person(tx, edge)
    assert (await route(db, None)).route is Route.FREE_TEXT


async def test_outside_the_window_the_template_or_not_sent(db: Database) -> None:
    # Within the margin of the window's end: already treated as closed.
    async with db.write() as tx:
        await whatsapp_person(tx, NOW - messaging.WINDOW + messaging.WINDOW_MARGIN)
    chosen = await route(db, Template("reminder", {"1": "Anna"}))
    assert (chosen.route, chosen.content_sid) == (Route.TEMPLATE, "HX-reminder")
    missing = await route(db, Template("announcement", {}))
    assert (missing.route, missing.template_kind) == (Route.NO_TEMPLATE, "announcement")
    assert (await route(db, None)).route is Route.NO_TEMPLATE


async def test_a_template_in_the_persons_language_else_the_italian_one(db: Database) -> None:
    async with db.write() as tx:
        await whatsapp_person(tx, NOW - messaging.WINDOW)
    romanian = Template("reminder", {"2": "marți"}, "ro", {"2": "martedì"})
    chosen = await route(db, romanian)
    assert (chosen.content_sid, chosen.language) == ("HX-reminder-ro", "ro")
    assert romanian.variables_in("ro") == {"2": "marți"}
    french = Template("reminder", {"2": "mardi"}, "fr", {"2": "martedì"})
    fallback = await route(db, french)
    assert (fallback.content_sid, fallback.language) == ("HX-reminder", "it")
    assert french.variables_in("it") == {"2": "martedì"}


async def test_a_number_that_never_wrote_is_outside_the_window(db: Database) -> None:
    async with db.write() as tx:
        await whatsapp_person(tx, None)
    assert (await route(db, Template("reminder", {}))).route is Route.TEMPLATE


async def test_past_the_daily_cap_templates_wait_for_tomorrow_in_rome(db: Database) -> None:
    async with db.write() as tx:
        await whatsapp_person(tx, None)
        for sid in ("SM1", "SM2"):
            await messaging.record_sent(tx, Channel.WHATSAPP, sid, None, NOW, template=True)
        await messaging.record_sent(tx, Channel.WHATSAPP, "SM3", None, NOW, template=False)
    assert (await route(db, Template("reminder", {}), cap=3)).route is Route.TEMPLATE
    over = await route(db, Template("reminder", {}), cap=2)
    assert over.route is Route.OVER_CAP
    # 10:00 in Rome -> 00:05 tomorrow.
    assert over.retry_after == timedelta(hours=14, minutes=5).total_seconds()


# The schema: the migration that CHECKs the outbox


def checked_values(sql: str, column: str) -> set[str]:
    found = re.search(column + r"\s+TEXT NOT NULL[^,]*?CHECK \(\s*\w+ IN \((.*?)\)", sql, re.S)
    assert found is not None
    return set(re.findall(r"'([a-z_]+)'", found.group(1)))


MIGRATIONS = Path(__file__).resolve().parents[1] / "storage" / "migrations"
MIGRATION = int(next(MIGRATIONS.glob("*_outbox_states.sql")).name.split("_", 1)[0])


def database_before_it(path: Path) -> None:
    """A database as the previous version left it: outbox rows linked to a booking, a
    broadcast and a workshop, and a delivery pointing at one of them."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    for number, script in migrations():
        if number < MIGRATION:
            conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    conn.executescript(
        """
        INSERT INTO people (id, created_at, last_seen_at) VALUES (1, 'x', 'x');
        INSERT INTO bookings (id, person_id, operator_id, starts_at, ends_at, status, uid,
            meeting_mode, created_at, updated_at)
            VALUES (7, 1, 'giulia', '2026-11-25T09:00', '2026-11-25T09:45', 'booked', 'u7',
                    'api', 'x', 'x');
        INSERT INTO workshops (id, code, title, description, starts_at, duration_minutes,
            capacity, audience, created_by, created_at)
            VALUES (3, 'abc234', 'CV', '', '2026-12-02T09:00', 90, 5, '{}', 's', 'x');
        INSERT INTO broadcasts (id, kind, workshop_id, audience, created_by, created_at, status,
            total) VALUES (5, 'workshop', 3, '{}', 's', 'x', 'sending', 1);
        INSERT INTO outbox (id, kind, person_id, operator_id, booking_id, payload, due_at,
            status, attempts, last_error, created_at, broadcast_id, workshop_id) VALUES
            (30, 'reminder', 1, NULL, 7, '{"sequence": 0}', 'd', 'sent', 1, NULL, 'c', NULL, NULL),
            (31, 'workshop_invitation', 1, NULL, NULL, '{}', 'd', 'pending', 0, NULL, 'c', 5, 3),
            (32, 'resend', 1, NULL, NULL, '{}', 'd', 'pending', 0, NULL, 'c', NULL, NULL),
            (33, 'digest', NULL, 'giulia', NULL, '{}', 'd', 'no_template', 2, 'why', 'c',
             NULL, NULL);
        INSERT INTO deliveries (provider_id, outbox_id, channel, status, created_at, updated_at)
            VALUES ('SM1', 30, 'whatsapp', 'sent', 'x', 'x'), ('SM2', NULL, 'whatsapp', 'read',
                    'x', 'x');
        """
    )
    conn.close()


async def migrated(tmp_path: Path) -> sqlite3.Connection:
    path = tmp_path / "old.db"
    database_before_it(path)
    database = await Database.open(path)
    await database.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


async def test_the_rebuild_keeps_every_row_link_and_index(tmp_path: Path) -> None:
    conn = await migrated(tmp_path)
    rows = conn.execute(
        "SELECT id, kind, person_id, operator_id, booking_id, payload, status, attempts, "
        "last_error, broadcast_id, workshop_id FROM outbox ORDER BY id"
    ).fetchall()
    assert rows == [
        (30, "reminder", 1, None, 7, '{"sequence": 0}', "sent", 1, None, None, None),
        (31, "workshop_invitation", 1, None, None, "{}", "pending", 0, None, 5, 3),
        (32, "resend", 1, None, None, "{}", "pending", 0, None, None, None),
        (33, "digest", None, "giulia", None, "{}", "no_template", 2, "why", None, None),
    ]
    links = conn.execute("SELECT provider_id, outbox_id FROM deliveries ORDER BY 1").fetchall()
    assert links == [("SM1", 30), ("SM2", None)]
    indexes = {r[1] for r in conn.execute("PRAGMA index_list(outbox)")}
    expected = {"outbox_due", "outbox_booking", "outbox_broadcast", "outbox_workshop"}
    assert expected | {"outbox_reply_due"} <= indexes
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # The deliveries still point at the new table, and its cascades still work.
    conn.execute("DELETE FROM outbox WHERE id = 30")
    assert conn.execute("SELECT outbox_id FROM deliveries ORDER BY 1").fetchall() == [
        (None,),
        (None,),
    ]
    conn.execute("DELETE FROM workshops WHERE id = 3")
    assert [r[0] for r in conn.execute("SELECT id FROM outbox ORDER BY id")] == [32, 33]


async def test_every_kind_and_state_the_code_knows_is_accepted_and_nothing_else(
    tmp_path: Path,
) -> None:
    conn = await migrated(tmp_path)
    insert = (
        "INSERT INTO outbox (kind, status, operator_id, due_at, created_at) "
        "VALUES (?, ?, 'op', 'd', 'c')"
    )
    for kind in OutboxKind:
        for status in OutboxStatus:
            conn.execute(insert, (kind, status))
    for unknown in (("sms", "pending"), ("reminder", "lost")):
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            conn.execute(insert, unknown)
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        conn.execute("UPDATE outbox SET status = 'queued' WHERE id = 30")
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'outbox'").fetchone()[0]
    assert checked_values(sql, "kind") == set(OutboxKind)
    assert checked_values(sql, "status") == set(OutboxStatus)
