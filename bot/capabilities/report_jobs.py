"""Reports made in the background for the back-office: the request checked (the same period
check as `sportello report`), its progress, its file, and a row a stopped process left
behind. The figures and files themselves come from `monitoring` and `bot/monitoring`."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.capabilities.monitoring import PeriodProblem, read_period
from bot.domain import ReportFormat, ReportJobStatus
from bot.i18n import N_, SHIPPED_LANGUAGES
from storage.report_repos import ReportJob
from storage.session import Session

KEPT = timedelta(days=30)  # finished reports are forgotten after this


@dataclass(frozen=True)
class ReportRequest:
    first: date
    last: date
    language: str
    format: ReportFormat


def read_request(
    year: str, start: str, end: str, language: str, fmt: str
) -> ReportRequest | list[PeriodProblem]:
    """The Report page's form, or every problem with it, each on its field."""
    period = read_period(year, start, end)
    problems = list(period) if isinstance(period, list) else []
    if language not in SHIPPED_LANGUAGES:
        problems.append(PeriodProblem("language", N_("Choose one of the languages offered.")))
    if fmt not in {f.value for f in ReportFormat}:
        problems.append(PeriodProblem("format", N_("Choose one of the formats offered.")))
    if problems or isinstance(period, list):
        return problems
    return ReportRequest(period[0], period[1], language, ReportFormat(fmt))


async def request(
    tx: Session, asked: ReportRequest, requested_by: int | None, now: datetime
) -> ReportJob:
    """A new report to make; the old finished ones are forgotten at the same time."""
    await tx.report_jobs.forget_before(now - KEPT)
    job_id = await tx.report_jobs.add(
        asked.first, asked.last, asked.language, asked.format, requested_by, now
    )
    job = await tx.report_jobs.get(job_id)
    assert job is not None
    return job


async def job(tx: Session, job_id: int) -> ReportJob | None:
    return await tx.report_jobs.get(job_id)


def left_behind(found: ReportJob | None, alive: Collection[int]) -> bool:
    """Still 'running', but no task of this process is making it: the process that was
    stopped while it ran. It is then marked failed, so nobody waits for it forever."""
    return found is not None and found.status is ReportJobStatus.RUNNING and found.id not in alive


async def advance(tx: Session, job_id: int, step: str, done: int, total: int) -> None:
    await tx.report_jobs.progress(job_id, step, done, total)


async def finish(
    tx: Session, job_id: int, name: str, media_type: str, content: bytes, now: datetime
) -> None:
    await tx.report_jobs.finish(job_id, name, media_type, content, now)


async def fail(tx: Session, job_id: int, now: datetime) -> None:
    await tx.report_jobs.fail(job_id, now)


async def recent(tx: Session, limit: int = 10) -> list[ReportJob]:
    return await tx.report_jobs.recent(limit)


async def content(tx: Session, job_id: int) -> bytes | None:
    return await tx.report_jobs.content(job_id)
