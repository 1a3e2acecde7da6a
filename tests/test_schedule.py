"""Booking configuration and slots: parsing, opening hours, holidays, daylight saving, quiet hours."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from bot.clock import ROME
from bot.hours import BookingConfigError, parse_booking
from bot.slots import (
    BookingRules,
    Operator,
    Slot,
    Window,
    free_slots,
    free_times,
    is_closed,
    pick_operator,
    quiet_adjusted,
    slots_between,
)

BOOKING: dict[str, Any] = {
    "slot_minutes": 45,
    "buffer_minutes": 15,
    "horizon_days": 14,
    "min_notice_hours": 2,
    "max_active_per_person": 1,
    "closures": ["2026-12-24", "2026-12-28..2026-12-31"],
    "holiday_subdivision": "LU",
    "reminder_hours": [24, 1],
    "quiet_hours": "21:00-08:00",
    "digest_time": "07:30",
    "waitlist_hold_minutes": 120,
}

GIULIA: dict[str, Any] = {
    "id": "giulia",
    "name": "Giulia Bianchi",
    "telegram_id": 100000001,
    "meeting": "room",
    "room_url": "https://zoom.us/j/1234567890",
    "hours": {"mon": ["09:00-13:00", "14:30-17:30"], "wed": ["09:00-13:00"]},
}

MARCO: dict[str, Any] = {
    "id": "marco",
    "name": "Marco Rossi",
    "meeting": "api",
    "zoom_user": "marco.rossi@comune.lucca.it",
    "hours": {"mon": ["09:00-13:00"]},
}

RULES = BookingRules()
EVERY_DAY = tuple(Window(weekday, time(9), time(13)) for weekday in range(7))


def operator(operator_id: str = "giulia", windows: tuple[Window, ...] = EVERY_DAY) -> Operator:
    return Operator(
        operator_id, operator_id.title(), None, "room", "https://zoom.us/j/1", None, windows
    )


def rome(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ROME)


def day_slots(operators: list[Operator], day: date, rules: BookingRules = RULES) -> list[Slot]:
    start = datetime.combine(day, time(0), tzinfo=ROME)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=ROME)
    return slots_between(operators, rules, start, end)


def local_times(slots: list[Slot]) -> list[str]:
    return [f"{s.starts_at.astimezone(ROME):%a %H:%M}" for s in slots]


def problems(booking: dict[str, Any] | None = None, *operators: dict[str, Any]) -> list[str]:
    with pytest.raises(BookingConfigError) as caught:
        parse_booking(BOOKING if booking is None else booking, list(operators))
    return caught.value.problems


def with_changes(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**base, **changes}


# --- parsing -----------------------------------------------------------------------------------


def test_the_example_configuration_parses() -> None:
    rules, operators = parse_booking(BOOKING, [GIULIA, MARCO])
    assert rules == BookingRules(
        closures=(
            (date(2026, 12, 24), date(2026, 12, 24)),
            (date(2026, 12, 28), date(2026, 12, 31)),
        )
    )
    giulia, marco = operators
    assert giulia.id == "giulia"
    assert giulia.first_name == "Giulia"
    assert giulia.telegram_id == 100000001
    assert (giulia.meeting, giulia.room_url) == ("room", "https://zoom.us/j/1234567890")
    assert giulia.windows == (
        Window(0, time(9), time(13)),
        Window(0, time(14, 30), time(17, 30)),
        Window(2, time(9), time(13)),
    )
    assert (marco.meeting, marco.zoom_user, marco.telegram_id) == (
        "api",
        "marco.rossi@comune.lucca.it",
        None,
    )


def test_every_booking_setting_is_optional() -> None:
    rules, _ = parse_booking({}, [GIULIA])
    assert rules == BookingRules()


def test_other_values_are_read() -> None:
    booking = {
        "slot_minutes": 30,
        "buffer_minutes": 0,
        "min_notice_hours": 0.5,
        "reminder_hours": [1, 48, 24, 24],
        "quiet_hours": "22:30-07:00",
        "digest_time": "06:45",
        "waitlist_hold_minutes": 30,
        "closures": [date(2026, 8, 14)],  # an unquoted TOML date
    }
    rules, _ = parse_booking(booking, [GIULIA])
    assert (rules.slot_minutes, rules.buffer_minutes) == (30, 0)
    assert rules.min_notice == timedelta(minutes=30)
    assert rules.reminder_offsets == (timedelta(hours=48), timedelta(hours=24), timedelta(hours=1))
    assert (rules.quiet_start, rules.quiet_end) == (time(22, 30), time(7))
    assert rules.digest_time == time(6, 45)
    assert rules.waitlist_hold == timedelta(minutes=30)
    assert rules.closures == ((date(2026, 8, 14), date(2026, 8, 14)),)


def hours(**days: Any) -> dict[str, Any]:
    return with_changes(GIULIA, hours=days)


@pytest.mark.parametrize(
    ("giulia", "expected"),
    [
        (
            hours(mon=["9-13"]),
            "[[operator]] 'giulia' hours.mon: '9-13' should look like '09:00-13:00'",
        ),
        (hours(mon=["25:00-26:00"]), "hours.mon: '25:00-26:00' should look like '09:00-13:00'"),
        (hours(mon="09:00"), "hours.mon: '09:00' should look like '09:00-13:00'"),
        (hours(mon=9), "hours.mon: should be a list like ['09:00-13:00', '14:30-17:30']"),
        (
            hours(lun=["09:00-13:00"]),
            "hours.lun: unknown weekday; use one of mon tue wed thu fri sat sun",
        ),
        (hours(tue=["13:00-09:00"]), "hours.tue: '13:00-09:00' ends before it starts"),
        (hours(tue=["09:00-09:00"]), "hours.tue: '09:00-09:00' ends before it starts"),
        (
            hours(fri=["09:00-09:30"]),
            "hours.fri: '09:00-09:30' is shorter than one appointment (45 minutes)",
        ),
        (
            hours(mon=["09:00-13:00", "12:00-14:00"]),
            "hours.mon: '09:00-13:00' and '12:00-14:00' overlap; merge them or move one",
        ),
        (with_changes(GIULIA, hours="mon"), "'giulia' hours: should be a table"),
        (with_changes(GIULIA, room_url=None), "'giulia' room_url: meeting = 'room' needs"),
        (
            with_changes(GIULIA, room_url="http://zoom.us/j/1"),
            "room_url: meeting = 'room' needs the operator's personal Zoom room as an https link",
        ),
        (
            with_changes(GIULIA, meeting="teams"),
            "'giulia' meeting: 'teams' is not a meeting mode; use 'room'",
        ),
        (with_changes(GIULIA, meeting=None), "'giulia' meeting: 'None' is not a meeting mode"),
        (
            with_changes(GIULIA, meeting="api"),
            "'giulia' zoom_user: meeting = 'api' needs the operator's Zoom user id or e-mail",
        ),
        (
            with_changes(GIULIA, telegram_id="100000001"),
            "'giulia' telegram_id: '100000001' should be the operator's numeric Telegram user id",
        ),
        (with_changes(GIULIA, telegram_id=True), "'giulia' telegram_id: 'True' should be"),
        (
            with_changes(GIULIA, id="Giulia B"),
            "[[operator]] #1 id: 'Giulia B' should be 1 to 16 lowercase letters",
        ),
        (with_changes(GIULIA, id="a" * 17), "[[operator]] #1 id:"),
        (with_changes(GIULIA, name=""), "'giulia' name: give the operator's full name"),
        (with_changes(GIULIA, rooom_url="x"), "'giulia': unknown setting 'rooom_url'"),
    ],
)
def test_operator_problems_name_what_to_fix(giulia: dict[str, Any], expected: str) -> None:
    found = problems(None, giulia)
    assert len(found) == 1, found
    assert expected in found[0]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"slot_minutes": 0},
            "[booking] slot_minutes: '0' should be a whole number, 1 or more, e.g. 45.",
        ),
        ({"slot_minutes": "45"}, "[booking] slot_minutes: '45' should be a whole number"),
        ({"slot_minutes": True}, "[booking] slot_minutes: 'True' should be a whole number"),
        (
            {"buffer_minutes": -5},
            "[booking] buffer_minutes: '-5' should be a whole number, 0 or more",
        ),
        ({"horizon_days": 0}, "[booking] horizon_days: '0' should be a whole number, 1 or more"),
        ({"horizon_days": 1.5}, "[booking] horizon_days: '1.5' should be a whole number"),
        (
            {"min_notice_hours": -1},
            "[booking] min_notice_hours: '-1' should be a number of hours, 0 or more",
        ),
        (
            {"max_active_per_person": 0},
            "[booking] max_active_per_person: '0' should be a whole number, 1 or more",
        ),
        (
            {"waitlist_hold_minutes": 0},
            "[booking] waitlist_hold_minutes: '0' should be a whole number",
        ),
        (
            {"reminder_hours": [24, 0]},
            "[booking] reminder_hours[1]: '0' should be a number of hours, above 0",
        ),
        (
            {"closures": ["2026-13-01"]},
            "[booking] closures[0]: '2026-13-01' should be a date like '2026-12-24' or a range like '2026-12-28..2026-12-31'",
        ),
        ({"closures": ["Natale"]}, "[booking] closures[0]: 'Natale' should be a date like"),
        (
            {"closures": ["2026-12-24", "2026-12-31..2026-12-28"]},
            "[booking] closures[1]: '2026-12-31..2026-12-28' ends before it starts; write the earlier date first",
        ),
        (
            {"closures": ["2026-12-28..domani"]},
            "[booking] closures[0]: '2026-12-28..domani' should be a date",
        ),
        ({"closures": "2026-12-24"}, "[booking] closures: should be a list"),
        (
            {"holiday_subdivision": "XX"},
            "[booking] holiday_subdivision: 'XX' is not an Italian province code",
        ),
        ({"quiet_hours": "21-8"}, "[booking] quiet_hours: '21-8' should look like '21:00-08:00'"),
        ({"quiet_hours": "21:00-21:00"}, "[booking] quiet_hours: '21:00-21:00' should look like"),
        ({"digest_time": "7.30"}, "[booking] digest_time: '7.30' should look like '07:30'"),
        (
            {"slot_minute": 30},
            "[booking]: unknown setting 'slot_minute'; known ones are buffer_minutes",
        ),
    ],
)
def test_booking_problems_name_what_to_fix(changes: dict[str, Any], expected: str) -> None:
    found = problems(with_changes(BOOKING, **changes), GIULIA)
    assert len(found) == 1, found
    assert expected in found[0]


def test_no_operators_is_a_problem() -> None:
    assert problems(BOOKING) == [
        "[[operator]]: add at least one [[operator]] with id, name, meeting and "
        "[operator.hours], or nobody can book."
    ]


def test_duplicate_operator_ids_are_a_problem() -> None:
    found = problems(BOOKING, GIULIA, with_changes(MARCO, id="giulia"))
    assert found == [
        "[[operator]] 'giulia' id: used by more than one operator; give each a different id."
    ]


def test_every_problem_is_reported_at_once() -> None:
    found = problems(
        with_changes(BOOKING, slot_minutes=0, closures=["ieri"]),
        hours(mon=["9-13"]),
        with_changes(MARCO, zoom_user=""),
    )
    assert len(found) == 4
    assert found[0].startswith("[booking] slot_minutes")
    assert found[1].startswith("[booking] closures[0]")
    assert found[2].startswith("[[operator]] 'giulia' hours.mon")
    assert found[3].startswith("[[operator]] 'marco' zoom_user")
    assert str(BookingConfigError(found)) == "\n".join(found)


# --- opening hours -----------------------------------------------------------------------------


def test_a_normal_week() -> None:
    _, operators = parse_booking(BOOKING, [GIULIA])
    monday = rome(2026, 1, 12)
    slots = slots_between(operators, RULES, monday, monday + timedelta(days=7))
    assert local_times(slots) == [
        "Mon 09:00",
        "Mon 10:00",
        "Mon 11:00",
        "Mon 12:00",
        "Mon 14:30",
        "Mon 15:30",
        "Mon 16:30",
        "Wed 09:00",
        "Wed 10:00",
        "Wed 11:00",
        "Wed 12:00",
    ]
    first = slots[0]
    assert first == Slot(
        "giulia", datetime(2026, 1, 12, 8, tzinfo=UTC), datetime(2026, 1, 12, 8, 45, tzinfo=UTC)
    )
    assert all(s.starts_at.tzinfo is UTC and s.ends_at.tzinfo is UTC for s in slots)


def test_slots_are_sorted_by_time_then_operator() -> None:
    _, operators = parse_booking(BOOKING, [MARCO, GIULIA])
    slots = day_slots(list(operators), date(2026, 1, 12))
    assert [(s.starts_at, s.operator_id) for s in slots] == sorted(
        (s.starts_at, s.operator_id) for s in slots
    )
    assert [s.operator_id for s in slots[:2]] == ["giulia", "marco"]


def test_the_buffer_separates_appointments() -> None:
    rules = BookingRules(slot_minutes=30, buffer_minutes=20)
    slots = day_slots([operator()], date(2026, 1, 12), rules)
    assert local_times(slots) == ["Mon 09:00", "Mon 09:50", "Mon 10:40", "Mon 11:30", "Mon 12:20"]
    for before, after in itertools.pairwise(slots):
        assert after.starts_at - before.ends_at >= timedelta(minutes=20)


def test_an_appointment_ends_by_the_end_of_the_window() -> None:
    short = operator(windows=(Window(0, time(9), time(10, 40)),))
    assert local_times(day_slots([short], date(2026, 1, 12))) == ["Mon 09:00"]
    exact = operator(windows=(Window(0, time(9), time(10, 45)),))
    slots = day_slots([exact], date(2026, 1, 12))
    assert local_times(slots) == ["Mon 09:00", "Mon 10:00"]
    assert slots[-1].ends_at == rome(2026, 1, 12, 10, 45)


def test_the_interval_is_half_open() -> None:
    slots = slots_between([operator()], RULES, rome(2026, 1, 12, 10), rome(2026, 1, 12, 12))
    assert local_times(slots) == ["Mon 10:00", "Mon 11:00"]


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        slots_between([operator()], RULES, datetime(2026, 1, 12), rome(2026, 1, 13))


# --- closed days -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "holiday",
    [
        date(2026, 1, 1),
        date(2026, 1, 6),
        date(2026, 4, 6),  # Easter Monday
        date(2026, 4, 25),
        date(2027, 7, 12),  # San Paolino, Lucca's patron saint (a Monday in 2027)
        date(2026, 8, 15),
        date(2026, 12, 8),
        date(2026, 12, 25),
        date(2026, 12, 26),
    ],
)
def test_public_holidays_have_no_slots(holiday: date) -> None:
    assert is_closed(holiday, RULES)
    assert day_slots([operator()], holiday) == []


def test_the_patron_saint_is_the_provinces_own() -> None:
    florence = BookingRules(holiday_subdivision="FI")
    assert not is_closed(date(2027, 7, 12), florence)
    assert is_closed(date(2027, 6, 24), florence)  # San Giovanni
    assert not is_closed(date(2027, 6, 24), RULES)


def test_ordinary_days_are_open() -> None:
    assert not is_closed(date(2026, 4, 7), RULES)
    assert not is_closed(date(2027, 7, 13), RULES)
    assert len(day_slots([operator()], date(2027, 7, 13))) == 4


def test_closures_are_inclusive_ranges() -> None:
    rules, _ = parse_booking(BOOKING, [GIULIA])
    closed = {date(2026, 12, 24), *(date(2026, 12, d) for d in range(28, 32))}
    for number in range(22, 32):
        day = date(2026, 12, number)
        expected_closed = day in closed or day in (date(2026, 12, 25), date(2026, 12, 26))
        assert is_closed(day, rules) == expected_closed, day
        assert (day_slots([operator()], day, rules) == []) == expected_closed, day


# --- daylight saving ---------------------------------------------------------------------------

NIGHT_OWL = operator("gufo", windows=(Window(6, time(1, 30), time(4, 30)),))


def assert_real_instants(slots: list[Slot]) -> None:
    starts = [s.starts_at for s in slots]
    assert len(set(starts)) == len(starts)
    for slot in slots:
        assert slot.ends_at - slot.starts_at == timedelta(minutes=45)
        local = slot.starts_at.astimezone(ROME)
        # The wall-clock time is on the window's grid and, when repeated, its first occurrence.
        assert local.replace(fold=0).astimezone(UTC) == slot.starts_at
        assert local.time() in (time(1, 30), time(2, 30), time(3, 30))
    for before, after in itertools.pairwise(slots):
        assert after.starts_at >= before.ends_at + timedelta(minutes=15)


def test_the_spring_gap_is_skipped() -> None:
    # 2026-03-29: at 02:00 the clocks jump to 03:00, so 02:30 does not exist.
    slots = day_slots([NIGHT_OWL], date(2026, 3, 29))
    assert_real_instants(slots)
    assert [s.starts_at for s in slots] == [
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # 01:30 CET
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # 03:30 CEST
    ]


def test_the_repeated_autumn_hour_gives_one_slot() -> None:
    # 2026-10-25: at 03:00 the clocks go back to 02:00, so 02:30 happens twice.
    slots = day_slots([NIGHT_OWL], date(2026, 10, 25))
    assert_real_instants(slots)
    assert [s.starts_at for s in slots] == [
        datetime(2026, 10, 24, 23, 30, tzinfo=UTC),  # 01:30 CEST
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # the first 02:30 (CEST)
        datetime(2026, 10, 25, 2, 30, tzinfo=UTC),  # 03:30 CET
    ]


def test_slots_never_overlap_across_the_spring_gap() -> None:
    rules = BookingRules(slot_minutes=45, buffer_minutes=0)
    owl = operator("gufo", windows=(Window(6, time(1), time(5)),))
    slots = day_slots([owl], date(2026, 3, 29), rules)
    for before, after in itertools.pairwise(slots):
        assert after.starts_at >= before.ends_at
    assert [f"{s.starts_at.astimezone(ROME):%H:%M}" for s in slots] == ["01:00", "01:45", "04:00"]


def test_the_day_after_a_change_uses_the_new_offset() -> None:
    _, operators = parse_booking(BOOKING, [GIULIA])
    spring = day_slots(list(operators), date(2026, 3, 30))
    autumn = day_slots(list(operators), date(2026, 10, 26))
    assert spring[0].starts_at == datetime(2026, 3, 30, 7, tzinfo=UTC)
    assert autumn[0].starts_at == datetime(2026, 10, 26, 8, tzinfo=UTC)


# --- free slots --------------------------------------------------------------------------------

TUESDAY_MORNING = rome(2026, 1, 13, 9)


def test_free_slots_start_after_the_minimum_notice() -> None:
    slots = free_slots([operator()], RULES, TUESDAY_MORNING, taken=())
    assert slots[0].starts_at == rome(2026, 1, 13, 11)  # exactly two hours: still bookable
    late = free_slots([operator()], RULES, TUESDAY_MORNING + timedelta(minutes=1), taken=())
    assert late[0].starts_at == rome(2026, 1, 13, 12)


def test_free_slots_reach_the_end_of_the_last_day() -> None:
    slots = free_slots([operator()], RULES, TUESDAY_MORNING, taken=())
    days = sorted({s.starts_at.astimezone(ROME).date() for s in slots})
    assert days[-1] == date(2026, 1, 27)  # today + 14 days, included
    assert slots[-1].starts_at == rome(2026, 1, 27, 12)
    assert date(2026, 1, 28) not in days


def test_today_is_the_local_day() -> None:
    # 00:30 in Lucca on Wednesday is still Tuesday in UTC.
    now = rome(2026, 1, 14, 0, 30)
    slots = free_slots([operator()], RULES, now, taken=())
    assert max(s.starts_at.astimezone(ROME).date() for s in slots) == date(2026, 1, 28)


def test_taken_slots_are_not_free() -> None:
    giulia, marco = operator("giulia"), operator("marco")
    taken = {("giulia", rome(2026, 1, 13, 11)), ("marco", rome(2026, 1, 13, 12))}
    slots = free_slots([giulia, marco], RULES, TUESDAY_MORNING, taken=taken)
    first_three = [(s.operator_id, f"{s.starts_at.astimezone(ROME):%H:%M}") for s in slots[:3]]
    assert first_three == [("marco", "11:00"), ("giulia", "12:00"), ("giulia", "09:00")]


def test_free_times_count_each_time_once() -> None:
    giulia, marco = operator("giulia"), operator("marco")
    taken = [("giulia", datetime(2026, 1, 13, 10, tzinfo=UTC))]
    slots = free_slots([giulia, marco], RULES, TUESDAY_MORNING, taken=taken)
    times = free_times(slots)
    assert times[:2] == [rome(2026, 1, 13, 11), rome(2026, 1, 13, 12)]
    assert len(times) == len(set(times)) == len(free_slots([giulia], RULES, TUESDAY_MORNING, ()))
    assert times == sorted(times)


def test_pick_operator_spreads_the_bookings() -> None:
    assert pick_operator(["marco", "giulia"], {"giulia": 3, "marco": 1}) == "marco"
    assert pick_operator(["marco", "giulia"], {"giulia": 2, "marco": 2}) == "giulia"
    assert pick_operator(["marco", "giulia", "anna"], {"giulia": 1, "marco": 1}) == "anna"
    with pytest.raises(ValueError, match="candidate"):
        pick_operator([], {})


# --- quiet hours -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (rome(2026, 1, 13, 23, 10), rome(2026, 1, 13, 20, 59)),
        (rome(2026, 1, 14, 6, 30), rome(2026, 1, 13, 20, 59)),
        (rome(2026, 1, 14, 0, 0), rome(2026, 1, 13, 20, 59)),
        (rome(2026, 1, 14, 7, 59), rome(2026, 1, 13, 20, 59)),
        (rome(2026, 1, 13, 21, 0), rome(2026, 1, 13, 20, 59)),
        (rome(2026, 1, 13, 20, 59), rome(2026, 1, 13, 20, 59)),
        (rome(2026, 1, 13, 12, 0), rome(2026, 1, 13, 12, 0)),
        (rome(2026, 1, 14, 8, 0), rome(2026, 1, 14, 8, 0)),
        # The night the clocks go forward: the evening before is still in winter time.
        (rome(2026, 3, 29, 6, 30), rome(2026, 3, 28, 20, 59)),
    ],
)
def test_quiet_hours_move_reminders_earlier(due: datetime, expected: datetime) -> None:
    moved = quiet_adjusted(due.astimezone(UTC), RULES)
    assert moved == expected
    assert f"{moved.astimezone(ROME):%H:%M}" == f"{expected:%H:%M}"


def test_quiet_hours_never_move_a_reminder_later() -> None:
    start = rome(2026, 1, 13, 0)
    for minute in range(0, 48 * 60, 7):
        due = start + timedelta(minutes=minute)
        moved = quiet_adjusted(due, RULES)
        local = moved.astimezone(ROME).time()
        assert moved <= due
        assert time(8) <= local < time(21)


def test_quiet_hours_within_one_day() -> None:
    siesta = BookingRules(quiet_start=time(13), quiet_end=time(15))
    assert quiet_adjusted(rome(2026, 1, 13, 14), siesta) == rome(2026, 1, 13, 12, 59)
    assert quiet_adjusted(rome(2026, 1, 13, 15), siesta) == rome(2026, 1, 13, 15)
    assert quiet_adjusted(rome(2026, 1, 13, 23), siesta) == rome(2026, 1, 13, 23)
