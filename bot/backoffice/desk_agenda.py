"""The agenda: today's or this week's appointments (an operator's own; an administrator's
everyone's), each with the person's intake summary and the Zoom start link, where the
operator records the outcome and the next step through the appointments capability."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from starlette.responses import Response

from bot.agenda import local_day_bounds
from bot.backoffice.desk_auth import DeskRequest, redirect
from bot.backoffice.desk_export import Listing
from bot.backoffice.desk_pages import export_listing
from bot.capabilities import accounts, appointments
from bot.capabilities.accounts import Role
from bot.capabilities.appointments import RECORDABLE, Recorded
from bot.clock import ROME
from bot.domain import Booking, BookingStatus, MeetingMode, NextStep, Outcome
from bot.flows import operators
from bot.flows.operators import NEXT_STEPS, OUTCOMES
from bot.i18n import N_
from storage.session import Session

RANGES = {"today": N_("Today"), "week": N_("This week")}
STATUS_LABELS = {
    BookingStatus.BOOKED: N_("booked"),
    BookingStatus.ATTENDED: N_("attended"),
    BookingStatus.NO_SHOW: N_("did not come"),
    BookingStatus.CANCELLED: N_("cancelled"),
    BookingStatus.HELD: N_("kept for the waiting list"),
    BookingStatus.EXPIRED: N_("not taken"),
}
SHOWN = (
    BookingStatus.BOOKED,
    BookingStatus.ATTENDED,
    BookingStatus.NO_SHOW,
    BookingStatus.CANCELLED,
)
DONE = {
    "recorded": N_("The outcome was recorded."),
    "step": N_("The next step was recorded."),
    "not_started": N_("The outcome can be recorded once the meeting has started."),
    "not_yours": N_("That appointment is another operator's."),
    "missing": N_("That appointment no longer exists."),
    "erased": N_("The person's data were erased."),
}


@dataclass(frozen=True)
class Filters:
    range: str
    status: str  # "" for every state shown
    operator_id: str | None  # None: everyone's (administrators only)


@dataclass(frozen=True)
class Entry:
    booking: Booking
    name: str
    operator: str
    """The operator's name as the desk knows them (their id if no longer configured)."""
    summary: list[str]
    link: str | None
    zoom: str  # the meeting's state, translated
    status: str
    can_record: bool
    can_step: bool


def filters_of(req: DeskRequest) -> Filters:
    query = req.request.query_params
    chosen = query.get("range", "today")
    status = query.get("status", "")
    assert req.session is not None
    user = req.session.user
    operator: str | None = user.operator_id
    if user.role == Role.ADMIN:
        wanted = query.get("operator", "")
        operator = wanted if wanted in req.desk.operator_ids else None
    return Filters(
        chosen if chosen in RANGES else "today",
        status if status in {s.value for s in SHOWN} else "",
        operator,
    )


def bounds(chosen: str, now: datetime) -> tuple[datetime, datetime]:
    """Today, or Monday to Sunday of this week, in Rome."""
    start, end = local_day_bounds(now)
    if chosen == "week":
        monday = now.astimezone(ROME).date() - timedelta(days=now.astimezone(ROME).weekday())
        start = datetime.combine(monday, datetime.min.time(), tzinfo=ROME)
        end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tzinfo=ROME)
    return start, end


async def entries(req: DeskRequest, tx: Session, chosen: Filters) -> list[Entry]:
    now = req.desk.clock.now()
    start, end = bounds(chosen.range, now)
    statuses = (BookingStatus(chosen.status),) if chosen.status else SHOWN
    bookings = await tx.records.agenda(start, end, chosen.operator_id, statuses)
    return [await _entry(req, tx, b, now) for b in bookings]


async def _entry(req: DeskRequest, tx: Session, booking: Booking, now: datetime) -> Entry:
    agenda = req.desk.app.settings.agenda
    # The chat digest's summary, word for word; it does not depend on the operator.
    operator = agenda.operator(booking.operator_id)
    view = operators.Desk(
        tx,
        agenda,
        req.desk.app.engine.content,
        req.translator,
        now,
        operator or agenda.operators[0],
    )
    summary = await operators.person_summary(view, booking)
    name = None
    if booking.person_id is not None:
        name = (await tx.answers.all(booking.person_id)).get("name")
    link = booking.start_url or booking.join_url
    started = booking.starts_at <= now
    return Entry(
        booking=booking,
        name=name if isinstance(name, str) else "—",
        operator=operator.name if operator is not None else booking.operator_id,
        summary=[line.strip() for line in summary.splitlines() if line.strip()],
        link=link,
        zoom=req.tr(_zoom_state(booking)),
        status=req.tr(STATUS_LABELS[booking.status]),
        can_record=started and booking.status in RECORDABLE,
        can_step=booking.status == BookingStatus.ATTENDED,
    )


def _zoom_state(booking: Booking) -> str:
    if booking.meeting_mode == MeetingMode.ROOM:
        return N_("the operator's personal room")
    if booking.start_url or booking.join_url:
        return N_("meeting created")
    return N_("meeting not created yet")


def listing_of(req: DeskRequest, chosen: Filters, found: list[Entry]) -> Listing:
    columns = (N_("When"), N_("Operator"), N_("Person"), N_("Record"), N_("State"), N_("Zoom"))
    return Listing(
        name="agenda",
        title=req.tr("Appointments"),
        columns=[req.tr(c) for c in (*columns, N_("Next step"))],
        rows=[
            [
                e.booking.starts_at,
                e.booking.operator_id,
                e.name,
                e.booking.person_id,
                e.status,
                e.zoom,
                req.tr(NEXT_STEPS[e.booking.next_step]) if e.booking.next_step else None,
            ]
            for e in found
        ],
        filters={
            "range": chosen.range,
            "status": chosen.status,
            "operator": chosen.operator_id or "",
        },
        filter_labels=[
            (req.tr("Period"), req.tr(RANGES[chosen.range])),
            (
                req.tr("State"),
                req.tr(STATUS_LABELS[BookingStatus(chosen.status)])
                if chosen.status
                else req.tr("all"),
            ),
            (req.tr("Operator"), chosen.operator_id or req.tr("all")),
        ],
    )


def _filter_fields(req: DeskRequest, chosen: Filters) -> list[object]:
    fields: list[object] = [
        ("range", req.tr("Period"), [(k, req.tr(v)) for k, v in RANGES.items()], chosen.range),
        (
            "status",
            req.tr("State"),
            [("", req.tr("all")), *((s.value, req.tr(STATUS_LABELS[s])) for s in SHOWN)],
            chosen.status,
        ),
    ]
    assert req.session is not None
    if req.session.user.role == Role.ADMIN:
        people = [("", req.tr("all")), *((o, o) for o in sorted(req.desk.operator_ids))]
        fields.append(("operator", req.tr("Operator"), people, chosen.operator_id or ""))
    return fields


async def agenda(req: DeskRequest) -> Response:
    chosen = filters_of(req)
    async with req.desk.db.read() as tx:
        found = await entries(req, tx, chosen)
    done = DONE.get(req.request.query_params.get("done", ""))
    return req.page(
        "agenda.html",
        title=req.tr("Agenda"),
        entries=found,
        listing=listing_of(req, chosen, found),
        filter_fields=_filter_fields(req, chosen),
        range=chosen.range,
        outcomes=[(o.value, req.tr(label)) for o, label in OUTCOMES.items()],
        steps=[(s.value, req.tr(label)) for s, label in NEXT_STEPS.items()],
        notice=req.tr(done) if done else None,
    )


async def agenda_export(req: DeskRequest) -> Response:
    chosen = filters_of(req)
    async with req.desk.db.read() as tx:
        found = await entries(req, tx, chosen)
    return await export_listing(req, listing_of(req, chosen, found), "booking")


Choice = TypeVar("Choice", Outcome, NextStep)


async def _record(
    req: DeskRequest,
    kind: type[Choice],
    capability: Callable[[Session, str, Booking, Choice, datetime], Awaitable[Recorded]],
    action: str,
    done: str,
) -> Response:
    """One of the appointments capability's recordings, from the form's field `kind`."""
    assert req.session is not None
    user = req.session.user
    raw = req.form.get("outcome" if kind is Outcome else "step", "")
    if raw not in {c.value for c in kind}:
        return _back(req, "missing")
    now = req.desk.clock.now()
    async with req.desk.db.write() as tx:
        booking = await tx.bookings.get(int(req.request.path_params["booking_id"]))
        if booking is None:
            return _back(req, "missing")
        # An administrator records on the operator's behalf; an operator only as themself.
        acting = booking.operator_id if user.role == Role.ADMIN else (user.operator_id or "")
        recorded = await capability(tx, acting, booking, kind(raw), now)
        if recorded is Recorded.RECORDED:
            await accounts.audit(tx, user.id, action, "booking", booking.id, now)
    return _back(req, done if recorded is Recorded.RECORDED else recorded.value)


def _back(req: DeskRequest, done: str) -> Response:
    chosen = req.form.get("range", "")
    return redirect(f"/desk/agenda?range={chosen if chosen in RANGES else 'today'}&done={done}")


async def record_outcome(req: DeskRequest) -> Response:
    return await _record(req, Outcome, appointments.record_outcome, "booking.outcome", "recorded")


async def record_step(req: DeskRequest) -> Response:
    return await _record(req, NextStep, appointments.record_next_step, "booking.next_step", "step")
