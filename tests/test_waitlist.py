"""The waiting-list capabilities: join, leave, the offer of a freed slot, accepting,
declining and expiry. The fixture clock is Tuesday 24 November 2026, 10:00 in Lucca."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.app import App
from bot.capabilities import appointments, waitlist
from bot.capabilities.waitlist import JoinOutcome, OfferOutcome
from bot.clock import ROME, ManualClock
from bot.domain import BookingStatus, Channel
from bot.slots import Slot
from storage.session import Session

TODAY_1430 = datetime(2026, 11, 24, 14, 30, tzinfo=ROME)
FREED = Slot("marco", TODAY_1430, TODAY_1430 + timedelta(minutes=45))


async def person(tx: Session, who: str, now: datetime) -> int:
    return (await tx.people.create(Channel.TELEGRAM, who, now, "it")).id


async def test_join_twice_keeps_the_place_and_leave_says_if_they_were_waiting(
    app: App, clock: ManualClock
) -> None:
    now = clock.now()
    async with app.db.write() as tx:
        anna = await person(tx, "anna", now)
        assert await waitlist.join(tx, anna, now) == JoinOutcome.JOINED
        assert await waitlist.join(tx, anna, now) == JoinOutcome.ALREADY_WAITING
        assert await tx.waitlist.contains(anna)
        assert await waitlist.leave(tx, anna)
        assert not await waitlist.leave(tx, anna)
        assert not await tx.waitlist.contains(anna)


async def test_a_freed_slot_is_held_for_whoever_waited_longest(
    app: App, clock: ManualClock
) -> None:
    now, agenda = clock.now(), app.settings.agenda
    async with app.db.write() as tx:
        anna, bruno = await person(tx, "anna", now), await person(tx, "bruno", now)
        await waitlist.join(tx, bruno, now - timedelta(hours=1))
        await waitlist.join(tx, anna, now)
        hold = await waitlist.offer_freed_slot(tx, agenda, FREED, now)
        assert hold is not None
        assert (hold.person_id, hold.status) == (bruno, BookingStatus.HELD)
        assert hold.hold_expires_at == now + agenda.rules.waitlist_hold
        assert not await tx.waitlist.contains(bruno)
        (offer,) = await tx.outbox.for_booking(hold.id)
        assert (offer.kind, offer.person_id, offer.not_after) == (
            "waitlist_offer",
            bruno,
            hold.hold_expires_at,
        )
        # The slot is held: offering it again gives nothing.
        assert await waitlist.offer_freed_slot(tx, agenda, FREED, now) is None


async def test_no_offer_too_close_to_the_time_or_with_nobody_waiting(
    app: App, clock: ManualClock
) -> None:
    now, agenda = clock.now(), app.settings.agenda
    async with app.db.write() as tx:
        assert await waitlist.offer_freed_slot(tx, agenda, FREED, now) is None
        anna = await person(tx, "anna", now)
        await waitlist.join(tx, anna, now)
        soon = Slot("marco", now + timedelta(hours=1), now + timedelta(hours=2))
        assert await waitlist.offer_freed_slot(tx, agenda, soon, now) is None
        assert await tx.waitlist.contains(anna)


async def test_accepting_makes_it_an_appointment_once(app: App, clock: ManualClock) -> None:
    now, agenda = clock.now(), app.settings.agenda
    async with app.db.write() as tx:
        anna, bruno = await person(tx, "anna", now), await person(tx, "bruno", now)
        await waitlist.join(tx, anna, now)
        hold = await waitlist.offer_freed_slot(tx, agenda, FREED, now)
        assert hold is not None
        not_theirs = await waitlist.accept_offer(tx, agenda, bruno, hold, now)
        assert not_theirs.outcome == OfferOutcome.GONE
        result = await waitlist.accept_offer(tx, agenda, anna, hold, now)
        assert result.outcome == OfferOutcome.ACCEPTED
        assert result.booking is not None
        assert result.booking.status == BookingStatus.BOOKED
        assert result.booking.hold_expires_at is None
        kinds = {i.kind for i in await tx.outbox.for_booking(hold.id)}
        assert {"reminder", "outcome_prompt", "operator_notice"} <= kinds
        again = await waitlist.accept_offer(tx, agenda, anna, hold, now)  # a stale hold
        assert again.outcome == OfferOutcome.GONE


async def test_an_expired_hold_cannot_be_taken_and_goes_to_the_next(
    app: App, clock: ManualClock
) -> None:
    now, agenda = clock.now(), app.settings.agenda
    async with app.db.write() as tx:
        anna, bruno = await person(tx, "anna", now), await person(tx, "bruno", now)
        await waitlist.join(tx, anna, now - timedelta(minutes=5))
        await waitlist.join(tx, bruno, now)
        hold = await waitlist.offer_freed_slot(tx, agenda, FREED, now)
        assert hold is not None
        assert hold.person_id == anna
        later = now + agenda.rules.waitlist_hold
        late = await waitlist.accept_offer(tx, agenda, anna, hold, later)
        assert late.outcome == OfferOutcome.GONE
        assert await waitlist.expire_offers(tx, agenda, later) == 1
        expired = await tx.bookings.get(hold.id)
        assert expired is not None
        assert expired.status == BookingStatus.EXPIRED
        (next_hold,) = await tx.bookings.active_for(bruno)
        assert (next_hold.status, next_hold.starts_at) == (BookingStatus.HELD, TODAY_1430)
        assert await waitlist.expire_offers(tx, agenda, later) == 0


async def test_declining_releases_once_to_the_next_person(app: App, clock: ManualClock) -> None:
    now, agenda = clock.now(), app.settings.agenda
    async with app.db.write() as tx:
        anna, bruno = await person(tx, "anna", now), await person(tx, "bruno", now)
        await waitlist.join(tx, anna, now - timedelta(minutes=5))
        await waitlist.join(tx, bruno, now)
        hold = await waitlist.offer_freed_slot(tx, agenda, FREED, now)
        assert hold is not None
        assert await waitlist.release_offer(tx, agenda, hold, now)
        assert not await waitlist.release_offer(tx, agenda, hold, now)
        (offer,) = list(await tx.outbox.for_booking(hold.id))
        assert (offer.status, offer.last_error) == ("dropped", "released")
        assert [b.person_id for b in await tx.bookings.active_for(bruno)] == [bruno]
        # A person with an appointment is skipped by the queue.
        assert (await appointments.book(tx, agenda, anna, TODAY_1430 + timedelta(days=2), now)).ok
