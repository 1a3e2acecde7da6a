"""Housekeeping jobs, run at chosen moments with the manual clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta

from bot.app import App
from bot.clock import ROME, ManualClock
from bot.domain import BookingStatus, Channel
from bot.slots import Window
from scheduling import jobs
from tests.booking_helpers import booked_person
from tests.chat import Chat


async def test_old_event_keys_are_forgotten(app: App, chat: Chat, clock: ManualClock) -> None:
    await chat.send("/start")
    clock.advance(timedelta(days=8))
    assert await jobs.forget_old_events(app.db, clock) == 1
    assert await jobs.forget_old_events(app.db, clock) == 0


async def test_inactive_profiles_are_erased_after_the_retention(
    app: App, clock: ManualClock
) -> None:
    old, recent = Chat(app.engine, "old"), Chat(app.engine, "recent")
    await old.send("/start")
    await old.tap("notice.accept")
    await old.send("Ottavio")
    clock.advance(timedelta(days=300))
    await recent.send("/start")
    clock.advance(timedelta(days=70))
    assert await jobs.erase_inactive_people(app.db, clock, app.settings) == 1
    async with app.db.read() as tx:
        assert await tx.people.by_identity(Channel.TELEGRAM, "old") is None
        assert await tx.people.by_identity(Channel.TELEGRAM, "recent") is not None


# Marco works on Tuesdays 09:00-13:00 and 14:30-17:30; the digest time is 07:30 and the
# quiet hours 21:00-08:00 (config/example.toml). 24 November 2026 is a Tuesday.
def tuesday(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 24, hour, minute, tzinfo=ROME)


async def digests_planned_at(app: App, clock: ManualClock, moment: datetime) -> int:
    clock.set(moment)
    return await jobs.plan_digests(app.db, clock, app.settings.agenda)


async def test_the_digest_goes_at_its_time_even_inside_quiet_hours(
    app: App, clock: ManualClock
) -> None:
    assert await digests_planned_at(app, clock, tuesday(7, 29)) == 0
    assert await digests_planned_at(app, clock, tuesday(7, 31)) == 1  # the desk chose 07:30


async def test_a_late_morning_catch_up_waits_for_the_quiet_hours_to_end(
    app: App, clock: ManualClock
) -> None:
    assert await digests_planned_at(app, clock, tuesday(7, 50)) == 0  # late, and quiet
    assert await digests_planned_at(app, clock, tuesday(8, 0)) == 1
    assert await digests_planned_at(app, clock, tuesday(8, 1)) == 0  # once a day


async def test_a_catch_up_during_the_day_lasts_until_the_operator_stops_working(
    app: App, clock: ManualClock
) -> None:
    assert await digests_planned_at(app, clock, tuesday(15, 0)) == 1
    async with app.db.read() as tx:
        (item,) = [i for i in await tx.outbox.listing(("pending",)) if i.kind == "digest"]
    assert item.not_after == tuesday(17, 30)


async def test_no_digest_for_a_day_that_is_over(app: App, clock: ManualClock) -> None:
    assert await digests_planned_at(app, clock, tuesday(18, 0)) == 0  # after the last window
    assert await digests_planned_at(app, clock, tuesday(22, 30)) == 0  # and in quiet hours
    # Wednesday's list is Giulia's, at its own time; nothing of Tuesday is carried over.
    wednesday = datetime(2026, 11, 25, 7, 30, tzinfo=ROME)
    assert await digests_planned_at(app, clock, wednesday) == 1
    async with app.db.read() as tx:
        digests = [i for i in await tx.outbox.listing(("pending",)) if i.kind == "digest"]
    assert [(i.operator_id, i.payload) for i in digests] == [("giulia", {"day": "2026-11-25"})]


def test_the_deadline_is_the_evening_quiet_hours_for_a_late_operator(app: App) -> None:
    late = replace(app.settings.agenda.operators[1], windows=(Window(1, time(18), time(23)),))
    assert jobs.digest_deadline(late, tuesday(12), app.settings.agenda.rules) == tuesday(21)
    assert (
        jobs.digest_deadline(late, tuesday(12) + timedelta(days=1), app.settings.agenda.rules)
        is None
    )


ANY_STATUS = tuple(BookingStatus)


async def test_appointment_records_are_kept_24_months_also_after_erasure(
    app: App, clock: ManualClock
) -> None:
    chat = await booked_person(app, "anna")
    clock.advance(timedelta(days=1))
    await chat.send("/cancella")
    await chat.tap("erase.yes")  # the record stays, without the person
    clock.advance(timedelta(days=700))
    assert await jobs.forget_old_bookings(app.db, clock) == 0
    async with app.db.read() as tx:
        assert await tx.bookings.between(tuesday(0), tuesday(23), ANY_STATUS) != []
    clock.advance(timedelta(days=31))
    assert await jobs.forget_old_bookings(app.db, clock) == 1
    async with app.db.read() as tx:
        assert await tx.bookings.between(tuesday(0), tuesday(23), ANY_STATUS) == []
