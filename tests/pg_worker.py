"""A process that sends outbox rows from a PostgreSQL database, for tests/test_pg_faults.py:
each row it sends is written to its log (flushed) before the row is finished, as a real send
reaches the platform before our commit."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from typing import TextIO

from bot.domain import OutboxStatus
from storage.pg_db import PgDatabase

LEASE = timedelta(seconds=2)
# What a platform's answer takes, so the rows last long enough for the kills.
SEND_SECONDS = 0.01


async def main(url: str, log: TextIO) -> None:
    db = await PgDatabase.connect(url, pool_size=2)
    while True:
        async with db.write() as tx:
            items = await tx.outbox.claim_due(datetime.now(UTC), 5, LEASE)
        if not items:
            await asyncio.sleep(0.05)
            continue
        for item in items:
            await asyncio.sleep(SEND_SECONDS)
            log.write(f"{item.id}\n")
            log.flush()
            os.fsync(log.fileno())
            async with db.write() as tx:
                await tx.outbox.finish(item, OutboxStatus.SENT, datetime.now(UTC), None)


if __name__ == "__main__":
    with open(sys.argv[2], "a", encoding="ascii") as sends:
        asyncio.run(main(sys.argv[1], sends))
