"""The desk's calendar days, for the monitoring counters (migration 0016).

The triggers that keep `monitoring_counts` count each fact on the day it happened in Lucca.
SQL has no portable way to turn a UTC time into a Europe/Rome date (and SQLite knows no time
zones at all), so the days are computed here, with zoneinfo, daylight saving time included,
and stored as rows: a day, its number, and the UTC instants it starts and ends at, in the same
ISO text as every stored time. A trigger finds a time's day by comparing text.
"""

from __future__ import annotations

import functools
import sqlite3
from datetime import UTC, date, datetime, time, timedelta

from bot.clock import ROME

# The desk opened in 2026; facts outside fall back to their UTC date (extend LAST in time:
# a fresh database fills the table at its first start, ~10,000 rows, a few hundredths of a s).
FIRST = date(2024, 1, 1)
LAST = date(2050, 12, 31)
EPOCH = date(2000, 1, 1)  # day numbers count from here


def _midnight(day: date) -> str:
    return datetime.combine(day, time(0), ROME).astimezone(UTC).isoformat()


@functools.cache
def rows(first: date = FIRST, last: date = LAST) -> tuple[tuple[str, str, str, int], ...]:
    """(starts_at, ends_at, day, number) for every day from `first` to `last`."""
    days = []
    day = first
    while day <= last:
        following = day + timedelta(days=1)
        days.append((_midnight(day), _midnight(following), day.isoformat(), (day - EPOCH).days))
        day = following
    return tuple(days)


def ensure(conn: sqlite3.Connection) -> None:
    """Fills the table once (at the first start after the migration); then a count says so."""
    expected = (LAST - FIRST).days + 1
    (present,) = conn.execute("SELECT COUNT(*) FROM rome_days").fetchone()
    if present == expected:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "INSERT INTO rome_days (starts_at, ends_at, day, number) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (starts_at) DO NOTHING",
            rows(),
        )
    except BaseException:
        conn.rollback()
        raise
    conn.commit()
