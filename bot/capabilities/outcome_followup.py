"""Follow-up: 3, 6 and 12 months after a person's first attended meeting, those who agreed
get a short question in the chat (working now? which contract? with the internship's
company?); their answers are self-declared outcomes, kept apart from the steps operators
record (paths.py).

Agreeing is its own opt-in, separate from the notice and from the announcements, revocable
at any time: revoking (or erasure, by ON DELETE CASCADE) drops the questions still planned.
The questions go through the outbox at FOLLOWUP_TIME on a weekday, outside any quiet hours,
and outside WhatsApp's 24-hour window through the `followup` template."""

from __future__ import annotations

from calendar import monthrange
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from bot.capabilities import messaging, people, report_counts
from bot.clock import ROME
from bot.domain import BookingStatus, Consent, OutboxKind
from bot.placement import FOLLOWUP_MONTHS, ContractType, PathStepKind, WorkStatus
from storage.path_repos import FollowUpAnswer
from storage.session import Session

FOLLOWUP_TIME = time(10, 30)
"""Late morning in Lucca: after any evening-to-morning quiet hours, before lunch."""
ANSWER_WITHIN = timedelta(days=14)
"""A question not sent by then (the bot was down, the number blocked) is dropped."""


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day where it is shorter (31 -> 30)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def send_time(meeting: datetime, months: int) -> datetime:
    """When the question goes: FOLLOWUP_TIME, `months` after the meeting, a weekday."""
    day = add_months(meeting.astimezone(ROME).date(), months)
    while day.weekday() >= 5:  # Saturday, Sunday: the Monday after
        day += timedelta(days=1)
    return datetime.combine(day, FOLLOWUP_TIME, tzinfo=ROME)


async def wanted(tx: Session, person_id: int) -> bool:
    consent = await tx.consents.latest(person_id, people.ConsentKind.FOLLOWUP)
    return consent is not None and consent.granted


async def never_asked(tx: Session, person_id: int) -> bool:
    """The person has never said yes or no to the follow-up."""
    return await tx.consents.latest(person_id, people.ConsentKind.FOLLOWUP) is None


async def first_meeting(tx: Session, person_id: int) -> datetime | None:
    attended = [
        b.starts_at
        for b in await tx.bookings.of_person(person_id)
        if b.status == BookingStatus.ATTENDED
    ]
    return min(attended, default=None)


async def plan(tx: Session, person_id: int, now: datetime) -> int:
    """Plan the questions still ahead, if the person agreed and has attended a meeting; the
    ones already planned or answered are not planned twice. How many were planned."""
    meeting = await first_meeting(tx, person_id)
    if meeting is None or not await wanted(tx, person_id):
        return 0
    planned = set(await tx.followups.planned(person_id))
    answered = {a.months for a in await tx.followups.of_person(person_id)}
    count = 0
    for months in FOLLOWUP_MONTHS:
        due = send_time(meeting, months)
        if months in planned | answered or due <= now:
            continue
        await messaging.plan(
            tx,
            OutboxKind.FOLLOWUP,
            due,
            now,
            person_id=person_id,
            payload={"months": months},
            not_after=due + ANSWER_WITHIN,
        )
        count += 1
    return count


async def set_consent(
    tx: Session, person_id: int, version: str, agreed: bool, now: datetime
) -> Consent:
    """Yes plans the questions (if a meeting was attended); no drops those still planned."""
    consent = await people.set_followup(tx, person_id, version, agreed, now)
    if agreed:
        await plan(tx, person_id, now)
    else:
        await tx.followups.drop_planned(person_id, "follow-up revoked")
    return consent


async def after_attended(tx: Session, person_id: int, now: datetime) -> int:
    """An operator recorded that the person attended: the questions count from the first
    attended meeting, so only the first one plans anything."""
    return await plan(tx, person_id, now)


async def open_question(tx: Session, person_id: int, months: int) -> FollowUpAnswer | None:
    """The follow-up the person can answer now: asked, agreed to, not answered yet."""
    if months not in FOLLOWUP_MONTHS or not await wanted(tx, person_id):
        return None
    found = await tx.followups.get(person_id, months)
    return found if found is not None and found.answered_at is None else None


async def asked(tx: Session, person_id: int, months: int, now: datetime) -> None:
    """The question went out: its row waits for the answers (asked again: counted once)."""
    if months not in FOLLOWUP_MONTHS:  # a damaged conversation state: nothing to record
        return
    if await tx.followups.get(person_id, months) is None:
        await report_counts.count_followup_asked(tx, person_id, months, now)
    await tx.followups.asked(person_id, months, now)


async def had_internship(tx: Session, person_id: int) -> bool:
    return any(s.kind is PathStepKind.INTERNSHIP for s in await tx.paths.of_person(person_id))


async def answer_working(
    tx: Session, person_id: int, months: int, status: WorkStatus, now: datetime
) -> FollowUpAnswer | None:
    """Working now? Not working (or self-employed) is a whole answer; employed asks on."""
    found = await open_question(tx, person_id, months)
    if found is None:
        return None
    done = status is not WorkStatus.EMPLOYED
    saved = replace(found, working=status, answered_at=now if done else None)
    await tx.followups.save(saved)
    await report_counts.count_followup_answered(tx, saved)
    return saved


async def answer_contract(
    tx: Session,
    person_id: int,
    months: int,
    contract: ContractType | None,
    now: datetime,
    *,
    last: bool,
) -> FollowUpAnswer | None:
    """Which contract (None: they do not know); `last` when no question follows."""
    found = await open_question(tx, person_id, months)
    if found is None or found.working is not WorkStatus.EMPLOYED:
        return None
    saved = replace(found, contract=contract, answered_at=now if last else None)
    await tx.followups.save(saved)
    await report_counts.count_followup_answered(tx, saved)
    return saved


async def answer_same_company(
    tx: Session, person_id: int, months: int, same: bool | None, now: datetime
) -> FollowUpAnswer | None:
    """With the company of the internship? The last question."""
    found = await open_question(tx, person_id, months)
    if found is None or found.working is not WorkStatus.EMPLOYED:
        return None
    saved = replace(found, same_company=same, answered_at=now)
    await tx.followups.save(saved)
    await report_counts.count_followup_answered(tx, saved)
    return saved
