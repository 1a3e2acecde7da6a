"""Many people tapping the same few free times at once.

500 people stand at the "which time?" question of the same Tuesday, which has 20 free
15-minute slots, and all tap a time at the same instant. Exactly 20 must be booked, nobody
may get an error. Side by side, the baseline: the same 500 attempts as bare booking inserts
through the repository, without the conversation around them.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench.common import Result, percentile, write_bench_config
from bot.app import build_app
from bot.clock import ROME, ManualClock
from bot.domain import Channel, Conversation, Inbound, InboundKind, MeetingMode
from bot.settings_loading import load_settings

DAY = datetime(2026, 12, 1, tzinfo=ROME)  # a Tuesday
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=ROME)
APOLOGY = "something went wrong"


def slot_times() -> list[str]:
    return [f"{9 + (m // 60):02d}{m % 60:02d}" for m in range(0, 300, 15)]


async def run(people: int = 500, seed: int = 7) -> Result:
    result = Result("booking race")
    with tempfile.TemporaryDirectory() as folder:
        config = write_bench_config(Path(folder))
        settings = load_settings(
            environ={"SPORTELLO_DATABASE": f"{folder}/race.db", "SPORTELLO_CONFIG": str(config)},
            dotenv=None,
        )
        app = await build_app(settings, ManualClock(NOW))
        try:
            await _seed(app, people)
            rng = random.Random(seed)
            times = slot_times()
            latencies: list[float] = []
            apologies = 0

            async def tap(index: int) -> None:
                """Tap a random time; if it was taken, tap the first time still offered,
                as a person would, until booked or nothing is left."""
                nonlocal apologies
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
            async with app.db.read() as tx:
                booked = await tx.bookings.between(DAY, DAY.replace(hour=23))
            baseline = await _baseline(app, people, rng)
        finally:
            await app.close()
    result.add("people", people, "")
    result.add("taps", len(latencies), "")
    result.add("bookings made", len(booked), "", "exactly 20", len(booked) == len(slot_times()))
    result.add("errors", apologies, "", "0", apologies == 0)
    p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
    b50, b99 = percentile(baseline, 50) * 1000, percentile(baseline, 99) * 1000
    result.add("booking latency p50", p50, "ms")
    result.add("booking latency p99", p99, "ms")
    result.add("baseline insert p50", b50, "ms")
    result.add("baseline insert p99", b99, "ms")
    result.add("p99 ratio bot/baseline", p99 / b99 if b99 else 0.0, "x")
    return result


async def _seed(app: object, people: int) -> None:
    """People who finished the intake and stand at the time question of DAY (seq 5)."""
    from bot.app import App

    assert isinstance(app, App)
    async with app.db.write() as tx:
        for index in range(people):
            person = await tx.people.create(Channel.TELEGRAM, f"race{index}", NOW, "it")
            await tx.consents.record(person.id, "notice", "2026-12-02", True, NOW)
            await tx.answers.save(person.id, "name", f"Persona {index}", NOW)
            await tx.people.confirm_intake(person.id, NOW)
            conversation = Conversation(
                step="pick_time", seq=5, data={"day": DAY.strftime("%Y%m%d"), "mode": "new"}
            )
            await tx.conversations.save(person.id, conversation, NOW)


async def _baseline(app: object, people: int, rng: random.Random) -> list[float]:
    """The same number of attempts on the same 20 slots, as bare repository inserts."""
    from bot.app import App

    assert isinstance(app, App)
    latencies: list[float] = []
    times = slot_times()

    async def insert(index: int) -> None:
        hhmm = rng.choice(times)
        starts = DAY.replace(hour=int(hhmm[:2]), minute=int(hhmm[2:]))
        started = time.perf_counter()
        async with app.db.write() as tx:
            person = await tx.people.by_identity(Channel.TELEGRAM, f"race{index}")
            assert person is not None
            await tx.bookings.create(
                person_id=person.id,
                operator_id="baseline",
                starts_at=starts,
                ends_at=starts,
                meeting_mode=MeetingMode.ROOM,
                uid=f"baseline-{index}",
                now=NOW,
            )
        latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(insert(i) for i in range(people)))
    return latencies
