"""Appointment slots: which times are free, given operators' hours, closures and holidays.

Pure functions, no I/O: the caller brings the operators, the rules, "now" and the taken slots.
Opening hours are written in Lucca's wall-clock time and slots are returned in UTC, so the two
daylight-saving changes a year are handled here once, not in every caller. Reading the hours
from the TOML file is bot/hours.py's job.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from holidays.countries.italy import Italy

from bot.clock import ROME

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Window:
    """One weekly opening window of an operator, in Europe/Rome wall-clock time."""

    weekday: int  # 0 = Monday ... 6 = Sunday
    start: time
    end: time


@dataclass(frozen=True)
class Operator:
    id: str
    name: str
    telegram_id: int | None
    meeting: str  # "room": a fixed personal Zoom room; "api": a meeting made through the API
    room_url: str | None
    zoom_user: str | None
    windows: tuple[Window, ...]
    email: str | None = None
    # Where the morning digest and same-day changes go: "telegram", "email" or "both".
    digest: str = "telegram"

    @property
    def first_name(self) -> str:
        words = self.name.split()
        return words[0] if words else self.name


@dataclass(frozen=True)
class BookingRules:
    slot_minutes: int = 45
    buffer_minutes: int = 15
    horizon_days: int = 14
    min_notice: timedelta = timedelta(hours=2)
    closures: tuple[tuple[date, date], ...] = ()  # inclusive ranges; one day is (d, d)
    holiday_subdivision: str = "LU"  # province code for `holidays` (Lucca: San Paolino)
    max_active_per_person: int = 1
    reminder_offsets: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=1))
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    digest_time: time = time(7, 30)
    waitlist_hold: timedelta = timedelta(hours=2)


@dataclass(frozen=True)
class Slot:
    operator_id: str
    starts_at: datetime  # aware, UTC
    ends_at: datetime  # aware, UTC


def minute_of_day(moment: time) -> int:
    return moment.hour * 60 + moment.minute


# --- closed days -------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _holidays(year: int, subdivision: str) -> frozenset[date]:
    # Building a year of holidays computes Easter and the rest; once per year is plenty.
    # The holidays package's constructors are not annotated.
    calendar = Italy(years=year, subdiv=subdivision)  # type: ignore[no-untyped-call]
    return frozenset(calendar.keys())


def is_closed(day: date, rules: BookingRules) -> bool:
    """A public holiday in the province (national ones and the patron saint) or a closure."""
    if day in _holidays(day.year, rules.holiday_subdivision):
        return True
    return any(first <= day <= last for first, last in rules.closures)


# --- slots -------------------------------------------------------------------------------------


def _aware_utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return moment.astimezone(UTC)


def _local(day: date, moment: time) -> datetime | None:
    """The wall-clock time in Rome, or None when the spring change skips it.

    fold=0 (the default) picks the first of the two 02:xx hours in autumn, so a repeated hour
    gives one slot, not two.
    """
    local = datetime.combine(day, moment, tzinfo=ROME)
    back = local.astimezone(UTC).astimezone(ROME)
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return local


def _window_slots(operator_id: str, day: date, window: Window, rules: BookingRules) -> list[Slot]:
    length = timedelta(minutes=rules.slot_minutes)
    buffer = timedelta(minutes=rules.buffer_minutes)
    step = rules.slot_minutes + rules.buffer_minutes
    # The window's end in absolute time: on a change day wall-clock arithmetic is off by an hour.
    window_end = datetime.combine(day, window.end, tzinfo=ROME).astimezone(UTC)
    slots: list[Slot] = []
    start = minute_of_day(window.start)
    while start + rules.slot_minutes <= minute_of_day(window.end):
        local = _local(day, time(start // 60, start % 60))
        start += step
        if local is None:
            continue
        starts_at = local.astimezone(UTC)
        ends_at = starts_at + length
        # Across the spring gap two wall-clock slots can be closer than a slot in real time.
        if slots and starts_at < slots[-1].ends_at + buffer:
            continue
        if ends_at <= window_end:
            slots.append(Slot(operator_id, starts_at, ends_at))
    return slots


def _local_days(start: datetime, end: datetime) -> list[date]:
    first = start.astimezone(ROME).date()
    last = end.astimezone(ROME).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def slots_between(
    operators: Sequence[Operator], rules: BookingRules, start: datetime, end: datetime
) -> list[Slot]:
    """Every slot of every operator starting in [start, end), holidays and closures removed."""
    start, end = _aware_utc(start, "start"), _aware_utc(end, "end")
    slots: list[Slot] = []
    for day in _local_days(start, end):
        if is_closed(day, rules):
            continue
        for operator in operators:
            for window in operator.windows:
                if window.weekday == day.weekday():
                    slots += _window_slots(operator.id, day, window, rules)
    return sorted(
        (s for s in slots if start <= s.starts_at < end),
        key=lambda s: (s.starts_at, s.operator_id),
    )


def free_slots(
    operators: Sequence[Operator],
    rules: BookingRules,
    now: datetime,
    taken: Collection[tuple[str, datetime]],
) -> list[Slot]:
    """Bookable slots: at least `min_notice` ahead, up to the end of the last local day."""
    now = _aware_utc(now, "now")
    last_day = now.astimezone(ROME).date() + timedelta(days=rules.horizon_days)
    # Midnight always exists in Rome (the changes happen at 02:00 and 03:00).
    end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=ROME)
    busy = {(operator_id, _aware_utc(at, "taken")) for operator_id, at in taken}
    return [
        slot
        for slot in slots_between(operators, rules, now + rules.min_notice, end)
        if (slot.operator_id, slot.starts_at) not in busy
    ]


def free_times(slots: Sequence[Slot]) -> list[datetime]:
    """The distinct start times: a person picks a time, the operator is chosen afterwards."""
    return sorted({slot.starts_at for slot in slots})


def pick_operator(candidates: Sequence[str], load: Mapping[str, int]) -> str:
    """The least busy candidate that day, so bookings spread; ties go to the lowest id."""
    if not candidates:
        raise ValueError("pick_operator needs at least one candidate")
    return min(candidates, key=lambda operator_id: (load.get(operator_id, 0), operator_id))


# --- quiet hours -------------------------------------------------------------------------------


def _in_quiet_hours(moment: time, rules: BookingRules) -> bool:
    if rules.quiet_start > rules.quiet_end:  # crosses midnight, e.g. 21:00-08:00
        return moment >= rules.quiet_start or moment < rules.quiet_end
    return rules.quiet_start <= moment < rules.quiet_end


def quiet_adjusted(due: datetime, rules: BookingRules) -> datetime:
    """A reminder due in quiet hours moves to the minute before they start, never later.

    Earlier, because a reminder moved to the morning could arrive after the appointment.
    """
    local = _aware_utc(due, "due").astimezone(ROME)
    if not _in_quiet_hours(local.time(), rules):
        return due
    evening = local.date()
    if rules.quiet_start > rules.quiet_end and local.time() < rules.quiet_end:
        evening -= timedelta(days=1)  # after midnight: quiet hours began the evening before
    # Wall-clock arithmetic, then attach the zone: "20:59" is what the person sees.
    wall = datetime.combine(evening, rules.quiet_start) - timedelta(minutes=1)
    return wall.replace(tzinfo=ROME).astimezone(UTC)
