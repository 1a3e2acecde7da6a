"""The back-office in a real browser, as the people who use it: each role logs in and sees
its home page, the admin reads and retries the outbox and exports a list; axe-core finds no
serious or critical accessibility problem on any page."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from bot.capabilities.accounts import Role
from tests.desk_browser import (
    DeskServer,
    axe_source,
    browser,
    check_page,
    chromium,
    desk_database,
    desk_server,
    page,
)
from tests.desk_helpers import PASSWORD, email_of

__all__ = ["axe_source", "browser", "chromium", "desk_database", "desk_server", "page"]


def log_in(page: Page, server: DeskServer, role: Role) -> None:
    page.goto(server.url + "/desk/login")
    page.get_by_label("E-mail").fill(email_of(role))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url(server.url + "/desk/")


def test_the_login_page(page: Page, desk_server: DeskServer, axe_source: str) -> None:
    page.goto(desk_server.url + "/desk/login")
    assert page.locator("h1").inner_text() == "Accedi"
    check_page(page, axe_source, "login")
    page.get_by_role("button", name="Accedi").click()
    expect(page.locator("#e-email")).to_be_visible()  # the error sits next to its field
    check_page(page, axe_source, "login-errors")


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_each_role_logs_in_and_sees_its_home_page(
    page: Page, desk_server: DeskServer, axe_source: str, role: Role
) -> None:
    log_in(page, desk_server, role)
    assert email_of(role) in page.locator("main").inner_text()
    check_page(page, axe_source, f"home-{role.value}")
    page.get_by_role("button", name="Esci").click()
    page.wait_for_url(desk_server.url + "/desk/login")


def test_the_admin_reads_retries_and_exports_the_outbox(
    page: Page, desk_server: DeskServer, axe_source: str
) -> None:
    log_in(page, desk_server, Role.ADMIN)
    page.get_by_role("link", name="Messaggi in uscita").first.click()
    assert "chat not found" in page.locator("table").inner_text()
    check_page(page, axe_source, "outbox")
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX (Excel)").click()
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    assert sheet.max_row >= 2
    assert any("chat not found" in str(c.value) for c in sheet[2])
    page.get_by_role("button", name="Riprova il messaggio 1").click()
    assert "di nuovo in coda" in page.get_by_role("status").inner_text()


def test_the_admin_pages_users_and_audit(
    page: Page, desk_server: DeskServer, axe_source: str
) -> None:
    log_in(page, desk_server, Role.ADMIN)
    page.goto(desk_server.url + "/desk/users")
    check_page(page, axe_source, "users")
    page.get_by_role("button", name="Aggiungi l'account").click()
    expect(page.locator("#e-email")).to_be_visible()
    check_page(page, axe_source, "users-errors")
    page.goto(desk_server.url + "/desk/audit")
    check_page(page, axe_source, "audit")


def test_english_and_the_error_page(page: Page, desk_server: DeskServer, axe_source: str) -> None:
    log_in(page, desk_server, Role.STAFF)
    page.get_by_role("button", name="English").click()
    assert page.locator("h1").inner_text() == "Home"
    page.goto(desk_server.url + "/desk/outbox")
    assert page.locator("h1").inner_text() == "Not allowed"
    check_page(page, axe_source, "not-allowed")


def test_the_accessibility_check_does_find_problems(page: Page, axe_source: str) -> None:
    """So that "no violations" above means something."""
    from tests.desk_browser import axe_violations

    page.set_content('<html><body><input type="text"><img src="x.png"></body></html>')
    assert {v["id"] for v in axe_violations(page, axe_source)} >= {"image-alt"}
