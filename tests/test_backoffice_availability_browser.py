"""Availability in a real browser, as the administrator uses it: change an operator's hours
(a mistake shown next to its field first) and see the chat of the running server offer the
new times at once; take away a booked time, confirm on the page that lists the appointment,
and the person is told. axe-core finds no serious or critical problem on these pages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from bot.app import App
from bot.capabilities.accounts import Role
from bot.domain import Booking, BookingStatus, OutboxKind
from tests.agenda_helpers import booking_of
from tests.chat import Chat, complete_intake
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

SATURDAY = "d.20261128"  # nobody works on Saturdays in the example's hours


@pytest.fixture(scope="module")
def server(desk_database: str) -> Iterator[DeskServer]:
    running = DeskServer(desk_database)
    running.start()
    yield running
    running.stop()


def log_in_admin(page: Page, server: DeskServer) -> None:
    page.goto(server.url + "/desk/login")
    page.get_by_label("E-mail").fill(email_of(Role.ADMIN))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url(server.url + "/desk/")


async def days_and_times(app: App, who: str, day: str) -> tuple[list[str], list[str]]:
    """The days the chat offers after the intake, and the times of `day` if offered."""
    chat = Chat(app.engine, who)
    await complete_intake(chat)
    days = [o.id for o in chat.question.options if o.id.startswith("d.")]
    if day not in days:
        return days, []
    await chat.tap(day)
    return days, [o.id for o in chat.question.options if o.id.startswith("t.")]


def test_change_an_operators_hours_and_see_the_chat_offer_the_new_times(
    page: Page, server: DeskServer, axe_source: str
) -> None:
    days, _ = server.call(lambda app: days_and_times(app, "before", SATURDAY))
    assert days
    assert SATURDAY not in days
    log_in_admin(page, server)
    page.get_by_role("navigation").get_by_role("link", name="Disponibilità").click()
    check_page(page, axe_source, "availability")
    page.get_by_role("link", name="Cambia gli orari di Giulia Bianchi").click()
    check_page(page, axe_source, "availability-hours")
    page.get_by_label("Sabato").fill("10 alle 11")
    page.get_by_role("button", name="Salva gli orari").click()
    expect(page.locator("#e-sat")).to_be_visible()  # the error sits next to its field
    check_page(page, axe_source, "availability-hours-errors")
    page.get_by_label("Sabato").fill("10:00-11:00")
    page.get_by_role("button", name="Salva gli orari").click()
    assert "la chat offre i nuovi orari" in page.get_by_role("status").inner_text()
    days, times = server.call(lambda app: days_and_times(app, "after", SATURDAY))
    assert SATURDAY in days
    assert times == ["t.1000"]


async def booked_and_notices(app: App, booking_id: int) -> tuple[Booking | None, set[OutboxKind]]:
    async with app.db.read() as tx:
        booking = await tx.bookings.get(booking_id)
        kinds = {
            i.kind for i in await tx.outbox.listing(("pending",)) if i.booking_id == booking_id
        }
    return booking, kinds


def test_taking_away_a_booked_time_is_confirmed_first(
    page: Page, server: DeskServer, axe_source: str
) -> None:
    booking = server.call(lambda app: booking_of(app, "bruno"))
    operator = server.app.settings.agenda.operator(booking.operator_id)
    assert operator is not None
    log_in_admin(page, server)
    page.goto(server.url + f"/desk/availability/hours/{operator.id}")
    page.get_by_label("Martedì").fill("")
    page.get_by_role("button", name="Salva gli orari").click()
    expect(page.get_by_role("link", name="Anna")).to_be_visible()
    check_page(page, axe_source, "availability-confirm")
    still, _ = server.call(lambda app: booked_and_notices(app, booking.id))
    assert still is not None
    assert still.status == BookingStatus.BOOKED
    page.get_by_role("button", name="Sì, fai la modifica e avvisali").click()
    assert "Gli orari sono stati salvati" in page.get_by_role("status").inner_text()
    cancelled, kinds = server.call(lambda app: booked_and_notices(app, booking.id))
    assert cancelled is not None
    assert cancelled.status == BookingStatus.CANCELLED
    assert OutboxKind.CLOSURE_NOTICE in kinds


def test_add_and_remove_a_closure(page: Page, server: DeskServer, axe_source: str) -> None:
    log_in_admin(page, server)
    page.goto(server.url + "/desk/availability")
    page.get_by_label("Primo giorno").fill("2026-12-07")
    page.get_by_label("Nota (facoltativa, per esempio Natale)").fill("Ponte")
    page.get_by_role("button", name="Aggiungi la chiusura").click()
    assert page.get_by_role("status").inner_text() == "La chiusura è stata aggiunta."
    page.get_by_role(
        "button", name="Togli la chiusura dal 7 dicembre 2026 al 7 dicembre 2026"
    ).click()
    assert "La chiusura è stata tolta" in page.get_by_role("status").inner_text()
    check_page(page, axe_source, "availability-closures")


def test_find_a_person_and_open_the_record(page: Page, server: DeskServer, axe_source: str) -> None:
    server.call(lambda app: booking_of(app, "carla"))  # "Anna" in the intake's answers
    log_in_admin(page, server)
    page.get_by_role("navigation").get_by_role("link", name="Persone").click()
    check_page(page, axe_source, "people")
    page.get_by_role("button", name="Cerca").click()
    expect(page.locator("#e-name")).to_be_visible()
    page.get_by_label("Il nome contiene").fill("ann")
    page.get_by_role("button", name="Cerca").click()
    assert page.url.endswith("/desk/people")  # the terms are not in the address
    check_page(page, axe_source, "people-found")
    page.get_by_role("link", name="Anna").first.click()
    assert "/desk/people/" in page.url
