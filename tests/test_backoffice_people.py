"""Finding people in the back-office: by part of the name or of the WhatsApp number, by POST
(the terms are in no URL), an operator among the people booked with them only, an
administrator among everyone; errors next to the fields; the list as CSV and XLSX."""

from __future__ import annotations

import io

import httpx
from openpyxl import load_workbook

from bot.app import App
from bot.capabilities.accounts import Role
from bot.domain import Channel
from tests.agenda_helpers import booking_of, log_in_as_operator
from tests.desk_helpers import add_accounts, cheap_hasher, client, csrf_of, email_of, login

__all__ = ["cheap_hasher", "client"]


async def someone(app: App, external_id: str, name: str, channel: Channel) -> int:
    now = app.clock.now()
    async with app.db.write() as tx:
        person = await tx.people.create(channel, external_id, now, "it")
        await tx.answers.save(person.id, "name", name, now)
    return person.id


async def test_the_admin_finds_people_by_name_or_number(
    app: App, client: httpx.AsyncClient
) -> None:
    niccolo = await someone(app, "+393331234567", "Niccolò Bianchi", Channel.WHATSAPP)
    await someone(app, "777", "Nina_Rossi", Channel.TELEGRAM)
    await add_accounts(app)
    await login(client, email_of(Role.ADMIN))
    csrf = csrf_of(await client.get("/desk/people"))
    by_name = await client.post("/desk/people", data={"csrf": csrf, "name": "niccol"})
    assert by_name.status_code == 200
    assert f'href="/desk/people/{niccolo}"' in by_name.text
    assert "Nina" not in by_name.text
    by_number = await client.post("/desk/people", data={"csrf": csrf, "phone": "333 123"})
    assert "Niccolò Bianchi" in by_number.text
    assert "<td>+393331234567</td>" in by_number.text
    literal = await client.post("/desk/people", data={"csrf": csrf, "name": "a_r"})
    assert "Nina_Rossi" in literal.text  # _ is a letter here, not a wildcard
    assert "Niccolò" not in literal.text
    nobody = await client.post("/desk/people", data={"csrf": csrf, "name": "zz"})
    assert "Nessuno trovato" in nobody.text
    async with app.db.read() as tx:
        actions = [e.action for e in await tx.audit.recent()]
    assert "people.search" in actions


async def test_bad_searches_say_why_next_to_the_field(app: App, client: httpx.AsyncClient) -> None:
    await add_accounts(app)
    await login(client, email_of(Role.ADMIN))
    csrf = csrf_of(await client.get("/desk/people"))
    empty = await client.post("/desk/people", data={"csrf": csrf})
    assert empty.status_code == 400
    assert 'id="e-name"' in empty.text
    short = await client.post("/desk/people", data={"csrf": csrf, "phone": "3a"})
    assert short.status_code == 400
    assert 'id="e-phone"' in short.text


async def test_an_operator_finds_only_people_booked_with_them(
    app: App, client: httpx.AsyncClient
) -> None:
    booking = await booking_of(app, "anna")  # "Anna", booked in the chat
    await someone(app, "888", "Annalisa Verdi", Channel.TELEGRAM)  # never booked
    await log_in_as_operator(app, client, booking.operator_id)
    csrf = csrf_of(await client.get("/desk/people"))
    found = await client.post("/desk/people", data={"csrf": csrf, "name": "ann"})
    assert f'href="/desk/people/{booking.person_id}"' in found.text
    assert "Annalisa" not in found.text


async def test_the_found_list_exports_without_terms_in_the_url(
    app: App, client: httpx.AsyncClient
) -> None:
    await someone(app, "+393339999999", "Teresa Neri", Channel.WHATSAPP)
    await add_accounts(app)
    await login(client, email_of(Role.ADMIN))
    csrf = csrf_of(await client.get("/desk/people"))
    page = await client.post("/desk/people", data={"csrf": csrf, "name": "teresa"})
    assert 'formaction="/desk/people/export.xlsx"' in page.text
    xlsx = await client.post("/desk/people/export.xlsx", data={"csrf": csrf, "name": "teresa"})
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert [c.value for c in sheet[2]][1:3] == ["Teresa Neri", "'+393339999999"]  # never a formula
    csv = await client.post("/desk/people/export.csv", data={"csrf": csrf, "name": "teresa"})
    assert "Teresa Neri" in csv.text
    assert "teresa" not in str(csv.url)
