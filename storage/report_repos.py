"""The reports the back-office makes in the background (migration 0015): their request, their
progress and their finished file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot.domain import ReportFormat, ReportJobStatus
from storage.repo_base import _dt, _Repo, _ts

COLUMNS = (
    "id, first_day, last_day, language, format, status, step, steps_done, steps_total, "
    "file_name, media_type, created_at, finished_at"
)


@dataclass(frozen=True)
class ReportJob:
    id: int
    first: date
    last: date
    language: str
    format: ReportFormat
    status: ReportJobStatus
    step: str
    steps_done: int
    steps_total: int
    file_name: str | None
    media_type: str | None
    created_at: datetime
    finished_at: datetime | None


def _job(row: aiosqlite.Row) -> ReportJob:
    created = _dt(row["created_at"])
    assert created is not None
    return ReportJob(
        id=int(row["id"]),
        first=date.fromisoformat(row["first_day"]),
        last=date.fromisoformat(row["last_day"]),
        language=row["language"],
        format=ReportFormat(row["format"]),
        status=ReportJobStatus(row["status"]),
        step=row["step"],
        steps_done=int(row["steps_done"]),
        steps_total=int(row["steps_total"]),
        file_name=row["file_name"],
        media_type=row["media_type"],
        created_at=created,
        finished_at=_dt(row["finished_at"]),
    )


class ReportJobs(_Repo):
    async def add(
        self,
        first: date,
        last: date,
        language: str,
        fmt: ReportFormat,
        requested_by: int | None,
        now: datetime,
    ) -> int:
        return await self._insert(
            "INSERT INTO report_jobs (requested_by, first_day, last_day, language, format, "
            "status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            requested_by,
            first.isoformat(),
            last.isoformat(),
            language,
            fmt.value,
            ReportJobStatus.RUNNING.value,
            _ts(now),
        )

    async def get(self, job_id: int) -> ReportJob | None:
        row = await self._one(f"SELECT {COLUMNS} FROM report_jobs WHERE id = ?", job_id)
        return _job(row) if row is not None else None

    async def recent(self, limit: int) -> list[ReportJob]:
        rows = await self._all(f"SELECT {COLUMNS} FROM report_jobs ORDER BY id DESC LIMIT ?", limit)
        return [_job(r) for r in rows]

    async def progress(self, job_id: int, step: str, done: int, total: int) -> None:
        await self._run(
            "UPDATE report_jobs SET step = ?, steps_done = ?, steps_total = ? "
            "WHERE id = ? AND status = ?",
            step,
            done,
            total,
            job_id,
            ReportJobStatus.RUNNING.value,
        )

    async def finish(
        self, job_id: int, name: str, media_type: str, content: bytes, now: datetime
    ) -> None:
        await self._run(
            "UPDATE report_jobs SET status = ?, file_name = ?, media_type = ?, content = ?, "
            "steps_done = steps_total, finished_at = ? WHERE id = ? AND status = ?",
            ReportJobStatus.DONE.value,
            name,
            media_type,
            content,
            _ts(now),
            job_id,
            ReportJobStatus.RUNNING.value,
        )

    async def fail(self, job_id: int, now: datetime) -> None:
        await self._run(
            "UPDATE report_jobs SET status = ?, finished_at = ? WHERE id = ? AND status = ?",
            ReportJobStatus.FAILED.value,
            _ts(now),
            job_id,
            ReportJobStatus.RUNNING.value,
        )

    async def content(self, job_id: int) -> bytes | None:
        row = await self._one(
            "SELECT content FROM report_jobs WHERE id = ? AND status = ?",
            job_id,
            ReportJobStatus.DONE.value,
        )
        return bytes(row["content"]) if row is not None and row["content"] is not None else None

    async def forget_before(self, moment: datetime) -> int:
        return await self._run(
            "DELETE FROM report_jobs WHERE status <> ? AND created_at < ?",
            ReportJobStatus.RUNNING.value,
            _ts(moment),
        )
