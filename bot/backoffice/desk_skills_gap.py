"""The skills gap page: the skills open job profiles ask for, next to how many people declare
them, by sector; its files and its chart. Counts only, never a name. The viewer role gets
the same small-count suppression as the annual report (under 5 people is "<5")."""

from __future__ import annotations

import tempfile
from pathlib import Path

from starlette.responses import Response

from bot.backoffice.desk_auth import DeskRequest
from bot.backoffice.desk_export import Listing, shown
from bot.backoffice.desk_pages import export_listing
from bot.backoffice.desk_profiles import skill_esco
from bot.capabilities import skills_gap
from bot.capabilities.accounts import Role
from bot.i18n import N_
from bot.monitoring import charts
from bot.monitoring.figures import Row, Table
from bot.monitoring.suppression import THRESHOLD
from storage.company_repos import GapRow

CHART_SKILLS = 15


def _suppressed(req: DeskRequest) -> bool:
    return req.session is None or req.session.user.role == Role.VIEWER


def _people(req: DeskRequest, count: int) -> int | str:
    return charts.HIDDEN if _suppressed(req) and 0 < count < THRESHOLD else count


async def _rows(req: DeskRequest) -> tuple[list[GapRow], str]:
    sectors = req.desk.app.engine.content.sectors
    sector = req.request.query_params.get("sector", "all")
    sector = sector if sector in {s.id for s in sectors} else "all"
    async with req.desk.db.read() as tx:
        rows = await skills_gap.gap(tx, sectors)
    return [r for r in rows if sector in ("all", r.sector_id)], sector


def _listing(req: DeskRequest, rows: list[GapRow], sector: str) -> Listing:
    columns = (N_("Sector"), N_("Skill"), N_("Open profiles asking for it"), N_("As essential"))
    label = req.tr("all")
    for s in req.desk.app.engine.content.sectors:
        if s.id == sector:
            label = req.tr(s.label)
    return Listing(
        name="skills-gap",
        title=req.tr("The skills gap"),
        columns=[
            req.tr(c)
            for c in (*columns, N_("Openings"), N_("People who declare it"), N_("ESCO skill"))
        ],
        rows=[
            [
                req.tr(r.sector_label),
                req.tr(r.skill_label),
                r.profiles,
                r.essential,
                r.openings,
                _people(req, r.people),
                skill_esco(req, r.skill_id),
            ]
            for r in rows
        ],
        filters={"sector": sector},
        filter_labels=[(req.tr("Sector"), label)],
    )


async def skills_gap_page(req: DeskRequest) -> Response:
    rows, sector = await _rows(req)
    listing = _listing(req, rows, sector)
    options = [("all", req.tr("all"))] + [
        (s.id, req.tr(s.label)) for s in req.desk.app.engine.content.sectors
    ]
    return req.page(
        "skills_gap.html",
        title=req.tr("The skills gap"),
        listing=listing,
        cells=shown(listing, req.translator),
        sector=sector,
        chart=bool(rows),
        chart_skills=min(CHART_SKILLS, len(rows)),
        suppressed=_suppressed(req),
        filter_fields=[("sector", req.tr("Sector"), options, sector)],
    )


async def skills_gap_export(req: DeskRequest) -> Response:
    rows, sector = await _rows(req)
    return await export_listing(req, _listing(req, rows, sector), "skills_gap")


async def skills_gap_chart(req: DeskRequest) -> Response:
    """The most asked-for skills of the list as bars, drawn by the report's own chart code."""
    rows, _sector = await _rows(req)
    most = sorted(rows, key=lambda r: (-r.profiles, -r.openings, r.skill_id))[:CHART_SKILLS]
    table = Table(
        key="skills_gap",
        title=req.tr("The skills gap"),
        row_header=req.tr("Skill"),
        columns=[req.tr("Openings"), req.tr("People who declare it")],
        column_keys=["openings", "people"],
        rows=[Row(r.skill_id, req.tr(r.skill_label), [r.openings, r.people]) for r in most],
        people_columns=(1,),
        chart="grouped",
    )
    values: list[list[int | float | None]] = [
        [r.openings, None if _people(req, r.people) == charts.HIDDEN else r.people] for r in most
    ]
    with tempfile.TemporaryDirectory(prefix="desk-chart-") as folder:
        path = Path(folder) / "chart.png"
        charts.draw(table, values, path, req.translator.language)
        body = path.read_bytes()
    return Response(body, media_type="image/png", headers={"Cache-Control": "no-store"})
