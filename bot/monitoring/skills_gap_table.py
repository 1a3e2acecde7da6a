"""The report's skills gap: the skills open job profiles ask for most, next to how many people
declare them. Profiles and openings are the companies' figures; only the people column counts
people, so only it is suppressed under 5."""

from __future__ import annotations

from bot.i18n import N_, Translator
from bot.monitoring.figures import Data, Row, Table

MOST = 20  # skills in the report: the most asked for; the back-office page lists them all


def skills_gap(tr: Translator, data: Data) -> list[Table]:
    most = sorted(data.skills, key=lambda r: (-r.profiles, -r.openings, r.skill_id))[:MOST]
    kept = [r for r in data.skills if r in most]  # by sector, as the page
    rows = [
        Row(
            r.skill_id,
            f"{tr.tr(r.sector_label)}: {tr.tr(r.skill_label)}",
            [r.profiles, r.openings, r.people],
        )
        for r in kept
    ]
    return [
        Table(
            key="skills_gap",
            title=tr.tr(N_("Skills asked for by open job profiles, and people who declare them")),
            row_header=tr.tr(N_("Skill")),
            columns=[
                tr.tr(N_("Open profiles asking for it")),
                tr.tr(N_("Openings")),
                tr.tr(N_("People who declare it")),
            ],
            column_keys=["profiles", "openings", "people"],
            rows=rows,
            people_columns=(2,),
            chart="grouped",
        )
    ]
