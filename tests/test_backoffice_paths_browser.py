"""A person's path and proposing them, in a real browser and without JavaScript's help: the
operator records an internship (a wrong form first), its end, and proposes the person for a
profile; axe-core finds no serious or critical problem on any of these pages."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from bot.app import build_app
from bot.clock import ManualClock
from bot.domain import OutboxStatus
from tests.agenda_helpers import booking_of, operator_account
from tests.company_helpers import profile
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
from tests.desk_helpers import PASSWORD

__all__ = ["axe_source", "browser", "chromium", "desk_database", "page"]

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # the clock of DeskServer
WAITER = {"code": "hotel-cam", "title": "Cameriere di sala", "essential": ["tourism.table_service"]}


@dataclass(frozen=True)
class Seeded:
    server: DeskServer
    email: str
    anna: int


async def seed(database: str) -> tuple[str, int]:
    app = await build_app(make_settings(database), ManualClock(START))
    try:
        booking = await booking_of(app, "anna")
        await profile(app, WAITER, company="Hotel Esempio")
        async with app.db.write() as tx:
            # As if the dispatcher had sent them: DeskServer adds its one pending row next.
            for item in await tx.outbox.listing(("pending",)):
                await tx.outbox.finish(item, OutboxStatus.SENT, START, None)
        return await operator_account(app, booking.operator_id), booking.person_id or 0
    finally:
        await app.close()


@pytest.fixture(scope="module")
def seeded(desk_database: str) -> Iterator[Seeded]:
    database = desk_database
    with ThreadPoolExecutor(1) as pool:
        email, anna = pool.submit(asyncio.run, seed(database)).result()
    server = DeskServer(database)
    server.start()
    yield Seeded(server, email, anna)
    server.stop()


def test_the_operator_records_an_internship_and_proposes_the_person(
    page: Page, seeded: Seeded, axe_source: str
) -> None:
    url = seeded.server.url
    page.goto(url + "/desk/login")
    page.get_by_label("E-mail").fill(seeded.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url(url + "/desk/")

    page.goto(url + f"/desk/people/{seeded.anna}")
    check_page(page, axe_source, "person-path")
    page.get_by_role("link", name="Tirocinio", exact=True).click()
    check_page(page, axe_source, "path-form")
    page.get_by_label("Azienda ospitante").fill("Hotel Esempio")
    page.get_by_label("Inizio").fill("2026-12-01")
    page.get_by_role("button", name="Registra la tappa").click()
    expect(page.get_by_text("Indica la data.")).to_be_visible()  # the planned end, next to it
    check_page(page, axe_source, "path-form-errors")
    page.get_by_label("Fine prevista").fill("2027-05-31")
    page.get_by_role("button", name="Registra la tappa").click()
    assert page.get_by_role("status").first.inner_text() == "La tappa è stata registrata."
    assert page.locator("ul.path abbr").first.inner_text() == "TA"

    page.get_by_role("link", name="Registra la fine").click()
    check_page(page, axe_source, "path-end")
    page.get_by_label("Fine effettiva").fill("2027-03-01")
    page.get_by_label("Perché è finito").select_option("hired")
    page.get_by_role("button", name="Registra la fine").click()
    assert page.locator("ul.path abbr").first.inner_text() == "CAS"

    page.get_by_role("link", name="Proponi per un profilo professionale").click()
    check_page(page, axe_source, "propose")
    page.get_by_label("Profilo professionale (aperto)").select_option(
        label="hotel-cam · Cameriere di sala · Hotel Esempio"
    )
    page.get_by_role("button", name="Invia la proposta").click()
    expect(page.get_by_text("Scrivi perché proponi questa persona")).to_be_visible()
    check_page(page, axe_source, "propose-errors")
    page.get_by_label("Perché proponi questa persona").fill(
        "Esperienza in sala, libera nei weekend."
    )
    page.get_by_role("button", name="Invia la proposta").click()
    assert "La proposta è stata inviata" in page.inner_text("main")
