"""Changing when the desk is open: an operator's weekly hours, the closures.

The administrator edits them in the back-office; the slots the chat offers come from the
stored values (bot/capabilities/opening.py), so a change counts from the next question on.
A change that takes away times already booked is not made until the caller confirms the
appointments it would cancel (`confirmed`: the ids shown to the administrator); then those
are cancelled and their people told and offered new times, as a closure does.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from bot.agenda import Agenda
from bot.capabilities import appointments, opening
from bot.clock import ROME
from bot.domain import ACTIVE_STATUSES, Booking
from bot.slots import WEEKDAYS, Window, minute_of_day
from storage.availability_repos import Closure
from storage.session import Session

RANGE = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*[-–]\s*(\d{1,2})[:.](\d{2})\s*$")
NOTE_MAX = 80
FAR_AHEAD = timedelta(days=2 * 366)  # a closure further ahead is most likely a typo
LOOK_AHEAD = timedelta(days=400)  # booked times checked against a change


class Problem(StrEnum):
    """What is wrong with one field; the page says it in the reader's language."""

    FORMAT = "format"  # not like 09:00-13:00
    ORDER = "order"  # ends before it starts
    SHORT = "short"  # shorter than one appointment
    OVERLAP = "overlap"  # two ranges of the same day overlap
    DAY = "day"  # not a date
    DAY_ORDER = "day_order"  # the last day is before the first
    PAST = "past"  # a closure that starts before today
    FAR = "far"  # more than two years ahead
    CLOSED = "closed"  # overlaps a closure already there
    NOTE = "note"  # the note is too long
    OPERATOR = "operator"  # no such operator


@dataclass(frozen=True)
class FieldError:
    problem: Problem
    text: str = ""  # the part of the field at fault, as written


@dataclass(frozen=True)
class Change:
    """The outcome of a change. Not applied: either `errors` (by field), or `affected`, the
    appointments it would cancel, to confirm first."""

    applied: bool
    errors: dict[str, FieldError] = field(default_factory=dict)
    affected: list[Booking] = field(default_factory=list)
    cancelled: list[Booking] = field(default_factory=list)


def parse_week(
    texts: Mapping[str, str], slot_minutes: int
) -> tuple[list[Window], dict[str, FieldError]]:
    """One field per weekday ("mon" ... "sun"): ranges like "09:00-13:00, 14:30-17:30", or
    empty for a day off. The windows, and the problems by field."""
    windows: list[Window] = []
    errors: dict[str, FieldError] = {}
    for weekday, key in enumerate(WEEKDAYS):
        day: list[Window] = []
        for part in (p for p in re.split(r"[,;]", texts.get(key, "")) if p.strip()):
            window, problem = _window(weekday, part, slot_minutes)
            if problem is not None:
                errors.setdefault(key, FieldError(problem, part.strip()))
            elif window is not None:
                day.append(window)
        day.sort(key=lambda w: w.start)
        for before, after in itertools.pairwise(day):
            if after.start < before.end:
                errors.setdefault(key, FieldError(Problem.OVERLAP, range_text(after)))
        windows += day
    return windows, errors


def _window(weekday: int, text: str, slot_minutes: int) -> tuple[Window | None, Problem | None]:
    match = RANGE.match(text)
    if match is None:
        return None, Problem.FORMAT
    hours = [int(match[i]) for i in range(1, 5)]
    if hours[0] > 23 or hours[2] > 23 or hours[1] > 59 or hours[3] > 59:
        return None, Problem.FORMAT
    start, end = time(hours[0], hours[1]), time(hours[2], hours[3])
    if end <= start:
        return None, Problem.ORDER
    if minute_of_day(end) - minute_of_day(start) < slot_minutes:
        return None, Problem.SHORT
    return Window(weekday, start, end), None


def range_text(window: Window) -> str:
    return f"{window.start:%H:%M}-{window.end:%H:%M}"


def week_texts(windows: Collection[Window]) -> dict[str, str]:
    """The form's fields for these windows."""
    return {
        key: ", ".join(
            range_text(w) for w in sorted(windows, key=lambda w: w.start) if w.weekday == n
        )
        for n, key in enumerate(WEEKDAYS)
    }


def _within(booking: Booking, windows: Collection[Window]) -> bool:
    start, end = booking.starts_at.astimezone(ROME), booking.ends_at.astimezone(ROME)
    return any(
        w.weekday == start.weekday() and w.start <= start.time() and end.time() <= w.end
        for w in windows
        if start.date() == end.date()
    )


async def _upcoming(tx: Session, now: datetime, operator_id: str | None = None) -> list[Booking]:
    found = await tx.bookings.between(now, now + LOOK_AHEAD, ACTIVE_STATUSES)
    return [b for b in found if operator_id is None or b.operator_id == operator_id]


def _needs_confirmation(affected: list[Booking], confirmed: Collection[int] | None) -> bool:
    # Confirmed for other appointments than those now affected (someone booked meanwhile):
    # ask again, with the list as it is now.
    return bool(affected) and not {b.id for b in affected} <= set(confirmed or ())


async def replace_hours(
    tx: Session,
    desk: Agenda,
    operator_id: str,
    texts: Mapping[str, str],
    now: datetime,
    *,
    confirmed: Collection[int] | None = None,
) -> Change:
    """An operator's weekly hours, all seven days at once."""
    if desk.operator(operator_id) is None:
        return Change(False, {"operator": FieldError(Problem.OPERATOR, operator_id)})
    windows, errors = parse_week(texts, desk.rules.slot_minutes)
    if errors:
        return Change(False, errors)
    affected = [b for b in await _upcoming(tx, now, operator_id) if not _within(b, windows)]
    if _needs_confirmation(affected, confirmed):
        return Change(False, affected=affected)
    await tx.availability.replace_hours(operator_id, windows, now)
    cancelled = await appointments.cancel_unavailable(tx, desk, affected, now, hours=True)
    return Change(True, cancelled=cancelled)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def parse_closure(
    first_text: str, last_text: str, note: str, today: date, existing: Collection[Closure]
) -> tuple[tuple[date, date] | None, dict[str, FieldError]]:
    """A closure from the form: the first day, the last (empty: the same day), a note."""
    errors: dict[str, FieldError] = {}
    first = _day(first_text)
    last = _day(last_text) if last_text.strip() else first
    if first is None:
        errors["first_day"] = FieldError(Problem.DAY, first_text.strip())
    elif first < today:
        errors["first_day"] = FieldError(Problem.PAST, first_text.strip())
    elif first > today + FAR_AHEAD:
        errors["first_day"] = FieldError(Problem.FAR, first_text.strip())
    if last is None:
        errors["last_day"] = FieldError(Problem.DAY, last_text.strip())
    elif first is not None and last < first:
        errors["last_day"] = FieldError(Problem.DAY_ORDER, last_text.strip())
    elif last > today + FAR_AHEAD and last_text.strip():
        errors["last_day"] = FieldError(Problem.FAR, last_text.strip())
    if len(note.strip()) > NOTE_MAX:
        errors["note"] = FieldError(Problem.NOTE, str(NOTE_MAX))
    if errors or first is None or last is None:
        return None, errors
    clash = next((c for c in existing if c.first <= last and first <= c.last), None)
    if clash is not None:
        errors["first_day"] = FieldError(Problem.CLOSED, f"{clash.first}..{clash.last}")
        return None, errors
    return (first, last), errors


async def add_closure(
    tx: Session,
    desk: Agenda,
    first_text: str,
    last_text: str,
    note: str,
    now: datetime,
    *,
    confirmed: Collection[int] | None = None,
) -> Change:
    """Close the desk from the first day to the last, inclusive."""
    today = now.astimezone(ROME).date()
    days, errors = parse_closure(first_text, last_text, note, today, await opening.closures(tx))
    if days is None:
        return Change(False, errors)
    first, last = days
    affected = [
        b for b in await _upcoming(tx, now) if first <= b.starts_at.astimezone(ROME).date() <= last
    ]
    if _needs_confirmation(affected, confirmed):
        return Change(False, affected=affected)
    await tx.availability.add_closure(first, last, note.strip(), now)
    cancelled = await appointments.cancel_unavailable(tx, desk, affected, now)
    return Change(True, cancelled=cancelled)


async def remove_closure(tx: Session, closure_id: int) -> bool:
    """The desk opens again on those days (nothing to ask: no appointment is lost)."""
    return await tx.availability.remove_closure(closure_id)
