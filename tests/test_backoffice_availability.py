"""The availability pages over HTTP: an administrator changes an operator's hours (errors next
to the fields first), is asked before a change cancels a booked appointment, adds and removes
closures; other roles cannot."""

from __future__ import annotations

import httpx

from bot.app import App
from bot.capabilities import opening
from bot.capabilities.accounts import Role
from bot.domain import BookingStatus, OutboxKind
from tests.agenda_helpers import booking_of
from tests.desk_helpers import add_accounts, cheap_hasher, client, csrf_of, email_of, login

__all__ = ["cheap_hasher", "client"]


async def as_admin(app: App, client: httpx.AsyncClient) -> str:
    await add_accounts(app)
    await login(client, email_of(Role.ADMIN))
    return csrf_of(await client.get("/desk/availability"))


async def test_the_admin_sees_and_changes_hours(app: App, client: httpx.AsyncClient) -> None:
    csrf = await as_admin(app, client)
    page = await client.get("/desk/availability")
    assert page.status_code == 200
    assert "Giulia Bianchi" in page.text
    assert "09:00-13:00, 14:30-17:30" in page.text
    form = await client.get("/desk/availability/hours/giulia")
    assert 'value="09:00-13:00, 14:30-17:30"' in form.text
    bad = await client.post(
        "/desk/availability/hours/giulia", data={"csrf": csrf, "mon": "9 to 13"}
    )
    assert bad.status_code == 400
    assert 'id="e-mon"' in bad.text
    assert "non è una fascia oraria" in bad.text
    saved = await client.post(
        "/desk/availability/hours/giulia", data={"csrf": csrf, "sat": "10:00-12:00"}
    )
    assert saved.status_code == 303
    async with app.db.read() as tx:
        agenda = await opening.current(tx, app.settings.agenda)
    giulia = agenda.operator("giulia")
    assert giulia is not None
    assert [w.weekday for w in giulia.windows] == [5]
    assert (
        "da ora la chat offre i nuovi orari" in (await client.get(saved.headers["location"])).text
    )


async def test_a_change_that_cancels_an_appointment_is_confirmed_first(
    app: App, client: httpx.AsyncClient
) -> None:
    booking = await booking_of(app, "anna")  # Tuesday 24 November, with Marco
    csrf = await as_admin(app, client)
    form = {"csrf": csrf, "thu": "09:00-13:00"}
    asked = await client.post("/desk/availability/hours/marco", data=form)
    assert asked.status_code == 200
    assert f'href="/desk/people/{booking.person_id}"' in asked.text
    assert f'name="confirmed" value="{booking.id}"' in asked.text
    async with app.db.read() as tx:
        still = await tx.bookings.get(booking.id)
    assert still is not None
    assert still.status == BookingStatus.BOOKED
    done = await client.post(
        "/desk/availability/hours/marco",
        data={**form, "confirm": "yes", "confirmed": str(booking.id)},
    )
    assert done.status_code == 303
    async with app.db.read() as tx:
        cancelled = await tx.bookings.get(booking.id)
        kinds = {i.kind for i in await tx.outbox.listing(("pending",))}
        actions = [e.action for e in await tx.audit.recent()]
    assert cancelled is not None
    assert cancelled.status == BookingStatus.CANCELLED
    assert OutboxKind.CLOSURE_NOTICE in kinds
    assert {"hours.replace", "booking.cancel"} <= set(actions)


async def test_closures_are_added_checked_and_removed(app: App, client: httpx.AsyncClient) -> None:
    csrf = await as_admin(app, client)
    bad = await client.post(
        "/desk/availability/closures",
        data={"csrf": csrf, "first_day": "2026-12-10", "last_day": "2026-12-01"},
    )
    assert bad.status_code == 400
    assert 'id="e-last_day"' in bad.text
    added = await client.post(
        "/desk/availability/closures",
        data={"csrf": csrf, "first_day": "2026-12-07", "last_day": "", "note": "Ponte"},
    )
    assert added.status_code == 303
    async with app.db.read() as tx:
        closures = await opening.closures(tx)
    ponte = next(c for c in closures if c.note == "Ponte")
    page = await client.get("/desk/availability")
    assert "7 dicembre 2026" in page.text
    removed = await client.post(
        f"/desk/availability/closures/{ponte.id}/remove", data={"csrf": csrf}
    )
    assert removed.headers["location"].endswith("done=reopened")
    again = await client.post(f"/desk/availability/closures/{ponte.id}/remove", data={"csrf": csrf})
    assert again.headers["location"].endswith("done=missing")


async def test_other_roles_cannot_change_hours(app: App, client: httpx.AsyncClient) -> None:
    await add_accounts(app)
    await login(client, email_of(Role.OPERATOR))
    csrf = csrf_of(await client.get("/desk/"))
    refused = await client.post(
        "/desk/availability/hours/giulia", data={"csrf": csrf, "sat": "10:00-12:00"}
    )
    assert refused.status_code == 403
    assert (await client.get("/desk/availability/hours/nobody")).status_code == 403


async def test_an_unknown_operator_is_a_kind_404(app: App, client: httpx.AsyncClient) -> None:
    csrf = await as_admin(app, client)
    assert (await client.get("/desk/availability/hours/nobody")).status_code == 404
    posted = await client.post("/desk/availability/hours/nobody", data={"csrf": csrf})
    assert posted.status_code == 404
    assert "Questo operatore non esiste." in posted.text


async def test_odd_input_never_fails(app: App, client: httpx.AsyncClient) -> None:
    """Ids past SQLite's integers, impossible dates, control characters, wildcards."""
    await add_accounts(app)
    await login(client, email_of(Role.ADMIN))
    csrf = csrf_of(await client.get("/desk/"))
    for path, data in [
        ("/desk/availability/closures/99999999999999999999999/remove", {}),
        ("/desk/people/99999999999999999999999", None),
        (
            "/desk/availability/closures",
            {"first_day": "2026-02-30", "last_day": "\x00", "note": "é" * 500},
        ),
        (
            "/desk/availability/closures",
            {
                "first_day": "2026-12-01",
                "confirm": "yes",
                "confirmed": "1,x,99999999999999999999999",
            },
        ),
        (
            "/desk/availability/hours/giulia",
            {"mon": "\x00" * 300, "tue": "00:00-23:59", "confirm": "yes", "confirmed": ",,,"},
        ),
        ("/desk/people", {"name": "%" * 50, "phone": "+" * 30}),
        ("/desk/people", {"name": "'; drop table people; --"}),
        ("/desk/people/export.pdf", {"name": "anna"}),
    ]:
        if data is None:
            r = await client.get(path)
        else:
            r = await client.post(path, data={"csrf": csrf, **data})
        assert r.status_code < 500, path
