"""Proposing a person for a company's job profile, with the operator deciding.

An operator (of that person, or an administrator) proposes them with a written reason; the
proposal and its id go to the audit log; the person is told in the chat, in their language,
what was proposed and why, and answers Interested, Not interested, or objects (GDPR art. 21).
Only an interested answer lets the desk contact the company, outside the bot. The bot never
proposes anyone by itself: there is no other way to create a proposal than `propose`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.capabilities import accounts, messaging, notes, people, report_counts
from bot.capabilities.notes import Access
from bot.domain import OutboxKind
from bot.i18n import N_
from bot.placement import ProfileState, ProposalAnswer
from storage.path_repos import Proposal
from storage.session import Session
from storage.user_repos import DeskUser

MAX_REASON = 1000


@dataclass(frozen=True)
class ProposalResult:
    proposal_id: int | None
    problems: dict[str, str] = field(default_factory=dict)  # field -> untranslated message


async def propose(
    tx: Session, user: DeskUser, person_id: int, profile_id: int, reason: str, now: datetime
) -> ProposalResult:
    """The operator's proposal; the person hears of it through the outbox at once."""
    reason = reason.strip()
    problems: dict[str, str] = {}
    if await notes.access(tx, user, person_id) is not Access.OPEN:
        problems["person"] = N_("You cannot propose this person.")
    profile = await tx.job_profiles.get(profile_id)
    if profile is None or profile.state is not ProfileState.OPEN:
        problems["profile"] = N_("This profile is not open.")
    if not reason:
        problems["reason"] = N_("Write why you propose this person: they will read it.")
    elif len(reason) > MAX_REASON:
        problems["reason"] = N_("At most 1000 characters.")
    if not problems and not await people.notice_accepted(tx, person_id):
        problems["person"] = N_("This person has not accepted the privacy notice.")
    if not problems and any(
        p.profile_id == profile_id and p.answer in (None, ProposalAnswer.INTERESTED)
        for p in await tx.proposals.of_person(person_id)
    ):
        problems["profile"] = N_("This person has already been proposed for this profile.")
    if problems:
        return ProposalResult(None, problems)
    proposal_id = await tx.proposals.add(person_id, profile_id, reason, user.id, now)
    await report_counts.count_proposal_made(tx, person_id, now)
    # By id only: the reason is in the proposal, and goes with the person on erasure.
    await accounts.audit(tx, user.id, "proposal.add", "proposal", proposal_id, now)
    await messaging.plan(
        tx, OutboxKind.PROPOSAL, now, now, person_id=person_id, payload={"proposal": proposal_id}
    )
    return ProposalResult(proposal_id)


async def of_person(tx: Session, person_id: int) -> list[Proposal]:
    return await tx.proposals.of_person(person_id)


async def of_profile(tx: Session, profile_id: int) -> list[Proposal]:
    return await tx.proposals.of_profile(profile_id)


async def mine(tx: Session, person_id: int, proposal_id: int) -> Proposal | None:
    """The proposal, if it was made to this person (button data is never trusted)."""
    found = await tx.proposals.get(proposal_id)
    return found if found is not None and found.person_id == person_id else None


async def waiting(tx: Session, person_id: int) -> Proposal | None:
    """The oldest proposal the person has not answered yet."""
    return next((p for p in await tx.proposals.of_person(person_id) if p.answer is None), None)


async def latest(tx: Session, person_id: int) -> Proposal | None:
    """The proposal the person can still change their answer to: the latest not objected."""
    found = await tx.proposals.of_person(person_id)
    return next((p for p in reversed(found) if p.answer is not ProposalAnswer.OBJECTED), None)


async def answer(
    tx: Session, person_id: int, proposal_id: int, given: ProposalAnswer, now: datetime
) -> Proposal | None:
    """The person's answer (they may change it; an objection is final). None when the
    proposal is not theirs or they objected to it already."""
    found = await mine(tx, person_id, proposal_id)
    if found is None or found.answer is ProposalAnswer.OBJECTED:
        return None
    await tx.proposals.answer(proposal_id, given, now)
    await report_counts.count_proposal_answer(
        tx, person_id, found.answer, found.answered_at, given, now
    )
    await accounts.audit(tx, None, f"proposal.{given.value}", "proposal", proposal_id, now)
    return await tx.proposals.get(proposal_id)
