"""Everything about a person: first contact, language and source, the notice and the
announcements opt-in, erasure, "my data", and linking two identities of one person.

Each function works inside the caller's write transaction (`tx`). The intake answers are in
bot/capabilities/intake_answers.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.agenda import Agenda
from bot.capabilities import appointments
from bot.domain import (
    JSON,
    BookingStatus,
    Channel,
    Consent,
    Identity,
    NextStep,
    Person,
    Registration,
    Workshop,
)
from bot.i18n import SHIPPED_LANGUAGES
from storage.db import Database
from storage.path_repos import FollowUpAnswer, PathStep, Proposal
from storage.session import Session


class ConsentKind(StrEnum):
    """The kinds of rows in the consent history (consents.kind)."""

    NOTICE = "notice"  # the privacy notice: accepted or declined, per version
    ANNOUNCEMENTS = "announcements"  # the optional workshop and job news
    FOLLOWUP = "followup"  # the optional questions 3, 6 and 12 months after the meeting


# -- contact ---------------------------------------------------------------------------------


async def first_contact(
    tx: Session, channel: Channel, external_id: str, now: datetime, language: str | None
) -> Person:
    """A person writes for the first time: they and their identity on the channel."""
    return await tx.people.create(channel, external_id, now, language)


async def touch(
    tx: Session, person_id: int, channel: Channel, external_id: str, now: datetime
) -> None:
    """The person wrote to us: reachable again, and the channel's window restarts."""
    await tx.people.touch(person_id, channel, external_id, now)


async def mark_unreachable(tx: Session, channel: Channel, external_id: str, now: datetime) -> None:
    """The platform says the person blocked us: nothing more is planned for them."""
    await tx.people.mark_unreachable(channel, external_id, now)


async def set_source(tx: Session, person_id: int, source: str) -> bool:
    """Where the person came from (a deep link); the first one stays. True if recorded."""
    return await tx.people.set_source(person_id, source)


class LanguageChange(StrEnum):
    CHANGED = "changed"
    NOT_OFFERED = "not_offered"  # no catalog of ours speaks it


async def set_language(tx: Session, person_id: int, language: str) -> LanguageChange:
    if language not in SHIPPED_LANGUAGES:
        return LanguageChange.NOT_OFFERED
    await tx.people.set_language(person_id, language)
    return LanguageChange.CHANGED


# -- consents --------------------------------------------------------------------------------


async def _record(
    tx: Session, person_id: int, kind: ConsentKind, version: str, granted: bool, now: datetime
) -> Consent:
    await tx.consents.record(person_id, kind, version, granted, now)
    return Consent(kind=kind, version=version, granted=granted, at=now)


async def record_notice(
    tx: Session, person_id: int, version: str, accepted: bool, now: datetime
) -> Consent:
    """The person accepted or declined this version of the notice; a refusal is all we keep."""
    return await _record(tx, person_id, ConsentKind.NOTICE, version, accepted, now)


async def set_announcements(
    tx: Session, person_id: int, version: str, wanted: bool, now: datetime
) -> Consent:
    """The opt-in lives only in the consent history: its latest row is the current choice."""
    return await _record(tx, person_id, ConsentKind.ANNOUNCEMENTS, version, wanted, now)


async def set_followup(
    tx: Session, person_id: int, version: str, agreed: bool, now: datetime
) -> Consent:
    """The follow-up opt-in, like the announcements one: see outcome_followup.set_consent,
    which also plans or drops the questions."""
    return await _record(tx, person_id, ConsentKind.FOLLOWUP, version, agreed, now)


async def notice_accepted(tx: Session, person_id: int) -> bool:
    """Their latest answer to the notice (any version) was yes."""
    notice = await tx.consents.latest(person_id, ConsentKind.NOTICE)
    return notice is not None and notice.granted


async def announcements_wanted(tx: Session, person_id: int) -> bool:
    news = await tx.consents.latest(person_id, ConsentKind.ANNOUNCEMENTS)
    return news is not None and news.granted


# -- erasure ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    erased: bool  # False: nobody with that number
    cancelled_appointments: int


async def erase(tx: Session, agenda: Agenda, person_id: int, now: datetime) -> Erasure:
    """Delete the person and everything linked to them (their path, follow-up answers,
    proposals to companies and planned messages go with them, by ON DELETE CASCADE). Their
    appointments are cancelled first: the slot goes back to others, the operator is told, and
    the booking record stays without the person's identity. Call `after_erasure` once the
    transaction has committed."""
    if await tx.people.get(person_id) is None:
        return Erasure(erased=False, cancelled_appointments=0)
    active = await tx.bookings.active_for(person_id)
    for booking in active:
        await appointments.cancel(tx, agenda, booking, now)
    await tx.people.erase(person_id, now)
    return Erasure(erased=True, cancelled_appointments=len(active))


async def after_erasure(db: Database) -> bool:
    """Fold the write-ahead log into the file so no copy of erased rows is left; a reader
    holding an older snapshot makes the storage layer try again later (False then)."""
    return await db.checkpoint()


# -- my data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppointmentRecord:
    """What an appointment row says about the person (not the operator's host link)."""

    starts_at: datetime
    ends_at: datetime
    status: BookingStatus
    operator_id: str
    confirmed_at: datetime | None
    next_step: NextStep | None
    satisfaction: int | None
    join_url: str | None


@dataclass(frozen=True)
class WorkshopPlace:
    workshop: Workshop
    registration: Registration


@dataclass(frozen=True)
class PersonalData:
    """Everything stored about one person, for the chat's "my data" or an export file."""

    person: Person
    identities: tuple[Identity, ...]
    consents: tuple[Consent, ...]
    answers: dict[str, JSON]
    appointments: tuple[AppointmentRecord, ...]
    workshops: tuple[WorkshopPlace, ...]
    on_waitlist: bool
    path: tuple[PathStep, ...] = ()  # recorded by operators
    followups: tuple[FollowUpAnswer, ...] = ()  # the person's own answers
    proposals: tuple[Proposal, ...] = ()  # for companies' job profiles


async def my_data(tx: Session, person_id: int) -> PersonalData | None:
    person = await tx.people.get(person_id)
    if person is None:
        return None
    return PersonalData(
        person=person,
        identities=tuple(await tx.people.identities(person_id)),
        consents=tuple(await tx.consents.history(person_id)),
        answers=await tx.answers.all(person_id),
        appointments=tuple(
            AppointmentRecord(
                starts_at=b.starts_at,
                ends_at=b.ends_at,
                status=b.status,
                operator_id=b.operator_id,
                confirmed_at=b.confirmed_at,
                next_step=b.next_step,
                satisfaction=b.satisfaction,
                join_url=b.join_url,
            )
            for b in await tx.bookings.of_person(person_id)
        ),
        workshops=await _workshop_places(tx, person_id),
        on_waitlist=await tx.waitlist.contains(person_id),
        path=tuple(await tx.paths.of_person(person_id)),
        followups=tuple(await tx.followups.of_person(person_id)),
        proposals=tuple(await tx.proposals.of_person(person_id)),
    )


async def _workshop_places(tx: Session, person_id: int) -> tuple[WorkshopPlace, ...]:
    places = []
    for registration in await tx.registrations.of_person(person_id):
        workshop = await tx.workshops.get(registration.workshop_id)
        if workshop is not None:
            places.append(WorkshopPlace(workshop, registration))
    return tuple(sorted(places, key=lambda p: p.workshop.starts_at))


# -- linking identities ----------------------------------------------------------------------


@dataclass(frozen=True)
class IdentityKey:
    channel: Channel
    external_id: str


class LinkOutcome(StrEnum):
    LINKED = "linked"
    ALREADY_ONE = "already_one"
    UNKNOWN_FIRST = "unknown_first"  # nobody has written to us from the first identity
    UNKNOWN_SECOND = "unknown_second"


@dataclass(frozen=True)
class LinkResult:
    outcome: LinkOutcome
    kept: int | None = None  # the person who remains (the one who wrote to us first)
    merged: int | None = None  # the person who became part of them
    active_appointments: int = 0  # more than one: the desk cancels the extra one


async def link(tx: Session, first: IdentityKey, second: IdentityKey) -> LinkResult:
    """Make the people behind two identities one person; the older stays."""
    one = await tx.people.by_identity(first.channel, first.external_id)
    other = await tx.people.by_identity(second.channel, second.external_id)
    if one is None:
        return LinkResult(LinkOutcome.UNKNOWN_FIRST)
    if other is None:
        return LinkResult(LinkOutcome.UNKNOWN_SECOND)
    if one.id == other.id:
        return LinkResult(LinkOutcome.ALREADY_ONE, kept=one.id)
    keep, drop = sorted((one, other), key=lambda p: (p.created_at, p.id))
    await tx.paths.merge(drop.id, keep.id)
    await tx.people.merge(drop.id, keep.id)
    active = await tx.bookings.active_for(keep.id)
    return LinkResult(LinkOutcome.LINKED, keep.id, drop.id, len(active))
