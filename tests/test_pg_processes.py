"""Several processes on one PostgreSQL database. Each `PgDatabase` here has its own pool and
connections, as a separate process would: outbox rows are claimed once, a person's turns
wait for each other, a lost constraint race leaves the transaction usable, one process is the
leader and another takes over when it goes, and the sending pace is shared."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import build_app
from bot.clock import ManualClock
from bot.domain import MeetingMode, OutboxKind
from storage.pg_db import PgDatabase
from tests.chat import Chat
from tests.conftest import make_settings
from tests.pg_server import Server

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
async def two(pg_url: str) -> AsyncIterator[tuple[PgDatabase, PgDatabase]]:
    first = await PgDatabase.connect(pg_url)
    second = await PgDatabase.connect(pg_url)
    yield first, second
    await first.close()
    await second.close()


async def _person(db: PgDatabase, who: str) -> int:
    from bot.domain import Channel

    async with db.write() as tx:
        return (await tx.people.create(Channel.TELEGRAM, who, NOW, "it")).id


async def test_outbox_rows_are_claimed_by_one_process_only(
    two: tuple[PgDatabase, PgDatabase],
) -> None:
    first, second = two
    person = await _person(first, "anna")
    async with first.write() as tx:
        for _ in range(300):
            await tx.outbox.add(OutboxKind.REMINDER, NOW, NOW, person_id=person)

    async def claim_all(db: PgDatabase) -> list[int]:
        claimed: list[int] = []
        while True:
            async with db.write() as tx:
                items = await tx.outbox.claim_due(NOW, 7, timedelta(minutes=5))
            if not items:
                return claimed
            claimed += [item.id for item in items]
            await asyncio.sleep(0)

    got = await asyncio.gather(claim_all(first), claim_all(second), claim_all(first))
    every = [row for rows in got for row in rows]
    assert len(every) == 300
    assert len(set(every)) == 300, "a row was claimed twice"


async def test_a_persons_turns_wait_for_each_other(two: tuple[PgDatabase, PgDatabase]) -> None:
    first, second = two
    order: list[str] = []
    holding = asyncio.Event()
    release = asyncio.Event()

    async def turn_one() -> None:
        async with first.write() as tx:
            await tx.locks.person("telegram", "anna")
            holding.set()
            await release.wait()
            order.append("first done")

    async def turn_two() -> None:
        await holding.wait()
        async with second.write() as tx:
            await tx.locks.person("telegram", "anna")
            order.append("second in")

    async def someone_else() -> None:
        await holding.wait()
        async with second.write() as tx:
            await tx.locks.person("telegram", "bruno")
            order.append("bruno in")

    tasks = [asyncio.create_task(t()) for t in (turn_one, turn_two, someone_else)]
    await holding.wait()
    # The server itself says when the second turn waits on the advisory lock.
    for _ in range(500):
        async with first.connection() as conn:
            waiting = await conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            )
        if waiting and "bruno in" in order:
            break
        await asyncio.sleep(0.02)
    assert order == ["bruno in"], "another person does not wait; the same person does"
    release.set()
    await asyncio.gather(*tasks)
    assert order == ["bruno in", "first done", "second in"]


async def test_a_lost_slot_race_leaves_the_transaction_usable(
    two: tuple[PgDatabase, PgDatabase],
) -> None:
    first, second = two
    people = [await _person(first, f"p{i}") for i in range(2)]
    start = NOW + timedelta(days=1)

    async def book(db: PgDatabase, person: int) -> bool:
        async with db.write() as tx:
            booking = await tx.bookings.create(
                person_id=person,
                operator_id="op",
                starts_at=start,
                ends_at=start + timedelta(minutes=30),
                meeting_mode=MeetingMode.ROOM,
                uid=f"uid-{person}",
                now=NOW,
            )
            # After a refusal the transaction goes on (a savepoint took the failure).
            await tx.waitlist.join(person, NOW)
        return booking is not None

    won = await asyncio.gather(book(first, people[0]), book(second, people[1]))
    assert sorted(won) == [False, True]
    async with first.read() as tx:
        assert all([await tx.waitlist.contains(p) for p in people])


async def test_one_leader_and_a_takeover_when_it_goes(pg_url: str) -> None:
    first = await PgDatabase.connect(pg_url)
    second = await PgDatabase.connect(pg_url)
    try:
        assert await first.is_leader()
        assert not await second.is_leader()
        assert await first.is_leader(), "the leader stays the leader"
        await first.close()
        assert await second.is_leader()
    finally:
        await first.close()
        await second.close()


async def test_the_sending_pace_is_shared_by_the_processes(pg_url: str) -> None:
    first = await PgDatabase.connect(pg_url)
    second = await PgDatabase.connect(pg_url)
    try:
        assert await first.senders() == 1
        assert await second.senders() == 2
        assert await first.senders() == 2
        await second.close()
        assert await first.senders() == 1
    finally:
        await first.close()
        await second.close()


async def test_the_bot_carries_on_after_postgresql_restarts(
    pg_server: Server, pg_url: str, clock: ManualClock
) -> None:
    settings = make_settings(Path("unused.db"), SPORTELLO_DATABASE=pg_url)
    app = await build_app(settings, clock)
    try:
        chat = Chat(app.engine, "anna", language="en")
        await chat.send("/start")
        asked = chat.question.text
        await asyncio.to_thread(pg_server.restart)
        # The pool drops the cut connections and opens new ones: at worst one kind apology.
        for _ in range(2):
            await chat.send("/start")
        assert chat.question.text == asked
        async with app.db.read() as tx:
            assert await tx.people.by_identity(chat.channel, "anna") is not None
    finally:
        await app.close()
