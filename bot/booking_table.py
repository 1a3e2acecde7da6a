"""The [booking] table of the TOML file read into BookingRules and checked, each problem
naming the key to fix; with the readers of time ranges and unknown keys that
bot.hours uses for the [[operator]] tables too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from holidays.countries.italy import Italy

from bot.slots import BookingRules

T = TypeVar("T")

CLOCK_TIME = re.compile(r"^(\d{2}):(\d{2})$")
TIME_RANGE = re.compile(r"^(\d{2}:\d{2})-(\d{2}:\d{2})$")
BOOKING_KEYS = frozenset(
    {
        "slot_minutes",
        "buffer_minutes",
        "horizon_days",
        "min_notice_hours",
        "max_active_per_person",
        "closures",
        "holiday_subdivision",
        "reminder_hours",
        "quiet_hours",
        "digest_time",
        "waitlist_hold_minutes",
    }
)


def _clock_time(value: object) -> time | None:
    # TOML can also hold a bare local time (07:30:00); accept it as written.
    if isinstance(value, time):
        return value
    match = CLOCK_TIME.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    hour, minute = int(match[1]), int(match[2])
    return time(hour, minute) if hour < 24 and minute < 60 else None


def time_range(value: object) -> tuple[time, time] | None:
    match = TIME_RANGE.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    start, end = _clock_time(match[1]), _clock_time(match[2])
    return None if start is None or end is None else (start, end)


def _whole_number(
    path: str, value: object, problems: list[str], *, minimum: int, example: int
) -> int:
    # bool is an int in Python; `true` in a number setting is a mistake, not 1.
    if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
        return value
    above = "0 or more" if minimum == 0 else f"{minimum} or more"
    problems.append(f"{path}: '{value}' should be a whole number, {above}, e.g. {example}.")
    return example


def _hours(path: str, value: object, problems: list[str], *, minimum: float) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= minimum:
        return float(value)
    wanted = "0 or more" if minimum == 0 else "above 0"
    problems.append(f"{path}: '{value}' should be a number of hours, {wanted}, e.g. 2.")
    return 1.0


def _day(value: object) -> date | None:
    # An unquoted TOML date arrives as a date already; a string is parsed the same way.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _closure(path: str, value: object, problems: list[str]) -> tuple[date, date] | None:
    if isinstance(value, str) and ".." in value:
        first_text, _, last_text = value.partition("..")
        first, last = _day(first_text), _day(last_text)
    else:
        first = last = _day(value)
    if first is None or last is None:
        problems.append(
            f"{path}: '{value}' should be a date like '2026-12-24' "
            "or a range like '2026-12-28..2026-12-31'."
        )
        return None
    if last < first:
        problems.append(f"{path}: '{value}' ends before it starts; write the earlier date first.")
        return None
    return first, last


def _closures(value: object, problems: list[str]) -> tuple[tuple[date, date], ...]:
    if not isinstance(value, list):
        problems.append(
            "[booking] closures: should be a list, e.g. ['2026-12-24', '2026-12-28..2026-12-31']."
        )
        return ()
    ranges = [_closure(f"[booking] closures[{i}]", item, problems) for i, item in enumerate(value)]
    return tuple(sorted(r for r in ranges if r is not None))


def _subdivision(value: object, problems: list[str]) -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    if code not in Italy.subdivisions:
        problems.append(
            f"[booking] holiday_subdivision: '{value}' is not an Italian province code "
            "known to the holidays library; use the two-letter code, e.g. 'LU' for Lucca."
        )
        return "LU"
    return code


def _reminders(value: object, problems: list[str]) -> tuple[timedelta, ...]:
    items = value if isinstance(value, list) else [value]
    hours = [
        _hours(f"[booking] reminder_hours[{i}]", h, problems, minimum=0.01)
        for i, h in enumerate(items)
    ]
    # The earliest reminder first, each only once: two equal offsets would send twice.
    return tuple(sorted({timedelta(hours=h) for h in hours}, reverse=True))


def _quiet_hours(value: object, problems: list[str]) -> tuple[time, time]:
    window = time_range(value)
    if window is None or window[0] == window[1]:
        problems.append(
            f"[booking] quiet_hours: '{value}' should look like '21:00-08:00' "
            "(no messages from the first time to the second)."
        )
        return BookingRules.quiet_start, BookingRules.quiet_end
    return window


def _digest_time(value: object, problems: list[str]) -> time:
    moment = _clock_time(value)
    if moment is None:
        problems.append(f"[booking] digest_time: '{value}' should look like '07:30'.")
        return BookingRules.digest_time
    return moment


def unknown_keys(path: str, table: Mapping[str, Any], known: frozenset[str]) -> list[str]:
    # A misspelt key would otherwise be silently replaced by its default.
    return [
        f"{path}: unknown setting '{key}'; known ones are {', '.join(sorted(known))}."
        for key in table
        if key not in known
    ]


def _optional(
    table: Mapping[str, Any],
    key: str,
    parse: Callable[[object, list[str]], T],
    default: T,
    problems: list[str],
) -> T:
    return parse(table[key], problems) if key in table else default


def booking_rules(table: Mapping[str, Any], problems: list[str]) -> BookingRules:
    problems.extend(unknown_keys("[booking]", table, BOOKING_KEYS))
    default = BookingRules()

    def whole(key: str, fallback: int, minimum: int = 1) -> int:
        value = table.get(key, fallback)
        return _whole_number(f"[booking] {key}", value, problems, minimum=minimum, example=fallback)

    notice = _hours(
        "[booking] min_notice_hours", table.get("min_notice_hours", 2), problems, minimum=0
    )
    quiet_start, quiet_end = _optional(
        table, "quiet_hours", _quiet_hours, (default.quiet_start, default.quiet_end), problems
    )
    return BookingRules(
        slot_minutes=whole("slot_minutes", default.slot_minutes),
        buffer_minutes=whole("buffer_minutes", default.buffer_minutes, minimum=0),
        horizon_days=whole("horizon_days", default.horizon_days),
        min_notice=timedelta(hours=notice),
        closures=_optional(table, "closures", _closures, (), problems),
        holiday_subdivision=_optional(
            table, "holiday_subdivision", _subdivision, default.holiday_subdivision, problems
        ),
        max_active_per_person=whole("max_active_per_person", default.max_active_per_person),
        reminder_offsets=_optional(
            table, "reminder_hours", _reminders, default.reminder_offsets, problems
        ),
        quiet_start=quiet_start,
        quiet_end=quiet_end,
        digest_time=_optional(table, "digest_time", _digest_time, default.digest_time, problems),
        waitlist_hold=timedelta(minutes=whole("waitlist_hold_minutes", 120)),
    )
