"""The Aggregates page, the viewer's (the Comune's) view of the desk: the headline figures of
the current year so far, from the monitoring report's tables with the same suppression, as
tables and as CSV/XLSX files. No person, no list of people: counts only."""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from starlette.responses import Response

from bot.backoffice.desk_auth import DeskRequest
from bot.backoffice.desk_export import Listing
from bot.backoffice.desk_pages import export_listing
from bot.capabilities import monitoring
from bot.clock import ROME
from bot.monitoring.generation import COMUNE
from bot.monitoring.headlines import Headline, headlines
from storage.db import Database


@dataclass(frozen=True)
class Shown:
    first: date
    last: date
    headlines: list[Headline]
    counted_at: datetime


class Counted:
    """The figures of a big year take seconds to count: each database keeps the last ones
    counted, per day and language, for a few minutes (aggregates, nothing about anyone), and
    counts one at a time (ten viewers at nine o'clock do not count ten times)."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.kept: dict[tuple[date, str], Shown] = {}


FRESH = timedelta(minutes=10)
_COUNTED: weakref.WeakKeyDictionary[Database, Counted] = weakref.WeakKeyDictionary()


async def year_so_far(req: DeskRequest) -> Shown:
    now = req.desk.clock.now()
    today = now.astimezone(ROME).date()
    key = (today, req.translator.language)
    counted = _COUNTED.setdefault(req.desk.db, Counted())
    async with counted.lock:
        found = counted.kept.get(key)
        if found is not None and now - found.counted_at < FRESH:
            return found
        first, last = monitoring.period(today.year, None, today)
        async with req.desk.db.read() as tx:
            data = await monitoring.load(tx, first, last)
        # Seconds of CPU on a big year: off the event loop, so the chat is not held up.
        report = await asyncio.to_thread(monitoring.build, data, req.translator, COMUNE)
        counted.kept = {key: Shown(first, last, headlines(report, req.translator), now)}
        return counted.kept[key]


def listing(req: DeskRequest, shown: Shown) -> Listing:
    first, last = shown.first, shown.last
    period = f"{first.isoformat()} – {last.isoformat()}"
    return Listing(
        name=f"aggregates-{first.isoformat()}-{last.isoformat()}",
        title=req.tr("Aggregates"),
        columns=[req.tr("Group"), req.tr("Figure"), req.tr("Value")],
        rows=[[h.title, label, value] for h in shown.headlines for label, value in h.rows],
        filter_labels=[
            (req.tr("Period"), period),
            (req.tr("Counted at"), req.translator.moment(shown.counted_at)),
        ],
    )


async def aggregates(req: DeskRequest) -> Response:
    shown = await year_so_far(req)
    return req.page(
        "aggregates.html",
        title=req.tr("Aggregates"),
        shown=shown,
        files=listing(req, shown),
    )


async def aggregates_export(req: DeskRequest) -> Response:
    return await export_listing(req, listing(req, await year_so_far(req)), "aggregates")
