"""Companies in the back-office: the list (and its files), a company's page with its job
profiles and scouting visits, the forms to create and change one, and recording a visit.
Staff and administrators change them; operators read. The checks are the capability's."""

from __future__ import annotations

from starlette.responses import Response

from bot.backoffice.desk_auth import DeskRequest, redirect
from bot.backoffice.desk_export import Listing, shown
from bot.backoffice.desk_pages import export_listing
from bot.capabilities import accounts
from bot.capabilities import companies as co
from bot.capabilities.accounts import Role
from bot.clock import ROME
from bot.i18n import N_
from bot.placement import ProfileState

STATE_LABELS = {
    ProfileState.OPEN: N_("open"),
    ProfileState.FILLED: N_("filled"),
    ProfileState.CLOSED: N_("closed"),
}
EDITORS = (Role.STAFF, Role.ADMIN)


def can_edit(req: DeskRequest) -> bool:
    return req.session is not None and req.session.user.role in EDITORS


def errors_of(req: DeskRequest, invalid: co.Invalid) -> dict[str, str]:
    """Each problem in the reader's language, next to its field (the first one per field)."""
    errors: dict[str, str] = {}
    for problem in invalid.problems:
        errors.setdefault(problem.field, req.tr(problem.message, **problem.args))
    return errors


def sector_label(req: DeskRequest, sector_id: str) -> str:
    sector = req.desk.app.engine.content.sector(sector_id)
    return req.tr(sector.label) if sector else sector_id


def missing(req: DeskRequest, text: str = N_("There is no such company.")) -> Response:
    return req.page("error.html", 404, title=req.tr("Not found"), text=req.tr(text))


async def companies_listing(req: DeskRequest) -> tuple[Listing, list[int]]:
    async with req.desk.db.read() as tx:
        rows = await co.company_list(tx)
    columns = (N_("Company"), N_("Sector"), N_("ATECO"), N_("Area"), N_("Profiles"))
    more = (N_("Open profiles"), N_("Openings"), N_("Last visit"))
    listing = Listing(
        name="companies",
        title=req.tr("Companies"),
        columns=[req.tr(c) for c in (*columns, *more)],
        rows=[
            [
                r.company.name,
                sector_label(req, r.company.sector),
                r.company.ateco,
                r.company.area,
                r.profiles,
                r.open_profiles,
                r.openings,
                r.last_visit.isoformat() if r.last_visit else None,
            ]
            for r in rows
        ],
    )
    return listing, [r.company.id for r in rows]


async def companies(req: DeskRequest) -> Response:
    listing, ids = await companies_listing(req)
    return req.page(
        "companies.html",
        title=req.tr("Companies"),
        listing=listing,
        cells=shown(listing, req.translator),
        ids=ids,
        editor=can_edit(req),
    )


async def companies_export(req: DeskRequest) -> Response:
    listing, _ids = await companies_listing(req)
    return await export_listing(req, listing, "company")


def _sectors(req: DeskRequest) -> list[tuple[str, str]]:
    return [(s.id, req.tr(s.label)) for s in req.desk.app.engine.content.sectors]


def _form_page(
    req: DeskRequest, action: str, form: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    editing = action.endswith("/edit")
    return req.page(
        "company_form.html",
        status,
        title=req.tr("Change the company") if editing else req.tr("New company"),
        action=action,
        form=form,
        errors=errors,
        sectors=_sectors(req),
    )


def _raw(form: dict[str, str]) -> dict[str, object]:
    return {k: form.get(k, "") for k in co.COMPANY_FIELDS}


async def company_new(req: DeskRequest) -> Response:
    return _form_page(req, "/desk/companies/new", {}, {})


async def company_create(req: DeskRequest) -> Response:
    action = "/desk/companies/new"
    now = req.desk.clock.now()
    try:
        draft = co.check_company(_raw(req.form), req.desk.app.engine.content.sectors)
        async with req.desk.db.write() as tx:
            company_id = await co.save_company(tx, draft, now)
            await accounts.audit(tx, req.user_id, "company.create", "company", company_id, now)
    except co.Invalid as invalid:
        return _form_page(req, action, req.form, errors_of(req, invalid), 400)
    return redirect(f"/desk/companies/{company_id}?done=created")


def _company_id(req: DeskRequest) -> int:
    return int(req.request.path_params["company_id"])


async def company_edit(req: DeskRequest) -> Response:
    async with req.desk.db.read() as tx:
        found = await tx.companies.get(_company_id(req))
    if found is None:
        return missing(req)
    form = {k: getattr(found, k) or "" for k in co.COMPANY_FIELDS}
    return _form_page(req, f"/desk/companies/{found.id}/edit", form, {})


async def company_update(req: DeskRequest) -> Response:
    company_id = _company_id(req)
    action = f"/desk/companies/{company_id}/edit"
    now = req.desk.clock.now()
    try:
        draft = co.check_company(_raw(req.form), req.desk.app.engine.content.sectors)
        async with req.desk.db.write() as tx:
            if await tx.companies.get(company_id) is None:
                return missing(req)
            await co.save_company(tx, draft, now, company_id)
            await accounts.audit(tx, req.user_id, "company.update", "company", company_id, now)
    except co.Invalid as invalid:
        return _form_page(req, action, req.form, errors_of(req, invalid), 400)
    return redirect(f"/desk/companies/{company_id}?done=updated")


def _operators(req: DeskRequest) -> list[tuple[str, str]]:
    return [(op.id, op.name) for op in req.desk.app.settings.agenda.operators]


async def company_page(
    req: DeskRequest, status: int = 200, visit: dict[str, str] | None = None, **values: object
) -> Response:
    async with req.desk.db.read() as tx:
        view = await co.company_view(tx, _company_id(req))
    if view is None:
        return missing(req)
    notices = {
        "created": req.tr("The company was saved."),
        "updated": req.tr("The company was changed."),
        "visit": req.tr("The visit was recorded."),
        "profile": req.tr("The profile was saved."),
    }
    operators = dict(_operators(req))
    return req.page(
        "company.html",
        status,
        title=view.company.name,
        view=view,
        sector=sector_label(req, view.company.sector),
        states={s: req.tr(label) for s, label in STATE_LABELS.items()},
        operators=operators,
        operator_choices=_operators(req),
        editor=can_edit(req),
        visit=visit or {"visited_on": req.desk.clock.now().astimezone(ROME).date().isoformat()},
        visit_errors=values.pop("visit_errors", {}),
        notice=notices.get(req.request.query_params.get("done", "")),
        **values,
    )


async def visit_add(req: DeskRequest) -> Response:
    company_id = _company_id(req)
    now = req.desk.clock.now()
    form = req.form
    operators = [op for op, _ in _operators(req)]
    try:
        async with req.desk.db.write() as tx:
            visit_id = await co.add_visit(
                tx,
                company_id,
                form.get("visited_on", ""),
                form.get("operator_id", ""),
                form.get("notes", ""),
                operators,
                now,
            )
            await accounts.audit(tx, req.user_id, "visit.add", "visit", visit_id, now)
    except co.Invalid as invalid:
        errors = errors_of(req, invalid)
        if "company" in errors:
            return missing(req)
        return await company_page(req, 400, visit=form, visit_errors=errors)
    return redirect(f"/desk/companies/{company_id}?done=visit")
