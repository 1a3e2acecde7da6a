"""The one source of "now". Everything takes a Clock so tests can move time by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

ROME = ZoneInfo("Europe/Rome")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(UTC)


DAY_PATTERNS = ("%Y-%m-%d", "%d/%m/%Y")


def read_day(text: str) -> date | None:
    """A day typed by someone (a command's argument, a form's field): year-month-day or
    day/month/year; None when it is not a day of the calendar."""
    for pattern in DAY_PATTERNS:
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None
