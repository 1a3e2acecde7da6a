"""Periodic housekeeping jobs. Each takes the clock, so tests run them at any moment."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.clock import Clock
from bot.settings import Settings
from storage.db import Database

log = logging.getLogger(__name__)

# Telegram re-delivers an unconfirmed update for at most 24 hours; a week is ample margin.
EVENT_KEY_RETENTION = timedelta(days=7)


async def forget_old_events(db: Database, clock: Clock) -> int:
    async with db.write() as tx:
        removed = await tx.events.forget_before(clock.now() - EVENT_KEY_RETENTION)
    log.info("forgot %d old inbound event keys", removed)
    return removed


async def erase_inactive_people(db: Database, clock: Clock, settings: Settings) -> int:
    """Profiles nobody has used for the retention period are erased, as the notice says."""
    now = clock.now()
    async with db.write() as tx:
        inactive = await tx.people.inactive_since(now - settings.retention_inactive)
        for person_id in inactive:
            await tx.people.erase(person_id, now)
    if inactive:
        await db.checkpoint()
    log.info("erased %d inactive profiles", len(inactive))
    return len(inactive)
