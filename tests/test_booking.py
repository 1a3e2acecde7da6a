"""Booking in the chat, and everything that follows it, with a manual clock.

The fixture clock is Tuesday 24 November 2026, 10:00 in Lucca. The example agenda has Marco
on Tuesdays and Thursdays and Giulia on Mondays, Wednesdays and Fridays, hourly 45-minute
slots, two hours' minimum notice.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import icalendar

from bot.app import App, build_app
from bot.clock import ROME, ManualClock
from bot.domain import Booking, Channel, Inbound, InboundKind, OutboxKind, Reply
from scheduling import jobs
from tests.booking_helpers import (
    RecordingSender,
    booked_person,
    recording_dispatcher,
    write_config,
)
from tests.chat import Chat, complete_intake
from tests.conftest import make_settings

MARCO = "100000002"
GIULIA = "100000001"


async def active(app: App, who: str) -> list[Booking]:
    async with app.db.read() as tx:
        person = await tx.people.by_identity(Channel.TELEGRAM, who)
        assert person is not None
        return list(await tx.bookings.active_for(person.id))


async def test_intake_leads_to_days_then_times_then_a_booking(app: App, chat: Chat) -> None:
    await complete_intake(chat)
    days = [o for o in chat.question.options if o.id.startswith("d.")]
    assert days[0].label == "Tuesday 24 November"
    assert days[1].label == "Wednesday 25 November"
    assert len(days) == 5
    assert "day.more" in [o.id for o in chat.question.options]
    await chat.tap(days[0].id)
    times = [o.label for o in chat.question.options if o.id.startswith("t.")]
    assert times == ["12:00", "14:30", "15:30", "16:30"]  # 10:00 now, 2 hours' notice
    replies = await chat.tap("t.1430")
    confirmation = next(r for r in replies if r.attachment is not None)
    assert "Booked! Your video meeting is on Tuesday 24 November at 14:30, with Marco." in (
        confirmation.text
    )
    assert "Zoom link: https://zoom.us/j/1000000002" in confirmation.text
    assert confirmation.attachment is not None
    calendar = icalendar.Calendar.from_ical(confirmation.attachment.content)
    event = calendar.walk("VEVENT")[0]
    assert isinstance(event, icalendar.Event)
    assert event.start == datetime(2026, 11, 24, 14, 30, tzinfo=ROME)
    assert "Reschedule" in [o.label.split(" ", 1)[-1] for o in chat.question.options]
    # One message: the confirmation carries the appointment's buttons, no card repeats it.
    assert replies == [confirmation]
    assert [o.id for o in confirmation.options][:2] == ["appt.move", "appt.cancel"]


async def test_booking_plans_reminders_outcome_and_tells_the_operator(
    app: App,
) -> None:
    await booked_person(app, "anna")
    (booking,) = await active(app, "anna")
    async with app.db.read() as tx:
        items = await tx.outbox.for_booking(booking.id)
    kinds = {i.kind: i for i in items}
    assert set(kinds) == {"reminder", "outcome_prompt", "operator_notice"}
    # 12:00 today: the 24-hour reminder would be in the past, the 1-hour one is at 11:00.
    assert kinds[OutboxKind.REMINDER].due_at == datetime(2026, 11, 24, 11, 0, tzinfo=ROME)
    assert kinds[OutboxKind.OPERATOR_NOTICE].operator_id == "marco"


async def test_two_people_tap_the_same_time(app: App) -> None:
    anna, luca = Chat(app.engine, "anna"), Chat(app.engine, "luca")
    for person in (anna, luca):
        await complete_intake(person)
        await person.tap("d.20261124")
    await anna.tap("t.1200")
    await luca.tap("t.1200")
    assert "someone has just taken that time" in luca.texts()
    assert next(o.label for o in luca.question.options if o.id.startswith("t.")) == "14:30"
    assert len(await active(app, "anna")) == 1
    assert await active(app, "luca") == []


async def test_many_simultaneous_taps_book_a_slot_once(app: App) -> None:
    people = [Chat(app.engine, f"p{i}") for i in range(20)]
    for person in people:
        await complete_intake(person)
        await person.tap("d.20261124")
    await asyncio.gather(*(p.tap("t.1200") for p in people))
    async with app.db.read() as tx:
        start = datetime(2026, 11, 24, 12, 0, tzinfo=ROME)
        taken = await tx.bookings.between(start, start + timedelta(minutes=1))
    assert len(taken) == 1


async def test_the_database_refuses_a_second_booking_of_a_slot(app: App) -> None:
    start = datetime(2026, 11, 26, 9, 0, tzinfo=ROME)
    async with app.db.write() as tx:
        first = await tx.people.create(Channel.CONSOLE, "a", start, "it")
        second = await tx.people.create(Channel.CONSOLE, "b", start, "it")
        common = {
            "operator_id": "marco",
            "starts_at": start,
            "ends_at": start + timedelta(minutes=45),
            "meeting_mode": "room",
            "now": start,
        }
        assert await tx.bookings.create(person_id=first.id, uid="u1", **common) is not None  # type: ignore[arg-type]
        assert await tx.bookings.create(person_id=second.id, uid="u2", **common) is None  # type: ignore[arg-type]


async def test_reschedule_takes_the_new_slot_and_replans(app: App) -> None:
    chat = await booked_person(app, "anna")
    (before,) = await active(app, "anna")
    await chat.send("/appuntamento")
    await chat.tap("appt.move")
    await chat.tap("d.20261126")
    replies = await chat.tap("t.1000")
    assert "Your appointment has been moved." in chat.texts()
    (after,) = await active(app, "anna")
    assert after.id == before.id
    assert after.sequence == 1
    assert after.starts_at == datetime(2026, 11, 26, 10, 0, tzinfo=ROME)
    ics = next(r.attachment for r in replies if r.attachment)
    assert ics is not None
    assert b"SEQUENCE:1" in ics.content
    async with app.db.read() as tx:
        items = await tx.outbox.for_booking(after.id)
    pending = sorted((i.kind, i.due_at) for i in items if i.status == "pending")
    assert ("reminder_confirm", datetime(2026, 11, 25, 10, 0, tzinfo=ROME)) in pending
    assert ("reminder", datetime(2026, 11, 26, 9, 0, tzinfo=ROME)) in pending
    dropped = [i.kind for i in items if i.status == "dropped"]
    assert "reminder" in dropped


async def test_cancel_frees_the_slot_and_offers_a_new_booking(app: App) -> None:
    chat = await booked_person(app, "anna")
    await chat.send("/appuntamento")
    await chat.tap("appt.cancel")
    await chat.tap("cancel.yes")
    assert "Your appointment has been cancelled." in chat.texts()
    assert next(o.id for o in chat.question.options) == "appt.book"
    assert await active(app, "anna") == []
    luca = Chat(app.engine, "luca")
    await complete_intake(luca)
    await luca.tap("d.20261124")
    assert "12:00" in [o.label for o in luca.question.options]


async def test_stale_time_button_from_yesterday(app: App, clock: ManualClock) -> None:
    await complete_intake(Chat(app.engine, "x"))
    chat = Chat(app.engine, "anna")
    await complete_intake(chat)
    await chat.tap("d.20261124")
    stale = chat.question
    clock.advance(timedelta(days=1))
    await chat.press(f"{stale.seq}:t.1200")
    assert "someone has just taken that time" in chat.texts() or "no free times" in chat.texts()
    assert await active(app, "anna") == []


async def test_reminder_asks_confirmation_and_survives_a_restart(
    app: App, clock: ManualClock, settings: object
) -> None:
    chat = await booked_person(app, "anna")
    await chat.send("/appuntamento")
    await chat.tap("appt.move")
    await chat.tap("d.20261126")
    await chat.tap("t.1000")  # Thursday 10:00 with Marco
    await app.db.close()

    clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=ROME))
    again = await build_app(app.settings, clock)
    try:
        sender = RecordingSender()
        dispatcher = recording_dispatcher(again, sender)
        await dispatcher.tick()
        (reminder,) = sender.to("anna")
        assert "Reminder: your video meeting" in reminder.text
        assert "Thursday 26 November at 10:00" in reminder.text
        assert next(o.id for o in reminder.options) == "check.yes"
        resumed = Chat(again.engine, "anna")
        resumed.replies = [reminder]
        await resumed.tap("check.yes")
        assert "See you then" in resumed.texts()
        (booking,) = await active(again, "anna")
        assert booking.confirmed_at is not None
        assert await dispatcher.tick() == 0
    finally:
        await again.close()
        app.db = again.db


async def test_quiet_hours_move_a_reminder_earlier(app: App, clock: ManualClock) -> None:
    chat = Chat(app.engine, "anna")
    await complete_intake(chat)
    clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=ROME))
    await chat.send("/appuntamento")
    await chat.tap("appt.book")
    await chat.tap("d.20261126")
    await chat.tap("t.0900")  # Thursday 09:00: the 1-hour reminder would be at 08:00
    (booking,) = await active(app, "anna")
    async with app.db.read() as tx:
        items = await tx.outbox.for_booking(booking.id)
    reminders = sorted(i.due_at.astimezone(ROME) for i in items if i.kind.startswith("reminder"))
    assert reminders[0].hour < 21
    assert all(not (r.hour >= 21 or r.hour < 8) for r in reminders)


async def test_overdue_reminder_for_a_past_appointment_is_dropped(
    app: App, clock: ManualClock
) -> None:
    await booked_person(app, "anna")
    clock.advance(timedelta(days=3))  # the bot was down across the appointment
    sender = RecordingSender()
    await recording_dispatcher(app, sender).tick()
    assert sender.to("anna") == []
    (booking,) = await active(app, "anna")
    async with app.db.read() as tx:
        items = await tx.outbox.for_booking(booking.id)
    assert {i.kind: i.status for i in items}[OutboxKind.REMINDER] == "dropped"


async def test_operator_digest_and_day_lists(app: App, clock: ManualClock) -> None:
    await booked_person(app, "anna")  # Tuesday 12:00 with Marco
    clock.set(datetime(2026, 11, 24, 7, 0, tzinfo=ROME))
    assert await jobs.plan_digests(app.db, clock, app.settings.agenda) == 0
    clock.set(datetime(2026, 11, 24, 7, 30, tzinfo=ROME))
    assert await jobs.plan_digests(app.db, clock, app.settings.agenda) == 1  # Marco works
    assert await jobs.plan_digests(app.db, clock, app.settings.agenda) == 0  # once a day
    sender = RecordingSender()
    await recording_dispatcher(app, sender).tick()
    digest = sender.texts_to(MARCO)
    # Operators read Italian, the desk's language.
    assert "martedì 24 novembre" in digest
    assert "12:00 · Anna" in digest
    assert "Turismo e ospitalità" in digest
    assert "https://zoom.us/j/1000000002" in digest
    assert sender.to(GIULIA) == []
    today = await app.engine.handle(
        Inbound(Channel.TELEGRAM, MARCO, InboundKind.TEXT, text="/oggi", dedupe_key="op1")
    )
    assert "12:00 · Anna" in today[0].text
    tomorrow = await app.engine.handle(
        Inbound(Channel.TELEGRAM, GIULIA, InboundKind.TEXT, text="/domani", dedupe_key="op2")
    )
    assert "mercoledì 25 novembre" in tomorrow[0].text
    assert "·" not in tomorrow[0].text


async def test_only_operators_get_day_lists(app: App) -> None:
    stranger = Chat(app.engine, "555")
    await stranger.send("/start")
    await stranger.tap("notice.accept")
    await stranger.send("/oggi")
    assert "I don't know that command." in stranger.texts()


async def test_outcome_survey_and_no_show(app: App, clock: ManualClock) -> None:
    await booked_person(app, "anna")
    await booked_person(app, "luca")  # 14:30
    clock.set(datetime(2026, 11, 24, 15, 20, tzinfo=ROME))
    sender = RecordingSender()
    dispatcher = recording_dispatcher(app, sender)
    await dispatcher.tick()
    prompts = [r for r in sender.to(MARCO) if r.options]
    assert len(prompts) == 2
    anna_booking, luca_booking = (await active(app, "anna"))[0], (await active(app, "luca"))[0]

    async def operator_taps(data: str) -> Reply:
        replies = await app.engine.handle(
            Inbound(Channel.TELEGRAM, MARCO, InboundKind.BUTTON, data=data, dedupe_key=data)
        )
        return replies[0]

    next_steps = await operator_taps(f"0:o.{anna_booking.id}.attended")
    assert next(o.id for o in next_steps.options) == f"n.{anna_booking.id}.training"
    assert not (await operator_taps(f"0:n.{anna_booking.id}.training")).options
    assert not (await operator_taps(f"0:o.{luca_booking.id}.no_show")).options
    # Another operator cannot touch Marco's appointments.
    forged = await app.engine.handle(
        Inbound(
            Channel.TELEGRAM,
            GIULIA,
            InboundKind.BUTTON,
            data=f"0:o.{anna_booking.id}.no_show",
            dedupe_key="forged",
        )
    )
    async with app.db.read() as tx:
        assert (await tx.bookings.get(anna_booking.id)).status == "attended"  # type: ignore[union-attr]
        assert (await tx.bookings.get(luca_booking.id)).status == "no_show"  # type: ignore[union-attr]
    assert forged[0].options == ()

    await dispatcher.tick()
    assert "We missed you" in sender.texts_to("luca")
    clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=ROME))
    await dispatcher.tick()
    (survey,) = [r for r in sender.to("anna") if r.options and r.options[0].id == "score.1"]
    anna = Chat(app.engine, "anna")
    anna.replies = [survey]
    await anna.tap("score.5")
    async with app.db.read() as tx:
        rated = await tx.bookings.get(anna_booking.id)
    assert rated is not None
    assert rated.satisfaction == 5
    assert rated.next_step == "training"
    assert rated.status == "attended"


async def test_waitlist_offer_hold_and_expiry(tmp_path: Path, database: str) -> None:
    config = write_config(
        tmp_path,
        """
[booking]
horizon_days = 1
min_notice_hours = 0
waitlist_hold_minutes = 60

[[operator]]
id = "sara"
name = "Sara Neri"
telegram_id = 100000003
meeting = "room"
room_url = "https://zoom.us/j/3"
[operator.hours]
wed = ["09:00-09:45"]
""",
    )
    clock = ManualClock(datetime(2026, 11, 24, 10, 0, tzinfo=ROME))
    app = await build_app(make_settings(database, SPORTELLO_CONFIG=str(config)), clock)
    try:
        sender = RecordingSender()
        dispatcher = recording_dispatcher(app, sender)
        anna = await booked_person(app, "anna")
        waiting = []
        for who in ("luca", "omar"):
            chat = Chat(app.engine, who)
            await complete_intake(chat)
            assert "no free times in the next 1 day." in chat.texts()
            await chat.tap("wait.join")
            assert "waiting list" in chat.last_text
            waiting.append(chat)
        await anna.send("/appuntamento")
        await anna.tap("appt.cancel")
        await anna.tap("cancel.yes")
        await dispatcher.tick()
        (offer,) = [r for r in sender.to("luca") if r.options]
        assert "a time has freed up on Wednesday 25 November at 09:00" in offer.text
        assert "until 11:00" in offer.text
        clock.advance(timedelta(minutes=61))
        assert await jobs.expire_holds(app.db, clock, app.settings.agenda) == 1
        await dispatcher.tick()
        (second,) = [r for r in sender.to("omar") if r.options]
        omar = waiting[1]
        omar.replies.append(second)
        await omar.tap("offer.accept")
        assert "Booked!" in omar.texts()
        assert len(await active(app, "omar")) == 1
        assert await active(app, "luca") == []
    finally:
        await app.close()


async def test_a_closure_cancels_and_tells_people(
    app: App, clock: ManualClock, tmp_path: Path
) -> None:
    await booked_person(app, "anna")  # Tuesday 24 November 12:00
    async with app.db.write() as tx:  # as if added without the back-office's confirmation
        await tx.availability.add_closure(date(2026, 11, 24), date(2026, 11, 24), "", clock.now())
    assert await jobs.cancel_on_closed_days(app.db, clock, app.settings.agenda) == 1
    sender = RecordingSender()
    await recording_dispatcher(app, sender).tick()
    assert "closed on the day of your appointment" in sender.texts_to("anna")
    assert await active(app, "anna") == []


async def test_blocked_person_is_not_retried(app: App, clock: ManualClock) -> None:
    await booked_person(app, "anna")
    sender = RecordingSender(blocked={"anna"})
    clock.set(datetime(2026, 11, 24, 11, 0, tzinfo=ROME))
    dispatcher = recording_dispatcher(app, sender)
    await dispatcher.tick()
    async with app.db.read() as tx:
        person = await tx.people.by_identity(Channel.TELEGRAM, "anna")
        assert person is not None
        assert person.unreachable_at is not None
        failed = await tx.outbox.listing(("failed",))
    assert [i.kind for i in failed] == ["reminder"]
    assert failed[0].last_error is not None
    assert failed[0].last_error.startswith("blocked")
    assert await dispatcher.tick() == 0


async def test_erasure_cancels_the_appointment_and_keeps_an_anonymous_record(app: App) -> None:
    chat = await booked_person(app, "anna")
    (booking,) = await active(app, "anna")
    await chat.send("/cancella")
    await chat.tap("erase.yes")
    async with app.db.read() as tx:
        kept = await tx.bookings.get(booking.id)
    assert kept is not None
    assert kept.person_id is None
    assert kept.status == "cancelled"


def test_clock_fixture_is_a_tuesday_morning(clock: ManualClock) -> None:
    local = clock.now().astimezone(ROME)
    assert (local.weekday(), local.hour) == (1, 10)
    assert clock.now().tzinfo is UTC


async def test_tapping_a_time_twice_books_once(app: App) -> None:
    chat = Chat(app.engine, "anna")
    await complete_intake(chat)
    await chat.tap("d.20261124")
    question = chat.question
    await chat.press(f"{question.seq}:t.1200")
    await chat.press(f"{question.seq}:t.1430")  # the same keyboard, a second tap
    assert "belongs to an earlier message" in chat.texts()
    assert len(await active(app, "anna")) == 1


async def test_operator_without_telegram_gets_no_digest(tmp_path: Path, database: str) -> None:
    config = write_config(
        tmp_path,
        """
[[operator]]
id = "nina"
name = "Nina Verdi"
meeting = "room"
room_url = "https://zoom.us/j/7"
[operator.hours]
tue = ["09:00-13:00"]
""",
    )
    clock = ManualClock(datetime(2026, 11, 24, 8, 0, tzinfo=ROME))
    app = await build_app(make_settings(database, SPORTELLO_CONFIG=str(config)), clock)
    try:
        await booked_person(app, "anna")
        assert await jobs.plan_digests(app.db, clock, app.settings.agenda) == 0
        sender = RecordingSender()
        await recording_dispatcher(app, sender).tick()  # the same-day notice has nowhere to go
        async with app.db.read() as tx:
            counts = await tx.outbox.counts()
        assert counts.get("dropped", 0) >= 1
        assert sender.sent == []
    finally:
        await app.close()
