"""Plain-text listings for the administrator's commands. No personal data: people appear by
their internal number only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from bot.agenda import Agenda
from bot.capabilities import people
from bot.capabilities.people import IdentityKey, LinkOutcome, LinkResult
from bot.clock import ROME
from bot.domain import ACTIVE_STATUSES, BookingStatus, Channel
from bot.phone import e164_number
from bot.slots import WEEKDAYS, slots_between
from storage.db import Database


def local(moment: datetime) -> str:
    return moment.astimezone(ROME).strftime("%Y-%m-%d %a %H:%M")


def operators(agenda: Agenda) -> Iterator[str]:
    for op in agenda.operators:
        meeting = f"room {op.room_url}" if op.meeting == "room" else f"Zoom API user {op.zoom_user}"
        telegram = str(op.telegram_id) if op.telegram_id else "none: no digests or outcome prompts"
        yield f"{op.id}  {op.name}"
        yield f"    meeting:  {meeting}"
        yield f"    telegram: {telegram}"
        for weekday, key in enumerate(WEEKDAYS):
            windows = [w for w in op.windows if w.weekday == weekday]
            if windows:
                spans = ", ".join(f"{w.start:%H:%M}-{w.end:%H:%M}" for w in windows)
                yield f"    {key}: {spans}"


async def slots(db: Database, agenda: Agenda, first: date, days: int) -> list[str]:
    start = datetime.combine(first, datetime.min.time(), tzinfo=ROME)
    end = start + timedelta(days=days)
    async with db.read() as tx:
        booked = {(b.operator_id, b.starts_at): b for b in await tx.bookings.between(start, end)}
    lines = []
    for slot in slots_between(agenda.operators, agenda.rules, start, end):
        taken = booked.get((slot.operator_id, slot.starts_at))
        state = f"{taken.status} #{taken.id}" if taken else "free"
        lines.append(f"{local(slot.starts_at)}  {slot.operator_id:<16} {state}")
    return lines or ["no slots in that period (closed days, or no operator hours)"]


async def bookings(db: Database, first: date, days: int, every_status: bool) -> list[str]:
    start = datetime.combine(first, datetime.min.time(), tzinfo=ROME)
    statuses = tuple(BookingStatus) if every_status else ACTIVE_STATUSES
    async with db.read() as tx:
        found = await tx.bookings.between(start, start + timedelta(days=days), statuses)
    return [
        f"#{b.id:<5} {local(b.starts_at)}  {b.operator_id:<16} {b.status:<9} "
        f"person {b.person_id if b.person_id is not None else '(erased)'}"
        f"{'  confirmed' if b.confirmed_at else ''}{f'  next: {b.next_step}' if b.next_step else ''}"
        for b in found
    ] or ["no bookings in that period"]


async def outbox(db: Database, every_status: bool) -> list[str]:
    statuses = (
        ("pending", "sending", "sent", "failed", "dropped")
        if every_status
        else ("pending", "sending", "failed")
    )
    async with db.read() as tx:
        items = await tx.outbox.listing(statuses)
        counts = await tx.outbox.counts()
    lines = [
        f"#{i.id:<6} {i.kind:<17} due {local(i.due_at)}  {i.status:<8} tries {i.attempts}"
        f"  to {'operator ' + i.operator_id if i.operator_id else f'person {i.person_id}' if i.person_id else 'Zoom'}"
        f"{'  error: ' + i.last_error if i.last_error else ''}"
        for i in items
    ]
    summary = ", ".join(f"{status} {n}" for status, n in sorted(counts.items())) or "empty"
    return [*lines, f"outbox: {summary}"]


async def link(db: Database, telegram_id: str, whatsapp_number: str) -> tuple[str, bool]:
    """Merge the two people behind a Telegram and a WhatsApp identity; the older stays."""
    number = e164_number(whatsapp_number)
    if number is None:
        return f"'{whatsapp_number}' is not a valid phone number (e.g. +393331234567).", False
    telegram = IdentityKey(Channel.TELEGRAM, telegram_id.strip())
    async with db.write() as tx:
        result = await people.link(tx, telegram, IdentityKey(Channel.WHATSAPP, number))
    return link_message(result), result.outcome in (LinkOutcome.LINKED, LinkOutcome.ALREADY_ONE)


def link_message(result: LinkResult) -> str:
    match result.outcome:
        case LinkOutcome.UNKNOWN_FIRST:
            return "No person with that Telegram user has written to the bot."
        case LinkOutcome.UNKNOWN_SECOND:
            return "No person with that WhatsApp number has written to the bot."
        case LinkOutcome.ALREADY_ONE:
            return f"Already one person (#{result.kept})."
    note = (
        f" Note: {result.active_appointments} active appointments now; cancel the extra one."
        if result.active_appointments > 1
        else ""
    )
    return f"Linked: person #{result.merged} is now part of person #{result.kept}.{note}"
