"""A broadcast at Telegram's rate limit from two apps on one PostgreSQL database, each with
its own pool and dispatcher (what two processes would run). Each keeps to half the pace
(`db.senders()` counts both), the fake Bot API enforces the limit for the bot as a whole.
Figures: the combined rate as a share of the limit, 429s, messages lost and duplicated."""

from __future__ import annotations

import asyncio
import tempfile
from collections import Counter
from pathlib import Path

from telegram import Bot

from bench.common import Result, write_bench_config
from bench.outbox_rate import LIMIT, seed_broadcast
from bot.app import App, build_app
from bot.clock import SystemClock
from bot.domain import Channel
from bot.handlers.telegram import TelegramSender
from bot.ratelimit import RateLimiter
from bot.settings_loading import load_settings
from tests.fakes.telegram_api import FakeTelegram


async def run(rows: int = 10_000, limit: float = LIMIT, url: str | None = None) -> Result:
    """On the empty database at `url`, or on a throwaway server's."""
    from tests.pg_server import start_server

    if url is not None:
        return await _run_on(url, rows, limit)
    server = await asyncio.to_thread(start_server)
    try:
        return await _run_on(await server.new_database(), rows, limit)
    finally:
        await asyncio.to_thread(server.stop)


async def _send_all(app: App, bot: Bot, pace: float) -> None:
    dispatcher = app.dispatcher(
        {Channel.TELEGRAM: TelegramSender(bot)}, {Channel.TELEGRAM: RateLimiter(pace)}
    )
    idle = 0
    while idle < 3:  # the other app may still hold rows under lease
        idle = 0 if await dispatcher.tick() else idle + 1
        if idle:
            await asyncio.sleep(0.2)


async def _run_on(url: str, rows: int, limit: float) -> Result:
    from bot.run_cli import TELEGRAM_MESSAGES_PER_SECOND

    pace = TELEGRAM_MESSAGES_PER_SECOND * limit / LIMIT
    result = Result("broadcast, PostgreSQL, 2 apps at the Telegram rate limit")
    with tempfile.TemporaryDirectory() as folder:
        config = write_bench_config(Path(folder))
        settings = load_settings(
            environ={"SPORTELLO_DATABASE": url, "SPORTELLO_CONFIG": str(config)}, dotenv=None
        )
    apps = [await build_app(settings, SystemClock()) for _ in range(2)]
    try:
        await seed_broadcast(apps[0], rows)
        for app in apps:
            await app.db.senders()  # both present before the first tick
        async with FakeTelegram(global_rate=limit) as fake:
            bot = Bot(fake.token, base_url=f"{fake.url}/bot")
            async with bot:
                await asyncio.gather(*(_send_all(app, bot, pace) for app in apps))
                sends = [c for c in fake.calls if c.method == "sendMessage" and c.ok]
                # From the first send to the last: the apps' idle polls at the end do not count.
                stamps = [c.timestamp for c in sends]
                elapsed = max(stamps) - min(stamps) if len(stamps) > 1 else 1.0
                sent = Counter(int(c.params["chat_id"]) for c in sends)
                throttled = fake.throttled
        async with apps[0].db.read() as tx:
            counts = await tx.outbox.counts()
    finally:
        for app in apps:
            await app.close()
    rate = (sum(sent.values()) - 1) / elapsed
    at_real_limit = limit == LIMIT
    result.add("rows due", rows, "")
    result.add("achieved rate", rate, "msg/s")
    result.add(
        "rate / limit", rate / limit, "", ">= 0.95", rate / limit >= 0.95 if at_real_limit else None
    )
    result.add("429 received", throttled, "")
    result.add("lost", rows - len(sent), "", "0", rows == len(sent))
    duplicated = sum(n - 1 for n in sent.values())
    result.add("duplicated", duplicated, "", "0", duplicated == 0)
    result.add("outbox rows sent", counts.get("sent", 0), "")
    return result
