"""The monitoring report's figures for a period, and the one check of a period: what the CLI
(`sportello report`) and the back-office's Report and Aggregates pages call. Reads only
anonymous rows; writes nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from bot.capabilities import skills_gap
from bot.clock import ROME, read_day
from bot.content import load_sectors
from bot.i18n import N_, Translator
from bot.monitoring.figures import Data, Table
from bot.monitoring.sections import SECTIONS
from bot.monitoring.suppression import Shown, suppress
from storage.session import Session

FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class PeriodProblem:
    """Why a period is refused: the form field it concerns ("year", "start", "end") and a message
    id with its values, so the command line and the back-office's form say the same thing."""

    name: str
    message: str
    values: dict[str, str] = field(default_factory=dict)

    def text(self, tr: Translator) -> str:
        return tr.tr(self.message, **self.values)


class PeriodError(ValueError):
    """The period asked for makes no sense (the problem says why)."""

    def __init__(self, problem: PeriodProblem) -> None:
        super().__init__(problem.message % problem.values if problem.values else problem.message)
        self.problem = problem


def period_problems(year: int, start: date | None, end: date | None) -> list[PeriodProblem]:
    """Everything wrong with a period of `year` (empty when it is fine)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        message = N_("%(year)s is not a year the desk can have worked in.")
        return [PeriodProblem("year", message, {"year": str(year)})]
    problems = [
        PeriodProblem(name, N_("%(day)s is not in %(year)s."), {"day": str(day), "year": str(year)})
        for name, day in (("start", start), ("end", end))
        if day is not None and day.year != year
    ]
    first, last = start or date(year, 1, 1), end or date(year, 12, 31)
    if not problems and first > last:
        message = N_("The period ends (%(last)s) before it starts (%(first)s).")
        problems.append(PeriodProblem("end", message, {"first": str(first), "last": str(last)}))
    return problems


def period(year: int, start: date | None = None, end: date | None = None) -> tuple[date, date]:
    """The year, or the part of it between `start` and `end`."""
    problems = period_problems(year, start, end)
    if problems:
        raise PeriodError(problems[0])
    return start or date(year, 1, 1), end or date(year, 12, 31)


def read_period(
    year: str, start: str = "", end: str = ""
) -> tuple[date, date] | list[PeriodProblem]:
    """A period typed into a form (empty days: the whole year), or every problem with it."""
    problems: list[PeriodProblem] = []
    # Four ASCII digits: int() would take "²" or a 5,000-digit string badly (ValueError).
    number = int(year.strip()) if re.fullmatch(r"[0-9]{4}", year.strip()) else None
    if number is None:
        problems.append(PeriodProblem("year", N_("Write the year with four digits, like 2026.")))
    days: dict[str, date | None] = {}
    for name, text in (("start", start), ("end", end)):
        days[name] = read_day(text) if text.strip() else None
        if text.strip() and days[name] is None:
            message = N_("Write a day of the calendar, like 2026-12-09 or 09/12/2026.")
            problems.append(PeriodProblem(name, message))
    if problems or number is None:
        return problems
    return period_problems(number, days["start"], days["end"]) or period(
        number, days["start"], days["end"]
    )


@dataclass(frozen=True)
class BuiltSection:
    key: str
    title: str  # translated
    text: str
    tables: list[tuple[Table, Shown]]  # each table with its cells as published


@dataclass(frozen=True)
class MonitoringReport:
    comune: str
    first: date
    last: date
    language: str
    sections: list[BuiltSection]


async def load(tx: Session, first: date, last: date) -> Data:
    # The period's days in Rome, as the UTC timestamps profiles are stored with.
    since, until = (
        datetime.combine(day, time(), ROME).astimezone(UTC).isoformat()
        for day in (first, last + timedelta(days=1))
    )
    return Data(
        first=first,
        last=last,
        intakes=await tx.monitoring.intakes(first, last),
        events=await tx.monitoring.events(first, last),
        workshops=await tx.monitoring.workshops(first, last),
        skills=await skills_gap.gap(tx, load_sectors()),
        companies=await tx.monitoring.companies(first, last, since, until),
    )


def build(data: Data, tr: Translator, comune: str) -> MonitoringReport:
    sections = [
        BuiltSection(
            key=s.key,
            title=tr.tr(s.title),
            text=tr.tr(s.text),
            tables=[(t, suppress(t)) for t in s.tables(tr, data)],
        )
        for s in SECTIONS
    ]
    return MonitoringReport(comune, data.first, data.last, tr.language, sections)


async def build_figures(
    tx: Session, first: date, last: date, tr: Translator, comune: str
) -> MonitoringReport:
    return build(await load(tx, first, last), tr, comune)
