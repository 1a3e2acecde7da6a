"""The bot on a big PostgreSQL database: does the cost of an update grow with the data?

The databases are seeded as bench/scale.py seeds its SQLite files (people who finished the
intake, past appointments), then moved to a throwaway PostgreSQL 15 server with the desk's own
`sportello migrate-db` copy (storage/pg_copy.py), and ANALYZEd as autovacuum would after such
a load. `python -m bot run` then serves each database in turn: 50 new people doing the intake
at once over WhatsApp, twice per database, alternated; each keeps its cheapest round.

Figures: seeding and copy times, the database's size, and per update: the bot process's CPU
and PostgreSQL's (every `postgres` process), for the big and the small database. The target
is judged on the two together (a bigger table costs the server, not the bot): no more than
1.25 times the small database's.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg

from bench.common import Result
from bench.load import Load
from bench.scale import BOOKINGS_PER_PERSON, seed
from bench.whatsapp_load import whatsapp_load

if TYPE_CHECKING:
    from tests.pg_server import Server

GROWTH = 1.25


async def run(
    people: int = 1_000_000,
    bookings: int = 5_000_000,
    small: int = 1_000,
    concurrent: int = 50,
    *,
    rounds: int = 2,
    smoke: bool = False,
    server: Server | None = None,
) -> Result:
    """On new databases of ``server``, or of a throwaway server of its own."""
    from tests.pg_server import start_server

    if server is not None:
        return await _run_on(server, people, bookings, small, concurrent, rounds, smoke)
    own = await asyncio.to_thread(start_server)
    try:
        return await _run_on(own, people, bookings, small, concurrent, rounds, smoke)
    finally:
        await asyncio.to_thread(own.stop)


async def _moved(server: Server, sqlite: Path) -> tuple[str, float]:
    """The SQLite file copied into a new PostgreSQL database; its URL and the seconds taken."""
    from storage.pg_copy import copy_to_postgresql

    url = await server.new_database()
    started = time.perf_counter()
    await copy_to_postgresql(sqlite, url, lambda _table, _done, _total: None)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return url, time.perf_counter() - started


async def _size_mb(url: str) -> float:
    conn = await asyncpg.connect(url)
    try:
        return float(await conn.fetchval("SELECT pg_database_size(current_database())")) / 2**20
    finally:
        await conn.close()


def _cost(load: Load) -> float:
    """Bot and PostgreSQL CPU per update, in ms."""
    return (load.cpu + load.database_cpu) * 1000 / max(load.updates, 1)


async def _run_on(
    server: Server,
    people: int,
    bookings: int,
    small: int,
    concurrent: int,
    rounds: int,
    smoke: bool,
) -> Result:
    result = Result(f"big database on PostgreSQL: {people:,} people, {bookings:,} past bookings")
    with tempfile.TemporaryDirectory(prefix="bench-pg-scale-") as tmp:
        folder = Path(tmp)
        small_file, big_file = folder / "small.db", folder / "big.db"
        await seed(small_file, small, small * BOOKINGS_PER_PERSON)
        seeding = await seed(big_file, people, bookings)
        small_url, _ = await _moved(server, small_file)
        big_url, copying = await _moved(server, big_file)
        for file in (small_file, big_file):
            file.unlink()  # the loads are served from PostgreSQL only
        runs: dict[str, list[Load]] = {small_url: [], big_url: []}
        for round_ in range(rounds):
            for url in (small_url, big_url):
                name = f"pg-scale-{'big' if url == big_url else 'small'}-{round_}"
                first = round_ * (concurrent + 1)
                runs[url].append(
                    await whatsapp_load(folder, name, concurrent, database=url, first=first)
                )
        size = await _size_mb(big_url)
        for url in (small_url, big_url):
            await server.drop(url)
    small_load = min(runs[small_url], key=_cost)
    big_load = min(runs[big_url], key=_cost)
    loads = runs[small_url] + runs[big_url]
    errors = sum(len(load.errors) for load in loads)
    for load in loads:
        for error in load.errors[:3]:
            print(f"  {result.scenario}: {error}", file=sys.stderr)
    growth = _cost(big_load) / _cost(small_load) if _cost(small_load) else 0.0
    bot_growth = big_load.cpu_ms / small_load.cpu_ms if small_load.cpu_ms else 0.0
    # Each database holds one intake confirmed before the loads: the seeding's template.
    confirmed = min(runs[small_url][-1].confirmed, runs[big_url][-1].confirmed) - 1
    wanted = concurrent * rounds
    per_update = 1000 / max(big_load.updates, 1)
    result.add("seeding (SQLite)", seeding, "s")
    result.add("copy to PostgreSQL", copying, "s")
    result.add("database size", size, "MB")
    result.add("intakes confirmed per db", confirmed, "", f"{wanted}", confirmed == wanted)
    result.add("errors", errors, "", "0", errors == 0)
    result.add(f"bot CPU/upd, {small:,}", small_load.cpu_ms, "ms")
    result.add(f"bot CPU/upd, {people:,}", big_load.cpu_ms, "ms")
    small_per_update = 1000 / max(small_load.updates, 1)
    result.add("PostgreSQL CPU/upd, small", small_load.database_cpu * small_per_update, "ms")
    result.add("PostgreSQL CPU/upd, big", big_load.database_cpu * per_update, "ms")
    result.add("bot CPU growth big/small", bot_growth, "x")
    judged = None if smoke else growth <= GROWTH
    result.add("bot+PG CPU growth", growth, "x", f"<= {GROWTH}", judged)
    result.add("updates/s, small db", small_load.rate, "upd/s")
    result.add("updates/s, big db", big_load.rate, "upd/s")
    result.add("reply p99, small db", small_load.p(99), "ms")
    result.add("reply p99, big db", big_load.p(99), "ms")
    return result


if __name__ == "__main__":
    import argparse

    from bench.__main__ import table

    def positive(text: str) -> int:
        if not text.isdigit() or int(text) < 1:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
        return int(text)

    parser = argparse.ArgumentParser(prog="python -m bench.pg_scale", description=__doc__)
    parser.add_argument("--people", type=positive, default=1_000_000)
    parser.add_argument("--bookings", type=positive, default=5_000_000)
    args = parser.parse_args()
    print(table([asyncio.run(run(args.people, args.bookings))]))
