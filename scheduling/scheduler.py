"""APScheduler only ticks jobs; what the jobs do and remember lives in the database."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App
from scheduling import jobs


def build_scheduler(app: App) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="Europe/Rome")
    scheduler.add_job(
        jobs.forget_old_events,
        "cron",
        hour=3,
        minute=10,
        args=[app.db, app.clock],
        id="forget_old_events",
        coalesce=True,
        misfire_grace_time=3600,
    )
    scheduler.add_job(
        jobs.erase_inactive_people,
        "cron",
        hour=3,
        minute=20,
        args=[app.db, app.clock, app.settings],
        id="erase_inactive_people",
        coalesce=True,
        misfire_grace_time=3600,
    )
    return scheduler
