"""The agenda and a person's record in a real browser: the operator sees the intake summary
of someone who booked in the chat, records an outcome and a next step, opens the record and
writes a note; axe-core finds no serious or critical problem on any of these pages."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from bot.app import build_app
from bot.capabilities.accounts import Role
from bot.clock import ManualClock
from bot.domain import Channel, MeetingMode, OutboxStatus
from tests.agenda_helpers import booking_of, operator_account
from tests.chat import Chat, complete_intake
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
from tests.test_backoffice_agenda import digest_summary

__all__ = ["axe_source", "browser", "chromium", "desk_database", "page"]

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # the clock of DeskServer


@dataclass(frozen=True)
class Seeded:
    server: DeskServer
    email: str  # the operator's account
    summary: list[str]  # Anna's intake summary, as the chat digest gives it
    anna: int  # her person id
    past_booking: int  # Bruno's appointment, begun half an hour ago


async def seed(database: str) -> tuple[str, list[str], int, int]:
    app = await build_app(make_settings(database), ManualClock(START))
    try:
        booking = await booking_of(app, "anna")
        summary = await digest_summary(app, booking.id)
        await complete_intake(Chat(app.engine, "bruno"))
        async with app.db.write() as tx:
            bruno = await tx.people.by_identity(Channel.TELEGRAM, "bruno")
            assert bruno is not None
            past = await tx.bookings.create(
                person_id=bruno.id,
                operator_id=booking.operator_id,
                starts_at=START - timedelta(minutes=30),
                ends_at=START,
                meeting_mode=MeetingMode.ROOM,
                uid="past-appointment",
                now=START - timedelta(days=1),
                join_url="https://zoom.example.org/j/1",
            )
        assert past is not None
        async with app.db.write() as tx:
            # As if the dispatcher had sent them: DeskServer adds its one pending row next.
            for item in await tx.outbox.listing(("pending",)):
                await tx.outbox.finish(item, OutboxStatus.SENT, START, None)
        email = await operator_account(app, booking.operator_id)
        return email, summary, booking.person_id or 0, past.id
    finally:
        await app.close()


@pytest.fixture(scope="module")
def seeded(desk_database: str) -> Iterator[Seeded]:
    database = desk_database
    # In its own thread: Playwright's event loop may already be running in this one.
    with ThreadPoolExecutor(1) as pool:
        email, summary, anna, past = pool.submit(asyncio.run, seed(database)).result()
    server = DeskServer(database)
    server.start()
    yield Seeded(server, email, summary, anna, past)
    server.stop()


def log_in(page: Page, seeded: Seeded) -> None:
    url = seeded.server.url
    page.goto(url + "/desk/login")
    page.get_by_label("E-mail").fill(seeded.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url(url + "/desk/")


def test_the_operator_sees_the_intake_summary_of_someone_who_booked_in_the_chat(
    page: Page, seeded: Seeded, axe_source: str
) -> None:
    log_in(page, seeded)
    page.get_by_role("navigation").get_by_role("link", name="Agenda").click()
    page.get_by_label("Periodo").select_option("week")
    page.get_by_role("button", name="Mostra").click()
    main = page.locator("main").inner_text()
    assert "Anna" in main
    assert all(line in main for line in seeded.summary)
    check_page(page, axe_source, "agenda-week")


def test_the_operator_records_an_outcome_and_a_next_step(
    page: Page, seeded: Seeded, axe_source: str
) -> None:
    log_in(page, seeded)
    page.goto(seeded.server.url + "/desk/agenda")
    page.locator(
        f'form[action="/desk/agenda/{seeded.past_booking}/outcome"] button[value="attended"]'
    ).click()
    assert page.get_by_role("status").inner_text() == "L'esito è stato registrato."
    check_page(page, axe_source, "agenda-recorded")
    page.locator(f"#s-{seeded.past_booking}").select_option("training")
    page.get_by_role("button", name="Registra il passo successivo").click()
    assert page.get_by_role("status").inner_text() == "Il passo successivo è stato registrato."


def test_the_operator_opens_the_record_and_writes_a_note(
    page: Page, seeded: Seeded, axe_source: str
) -> None:
    log_in(page, seeded)
    page.goto(seeded.server.url + "/desk/agenda?range=week")
    page.locator(f'a[href="/desk/people/{seeded.anna}"]').click()
    assert page.url.endswith(f"/desk/people/{seeded.anna}")
    check_page(page, axe_source, "person")
    page.get_by_label("Nuova nota").fill("Porta il CV aggiornato")
    page.get_by_role("button", name="Salva la nota").click()
    assert "Porta il CV aggiornato" in page.locator("main").inner_text()
    check_page(page, axe_source, "person-note")


def test_the_admin_is_asked_to_confirm_an_erasure(
    page: Page, seeded: Seeded, axe_source: str
) -> None:
    log_in(page, replace(seeded, email=email_of(Role.ADMIN)))
    page.goto(seeded.server.url + f"/desk/people/{seeded.anna}")
    page.get_by_role("link", name="Cancella i dati di questa persona").click()
    expect(page.get_by_role("button", name="Sì, cancella tutto")).to_be_visible()
    check_page(page, axe_source, "person-erase")
    page.get_by_role("link", name="No, torna alla scheda").click()
    assert page.url.endswith(f"/desk/people/{seeded.anna}")
