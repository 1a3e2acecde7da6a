"""The agenda page: operators see their own appointments with the chat digest's intake
summary and the Zoom link, record the outcome and the next step; administrators see
everyone's; the list exports with its filters."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta

import httpx

from bot.app import App
from bot.capabilities import appointments
from bot.capabilities.accounts import Role
from bot.domain import BookingStatus, OutboxKind
from bot.flows import operators
from tests.agenda_helpers import booking_of, log_in_as_operator, other_operator
from tests.desk_helpers import add_accounts, cheap_hasher, client, csrf_of, email_of, login

__all__ = ["cheap_hasher", "client"]


async def digest_summary(app: App, booking_id: int) -> list[str]:
    """What the operator's chat digest says about the person, line by line."""
    async with app.db.read() as tx:
        booking = await tx.bookings.get(booking_id)
        assert booking is not None
        view = operators.Desk(
            tx,
            app.settings.agenda,
            app.engine.content,
            app.engine.translators["it"],
            app.clock.now(),
            app.settings.agenda.operators[0],
        )
        text = await operators.person_summary(view, booking)
    return [line.strip() for line in text.splitlines() if line.strip()]


async def test_an_operator_sees_their_appointment_with_the_intake_summary(
    app: App, client: httpx.AsyncClient
) -> None:
    booking = await booking_of(app, "anna")
    await log_in_as_operator(app, client, booking.operator_id)
    page = await client.get("/desk/agenda?range=week")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Anna" in text
    summary = await digest_summary(app, booking.id)
    assert summary
    assert all(line in text for line in summary)
    assert f'href="/desk/people/{booking.person_id}"' in page.text
    links = re.findall(r'(?:href|action)="([^"]*)"', page.text)
    assert [link for link in links if "anna" in link.lower()] == []  # ids only in URLs


async def test_an_operator_does_not_see_another_operators_appointments(
    app: App, client: httpx.AsyncClient
) -> None:
    booking = await booking_of(app, "anna")
    await log_in_as_operator(app, client, other_operator(app, booking.operator_id))
    page = await client.get("/desk/agenda?range=week&operator=" + booking.operator_id)
    assert "Anna" not in page.text
    assert f"/desk/agenda/{booking.id}/" not in page.text


async def test_the_admin_sees_everyones_and_filters_by_operator(
    app: App, client: httpx.AsyncClient
) -> None:
    booking = await booking_of(app, "anna")
    await add_accounts(app)
    await login(client, email_of(Role.ADMIN))
    assert "Anna" in (await client.get("/desk/agenda?range=week")).text
    mine = await client.get(f"/desk/agenda?range=week&operator={booking.operator_id}")
    assert "Anna" in mine.text
    other = other_operator(app, booking.operator_id)
    assert "Anna" not in (await client.get(f"/desk/agenda?range=week&operator={other}")).text


async def test_recording_the_outcome_and_the_next_step(app: App, client: httpx.AsyncClient) -> None:
    booking = await booking_of(app, "anna")
    await log_in_as_operator(app, client, booking.operator_id)
    early = await client.get("/desk/agenda?range=week")
    assert f"/desk/agenda/{booking.id}/outcome" not in early.text  # not begun yet
    app.clock.set(booking.starts_at + timedelta(minutes=5))  # type: ignore[attr-defined]
    client.cookies.clear()  # the session has ended meanwhile
    await login(client, f"{booking.operator_id}@desk.example.org")
    page = await client.get("/desk/agenda")
    assert f"/desk/agenda/{booking.id}/outcome" in page.text
    answer = await client.post(
        f"/desk/agenda/{booking.id}/outcome",
        data={"csrf": csrf_of(page), "outcome": "attended", "range": "today"},
    )
    assert answer.status_code == 303
    page = await client.get(answer.headers["location"])
    assert "registrato" in page.text.lower()
    await client.post(
        f"/desk/agenda/{booking.id}/step",
        data={"csrf": csrf_of(page), "step": "training", "range": "today"},
    )
    async with app.db.read() as tx:
        done = await tx.bookings.get(booking.id)
        survey = await tx.outbox.pending_for(booking.person_id or 0, OutboxKind.SURVEY)
        audited = [e.action for e in await tx.audit.recent(None)]
    assert done is not None
    assert (done.status, done.next_step) == (BookingStatus.ATTENDED, "training")
    assert survey  # the capability's effect: the satisfaction question is planned
    assert {"booking.outcome", "booking.next_step"} <= set(audited)


async def test_another_operator_cannot_record_and_cancelled_has_no_outcome(
    app: App, client: httpx.AsyncClient
) -> None:
    booking = await booking_of(app, "anna")
    app.clock.set(booking.starts_at + timedelta(minutes=5))  # type: ignore[attr-defined]
    await log_in_as_operator(app, client, other_operator(app, booking.operator_id))
    page = await client.get("/desk/agenda")
    answer = await client.post(
        f"/desk/agenda/{booking.id}/outcome", data={"csrf": csrf_of(page), "outcome": "no_show"}
    )
    assert answer.headers["location"].endswith("done=not_yours")
    async with app.db.write() as tx:
        still = await tx.bookings.get(booking.id)
        assert still is not None
        assert still.status == BookingStatus.BOOKED
        assert await appointments.cancel(tx, app.settings.agenda, still, app.clock.now())
    client.cookies.clear()
    await log_in_as_operator(app, client, booking.operator_id)
    page = await client.get("/desk/agenda")
    assert "annullato" in page.text
    assert f"/desk/agenda/{booking.id}/outcome" not in page.text


async def test_the_agenda_exports_with_its_filters(app: App, client: httpx.AsyncClient) -> None:
    booking = await booking_of(app, "anna")
    await add_accounts(app)
    await login(client, email_of(Role.ADMIN))
    page = await client.get(f"/desk/agenda?range=week&operator={booking.operator_id}")
    assert f"/desk/agenda/export.csv?range=week&amp;operator={booking.operator_id}" in page.text
    answer = await client.get(f"/desk/agenda/export.csv?range=week&operator={booking.operator_id}")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert len(rows) == 2
    assert "Anna" in rows[1]
    assert str(booking.person_id) in rows[1]
    xlsx = await client.get("/desk/agenda/export.xlsx?range=week")
    assert xlsx.headers["content-type"].startswith("application/vnd.openxml")
    async with app.db.read() as tx:
        assert [e.subject_type for e in await tx.audit.recent("export.csv")] == ["booking"]
