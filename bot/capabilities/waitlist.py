"""The waiting list: joining and leaving it, and offering a freed slot to whoever has been
waiting longest, as a `held` booking they can take or decline before it expires."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.agenda import Agenda
from bot.capabilities import messaging, opening
from bot.capabilities.planning import Change, plan_booked, take_slot
from bot.domain import Booking, BookingStatus, OutboxKind
from bot.slots import Operator, Slot, slots_between
from storage.session import Session


class JoinOutcome(StrEnum):
    JOINED = "joined"
    ALREADY_WAITING = "already_waiting"


class OfferOutcome(StrEnum):
    ACCEPTED = "accepted"
    GONE = "gone"  # not held any more, held for someone else, or expired


@dataclass(frozen=True)
class OfferResult:
    outcome: OfferOutcome
    booking: Booking | None = None  # the appointment, once accepted


async def join(tx: Session, person_id: int, now: datetime) -> JoinOutcome:
    joined = await tx.waitlist.join(person_id, now)
    return JoinOutcome.JOINED if joined else JoinOutcome.ALREADY_WAITING


async def leave(tx: Session, person_id: int) -> bool:
    """True if the person was waiting."""
    return await tx.waitlist.leave(person_id)


def _still_open(slot: Slot, operator: Operator, desk: Agenda) -> bool:
    """The slot is still one the operator's hours give (not a closed day, not hours taken
    away since it was booked)."""
    end = slot.starts_at + timedelta(minutes=1)
    return slot in slots_between([operator], desk.rules, slot.starts_at, end)


async def offer_freed_slot(tx: Session, desk: Agenda, slot: Slot, now: datetime) -> Booking | None:
    """Hold a freed slot for the person waiting longest and tell them; the hold, or None when
    the slot is too close, on a closed day, or nobody is waiting (it simply stays free)."""
    if slot.starts_at - desk.rules.min_notice < now:
        return None
    desk = await opening.current(tx, desk)
    operator = desk.operator(slot.operator_id)
    if operator is None or not _still_open(slot, operator, desk):
        return None
    person_id = await tx.waitlist.first()
    if person_id is None:
        return None
    hold_until = now + desk.rules.waitlist_hold
    hold = await take_slot(tx, person_id, slot, operator, now, hold_until=hold_until)
    if hold is None:
        return None
    await tx.waitlist.leave(person_id)
    await messaging.plan(
        tx,
        OutboxKind.WAITLIST_OFFER,
        now,
        now,
        person_id=person_id,
        booking_id=hold.id,
        not_after=hold.hold_expires_at,
    )
    return hold


def _still_held(hold: Booking, person_id: int, now: datetime) -> bool:
    if hold.status != BookingStatus.HELD or hold.person_id != person_id:
        return False
    return hold.hold_expires_at is None or hold.hold_expires_at > now


async def accept_offer(
    tx: Session, desk: Agenda, person_id: int, hold: Booking, now: datetime
) -> OfferResult:
    """The person takes the slot held for them: it becomes their appointment."""
    if not _still_held(hold, person_id, now):
        return OfferResult(OfferOutcome.GONE)
    booked_now = BookingStatus.BOOKED
    if not await tx.bookings.set_status(hold.id, booked_now, now, only_from=BookingStatus.HELD):
        return OfferResult(OfferOutcome.GONE)
    booked = await tx.bookings.get(hold.id)
    assert booked is not None
    await plan_booked(tx, desk, booked, now, change=Change.BOOKED)
    return OfferResult(OfferOutcome.ACCEPTED, booked)


async def release_offer(tx: Session, desk: Agenda, hold: Booking, now: datetime) -> bool:
    """A declined or expired hold goes to the next person waiting; False if it was not held."""
    expired = BookingStatus.EXPIRED
    if not await tx.bookings.set_status(hold.id, expired, now, only_from=BookingStatus.HELD):
        return False
    await tx.outbox.drop_pending(hold.id, (OutboxKind.WAITLIST_OFFER,), "released")
    await offer_freed_slot(tx, desk, Slot(hold.operator_id, hold.starts_at, hold.ends_at), now)
    return True


async def expire_offers(tx: Session, desk: Agenda, now: datetime) -> int:
    """Holds not taken in time are released; how many."""
    expired = await tx.bookings.expired_holds(now)
    for hold in expired:
        await release_offer(tx, desk, hold, now)
    return len(expired)
