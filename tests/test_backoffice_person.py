"""A person's record: who may open it, the audit of every view, private notes (audited by
id, never by text), the "my data" files and the administrator's erasure."""

from __future__ import annotations

import html
import io
import json

import httpx
from openpyxl import load_workbook

from bot.app import App
from bot.capabilities import seats
from bot.capabilities.accounts import Role
from bot.capabilities.seats import SeatResult
from bot.domain import BookingStatus
from tests.agenda_helpers import booking_of, log_in_as_operator, other_operator
from tests.desk_helpers import add_accounts, cheap_hasher, client, csrf_of, email_of, login
from tests.workshop_helpers import new_workshop

__all__ = ["cheap_hasher", "client"]


async def test_the_operator_opens_the_record_of_someone_booked_with_them(
    app: App, client: httpx.AsyncClient
) -> None:
    booking = await booking_of(app, "anna")
    await log_in_as_operator(app, client, booking.operator_id)
    page = await client.get(f"/desk/people/{booking.person_id}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Anna" in text
    assert "Five years as a waitress in Viareggio" in text
    assert booking.operator_id in text  # the appointment
    async with app.db.read() as tx:
        views = await tx.audit.recent("person.view")
    assert [(e.subject_type, e.subject_id) for e in views] == [("person", str(booking.person_id))]


async def test_other_operators_and_other_roles_cannot_open_it(
    app: App, client: httpx.AsyncClient
) -> None:
    booking = await booking_of(app, "anna")
    await log_in_as_operator(app, client, other_operator(app, booking.operator_id))
    page = await client.get(f"/desk/people/{booking.person_id}")
    assert page.status_code == 403
    assert "Anna" not in page.text
    assert (await client.get(f"/desk/people/{booking.person_id}/data.json")).status_code == 403
    assert (await client.get("/desk/people/999999")).status_code == 404
    client.cookies.clear()
    await add_accounts(app)
    await login(client, email_of(Role.STAFF))
    assert (await client.get(f"/desk/people/{booking.person_id}")).status_code == 403
    async with app.db.read() as tx:
        assert await tx.audit.recent("person.view") == []


async def test_a_private_note_is_kept_and_audited_by_id_only(
    app: App, client: httpx.AsyncClient
) -> None:
    booking = await booking_of(app, "anna")
    await log_in_as_operator(app, client, booking.operator_id)
    url = f"/desk/people/{booking.person_id}"
    page = await client.get(url)
    empty = await client.post(url + "/notes", data={"csrf": csrf_of(page), "body": "  "})
    assert empty.status_code == 400
    assert 'aria-invalid="true"' in empty.text
    answer = await client.post(
        url + "/notes", data={"csrf": csrf_of(page), "body": "Needs help with the CV"}
    )
    assert answer.status_code == 303
    assert "Needs help with the CV" in (await client.get(answer.headers["location"])).text
    async with app.db.read() as tx:
        [note] = await tx.notes.of_person(booking.person_id or 0)
        entries = await tx.audit.recent("note.add")
    assert [(e.subject_type, e.subject_id) for e in entries] == [("note", str(note.id))]


async def test_my_data_downloads_as_json_and_xlsx(app: App, client: httpx.AsyncClient) -> None:
    booking = await booking_of(app, "anna")
    await add_accounts(app)
    await login(client, email_of(Role.ADMIN))
    answer = await client.get(f"/desk/people/{booking.person_id}/data.json")
    assert answer.headers["content-disposition"].endswith(f'person-{booking.person_id}.json"')
    values = [str(i["value"]) for i in json.loads(answer.content)["items"]]
    assert "Anna" in values  # an answer
    assert any(v.startswith("anna (") for v in values)  # the Telegram account
    sheet = await client.get(f"/desk/people/{booking.person_id}/data.xlsx")
    book = load_workbook(io.BytesIO(sheet.content))
    cells = [c for row in book.active.iter_rows(values_only=True) for c in row]
    assert "Anna" in cells
    assert (await client.get(f"/desk/people/{booking.person_id}/data.csv")).status_code == 404
    async with app.db.read() as tx:
        assert len(await tx.audit.recent("person.json")) == 1
    audit = await client.get("/desk/audit?action=person.json")
    assert '<option value="person.json" selected>' in audit.text
    assert "<td>person.json</td><td>person</td>" in audit.text


async def test_only_the_admin_erases_and_only_after_confirming(
    app: App, client: httpx.AsyncClient
) -> None:
    booking = await booking_of(app, "anna")
    person_id = booking.person_id
    await log_in_as_operator(app, client, booking.operator_id)
    page = await client.get(f"/desk/people/{person_id}")
    assert f"/desk/people/{person_id}/erase" not in page.text
    refused = await client.post(f"/desk/people/{person_id}/erase", data={"csrf": csrf_of(page)})
    assert refused.status_code == 403
    client.cookies.clear()
    await add_accounts(app)
    await login(client, email_of(Role.ADMIN))
    confirm = await client.get(f"/desk/people/{person_id}/erase")
    assert confirm.status_code == 200
    assert 'name="confirm"' in confirm.text
    forged = await client.post(f"/desk/people/{person_id}/erase", data={"confirm": "yes"})
    assert forged.status_code == 403
    done = await client.post(
        f"/desk/people/{person_id}/erase", data={"csrf": csrf_of(confirm), "confirm": "yes"}
    )
    assert done.status_code == 303
    async with app.db.read() as tx:
        assert await tx.people.get(person_id or 0) is None
        kept = await tx.bookings.get(booking.id)
        erased = await tx.audit.recent("person.erase")
    assert kept is not None
    assert kept.person_id is None
    assert kept.status == BookingStatus.CANCELLED  # as /cancella: the slot goes back
    assert [e.subject_id for e in erased] == [str(person_id)]
    assert (await client.get(f"/desk/people/{person_id}")).status_code == 404


async def test_the_record_shows_workshops_consents_and_a_timeline(
    app: App, client: httpx.AsyncClient
) -> None:
    booking = await booking_of(app, "anna")
    async with app.db.write() as tx:
        workshop = await new_workshop(tx, app, title="CV clinic")
        seat = await seats.register_seat(
            tx, app.settings.agenda, workshop, booking.person_id or 0, app.clock.now()
        )
    assert seat is SeatResult.REGISTERED
    await add_accounts(app)
    await login(client, email_of(Role.ADMIN))
    page = await client.get(f"/desk/people/{booking.person_id}")
    text = html.unescape(page.text)
    assert "CV clinic · ha un posto" in text
    assert "informativa privacy" in text  # the notice accepted in the chat
    timeline = text.split('id="h-timeline"', 1)[1].split("</ol>", 1)[0]
    assert "Laboratorio CV clinic: ha un posto" in timeline
    assert "Primo contatto" in timeline
