"""Creating, checking, changing and cancelling workshops: one validation for every source."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import App
from bot.capabilities import seats
from bot.capabilities import workshop_admin as wa
from bot.capabilities.broadcasts import send_invitation
from bot.clock import ROME
from bot.domain import Audience
from tests.workshop_helpers import codes, fields, new_person, new_workshop, pending


def problems(app: App, **changes: object) -> list[str]:
    now = app.clock.now()
    with pytest.raises(wa.InvalidWorkshop) as raised:
        wa.validate(fields(now, **changes), now, codes(app))
    return [str(p) for p in raised.value.problems]


def test_a_valid_workshop_from_text_fields(app: App) -> None:
    now = app.clock.now()
    raw = fields(now, starts="2030-12-02 10:00", capacity="12", goals="employee; guidance")
    draft = wa.validate(raw, now, codes(app))
    assert draft.starts_at.tzinfo is ROME
    assert draft.capacity == 12
    assert draft.audience == Audience(goals=("employee", "guidance"))


def test_every_problem_is_named(app: App) -> None:
    found = problems(app, title="", starts="yesterday", capacity=0, duration="5", place=None)
    assert found == [
        "title: 1 to 80 characters",
        "starts: a date and time like 2026-12-02 10:00",
        "duration: minutes, from 15 to 600",
        "capacity: seats, from 1 to 500 (a workshop needs at least one)",
        "place or link: give exactly one (an address, or the online room's https link)",
    ]


def test_links_must_be_https_and_dates_future(app: App) -> None:
    now = app.clock.now()
    assert problems(app, place=None, link="http://zoom.us/j/1") == ["link: an https:// address"]
    assert problems(app, starts=now - timedelta(hours=1)) == ["starts: that moment is in the past"]


def test_audience_codes_that_match_nobody_are_refused(app: App) -> None:
    found = problems(app, goals="employe", sectors=["paper", "fishing"], languages="xx")
    assert found[0].startswith("goals: unknown code employe; the codes are employee, business")
    assert found[1].startswith("sectors: unknown code fishing; the codes are paper,")
    assert found[2].startswith("languages: unknown code xx; the codes are it, en,")


def test_dates_in_both_ways_of_writing(app: App) -> None:
    now = app.clock.now()
    assert wa.parse_moment("2026-12-02 10:00", now) == wa.parse_moment("02/12/2026 10:00", now)
    assert wa.parse_moment("31/02/2027 10:00", now) is None
    moved = wa.parse_moment("01/01 10:00", now)  # past this year: the next one
    assert moved is not None
    assert moved.year == 2027


async def test_update_replans_reminders_and_keeps_seats(app: App) -> None:
    now, agenda = app.clock.now(), app.settings.agenda
    async with app.db.write() as tx:
        workshop = await new_workshop(tx, app)
        anna, bruno = await new_person(tx, app, "anna"), await new_person(tx, app, "bruno")
        await seats.register_seat(tx, agenda, workshop, anna, now)
        await seats.register_seat(tx, agenda, workshop, bruno, now)
        with pytest.raises(wa.InvalidWorkshop, match="2 seats are already taken"):
            await wa.update_workshop(tx, agenda, workshop, {"capacity": 1}, now, codes(app))
        later = workshop.starts_at + timedelta(days=2)
        updated = await wa.update_workshop(tx, agenda, workshop, {"starts": later}, now, codes(app))
        assert updated.starts_at == later
        reminders = [
            item
            for item in await tx.outbox.listing(("pending",))
            if item.kind == "workshop_reminder"
        ]
        assert len(reminders) == 2 * len(agenda.rules.reminder_offsets)
        assert all(item.not_after == later for item in reminders)


async def test_cancel_stops_invitations_and_reminders_once(app: App) -> None:
    now, agenda = app.clock.now(), app.settings.agenda
    async with app.db.write() as tx:
        workshop = await new_workshop(tx, app)
        anna = await new_person(tx, app, "anna")
        await new_person(tx, app, "bruno")
        await seats.register_seat(tx, agenda, workshop, anna, now)
        await send_invitation(tx, workshop, Audience(), "staff", now)
        assert await wa.cancel_workshop(tx, workshop, now) is wa.CancelResult.CANCELLED
        assert await pending(tx, "workshop_invitation") == 0
        assert await pending(tx, "workshop_reminder") == 0
        again = await tx.workshops.get(workshop.id)
        assert again is not None
        assert await wa.cancel_workshop(tx, again, now) is wa.CancelResult.ALREADY_CANCELLED
