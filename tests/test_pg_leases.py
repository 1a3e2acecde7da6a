"""A row that waits in a process's queue past its lease is another process's to send: the
first one renews its lease before sending, and skips the row when it lost it. A 10,000-row
broadcast from two processes sent 200 messages twice before (one process had claimed far
more rows than it could send within the lease)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import asyncpg

from bench.outbox_rate import seed_broadcast
from bot.app import build_app
from bot.channels import Template, Unavailable
from bot.clock import ManualClock
from bot.domain import Channel, Reply
from scheduling.dispatcher import LEASE
from tests.conftest import make_settings

ROWS = 12


class Phone:
    """A sender that records each row it sends; with `hold`, it waits on its first send;
    with `then_down`, that first send ends as a platform that stopped answering."""

    def __init__(self, sent: Counter[int], hold: bool = False, then_down: bool = False) -> None:
        self.sent = sent
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.then_down = then_down
        if not hold:
            self.release.set()

    async def send(
        self,
        external_id: str,
        replies: Sequence[Reply],
        *,
        template: Template | None = None,
        outbox_id: int | None = None,
    ) -> None:
        self.started.set()
        await self.release.wait()
        if self.then_down:
            raise Unavailable("timed out")
        assert outbox_id is not None
        self.sent[outbox_id] += 1


async def unlocked(url: str) -> None:
    """Until the first process's claim has committed (its connection may still be finishing
    it when the first send starts): no outbox row left locked."""
    conn = await asyncpg.connect(url)
    try:
        while True:
            async with conn.transaction():
                free = await conn.fetchval(
                    "SELECT COUNT(*) FROM (SELECT id FROM outbox FOR UPDATE SKIP LOCKED) AS f"
                )
            if free == ROWS:
                return
            await asyncio.sleep(0.01)
    finally:
        await conn.close()


async def test_a_row_whose_lease_ran_out_in_the_queue_is_sent_by_one_process(
    pg_url: str, clock: ManualClock
) -> None:
    settings = make_settings(Path("unused.db"), SPORTELLO_DATABASE=pg_url)
    first, second = await build_app(settings, clock), await build_app(settings, clock)
    try:
        await seed_broadcast(first, ROWS)
        by_first, by_second = Counter[int](), Counter[int]()
        slow = Phone(by_first, hold=True)
        # Only the Telegram lane (tick() would run the Zoom lane too, which claims on its own
        # schedule): the first process holds every row, and sends the first.
        lane = first.dispatcher({Channel.TELEGRAM: slow}, {}).tick_lane(Channel.TELEGRAM.value)
        first_sending = asyncio.create_task(lane)
        await slow.started.wait()
        await unlocked(pg_url)
        clock.advance(LEASE + timedelta(seconds=1))
        await second.dispatcher({Channel.TELEGRAM: Phone(by_second)}, {}).tick()
        slow.release.set()
        await first_sending
    finally:
        await first.close()
        await second.close()
    # The second process took over every row once the leases ended; the first then sent
    # only the one already on the wire when its lease ran out (at-least-once, as a kill).
    assert len(by_second) == ROWS
    assert sum(by_first.values()) == 1
    assert set(by_first) <= set(by_second)
    assert max((by_first + by_second).values()) <= 2


async def test_rows_sent_by_another_process_are_not_put_back_when_the_first_finds_the_platform_down(
    pg_url: str, clock: ManualClock
) -> None:
    """The first process's lane waits on a platform past the lease; the second sends every
    row. When the first then gives up on the platform, the rows it never tried are the
    second's, already sent: putting them back to pending would send them all again."""
    settings = make_settings(Path("unused.db"), SPORTELLO_DATABASE=pg_url)
    first, second = await build_app(settings, clock), await build_app(settings, clock)
    try:
        await seed_broadcast(first, ROWS)
        by_second = Counter[int]()
        down = Phone(Counter[int](), hold=True, then_down=True)
        lane = first.dispatcher({Channel.TELEGRAM: down}, {}).tick_lane(Channel.TELEGRAM.value)
        first_sending = asyncio.create_task(lane)
        await down.started.wait()
        await unlocked(pg_url)
        clock.advance(LEASE + timedelta(seconds=1))
        again = second.dispatcher({Channel.TELEGRAM: Phone(by_second)}, {})
        await again.tick()
        down.release.set()
        await first_sending
        clock.advance(timedelta(hours=1))
        await again.tick()
        async with second.db.read() as tx:
            left = await tx.outbox.listing(("pending", "sending", "failed"))
    finally:
        await first.close()
        await second.close()
    assert len(by_second) == ROWS
    assert max(by_second.values()) == 1
    assert [item.id for item in left] == []
