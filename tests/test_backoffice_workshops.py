"""Staff's workshops and announcements in the back-office: the one validation with its errors
next to the fields, the preview by the outbox's renderer, sending with the audience size
shown first, the progress and stopping, attendance, exports and the audit log."""

from __future__ import annotations

import io
from datetime import timedelta

import httpx
import pytest
from openpyxl import load_workbook

from bot.app import App
from bot.backoffice.desk_routes import ROUTES
from bot.capabilities.accounts import Role
from bot.capabilities.seats import register_seat
from bot.domain import BroadcastStatus, RegistrationStatus
from tests.desk_helpers import add_accounts, cheap_hasher, client, csrf_of, email_of, login
from tests.workshop_helpers import new_person, new_workshop

__all__ = ["cheap_hasher", "client"]

NEW_ROUTES = [
    r for r in ROUTES if r.path.startswith(("/workshops", "/announcements", "/broadcast"))
]


def form(csrf: str, **changes: str) -> dict[str, str]:
    return {
        "csrf": csrf,
        "title": "Scrivere il CV",
        "description": "Porta il tuo CV.",
        "starts": "2026-12-10T10:00",
        "duration": "90",
        "capacity": "2",
        "place": "Sala Staffetti, Lucca",
        "link": "",
        **changes,
    }


async def staff_client(app: App, client: httpx.AsyncClient, role: Role = Role.STAFF) -> str:
    await add_accounts(app)
    await login(client, email_of(role))
    return csrf_of(await client.get("/desk/workshops"))


async def actions(app: App) -> list[str]:
    async with app.db.read() as tx:
        return [e.action for e in await tx.audit.recent()]


def test_the_new_routes_are_for_staff_and_admin_only() -> None:
    assert len(NEW_ROUTES) >= 15
    assert {frozenset(r.roles or ()) for r in NEW_ROUTES} == {frozenset({Role.STAFF, Role.ADMIN})}


@pytest.mark.parametrize("who", [Role.OPERATOR, Role.VIEWER], ids=lambda r: r.value)
async def test_other_roles_cannot_open_or_post_any_of_them(
    app: App, client: httpx.AsyncClient, who: Role
) -> None:
    await add_accounts(app)
    async with app.db.write() as tx:
        workshop = await new_workshop(tx, app)
    await login(client, email_of(who))
    csrf = csrf_of(await client.get("/desk/"))
    for route in NEW_ROUTES:
        path = "/desk" + route.path.replace("{workshop_id:int}", str(workshop.id))
        path = path.replace("{broadcast_id:int}", "1").replace("{fmt}", "csv")
        for method in route.methods:
            answer = await (
                client.get(path) if method == "GET" else client.post(path, data={"csrf": csrf})
            )
            assert answer.status_code == 403, (method, path)


async def test_creating_uses_the_one_validation_with_errors_next_to_the_fields(
    app: App, client: httpx.AsyncClient
) -> None:
    csrf = await staff_client(app, client)
    refused = await client.post(
        "/desk/workshops/new",
        data=form(csrf, title="", capacity="0", starts="2020-01-01T10:00", link="http://x"),
    )
    assert refused.status_code == 400
    for name in ("title", "capacity", "starts", "place", "link"):
        assert f'id="e-{name}"' in refused.text, name
    assert "già passata" in refused.text  # Italian by default
    assert 'value="Sala Staffetti, Lucca"' in refused.text  # what was typed stays
    created = await client.post("/desk/workshops/new", data=form(csrf, **{"goals.employee": "on"}))
    assert created.status_code == 303
    async with app.db.read() as tx:
        [workshop] = await tx.workshops.all()
    assert workshop.audience.goals == ("employee",)
    assert workshop.created_by.startswith("desk:")
    page = await client.get(created.headers["location"])
    assert "Scrivere il CV" in page.text
    assert "workshop.create" in await actions(app)


async def test_editing_changes_the_workshop_and_keeps_the_rules(
    app: App, client: httpx.AsyncClient
) -> None:
    csrf = await staff_client(app, client)
    async with app.db.write() as tx:
        workshop = await new_workshop(tx, app, capacity=3)
        person = await new_person(tx, app, "1")
        other = await new_person(tx, app, "2")
        for who in (person, other):
            await register_seat(tx, app.settings.agenda, workshop, who, app.clock.now())
    edit = await client.get(f"/desk/workshops/{workshop.id}/edit")
    assert 'value="CV clinic"' in edit.text
    too_few = await client.post(
        f"/desk/workshops/{workshop.id}/edit", data=form(csrf, capacity="1")
    )
    assert too_few.status_code == 400
    assert 'id="e-capacity"' in too_few.text
    done = await client.post(f"/desk/workshops/{workshop.id}/edit", data=form(csrf, title="Nuovo"))
    assert done.status_code == 303
    async with app.db.read() as tx:
        changed = await tx.workshops.get(workshop.id)
    assert changed is not None
    assert changed.title == "Nuovo"
    assert "workshop.update" in await actions(app)


async def test_the_list_filters_and_exports_with_the_filters_on_screen(
    app: App, client: httpx.AsyncClient
) -> None:
    await staff_client(app, client, Role.ADMIN)
    async with app.db.write() as tx:
        await new_workshop(tx, app, title="Futuro")
    page = await client.get("/desk/workshops?when=past")
    assert "Futuro" not in page.text
    assert "/desk/workshops/export.xlsx?when=past" in page.text
    assert "Futuro" in (await client.get("/desk/workshops")).text
    workbook = await client.get("/desk/workshops/export.xlsx?when=upcoming")
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet.max_row == 2
    assert sheet["B2"].value == "Futuro"
    assert (await client.get("/desk/workshops/export.csv?when=past")).content.count(b"\n") == 1


async def test_the_preview_is_the_outbox_renderer_and_sending_shows_progress(
    app: App, client: httpx.AsyncClient
) -> None:
    csrf = await staff_client(app, client)
    async with app.db.write() as tx:
        workshop = await new_workshop(tx, app)
        for who in ("1", "2", "3"):
            await new_person(tx, app, who)
        await new_person(tx, app, "4", news=False)
    preview = await client.get(f"/desk/workshops/{workshop.id}/invitation")
    assert "🎓 CV clinic" in preview.text  # the workshop card, as the chat shows it
    assert "3 persone" in preview.text  # the audience size, before sending
    async with app.db.read() as tx:
        assert await tx.broadcasts.listing() == []  # the preview kept nothing
        assert await tx.outbox.listing(("pending",)) == []
    sent = await client.post(f"/desk/workshops/{workshop.id}/invitation", data={"csrf": csrf})
    assert sent.status_code == 303
    page = await client.get(sent.headers["location"])
    assert 'value="0"' in page.text
    assert "/stop" in page.text
    progress = (await client.get(sent.headers["location"] + "/progress.json")).json()
    assert (progress["total"], progress["done"], progress["running"]) == (3, 0, True)
    stopped = await client.post(sent.headers["location"] + "/stop", data={"csrf": csrf})
    assert stopped.status_code == 303
    async with app.db.read() as tx:
        [broadcast] = await tx.broadcasts.listing()
        assert await tx.outbox.listing(("pending",)) == []
    assert broadcast.status is BroadcastStatus.STOPPED
    after = (await client.get(sent.headers["location"] + "/progress.json")).json()
    assert (after["percent"], after["running"], after["stopped"]) == (100, False, True)
    assert {"broadcast.send", "broadcast.stop"} <= set(await actions(app))


async def test_announcements_preview_then_send_to_the_audience(
    app: App, client: httpx.AsyncClient
) -> None:
    csrf = await staff_client(app, client)
    async with app.db.write() as tx:
        await new_person(tx, app, "1")
    empty = await client.post("/desk/announcements/preview", data={"csrf": csrf, "text": " "})
    assert empty.status_code == 400
    assert 'id="e-text"' in empty.text
    shown = await client.post(
        "/desk/announcements/preview", data={"csrf": csrf, "text": "Nuovi corsi a Lucca"}
    )
    assert "📣 Nuovi corsi a Lucca" in shown.text
    assert "1 persona" in shown.text
    async with app.db.read() as tx:
        assert await tx.broadcasts.listing() == []
    sent = await client.post("/desk/announcements", data={"csrf": csrf, "text": "Nuovi corsi"})
    assert sent.status_code == 303
    async with app.db.read() as tx:
        [broadcast] = await tx.broadcasts.listing()
        audit = await tx.audit.recent("broadcast.send")
    assert broadcast.text == "Nuovi corsi"
    assert [(e.subject_type, e.subject_id) for e in audit] == [("broadcast", str(broadcast.id))]
    listing = await client.get("/desk/announcements")
    assert f"/desk/broadcasts/{broadcast.id}" in listing.text


async def test_attendance_is_recorded_and_the_attendees_exported(
    app: App, client: httpx.AsyncClient
) -> None:
    csrf = await staff_client(app, client)
    now = app.clock.now()
    async with app.db.write() as tx:
        workshop = await new_workshop(tx, app, starts=now + timedelta(days=1), capacity=3)
        other = await new_workshop(tx, app, starts=now + timedelta(days=2))
        people = [await new_person(tx, app, str(n)) for n in range(3)]
        for person in people:
            await register_seat(tx, app.settings.agenda, workshop, person, now)
        await register_seat(tx, app.settings.agenda, other, people[0], now)
        await tx.answers.save(people[0], "name", "Aisha", now)
        mine = await tx.registrations.of_workshop(workshop.id)
        [theirs] = await tx.registrations.of_workshop(other.id)
    page = await client.get(f"/desk/workshops/{workshop.id}")
    assert "Aisha" in page.text
    marks = {"csrf": csrf, f"r{mine[0].id}": "present", f"r{mine[1].id}": "absent"}
    marks[f"r{theirs.id}"] = "present"  # another workshop's: ignored
    marks["rbad"] = "present"
    answer = await client.post(f"/desk/workshops/{workshop.id}/attendance", data=marks)
    assert answer.status_code == 303
    async with app.db.read() as tx:
        states = [r.status for r in await tx.registrations.of_workshop(workshop.id)]
        [still] = await tx.registrations.of_workshop(other.id)
    assert states == [
        RegistrationStatus.ATTENDED,
        RegistrationStatus.ABSENT,
        RegistrationStatus.REGISTERED,
    ]
    assert still.status is RegistrationStatus.REGISTERED
    exported = await client.get(
        f"/desk/workshops/{workshop.id}/attendees/export.xlsx?status=absent"
    )
    sheet = load_workbook(io.BytesIO(exported.content)).active
    assert sheet.max_row == 2
    assert sheet["D2"].value == "assente"
    logged = await actions(app)
    assert {"attendees.view", "attendance.present", "attendance.absent"} <= set(logged)


async def test_unknown_ids_answer_kindly(app: App, client: httpx.AsyncClient) -> None:
    csrf = await staff_client(app, client)
    assert (await client.get("/desk/workshops/999")).status_code == 404
    assert (await client.get("/desk/broadcasts/999")).status_code == 404
    assert (await client.get("/desk/broadcasts/999/progress.json")).status_code == 404
    posted = await client.post("/desk/broadcasts/999/stop", data={"csrf": csrf})
    assert posted.status_code == 404
    assert (await client.get("/desk/workshops/export.pdf")).status_code == 404


async def test_the_telegram_progress_board_leaves_a_desk_sending_to_its_page(
    app: App, client: httpx.AsyncClient
) -> None:
    from typing import cast

    from telegram import Bot

    from bot.handlers.telegram import TelegramProgressBoard
    from scheduling import jobs

    csrf = await staff_client(app, client)
    async with app.db.write() as tx:
        await new_person(tx, app, "1")
    await client.post("/desk/announcements", data={"csrf": csrf, "text": "Nuovi corsi"})
    board = TelegramProgressBoard(cast(Bot, None))  # never reached for "desk:ID"
    tr = app.engine.translators["it"]
    assert await jobs.report_broadcasts(app.db, app.clock, board, tr) == 1
