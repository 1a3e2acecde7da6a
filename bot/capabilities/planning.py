"""Taking a slot, and the outbox rows an appointment sets in motion: reminders, the
operator's outcome prompt, same-day notices to the operator, Zoom tasks. Written in the caller's transaction, so a
booking change and its messages are committed together or not at all."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum

from bot.agenda import Agenda, local_day_bounds
from bot.capabilities import messaging
from bot.domain import Booking, BookingStatus, MeetingMode, OutboxKind
from bot.slots import Operator, Slot, quiet_adjusted
from storage.session import Session

PLANNED_KINDS = messaging.APPOINTMENT_KINDS


class Change(StrEnum):
    """What an operator_notice tells the operator about one of today's appointments."""

    BOOKED = "booked"
    MOVED = "moved"
    CANCELLED = "cancelled"
    MOVED_AWAY = "moved_away"


def room_url(operator: Operator) -> str | None:
    return operator.room_url if operator.meeting == MeetingMode.ROOM else None


async def take_slot(
    tx: Session,
    person_id: int,
    slot: Slot,
    operator: Operator,
    now: datetime,
    *,
    hold_until: datetime | None = None,
) -> Booking | None:
    """A new booking (a hold when `hold_until` is given); None if the slot is taken."""
    return await tx.bookings.create(
        person_id=person_id,
        operator_id=slot.operator_id,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        meeting_mode=MeetingMode(operator.meeting),
        uid=f"{uuid.uuid4()}@sportello-lavoro",  # the calendar UID, for the whole life
        join_url=room_url(operator),
        status=BookingStatus.BOOKED if hold_until is None else BookingStatus.HELD,
        hold_expires_at=hold_until,
        now=now,
    )


async def plan_booked(
    tx: Session,
    desk: Agenda,
    booking: Booking,
    now: datetime,
    *,
    change: Change,
    previous: Slot | None = None,
) -> None:
    """Everything a booked appointment sets in motion."""
    rules = desk.rules
    assert booking.person_id is not None
    for index, offset in enumerate(sorted(rules.reminder_offsets, reverse=True)):
        due = quiet_adjusted(booking.starts_at - offset, rules)
        if due <= now:
            continue
        asks = index == 0 and offset >= timedelta(hours=12)
        kind = OutboxKind.REMINDER_CONFIRM if asks else OutboxKind.REMINDER
        await messaging.plan(
            tx,
            kind,
            due,
            now,
            person_id=booking.person_id,
            booking_id=booking.id,
            not_after=booking.starts_at,
            payload={"sequence": booking.sequence},
        )
    await messaging.plan(
        tx,
        OutboxKind.OUTCOME_PROMPT,
        booking.ends_at,
        now,
        operator_id=booking.operator_id,
        booking_id=booking.id,
        not_after=booking.ends_at + timedelta(days=7),
    )
    if booking.meeting_mode == MeetingMode.API and booking.zoom_meeting_id is None:
        await messaging.plan(
            tx,
            OutboxKind.ZOOM_CREATE,
            now,
            now,
            booking_id=booking.id,
            operator_id=booking.operator_id,
        )
    await tell_operator_if_today(
        tx, booking.operator_id, booking.id, booking.starts_at, now, change
    )
    if previous is not None:
        await tell_operator_if_today(
            tx, previous.operator_id, booking.id, previous.starts_at, now, Change.MOVED_AWAY
        )


async def plan_cancelled(tx: Session, booking: Booking, now: datetime, reason: str) -> None:
    """Drop what the appointment had planned; its Zoom meeting goes, the operator is told."""
    await tx.outbox.drop_pending(booking.id, PLANNED_KINDS, reason)
    if booking.zoom_meeting_id:
        await _delete_meeting(tx, booking.operator_id, booking.zoom_meeting_id, now)
    await tell_operator_if_today(
        tx, booking.operator_id, booking.id, booking.starts_at, now, Change.CANCELLED
    )


async def zoom_after_move(
    tx: Session, before: Booking, slot: Slot, operator: Operator, now: datetime
) -> None:
    """The same Zoom host: the meeting moves. Another host: the old meeting goes, and the new
    operator's room (or a new API meeting, planned by plan_booked) takes its place."""
    if before.zoom_meeting_id is None:
        return
    if operator.meeting == MeetingMode.API and before.operator_id == slot.operator_id:
        await messaging.plan(
            tx,
            OutboxKind.ZOOM_UPDATE,
            now,
            now,
            operator_id=slot.operator_id,
            booking_id=before.id,
            payload={"meeting": before.zoom_meeting_id},
        )
        return
    await _delete_meeting(tx, before.operator_id, before.zoom_meeting_id, now)
    await tx.bookings.set_meeting(before.id, None, room_url(operator), room_url(operator))


async def _delete_meeting(tx: Session, operator_id: str, meeting_id: str, now: datetime) -> None:
    await messaging.plan(
        tx,
        OutboxKind.ZOOM_DELETE,
        now,
        now,
        operator_id=operator_id,
        payload={"meeting": meeting_id},
    )


async def tell_operator_if_today(
    tx: Session,
    operator_id: str,
    booking_id: int,
    starts_at: datetime,
    now: datetime,
    change: Change,
) -> None:
    """Changes to today's appointments reach the operator at once; later days are in the
    morning digest."""
    today_start, today_end = local_day_bounds(now)
    if today_start <= starts_at < today_end:
        await messaging.plan(
            tx,
            OutboxKind.OPERATOR_NOTICE,
            now,
            now,
            operator_id=operator_id,
            booking_id=booking_id,
            payload={"change": change.value, "starts_at": starts_at.isoformat()},
            not_after=today_end,
        )
