"""Workshops in a real browser, as staff use them: create one (the validation's errors next
to the fields first), preview and send its invitation, and watch the live progress bar reach
100% while the test ticks the outbox's dispatcher with recording senders. axe-core finds no
serious or critical problem on any of these pages."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import TypeVar

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from bot.app import App, build_app
from bot.channels import Sender
from bot.clock import ManualClock
from bot.domain import Channel
from tests.booking_helpers import RecordingSender
from tests.conftest import make_settings
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
from tests.workshop_helpers import new_person

__all__ = ["axe_source", "browser", "chromium", "desk_database", "page"]

T = TypeVar("T")


class WorkshopDesk(DeskServer):
    """The back-office on loopback, beside a second app on the same database that seeds
    people and runs the dispatcher when the test says, in the server's own event loop."""

    side: App
    loop: asyncio.AbstractEventLoop

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.side = await build_app(
            make_settings(self.database), ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
        )
        async with self.side.db.write() as tx:
            for who in ("101", "102"):
                await new_person(tx, self.side, who)
        try:
            await super()._serve()
        finally:
            await self.side.close()

    def run(self, work: Callable[[App], Awaitable[T]]) -> T:
        async def call() -> T:
            return await work(self.side)

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(60)


@pytest.fixture(scope="module")
def server(desk_database: str) -> Iterator[WorkshopDesk]:
    running = WorkshopDesk(desk_database)
    running.start()
    yield running
    running.stop()


def log_in_staff(page: Page, server: WorkshopDesk) -> None:
    page.goto(server.url + "/desk/login")
    page.get_by_label("E-mail").fill(email_of_staff())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url(server.url + "/desk/")


def email_of_staff() -> str:
    from bot.capabilities.accounts import Role

    return email_of(Role.STAFF)


async def dispatch(app: App) -> list[str]:
    sender = RecordingSender()
    senders: dict[Channel, Sender] = {Channel.TELEGRAM: sender}
    await app.dispatcher(senders, {}).tick()
    return [who for who, _reply in sender.sent]


def test_create_and_send_a_workshop_and_watch_the_progress_finish(
    page: Page, server: WorkshopDesk, axe_source: str
) -> None:
    log_in_staff(page, server)
    page.get_by_role("link", name="Laboratori").first.click()
    check_page(page, axe_source, "workshops")
    page.get_by_role("link", name="Nuovo laboratorio").click()
    check_page(page, axe_source, "workshop-new")
    page.get_by_role("button", name="Salva il laboratorio").click()
    expect(page.locator("#e-title")).to_be_visible()  # the error sits next to its field
    check_page(page, axe_source, "workshop-new-errors")
    page.get_by_label("Titolo").fill("Scrivere il CV")
    page.get_by_label("Inizio (giorno e ora)").fill("2026-12-10T10:00")
    page.get_by_label("Minuti").fill("90")
    page.get_by_label("Posti", exact=True).fill("20")
    page.get_by_label("Indirizzo (vuoto per un laboratorio online)").fill("Sala Staffetti")
    page.get_by_role("button", name="Salva il laboratorio").click()
    assert "Nessuno è stato ancora avvisato" in page.get_by_role("status").inner_text()
    check_page(page, axe_source, "workshop")
    page.get_by_role("link", name="Anteprima e invio dell'invito").click()
    assert "🎓 Scrivere il CV" in page.locator(".chat").inner_text()
    check_page(page, axe_source, "workshop-invitation")
    page.get_by_role("button", name="Invia a 2 persone").click()
    assert page.locator("#bar").get_attribute("value") == "0"
    check_page(page, axe_source, "broadcast-progress")
    assert sorted(server.run(dispatch)) == ["101", "102"]
    # The bar follows by itself (the page's small script polls the progress JSON).
    expect(page.locator("#bar")).to_have_attribute("value", "100", timeout=15000)
    assert "Concluso: 2 recapitati" in page.locator("#progress-text").inner_text()
    assert page.locator("#stop").is_hidden()
    check_page(page, axe_source, "broadcast-done")


def test_attendees_export_and_announcements(
    page: Page, server: WorkshopDesk, axe_source: str
) -> None:
    log_in_staff(page, server)
    page.goto(server.url + "/desk/workshops")
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX (Excel)").click()
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    assert sheet["A1"].value == "Codice"
    page.goto(server.url + "/desk/announcements")
    check_page(page, axe_source, "announcements")
    page.get_by_label("Testo (al massimo 1000 caratteri)").fill("Nuovi corsi a Lucca")
    page.get_by_role("button", name="Anteprima").click()
    assert "📣 Nuovi corsi a Lucca" in page.locator(".chat").inner_text()
    check_page(page, axe_source, "announcement-preview")
