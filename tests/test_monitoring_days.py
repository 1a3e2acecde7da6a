"""The monitoring counters count each fact on its day in Lucca, daylight saving time included:
the days come from storage/rome_days.py (zoneinfo), the triggers look them up. Around the
changes of 2026: summer time from Sunday 29 March 01:00 UTC, winter time from Sunday 25
October 01:00 UTC. (UTC + 1 hour, the rule before, put 00:00-01:00 of every summer day on the
day before.)"""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.app import App
from bot.domain import Audience, BookingStatus, Channel
from storage import rome_days
from tests.test_monitoring_figures import booking, person


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


async def counts(app: App, event: str) -> dict[str, int]:
    async with app.db.read() as tx:
        rows = await tx.monitoring._all(
            "SELECT day, SUM(count) AS n FROM monitoring_counts WHERE event = ? GROUP BY day",
            event,
        )
    return {row["day"]: int(row["n"]) for row in rows}


def test_the_days_of_the_changes_are_23_and_25_hours_long() -> None:
    days = {day: (starts, ends) for starts, ends, day, _n in rome_days.rows()}
    assert days["2026-03-29"] == ("2026-03-28T23:00:00+00:00", "2026-03-29T22:00:00+00:00")
    assert days["2026-10-25"] == ("2026-10-24T22:00:00+00:00", "2026-10-25T23:00:00+00:00")
    numbers = [n for _s, _e, _d, n in rome_days.rows()]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))  # one per day


async def test_contacts_around_both_changes_count_on_the_local_day(app: App) -> None:
    moments = {
        "a": utc(3, 28, 23, 30),  # 00:30 on the 29th, winter time
        "b": utc(3, 29, 21, 59),  # 23:59 on the 29th, summer time (a 23-hour day)
        "c": utc(3, 29, 22, 30),  # 00:30 on the 30th, summer time: was the 29th
        "d": utc(10, 24, 22, 30),  # 00:30 on the 25th, still summer time: was the 24th
        "e": utc(10, 25, 22, 59),  # 23:59 on the 25th, winter time (a 25-hour day)
        "f": utc(10, 25, 23, 0),  # 00:00 on the 26th
    }
    async with app.db.write() as tx:
        for name, when in moments.items():
            await tx.people.create(Channel.TELEGRAM, name, when, "it")
    assert await counts(app, "contact") == {
        "2026-03-29": 2,
        "2026-03-30": 1,
        "2026-10-25": 2,
        "2026-10-26": 1,
    }


async def test_appointments_and_days_to_the_first_count_on_the_local_day(app: App) -> None:
    async with app.db.write() as tx:
        # Confirmed at 00:30 on 25 October (summer time), met at 00:30 on 26 October (winter).
        anna = await person(
            tx, "anna", Channel.TELEGRAM, utc(10, 24, 22, 30), *"abcde", confirm=True
        )
        await booking(tx, anna, utc(10, 25, 23, 30), BookingStatus.ATTENDED)
        # Booked for 00:15 on 30 March (summer time): was the 29th.
        bruno = await person(tx, "bruno", Channel.TELEGRAM, utc(3, 1, 9), *"abcde", confirm=True)
        await booking(tx, bruno, utc(3, 29, 22, 15), BookingStatus.BOOKED)
    assert await counts(app, "booked") == {"2026-10-26": 1, "2026-03-30": 1}
    assert await counts(app, "attended") == {"2026-10-26": 1}
    async with app.db.read() as tx:
        rows = await tx.monitoring._all(
            "SELECT day, value FROM monitoring_counts WHERE event = 'first_appointment'"
        )
    assert [(row["day"], int(row["value"])) for row in rows] == [
        ("2026-10-26", 1)
    ]  # the 25th to the 26th, though 25 hours apart


async def test_workshops_are_in_the_month_of_their_local_day(app: App) -> None:
    async with app.db.write() as tx:
        for title, when in (("late", utc(3, 31, 22, 30)), ("early", utc(3, 31, 21, 30))):
            await tx.workshops.create(
                code=title,
                title=title,
                description="",
                starts_at=when,
                duration_minutes=60,
                place="Lucca",
                online_url=None,
                capacity=10,
                audience=Audience(),
                created_by="staff",
                now=when,
            )
    async with app.db.read() as tx:
        march = await tx.monitoring.workshops(date(2026, 3, 1), date(2026, 3, 31))
        april = await tx.monitoring.workshops(date(2026, 4, 1), date(2026, 4, 30))
    assert [w.month for w in march] == ["2026-03"]  # 23:30 on 31 March
    assert [w.month for w in april] == ["2026-04"]  # 00:30 on 1 April: was March
