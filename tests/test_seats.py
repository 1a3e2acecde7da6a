"""Seats at a workshop, through the capability functions: typed results, the waiting list,
the reminders they plan, attendance."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.capabilities import seats
from bot.capabilities.seats import Leaving, SeatResult
from bot.capabilities.workshop_admin import cancel_workshop
from bot.domain import RegistrationStatus
from tests.workshop_helpers import new_person, new_workshop, pending


async def test_a_seat_once_then_already(app: App) -> None:
    now, agenda = app.clock.now(), app.settings.agenda
    async with app.db.write() as tx:
        workshop = await new_workshop(tx, app)
        anna = await new_person(tx, app, "anna")
        assert await seats.register_seat(tx, agenda, workshop, anna, now) is SeatResult.REGISTERED
        assert await seats.register_seat(tx, agenda, workshop, anna, now) is SeatResult.ALREADY
        assert await seats.seats_left(tx, workshop) == 1
        assert await pending(tx, "workshop_reminder", anna) == len(agenda.rules.reminder_offsets)


async def test_full_then_waiting_list_then_the_freed_seat(app: App) -> None:
    now, agenda = app.clock.now(), app.settings.agenda
    async with app.db.write() as tx:
        workshop = await new_workshop(tx, app, capacity=1)
        anna, bruno = await new_person(tx, app, "anna"), await new_person(tx, app, "bruno")
        await seats.register_seat(tx, agenda, workshop, anna, now)
        assert await seats.register_seat(tx, agenda, workshop, bruno, now) is SeatResult.FULL
        assert await seats.seat_or_wait(tx, agenda, workshop, bruno, now) is SeatResult.WAITLISTED
        left = await seats.leave(tx, agenda, workshop, anna, now, Leaving.CANCELLED)
        assert left == seats.LeaveResult(freed_seat=True, promoted_person=bruno)
        assert await pending(tx, "workshop_reminder", anna) == 0
        assert await pending(tx, "workshop_seat", bruno) == 1
        mine = await tx.registrations.get(workshop.id, anna)
        assert mine is not None
        assert mine.status is RegistrationStatus.CANCELLED


async def test_declining_without_a_seat_frees_nothing(app: App) -> None:
    now, agenda = app.clock.now(), app.settings.agenda
    async with app.db.write() as tx:
        workshop = await new_workshop(tx, app)
        anna = await new_person(tx, app, "anna")
        left = await seats.leave(tx, agenda, workshop, anna, now, Leaving.DECLINED)
        assert left == seats.LeaveResult(freed_seat=False, promoted_person=None)


async def test_closed_when_started_or_cancelled(app: App) -> None:
    now, agenda = app.clock.now(), app.settings.agenda
    async with app.db.write() as tx:
        workshop = await new_workshop(tx, app)
        anna = await new_person(tx, app, "anna")
        later = workshop.starts_at + timedelta(minutes=1)
        assert await seats.register_seat(tx, agenda, workshop, anna, later) is SeatResult.CLOSED
        await cancel_workshop(tx, workshop, now)
        cancelled = await tx.workshops.get(workshop.id)
        assert cancelled is not None
        assert await seats.seat_or_wait(tx, agenda, cancelled, anna, now) is SeatResult.CLOSED


async def test_attendance_only_for_people_who_had_a_seat(app: App) -> None:
    now, agenda = app.clock.now(), app.settings.agenda
    async with app.db.write() as tx:
        workshop = await new_workshop(tx, app, capacity=1)
        anna, bruno = await new_person(tx, app, "anna"), await new_person(tx, app, "bruno")
        await seats.register_seat(tx, agenda, workshop, anna, now)
        await seats.seat_or_wait(tx, agenda, workshop, bruno, now)
        seated = await tx.registrations.get(workshop.id, anna)
        waiting = await tx.registrations.get(workshop.id, bruno)
        assert seated is not None
        assert waiting is not None
        came = await seats.record_attendance(tx, seated.id, True, now)
        assert came is not None
        assert came.recorded
        assert came.workshop.id == workshop.id
        again = await tx.registrations.by_id(seated.id)
        assert again is not None
        assert again.status is RegistrationStatus.ATTENDED
        refused = await seats.record_attendance(tx, waiting.id, True, now)
        assert refused is not None
        assert not refused.recorded
        assert await seats.record_attendance(tx, 9999, True, now) is None
