"""Small builders for the workshop capability tests: people, a workshop, codes."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.app import App
from bot.capabilities import workshop_admin as wa
from bot.domain import Channel, Workshop
from storage.session import Session


def codes(app: App) -> wa.AudienceCodes:
    return wa.AudienceCodes.of(app.engine.content.sectors)


def fields(now: datetime, **changes: object) -> dict[str, object]:
    return {
        "title": "CV clinic",
        "description": "Bring your CV.",
        "starts": now + timedelta(days=8),
        "duration": 90,
        "capacity": 2,
        "place": "Sala Staffetti, Lucca",
        **changes,
    }


async def new_workshop(tx: Session, app: App, **changes: object) -> Workshop:
    now = app.clock.now()
    draft = wa.validate(fields(now, **changes), now, codes(app))
    return await wa.create_workshop(tx, draft, "test", now)


async def new_person(tx: Session, app: App, who: str, *, news: bool = True) -> int:
    now = app.clock.now()
    person = await tx.people.create(Channel.TELEGRAM, who, now, "it")
    await tx.consents.record(person.id, "notice", "v", True, now)
    await tx.consents.record(person.id, "announcements", "v", news, now)
    return person.id


async def pending(tx: Session, kind: str, person_id: int | None = None) -> int:
    """How many messages of this kind are waiting to go out (to this person)."""
    return sum(
        1
        for item in await tx.outbox.listing(("pending",))
        if item.kind == kind and person_id in (None, item.person_id)
    )
