"""The booking race on PostgreSQL, across two apps: 500 people at the time question of the
same Tuesday (20 free slots), half of them served by one app and half by the other, each app
with its own connection pool (as two processes would have), all tapping at once. Exactly 20
must be booked and nobody may get an error. The server is a throwaway one (tests/pg_server.py).
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from pathlib import Path

from bench.booking_race import APOLOGY, DAY, NOW, _seed, slot_times
from bench.common import Result, percentile, write_bench_config
from bot.app import App, build_app
from bot.clock import ManualClock
from bot.domain import Channel, Inbound, InboundKind
from bot.settings_loading import load_settings


async def _race(apps: list[App], people: int, seed: int) -> tuple[list[float], int]:
    rng = random.Random(seed)
    times = slot_times()
    latencies: list[float] = []
    apologies = 0

    async def tap(index: int) -> None:
        nonlocal apologies
        app = apps[index % len(apps)]
        data = f"5:t.{rng.choice(times)}"
        for attempt in range(len(times) + 1):
            event = Inbound(
                Channel.TELEGRAM,
                f"race{index}",
                InboundKind.BUTTON,
                data=data,
                dedupe_key=f"race:{index}:{attempt}",
            )
            started = time.perf_counter()
            replies = await app.engine.handle(event)
            latencies.append(time.perf_counter() - started)
            apologies += any(APOLOGY in r.text for r in replies)
            offered = [
                (r.seq, o.id)
                for r in replies
                for o in r.options
                if o.id.startswith("t.") and r.seq is not None
            ]
            if not offered:
                return
            data = f"{offered[0][0]}:{offered[0][1]}"

    await asyncio.gather(*(tap(i) for i in range(people)))
    return latencies, apologies


async def run(people: int = 500, seed: int = 7, url: str | None = None) -> Result:
    """On the empty database at `url`, or on a throwaway server's."""
    from tests.pg_server import start_server

    if url is not None:
        return await _run_on(url, people, seed)
    server = await asyncio.to_thread(start_server)
    try:
        return await _run_on(await server.new_database(), people, seed)
    finally:
        await asyncio.to_thread(server.stop)


async def _run_on(url: str, people: int, seed: int) -> Result:
    result = Result("booking race, PostgreSQL, 2 apps")
    with tempfile.TemporaryDirectory() as folder:
        config = write_bench_config(Path(folder))
        settings = load_settings(
            environ={"SPORTELLO_DATABASE": url, "SPORTELLO_CONFIG": str(config)},
            dotenv=None,
        )
    apps = [await build_app(settings, ManualClock(NOW)) for _ in range(2)]
    try:
        await _seed(apps[0], people)
        latencies, apologies = await _race(apps, people, seed)
        async with apps[0].db.read() as tx:
            booked = await tx.bookings.between(DAY, DAY.replace(hour=23))
    finally:
        for app in apps:
            await app.close()
    result.add("people", people, "")
    result.add("taps", len(latencies), "")
    result.add("bookings made", len(booked), "", "exactly 20", len(booked) == len(slot_times()))
    result.add("errors", apologies, "", "0", apologies == 0)
    result.add("booking latency p50", percentile(latencies, 50) * 1000, "ms")
    result.add("booking latency p99", percentile(latencies, 99) * 1000, "ms")
    return result
