"""The report's companies: those met (a scouting visit dated in the period), the visits, the
job profiles opened in the period and their openings, by sector. Companies are not people:
nothing here is suppressed. Counted from the company tables when the report is made, which
is right for a period because nothing about a company goes with a person's erasure and
visits and profiles are never deleted; openings are as they stand when the report is made."""

from __future__ import annotations

from bot.content import load_sectors
from bot.i18n import N_, Translator
from bot.monitoring.figures import Data, Row, Table, with_total


def companies(tr: Translator, data: Data) -> list[Table]:
    found = {a.sector: a for a in data.companies}
    rows = []
    for sector in load_sectors():
        a = found.get(sector.id)
        values = [a.companies_visited, a.visits, a.profiles, a.openings] if a else [0, 0, 0, 0]
        rows.append(Row(sector.id, tr.tr(sector.label), list(values)))
    table = Table(
        key="companies_by_sector",
        title=tr.tr(N_("Companies met, job profiles opened and their openings, by sector")),
        row_header=tr.tr(N_("Sector")),
        columns=[
            tr.tr(N_("Companies met")),
            tr.tr(N_("Scouting visits")),
            tr.tr(N_("Job profiles opened")),
            tr.tr(N_("Openings")),
        ],
        column_keys=["companies", "visits", "profiles", "openings"],
        rows=with_total(tr, rows),
        total=True,
        people=False,
        chart="grouped",
    )
    return [table]
