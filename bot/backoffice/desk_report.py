"""The Report page: the annual monitoring report for a year or part of it, in a language and a
format, made in the background by the same code as `sportello report` (the period checked by
the same function), with a status page whose bar follows the work and a download at the end.
A report is aggregates with small cells suppressed: nothing about anyone, here or in a URL."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import JSONResponse, Response

from bot.backoffice.desk_auth import DeskRequest, redirect
from bot.backoffice.desk_render import LANGUAGES
from bot.capabilities import accounts, report_jobs
from bot.clock import ROME
from bot.domain import ReportFormat, ReportJobStatus
from bot.i18n import N_
from bot.monitoring.generation import ReportRunner, runner_for
from storage.report_repos import ReportJob

FORMAT_LABELS = {
    ReportFormat.PDF: N_("PDF document (A4, for printing)"),
    ReportFormat.HTML: N_("Web page with its charts (ZIP)"),
    ReportFormat.XLSX: N_("Spreadsheet, one sheet per table (XLSX)"),
    ReportFormat.CSV: N_("One CSV file per table (ZIP)"),
}
FIELDS = ("year", "start", "end", "language", "format")


def runner(req: DeskRequest) -> ReportRunner:
    return runner_for(req.desk.db, req.desk.translators, req.desk.clock)


def this_year(req: DeskRequest) -> int:
    return req.desk.clock.now().astimezone(ROME).year


async def report_form(req: DeskRequest) -> Response:
    form = {"year": str(this_year(req)), "language": "it", "format": ReportFormat.PDF.value}
    return await _form_page(req, form, {})


async def _form_page(
    req: DeskRequest, form: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    async with req.desk.db.read() as tx:
        jobs = await report_jobs.recent(tx)
    return req.page(
        "report.html",
        status,
        title=req.tr("Monitoring report"),
        form=form,
        errors=errors,
        formats=[(f.value, req.tr(label)) for f, label in FORMAT_LABELS.items()],
        jobs=jobs,
        state_text=lambda job: state_text(req, job),
    )


async def report_make(req: DeskRequest) -> Response:
    form = {name: req.form.get(name, "").strip() for name in FIELDS}
    asked = report_jobs.read_request(
        form["year"], form["start"], form["end"], form["language"], form["format"]
    )
    if isinstance(asked, list):
        errors: dict[str, str] = {}
        for problem in asked:
            errors.setdefault(problem.name, problem.text(req.translator))
        return await _form_page(req, form, errors, 400)
    now = req.desk.clock.now()
    async with req.desk.db.write() as tx:
        job = await report_jobs.request(tx, asked, req.user_id, now)
        await accounts.audit(tx, req.user_id, "report.make", "report", job.id, now)
    runner(req).start(job.id)
    return redirect(f"/desk/report/{job.id}")


@dataclass(frozen=True)
class JobProgress:
    percent: int
    running: bool
    done: bool
    text: str


def progress_of(req: DeskRequest, job: ReportJob) -> JobProgress:
    finished = job.status is ReportJobStatus.DONE
    percent = 100 if finished else job.steps_done * 100 // max(job.steps_total, 1)
    return JobProgress(
        percent, job.status is ReportJobStatus.RUNNING, finished, state_text(req, job)
    )


def state_text(req: DeskRequest, job: ReportJob) -> str:
    if job.status is ReportJobStatus.DONE:
        return req.tr("Ready to download.")
    if job.status is ReportJobStatus.FAILED:
        return req.tr("It could not be made (it was stopped or went wrong): please ask again.")
    if job.steps_total == 0:
        return req.tr("Counting the figures...")
    return req.tr(
        "Step %(done)d of %(total)d: %(step)s",
        done=min(job.steps_done + 1, job.steps_total),
        total=job.steps_total,
        step=job.step,
    )


async def _job(req: DeskRequest) -> ReportJob | None:
    """The job, read (the bar polls this every second: no write transaction for it)."""
    job_id = int(req.request.path_params["job_id"])
    async with req.desk.db.read() as tx:
        found = await report_jobs.job(tx, job_id)
    if report_jobs.left_behind(found, runner(req).alive):
        async with req.desk.db.write() as tx:
            await report_jobs.fail(tx, job_id, req.desk.clock.now())
            found = await report_jobs.job(tx, job_id)
    return found


def _no_job(req: DeskRequest) -> Response:
    return req.page(
        "error.html", 404, title=req.tr("Not found"), text=req.tr("There is no such report.")
    )


async def report_status(req: DeskRequest) -> Response:
    job = await _job(req)
    if job is None:
        return _no_job(req)
    return req.page(
        "report_status.html",
        title=req.tr("Monitoring report"),
        job=job,
        progress=progress_of(req, job),
        format_label=req.tr(FORMAT_LABELS[job.format]),
        language_label=LANGUAGES.get(job.language, job.language),
    )


async def report_progress(req: DeskRequest) -> Response:
    job = await _job(req)
    if job is None:
        return JSONResponse({"error": "not found"}, 404)
    progress = progress_of(req, job)
    return JSONResponse(
        {"percent": progress.percent, "running": progress.running, "text": progress.text}
    )


async def report_download(req: DeskRequest) -> Response:
    job = await _job(req)
    if job is None or job.status is not ReportJobStatus.DONE or job.file_name is None:
        return _no_job(req)
    async with req.desk.db.read() as tx:
        body = await report_jobs.content(tx, job.id)
    if body is None:
        return _no_job(req)
    return Response(
        body,
        media_type=job.media_type or "application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{job.file_name}"'},
    )
