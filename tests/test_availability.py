"""Operators' hours and the closures in the database: seeded once from the TOML file, edited
through the availability capability with field-level problems, read at once by the chat, and
a change that takes away booked times only after confirmation, as a closure."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from bot.app import App, build_app
from bot.capabilities import appointments, availability, opening
from bot.capabilities.availability import FieldError, Problem
from bot.clock import ManualClock
from bot.domain import BookingStatus, Channel, OutboxKind
from bot.slots import Window
from tests.booking_helpers import RecordingSender, booked_person, recording_dispatcher
from tests.chat import Chat, complete_intake

GIULIA = {
    "mon": "09:00-13:00, 14:30-17:30",
    "wed": "09:00-13:00, 14:30-17:30",
    "fri": "09:00-13:00",
}


async def stored_windows(app: App, operator_id: str) -> tuple[Window, ...]:
    async with app.db.read() as tx:
        agenda = await opening.current(tx, app.settings.agenda)
    operator = agenda.operator(operator_id)
    assert operator is not None
    return operator.windows


async def test_the_file_seeds_the_hours_and_closures_once(app: App, clock: ManualClock) -> None:
    for operator in app.settings.agenda.operators:
        assert await stored_windows(app, operator.id) == operator.windows
    async with app.db.read() as tx:
        closures = await opening.closures(tx)
    assert [(c.first, c.last) for c in closures] == list(app.settings.agenda.rules.closures)
    async with app.db.write() as tx:
        assert await opening.seed(tx, app.settings.agenda, clock.now()) == []
        changed = await availability.replace_hours(
            tx, app.settings.agenda, "giulia", {"sat": "09:00-10:00"}, clock.now()
        )
    assert changed.applied
    await app.close()
    again = await build_app(app.settings, clock)  # a restart: the database stays the truth
    try:
        assert await stored_windows(again, "giulia") == (Window(5, time(9), time(10)),)
    finally:
        await again.close()


def test_each_field_says_what_is_wrong_with_it() -> None:
    windows, errors = availability.parse_week(
        {
            "mon": "9-13",
            "tue": "13:00-09:00",
            "wed": "09:00-09:30",
            "thu": "09:00-12:00, 11:00-13:00",
            "fri": " 9.00 – 13.00 ; 14:30-17:30 ",
            "sat": "25:00-26:00",
        },
        45,
    )
    assert errors == {
        "mon": FieldError(Problem.FORMAT, "9-13"),
        "tue": FieldError(Problem.ORDER, "13:00-09:00"),
        "wed": FieldError(Problem.SHORT, "09:00-09:30"),
        "thu": FieldError(Problem.OVERLAP, "11:00-13:00"),
        "sat": FieldError(Problem.FORMAT, "25:00-26:00"),
    }
    assert [w for w in windows if w.weekday == 4] == [
        Window(4, time(9), time(13)),
        Window(4, time(14, 30), time(17, 30)),
    ]
    assert availability.week_texts(windows)["fri"] == "09:00-13:00, 14:30-17:30"


async def test_new_hours_are_offered_in_the_chat_at_once(app: App, clock: ManualClock) -> None:
    chat = Chat(app.engine, "anna")
    await complete_intake(chat)
    assert "d.20261128" not in [o.id for o in chat.question.options]  # Saturday: closed
    async with app.db.write() as tx:
        changed = await availability.replace_hours(
            tx, app.settings.agenda, "giulia", {**GIULIA, "sat": "10:00-11:00"}, clock.now()
        )
    assert changed.applied
    assert changed.cancelled == []
    await chat.send("/appuntamento")
    await chat.tap("appt.book")
    await chat.tap("d.20261128")
    assert [o.id for o in chat.question.options if o.id.startswith("t.")] == ["t.1000"]


async def test_hours_that_take_away_a_booked_time_ask_first(app: App, clock: ManualClock) -> None:
    await booked_person(app, "anna")  # Tuesday 24 November 12:00, with Marco
    marco = {"thu": "09:00-13:00", "fri": "14:00-17:00"}
    async with app.db.write() as tx:
        asked = await availability.replace_hours(
            tx, app.settings.agenda, "marco", marco, clock.now()
        )
    assert not asked.applied
    assert asked.errors == {}
    [booking] = asked.affected
    assert booking.starts_at == datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
    assert (await stored_windows(app, "marco"))[0].weekday == 1  # nothing changed yet
    async with app.db.write() as tx:
        done = await availability.replace_hours(
            tx, app.settings.agenda, "marco", marco, clock.now(), confirmed=[booking.id]
        )
        cancelled = await tx.bookings.get(booking.id)
        notices = [i for i in await tx.outbox.listing(("pending",)) if i.booking_id == booking.id]
        slots = await appointments.open_slots(tx, app.settings.agenda, clock.now())
    assert done.applied
    assert [b.id for b in done.cancelled] == [booking.id]
    assert cancelled is not None
    assert cancelled.status == BookingStatus.CANCELLED
    [notice] = [i for i in notices if i.kind == OutboxKind.CLOSURE_NOTICE]
    assert notice.payload == {"reason": "hours"}
    sender = RecordingSender()
    await recording_dispatcher(app, sender).tick()
    assert "no longer opens at the time of your appointment" in sender.texts_to("anna")
    assert not [s for s in slots if s.operator_id == "marco" and s.starts_at.weekday() == 1]


async def test_a_confirmation_for_other_appointments_asks_again(
    app: App, clock: ManualClock
) -> None:
    await booked_person(app, "anna")
    async with app.db.write() as tx:
        again = await availability.replace_hours(
            tx, app.settings.agenda, "marco", {}, clock.now(), confirmed=[999]
        )
    assert not again.applied
    assert len(again.affected) == 1


async def test_a_closure_checks_its_days_and_asks_before_cancelling(
    app: App, clock: ManualClock
) -> None:
    desk = app.settings.agenda
    now = clock.now()  # Tuesday 24 November 2026
    async with app.db.write() as tx:
        bad = await availability.add_closure(tx, desk, "ieri", "2026-11-20", "x" * 81, now)
        past = await availability.add_closure(tx, desk, "2026-11-20", "", "", now)
        order = await availability.add_closure(tx, desk, "2026-12-10", "2026-12-09", "", now)
        far = await availability.add_closure(tx, desk, "2029-01-01", "", "", now)
        clash = await availability.add_closure(tx, desk, "2026-12-23", "2026-12-24", "", now)
    assert bad.errors == {
        "first_day": FieldError(Problem.DAY, "ieri"),
        "note": FieldError(Problem.NOTE, "80"),
    }
    assert past.errors == {"first_day": FieldError(Problem.PAST, "2026-11-20")}
    assert order.errors == {"last_day": FieldError(Problem.DAY_ORDER, "2026-12-09")}
    assert far.errors == {"first_day": FieldError(Problem.FAR, "2029-01-01")}
    assert clash.errors == {"first_day": FieldError(Problem.CLOSED, "2026-12-24..2026-12-24")}
    await booked_person(app, "anna")
    async with app.db.write() as tx:
        asked = await availability.add_closure(tx, desk, "2026-11-24", "", "Sciopero", now)
        [booking] = asked.affected
        done = await availability.add_closure(
            tx, desk, "2026-11-24", "", "Sciopero", now, confirmed=[booking.id]
        )
        closures = await opening.closures(tx)
    assert not asked.applied
    assert done.applied
    assert (closures[0].first, closures[0].note) == (date(2026, 11, 24), "Sciopero")
    async with app.db.write() as tx:
        assert await availability.remove_closure(tx, closures[0].id)
        assert not await availability.remove_closure(tx, closures[0].id)
        person = await tx.people.by_identity(Channel.TELEGRAM, "anna")
        assert person is not None
        assert await tx.bookings.active_for(person.id) == []


async def test_an_unknown_operator_is_a_field_problem(app: App, clock: ManualClock) -> None:
    async with app.db.write() as tx:
        changed = await availability.replace_hours(
            tx, app.settings.agenda, "nobody", {}, clock.now()
        )
    assert changed.errors == {"operator": FieldError(Problem.OPERATOR, "nobody")}
