"""What the annual report counts about paths, follow-ups and proposals, and when.

The rows these facts live in (path_steps, followup_answers, proposals) go with the person on
erasure, so counting them at report time would undercount. Each fact is counted instead, as it
is recorded, in the anonymous `monitoring_counts` (tx.monitoring.count: by day, event and the
person's profile of the moment, never by person), and a correction or a deletion moves the
count back. The event names are made here and nowhere else: the capabilities call the
`count_*` functions, the report's tables (bot/monitoring/) read the same names.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.clock import ROME
from bot.placement import ContractType, InternshipEnd, PathStepKind, ProposalAnswer, WorkStatus
from storage.path_repos import FollowUpAnswer, PathStep
from storage.session import Session

K = PathStepKind

CPI_REFERRAL = "path_cpi_referral"
TRAINING_STARTED = "path_training_started"
TRAINING_COMPLETED = "path_training_completed"
INTERNSHIP_STARTED = "path_internship_started"
SELF_EMPLOYMENT = "path_self_employment"
PROPOSAL_MADE = "proposal_made"


def internship_ended(reason: InternshipEnd) -> str:
    return f"path_internship_end_{reason.value}"


def hired(contract: ContractType) -> str:
    return f"path_hire_{contract.value}"


def proposal_answered(answer: ProposalAnswer) -> str:
    return f"proposal_{answer.value}"


def followup(months: int, what: str) -> str:
    """`what`: asked, answered, a WorkStatus value, or contract_<ContractType value|unknown>."""
    return f"followup_{months}_{what}"


def followup_contract(months: int, contract: ContractType | None) -> str:
    return followup(months, f"contract_{contract.value if contract else 'unknown'}")


def _day(moment: datetime) -> str:
    return moment.astimezone(ROME).date().isoformat()


def step_events(step: PathStep) -> list[tuple[str, str]]:
    """(day, event) for what a step counts as it stands, each on the day it happened."""
    started = step.started_on.isoformat()
    if step.kind is K.CPI_REFERRAL:
        return [(started, CPI_REFERRAL)]
    if step.kind is K.SELF_EMPLOYMENT:
        return [(started, SELF_EMPLOYMENT)]
    if step.kind is K.TRAINING:
        events = [(started, TRAINING_STARTED)]
        if step.completed:
            events.append(((step.ended_on or step.started_on).isoformat(), TRAINING_COMPLETED))
        return events
    if step.kind is K.INTERNSHIP:
        events = [(started, INTERNSHIP_STARTED)]
        if step.end_reason is not None:
            ended: date = step.ended_on or step.started_on
            events.append((ended.isoformat(), internship_ended(step.end_reason)))
        return events
    if step.kind is K.HIRE and step.contract is not None:
        return [(started, hired(step.contract))]
    return []


async def count_step(tx: Session, step: PathStep, delta: int) -> None:
    """The step counted (1) or, recorded by mistake or about to change, uncounted (-1)."""
    for day, event in step_events(step):
        await tx.monitoring.count(day, event, step.person_id, delta)


async def count_internship_end(
    tx: Session, before: PathStep, ended_on: date, reason: InternshipEnd
) -> None:
    """An internship's end; a corrected end moves the count from the old reason and day (only
    the end: its start stays counted as it was)."""
    if before.end_reason is not None:
        day = (before.ended_on or before.started_on).isoformat()
        await tx.monitoring.count(day, internship_ended(before.end_reason), before.person_id, -1)
    await tx.monitoring.count(ended_on.isoformat(), internship_ended(reason), before.person_id, 1)


async def count_followup_asked(tx: Session, person_id: int, months: int, now: datetime) -> None:
    await tx.monitoring.count(_day(now), followup(months, "asked"), person_id, 1)


async def count_followup_answered(tx: Session, answer: FollowUpAnswer) -> None:
    """A follow-up whose last question was answered: counted once, on that day."""
    if answer.answered_at is None or answer.working is None:
        return
    day = _day(answer.answered_at)
    events = [followup(answer.months, "answered"), followup(answer.months, answer.working.value)]
    if answer.working is WorkStatus.EMPLOYED:
        events.append(followup_contract(answer.months, answer.contract))
    for event in events:
        await tx.monitoring.count(day, event, answer.person_id, 1)


async def count_proposal_made(tx: Session, person_id: int, now: datetime) -> None:
    await tx.monitoring.count(_day(now), PROPOSAL_MADE, person_id, 1)


async def count_proposal_answer(
    tx: Session,
    person_id: int,
    before: ProposalAnswer | None,
    before_at: datetime | None,
    given: ProposalAnswer,
    now: datetime,
) -> None:
    """An answer, counted on the day it is given; a changed answer moves the count from the
    old answer's day (an unchanged one counts nothing)."""
    if before is given:
        return
    if before is not None and before_at is not None:
        await tx.monitoring.count(_day(before_at), proposal_answered(before), person_id, -1)
    await tx.monitoring.count(_day(now), proposal_answered(given), person_id, 1)
