"""The back-office's reports, made in the background: the figures read in one transaction,
the files written on a worker thread (matplotlib and reportlab are CPU work that would stall
the web server's event loop) by the same code as `sportello report`, each step's progress
saved to the job's row, and the finished file stored in it.

One report is made at a time: pyplot keeps global state and is not safe on two threads."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Mapping

from bot.capabilities import monitoring, report_jobs
from bot.clock import Clock
from bot.i18n import Translator
from bot.monitoring.download import make_download
from bot.monitoring.render import step_count
from storage.db import Database

log = logging.getLogger(__name__)
COMUNE = "Comune di Lucca"
SAVE_WAIT = 60.0  # seconds the worker waits for a progress save (never forever, at shutdown)


class ReportRunner:
    def __init__(
        self, db: Database, translators: Mapping[str, Translator], clock: Clock, comune: str
    ) -> None:
        self.db = db
        self.translators = translators
        self.clock = clock
        self.comune = comune
        self.alive: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._one_at_a_time = asyncio.Lock()

    def start(self, job_id: int) -> None:
        self.alive.add(job_id)
        task = asyncio.create_task(self._make(job_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait(self) -> None:
        """Until every report started so far is made (tests, and a clean stop)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _make(self, job_id: int) -> None:
        try:
            async with self._one_at_a_time:
                await self._write(job_id)
        except Exception as exc:  # the job's page says it failed; the log says why, no data
            log.error("report %d failed: %s", job_id, type(exc).__name__)
            try:
                async with self.db.write() as tx:
                    await report_jobs.fail(tx, job_id, self.clock.now())
            except Exception as again:  # the database is closing: its row says 'running',
                # which the next process shows as interrupted
                log.error("report %d not marked failed: %s", job_id, type(again).__name__)
        finally:
            self.alive.discard(job_id)

    async def _write(self, job_id: int) -> None:
        async with self.db.read() as tx:
            job = await tx.report_jobs.get(job_id)
            assert job is not None
            data = await monitoring.load(tx, job.first, job.last)
        tr = self.translators[job.language]
        # Counting is seconds of CPU on a big year: off the event loop, like the files.
        report = await asyncio.to_thread(monitoring.build, data, tr, self.comune)
        total = step_count(report, (job.format.value,))
        loop = asyncio.get_running_loop()
        done = 0
        given_up = False

        async def save(step: str, n: int) -> None:
            async with self.db.write() as tx:
                await report_jobs.advance(tx, job_id, step, n, total)

        def progress(step: str) -> None:  # on the worker thread, between two steps
            nonlocal done
            if given_up:  # the server is stopping: the thread ends now, not at the last page
                raise RuntimeError("report abandoned")
            done += 1
            # The step before this one is finished: that is what the bar shows.
            asyncio.run_coroutine_threadsafe(save(step, done - 1), loop).result(SAVE_WAIT)

        try:
            download = await asyncio.to_thread(
                make_download, report, job.format.value, tr, progress
            )
        except asyncio.CancelledError:
            given_up = True  # the row stays 'running': the next process shows it as interrupted
            raise
        async with self.db.write() as tx:
            await report_jobs.finish(
                tx, job_id, download.name, download.media_type, download.content, self.clock.now()
            )


_RUNNERS: weakref.WeakKeyDictionary[Database, ReportRunner] = weakref.WeakKeyDictionary()


def runner_for(
    db: Database, translators: Mapping[str, Translator], clock: Clock, comune: str = COMUNE
) -> ReportRunner:
    """The one runner of a database in this process (the back-office and tests share it)."""
    if db not in _RUNNERS:
        _RUNNERS[db] = ReportRunner(db, translators, clock, comune)
    return _RUNNERS[db]
