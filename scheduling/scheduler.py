"""APScheduler only ticks jobs; what the jobs do and remember lives in the database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App
from bot.channels import ProgressBoard
from scheduling import jobs
from scheduling.dispatcher import Dispatcher

DISPATCH_EVERY_SECONDS = 2


def build_scheduler(
    app: App, dispatcher: Dispatcher, board: ProgressBoard | None = None
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="Europe/Rome")
    agenda = app.settings.agenda

    def leader(job: Callable[..., Awaitable[object]]) -> Callable[..., Awaitable[None]]:
        """A periodic job runs in one process only (several may serve a PostgreSQL
        database): the one holding the leader lock, taken over when that one dies."""

        async def if_leader(*args: object) -> None:
            if await app.db.is_leader():
                await job(*args)

        return if_leader

    def every(seconds: int, func: object, *args: object) -> None:
        scheduler.add_job(
            func,
            "interval",
            seconds=seconds,
            args=list(args),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )

    def nightly(hour: int, minute: int, func: object, *args: object) -> None:
        scheduler.add_job(
            func,
            "cron",
            hour=hour,
            minute=minute,
            args=list(args),
            coalesce=True,
            misfire_grace_time=3600,
        )

    # A job per lane: one platform hanging ("maximum number of running instances reached")
    # must not stop the other channels' messages.
    for lane in dispatcher.lanes():
        every(DISPATCH_EVERY_SECONDS, dispatcher.tick_lane, lane)
    every(60, leader(jobs.plan_digests), app.db, app.clock, agenda)
    every(60, leader(jobs.expire_holds), app.db, app.clock, agenda)
    if board is not None:
        staff_language = app.engine.translators[app.settings.default_language]
        every(5, leader(jobs.report_broadcasts), app.db, app.clock, board, staff_language)
    nightly(3, 10, leader(jobs.forget_old_events), app.db, app.clock)
    nightly(3, 20, leader(jobs.erase_inactive_people), app.db, app.clock, app.settings)
    nightly(3, 30, leader(jobs.cancel_on_closed_days), app.db, app.clock, agenda)
    nightly(3, 40, leader(jobs.forget_old_bookings), app.db, app.clock)
    return scheduler


async def catch_up(app: App) -> None:
    """At start-up: what was due while the bot was down is planned now (by the leader)."""
    if not await app.db.is_leader():
        return
    agenda = app.settings.agenda
    await jobs.cancel_on_closed_days(app.db, app.clock, agenda)
    await jobs.expire_holds(app.db, app.clock, agenda)
    await jobs.plan_digests(app.db, app.clock, agenda)
