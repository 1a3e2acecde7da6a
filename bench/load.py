"""Measuring a load: people waiting for their answers, and what the server did meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from bench.common import percentile
from bench.processes import Child

if TYPE_CHECKING:
    from tests.fakes.telegram_api import FakeTelegram
    from tests.fakes.twilio_api import FakeTwilio

STEP_TIMEOUT = 300.0
"""Seconds a person waits for one answer before the run is declared broken."""


@dataclass
class Load:
    """What one server did under one load."""

    updates: int = 0
    wall: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu: float = 0.0
    driver_cpu: float = 0.0
    first_reply: float = 0.0
    peak_rss_mb: float = 0.0
    confirmed: int = 0
    machine_busy: float = 0.0
    database_cpu: float = 0.0
    """CPU seconds of the PostgreSQL server during the load (0 on SQLite: it is in the bot)."""
    """The share of the machine's cores busy during the load (all its processes)."""

    @property
    def rate(self) -> float:
        return self.updates / self.wall if self.wall else 0.0

    @property
    def cpu_ms(self) -> float:
        return self.cpu * 1000 / self.updates if self.updates else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000


class Waiters:
    """Per-person futures, resolved by one watcher: far cheaper than a wait_for per person."""

    def __init__(self) -> None:
        self._waiting: dict[object, asyncio.Future[float]] = {}
        self.first_seen: dict[object, float] = {}
        self.latencies: list[float] = []

    def expect(self, who: object) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[who] = future
        return future

    def seen(self, who: object, at: float, answers: bool) -> None:
        self.first_seen.setdefault(who, at)
        if answers:
            future = self._waiting.pop(who, None)
            if future is not None and not future.done():
                future.set_result(at)

    async def step(self, who: object, act: Callable[[], Awaitable[None] | None]) -> float:
        """Do something as ``who`` and wait for the answer; returns the latency in seconds."""
        future = self.expect(who)
        sent = time.time()
        done = act()
        if done is not None:
            await done
        try:
            answered = await asyncio.wait_for(future, STEP_TIMEOUT)
        except TimeoutError:
            raise AssertionError(f"no answer to {who} within {STEP_TIMEOUT:.0f} s") from None
        latency = answered - sent
        self.latencies.append(latency)
        return latency


async def crowd(
    people: Sequence[object], person: Callable[[object], Awaitable[int]], load: Load
) -> None:
    """Everyone at once; the load's wall time runs from the first step to the last answer."""
    started = time.perf_counter()
    outcomes = await asyncio.gather(*(person(who) for who in people), return_exceptions=True)
    load.wall = time.perf_counter() - started
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            load.errors.append(f"{type(outcome).__name__}: {outcome}")
        else:
            load.updates += outcome


async def confirmed_intakes(database: Path | str) -> int:
    """On a SQLite file, or the PostgreSQL database at a URL."""
    from bot.setting_values import is_postgresql
    from storage.backend import open_database

    url = str(database) if is_postgresql(str(database)) else None
    db = await open_database(Path(database), url, 2)
    try:
        async with db.read() as tx:
            return await tx.stats.intake_count()
    finally:
        await db.close()


class Watched:
    """People on a fake; while `watching`, one task scans what the fake received since the
    last scan (`_scan`, a fake `wait_for` predicate that never ends it) and resolves their
    waits."""

    def __init__(self, fake: FakeTelegram | FakeTwilio) -> None:
        self.fake = fake
        self.waiters = Waiters()
        self._cursor = 0

    def _scan(self, calls: Sequence[Any]) -> bool:
        raise NotImplementedError

    async def first_reply(self, child: Child, who: object, step: Awaitable[None]) -> float:
        """Take ``step`` as soon as the process exists; seconds from its spawn to the first
        thing it sent ``who``."""
        waiting = asyncio.ensure_future(step)
        while not waiting.done():
            if not child.alive():
                waiting.cancel()
                raise child.failure("exited before its first reply")
            await asyncio.wait({waiting}, timeout=0.05)
        await waiting
        return self.waiters.first_seen[who] - child.spawned

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[Self]:
        watcher = asyncio.create_task(self.fake.wait_for(self._scan, timeout=24 * 3600))
        try:
            yield self
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


async def settle() -> None:
    """Let the start-up's last messages (the rest of the first turn) finish."""
    await asyncio.sleep(0.5)
