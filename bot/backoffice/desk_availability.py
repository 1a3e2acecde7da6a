"""Availability (administrators): each operator's weekly hours and the desk's closures, edited
through the availability capability. A change that would cancel booked appointments shows
them first and is made only when the administrator confirms."""

from __future__ import annotations

from babel.dates import format_date, get_day_names
from starlette.responses import Response

from bot.backoffice.desk_auth import DeskRequest, redirect
from bot.capabilities import accounts, availability, opening
from bot.capabilities.availability import Change, FieldError, Problem
from bot.domain import Booking
from bot.i18n import N_
from bot.slots import WEEKDAYS
from storage.session import Session

PROBLEMS = {
    Problem.FORMAT: N_("“%(text)s” is not a time range: write it like 09:00-13:00."),
    Problem.ORDER: N_("“%(text)s” ends before it starts: the end must be later."),
    Problem.SHORT: N_("“%(text)s” is shorter than one appointment (%(minutes)s minutes)."),
    Problem.OVERLAP: N_("“%(text)s” overlaps another range of the same day: merge them."),
    Problem.DAY: N_("“%(text)s” is not a date: choose a day."),
    Problem.DAY_ORDER: N_("The last day is before the first."),
    Problem.PAST: N_("The day has passed: closures start today or later."),
    Problem.FAR: N_("The day is more than two years ahead: check the year."),
    Problem.CLOSED: N_("The desk is already closed on some of these days (%(text)s)."),
    Problem.NOTE: N_("The note is too long: at most %(text)s characters."),
    Problem.OPERATOR: N_("There is no such operator."),
}
DONE = {
    "hours": N_("The hours were saved: the chat offers the new times from now on."),
    "closure": N_("The closure was added."),
    "reopened": N_("The closure was removed: those days can be booked again."),
    "missing": N_("That closure no longer exists."),
}
CLOSURE_FIELDS = ("first_day", "last_day", "note")


def _errors(req: DeskRequest, change: Change) -> dict[str, str]:
    minutes = req.desk.app.settings.agenda.rules.slot_minutes
    return {name: _say(req, e, minutes) for name, e in change.errors.items()}


def _say(req: DeskRequest, error: FieldError, minutes: int) -> str:
    return req.tr(PROBLEMS[error.problem], text=error.text, minutes=minutes)


def _days(req: DeskRequest) -> list[tuple[str, str]]:
    names = get_day_names("wide", locale=req.translator.language)
    return [(key, names[n].capitalize()) for n, key in enumerate(WEEKDAYS)]


async def overview(req: DeskRequest) -> Response:
    return await _overview(req, {}, {})


async def _overview(
    req: DeskRequest, errors: dict[str, str], form: dict[str, str], status: int = 200
) -> Response:
    desk = req.desk.app.settings.agenda
    async with req.desk.db.read() as tx:
        agenda = await opening.current(tx, desk)
        closures = await opening.closures(tx)
    days = dict(_days(req))
    week = [
        (
            op,
            [
                (days[key], text)
                for key, text in availability.week_texts(op.windows).items()
                if text
            ],
        )
        for op in agenda.operators
    ]
    language = req.translator.language
    shown = [
        (
            c,
            format_date(c.first, "long", locale=language),
            format_date(c.last, "long", locale=language),
        )
        for c in closures
    ]
    done = DONE.get(req.request.query_params.get("done", ""))
    return req.page(
        "availability.html",
        status,
        title=req.tr("Availability"),
        week=week,
        closures=shown,
        errors=errors,
        form=form,
        notice=req.tr(done) if done else None,
    )


def _operator_id(req: DeskRequest) -> str:
    return str(req.request.path_params["operator_id"])


async def hours_form(req: DeskRequest) -> Response:
    operator_id = _operator_id(req)
    async with req.desk.db.read() as tx:
        agenda = await opening.current(tx, req.desk.app.settings.agenda)
    operator = agenda.operator(operator_id)
    if operator is None:
        return _no_operator(req)
    return _hours_page(req, operator_id, availability.week_texts(operator.windows), {})


def _no_operator(req: DeskRequest) -> Response:
    return req.page(
        "error.html", 404, title=req.tr("Not found"), text=req.tr("There is no such operator.")
    )


def _hours_page(
    req: DeskRequest,
    operator_id: str,
    form: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    operator = req.desk.app.settings.agenda.operator(operator_id)
    assert operator is not None
    return req.page(
        "availability_hours.html",
        status,
        title=req.tr("Hours of %(name)s", name=operator.name),
        operator=operator,
        days=_days(req),
        form=form,
        errors=errors,
        minutes=req.desk.app.settings.agenda.rules.slot_minutes,
    )


def _confirmed(req: DeskRequest) -> list[int] | None:
    raw = req.form.get("confirmed", "")
    if req.form.get("confirm") != "yes":
        return None
    return [int(part) for part in raw.split(",") if part.isdigit()]


async def hours_save(req: DeskRequest) -> Response:
    operator_id = _operator_id(req)
    desk = req.desk.app.settings.agenda
    if desk.operator(operator_id) is None:
        return _no_operator(req)
    texts = {key: req.form.get(key, "")[:200] for key in WEEKDAYS}
    now = req.desk.clock.now()
    async with req.desk.db.write() as tx:
        change = await availability.replace_hours(
            tx, desk, operator_id, texts, now, confirmed=_confirmed(req)
        )
        if change.applied:
            await accounts.audit(tx, req.user_id, "hours.replace", "operator", operator_id, now)
            if change.cancelled:
                await _audit_cancelled(req, tx, change.cancelled)
        names = await _names(tx, change.affected)
    if change.errors:
        return _hours_page(req, operator_id, texts, _errors(req, change), 400)
    if not change.applied:
        return _confirm_page(
            req, f"/desk/availability/hours/{operator_id}", texts, change.affected, names
        )
    return redirect("/desk/availability?done=hours")


async def closure_add(req: DeskRequest) -> Response:
    form = {key: req.form.get(key, "")[:200] for key in CLOSURE_FIELDS}
    now = req.desk.clock.now()
    async with req.desk.db.write() as tx:
        change = await availability.add_closure(
            tx,
            req.desk.app.settings.agenda,
            form["first_day"],
            form["last_day"],
            form["note"],
            now,
            confirmed=_confirmed(req),
        )
        if change.applied:
            await accounts.audit(tx, req.user_id, "closure.add", "closure", None, now)
            if change.cancelled:
                await _audit_cancelled(req, tx, change.cancelled)
        names = await _names(tx, change.affected)
    if change.errors:
        return await _overview(req, _errors(req, change), form, 400)
    if not change.applied:
        return _confirm_page(req, "/desk/availability/closures", form, change.affected, names)
    return redirect("/desk/availability?done=closure")


async def closure_remove(req: DeskRequest) -> Response:
    closure_id = int(req.request.path_params["closure_id"])
    now = req.desk.clock.now()
    async with req.desk.db.write() as tx:
        removed = await availability.remove_closure(tx, closure_id)
        if removed:
            await accounts.audit(tx, req.user_id, "closure.remove", "closure", closure_id, now)
    return redirect(f"/desk/availability?done={'reopened' if removed else 'missing'}")


async def _audit_cancelled(req: DeskRequest, tx: Session, cancelled: list[Booking]) -> None:
    for booking in cancelled:
        action = "booking.cancel"
        await accounts.audit(tx, req.user_id, action, "booking", booking.id, req.desk.clock.now())


async def _names(tx: Session, bookings: list[Booking]) -> dict[int, str]:
    names: dict[int, str] = {}
    for booking in bookings:
        if booking.person_id is not None:
            name = (await tx.answers.all(booking.person_id)).get("name")
            names[booking.id] = name if isinstance(name, str) else "—"
    return names


def _confirm_page(
    req: DeskRequest,
    action: str,
    form: dict[str, str],
    affected: list[Booking],
    names: dict[int, str],
) -> Response:
    agenda = req.desk.app.settings.agenda
    rows = []
    for booking in affected:
        operator = agenda.operator(booking.operator_id)
        who = operator.name if operator else booking.operator_id
        rows.append((booking, names.get(booking.id, "—"), who))
    return req.page(
        "availability_confirm.html",
        title=req.tr("Confirm the change"),
        action=action,
        form=form,
        rows=rows,
        confirmed=",".join(str(b.id) for b in affected),
        back="/desk/availability",
    )
