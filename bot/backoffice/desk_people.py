"""Finding a person (operators: among those booked with them; administrators: everyone) by a
fragment of the name or of the WhatsApp number. The search is a POST, so its terms never
appear in a URL, a log or the browser's history; results link to the record by id, and the
list exports as CSV or XLSX by POST too."""

from __future__ import annotations

from starlette.responses import Response

from bot.backoffice.desk_auth import DeskRequest
from bot.backoffice.desk_export import Listing
from bot.backoffice.desk_pages import export_listing
from bot.capabilities import accounts
from bot.capabilities.accounts import Role
from bot.i18n import N_
from storage.people_search_repos import SEARCH_LIMIT, Found

MIN_NAME = 2
MIN_DIGITS = 3


def _terms(req: DeskRequest) -> tuple[str, str, dict[str, str]]:
    """The name fragment, the phone digits, and the problems by field."""
    name = " ".join(req.form.get("name", "").split())[:100]
    phone = req.form.get("phone", "").strip()[:30]
    digits = "".join(c for c in phone if c.isdigit())
    errors: dict[str, str] = {}
    if phone and len(digits) < MIN_DIGITS:
        errors["phone"] = req.tr("Write at least %(n)s digits of the number.", n=MIN_DIGITS)
    if name and len(name) < MIN_NAME:
        errors["name"] = req.tr("Write at least %(n)s letters of the name.", n=MIN_NAME)
    if not name and not phone:
        errors["name"] = req.tr("Write part of a name, or part of a number below.")
    return name, digits, errors


def _scope(req: DeskRequest) -> str | None:
    """Whose people: an operator's own, or everyone's for an administrator."""
    assert req.session is not None
    user = req.session.user
    return None if user.role == Role.ADMIN else (user.operator_id or "")


def listing_of(req: DeskRequest, found: list[Found]) -> Listing:
    columns = (N_("Record"), N_("Name"), N_("WhatsApp"), N_("Language"), N_("Last message"))
    return Listing(
        name="people",
        title=req.tr("People found"),
        columns=[req.tr(c) for c in columns],
        rows=[[f.person_id, f.name, f.phone, f.language, f.last_seen_at] for f in found],
        filter_labels=[
            (req.tr("Name contains"), req.form.get("name", "").strip() or req.tr("any")),
            (req.tr("Number contains"), req.form.get("phone", "").strip() or req.tr("any")),
        ],
    )


def _page(req: DeskRequest, status: int = 200, **values: object) -> Response:
    values.setdefault("errors", {})
    values.setdefault("listing", None)
    return req.page(
        "people.html",
        status,
        title=req.tr("People"),
        form={k: req.form.get(k, "") for k in ("name", "phone")},
        limit=SEARCH_LIMIT,
        **values,
    )


async def people(req: DeskRequest) -> Response:
    return _page(req)


async def _search(req: DeskRequest) -> tuple[list[Found] | None, dict[str, str]]:
    name, digits, errors = _terms(req)
    if errors:
        return None, errors
    now = req.desk.clock.now()
    async with req.desk.db.write() as tx:
        found = await tx.people_search.find(name, digits, _scope(req))
        # Who searched, and when: never the terms (they are personal data).
        await accounts.audit(tx, req.user_id, "people.search", "person", None, now)
    return found, {}


async def search(req: DeskRequest) -> Response:
    found, errors = await _search(req)
    if found is None:
        return _page(req, 400, errors=errors)
    listing = listing_of(req, found)
    return _page(req, listing=listing, found=found)


async def search_export(req: DeskRequest) -> Response:
    found, errors = await _search(req)
    if found is None:
        return _page(req, 400, errors=errors)
    return await export_listing(req, listing_of(req, found), "person")
