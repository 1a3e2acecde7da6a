"""A person's record: answers, appointments, workshops, consents, a timeline and operators'
private notes; "my data" as a file; erasure (administrators, after a confirmation page).
Operators open only the people booked with them. Every view is audited; URLs carry ids only."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from starlette.responses import Response

from bot.backoffice.desk_agenda import STATUS_LABELS
from bot.backoffice.desk_auth import DeskRequest, redirect, refused
from bot.backoffice.desk_export import Cell, Listing, export_response
from bot.backoffice.desk_paths import path_data_rows, path_events, record_refusal, section
from bot.capabilities import matching, notes
from bot.capabilities.accounts import Role
from bot.domain import Booking, Consent, Identity, Person, RegistrationStatus
from bot.flows import intake
from bot.flows.operators import NEXT_STEPS
from bot.flows.questions import describe_answer
from bot.i18n import N_
from storage.note_repos import Note, WorkshopSeat
from storage.path_repos import FollowUpAnswer, PathStep, Proposal
from storage.session import Session

SEAT_LABELS = {
    RegistrationStatus.REGISTERED: N_("has a seat"),
    RegistrationStatus.WAITING: N_("on the waiting list"),
    RegistrationStatus.DECLINED: N_("cannot come"),
    RegistrationStatus.CANCELLED: N_("gave the seat back"),
    RegistrationStatus.ATTENDED: N_("attended"),
    RegistrationStatus.ABSENT: N_("absent"),
}


@dataclass(frozen=True)
class Record:
    person: Person
    identities: list[Identity]
    answers: list[tuple[str, str]]  # question, answer: both translated
    bookings: list[Booking]
    workshops: list[WorkshopSeat]
    consents: list[Consent]
    notes: list[Note]
    path: list[PathStep]
    followups: list[FollowUpAnswer]
    proposals: list[Proposal]
    met: list[matching.Met] = field(default_factory=list)  # open job profiles they meet


async def gather(req: DeskRequest, tx: Session, person: Person) -> Record:
    content = req.desk.app.engine.content
    raw = await tx.answers.all(person.id)
    answers = [
        (req.tr(q.title), describe_answer(q, raw[q.id], req.translator, content))
        for q in intake.script(raw, content)
        if q.id in raw
    ]
    return Record(
        person=person,
        identities=await tx.people.identities(person.id),
        answers=answers,
        bookings=await tx.records.bookings_of(person.id),
        workshops=await tx.records.workshops_of(person.id),
        consents=await tx.consents.history(person.id),
        notes=await tx.notes.of_person(person.id),
        path=await tx.paths.of_person(person.id),
        followups=await tx.followups.of_person(person.id),
        proposals=await tx.proposals.of_person(person.id),
        met=await matching.profiles_met(tx, person.id),
    )


CONSENT_KINDS = {
    "notice": N_("privacy notice"),
    "announcements": N_("workshop and job news"),
    "followup": N_("follow-up questions on work"),
}


def _consent(req: DeskRequest, consent: Consent) -> str:
    kind = req.tr(CONSENT_KINDS.get(consent.kind, consent.kind))
    state = req.tr("given") if consent.granted else req.tr("refused")
    return f"{kind} ({consent.version}): {state}"


def _booking(req: DeskRequest, booking: Booking) -> str:
    text = req.tr(
        "Appointment with %(operator)s: %(state)s",
        operator=booking.operator_id,
        state=req.tr(STATUS_LABELS[booking.status]),
    )
    if booking.next_step:
        text += " · " + req.tr(NEXT_STEPS[booking.next_step])
    return text


def _seat(req: DeskRequest, seat: WorkshopSeat) -> str:
    return req.tr(
        "Workshop %(title)s: %(state)s", title=seat.title, state=req.tr(SEAT_LABELS[seat.status])
    )


def timeline(req: DeskRequest, record: Record) -> list[tuple[datetime, str]]:
    """What happened, the latest first."""
    events: list[tuple[datetime, str]] = [(record.person.created_at, req.tr("First contact"))]
    if record.person.intake_confirmed_at:
        events.append((record.person.intake_confirmed_at, req.tr("Answers confirmed")))
    events += [(c.at, _consent(req, c)) for c in record.consents]
    events += [(b.starts_at, _booking(req, b)) for b in record.bookings]
    events += [(w.starts_at, _seat(req, w)) for w in record.workshops]
    events += [(n.created_at, req.tr("Note by %(who)s", who=n.author or "—")) for n in record.notes]
    events += path_events(req, record.path, record.followups, record.proposals)
    return sorted(events, key=lambda e: e[0], reverse=True)


async def _open(req: DeskRequest, tx: Session) -> tuple[Person | None, Response | None]:
    """The person of the URL when the reader may open the record, else the refusal."""
    person_id = int(req.request.path_params["person_id"])
    if (refusal := await record_refusal(req, tx, person_id)) is not None:
        return None, refusal
    return await tx.people.get(person_id), None


async def person(req: DeskRequest) -> Response:
    assert req.session is not None
    async with req.desk.db.write() as tx:
        found, refusal = await _open(req, tx)
        if found is None:
            return refusal or redirect("/desk/")
        record = await gather(req, tx, found)
        await notes.viewed(tx, req.session.user, found.id, "person.view", req.desk.clock.now())
    return _page(req, record)


def _page(req: DeskRequest, record: Record, status: int = 200, **values: object) -> Response:
    assert req.session is not None
    done = {"noted": req.tr("The note was saved.")}
    values.setdefault("errors", {})
    values.setdefault("body", "")
    return req.page(
        "person.html",
        status,
        title=req.tr("Record of person #%(id)s", id=record.person.id),
        record=record,
        bookings=[(b, req.tr(STATUS_LABELS[b.status])) for b in record.bookings],
        seats=[(w, req.tr(SEAT_LABELS[w.status])) for w in record.workshops],
        consents=[(c.at, _consent(req, c)) for c in record.consents],
        events=timeline(req, record),
        steps={k.value: req.tr(v) for k, v in NEXT_STEPS.items()},
        is_admin=req.session.user.role == Role.ADMIN,
        **section(req, record.path, record.followups, record.proposals),
        notice=done.get(req.request.query_params.get("done", "")),
        **values,
    )


async def note_add(req: DeskRequest) -> Response:
    assert req.session is not None
    person_id = int(req.request.path_params["person_id"])
    body = req.form.get("body", "")
    async with req.desk.db.write() as tx:
        result = await notes.add_note(tx, req.session.user, person_id, body, req.desk.clock.now())
        if result.note_id is not None:
            return redirect(f"/desk/people/{person_id}?done=noted")
        found, refusal = await _open(req, tx)
        if found is None:
            return refusal or redirect("/desk/")
        record = await gather(req, tx, found)
    errors = {k: req.tr(v) for k, v in result.problems.items()}
    return _page(req, record, 400, errors=errors, body=body[: notes.MAX_NOTE + 100])


def data_listing(req: DeskRequest, record: Record) -> Listing:
    """Everything stored about the person, one row per item: the "my data" file."""
    rows: list[Sequence[Cell]] = [
        [req.tr("Person"), req.tr("Number"), record.person.id],
        [req.tr("Person"), req.tr("First contact"), record.person.created_at],
        [req.tr("Person"), req.tr("Last message"), record.person.last_seen_at],
        [req.tr("Person"), req.tr("Language"), record.person.language],
        [req.tr("Person"), req.tr("Came from the link"), record.person.source],
    ]
    rows += [
        [
            req.tr("Account"),
            i.channel.value,
            f"{i.external_id} ({req.translator.day(i.created_at)})",
        ]
        for i in record.identities
    ]
    rows += [[req.tr("Answer"), q, a] for q, a in record.answers]
    rows += [[req.tr("Consent"), _consent(req, c), c.at] for c in record.consents]
    rows += [[req.tr("Appointment"), _booking(req, b), b.starts_at] for b in record.bookings]
    rows += [[req.tr("Workshop"), _seat(req, w), w.starts_at] for w in record.workshops]
    rows += [[req.tr("Note"), n.body, n.created_at] for n in record.notes]
    rows += path_data_rows(req, record.path, record.followups, record.proposals)
    return Listing(
        name=f"person-{record.person.id}",
        title=req.tr("My data"),
        columns=[req.tr("Section"), req.tr("Item"), req.tr("Value")],
        rows=rows,
        filter_labels=[(req.tr("Person"), str(record.person.id))],
    )


def json_file(listing: Listing, req: DeskRequest) -> Response:
    def value(cell: Cell) -> str | int | None:
        return cell.isoformat() if isinstance(cell, datetime) else cell

    items = [
        dict(zip(("section", "item", "value"), map(value, r), strict=True)) for r in listing.rows
    ]
    body = json.dumps({"title": listing.title, "items": items}, ensure_ascii=False, indent=2)
    return Response(
        body.encode("utf-8"),
        media_type="application/json; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{listing.name}.json"'},
    )


async def person_data(req: DeskRequest) -> Response:
    assert req.session is not None
    fmt = req.request.path_params.get("fmt", "")
    if fmt not in ("json", "xlsx"):
        return refused(req, 404, req.tr("Not found"), req.tr("There is no such page."))
    async with req.desk.db.write() as tx:
        found, refusal = await _open(req, tx)
        if found is None:
            return refusal or redirect("/desk/")
        listing = data_listing(req, await gather(req, tx, found))
        await notes.viewed(tx, req.session.user, found.id, f"person.{fmt}", req.desk.clock.now())
    if fmt == "json":
        return json_file(listing, req)
    response = export_response(listing, fmt, req.translator)
    assert response is not None
    return response


async def erase_form(req: DeskRequest) -> Response:
    async with req.desk.db.read() as tx:
        found, refusal = await _open(req, tx)
    if found is None:
        return refusal or redirect("/desk/")
    return req.page("erase.html", title=req.tr("Erase person #%(id)s", id=found.id), person=found)


async def erase(req: DeskRequest) -> Response:
    assert req.session is not None
    person_id = int(req.request.path_params["person_id"])
    if req.form.get("confirm") != "yes":
        return redirect(f"/desk/people/{person_id}/erase")
    now = req.desk.clock.now()
    agenda = req.desk.app.settings.agenda
    async with req.desk.db.write() as tx:
        erased = await notes.erase(tx, agenda, req.session.user, person_id, now)
    if not erased:
        return refused(req, 404, req.tr("Not found"), req.tr("There is no such record."))
    # As after /cancella: the deleted rows leave the write-ahead log at once.
    await req.desk.db.checkpoint()
    return redirect("/desk/agenda?done=erased")
