"""The WhatsApp conversation with 1, 2 and 4 `sportello run` processes on one PostgreSQL
database (a throwaway PostgreSQL 15 server), next to 1 process on SQLite: the same people,
the same intake, the same driver (bench/whatsapp_load.py). The processes each listen on a
port and the posts go to them in turn, as a reverse proxy would send them.

Figures per setting ("PG 2p": two processes on PostgreSQL): updates per second, p50/p99 reply latency, the bot processes' CPU per
update, and how busy the whole machine was (the bot processes, PostgreSQL, and this process
playing the people and Twilio): on a small machine the last one says whether the processes
had cores left to use. The target: 2 processes serve at least 1.6 times the updates/s of one.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bench.common import Result
from bench.load import Load
from bench.whatsapp_load import whatsapp_load

if TYPE_CHECKING:
    from tests.pg_server import Server

TARGET = 1.6
"""Two processes against one, on PostgreSQL."""


async def run(
    people: int = 200,
    processes: Sequence[int] = (1, 2, 4),
    *,
    smoke: bool = False,
    server: Server | None = None,
) -> Result:
    """On new databases of ``server``, or of a throwaway server of its own."""
    from tests.pg_server import start_server

    if server is not None:
        return await _run_on(server, people, processes, smoke)
    own = await asyncio.to_thread(start_server)
    try:
        return await _run_on(own, people, processes, smoke)
    finally:
        await asyncio.to_thread(own.stop)


async def _run_on(server: Server, people: int, processes: Sequence[int], smoke: bool) -> Result:
    with tempfile.TemporaryDirectory(prefix="bench-pg-conversation-") as tmp:
        folder = Path(tmp)
        sqlite = await whatsapp_load(folder, "sqlite", people)
        loads: dict[int, Load] = {}
        for count in processes:
            url = await server.new_database()
            loads[count] = await whatsapp_load(
                folder, f"pg{count}", people, database=url, processes=count
            )
            await server.drop(url)
    return _report(people, sqlite, loads, smoke=smoke)


def _add_load(result: Result, label: str, load: Load, people: int) -> None:
    result.add(f"{label}: confirmed", load.confirmed, "", f"{people}", load.confirmed == people)
    result.add(f"{label}: updates/s", load.rate, "upd/s")
    result.add(f"{label}: reply p50", load.p(50), "ms")
    result.add(f"{label}: reply p99", load.p(99), "ms")
    result.add(f"{label}: CPU per update", load.cpu_ms, "ms")
    per_update = 1000 / max(load.updates, 1)
    if label.startswith("PG"):
        result.add(f"{label}: PostgreSQL CPU/upd", load.database_cpu * per_update, "ms")
    result.add(f"{label}: driver CPU/upd", load.driver_cpu * per_update, "ms")
    result.add(f"{label}: machine busy", load.machine_busy * 100, "%")


def _report(people: int, sqlite: Load, loads: dict[int, Load], *, smoke: bool) -> Result:
    result = Result("WhatsApp conversation, N processes on PostgreSQL vs 1 on SQLite")
    result.add("people at once", people, "")
    everything = [sqlite, *loads.values()]
    errors = sum(len(load.errors) for load in everything)
    result.add("errors", errors, "", "0", errors == 0)
    _add_load(result, "SQLite 1p", sqlite, people)
    for count, load in loads.items():
        _add_load(result, f"PG {count}p", load, people)
    one = loads.get(1)
    if one is not None and one.rate:
        if sqlite.rate:
            result.add("PG 1p / SQLite 1p", one.rate / sqlite.rate, "x")
        for count, load in loads.items():
            if count == 1:
                continue
            ratio = load.rate / one.rate
            target = f">= {TARGET}" if count == 2 else ""
            verdict = None if smoke or count != 2 else ratio >= TARGET
            result.add(f"PG {count}p / PG 1p", ratio, "x", target, verdict)
    for load in everything:
        for error in load.errors[:3]:
            print(f"  {result.scenario}: {error}", file=sys.stderr)
    return result


if __name__ == "__main__":
    from bench.__main__ import table

    print(table([asyncio.run(run())]))
