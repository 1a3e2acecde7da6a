"""Announcements and workshop invitations: who they reach, starting them once, stopping
them. Works inside the caller's write transaction: the broadcast and its outbox rows are
committed together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.capabilities import messaging
from bot.domain import (
    JSON,
    Audience,
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    OutboxKind,
    Workshop,
)
from storage.session import Session

AUDIENCE_QUESTIONS = ("goal", "age_band", "sectors", "italian", "languages")
ANNOUNCEMENT_LIFETIME = timedelta(days=7)  # an announcement not sent by then is stale


@dataclass(frozen=True)
class SendResult:
    broadcast: Broadcast
    recipients: int
    started: bool  # False: it had been started already (two "Send" taps)


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


async def send_announcement(
    tx: Session,
    text: str,
    audience: Audience,
    created_by: str,
    now: datetime,
    *,
    progress_chat: str | None = None,
) -> SendResult:
    """`progress_chat`: the chat to show its progress in (None: a page polls it)."""
    broadcast = await tx.broadcasts.create(
        kind=BroadcastKind.ANNOUNCEMENT,
        workshop_id=None,
        text=text,
        audience=audience,
        created_by=created_by,
        now=now,
        progress_chat=progress_chat,
    )
    return await start_broadcast(tx, broadcast, now)


async def send_invitation(
    tx: Session,
    workshop: Workshop,
    audience: Audience,
    created_by: str,
    now: datetime,
    *,
    progress_chat: str | None = None,
) -> SendResult:
    broadcast = await tx.broadcasts.create(
        kind=BroadcastKind.WORKSHOP,
        workshop_id=workshop.id,
        text=None,
        audience=audience,
        created_by=created_by,
        now=now,
        progress_chat=progress_chat,
    )
    return await start_broadcast(tx, broadcast, now)


async def start_broadcast(tx: Session, broadcast: Broadcast, now: datetime) -> SendResult:
    """Queue one message per recipient, once: a draft moves to sending in one UPDATE."""
    people = await recipients(tx, broadcast.audience)
    if not await tx.broadcasts.start(broadcast.id, len(people)):
        return SendResult(broadcast, 0, started=False)
    workshop = await tx.workshops.get(broadcast.workshop_id) if broadcast.workshop_id else None
    kind = OutboxKind.WORKSHOP_INVITATION if workshop else OutboxKind.ANNOUNCEMENT
    for person_id in people:
        await messaging.plan(
            tx,
            kind,
            now,
            now,
            person_id=person_id,
            broadcast_id=broadcast.id,
            workshop_id=workshop.id if workshop else None,
            not_after=workshop.starts_at if workshop else now + ANNOUNCEMENT_LIFETIME,
        )
    if not people:
        await tx.broadcasts.finish(broadcast.id, BroadcastStatus.DONE, now)
    return SendResult(broadcast, len(people), started=True)


async def stop_broadcast(tx: Session, broadcast: Broadcast, now: datetime) -> int:
    """Drop what is still pending; how many messages will not be sent."""
    stopped = await tx.broadcasts.stop_pending(broadcast.id)
    await tx.broadcasts.finish(broadcast.id, BroadcastStatus.STOPPED, now)
    return stopped


async def stop_broadcasts_of(tx: Session, created_by: str, now: datetime) -> int:
    """Stop every broadcast this staff member is sending (/ferma_invio)."""
    stopped = 0
    for broadcast in await tx.broadcasts.of_staff(created_by, BroadcastStatus.SENDING):
        stopped += await stop_broadcast(tx, broadcast, now)
    return stopped


async def stop_broadcasts_for_workshop(tx: Session, workshop_id: int, now: datetime) -> int:
    """A cancelled workshop's invitations still being sent stop too."""
    stopped = 0
    for broadcast in await tx.broadcasts.in_status(BroadcastStatus.SENDING):
        if broadcast.workshop_id == workshop_id:
            stopped += await stop_broadcast(tx, broadcast, now)
    return stopped
