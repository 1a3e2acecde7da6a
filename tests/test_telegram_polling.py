"""Long polling confirms an update to Telegram (the next getUpdates' offset) only once its turn
is stored, so a `kill -9` between fetching and handling loses no message: Telegram delivers it
again. Against the fake Bot API on loopback; the moments are held with events, not timing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from bot.app import App, build_app
from bot.clock import ManualClock
from bot.domain import Inbound, Reply
from bot.handlers.telegram import build_application
from bot.handlers.telegram_poll import Poller
from bot.settings import Settings
from tests.fakes.telegram_api import FakeTelegram

USER = 5050


class Gate:
    """Holds every turn before it starts, until opened."""

    def __init__(self, handle: Callable[[Inbound], Any]) -> None:
        self.handle = handle
        self.reached = asyncio.Event()
        self.open = asyncio.Event()

    async def __call__(self, event: Inbound) -> list[Reply]:
        self.reached.set()
        await self.open.wait()
        replies: list[Reply] = await self.handle(event)
        return replies


async def pending_at_telegram(fake: FakeTelegram, poller: Poller) -> int:
    info = await poller.application.bot.get_webhook_info()
    return int(info.pending_update_count)


def polls(fake: FakeTelegram) -> list[int]:
    return [int(c.params.get("offset", 0)) for c in fake.calls if c.method == "getUpdates"]


@asynccontextmanager
async def polling(app: App, fake: FakeTelegram) -> AsyncIterator[Poller]:
    application = build_application(app.engine, fake.token, fake.url, rate_limit=False)
    async with application:
        await application.start()
        poller = Poller(application, timeout=1)
        poller.start()
        try:
            yield poller
        finally:
            await poller.stop()
            await application.stop()


async def test_an_update_is_confirmed_only_once_its_turn_is_stored(app: App) -> None:
    gate = Gate(app.engine.handle)
    app.engine.handle = gate  # type: ignore[method-assign]
    async with FakeTelegram() as fake, polling(app, fake) as poller:
        update_id = fake.send_text(USER, "/start", language_code="en")
        await gate.reached.wait()
        assert await pending_at_telegram(fake, poller) == 1
        assert max(polls(fake)) <= update_id  # no getUpdates has confirmed it
        gate.open.set()
        await fake.next_message(USER)
        await fake.wait_for(lambda calls: max(polls(fake)) == update_id + 1)
        assert await pending_at_telegram(fake, poller) == 0


async def test_a_kill_before_the_turn_is_stored_loses_nothing(
    settings: Settings, clock: ManualClock
) -> None:
    async with FakeTelegram() as fake:
        first = await build_app(settings, clock)
        gate = Gate(first.engine.handle)
        first.engine.handle = gate  # type: ignore[method-assign]
        application = build_application(first.engine, fake.token, fake.url, rate_limit=False)
        await application.initialize()
        poller = Poller(application, timeout=1)
        poller.start()
        fake.send_text(USER, "/start", language_code="en")
        await gate.reached.wait()
        # kill -9: the fetched update was never handled, nothing is stopped in order.
        assert poller._task is not None
        tasks = [poller._task, *poller._handling]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await application.shutdown()
        await first.close()
        assert fake.chats.get(USER) is None

        second = await build_app(settings, clock)
        try:
            async with polling(second, fake):
                message = await fake.next_message(USER)
            assert message["text"].startswith("Hello! 👋")
        finally:
            await second.close()


async def test_a_stop_confirms_what_it_handled(app: App) -> None:
    async with FakeTelegram() as fake:
        async with polling(app, fake):
            update_id = fake.send_text(USER, "/start", language_code="en")
            await fake.next_message(USER)
        assert polls(fake)[-1] == update_id + 1
        async with polling(app, fake) as again:
            assert await pending_at_telegram(fake, again) == 0
