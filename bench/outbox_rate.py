"""The outbox at Telegram's rate limit.

N reminders are due at once; the dispatcher sends them through the real python-telegram-bot
client to the fake Bot API, which enforces 30 messages a second and answers 429 beyond it.
Figures: achieved rate as a share of the limit, 429s received, messages lost and duplicated.
Side by side, the baseline: a bare loop of `Bot.send_message` paced by the same limiter,
with no database and no rendering.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from telegram import Bot

from bench.common import Result, write_bench_config
from bot.app import App, build_app
from bot.clock import SystemClock
from bot.domain import Channel
from bot.handlers.telegram import TelegramSender
from bot.ratelimit import RateLimiter
from bot.settings import load_settings
from tests.fakes.telegram_api import FakeTelegram

LIMIT = 30.0
FIRST_CHAT = 20_000_000


async def run(rows: int = 10_000, baseline_messages: int = 600, limit: float = LIMIT) -> Result:
    from bot.cli import TELEGRAM_MESSAGES_PER_SECOND

    pace = TELEGRAM_MESSAGES_PER_SECOND * limit / LIMIT
    result = Result("outbox at the Telegram rate limit")
    with tempfile.TemporaryDirectory() as folder:
        config = write_bench_config(Path(folder))
        settings = load_settings(
            environ={"SPORTELLO_DATABASE": f"{folder}/outbox.db", "SPORTELLO_CONFIG": str(config)},
            dotenv=None,
        )
        app = await build_app(settings, SystemClock())
        try:
            await _seed(app, rows)
            async with FakeTelegram(global_rate=limit) as fake:
                bot = Bot(fake.token, base_url=f"{fake.url}/bot")
                async with bot:
                    dispatcher = app.dispatcher(
                        {Channel.TELEGRAM: TelegramSender(bot)},
                        {Channel.TELEGRAM: RateLimiter(pace)},
                    )
                    started = time.perf_counter()
                    while await dispatcher.tick():
                        pass
                    elapsed = time.perf_counter() - started
                    sent = Counter(
                        int(c.params["chat_id"])
                        for c in fake.calls
                        if c.method == "sendMessage" and c.ok
                    )
                    throttled_main = fake.throttled
                    baseline_rate = await _baseline(bot, fake, baseline_messages, pace)
            async with app.db.read() as tx:
                counts = await tx.outbox.counts()
        finally:
            await app.close()
    rate = sum(sent.values()) / elapsed
    lost = rows - len(sent)
    duplicated = sum(n - 1 for n in sent.values())
    result.add("rows due", rows, "")
    result.add("achieved rate", rate, "msg/s")
    # Speed is judged only at the platform's real limit; smoke runs check the invariants.
    at_real_limit = limit == LIMIT
    result.add(
        "rate / limit", rate / limit, "", ">= 0.95", rate / limit >= 0.95 if at_real_limit else None
    )
    result.add("baseline rate / limit", baseline_rate / limit, "")
    result.add("rate ratio bot/baseline", rate / baseline_rate if baseline_rate else 0, "x")
    result.add(
        "429 received",
        throttled_main,
        "",
        "<= 1% of sends",
        throttled_main <= rows / 100 if at_real_limit else None,
    )
    result.add("lost", lost, "", "0", lost == 0)
    result.add("duplicated", duplicated, "", "0", duplicated == 0)
    result.add("outbox rows sent", counts.get("sent", 0), "")
    return result


async def _seed(app: App, rows: int) -> None:
    """People with an appointment tomorrow and a reminder due now, one per chat."""
    clock = app.clock
    now = clock.now()
    starts = now + timedelta(days=1)
    async with app.db.write() as tx:
        for index in range(rows):
            person = await tx.people.create(Channel.TELEGRAM, str(FIRST_CHAT + index), now, "it")
            booking = await tx.bookings.create(
                person_id=person.id,
                operator_id=f"op{index}",
                starts_at=starts,
                ends_at=starts + timedelta(minutes=45),
                meeting_mode="room",
                uid=f"bench-{index}",
                join_url="https://zoom.us/j/9",
                now=now,
            )
            assert booking is not None
            await tx.outbox.add(
                "reminder",
                now,
                now,
                person_id=person.id,
                booking_id=booking.id,
                not_after=starts,
                payload={"sequence": 0},
            )


async def _baseline(bot: Bot, fake: FakeTelegram, messages: int, pace: float) -> float:
    limiter = RateLimiter(pace)
    started = time.perf_counter()
    for index in range(messages):
        await limiter.wait()
        await bot.send_message(FIRST_CHAT + index, "baseline")
    return messages / (time.perf_counter() - started)
