"""The monitoring report's figures for a period: what the CLI (`sportello report`) and, later,
the back-office Report page call. Reads only anonymous rows; writes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.capabilities import skills_gap
from bot.content import load_sectors
from bot.i18n import Translator
from bot.monitoring.figures import Data, Table
from bot.monitoring.sections import SECTIONS
from bot.monitoring.suppression import Shown, suppress
from storage.session import Session


class PeriodError(ValueError):
    """The period asked for makes no sense (the message says why)."""


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


def period(year: int, start: date | None = None, end: date | None = None) -> tuple[date, date]:
    """The year, or the part of it between `start` and `end`."""
    if not 2000 <= year <= 2100:
        raise PeriodError(f"{year} is not a year the desk can have worked in")
    first = start or date(year, 1, 1)
    last = end or date(year, 12, 31)
    if first > last:
        raise PeriodError(f"the period starts ({first}) after it ends ({last})")
    if first.year != year or last.year != year:
        raise PeriodError(f"the period {first}..{last} is not inside {year}")
    return first, last


async def load(tx: Session, first: date, last: date) -> Data:
    return Data(
        first=first,
        last=last,
        intakes=await tx.monitoring.intakes(first, last),
        events=await tx.monitoring.events(first, last),
        workshops=await tx.monitoring.workshops(first, last),
        skills=await skills_gap.gap(tx, load_sectors()),
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
