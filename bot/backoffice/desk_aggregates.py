"""The Aggregates page, the viewer's (the Comune's) view of the desk: the headline figures of
the current year so far, from the monitoring report's tables with the same suppression, as
tables and as CSV/XLSX files. No person, no list of people: counts only."""

from __future__ import annotations

from datetime import date

from starlette.responses import Response

from bot.backoffice.desk_auth import DeskRequest
from bot.backoffice.desk_export import Listing, export_response
from bot.backoffice.desk_workshops import missing
from bot.capabilities import monitoring
from bot.clock import ROME
from bot.i18n import N_
from bot.monitoring.generation import COMUNE
from bot.monitoring.headlines import Headline, headlines


async def year_so_far(req: DeskRequest) -> tuple[date, date, list[Headline]]:
    today = req.desk.clock.now().astimezone(ROME).date()
    first, last = monitoring.period(today.year, None, today)
    async with req.desk.db.read() as tx:
        report = await monitoring.build_figures(tx, first, last, req.translator, COMUNE)
    return first, last, headlines(report, req.translator)


def listing(req: DeskRequest, first: date, last: date, shown: list[Headline]) -> Listing:
    period = f"{first.isoformat()} – {last.isoformat()}"
    return Listing(
        name=f"aggregates-{first.isoformat()}-{last.isoformat()}",
        title=req.tr("Aggregates"),
        columns=[req.tr("Group"), req.tr("Figure"), req.tr("Value")],
        rows=[[h.title, label, value] for h in shown for label, value in h.rows],
        filter_labels=[(req.tr("Period"), period)],
    )


async def aggregates(req: DeskRequest) -> Response:
    first, last, shown = await year_so_far(req)
    return req.page(
        "aggregates.html",
        title=req.tr("Aggregates"),
        first=first,
        last=last,
        headlines=shown,
        files=listing(req, first, last, shown),
    )


async def aggregates_export(req: DeskRequest) -> Response:
    first, last, shown = await year_so_far(req)
    response = export_response(
        listing(req, first, last, shown), req.request.path_params["fmt"], req.translator
    )
    return response or missing(req, N_("There is no such file."))
