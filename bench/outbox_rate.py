"""A broadcast through the outbox at Telegram's rate limit.

N people opted in to news; staff send a workshop invitation to all of them. The dispatcher
renders each invitation (a turn of that person's conversation) and sends it through the real
python-telegram-bot client to the fake Bot API, which enforces 30 messages a second and
answers 429 beyond it. Figures: achieved rate as a share of the limit, 429s received,
messages lost and duplicated, peak memory of this process. Side by side, the baseline: a bare
loop of `Bot.send_message` paced by the same limiter, with no database and no rendering.
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
from bot.settings_loading import load_settings
from tests.fakes.telegram_api import FakeTelegram

LIMIT = 30.0
FIRST_CHAT = 20_000_000


async def run(rows: int = 10_000, baseline_messages: int = 600, limit: float = LIMIT) -> Result:
    from bot.run_cli import TELEGRAM_MESSAGES_PER_SECOND

    pace = TELEGRAM_MESSAGES_PER_SECOND * limit / LIMIT
    result = Result("broadcast through the outbox at the Telegram rate limit")
    with tempfile.TemporaryDirectory() as folder:
        config = write_bench_config(Path(folder))
        settings = load_settings(
            environ={"SPORTELLO_DATABASE": f"{folder}/outbox.db", "SPORTELLO_CONFIG": str(config)},
            dotenv=None,
        )
        app = await build_app(settings, SystemClock())
        try:
            await seed_broadcast(app, rows)
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
    result.add("peak memory (RSS)", peak_rss_mb(), "MB")
    return result


def peak_rss_mb() -> float:
    import resource

    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def seed_broadcast(app: App, rows: int) -> None:
    """People who opted in to news, and staff sending them a workshop invitation."""
    from bot.capabilities.broadcasts import start_broadcast
    from bot.domain import Audience, BroadcastKind

    now = app.clock.now()
    async with app.db.write() as tx:
        for index in range(rows):
            person = await tx.people.create(Channel.TELEGRAM, str(FIRST_CHAT + index), now, "it")
            await tx.consents.record(person.id, "notice", "2026-12-02", True, now)
            await tx.consents.record(person.id, "announcements", "2026-12-02", True, now)
            await tx.answers.save(person.id, "name", f"Persona {index}", now)
        workshop = await tx.workshops.create(
            code="bench1",
            title="CV clinic",
            description="Porta il tuo CV: lo miglioriamo insieme.",
            starts_at=now + timedelta(days=7),
            duration_minutes=90,
            place="Sala Staffetti, Lucca",
            online_url=None,
            capacity=50,
            audience=Audience(),
            created_by="bench",
            now=now,
        )
        broadcast = await tx.broadcasts.create(
            kind=BroadcastKind.WORKSHOP,
            workshop_id=workshop.id,
            text=None,
            audience=Audience(),
            created_by="bench",
            now=now,
        )
        sent = await start_broadcast(tx, broadcast, now)
        assert sent.recipients == rows


async def _baseline(bot: Bot, fake: FakeTelegram, messages: int, pace: float) -> float:
    limiter = RateLimiter(pace)
    started = time.perf_counter()
    for index in range(messages):
        await limiter.wait()
        await bot.send_message(FIRST_CHAT + index, "baseline")
    return messages / (time.perf_counter() - started)
