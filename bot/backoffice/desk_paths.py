"""A person's path in the back-office: recording its steps (with the errors next to the
fields), an internship's end, deleting a step recorded by mistake; proposing the person for a
company's job profile. The same operators who may open the record (and administrators) may
do it, checked again by the capabilities; every change is audited by id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time

from starlette.responses import Response

from bot.backoffice.desk_auth import DeskRequest, redirect, refused
from bot.backoffice.desk_export import Cell
from bot.capabilities import companies, notes, paths, proposals
from bot.capabilities.notes import Access
from bot.clock import ROME
from bot.flows.path_labels import (
    CONTRACTS,
    INTERNSHIP_ENDS,
    PROPOSAL_ANSWERS,
    STEP_KINDS,
    describe_followup,
    describe_proposal,
    describe_step,
)
from bot.i18n import N_
from bot.placement import PathStepKind, ProfileState
from storage.path_repos import FollowUpAnswer, PathStep, Proposal
from storage.session import Session

PATH_DONE = {
    "step": N_("The step was recorded."),
    "ended": N_("The internship's end was recorded."),
    "deleted": N_("The step was deleted."),
    "proposed": N_("The proposal was sent to the person in the chat."),
}


def _person_id(req: DeskRequest) -> int:
    return int(req.request.path_params["person_id"])


async def record_refusal(req: DeskRequest, tx: Session, person_id: int) -> Response | None:
    """The refusal when the reader may not open this person's record (the person record's
    own rule, shared by its path and proposal forms), else None."""
    assert req.session is not None
    found = await notes.access(tx, req.session.user, person_id)
    if found is Access.MISSING:
        return refused(req, 404, req.tr("Not found"), req.tr("There is no such record."))
    if found is Access.NOT_YOURS:
        text = req.tr("Only the operators this person booked with can open the record.")
        return refused(req, 403, req.tr("Not allowed"), text)
    return None


def _kind(raw: str) -> PathStepKind | None:
    return next((k for k in PathStepKind if k.value == raw), None)


def path_rows(req: DeskRequest, steps: list[PathStep]) -> list[tuple[PathStep, str, str]]:
    """Each step, in words, with its ANPAL outcome code (or a dash)."""
    return [
        (s, describe_step(req.translator, s), paths.outcome_code(s, steps) or "—") for s in steps
    ]


def section(
    req: DeskRequest,
    steps: list[PathStep],
    followups: list[FollowUpAnswer],
    offered: list[Proposal],
) -> dict[str, object]:
    """What the person page's "Path" section shows (templates/person_path.html)."""
    done = req.request.query_params.get("done", "")
    return {
        "path_rows": path_rows(req, steps),
        "path_kinds": [(k.value, req.tr(v)) for k, v in STEP_KINDS.items()],
        "followup_lines": [describe_followup(req.translator, a) for a in followups],
        "proposal_lines": [describe_proposal(req.translator, p) for p in offered],
        "path_done": req.tr(PATH_DONE[done]) if done in PATH_DONE else None,
    }


def path_events(
    req: DeskRequest,
    steps: list[PathStep],
    followups: list[FollowUpAnswer],
    offered: list[Proposal],
) -> list[tuple[datetime, str]]:
    """The path in the person's timeline: steps by their start (an internship's end too),
    follow-up answers and proposals when they happened."""
    tr = req.translator
    events = [(_moment(s.started_on), describe_step(tr, s)) for s in steps]
    events += [
        (_moment(s.ended_on), req.tr("End of the internship") + " · " + describe_step(tr, s))
        for s in steps
        if s.kind is PathStepKind.INTERNSHIP and s.ended_on
    ]
    events += [
        (
            a.answered_at or a.asked_at,
            req.tr("Follow-up (said by the person)") + " · " + describe_followup(tr, a),
        )
        for a in followups
    ]
    events += [
        (p.created_at, req.tr("Proposed for %(what)s", what=describe_proposal(tr, p)))
        for p in offered
    ]
    return events


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=ROME)


def path_data_rows(
    req: DeskRequest,
    steps: list[PathStep],
    followups: list[FollowUpAnswer],
    offered: list[Proposal],
) -> list[Sequence[Cell]]:
    """The path in the "my data" file, one row per item."""
    tr = req.translator
    rows: list[Sequence[Cell]] = [
        [req.tr("Path"), describe_step(tr, s), s.started_on.isoformat()] for s in steps
    ]
    rows += [
        [req.tr("Follow-up (said by the person)"), describe_followup(tr, a), a.asked_at]
        for a in followups
    ]
    rows += [
        [req.tr("Proposal"), describe_proposal(tr, p) + " · " + p.reason, p.created_at]
        for p in offered
    ]
    return rows


def _form_page(
    req: DeskRequest,
    person_id: int,
    kind: PathStepKind,
    internships: list[PathStep],
    status: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    return req.page(
        "path_form.html",
        status,
        title=req.tr(STEP_KINDS[kind]) + " · " + req.tr("person #%(id)s", id=person_id),
        person_id=person_id,
        kind=kind.value,
        errors=errors or {},
        values=req.form,
        contracts=[("", "—")] + [(c.value, req.tr(v)) for c, v in CONTRACTS.items()],
        internships=[("", "—")]
        + [(str(s.id), describe_step(req.translator, s)) for s in internships],
    )


async def _internships(tx: Session, person_id: int) -> list[PathStep]:
    return [s for s in await tx.paths.of_person(person_id) if s.kind is PathStepKind.INTERNSHIP]


async def step_form(req: DeskRequest) -> Response:
    person_id = _person_id(req)
    kind = _kind(req.request.query_params.get("kind", ""))
    if kind is None:
        return refused(req, 404, req.tr("Not found"), req.tr("There is no such page."))
    async with req.desk.db.read() as tx:
        if (refusal := await record_refusal(req, tx, person_id)) is not None:
            return refusal
        internships = await _internships(tx, person_id)
    return _form_page(req, person_id, kind, internships)


async def step_add(req: DeskRequest) -> Response:
    assert req.session is not None
    person_id = _person_id(req)
    kind = _kind(req.form.get("kind", ""))
    if kind is None:
        return refused(req, 400, req.tr("Not possible"), req.tr("Choose one of the options."))
    async with req.desk.db.write() as tx:
        if (refusal := await record_refusal(req, tx, person_id)) is not None:
            return refusal
        now = req.desk.clock.now()
        result = await paths.record_step(tx, req.session.user, person_id, kind, req.form, now)
        internships = await _internships(tx, person_id)
    if result.step_id is not None:
        return redirect(f"/desk/people/{person_id}?done=step#h-path")
    errors = {k: req.tr(v) for k, v in result.problems.items()}
    return _form_page(req, person_id, kind, internships, 400, errors)


def _end_page(
    req: DeskRequest, step: PathStep, status: int = 200, errors: dict[str, str] | None = None
) -> Response:
    return req.page(
        "path_end.html",
        status,
        title=req.tr("End of the internship") + " · " + describe_step(req.translator, step),
        step=step,
        errors=errors or {},
        values=req.form,
        reasons=[("", "—")] + [(r.value, req.tr(v)) for r, v in INTERNSHIP_ENDS.items()],
    )


async def _step(req: DeskRequest, tx: Session) -> tuple[PathStep | None, Response | None]:
    person_id = _person_id(req)
    if (refusal := await record_refusal(req, tx, person_id)) is not None:
        return None, refusal
    step = await tx.paths.get(int(req.request.path_params["step_id"]))
    if step is None or step.person_id != person_id:
        return None, refused(req, 404, req.tr("Not found"), req.tr("There is no such page."))
    return step, None


async def end_form(req: DeskRequest) -> Response:
    async with req.desk.db.read() as tx:
        step, refusal = await _step(req, tx)
    if step is None or step.kind is not PathStepKind.INTERNSHIP:
        return refusal or refused(req, 404, req.tr("Not found"), req.tr("There is no such page."))
    return _end_page(req, step)


async def end_save(req: DeskRequest) -> Response:
    assert req.session is not None
    async with req.desk.db.write() as tx:
        step, refusal = await _step(req, tx)
        if step is None:
            return refusal or redirect("/desk/")
        now = req.desk.clock.now()
        result = await paths.end_internship(tx, req.session.user, step.id, req.form, now)
    if result.step_id is not None:
        return redirect(f"/desk/people/{step.person_id}?done=ended#h-path")
    return _end_page(req, step, 400, {k: req.tr(v) for k, v in result.problems.items()})


async def step_delete(req: DeskRequest) -> Response:
    assert req.session is not None
    async with req.desk.db.write() as tx:
        step, refusal = await _step(req, tx)
        if step is None:
            return refusal or redirect("/desk/")
        await paths.delete_step(tx, req.session.user, step.id, req.desk.clock.now())
    return redirect(f"/desk/people/{step.person_id}?done=deleted#h-path")


async def _propose_page(
    req: DeskRequest,
    tx: Session,
    person_id: int,
    status: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    profiles = [
        (str(p.id), f"{p.code} · {p.title} · {c.name}")
        for p, c in await companies.all_profiles(tx)
        if p.state is ProfileState.OPEN
    ]
    made = [
        (describe_proposal(req.translator, p), req.tr(PROPOSAL_ANSWERS[p.answer]))
        for p in await proposals.of_person(tx, person_id)
    ]
    return req.page(
        "propose.html",
        status,
        title=req.tr("Propose person #%(id)s for a job profile", id=person_id),
        person_id=person_id,
        profiles=[("", "—"), *profiles],
        selected=req.form.get("profile") or req.request.query_params.get("profile", ""),
        reason=req.form.get("reason", "")[: proposals.MAX_REASON + 100],
        errors=errors or {},
        made=made,
    )


async def propose_form(req: DeskRequest) -> Response:
    person_id = _person_id(req)
    async with req.desk.db.read() as tx:
        if (refusal := await record_refusal(req, tx, person_id)) is not None:
            return refusal
        return await _propose_page(req, tx, person_id)


async def propose(req: DeskRequest) -> Response:
    assert req.session is not None
    person_id = _person_id(req)
    raw = req.form.get("profile", "").strip()
    async with req.desk.db.write() as tx:
        if (refusal := await record_refusal(req, tx, person_id)) is not None:
            return refusal
        if not raw.isdigit():
            errors = {"profile": req.tr("Choose one of the options.")}
            return await _propose_page(req, tx, person_id, 400, errors)
        now = req.desk.clock.now()
        reason = req.form.get("reason", "")
        result = await proposals.propose(tx, req.session.user, person_id, int(raw), reason, now)
        if result.proposal_id is None:
            errors = {k: req.tr(v) for k, v in result.problems.items()}
            return await _propose_page(req, tx, person_id, 400, errors)
    return redirect(f"/desk/people/{person_id}?done=proposed#h-path")
