"""The desk's agenda as configured: operators and booking rules. No I/O here.

Settings build it, and the booking capabilities, jobs, reports and flows read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import ROME
from bot.slots import BookingRules, Operator


@dataclass(frozen=True)
class Agenda:
    """The desk's operators and booking rules, as configured. `stored`: the weekly hours
    and closures are the database's (bot/capabilities/opening.py), not the file's seed."""

    rules: BookingRules
    operators: tuple[Operator, ...]
    stored: bool = False

    def operator(self, operator_id: str) -> Operator | None:
        return next((o for o in self.operators if o.id == operator_id), None)

    def operator_by_telegram(self, telegram_id: str) -> Operator | None:
        return next((o for o in self.operators if str(o.telegram_id) == telegram_id), None)


def local_day_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """Start and end (UTC-comparable) of the Europe/Rome day that contains `moment`."""
    day = moment.astimezone(ROME).date()
    start = datetime.combine(day, datetime.min.time(), tzinfo=ROME)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=ROME)
    return start, end
