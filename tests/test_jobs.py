"""Housekeeping jobs, run at chosen moments with the manual clock."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.clock import ManualClock
from bot.domain import Channel
from scheduling import jobs
from tests.chat import Chat


async def test_old_event_keys_are_forgotten(app: App, chat: Chat, clock: ManualClock) -> None:
    await chat.send("/start")
    clock.advance(timedelta(days=8))
    assert await jobs.forget_old_events(app.db, clock) == 1
    assert await jobs.forget_old_events(app.db, clock) == 0


async def test_inactive_profiles_are_erased_after_the_retention(
    app: App, clock: ManualClock
) -> None:
    old, recent = Chat(app.engine, "old"), Chat(app.engine, "recent")
    await old.send("/start")
    await old.tap("notice.accept")
    await old.send("Ottavio")
    clock.advance(timedelta(days=300))
    await recent.send("/start")
    clock.advance(timedelta(days=70))
    assert await jobs.erase_inactive_people(app.db, clock, app.settings) == 1
    async with app.db.read() as tx:
        assert await tx.people.by_identity(Channel.TELEGRAM, "old") is None
        assert await tx.people.by_identity(Channel.TELEGRAM, "recent") is not None
