"""Appointments: the one place that books, moves, cancels, confirms and closes them.

Every function works inside the caller's write transaction (`tx`), so a booking change and
the messages it causes (reminders, Zoom tasks, operator notices, waitlist offers) are
committed together or not at all. A slot can never be given twice: the database's partial
unique index on (operator, start) decides, not a check before the insert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.agenda import Agenda, local_day_bounds
from bot.capabilities import messaging, opening, outcome_followup
from bot.capabilities.planning import (
    PLANNED_KINDS,
    Change,
    plan_booked,
    plan_cancelled,
    room_url,
    take_slot,
    zoom_after_move,
)
from bot.capabilities.waitlist import offer_freed_slot
from bot.clock import ROME
from bot.domain import (
    ACTIVE_STATUSES,
    JSON,
    Booking,
    BookingStatus,
    MeetingMode,
    NextStep,
    OutboxKind,
    Outcome,
)
from bot.slots import Operator, Slot, free_slots, is_closed, pick_operator
from storage.session import Session


class BookOutcome(StrEnum):
    BOOKED = "booked"
    MOVED = "moved"
    SLOT_TAKEN = "slot_taken"  # someone was quicker, or the time is no longer offered
    LIMIT_REACHED = "limit_reached"  # the person already has as many as the rules allow
    NOT_MOVABLE = "not_movable"  # only a booked appointment can be moved


@dataclass(frozen=True)
class BookingResult:
    outcome: BookOutcome
    booking: Booking | None = None  # the appointment as it is now, when booked or moved

    @property
    def ok(self) -> bool:
        return self.booking is not None


class CancelReason(StrEnum):
    """Why an appointment was cancelled (the last_error of the outbox rows it drops)."""

    BY_PERSON = "cancelled"
    CLOSURE = "closure"


async def open_slots(tx: Session, desk: Agenda, now: datetime) -> list[Slot]:
    """The free slots from the stored hours and closures (read now: an edit counts at once)."""
    desk = await opening.current(tx, desk)
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


async def book(
    tx: Session, desk: Agenda, person_id: int, starts_at: datetime, now: datetime
) -> BookingResult:
    """Book the least busy operator free at that time."""
    active = await tx.bookings.active_for(person_id)
    if len(active) >= desk.rules.max_active_per_person:
        return BookingResult(BookOutcome.LIMIT_REACHED)
    for slot, operator in await _free_at(tx, desk, starts_at, now):
        booking = await take_slot(tx, person_id, slot, operator, now)
        if booking is not None:
            await tx.waitlist.leave(person_id)
            await plan_booked(tx, desk, booking, now, change=Change.BOOKED)
            return BookingResult(BookOutcome.BOOKED, booking)
    return BookingResult(BookOutcome.SLOT_TAKEN)


async def move(
    tx: Session, desk: Agenda, booking: Booking, starts_at: datetime, now: datetime
) -> BookingResult:
    """Take the new time before releasing the old one (one UPDATE of the same row)."""
    if booking.status != BookingStatus.BOOKED:
        return BookingResult(BookOutcome.NOT_MOVABLE)
    old = Slot(booking.operator_id, booking.starts_at, booking.ends_at)
    for slot, operator in await _free_at(tx, desk, starts_at, now):
        same_meeting = operator.meeting == booking.meeting_mode == MeetingMode.API
        moved = await tx.bookings.move(
            booking.id,
            operator_id=slot.operator_id,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            meeting_mode=MeetingMode(operator.meeting),
            join_url=booking.join_url if same_meeting else room_url(operator),
            now=now,
        )
        if moved:
            await tx.outbox.drop_pending(booking.id, PLANNED_KINDS, "moved")
            await zoom_after_move(tx, booking, slot, operator, now)
            updated = await tx.bookings.get(booking.id)
            assert updated is not None
            await plan_booked(tx, desk, updated, now, change=Change.MOVED, previous=old)
            await offer_freed_slot(tx, desk, old, now)
            return BookingResult(BookOutcome.MOVED, updated)
    return BookingResult(BookOutcome.SLOT_TAKEN)


async def cancel(
    tx: Session,
    desk: Agenda,
    booking: Booking,
    now: datetime,
    *,
    reason: CancelReason = CancelReason.BY_PERSON,
) -> bool:
    """Cancel an active appointment (or hold) and offer its slot; False if it was not active."""
    if booking.status not in ACTIVE_STATUSES:
        return False
    cancelled = BookingStatus.CANCELLED
    if not await tx.bookings.set_status(booking.id, cancelled, now, only_from=booking.status):
        return False
    await plan_cancelled(tx, booking, now, reason)
    slot = Slot(booking.operator_id, booking.starts_at, booking.ends_at)
    await offer_freed_slot(tx, desk, slot, now)
    return True


async def confirm(tx: Session, person_id: int, booking: Booking, now: datetime) -> bool:
    """The person answers "Confermi?" with yes; False if it is not their booked appointment."""
    if booking.status != BookingStatus.BOOKED or booking.person_id != person_id:
        return False
    await tx.bookings.confirm(booking.id, now)
    return True


async def rate(tx: Session, person_id: int, booking_id: int, score: int) -> bool:
    """The person's satisfaction (1 to 5 stars) with a meeting of theirs."""
    booking = await tx.bookings.get(booking_id)
    if booking is None or booking.person_id != person_id or not 1 <= score <= 5:
        return False
    await tx.bookings.record_satisfaction(booking.id, score)
    return True


class Recorded(StrEnum):
    RECORDED = "recorded"
    NOT_YOURS = "not_yours"  # the appointment is another operator's
    NOT_STARTED = "not_started"  # not begun yet, or cancelled: nothing to record


# Operators may correct an outcome; only the first one tells the person.
RECORDABLE = (BookingStatus.BOOKED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW)
SURVEY_HOUR = 10


async def record_outcome(
    tx: Session, operator_id: str, booking: Booking, outcome: Outcome, now: datetime
) -> Recorded:
    """The operator says how the meeting went. The first time: a no-show is offered a new
    time at once, someone who attended gets the satisfaction question the next morning."""
    if booking.operator_id != operator_id:
        return Recorded.NOT_YOURS
    if booking.status not in RECORDABLE or booking.starts_at > now:
        return Recorded.NOT_STARTED
    await tx.bookings.record_outcome(booking.id, BookingStatus(outcome), None, now)
    if booking.status != BookingStatus.BOOKED or booking.person_id is None:
        return Recorded.RECORDED
    if outcome == Outcome.NO_SHOW:
        await messaging.plan(
            tx, OutboxKind.NOSHOW, now, now, person_id=booking.person_id, booking_id=booking.id
        )
    else:
        await outcome_followup.after_attended(tx, booking.person_id, now)
        await messaging.plan(
            tx,
            OutboxKind.SURVEY,
            _next_morning(now),
            now,
            person_id=booking.person_id,
            booking_id=booking.id,
            not_after=now + timedelta(days=7),
        )
    return Recorded.RECORDED


async def record_next_step(
    tx: Session, operator_id: str, booking: Booking, step: NextStep, now: datetime
) -> Recorded:
    """The next step agreed with someone who attended."""
    if booking.operator_id != operator_id:
        return Recorded.NOT_YOURS
    if booking.status != BookingStatus.ATTENDED:
        return Recorded.NOT_STARTED
    await tx.bookings.record_outcome(booking.id, BookingStatus.ATTENDED, step, now)
    if booking.next_step != step:  # counted for the report; a correction moves the count
        day = booking.starts_at.astimezone(ROME).date().isoformat()
        if booking.next_step is not None:
            await tx.monitoring.count(day, f"next_step_{booking.next_step}", booking.person_id, -1)
        await tx.monitoring.count(day, f"next_step_{step}", booking.person_id, 1)
    return Recorded.RECORDED


def _next_morning(now: datetime) -> datetime:
    day = now.astimezone(ROME).date() + timedelta(days=1)
    return datetime.combine(day, datetime.min.time().replace(hour=SURVEY_HOUR), tzinfo=ROME)


async def close_days(tx: Session, desk: Agenda, now: datetime) -> list[Booking]:
    """Appointments on days the desk has since closed are cancelled, their people told;
    the slots are not kept (nor offered) for a closed desk. The cancelled ones."""
    desk = await opening.current(tx, desk)
    horizon = now + timedelta(days=desk.rules.horizon_days + 30)
    affected = [
        b
        for b in await tx.bookings.between(now, horizon, ACTIVE_STATUSES)
        if is_closed(b.starts_at.astimezone(ROME).date(), desk.rules)
    ]
    return await cancel_unavailable(tx, desk, affected, now)


async def cancel_unavailable(
    tx: Session, desk: Agenda, bookings: list[Booking], now: datetime, *, hours: bool = False
) -> list[Booking]:
    """Appointments at times the desk no longer opens (a closure; `hours`: the operator's
    hours changed): each is cancelled and its person told and offered new times (the notice
    leads to booking). Call it after the change is stored, so the freed times are not
    offered again."""
    payload: dict[str, JSON] = {"reason": "hours"} if hours else {}
    for booking in bookings:
        await cancel(tx, desk, booking, now, reason=CancelReason.CLOSURE)
        if booking.person_id is not None:
            await messaging.plan(
                tx,
                OutboxKind.CLOSURE_NOTICE,
                now,
                now,
                person_id=booking.person_id,
                booking_id=booking.id,
                payload=payload,
            )
    return bookings
