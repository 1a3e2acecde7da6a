"""The appointment capabilities, called directly in a unit of work, as any interface would.

The fixture clock is Tuesday 24 November 2026, 10:00 in Lucca: Marco is free at 12:00, 14:30,
15:30 and 16:30 today (two hours' notice), in his personal Zoom room.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.app import App
from bot.capabilities import appointments, waitlist
from bot.capabilities.appointments import BookOutcome, Recorded
from bot.clock import ROME, ManualClock
from bot.domain import BookingStatus, Channel, MeetingMode, NextStep, OutboxKind, Outcome
from storage.session import Session

TODAY_1430 = datetime(2026, 11, 24, 14, 30, tzinfo=ROME)
TODAY_1530 = datetime(2026, 11, 24, 15, 30, tzinfo=ROME)
THURSDAY_0900 = datetime(2026, 11, 26, 9, 0, tzinfo=ROME)


async def person(tx: Session, who: str, now: datetime) -> int:
    return (await tx.people.create(Channel.TELEGRAM, who, now, "it")).id


async def kinds(tx: Session, booking_id: int) -> list[tuple[str, str]]:
    return [(i.kind, i.status) for i in await tx.outbox.for_booking(booking_id)]


async def test_book_takes_the_slot_and_plans_what_follows(app: App, clock: ManualClock) -> None:
    now = clock.now()
    async with app.db.write() as tx:
        anna = await person(tx, "anna", now)
        await waitlist.join(tx, anna, now)
        result = await appointments.book(tx, app.settings.agenda, anna, THURSDAY_0900, now)
        assert result.outcome == BookOutcome.BOOKED
        assert result.ok
        assert result.booking is not None
        assert result.booking.status == BookingStatus.BOOKED
        assert result.booking.operator_id == "marco"
        assert result.booking.join_url == "https://zoom.us/j/1000000002"
        planned = await kinds(tx, result.booking.id)
        assert ("reminder_confirm", "pending") in planned
        assert ("reminder", "pending") in planned
        assert ("outcome_prompt", "pending") in planned
        assert not await tx.waitlist.contains(anna)  # booking takes them off the waiting list


async def test_book_refuses_a_taken_slot_and_a_second_appointment(
    app: App, clock: ManualClock
) -> None:
    now, agenda = clock.now(), app.settings.agenda
    async with app.db.write() as tx:
        anna, bruno = await person(tx, "anna", now), await person(tx, "bruno", now)
        assert (await appointments.book(tx, agenda, anna, TODAY_1430, now)).ok
        taken = await appointments.book(tx, agenda, bruno, TODAY_1430, now)
        assert taken.outcome == BookOutcome.SLOT_TAKEN
        assert taken.booking is None
        second = await appointments.book(tx, agenda, anna, TODAY_1530, now)
        assert second.outcome == BookOutcome.LIMIT_REACHED
        not_offered = await appointments.book(
            tx, agenda, bruno, TODAY_1430 + timedelta(minutes=5), now
        )
        assert not_offered.outcome == BookOutcome.SLOT_TAKEN


async def test_move_keeps_the_row_bumps_the_sequence_and_replans(
    app: App, clock: ManualClock
) -> None:
    now, agenda = clock.now(), app.settings.agenda
    async with app.db.write() as tx:
        anna = await person(tx, "anna", now)
        booked = (await appointments.book(tx, agenda, anna, THURSDAY_0900, now)).booking
        assert booked is not None
        result = await appointments.move(tx, agenda, booked, TODAY_1530, now)
        assert result.outcome == BookOutcome.MOVED
        assert result.booking is not None
        assert (result.booking.id, result.booking.sequence) == (booked.id, booked.sequence + 1)
        assert result.booking.starts_at == TODAY_1530
        outbox = await tx.outbox.for_booking(booked.id)
        dropped = {i.kind for i in outbox if i.status == "dropped"}
        assert {"reminder_confirm", "outcome_prompt"} <= dropped
        # Today's new time reaches Marco at once.
        notices = [i.payload for i in outbox if i.kind == "operator_notice"]
        assert [(n["change"], datetime.fromisoformat(n["starts_at"])) for n in notices] == [
            ("moved", TODAY_1530)
        ]


async def test_move_refuses_a_taken_time_and_a_cancelled_appointment(
    app: App, clock: ManualClock
) -> None:
    now, agenda = clock.now(), app.settings.agenda
    async with app.db.write() as tx:
        anna, bruno = await person(tx, "anna", now), await person(tx, "bruno", now)
        mine = (await appointments.book(tx, agenda, anna, TODAY_1430, now)).booking
        theirs = (await appointments.book(tx, agenda, bruno, TODAY_1530, now)).booking
        assert mine is not None
        assert theirs is not None
        taken = await appointments.move(tx, agenda, mine, TODAY_1530, now)
        assert taken.outcome == BookOutcome.SLOT_TAKEN
        assert await appointments.cancel(tx, agenda, mine, now)
        cancelled = await tx.bookings.get(mine.id)
        assert cancelled is not None
        gone = await appointments.move(tx, agenda, cancelled, THURSDAY_0900, now)
        assert gone.outcome == BookOutcome.NOT_MOVABLE


async def test_cancel_frees_the_slot_for_the_waiting_list(app: App, clock: ManualClock) -> None:
    now, agenda = clock.now(), app.settings.agenda
    async with app.db.write() as tx:
        anna, bruno = await person(tx, "anna", now), await person(tx, "bruno", now)
        booked = (await appointments.book(tx, agenda, anna, TODAY_1430, now)).booking
        assert booked is not None
        await waitlist.join(tx, bruno, now)
        assert await appointments.cancel(tx, agenda, booked, now)
        assert not await appointments.cancel(tx, agenda, booked, now)  # status was read before
        again = await tx.bookings.get(booked.id)
        assert again is not None
        assert again.status == BookingStatus.CANCELLED
        assert not await appointments.cancel(tx, agenda, again, now)
        (hold,) = await tx.bookings.active_for(bruno)
        assert (hold.status, hold.starts_at) == (BookingStatus.HELD, TODAY_1430)
        planned = await kinds(tx, booked.id)
        assert ("operator_notice", "pending") in planned
        assert ("outcome_prompt", "dropped") in planned


async def test_confirm_only_by_the_person_and_only_a_booked_appointment(
    app: App, clock: ManualClock
) -> None:
    now, agenda = clock.now(), app.settings.agenda
    async with app.db.write() as tx:
        anna, bruno = await person(tx, "anna", now), await person(tx, "bruno", now)
        booked = (await appointments.book(tx, agenda, anna, THURSDAY_0900, now)).booking
        assert booked is not None
        assert not await appointments.confirm(tx, bruno, booked, now)
        assert await appointments.confirm(tx, anna, booked, now)
        confirmed = await tx.bookings.get(booked.id)
        assert confirmed is not None
        assert confirmed.confirmed_at == now


async def test_rate_records_one_to_five_stars_for_ones_own_meeting(
    app: App, clock: ManualClock
) -> None:
    now, agenda = clock.now(), app.settings.agenda
    async with app.db.write() as tx:
        anna, bruno = await person(tx, "anna", now), await person(tx, "bruno", now)
        booked = (await appointments.book(tx, agenda, anna, THURSDAY_0900, now)).booking
        assert booked is not None
        assert not await appointments.rate(tx, bruno, booked.id, 5)
        assert not await appointments.rate(tx, anna, booked.id, 6)
        assert not await appointments.rate(tx, anna, booked.id + 1000, 4)
        assert await appointments.rate(tx, anna, booked.id, 4)
        rated = await tx.bookings.get(booked.id)
        assert rated is not None
        assert rated.satisfaction == 4


async def test_record_outcome_checks_the_operator_and_the_time(
    app: App, clock: ManualClock
) -> None:
    now, agenda = clock.now(), app.settings.agenda
    async with app.db.write() as tx:
        anna = await person(tx, "anna", now)
        booked = (await appointments.book(tx, agenda, anna, TODAY_1430, now)).booking
        assert booked is not None
        early = await appointments.record_outcome(tx, "marco", booked, Outcome.ATTENDED, now)
        assert early == Recorded.NOT_STARTED
        later = TODAY_1430 + timedelta(minutes=50)
        other = await appointments.record_outcome(tx, "giulia", booked, Outcome.ATTENDED, later)
        assert other == Recorded.NOT_YOURS
        done = await appointments.record_outcome(tx, "marco", booked, Outcome.ATTENDED, later)
        assert done == Recorded.RECORDED
        survey = [i for i in await tx.outbox.for_booking(booked.id) if i.kind == "survey"]
        assert [i.due_at for i in survey] == [datetime(2026, 11, 25, 10, 0, tzinfo=ROME)]
        attended = await tx.bookings.get(booked.id)
        assert attended is not None
        assert attended.status == BookingStatus.ATTENDED
        # A correction changes the state but tells the person nothing more.
        fixed = await appointments.record_outcome(tx, "marco", attended, Outcome.NO_SHOW, later)
        assert fixed == Recorded.RECORDED
        told = [i.kind for i in await tx.outbox.for_booking(booked.id)]
        assert "noshow" not in told
        assert told.count(OutboxKind.SURVEY) == 1


async def test_a_no_show_is_offered_a_new_time_at_once(app: App, clock: ManualClock) -> None:
    now, agenda = clock.now(), app.settings.agenda
    later = TODAY_1430 + timedelta(minutes=50)
    async with app.db.write() as tx:
        anna = await person(tx, "anna", now)
        booked = (await appointments.book(tx, agenda, anna, TODAY_1430, now)).booking
        assert booked is not None
        await appointments.record_outcome(tx, "marco", booked, Outcome.NO_SHOW, later)
        noshow = [i for i in await tx.outbox.for_booking(booked.id) if i.kind == "noshow"]
        assert [(i.person_id, i.due_at) for i in noshow] == [(anna, later)]


async def test_record_next_step_only_after_attending(app: App, clock: ManualClock) -> None:
    now, agenda = clock.now(), app.settings.agenda
    later = TODAY_1430 + timedelta(minutes=50)
    async with app.db.write() as tx:
        anna = await person(tx, "anna", now)
        booked = (await appointments.book(tx, agenda, anna, TODAY_1430, now)).booking
        assert booked is not None
        step = NextStep.INTERNSHIP
        too_soon = await appointments.record_next_step(tx, "marco", booked, step, later)
        assert too_soon == Recorded.NOT_STARTED
        await appointments.record_outcome(tx, "marco", booked, Outcome.ATTENDED, later)
        attended = await tx.bookings.get(booked.id)
        assert attended is not None
        wrong = await appointments.record_next_step(tx, "giulia", attended, step, later)
        assert wrong == Recorded.NOT_YOURS
        assert await appointments.record_next_step(tx, "marco", attended, step, later) == (
            Recorded.RECORDED
        )
        recorded = await tx.bookings.get(booked.id)
        assert recorded is not None
        assert recorded.next_step == NextStep.INTERNSHIP


async def test_close_days_cancels_and_tells_without_offering(app: App, clock: ManualClock) -> None:
    """24 December is a closure in the example; an appointment that day (made before the
    closure was configured) is cancelled, its person told, and the slot not offered."""
    now, agenda = clock.now(), app.settings.agenda
    eve = datetime(2026, 12, 24, 9, 0, tzinfo=ROME)
    async with app.db.write() as tx:
        anna, bruno = await person(tx, "anna", now), await person(tx, "bruno", now)
        await waitlist.join(tx, bruno, now)
        made = await tx.bookings.create(
            person_id=anna,
            operator_id="marco",
            starts_at=eve,
            ends_at=eve + timedelta(minutes=45),
            meeting_mode=MeetingMode.ROOM,
            uid="eve@test",
            now=now,
        )
        assert made is not None
        closed = await appointments.close_days(tx, agenda, now)
        assert [b.id for b in closed] == [made.id]
        after = await tx.bookings.get(made.id)
        assert after is not None
        assert after.status == BookingStatus.CANCELLED
        assert ("closure_notice", "pending") in await kinds(tx, made.id)
        assert await tx.bookings.active_for(bruno) == []
        assert await appointments.close_days(tx, agenda, now) == []
