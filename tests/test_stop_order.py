"""What a clean stop waits for, deterministically (events, not sleeps): the scheduler's running
jobs finish before the database closes, and the delivered marks queued or being written when
the engine closes are all written. (The retry of an event a killed process handled, which used
to leave a reply-due row after a clean stop, is in tests/test_replies_due.py.)"""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from bot.app import App
from bot.domain import Channel, Inbound, InboundKind
from bot.flows import delivered
from scheduling.scheduler import Schedule


async def test_stop_lets_a_running_job_finish() -> None:
    schedule = Schedule()
    started, release, finished = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def job() -> None:
        started.set()
        await release.wait()
        finished.set()

    schedule.scheduler.add_job(schedule.tracked(job), next_run_time=datetime.now().astimezone())
    schedule.start()
    await started.wait()
    stopping = asyncio.create_task(schedule.stop())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert not stopping.done()  # waiting for the job, not cancelling it
    release.set()
    await stopping
    assert finished.is_set()


async def test_stop_cancels_a_job_still_running_after_the_grace() -> None:
    schedule = Schedule()
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def job() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    schedule.scheduler.add_job(schedule.tracked(job), next_run_time=datetime.now().astimezone())
    schedule.start()
    await started.wait()
    await schedule.stop(grace=0)
    await cancelled.wait()


def telegram(who: str, key: str) -> Inbound:
    return Inbound(Channel.TELEGRAM, who, InboundKind.TEXT, text="/start", dedupe_key=key)


async def pending_resends(app: App) -> int:
    async with app.db.read() as tx:
        return sum(i.kind == "resend" for i in await tx.outbox.listing(("pending",)))


async def test_closing_while_a_flush_waits_for_the_database_writes_every_mark(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivered, "FLUSH_EVERY", 0)
    first = await app.engine.handle(telegram("31", "telegram:31"))
    second = await app.engine.handle(telegram("32", "telegram:32"))
    assert await pending_resends(app) == 2
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold_the_database() -> None:
        async with app.db.write():
            holding.set()
            await release.wait()

    holder = asyncio.create_task(hold_the_database())
    await holding.wait()
    app.engine.answers_delivered(first)  # its timer's flush now waits for the database
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    closing = asyncio.create_task(app.engine.close())
    await asyncio.sleep(0)
    app.engine.answers_delivered(second)  # an answer that went out while closing
    release.set()
    await holder
    await closing
    assert await pending_resends(app) == 0
