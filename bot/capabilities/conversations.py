"""A person's conversation as the flow engine keeps it: the event claimed once, the state saved.

The engine calls these inside the turn's transaction, so a re-delivered update stops at the
claim and the state written is the one the replies were computed from."""

from __future__ import annotations

from datetime import datetime

from bot.domain import Conversation
from storage.session import Session


async def claim_event(tx: Session, dedupe_key: str, now: datetime) -> bool:
    """False when a platform delivers the same update again: it was handled already."""
    return await tx.events.claim(dedupe_key, now)


async def save(tx: Session, person_id: int, conversation: Conversation, now: datetime) -> None:
    await tx.conversations.save(person_id, conversation, now)
