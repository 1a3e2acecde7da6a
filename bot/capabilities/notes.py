"""A person's record in the back-office: who may open it, operators' private notes, and
erasing it. Every view and every change is written to the audit log, by id only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.agenda import Agenda
from bot.capabilities import accounts, people
from bot.capabilities.accounts import Role
from bot.i18n import N_
from storage.session import Session
from storage.user_repos import DeskUser

MAX_NOTE = 4000


class Access(StrEnum):
    OPEN = "open"
    MISSING = "missing"  # no such person (or erased)
    NOT_YOURS = "not_yours"  # an operator asking about someone never booked with them


async def access(tx: Session, user: DeskUser, person_id: int) -> Access:
    """Operators see the people booked with them; administrators see anyone."""
    if await tx.people.get(person_id) is None:
        return Access.MISSING
    if user.role == Role.ADMIN:
        return Access.OPEN
    mine = user.role == Role.OPERATOR and user.operator_id is not None
    if mine and await tx.records.booked_with(person_id, user.operator_id or ""):
        return Access.OPEN
    return Access.NOT_YOURS


async def viewed(tx: Session, user: DeskUser, person_id: int, action: str, now: datetime) -> None:
    """Every look at a record (page or file) is audited."""
    await accounts.audit(tx, user.id, action, "person", person_id, now)


@dataclass(frozen=True)
class NoteResult:
    note_id: int | None
    problems: dict[str, str] = field(default_factory=dict)


async def add_note(
    tx: Session, user: DeskUser, person_id: int, body: str, now: datetime
) -> NoteResult:
    """A private note; the audit names it by id, never by its text."""
    body = body.strip()
    if not body:
        return NoteResult(None, {"body": N_("Write the note first.")})
    if len(body) > MAX_NOTE:
        return NoteResult(None, {"body": N_("A note can be at most 4000 characters long.")})
    if await access(tx, user, person_id) is not Access.OPEN:
        return NoteResult(None, {"body": N_("You cannot add notes to this record.")})
    note_id = await tx.notes.add(person_id, user.id, body, now)
    await accounts.audit(tx, user.id, "note.add", "note", note_id, now)
    return NoteResult(note_id)


async def erase(tx: Session, agenda: Agenda, user: DeskUser, person_id: int, now: datetime) -> bool:
    """What the chat's /cancella does (`people.erase`: active appointments cancelled first, so
    the slot goes back and the operator is told, then the person and everything linked to them
    deleted). Only an administrator; False if nothing was erased."""
    if user.role != Role.ADMIN:
        return False
    if not (await people.erase(tx, agenda, person_id, now)).erased:
        return False
    await accounts.audit(tx, user.id, "person.erase", "person", person_id, now)
    return True
