"""The bot on a big database: start-up, memory, and whether the cost of an update grows.

A database is seeded through the repositories (their SQL run inline on a plain sqlite3
connection, see _DirectConnection), in transactions of a few thousand rows, with
people who finished the intake (identity, privacy consent, the typical intake's answers, their
conversation) and past appointments (status "attended", spread over the demo operators). The
answers are those a real intake stores: one intake is run through the engine first and copied.

Then `python -m bot run` serves it in its own process: the time from spawning it to its first
reply (Telegram long polling, and WhatsApp webhooks), its peak RSS while 50 new people do the
intake at once over WhatsApp (signed webhook posts, replies at a fake Twilio: WhatsApp rather
than Telegram because the bot's Telegram client keeps to 30 API calls a second, which would make
this run take minutes without telling more about the database), and its CPU per update. The
same load on a database of 1,000 people says whether the per-update cost stays flat.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, cast

from bench.common import Result
from bench.conversation import FIRST_PERSON, TelegramPeople, bot_answers
from bench.load import Load
from bench.processes import CONFIG, bot_args, bot_env, spawn
from bench.whatsapp_load import whatsapp_load
from bot.app import App, build_app
from bot.clock import SystemClock
from bot.domain import JSON, BookingStatus, Channel, Conversation, MeetingMode
from bot.settings_loading import load_settings
from storage.db import InlineConnection
from storage.session import Session

if TYPE_CHECKING:
    import aiosqlite

BATCH = 2_000
"""People (or bookings) per seeding transaction."""
BOOKINGS_PER_PERSON = 4
OPERATORS = ("giulia", "marco")
FIRST_SEEDED = 50_000_000
"""Telegram ids of seeded people (the load uses other ids and numbers)."""


@dataclass
class Template:
    """What one finished intake stored, to be copied for every seeded person."""

    answers: dict[str, JSON]
    conversation: Conversation
    notice_version: str


async def seed(database: Path, people: int, bookings: int) -> float:
    """Seed ``database``; returns the seconds it took."""
    started = time.perf_counter()
    settings = load_settings(
        environ={"SPORTELLO_DATABASE": str(database), "SPORTELLO_CONFIG": str(CONFIG)},
        dotenv=None,
    )
    app = await build_app(settings, SystemClock())  # the schema, and one real intake
    try:
        template = await _template(app)
        now = app.clock.now()
    finally:
        await app.close()
    with _direct(database) as (conn, tx):
        for first in range(0, people, BATCH):
            conn.execute("BEGIN IMMEDIATE")
            for index in range(first, min(first + BATCH, people)):
                # Seen over the last ten months: nobody is due for the retention erasure.
                seen = now - timedelta(minutes=index * 7 % (300 * 24 * 60))
                channel, external = _identity(index)
                person = await tx.people.create(channel, external, seen, "it")
                await tx.consents.record(person.id, "notice", template.notice_version, True, seen)
                if index % 2:
                    await tx.consents.record(
                        person.id, "announcements", template.notice_version, True, seen
                    )
                for question, value in template.answers.items():
                    await tx.answers.save(person.id, question, value, seen)
                await tx.conversations.save(person.id, template.conversation, seen)
                await tx.people.confirm_intake(person.id, seen)
            conn.execute("COMMIT")
        await _seed_bookings(conn, tx, people, bookings, now)
    return time.perf_counter() - started


def _identity(index: int) -> tuple[Channel, str]:
    if index % 3 == 2:
        return Channel.WHATSAPP, f"+39340{index:07d}"
    return Channel.TELEGRAM, str(FIRST_SEEDED + index)


async def _template(app: App) -> Template:
    from tests.chat import Chat, complete_intake

    chat = Chat(app.engine, "template", language="it")
    await complete_intake(chat)
    async with app.db.read() as tx:
        person = await tx.people.by_identity(Channel.TELEGRAM, "template")
        assert person is not None
        answers = await tx.answers.all(person.id)
        conversation = await tx.conversations.load(person.id)
        consents = await tx.consents.history(person.id)
    assert conversation is not None
    assert consents
    return Template(answers, conversation, consents[0].version)


async def _seed_bookings(
    conn: sqlite3.Connection, tx: Session, people: int, bookings: int, now: datetime
) -> None:
    """Past appointments, attended: each operator's hours going back from yesterday."""
    slots = itertools.count()
    person_ids: list[int] = []
    for index in range(min(people, bookings)):
        channel, external = _identity(index)
        found = await tx.people.by_identity(channel, external)
        assert found is not None
        person_ids.append(found.id)
    for first in range(0, bookings, BATCH):
        conn.execute("BEGIN IMMEDIATE")
        for number in range(first, min(first + BATCH, bookings)):
            slot = next(slots)
            starts = now - timedelta(days=1, hours=slot // len(OPERATORS))
            created = await tx.bookings.create(
                person_id=person_ids[number % len(person_ids)],
                operator_id=OPERATORS[slot % len(OPERATORS)],
                starts_at=starts,
                ends_at=starts + timedelta(minutes=45),
                meeting_mode=MeetingMode.ROOM,
                uid=f"seed-{number}@bench",
                now=starts - timedelta(days=3),
                status=BookingStatus.ATTENDED,
            )
            assert created is not None
        conn.execute("COMMIT")


@contextlib.contextmanager
def _direct(database: Path) -> Iterator[tuple[sqlite3.Connection, Session]]:
    conn = sqlite3.connect(database, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        for pragma in ("foreign_keys = ON", "synchronous = NORMAL", "cache_size = -65536"):
            conn.execute(f"PRAGMA {pragma}")
        # The repositories' own SQL, inline: without a thread round trip per statement seeding
        # 50,000 people took minutes.
        yield conn, Session(cast("aiosqlite.Connection", InlineConnection(conn)))
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


async def telegram_first_reply(folder: Path, database: Path) -> float:
    """Seconds from spawning `python -m bot run` (long polling) to its first reply."""
    from tests.fakes.telegram_api import FakeTelegram

    async with FakeTelegram() as fake:
        env = bot_env(database, TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_URL=fake.url)
        phones = TelegramPeople(fake, bot_answers)
        async with phones.watching():
            child = await spawn("scale-telegram", bot_args(folder), env, folder)
            try:
                return await phones.first_start(child, FIRST_PERSON - 1)
            finally:
                await child.stop()


async def run(
    people: int = 50_000,
    bookings: int = 200_000,
    small: int = 1_000,
    concurrent: int = 50,
    *,
    rounds: int = 2,
    smoke: bool = False,
) -> Result:
    result = Result(f"big database: {people:,} people, {bookings:,} past bookings")
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        folder = Path(tmp)
        small_db, big_db = folder / "small.db", folder / "big.db"
        await seed(small_db, small, small * BOOKINGS_PER_PERSON)
        seconds = await seed(big_db, people, bookings)
        size_mb = big_db.stat().st_size / 2**20
        os.sync()  # the seeding's writes go to disk now, not during the measured loads
        # Alternate the two databases and keep each one's cheapest round: CPU per update
        # varies by 10-20% from run to run on a shared 2-core machine.
        runs: dict[Path, list[Load]] = {small_db: [], big_db: []}
        for round_ in range(rounds):
            for database in (small_db, big_db):
                name = f"scale-{database.stem}-{round_}"
                first = round_ * (concurrent + 1)
                runs[database].append(
                    await whatsapp_load(folder, name, concurrent, database=database, first=first)
                )
        small_load = min(runs[small_db], key=lambda load: load.cpu_ms)
        big_load = min(runs[big_db], key=lambda load: load.cpu_ms)
        loads = runs[small_db] + runs[big_db]
        telegram_start = await telegram_first_reply(folder, big_db)
    judge = None if smoke else True
    growth = big_load.cpu_ms / small_load.cpu_ms if small_load.cpu_ms else 0.0
    errors = sum(len(load.errors) for load in loads)
    for load in loads:
        for error in load.errors[:3]:
            print(f"  {result.scenario}: {error}", file=sys.stderr)
    # Each database holds one intake confirmed before the loads: the seeding's template.
    confirmed = min(runs[small_db][-1].confirmed, runs[big_db][-1].confirmed) - 1
    wanted = concurrent * rounds
    rss = max(load.peak_rss_mb for load in runs[big_db])
    whatsapp_start = max(load.first_reply for load in runs[big_db])
    result.add("database file", size_mb, "MB")
    result.add("seeding time", seconds, "s")
    result.add("people at once (WhatsApp)", concurrent, "")
    result.add("updates per database", big_load.updates, "")
    result.add("intakes confirmed per db", confirmed, "", f"{wanted}", confirmed == wanted)
    result.add("errors", errors, "", "0", errors == 0)
    result.add(
        "start→first reply Telegram", telegram_start, "s", "<= 2", judge and telegram_start <= 2
    )
    result.add(
        "start→first reply WhatsApp", whatsapp_start, "s", "<= 2", judge and whatsapp_start <= 2
    )
    result.add("peak RSS under load", rss, "MB", "<= 150", judge and rss <= 150)
    result.add(f"CPU/update, {small:,} people", small_load.cpu_ms, "ms")
    result.add(f"CPU/update, {people:,} people", big_load.cpu_ms, "ms")
    result.add("CPU/update growth big/small", growth, "x", "~1 (<= 1.25)", judge and growth <= 1.25)
    result.add("updates/s, small db", small_load.rate, "upd/s")
    result.add("updates/s, big db", big_load.rate, "upd/s")
    result.add("reply p99, small db", small_load.p(99), "ms")
    result.add("reply p99, big db", big_load.p(99), "ms")
    return result
