"""Two sending processes on one PostgreSQL database, one of them killed with SIGKILL again and
again: every row is sent, none is sent by two processes at once, and a row is sent a second
time only when its sender died between the send and the commit (at-least-once, as on SQLite)."""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain import Channel, OutboxKind
from storage.pg_db import PgDatabase

ROWS = 600
KILLS = 6
ROOT = Path(__file__).resolve().parents[1]


def _start(url: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.pg_worker", url, str(log)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _has_sent(log: Path) -> bool:
    return log.exists() and log.stat().st_size > 0


async def _until(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    for _ in range(int(seconds / 0.02)):
        if condition() or time.monotonic() > deadline:
            return
        await asyncio.sleep(0.02)


async def _pending(db: PgDatabase) -> int:
    async with db.read() as tx:
        counts = await tx.outbox.counts()
    return counts.get("pending", 0) + counts.get("sending", 0)


@pytest.mark.slow
async def test_sigkilled_senders_lose_nothing_and_send_nothing_twice_at_once(
    pg_url: str, tmp_path: Path
) -> None:
    db = await PgDatabase.connect(pg_url)
    now = datetime.now(UTC)
    try:
        async with db.write() as tx:
            person = (await tx.people.create(Channel.TELEGRAM, "anna", now, "it")).id
            for _ in range(ROWS):
                await tx.outbox.add(OutboxKind.REMINDER, now, now, person_id=person)
        steady = _start(pg_url, tmp_path / "steady.log")
        killed_logs = []
        try:
            for run in range(KILLS):
                log = tmp_path / f"killed-{run}.log"
                victim = _start(pg_url, log)
                # Killed while sending, not while starting.
                await _until(functools.partial(_has_sent, log), 30)
                await asyncio.sleep(0.05 * (run % 4))
                os.kill(victim.pid, signal.SIGKILL)
                victim.wait()
                killed_logs.append(log)
            for _ in range(300):
                if not await _pending(db):
                    break
                await asyncio.sleep(0.2)
            assert await _pending(db) == 0, "rows left unsent"
        finally:
            steady.kill()
            steady.wait()
        async with db.read() as tx:
            counts = await tx.outbox.counts()
        assert counts == {"sent": ROWS}
    finally:
        await db.close()
    sends: dict[int, int] = {}
    last_of_killed = set()
    killed_sending = 0
    for log in [tmp_path / "steady.log", *killed_logs]:
        ids = [int(line) for line in log.read_text().split()] if log.exists() else []
        for row in ids:
            sends[row] = sends.get(row, 0) + 1
        if ids and log in killed_logs:
            last_of_killed.add(ids[-1])
            killed_sending += 1
    assert len(sends) == ROWS
    assert killed_sending == KILLS, "every killed process had sent something"
    twice = {row for row, n in sends.items() if n > 1}
    assert all(sends[row] <= 1 + KILLS for row in twice)
    # A second send only for a row whose sender died right after sending it.
    assert twice <= last_of_killed
