"""Job profiles in the back-office: the list of every profile (and its files), the form to
create or change one (skills marked essential or desirable, the intake's conditions), and the
profile's page, where the operator chooses what to require and sees everyone who meets it
(bot/capabilities/matching.py): by internal number, not ranked, each with what they have and
lack, and a link to the record, which keeps its own access rule."""

from __future__ import annotations

from starlette.responses import Response

from bot.backoffice.desk_auth import DeskRequest, redirect
from bot.backoffice.desk_companies import STATE_LABELS, errors_of, missing
from bot.backoffice.desk_export import Listing, shown
from bot.backoffice.desk_pages import export_listing
from bot.capabilities import accounts
from bot.capabilities import companies as co
from bot.i18n import N_
from bot.placement import ConditionKind, ProfileState
from storage.company_repos import JobProfile

PAGE = 100  # people shown per page; the files carry everyone
NO_PROFILE = N_("There is no such job profile.")


def condition_questions() -> dict[ConditionKind, tuple[str, tuple[tuple[str, str], ...]]]:
    """Each condition's title and (answer id, label), from the intake's own questions."""
    from bot.flows.intake_questions import AVAILABILITY, ITALIAN, RESIDENCE, TRANSPORT

    return {
        ConditionKind.AVAILABILITY: (AVAILABILITY.title, AVAILABILITY.choices),
        ConditionKind.TRANSPORT: (
            TRANSPORT.title,
            tuple(c for c in TRANSPORT.choices if c[0] != "none"),
        ),
        ConditionKind.ITALIAN: (ITALIAN.title, ITALIAN.choices),
        ConditionKind.RESIDENCE: (RESIDENCE.title, RESIDENCE.choices),
    }


def skill_name(req: DeskRequest, skill_id: str) -> str:
    label = req.desk.app.engine.content.skill_label(skill_id)
    return req.tr(label) if label else skill_id


def skill_esco(req: DeskRequest, skill_id: str) -> str | None:
    """The ESCO URI of a skill, for files exchanged with the Centro per l'Impiego and EURES."""
    sector = req.desk.app.engine.content.sector(skill_id.split(".", 1)[0])
    found = sector and next((k for k in sector.skills if k.id == skill_id), None)
    return found.esco if found else None


def condition_text(req: DeskRequest, kind: ConditionKind, values: tuple[str, ...]) -> str:
    title, choices = condition_questions()[kind]
    labels = dict(choices)
    shown_values = ", ".join(req.tr(labels[v]) if v in labels else v for v in values)
    if kind in (ConditionKind.TRANSPORT, ConditionKind.ITALIAN):
        return req.tr("%(what)s: at least %(value)s", what=req.tr(title), value=shown_values)
    return f"{req.tr(title)}: {shown_values}"


def _profile_id(req: DeskRequest) -> int:
    return int(req.request.path_params["profile_id"])


def raw_of_form(form: dict[str, str]) -> dict[str, object]:
    """Skills are selects named "skill.ID" (essential, desirable or empty); list conditions
    are boxes named "KIND.CODE"."""
    raw: dict[str, object] = {k: form.get(k, "") for k in ("code", "title", "openings", "state")}
    raw["essential"] = [
        k[6:] for k, v in form.items() if k.startswith("skill.") and v == "essential"
    ]
    raw["desirable"] = [
        k[6:] for k, v in form.items() if k.startswith("skill.") and v == "desirable"
    ]
    for kind in (ConditionKind.AVAILABILITY, ConditionKind.RESIDENCE):
        prefix = kind.value + "."
        raw[kind.value] = [k[len(prefix) :] for k in form if k.startswith(prefix)]
    for kind in (ConditionKind.TRANSPORT, ConditionKind.ITALIAN):
        raw[kind.value] = form.get(kind.value, "")
    return raw


def form_of(profile: JobProfile) -> dict[str, str]:
    form = {
        "code": profile.code,
        "title": profile.title,
        "openings": str(profile.openings),
        "state": profile.state.value,
    }
    form |= {f"skill.{s}": "essential" for s in profile.essential}
    form |= {f"skill.{s}": "desirable" for s in profile.desirable}
    for kind, values in profile.conditions.items():
        if kind in (ConditionKind.TRANSPORT, ConditionKind.ITALIAN):
            form[kind.value] = values[0]
        else:
            form |= {f"{kind.value}.{v}": "on" for v in values}
    return form


def _form_page(
    req: DeskRequest,
    action: str,
    form: dict[str, str],
    errors: dict[str, str],
    company_sector: str,
    status: int = 200,
) -> Response:
    sectors = req.desk.app.engine.content.sectors
    chosen = {k[6:].split(".", 1)[0] for k, v in form.items() if k.startswith("skill.") and v}
    groups = [
        (s.id, req.tr(s.label), [(k.id, req.tr(k.label)) for k in s.skills], s.id in chosen)
        for s in sectors
    ]
    groups.sort(key=lambda g: g[0] != company_sector)  # the company's own sector first, open
    conditions = [
        (kind.value, req.tr(title), [(i, req.tr(label)) for i, label in choices])
        for kind, (title, choices) in condition_questions().items()
    ]
    return req.page(
        "profile_form.html",
        status,
        title=req.tr("Change the job profile")
        if action.endswith("/edit")
        else req.tr("New job profile"),
        action=action,
        form=form,
        errors=errors,
        groups=groups,
        company_sector=company_sector,
        conditions=conditions,
        states=[(s.value, req.tr(label)) for s, label in STATE_LABELS.items()],
    )


async def profile_new(req: DeskRequest) -> Response:
    company_id = int(req.request.path_params["company_id"])
    async with req.desk.db.read() as tx:
        company = await tx.companies.get(company_id)
    if company is None:
        return missing(req)
    action = f"/desk/companies/{company_id}/profiles/new"
    return _form_page(req, action, {"openings": "1", "state": "open"}, {}, company.sector)


async def profile_create(req: DeskRequest) -> Response:
    company_id = int(req.request.path_params["company_id"])
    now = req.desk.clock.now()
    async with req.desk.db.read() as tx:
        company = await tx.companies.get(company_id)
    if company is None:
        return missing(req)
    try:
        draft = co.check_profile(raw_of_form(req.form), req.desk.app.engine.content.sectors)
        async with req.desk.db.write() as tx:
            profile_id = await co.create_profile(tx, company_id, draft, now)
            await accounts.audit(tx, req.user_id, "profile.create", "profile", profile_id, now)
    except co.Invalid as invalid:
        action = f"/desk/companies/{company_id}/profiles/new"
        return _form_page(req, action, req.form, errors_of(req, invalid), company.sector, 400)
    return redirect(f"/desk/profiles/{profile_id}?done=created")


async def profile_edit(req: DeskRequest) -> Response:
    async with req.desk.db.read() as tx:
        found = await co.profile(tx, _profile_id(req))
        company = await tx.companies.get(found.company_id) if found else None
    if found is None or company is None:
        return missing(req, NO_PROFILE)
    return _form_page(req, f"/desk/profiles/{found.id}/edit", form_of(found), {}, company.sector)


async def profile_update(req: DeskRequest) -> Response:
    now = req.desk.clock.now()
    async with req.desk.db.read() as tx:
        found = await co.profile(tx, _profile_id(req))
        company = await tx.companies.get(found.company_id) if found else None
    if found is None or company is None:
        return missing(req, NO_PROFILE)
    # The code is what files and commands name the profile by: it does not change here.
    raw = raw_of_form({**req.form, "code": found.code})
    try:
        draft = co.check_profile(raw, req.desk.app.engine.content.sectors)
        async with req.desk.db.write() as tx:
            await co.save_profile(tx, found.company_id, draft, now)
            await accounts.audit(tx, req.user_id, "profile.update", "profile", found.id, now)
    except co.Invalid as invalid:
        action = f"/desk/profiles/{found.id}/edit"
        form = {**req.form, "code": found.code}
        return _form_page(req, action, form, errors_of(req, invalid), company.sector, 400)
    return redirect(f"/desk/profiles/{found.id}?done=updated")


async def profiles_listing(req: DeskRequest) -> tuple[Listing, list[int]]:
    state = req.request.query_params.get("state", "open")
    state = state if state in {*ProfileState, "all"} else "open"
    async with req.desk.db.read() as tx:
        found = [(p, c) for p, c in await co.all_profiles(tx) if state == "all" or p.state == state]
    columns = (N_("Code"), N_("Title"), N_("Company"), N_("State"), N_("Openings"))
    listing = Listing(
        name="profiles",
        title=req.tr("Job profiles"),
        columns=[
            req.tr(c)
            for c in (*columns, N_("Essential skills"), N_("Desirable skills"), N_("ESCO skills"))
        ],
        rows=[
            [
                p.code,
                p.title,
                c.name,
                req.tr(STATE_LABELS[p.state]),
                p.openings,
                ", ".join(skill_name(req, s) for s in p.essential),
                ", ".join(skill_name(req, s) for s in p.desirable),
                " ".join(u for s in (*p.essential, *p.desirable) if (u := skill_esco(req, s))),
            ]
            for p, c in found
        ],
        filters={"state": state},
        filter_labels=[
            (
                req.tr("State"),
                req.tr(STATE_LABELS[ProfileState(state)]) if state != "all" else req.tr("all"),
            )
        ],
    )
    return listing, [p.id for p, _ in found]


async def profiles(req: DeskRequest) -> Response:
    listing, ids = await profiles_listing(req)
    options = [(s.value, req.tr(label)) for s, label in STATE_LABELS.items()]
    return req.page(
        "profiles.html",
        title=req.tr("Job profiles"),
        listing=listing,
        cells=shown(listing, req.translator),
        ids=ids,
        filter_fields=[
            ("state", req.tr("State"), [*options, ("all", req.tr("all"))], listing.filters["state"])
        ],
    )


async def profiles_export(req: DeskRequest) -> Response:
    listing, _ids = await profiles_listing(req)
    return await export_listing(req, listing, "profile")
