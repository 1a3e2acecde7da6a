"""APScheduler only ticks jobs; what the jobs do and remember lives in the database."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App
from bot.channels import ProgressBoard
from scheduling import jobs
from scheduling.dispatcher import Dispatcher

DISPATCH_EVERY_SECONDS = 2
# At shutdown, how long the jobs running have to finish (a send in flight, a nightly job)
# before they are cancelled; within the stop deadline of bot/serving.py.
STOP_GRACE_SECONDS = 5.0

Job = Callable[..., Awaitable[Any]]


class Schedule:
    """APScheduler and the jobs it is running. APScheduler's own shutdown cancels running
    coroutine jobs: a dispatcher cut between the platform's answer and its record sends that
    message again after a restart. `stop` lets them finish first."""

    def __init__(self, dispatcher: Dispatcher | None = None) -> None:
        self.scheduler = AsyncIOScheduler(timezone="Europe/Rome")
        self.dispatcher = dispatcher
        self._running: set[asyncio.Task[Any]] = set()

    def tracked(self, func: Job) -> Job:
        @functools.wraps(func)
        async def job(*args: Any) -> Any:
            task = asyncio.current_task()
            assert task is not None
            self._running.add(task)
            try:
                return await func(*args)
            finally:
                self._running.discard(task)

        return job

    def start(self) -> None:
        self.scheduler.start()

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """No new runs; the dispatcher claims nothing more; the running jobs finish (those
        still running after `grace` are cancelled)."""
        self.scheduler.pause()
        if self.dispatcher is not None:
            self.dispatcher.stopping = True
        if self._running:
            await asyncio.wait(set(self._running), timeout=grace)
        self.scheduler.shutdown(wait=False)


def build_scheduler(
    app: App, dispatcher: Dispatcher, board: ProgressBoard | None = None
) -> Schedule:
    schedule = Schedule(dispatcher)
    scheduler = schedule.scheduler
    agenda = app.settings.agenda

    def leader(job: Callable[..., Awaitable[object]]) -> Callable[..., Awaitable[None]]:
        """A periodic job runs in one process only (several may serve a PostgreSQL
        database): the one holding the leader lock, taken over when that one dies."""

        async def if_leader(*args: object) -> None:
            if await app.db.is_leader():
                await job(*args)

        return if_leader

    def every(seconds: int, func: Job, *args: object) -> None:
        scheduler.add_job(
            schedule.tracked(func),
            "interval",
            seconds=seconds,
            args=list(args),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )

    def nightly(hour: int, minute: int, func: Job, *args: object) -> None:
        scheduler.add_job(
            schedule.tracked(func),
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
    return schedule


async def catch_up(app: App) -> None:
    """At start-up: what was due while the bot was down is planned now (by the leader)."""
    if not await app.db.is_leader():
        return
    agenda = app.settings.agenda
    await jobs.cancel_on_closed_days(app.db, app.clock, agenda)
    await jobs.expire_holds(app.db, app.clock, agenda)
    await jobs.plan_digests(app.db, app.clock, agenda)
