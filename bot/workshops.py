"""Workshops and announcements: the one place that registers people, moves the waiting
list, and starts or stops broadcasts. Works inside the caller's write transaction, so a
change and the messages it causes are committed together."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from bot.agenda import Agenda
from bot.clock import ROME
from bot.domain import JSON, Audience, Broadcast, Workshop
from bot.slots import quiet_adjusted
from storage.session import Session

CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off posters
WHEN = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?\s+(\d{1,2})[:.](\d{2})\s*$")
AUDIENCE_QUESTIONS = ("goal", "age_band", "sectors", "italian", "languages")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def parse_when(text: str, now: datetime) -> datetime | None:
    """ "12/12/2026 10:00", "12/12 10:00" (this year, or next if past) -> a Rome moment."""
    match = WHEN.match(text)
    if match is None:
        return None
    day, month, year, hour, minute = match.groups()
    local_now = now.astimezone(ROME)
    full_year = int(year) + 2000 if year and len(year) == 2 else int(year or local_now.year)
    try:
        moment = datetime(full_year, int(month), int(day), int(hour), int(minute), tzinfo=ROME)
    except ValueError:
        return None
    if year is None and moment < local_now:
        moment = moment.replace(year=moment.year + 1)
    return moment


def matches(audience: Audience, answers: dict[str, JSON]) -> bool:
    """Does a person's intake fit the audience? An empty criterion accepts anyone."""
    if audience.goals and answers.get("goal") not in audience.goals:
        return False
    if audience.age_bands and answers.get("age_band") not in audience.age_bands:
        return False
    sectors = answers.get("sectors") or []
    if audience.sectors and not (
        isinstance(sectors, list) and set(sectors) & set(audience.sectors)
    ):
        return False
    if audience.languages:
        spoken = set(answers.get("languages") or [])
        if answers.get("italian") in ("native", "good"):
            spoken.add("it")
        if not spoken & set(audience.languages):
            return False
    return True


async def recipients(tx: Session, audience: Audience) -> list[int]:
    """Who a broadcast reaches: opted in, reachable, not erased, and matching."""
    candidates = await tx.people.opted_in_reachable()
    if audience == Audience():
        return candidates
    answers = await tx.answers.of_people(AUDIENCE_QUESTIONS)
    return [p for p in candidates if matches(audience, answers.get(p, {}))]


async def start_broadcast(tx: Session, broadcast: Broadcast, now: datetime) -> int | None:
    """Queue one message per recipient; None if it was already started (two "Send" taps)."""
    people = await recipients(tx, broadcast.audience)
    if not await tx.broadcasts.start(broadcast.id, len(people)):
        return None
    workshop = await tx.workshops.get(broadcast.workshop_id) if broadcast.workshop_id else None
    kind = "workshop_invitation" if workshop else "announcement"
    for person_id in people:
        await tx.outbox.add(
            kind,
            now,
            now,
            person_id=person_id,
            broadcast_id=broadcast.id,
            workshop_id=workshop.id if workshop else None,
            not_after=workshop.starts_at if workshop else now + timedelta(days=7),
        )
    if not people:
        await tx.broadcasts.finish(broadcast.id, "done", now)
    return len(people)


async def stop_broadcast(tx: Session, broadcast: Broadcast, now: datetime) -> int:
    stopped = await tx.broadcasts.stop_pending(broadcast.id)
    await tx.broadcasts.finish(broadcast.id, "stopped", now)
    return stopped


def open_for_answers(workshop: Workshop, now: datetime) -> bool:
    return workshop.cancelled_at is None and workshop.starts_at > now


async def seats_left(tx: Session, workshop: Workshop) -> int:
    taken = [r for r in await tx.registrations.of_workshop(workshop.id) if r.seat is not None]
    return max(workshop.capacity - len(taken), 0)


async def register(
    tx: Session, agenda: Agenda, workshop: Workshop, person_id: int, now: datetime
) -> str:
    """ "registered", "already", "full" or "closed"."""
    if not open_for_answers(workshop, now):
        return "closed"
    current = await tx.registrations.get(workshop.id, person_id)
    if current is not None and current.seat is not None:
        return "already"
    if not await tx.registrations.take_seat(workshop, person_id, now):
        return "full"
    await plan_reminders(tx, agenda, workshop, person_id, now)
    return "registered"


async def leave(
    tx: Session, agenda: Agenda, workshop: Workshop, person_id: int, now: datetime, status: str
) -> None:
    """Cancel a seat (or a place on the waiting list); a freed seat goes to the first waiting."""
    freed = await tx.registrations.release(workshop.id, person_id, status, now)
    await tx.outbox.drop_for_workshop(workshop.id, person_id, status)
    if freed and open_for_answers(workshop, now):
        await promote_waiting(tx, agenda, workshop, now)


async def promote_waiting(tx: Session, agenda: Agenda, workshop: Workshop, now: datetime) -> None:
    waiting = await tx.registrations.first_waiting(workshop.id)
    if waiting is None or not await tx.registrations.take_seat(workshop, waiting, now):
        return
    await plan_reminders(tx, agenda, workshop, waiting, now)
    await tx.outbox.add(
        "workshop_seat",
        now,
        now,
        person_id=waiting,
        workshop_id=workshop.id,
        not_after=workshop.starts_at,
    )


async def plan_reminders(
    tx: Session, agenda: Agenda, workshop: Workshop, person_id: int, now: datetime
) -> None:
    for offset in agenda.rules.reminder_offsets:
        due = quiet_adjusted(workshop.starts_at - offset, agenda.rules)
        if due > now:
            await tx.outbox.add(
                "workshop_reminder",
                due,
                now,
                person_id=person_id,
                workshop_id=workshop.id,
                not_after=workshop.starts_at,
            )
