"""Appointments: the one place that books, moves and cancels, and plans what follows.

Every function works inside the caller's write transaction, so a booking change and the
messages it causes (reminders, Zoom tasks, operator notices, waitlist offers) are committed
together or not at all. A slot can never be given twice: the database's partial unique index
on (operator, start) decides, not a check before the insert.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from bot.clock import ROME
from bot.domain import Booking
from bot.hours import Agenda
from bot.slots import (
    Operator,
    Slot,
    free_slots,
    is_closed,
    pick_operator,
    quiet_adjusted,
)
from storage.session import Session

REMINDER_KINDS = ("reminder", "reminder_confirm")
PLANNED_KINDS = (*REMINDER_KINDS, "outcome_prompt", "zoom_link")


def local_day_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """Start and end (UTC-comparable) of the Europe/Rome day that contains `moment`."""
    day = moment.astimezone(ROME).date()
    start = datetime.combine(day, datetime.min.time(), tzinfo=ROME)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=ROME)
    return start, end


async def open_slots(tx: Session, desk: Agenda, now: datetime) -> list[Slot]:
    horizon_end = now + timedelta(days=desk.rules.horizon_days + 2)
    taken = await tx.bookings.taken(now - timedelta(days=1), horizon_end)
    return free_slots(desk.operators, desk.rules, now, taken)


async def _free_at(
    tx: Session, desk: Agenda, starts_at: datetime, now: datetime
) -> list[tuple[Slot, Operator]]:
    """The operators free at that time, the least busy that day first."""
    candidates = {
        s.operator_id: s for s in await open_slots(tx, desk, now) if s.starts_at == starts_at
    }
    day_start, day_end = local_day_bounds(starts_at)
    load = await tx.bookings.load_by_operator(day_start, day_end)
    ordered = []
    while candidates:
        slot = candidates.pop(pick_operator(list(candidates), load))
        operator = desk.operator(slot.operator_id)
        if operator is not None:
            ordered.append((slot, operator))
    return ordered


def _room(operator: Operator) -> str | None:
    return operator.room_url if operator.meeting == "room" else None


async def book(
    tx: Session, desk: Agenda, person_id: int, starts_at: datetime, now: datetime
) -> Booking | None:
    """Book the least busy operator free at that time; None if the time is gone."""
    for slot, operator in await _free_at(tx, desk, starts_at, now):
        booking = await tx.bookings.create(
            person_id=person_id,
            operator_id=slot.operator_id,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            meeting_mode=operator.meeting,
            uid=f"{uuid.uuid4()}@sportello-lavoro",
            join_url=_room(operator),
            now=now,
        )
        if booking is not None:
            await tx.waitlist.leave(person_id)
            await _plan(tx, desk, booking, now, change="booked")
            return booking
    return None


async def move(
    tx: Session, desk: Agenda, booking: Booking, starts_at: datetime, now: datetime
) -> Booking | None:
    """Take the new time before releasing the old one (one UPDATE); None if it was taken."""
    old = Slot(booking.operator_id, booking.starts_at, booking.ends_at)
    for slot, operator in await _free_at(tx, desk, starts_at, now):
        same_meeting = operator.meeting == booking.meeting_mode == "api"
        moved = await tx.bookings.move(
            booking.id,
            operator_id=slot.operator_id,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            meeting_mode=operator.meeting,
            join_url=booking.join_url if same_meeting else _room(operator),
            now=now,
        )
        if moved:
            await tx.outbox.drop_pending(booking.id, PLANNED_KINDS, "moved")
            await _zoom_after_move(tx, booking, slot, operator, now)
            updated = await tx.bookings.get(booking.id)
            assert updated is not None
            await _plan(tx, desk, updated, now, change="moved", previous=old)
            await offer_freed_slot(tx, desk, old, now)
            return updated
    return None


async def cancel(
    tx: Session, desk: Agenda, booking: Booking, now: datetime, *, reason: str = "cancelled"
) -> None:
    await tx.bookings.set_status(booking.id, "cancelled", now)
    await tx.outbox.drop_pending(booking.id, PLANNED_KINDS, reason)
    if booking.zoom_meeting_id:
        await tx.outbox.add(
            "zoom_delete",
            now,
            now,
            operator_id=booking.operator_id,
            payload={"meeting": booking.zoom_meeting_id},
        )
    await _tell_operator_if_today(
        tx, booking.operator_id, booking.id, booking.starts_at, now, "cancelled"
    )
    await offer_freed_slot(
        tx, desk, Slot(booking.operator_id, booking.starts_at, booking.ends_at), now
    )


async def offer_freed_slot(tx: Session, desk: Agenda, slot: Slot, now: datetime) -> None:
    """Hold a freed slot for the person waiting longest and tell them; nobody waiting: free."""
    if slot.starts_at - desk.rules.min_notice < now:
        return
    if is_closed(slot.starts_at.astimezone(ROME).date(), desk.rules):
        return
    person_id = await tx.waitlist.first()
    if person_id is None:
        return
    operator = desk.operator(slot.operator_id)
    if operator is None:
        return
    hold = await tx.bookings.create(
        person_id=person_id,
        operator_id=slot.operator_id,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        meeting_mode=operator.meeting,
        uid=f"{uuid.uuid4()}@sportello-lavoro",
        join_url=_room(operator),
        status="held",
        hold_expires_at=now + desk.rules.waitlist_hold,
        now=now,
    )
    if hold is None:
        return
    await tx.waitlist.leave(person_id)
    await tx.outbox.add(
        "waitlist_offer",
        now,
        now,
        person_id=person_id,
        booking_id=hold.id,
        not_after=hold.hold_expires_at,
    )


async def accept_hold(tx: Session, desk: Agenda, booking: Booking, now: datetime) -> bool:
    if booking.status != "held" or (booking.hold_expires_at and booking.hold_expires_at <= now):
        return False
    await tx.bookings.set_status(booking.id, "booked", now)
    accepted = await tx.bookings.get(booking.id)
    assert accepted is not None
    await _plan(tx, desk, accepted, now, change="booked")
    return True


async def release_hold(tx: Session, desk: Agenda, booking: Booking, now: datetime) -> None:
    """A declined or expired hold goes to the next person waiting."""
    await tx.bookings.set_status(booking.id, "expired", now)
    await tx.outbox.drop_pending(booking.id, ("waitlist_offer",), "released")
    await offer_freed_slot(
        tx, desk, Slot(booking.operator_id, booking.starts_at, booking.ends_at), now
    )


async def _plan(
    tx: Session,
    desk: Agenda,
    booking: Booking,
    now: datetime,
    *,
    change: str,
    previous: Slot | None = None,
) -> None:
    """Everything a booked appointment sets in motion, written in the same transaction."""
    rules = desk.rules
    assert booking.person_id is not None
    for index, offset in enumerate(sorted(rules.reminder_offsets, reverse=True)):
        due = quiet_adjusted(booking.starts_at - offset, rules)
        if due <= now:
            continue
        kind = "reminder_confirm" if index == 0 and offset >= timedelta(hours=12) else "reminder"
        await tx.outbox.add(
            kind,
            due,
            now,
            person_id=booking.person_id,
            booking_id=booking.id,
            not_after=booking.starts_at,
            payload={"sequence": booking.sequence},
        )
    await tx.outbox.add(
        "outcome_prompt",
        booking.ends_at,
        now,
        operator_id=booking.operator_id,
        booking_id=booking.id,
        not_after=booking.ends_at + timedelta(days=7),
    )
    if booking.meeting_mode == "api" and booking.zoom_meeting_id is None:
        await tx.outbox.add(
            "zoom_create", now, now, booking_id=booking.id, operator_id=booking.operator_id
        )
    await _tell_operator_if_today(
        tx, booking.operator_id, booking.id, booking.starts_at, now, change
    )
    if previous is not None:
        await _tell_operator_if_today(
            tx, previous.operator_id, booking.id, previous.starts_at, now, "moved_away"
        )


async def _zoom_after_move(
    tx: Session, before: Booking, slot: Slot, operator: Operator, now: datetime
) -> None:
    """The same Zoom host: the meeting moves. Another host: the old meeting goes, and the new
    operator's room (or a new API meeting, planned by _plan) takes its place."""
    if before.zoom_meeting_id is None:
        return
    if operator.meeting == "api" and before.operator_id == slot.operator_id:
        await tx.outbox.add(
            "zoom_update",
            now,
            now,
            operator_id=slot.operator_id,
            booking_id=before.id,
            payload={"meeting": before.zoom_meeting_id},
        )
        return
    await tx.outbox.add(
        "zoom_delete",
        now,
        now,
        operator_id=before.operator_id,
        payload={"meeting": before.zoom_meeting_id},
    )
    await tx.bookings.set_meeting(before.id, None, _room(operator), _room(operator))


async def _tell_operator_if_today(
    tx: Session,
    operator_id: str,
    booking_id: int,
    starts_at: datetime,
    now: datetime,
    change: str,
) -> None:
    """Changes to today's appointments reach the operator at once; later days are in the
    morning digest."""
    today_start, today_end = local_day_bounds(now)
    if today_start <= starts_at < today_end:
        await tx.outbox.add(
            "operator_notice",
            now,
            now,
            operator_id=operator_id,
            booking_id=booking_id,
            payload={"change": change, "starts_at": starts_at.isoformat()},
            not_after=today_end,
        )
