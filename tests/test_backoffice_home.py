"""Each role's home page says what that person does first: an operator's appointments today,
the next workshops for staff, the outbox's failures, the accounts and the closures for an
administrator, and for a viewer the aggregate pages (or a plain sentence without them)."""

from __future__ import annotations

import httpx

from bot.app import App
from bot.capabilities.accounts import Role
from tests.agenda_helpers import booking_of, log_in_as_operator
from tests.desk_helpers import add_accounts, cheap_hasher, client, email_of, login
from tests.workshop_helpers import new_workshop

__all__ = ["cheap_hasher", "client"]


async def test_an_operator_sees_today_s_appointments(app: App, client: httpx.AsyncClient) -> None:
    booking = await booking_of(app, "anna")  # today, Tuesday 24 November
    await log_in_as_operator(app, client, booking.operator_id)
    home = (await client.get("/desk/")).text
    assert "1 appuntamento oggi." in home
    assert 'href="/desk/agenda"' in home
    assert 'href="/desk/people"' in home


async def test_staff_see_the_next_workshops(app: App, client: httpx.AsyncClient) -> None:
    async with app.db.write() as tx:
        workshop = await new_workshop(tx, app)
    await add_accounts(app)
    await login(client, email_of(Role.STAFF))
    home = (await client.get("/desk/")).text
    assert f'href="/desk/workshops/{workshop.id}"' in home
    assert workshop.title in home


async def test_the_admin_sees_failures_accounts_and_closures(
    app: App, client: httpx.AsyncClient
) -> None:
    await add_accounts(app)
    await login(client, email_of(Role.ADMIN))
    home = (await client.get("/desk/")).text
    assert "Non riusciti: 0" in home
    assert "4 account del back-office" in home
    assert "2 chiusure in programma" in home  # the example's Christmas closures
    assert 'href="/desk/availability"' in home


async def test_a_viewer_sees_no_personal_data(app: App, client: httpx.AsyncClient) -> None:
    await add_accounts(app)
    await login(client, email_of(Role.VIEWER))
    home = (await client.get("/desk/")).text
    assert "Dati" in home
    assert "/desk/agenda" not in home
    assert "/desk/people" not in home
