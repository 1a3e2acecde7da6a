"""Staff's workshops: the list, creating and editing one through the one workshop validation
(its problems shown next to the fields), the attendees and their attendance, and exports."""

from __future__ import annotations

import re
from datetime import datetime

from starlette.responses import Response

from bot.backoffice.desk_auth import DeskRequest, redirect
from bot.backoffice.desk_export import Listing, shown
from bot.backoffice.desk_pages import export_listing
from bot.capabilities import accounts, seats
from bot.capabilities import workshop_admin as wa
from bot.clock import ROME
from bot.domain import Audience, RegistrationStatus, Workshop
from bot.i18n import N_

WHEN_LABELS = {"upcoming": N_("upcoming"), "past": N_("past"), "all": N_("all")}
STATUS_LABELS = {
    RegistrationStatus.REGISTERED: N_("has a seat"),
    RegistrationStatus.WAITING: N_("waiting list"),
    RegistrationStatus.DECLINED: N_("declined"),
    RegistrationStatus.CANCELLED: N_("cancelled"),
    RegistrationStatus.ATTENDED: N_("present"),
    RegistrationStatus.ABSENT: N_("absent"),
}
WITH_SEAT = (RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED, RegistrationStatus.ABSENT)
FIELD_NAMES = {f: f.value for f in wa.Field} | {wa.Field.PLACE: "place"}
TEXT_FIELDS = ("title", "description", "starts", "duration", "capacity", "place", "link")


def created_by(req: DeskRequest) -> str:
    """Who made a workshop or broadcast: a desk account, never mistaken for a Telegram id."""
    return f"desk:{req.user_id}"


def codes(req: DeskRequest) -> wa.AudienceCodes:
    return wa.AudienceCodes.of(req.desk.app.engine.content.sectors)


def audience_choices(req: DeskRequest) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Each audience criterion: its form name, its label, and its (code, label) choices."""
    from bot.flows.intake import AGE_BAND, GOAL, LANGUAGES

    sectors = req.desk.app.engine.content.sectors
    return [
        ("goals", req.tr("Goal"), [(i, req.tr(label)) for i, label in GOAL.choices]),
        ("age_bands", req.tr("Age"), [(i, req.tr(label)) for i, label in AGE_BAND.choices]),
        ("sectors", req.tr("Sector"), [(s.id, req.tr(s.label)) for s in sectors]),
        (
            "languages",
            req.tr("Languages"),
            [("it", req.tr("Italian")), *((i, req.tr(label)) for i, label in LANGUAGES.choices)],
        ),
    ]


def audience_of_form(form: dict[str, str]) -> dict[str, list[str]]:
    """Ticked boxes are named "goals.CODE": one name each, as the form arrives as a dict."""
    found: dict[str, list[str]] = {name: [] for name in wa.AUDIENCE_FIELDS}
    for key in form:
        name, _, code = key.partition(".")
        if name in found and code:
            found[name].append(code)
    return found


def audience_form(audience: Audience) -> dict[str, str]:
    return {f"{k}.{v}": "on" for k, values in audience.as_json().items() for v in values or []}


def problem_text(req: DeskRequest, problem: wa.ValidationProblem) -> str:
    """The validation's problem in the reader's language (its own text is plain English)."""
    field, message = problem.field, problem.message
    taken = re.match(r"(\d+) seats", message)
    texts = {
        wa.Field.TITLE: req.tr("Write a title of at most %(max)d characters.", max=wa.MAX_TITLE),
        wa.Field.DESCRIPTION: req.tr("At most %(max)d characters.", max=wa.MAX_DESCRIPTION),
        wa.Field.DURATION: req.tr(
            "Minutes, from %(min)d to %(max)d.", min=wa.MIN_DURATION, max=wa.MAX_DURATION
        ),
        wa.Field.CAPACITY: req.tr(
            "Write the number of seats, from 1 to %(max)d.", max=wa.MAX_CAPACITY
        ),
        wa.Field.PLACE: req.tr("Give exactly one: an address, or the link of the online room."),
        wa.Field.LINK: req.tr("The link of an online room must start with https://."),
    }
    if field is wa.Field.STARTS:
        if "past" in message:
            return req.tr("That moment is in the past: choose a future date.")
        if "started" in message:
            return req.tr("It has already started or was cancelled: it cannot be changed.")
        return req.tr("Write a date and time like 02/12/2026 10:00.")
    if field is wa.Field.CAPACITY and taken:
        return req.tr(
            "%(n)s seats are already taken: there cannot be fewer.", n=int(taken.group(1))
        )
    if "at most" in message:
        return req.tr("At most %(max)d characters.", max=wa.MAX_PLACE)
    return texts.get(field, req.tr("Choose among the codes offered."))


def problems_of(req: DeskRequest, invalid: wa.InvalidWorkshop) -> dict[str, str]:
    errors: dict[str, str] = {}
    for problem in invalid.problems:
        errors.setdefault(FIELD_NAMES[problem.field], problem_text(req, problem))
    return errors


def raw_of_form(form: dict[str, str]) -> dict[str, object]:
    return {**{k: form.get(k, "") for k in TEXT_FIELDS}, **audience_of_form(form)}


def form_of(workshop: Workshop) -> dict[str, str]:
    local = workshop.starts_at.astimezone(ROME)
    return {
        "title": workshop.title,
        "description": workshop.description,
        "starts": local.strftime("%Y-%m-%dT%H:%M"),
        "duration": str(workshop.duration_minutes),
        "capacity": str(workshop.capacity),
        "place": workshop.place or "",
        "link": workshop.online_url or "",
        **audience_form(workshop.audience),
    }


def state_of(req: DeskRequest, workshop: Workshop, now: datetime) -> str:
    if workshop.cancelled_at is not None:
        return req.tr("cancelled")
    return req.tr("upcoming") if workshop.starts_at > now else req.tr("past")


async def workshops_listing(req: DeskRequest) -> tuple[Listing, list[Workshop]]:
    when = req.request.query_params.get("when", "upcoming")
    when = when if when in WHEN_LABELS else "upcoming"
    now = req.desk.clock.now()
    async with req.desk.db.read() as tx:
        found = [
            w
            for w in await tx.workshops.all()
            if when == "all" or (w.starts_at > now) == (when == "upcoming")
        ]
        taken = [await seats.seats_taken(tx, w.id) for w in found]
    columns = (N_("Code"), N_("Title"), N_("Starts"), N_("Minutes"), N_("Where"))
    listing = Listing(
        name="workshops",
        title=req.tr("Workshops"),
        columns=[req.tr(c) for c in (*columns, N_("Seats taken"), N_("Seats"), N_("State"))],
        rows=[
            [
                w.code,
                w.title,
                w.starts_at,
                w.duration_minutes,
                w.online_url or w.place,
                n,
                w.capacity,
                state_of(req, w, now),
            ]
            for w, n in zip(found, taken, strict=True)
        ],
        filters={"when": when},
        filter_labels=[(req.tr("When"), req.tr(WHEN_LABELS[when]))],
    )
    return listing, found


async def workshops(req: DeskRequest) -> Response:
    listing, found = await workshops_listing(req)
    notices = {
        "created": req.tr("The workshop was saved. Nobody has been told yet."),
        "updated": req.tr("The workshop was changed."),
    }
    options = [(k, req.tr(v)) for k, v in WHEN_LABELS.items()]
    return req.page(
        "workshops.html",
        title=req.tr("Workshops"),
        listing=listing,
        cells=shown(listing, req.translator),
        ids=[w.id for w in found],
        notice=notices.get(req.request.query_params.get("done", "")),
        filter_fields=[("when", req.tr("When"), options, listing.filters["when"])],
    )


async def workshops_export(req: DeskRequest) -> Response:
    listing, _found = await workshops_listing(req)
    return await export_listing(req, listing, "workshop")


def _form_page(
    req: DeskRequest, action: str, form: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    editing = action != "/desk/workshops/new"
    return req.page(
        "workshop_form.html",
        status,
        title=req.tr("Change the workshop") if editing else req.tr("New workshop"),
        action=action,
        form=form,
        errors=errors,
        audience=audience_choices(req),
    )


async def workshop_new(req: DeskRequest) -> Response:
    return _form_page(req, "/desk/workshops/new", {"duration": str(wa.DEFAULT_DURATION)}, {})


async def workshop_create(req: DeskRequest) -> Response:
    now = req.desk.clock.now()
    try:
        draft = wa.validate(raw_of_form(req.form), now, codes(req))
    except wa.InvalidWorkshop as invalid:
        return _form_page(req, "/desk/workshops/new", req.form, problems_of(req, invalid), 400)
    async with req.desk.db.write() as tx:
        workshop = await wa.create_workshop(tx, draft, created_by(req), now)
        await accounts.audit(tx, req.user_id, "workshop.create", "workshop", workshop.id, now)
    return redirect(f"/desk/workshops/{workshop.id}?done=created")


async def find_workshop(req: DeskRequest) -> Workshop | None:
    async with req.desk.db.read() as tx:
        return await tx.workshops.get(int(req.request.path_params["workshop_id"]))


def missing(req: DeskRequest, text: str = N_("There is no such workshop.")) -> Response:
    return req.page("error.html", 404, title=req.tr("Not found"), text=req.tr(text))


async def workshop_edit(req: DeskRequest) -> Response:
    workshop = await find_workshop(req)
    if workshop is None:
        return missing(req)
    return _form_page(req, f"/desk/workshops/{workshop.id}/edit", form_of(workshop), {})


async def workshop_update(req: DeskRequest) -> Response:
    workshop = await find_workshop(req)
    if workshop is None:
        return missing(req)
    now = req.desk.clock.now()
    try:
        async with req.desk.db.write() as tx:
            agenda = req.desk.app.settings.agenda
            changes = raw_of_form(req.form)
            await wa.update_workshop(tx, agenda, workshop, changes, now, codes(req))
            await accounts.audit(tx, req.user_id, "workshop.update", "workshop", workshop.id, now)
    except wa.InvalidWorkshop as invalid:
        action = f"/desk/workshops/{workshop.id}/edit"
        return _form_page(req, action, req.form, problems_of(req, invalid), 400)
    return redirect(f"/desk/workshops/{workshop.id}?done=updated")
