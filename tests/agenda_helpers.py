"""Shared by the agenda and person-record tests: someone booked through the chat, and a
logged-in back-office account for the operator they were booked with."""

from __future__ import annotations

import httpx

from bot.app import App
from bot.capabilities import accounts
from bot.domain import Booking, Channel
from tests.booking_helpers import booked_person
from tests.desk_helpers import PASSWORD, login


async def booking_of(app: App, who: str) -> Booking:
    """Book the first free time through the chat as `who`; the appointment made."""
    await booked_person(app, who)
    async with app.db.read() as tx:
        person = await tx.people.by_identity(Channel.TELEGRAM, who)
        assert person is not None
        [booking] = await tx.bookings.active_for(person.id)
    return booking


async def operator_account(app: App, operator_id: str) -> str:
    """An operator account of that operator; its e-mail."""
    email = f"{operator_id}@desk.example.org"
    async with app.db.write() as tx:
        result = await accounts.add_user(
            tx, email, "operator", PASSWORD, app.clock.now(), operator_id=operator_id
        )
    assert result.user_id is not None, result.problems
    return email


async def log_in_as_operator(app: App, client: httpx.AsyncClient, operator_id: str) -> None:
    answer = await login(client, await operator_account(app, operator_id))
    assert answer.status_code == 303


def other_operator(app: App, operator_id: str) -> str:
    return next(o.id for o in app.settings.agenda.operators if o.id != operator_id)
