"""A person's path after the meeting, as operators record it: a referral to the Centro per
l'Impiego, training, an internship (tirocinio) and how it ended, a hire, self-employment.

Each step carries its dates, so the desk's figures can be counted at the funders' fixed times,
and maps to ANPAL's codes (bot/domain.py: DEC_ESITO_AZIONE_PAI and the internship end
reasons). Only the operators of the person (and administrators) record steps; every change
is audited by id. What the person says themselves at a follow-up is elsewhere
(outcome_followup.py): a self-declared outcome is not an operator's record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from bot.capabilities import accounts, notes, report_counts
from bot.capabilities.notes import Access
from bot.i18n import N_
from bot.placement import (
    CONTRACT_CODES,
    HIRE_OTHER_COMPANY,
    HIRE_SAME_COMPANY,
    INTERNSHIP_END_OUTCOMES,
    INTERNSHIP_STARTED,
    TRAINING_COMPLETED,
    ContractType,
    InternshipEnd,
    PathStepKind,
)
from storage.path_repos import PathStep
from storage.session import Session
from storage.user_repos import DeskUser

MAX_TEXT = 200
K = PathStepKind


@dataclass(frozen=True)
class StepResult:
    step_id: int | None
    problems: dict[str, str] = field(default_factory=dict)  # field -> untranslated message


def parse_day(text: str) -> date | None:
    """A day as a date field sends it (2026-12-09), or typed as 09/12/2026."""
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    parts = text.split("/")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        try:
            return date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            return None
    return None


class _Form:
    """Reads one form's fields, collecting a problem per field."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values
        self.problems: dict[str, str] = {}

    def text(self, name: str, *, required: bool = False) -> str:
        value = " ".join(self.values.get(name, "").split())
        if required and not value:
            self.problems[name] = N_("Fill this in.")
        elif len(value) > MAX_TEXT:
            self.problems[name] = N_("At most 200 characters.")
        return value[:MAX_TEXT]

    def day(self, name: str, *, required: bool = False) -> date | None:
        raw = self.values.get(name, "").strip()
        if not raw:
            if required:
                self.problems[name] = N_("Give the date.")
            return None
        found = parse_day(raw)
        if found is None:
            self.problems[name] = N_("Write the date as year-month-day, like 2026-12-09.")
        return found

    def not_before(self, name: str, later: date | None, earlier: date | None) -> None:
        if later and earlier and later < earlier and name not in self.problems:
            self.problems[name] = N_("This date is before the start.")

    def choice(self, name: str, choices: type[ContractType] | type[InternshipEnd]) -> str | None:
        raw = self.values.get(name, "").strip()
        if raw in {c.value for c in choices}:
            return raw
        self.problems[name] = N_("Choose one of the options.")
        return None

    def number(self, name: str) -> int | None:
        raw = self.values.get(name, "").strip()
        if not raw:
            return None
        if not raw.isdigit():
            self.problems[name] = N_("Choose one of the options.")
            return None
        return int(raw)


def _read(kind: PathStepKind, person_id: int, values: Mapping[str, str]) -> tuple[PathStep, _Form]:
    form = _Form(values)
    started = form.day("started_on", required=True)
    step = PathStep(id=0, person_id=person_id, kind=kind, started_on=started or date.min)
    if kind is K.TRAINING:
        ended = form.day("ended_on")
        form.not_before("ended_on", ended, started)
        completed = values.get("completed", "").strip()
        if completed not in ("", "yes", "no"):
            form.problems["completed"] = N_("Choose one of the options.")
        step = replace(
            step,
            title=form.text("title", required=True),
            provider=form.text("provider"),
            qualification=form.text("qualification"),
            ended_on=ended,
            completed=None if completed == "" else completed == "yes",
        )
    elif kind is K.INTERNSHIP:
        planned = form.day("planned_end_on", required=True)
        form.not_before("planned_end_on", planned, started)
        step = replace(
            step,
            company_name=form.text("company_name", required=True),
            company_id=form.number("company_id"),
            planned_end_on=planned,
        )
    elif kind is K.HIRE:
        contract = form.choice("contract", ContractType)
        step = replace(
            step,
            company_name=form.text("company_name", required=True),
            company_id=form.number("company_id"),
            contract=ContractType(contract) if contract else None,
            internship_id=form.number("internship_id"),
        )
    elif kind is K.SELF_EMPLOYMENT:
        step = replace(step, title=form.text("title"))
    return step, form


async def record_step(
    tx: Session,
    user: DeskUser,
    person_id: int,
    kind: PathStepKind,
    values: Mapping[str, str],
    now: datetime,
) -> StepResult:
    """A step of the person's path, from a form's fields; every problem, by field."""
    if await notes.access(tx, user, person_id) is not Access.OPEN:
        return StepResult(None, {"kind": N_("You cannot record steps on this record.")})
    step, form = _read(kind, person_id, values)
    if step.company_id is not None and await tx.companies.get(step.company_id) is None:
        form.problems["company_id"] = N_("There is no such company.")
    if step.internship_id is not None:
        internship = await tx.paths.get(step.internship_id)
        if (
            internship is None
            or internship.person_id != person_id
            or internship.kind != K.INTERNSHIP
        ):
            form.problems["internship_id"] = N_("Choose one of the options.")
    if form.problems:
        return StepResult(None, form.problems)
    step_id = await tx.paths.add(replace(step, recorded_by=user.id), now)
    await report_counts.count_step(tx, step, 1)  # for the report: survives erasure
    await accounts.audit(tx, user.id, f"path.{kind.value}", "path_step", step_id, now)
    return StepResult(step_id)


async def end_internship(
    tx: Session, user: DeskUser, step_id: int, values: Mapping[str, str], now: datetime
) -> StepResult:
    """The internship's actual end and its reason."""
    step = await tx.paths.get(step_id)
    if step is None or step.kind != K.INTERNSHIP:
        return StepResult(None, {"ended_on": N_("There is no such internship.")})
    if await notes.access(tx, user, step.person_id) is not Access.OPEN:
        return StepResult(None, {"ended_on": N_("You cannot record steps on this record.")})
    form = _Form(values)
    ended = form.day("ended_on", required=True)
    form.not_before("ended_on", ended, step.started_on)
    reason = form.choice("end_reason", InternshipEnd)
    if form.problems or ended is None or reason is None:
        return StepResult(None, form.problems)
    await tx.paths.end_internship(step_id, ended, InternshipEnd(reason))
    await report_counts.count_internship_end(tx, step, ended, InternshipEnd(reason))
    await accounts.audit(tx, user.id, "path.internship_end", "path_step", step_id, now)
    return StepResult(step_id)


async def delete_step(tx: Session, user: DeskUser, step_id: int, now: datetime) -> int | None:
    """A step recorded by mistake; the person's id, or None if nothing was deleted."""
    step = await tx.paths.get(step_id)
    if step is None or await notes.access(tx, user, step.person_id) is not Access.OPEN:
        return None
    await tx.paths.delete(step_id)
    await report_counts.count_step(tx, step, -1)
    await accounts.audit(tx, user.id, "path.delete", "path_step", step_id, now)
    return step.person_id


async def path_of(tx: Session, person_id: int) -> list[PathStep]:
    return await tx.paths.of_person(person_id)


def outcome_code(step: PathStep, steps: list[PathStep]) -> str | None:
    """ANPAL's DEC_ESITO_AZIONE_PAI code for the step as it stands; None where it has none."""
    if step.kind is K.TRAINING:
        return TRAINING_COMPLETED if step.completed else None
    if step.kind is K.INTERNSHIP:
        if step.end_reason is None:
            return INTERNSHIP_STARTED
        hires = [s for s in steps if s.kind is K.HIRE]
        if step.end_reason is InternshipEnd.HIRED and hires:
            # CAS: hired where the internship was; CAU: by another company
            return "CAS" if any(h.internship_id == step.id for h in hires) else "CAU"
        return INTERNSHIP_END_OUTCOMES[step.end_reason]
    if step.kind is K.HIRE and step.contract is not None:
        code = CONTRACT_CODES[step.contract]
        if code is not None:
            return code
        return HIRE_SAME_COMPANY if step.internship_id else HIRE_OTHER_COMPANY
    return None
