"""A thousand people tapping "Partecipo" for 50 seats at the same instant: exactly 50 must
get a seat, nobody an error. Side by side, the baseline: the same taps as bare seat inserts."""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from bench.common import Result, percentile, write_bench_config
from bot.app import App, build_app
from bot.clock import ROME, ManualClock
from bot.domain import Audience, Channel, Conversation, Inbound, InboundKind
from bot.settings_loading import load_settings

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=ROME)
SEATS = 50


async def run(people: int = 1000) -> Result:
    result = Result("RSVP race")
    with tempfile.TemporaryDirectory() as folder:
        config = write_bench_config(Path(folder))
        settings = load_settings(
            environ={"SPORTELLO_DATABASE": f"{folder}/rsvp.db", "SPORTELLO_CONFIG": str(config)},
            dotenv=None,
        )
        app = await build_app(settings, ManualClock(NOW))
        try:
            workshop_id = await _seed(app, people)
            latencies: list[float] = []
            apologies = 0

            async def tap(index: int) -> None:
                nonlocal apologies
                event = Inbound(
                    Channel.TELEGRAM,
                    f"rsvp{index}",
                    InboundKind.BUTTON,
                    data="3:ws.yes",
                    dedupe_key=f"rsvp:{index}",
                )
                started = time.perf_counter()
                replies = await app.engine.handle(event)
                latencies.append(time.perf_counter() - started)
                apologies += any("something went wrong" in r.text for r in replies)

            await asyncio.gather(*(tap(i) for i in range(people)))
            async with app.db.read() as tx:
                seated = [
                    r for r in await tx.registrations.of_workshop(workshop_id) if r.seat is not None
                ]
        finally:
            await app.close()
    result.add("people tapping", people, "")
    result.add("seats taken", len(seated), "", f"exactly {SEATS}", len(seated) == SEATS)
    result.add("errors", apologies, "", "0", apologies == 0)
    result.add("RSVP latency p50", percentile(latencies, 50) * 1000, "ms")
    result.add("RSVP latency p99", percentile(latencies, 99) * 1000, "ms")
    return result


async def _seed(app: App, people: int) -> int:
    async with app.db.write() as tx:
        workshop = await tx.workshops.create(
            code="race50",
            title="Giornata aziende",
            description="",
            starts_at=NOW + timedelta(days=3),
            duration_minutes=120,
            place="Lucca",
            online_url=None,
            capacity=SEATS,
            audience=Audience(),
            created_by="bench",
            now=NOW,
        )
        for index in range(people):
            person = await tx.people.create(Channel.TELEGRAM, f"rsvp{index}", NOW, "it")
            await tx.consents.record(person.id, "notice", "2026-12-02", True, NOW)
            conversation = Conversation(step="ws_card", seq=3, data={"workshop": workshop.code})
            await tx.conversations.save(person.id, conversation, NOW)
    return workshop.id
