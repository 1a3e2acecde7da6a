"""The skills a workshop teaches: boxes by sector, so that matching can point a person who
lacks a skill to the workshops that teach it. Staff and administrators."""

from __future__ import annotations

from starlette.responses import Response

from bot.backoffice.desk_auth import DeskRequest, redirect
from bot.backoffice.desk_companies import errors_of
from bot.backoffice.desk_workshops import find_workshop, missing
from bot.capabilities import accounts
from bot.capabilities import companies as co


def _page(
    req: DeskRequest, title: str, workshop_id: int, ticked: set[str], errors: dict[str, str]
) -> Response:
    sectors = req.desk.app.engine.content.sectors
    groups = [
        (
            s.id,
            req.tr(s.label),
            [(k.id, req.tr(k.label)) for k in s.skills],
            any(k.id in ticked for k in s.skills),
        )
        for s in sectors
    ]
    return req.page(
        "workshop_skills.html",
        400 if errors else 200,
        title=req.tr("Skills taught by %(title)s", title=title),
        workshop_id=workshop_id,
        groups=groups,
        ticked=ticked,
        errors=errors,
    )


async def workshop_skills(req: DeskRequest) -> Response:
    workshop = await find_workshop(req)
    if workshop is None:
        return missing(req)
    async with req.desk.db.read() as tx:
        ticked = set(await tx.workshop_skills.of_workshop(workshop.id))
    return _page(req, workshop.title, workshop.id, ticked, {})


async def workshop_skills_save(req: DeskRequest) -> Response:
    workshop = await find_workshop(req)
    if workshop is None:
        return missing(req)
    chosen = [k.removeprefix("skill.") for k in req.form if k.startswith("skill.")]
    now = req.desk.clock.now()
    try:
        async with req.desk.db.write() as tx:
            await co.tag_workshop(tx, workshop.id, chosen, req.desk.app.engine.content.sectors)
            await accounts.audit(tx, req.user_id, "workshop.skills", "workshop", workshop.id, now)
    except co.Invalid as invalid:
        return _page(req, workshop.title, workshop.id, set(chosen), errors_of(req, invalid))
    return redirect(f"/desk/workshops/{workshop.id}?done=skills")
