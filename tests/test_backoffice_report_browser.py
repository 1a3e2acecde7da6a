"""The Comune's pages in a real browser, as a viewer uses them: the home page's links, the
aggregates, the Report form's errors next to its fields, a report whose status page follows
the work by itself (and offers a plain Refresh link without JavaScript), and its download.
axe-core finds no serious or critical problem on any of these pages."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from bot.app import App
from bot.capabilities.accounts import Role
from bot.monitoring.generation import runner_for
from tests.desk_browser import (
    DeskServer,
    axe_source,
    browser,
    check_page,
    chromium,
    desk_database,
    page,
)
from tests.desk_helpers import PASSWORD, email_of
from tests.test_monitoring_figures import hand_counted_year

__all__ = ["axe_source", "browser", "chromium", "desk_database", "page"]

T = TypeVar("T")


class ReportDesk(DeskServer):
    def run(self, work: Callable[[App], Awaitable[T]]) -> T:
        """Run `work` on the served app, in the server's own event loop."""
        app = self.served
        assert app is not None

        async def call() -> T:
            return await work(app)

        return asyncio.run_coroutine_threadsafe(call(), self.served_loop).result(60)


@pytest.fixture(scope="module")
def server(desk_database: str) -> Iterator[ReportDesk]:
    running = ReportDesk(desk_database)
    running.start()
    running.run(hand_counted_year)
    yield running
    running.stop()


def log_in_viewer(page: Page, server: ReportDesk) -> None:
    page.goto(server.url + "/desk/login")
    page.get_by_label("E-mail").fill(email_of(Role.VIEWER))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url(server.url + "/desk/")


async def hold(app: App) -> None:
    """Keeps reports from starting (one is made at a time) until `release`."""
    await runner_for(app.db, app.engine.translators, app.clock)._one_at_a_time.acquire()


async def release(app: App) -> None:
    runner_for(app.db, app.engine.translators, app.clock)._one_at_a_time.release()


def test_the_viewer_reads_the_aggregates(page: Page, server: ReportDesk, axe_source: str) -> None:
    log_in_viewer(page, server)
    main = page.locator("main")
    expect(main.get_by_role("link", name="Dati aggregati")).to_be_visible()
    expect(main.get_by_role("link", name="Rapporto")).to_be_visible()
    main.get_by_role("link", name="Dati aggregati").click()
    expect(page.get_by_role("heading", name="Appuntamenti per stato")).to_be_visible()
    assert "<5" in page.locator("main").inner_text()
    check_page(page, axe_source, "aggregates")
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX (Excel)").click()
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert book.active["A1"].value == "Gruppo"


def test_the_viewer_makes_a_report_and_downloads_it(
    page: Page, server: ReportDesk, axe_source: str, browser: Browser
) -> None:
    log_in_viewer(page, server)
    page.goto(server.url + "/desk/report")
    check_page(page, axe_source, "report")
    page.get_by_label("Dal (facoltativo)", exact=True).fill("2026-05-01")
    page.get_by_label("Al (facoltativo)", exact=True).fill("2026-04-01")
    page.get_by_role("button", name="Prepara il rapporto").click()
    expect(page.locator("#e-end")).to_be_visible()  # the error sits next to its field
    check_page(page, axe_source, "report-errors")
    page.get_by_label("Dal (facoltativo)", exact=True).fill("")
    page.get_by_label("Al (facoltativo)", exact=True).fill("2026-06-30")
    page.get_by_label("Foglio di calcolo, un foglio per tabella (XLSX)").check()
    server.run(hold)
    try:
        page.get_by_role("button", name="Prepara il rapporto").click()
        page.wait_for_url(server.url + "/desk/report/*")
        assert page.locator("#bar").get_attribute("value") == "0"
        assert "Sto contando i dati" in page.locator("#progress-text").inner_text()
        check_page(page, axe_source, "report-running")
        # Without JavaScript the same page offers a plain link to look again.
        plain = browser.new_context(java_script_enabled=False, locale="it-IT")
        try:
            plain.add_cookies(
                [
                    {"name": c["name"], "value": c["value"], "url": server.url + "/desk/"}
                    for c in page.context.cookies()
                ]
            )
            other = plain.new_page()
            other.goto(page.url)
            expect(other.get_by_role("link", name="Aggiorna")).to_be_visible()
        finally:
            plain.close()
    finally:
        server.run(release)
    # The page's small script follows the work, then shows the download.
    expect(page.get_by_role("link", name="Scarica")).to_be_visible(timeout=60000)
    assert page.locator("#bar").get_attribute("value") == "100"
    check_page(page, axe_source, "report-done")
    with page.expect_download() as download:
        page.get_by_role("link", name="Scarica").click()
    assert download.value.suggested_filename == "report-2026-01-01-2026-06-30.xlsx"
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert "activity_appointments" in book.sheetnames
    page.get_by_role("link", name="Torna alla pagina del rapporto").click()
    assert "2026-01-01 – 2026-06-30" in page.locator("main").inner_text()
