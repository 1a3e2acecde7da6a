"""The skills gap: the skills open job profiles ask for, next to how many people declare them,
by sector. It tells the desk which training to set up. Counts only: no person is named, so
the viewer role and the annual report read the same rows (the report suppresses small
counts of people)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.content import Sector
from storage.company_repos import GapRow
from storage.session import Session


async def gap(tx: Session, sectors: Sequence[Sector]) -> list[GapRow]:
    """By sector (in the intake's order), the most asked-for skills first."""
    labels = {k.id: (s, k.label) for s in sectors for k in s.skills}
    demand = [d for d in await tx.job_profiles.demand() if d.skill_id in labels]
    people = await tx.matching.declaring([d.skill_id for d in demand])
    order = {s.id: i for i, s in enumerate(sectors)}
    rows = [
        GapRow(
            sector_id=labels[d.skill_id][0].id,
            sector_label=labels[d.skill_id][0].label,
            skill_id=d.skill_id,
            skill_label=labels[d.skill_id][1],
            profiles=d.essential + d.desirable,
            essential=d.essential,
            openings=d.openings,
            people=people[d.skill_id],
        )
        for d in demand
    ]
    return sorted(rows, key=lambda r: (order[r.sector_id], -r.profiles, -r.openings, r.skill_id))
