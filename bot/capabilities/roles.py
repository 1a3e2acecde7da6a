"""Who may do what: staff (workshops, announcements, attendance) and operators (their day,
outcomes). Staff are recognised by their Telegram user id, checked on the server at every
step; nothing a client sends makes someone staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.agenda import Agenda
from bot.domain import Channel
from bot.slots import Operator
from storage.session import Session

MAX_NAME = 80


class Role(StrEnum):
    STAFF = "staff"
    OPERATOR = "operator"


class StaffIdError(ValueError):
    """Not a Telegram user id; the message says what one looks like."""


@dataclass(frozen=True)
class StaffMember:
    telegram_id: str
    name: str


def staff_id(text: str) -> str:
    """A Telegram user id (a positive whole number), as stored; StaffIdError otherwise."""
    cleaned = text.strip()
    if not cleaned.isascii() or not cleaned.isdigit() or int(cleaned) <= 0:
        raise StaffIdError(
            f"{text!r} is not a Telegram user id: it is a positive whole number such as "
            "123456789 (the person can see theirs by writing to @userinfobot)."
        )
    return str(int(cleaned))


async def is_staff(tx: Session, channel: Channel, external_id: str) -> bool:
    return channel is Channel.TELEGRAM and await tx.staff.contains(external_id)


def operator_of(agenda: Agenda, channel: Channel, external_id: str) -> Operator | None:
    """The operator writing, if the sender is one (operators use Telegram)."""
    if channel is not Channel.TELEGRAM:
        return None
    return agenda.operator_by_telegram(external_id)


async def roles_of(
    tx: Session, agenda: Agenda, channel: Channel, external_id: str
) -> frozenset[Role]:
    found = set()
    if await is_staff(tx, channel, external_id):
        found.add(Role.STAFF)
    if operator_of(agenda, channel, external_id) is not None:
        found.add(Role.OPERATOR)
    return frozenset(found)


async def add_staff(tx: Session, raw_id: str, name: str, now: datetime) -> StaffMember:
    """Make a Telegram user staff (again: their name is updated)."""
    member = StaffMember(staff_id(raw_id), name.strip()[:MAX_NAME])
    await tx.staff.add(member.telegram_id, member.name, now)
    return member


async def remove_staff(tx: Session, raw_id: str) -> bool:
    """False when they were not staff. An id stored before ids were checked can still go."""
    try:
        telegram_id = staff_id(raw_id)
    except StaffIdError:
        telegram_id = raw_id.strip()
    return await tx.staff.remove(telegram_id)


async def staff_members(tx: Session) -> list[StaffMember]:
    return [StaffMember(tid, name) for tid, name in await tx.staff.listing()]
