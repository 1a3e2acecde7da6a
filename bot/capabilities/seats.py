"""Seats at a workshop: the one place that registers people, moves the waiting list and
records attendance. Works inside the caller's write transaction, so a change and the
messages it causes are committed together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.agenda import Agenda
from bot.capabilities import messaging
from bot.domain import OutboxKind, Registration, RegistrationStatus, Workshop
from bot.slots import quiet_adjusted
from storage.session import Session


class SeatResult(StrEnum):
    REGISTERED = "registered"  # a seat is now theirs
    WAITLISTED = "waitlisted"
    ALREADY = "already"  # they had a seat before
    FULL = "full"  # no seat left (and they did not ask for the waiting list)
    CLOSED = "closed"  # started or cancelled


class Leaving(StrEnum):
    """How someone leaves a workshop: the registration's new status."""

    DECLINED = RegistrationStatus.DECLINED.value
    CANCELLED = RegistrationStatus.CANCELLED.value


@dataclass(frozen=True)
class LeaveResult:
    freed_seat: bool
    promoted_person: int | None  # who got the freed seat from the waiting list


@dataclass(frozen=True)
class AttendanceResult:
    registration: Registration
    workshop: Workshop
    recorded: bool  # False: that person had no seat (waiting, cancelled...)


def open_for_answers(workshop: Workshop, now: datetime) -> bool:
    return workshop.cancelled_at is None and workshop.starts_at > now


def holds_seat(registration: Registration | None) -> bool:
    return registration is not None and registration.seat is not None


async def seats_taken(tx: Session, workshop_id: int) -> int:
    return sum(1 for r in await tx.registrations.of_workshop(workshop_id) if r.seat is not None)


async def seats_left(tx: Session, workshop: Workshop) -> int:
    return max(workshop.capacity - await seats_taken(tx, workshop.id), 0)


async def register_seat(
    tx: Session, agenda: Agenda, workshop: Workshop, person_id: int, now: datetime
) -> SeatResult:
    """Take the lowest free seat; the unique (workshop, seat) index decides who gets it."""
    if not open_for_answers(workshop, now):
        return SeatResult.CLOSED
    if holds_seat(await tx.registrations.get(workshop.id, person_id)):
        return SeatResult.ALREADY
    if not await tx.registrations.take_seat(workshop, person_id, now):
        return SeatResult.FULL
    await plan_reminders(tx, agenda, workshop, person_id, now)
    return SeatResult.REGISTERED


async def seat_or_wait(
    tx: Session, agenda: Agenda, workshop: Workshop, person_id: int, now: datetime
) -> SeatResult:
    """A seat if one is free (again), else a place at the end of the waiting list."""
    result = await register_seat(tx, agenda, workshop, person_id, now)
    if result is not SeatResult.FULL:
        return result
    await tx.registrations.wait(workshop.id, person_id, now)
    return SeatResult.WAITLISTED


async def leave(
    tx: Session, agenda: Agenda, workshop: Workshop, person_id: int, now: datetime, how: Leaving
) -> LeaveResult:
    """Cancel a seat (or a place on the waiting list); a freed seat goes to the first waiting."""
    status = RegistrationStatus(how.value)
    freed = await tx.registrations.release(workshop.id, person_id, status, now)
    await tx.outbox.drop_for_workshop(workshop.id, person_id, status)
    promoted = None
    if freed and open_for_answers(workshop, now):
        promoted = await promote_waiting(tx, agenda, workshop, now)
    return LeaveResult(freed_seat=freed, promoted_person=promoted)


async def promote_waiting(
    tx: Session, agenda: Agenda, workshop: Workshop, now: datetime
) -> int | None:
    """The first on the waiting list takes a free seat and is told; who it was, if anyone."""
    waiting = await tx.registrations.first_waiting(workshop.id)
    if waiting is None or not await tx.registrations.take_seat(workshop, waiting, now):
        return None
    await plan_reminders(tx, agenda, workshop, waiting, now)
    await messaging.plan(
        tx,
        OutboxKind.WORKSHOP_SEAT,
        now,
        now,
        person_id=waiting,
        workshop_id=workshop.id,
        not_after=workshop.starts_at,
    )
    return waiting


async def plan_reminders(
    tx: Session, agenda: Agenda, workshop: Workshop, person_id: int, now: datetime
) -> None:
    for offset in agenda.rules.reminder_offsets:
        due = quiet_adjusted(workshop.starts_at - offset, agenda.rules)
        if due > now:
            await messaging.plan(
                tx,
                OutboxKind.WORKSHOP_REMINDER,
                due,
                now,
                person_id=person_id,
                workshop_id=workshop.id,
                not_after=workshop.starts_at,
            )


async def record_attendance(
    tx: Session, registration_id: int, present: bool, now: datetime
) -> AttendanceResult | None:
    """Mark someone who had a seat present or absent; None for an unknown registration."""
    registration = await tx.registrations.by_id(registration_id)
    if registration is None:
        return None
    workshop = await tx.workshops.get(registration.workshop_id)
    if workshop is None:
        return None
    recorded = await tx.registrations.set_attendance(registration.id, present, now)
    return AttendanceResult(registration, workshop, recorded)
