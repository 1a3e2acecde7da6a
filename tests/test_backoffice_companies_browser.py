"""Companies, job profiles, matching and the skills gap in a real browser, as staff and the
viewer use them: the company form's error next to its field, a profile with skills and
conditions, the list of who meets it and the operator's choice, the skills gap with its chart.
axe-core finds no serious or critical problem on any of these pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from bot.app import build_app
from bot.capabilities.accounts import Role
from bot.clock import ManualClock
from tests.company_helpers import person
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

__all__ = ["axe_source", "browser", "chromium", "desk_database", "page"]


class CompanyDesk(DeskServer):
    """The back-office with three people who did the intake, two of them paper operators."""

    async def _serve(self) -> None:
        side = await build_app(
            make_settings(self.database), ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
        )
        now = side.clock.now()
        await person(side, "a", {"skills.paper": ["paper.machine_operator"]}, now)
        await person(
            side, "b", {"skills.paper": ["paper.machine_operator", "paper.reel_handling"]}, now
        )
        await person(side, "c", {"skills.care": ["care.oss"]}, now)
        await side.close()
        await super()._serve()


@pytest.fixture(scope="module")
def server(desk_database: str) -> Iterator[CompanyDesk]:
    running = CompanyDesk(desk_database)
    running.start()
    yield running
    running.stop()


def log_in(page: Page, server: CompanyDesk, role: Role) -> None:
    page.goto(server.url + "/desk/login")
    page.get_by_label("E-mail").fill(email_of(role))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url(server.url + "/desk/")


def test_staff_create_a_company_and_a_profile_and_see_who_meets_it(
    page: Page, server: CompanyDesk, axe_source: str
) -> None:
    log_in(page, server, Role.STAFF)
    page.get_by_role("link", name="Aziende").first.click()
    check_page(page, axe_source, "companies")
    page.get_by_role("link", name="Nuova azienda").click()
    page.get_by_role("button", name="Salva l'azienda").click()
    expect(page.locator("#e-name")).to_be_visible()  # the error sits next to its field
    check_page(page, axe_source, "company-new-errors")
    page.get_by_label("Nome dell'azienda").fill("Cartiera Esempio")
    page.get_by_label("Dove si trova (comune o zona)").fill("Capannori")
    page.get_by_role("button", name="Salva l'azienda").click()
    check_page(page, axe_source, "company")
    page.get_by_role("link", name="Nuova figura professionale").click()
    check_page(page, axe_source, "profile-new")
    page.get_by_label("Codice breve", exact=False).fill("cart-op")
    page.get_by_label("Titolo della figura").fill("Conduttore di macchina continua")
    page.get_by_label("Posti disponibili").fill("2")
    page.locator("#f-skill-paper\\.machine_operator").select_option("essential")
    page.locator("#f-skill-paper\\.reel_handling").select_option("desirable")
    page.get_by_role("button", name="Salva la figura professionale").click()
    check_page(page, axe_source, "profile")
    listed = page.locator("table").inner_text()
    assert "#1" in listed
    assert "#2" in listed
    assert "#3" not in listed
    page.get_by_role("checkbox").first.uncheck()  # nothing required: everyone is listed
    page.get_by_role("button", name="Mostra chi la soddisfa").click()
    assert "#3" in page.locator("table").inner_text()
    check_page(page, axe_source, "profile-nothing-required")


def test_the_viewer_sees_the_skills_gap_without_names(
    page: Page, server: CompanyDesk, axe_source: str
) -> None:
    log_in(page, server, Role.VIEWER)
    page.get_by_role("link", name="Divario di competenze").first.click()
    check_page(page, axe_source, "skills-gap")
    text = page.locator("main").inner_text()
    assert "Aziende" not in page.locator("nav").inner_text()
    assert "<5" in text or "Niente da mostrare" in text
