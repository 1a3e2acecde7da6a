"""The Report page and the Aggregates page, over HTTP: the form's errors next to its fields,
a report made in the background by the same code as `sportello report` (the same XLSX, byte
for byte), its progress and its download, a job a stopped process left behind, and the
viewer's headline figures with the report's suppression."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook

from bot.app import App
from bot.capabilities import monitoring, report_jobs
from bot.capabilities.accounts import Role
from bot.domain import ReportFormat
from bot.monitoring.generation import runner_for
from bot.monitoring.render import write_report
from tests.desk_helpers import add_accounts, cheap_hasher, client, csrf_of, email_of, login
from tests.test_monitoring_figures import TR, hand_counted_year

__all__ = ["cheap_hasher", "client"]


async def as_viewer(app: App, http: httpx.AsyncClient) -> str:
    await add_accounts(app)
    await login(http, email_of(Role.VIEWER))
    return csrf_of(await http.get("/desk/report"))


async def make(app: App, http: httpx.AsyncClient, **form: str) -> httpx.Response:
    csrf = await as_viewer(app, http)
    answer = await http.post("/desk/report", data={"csrf": csrf, **form})
    await runner_for(app.db, app.engine.translators, app.clock).wait()
    return answer


async def test_the_form_shows_each_problem_next_to_its_field(
    app: App, client: httpx.AsyncClient
) -> None:
    csrf = await as_viewer(app, client)
    form = {"year": "2026", "start": "2026-05-01", "end": "2026-04-01", "language": "it"}
    answer = await client.post("/desk/report", data={"csrf": csrf, **form, "format": "doc"})
    assert answer.status_code == 400
    assert 'id="e-end"' in answer.text
    assert 'aria-describedby="e-end"' in answer.text
    assert "Il periodo finisce (2026-04-01) prima di cominciare (2026-05-01)." in answer.text
    assert 'id="e-format"' in answer.text
    assert 'value="2026-05-01"' in answer.text  # what was typed is kept
    async with app.db.read() as tx:
        assert await report_jobs.recent(tx) == []


async def test_a_report_is_made_in_the_background_and_downloaded(
    app: App, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    await hand_counted_year(app)
    form = {"year": "2026", "start": "", "end": "2026-06-30", "language": "it", "format": "xlsx"}
    answer = await make(app, client, **form)
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith("/desk/report/")
    assert location.rsplit("/", 1)[1].isdigit()
    status = await client.get(location)
    assert "Pronto da scaricare." in status.text
    assert f"{location}/download" in status.text
    progress = (await client.get(f"{location}/progress.json")).json()
    assert progress == {"percent": 100, "running": False, "text": "Pronto da scaricare."}
    download = await client.get(f"{location}/download")
    assert download.headers["content-disposition"] == (
        'attachment; filename="report-2026-01-01-2026-06-30.xlsx"'
    )
    # The same bytes as the command line's report.xlsx for the same period.
    async with app.db.read() as tx:
        report = await monitoring.build_figures(
            tx, date(2026, 1, 1), date(2026, 6, 30), TR, "Comune di Lucca"
        )
    write_report(report, tmp_path, TR, lambda _: None)
    assert download.content == (tmp_path / "report.xlsx").read_bytes()
    book = load_workbook(io.BytesIO(download.content))
    assert "activity_appointments" in book.sheetnames
    async with app.db.read() as tx:
        [entry] = await tx.audit.recent("report.make")
    assert entry.subject_id == location.rsplit("/", 1)[1]


async def test_the_csv_tables_come_in_one_zip_with_suppression(
    app: App, client: httpx.AsyncClient
) -> None:
    await hand_counted_year(app)
    answer = await make(app, client, year="2026", language="en", format="csv")
    download = await client.get(answer.headers["location"] + "/download")
    assert download.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        names = archive.namelist()
        appointments_csv = archive.read("activity_appointments.csv").decode()
    assert names == sorted(names)
    assert "people_language.csv" in names
    assert all(name.endswith(".csv") for name in names)
    assert "<5" in appointments_csv


async def test_a_report_left_running_by_a_stopped_process_is_shown_as_failed(
    app: App, client: httpx.AsyncClient
) -> None:
    await as_viewer(app, client)
    asked = report_jobs.ReportRequest(date(2026, 1, 1), date(2026, 12, 31), "it", ReportFormat.PDF)
    async with app.db.write() as tx:
        job = await report_jobs.request(tx, asked, None, app.clock.now())
    page = await client.get(f"/desk/report/{job.id}")
    assert "Non è stato possibile prepararlo" in page.text
    assert "/download" not in page.text
    assert (await client.get(f"/desk/report/{job.id}/download")).status_code == 404
    assert (await client.get("/desk/report/999")).status_code == 404


async def test_finished_reports_are_forgotten_after_thirty_days(app: App) -> None:
    asked = report_jobs.ReportRequest(date(2026, 1, 1), date(2026, 12, 31), "it", ReportFormat.PDF)
    now = app.clock.now()
    async with app.db.write() as tx:
        old = await report_jobs.request(tx, asked, None, now - timedelta(days=31))
        await report_jobs.fail(tx, old.id, now - timedelta(days=31))
        await report_jobs.request(tx, asked, None, now)
        assert [j.created_at for j in await report_jobs.recent(tx)] == [now]


async def test_the_aggregates_show_the_year_so_far_with_suppression(
    app: App, client: httpx.AsyncClient
) -> None:
    await hand_counted_year(app)
    await as_viewer(app, client)
    page = await client.get("/desk/aggregates")
    assert page.status_code == 200
    for heading in ("Appuntamenti per stato", "Laboratori", "Lingua della conversazione"):
        assert heading in page.text
    assert "&lt;5" in page.text
    assert "/desk/aggregates/export.csv" in page.text
    exported = await client.get("/desk/aggregates/export.csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0] == ["Gruppo", "Dato", "Valore"]
    people = {r[1]: r[2] for r in rows if r[0] == "Persone"}
    assert people == {"Iniziate": "6", "Completati": "5"}  # one of the five erased later
    xlsx = await client.get("/desk/aggregates/export.xlsx")
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames[0] == "Dati aggregati"
    assert (await client.get("/desk/aggregates/export.pdf")).status_code == 404


async def test_the_viewers_home_links_to_both_pages(app: App, client: httpx.AsyncClient) -> None:
    await as_viewer(app, client)
    home = await client.get("/desk/")
    assert 'href="/desk/aggregates"' in home.text
    assert 'href="/desk/report"' in home.text
    assert 'href="/desk/agenda"' not in home.text


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.STAFF])
async def test_other_roles_cannot_open_them(
    app: App, client: httpx.AsyncClient, role: Role
) -> None:
    await add_accounts(app)
    await login(client, email_of(role))
    for path in ("/desk/report", "/desk/aggregates", "/desk/aggregates/export.csv"):
        assert (await client.get(path)).status_code == 403


async def test_the_headlines_are_the_reports_cells_and_only_shown_parts_get_bars(
    app: App,
) -> None:
    from bot.monitoring.headlines import headlines

    await hand_counted_year(app)
    async with app.db.read() as tx:
        report = await monitoring.build_figures(
            tx, date(2026, 1, 1), date(2026, 11, 24), TR, "Comune di Lucca"
        )
    shown = {h.key: h for h in headlines(report, TR)}
    appointments = {line.label: line for line in shown["appointments"].lines}
    assert appointments["Prenotati"].text == "5"
    assert appointments["Prenotati"].share == 100
    assert appointments["Svolti"].text == "<5"
    assert appointments["Svolti"].share is None  # a hidden cell has no bar
    assert all(line.share is None for line in shown["workshops"].lines)  # not parts of a whole
    channels = {line.label: line for line in shown["channels"].lines}
    assert channels["Totale"].share is None


async def test_the_web_page_comes_with_its_charts_in_one_zip(
    app: App, client: httpx.AsyncClient
) -> None:
    await hand_counted_year(app)
    answer = await make(app, client, year="2026", language="it", format="html")
    download = await client.get(answer.headers["location"] + "/download")
    assert download.headers["content-disposition"].endswith('-html.zip"')
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        names = set(archive.namelist())
        page = archive.read("report.html").decode()
    pictures = {n for n in names if n.endswith(".png")}
    assert pictures == {f"{key}.png" for key in re.findall(r'<img src="([^"]+)\.png"', page)}
    assert "Passi successivi concordati ai colloqui" in page


async def test_a_report_that_fails_says_so_and_the_log_names_no_data(
    app: App,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bot.monitoring import generation

    def broken(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(generation, "make_download", broken)
    answer = await make(app, client, year="2026", language="it", format="pdf")
    page = await client.get(answer.headers["location"])
    assert "Non è stato possibile prepararlo" in page.text
    assert [r.getMessage() for r in caplog.records if "report" in r.getMessage()] == [
        f"report {answer.headers['location'].rsplit('/', 1)[1]} failed: OSError"
    ]


async def test_the_aggregates_are_counted_again_after_ten_minutes(
    app: App, client: httpx.AsyncClient
) -> None:
    await as_viewer(app, client)
    before = await client.get("/desk/aggregates")
    await hand_counted_year(app)  # seven people write in the meantime
    kept = await client.get("/desk/aggregates")
    assert kept.text == before.text
    app.clock.advance(timedelta(minutes=11))  # type: ignore[attr-defined]
    fresh = await client.get("/desk/aggregates")
    assert "Contati il 24 nov 2026, 10:11" in fresh.text
    assert '<td class="number">6</td>' in fresh.text  # the intakes started
