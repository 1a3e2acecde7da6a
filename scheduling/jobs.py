"""Periodic housekeeping jobs. Each takes the clock, so tests run them at any moment."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.agenda import Agenda
from bot.capabilities import appointments, messaging, opening, waitlist
from bot.channels import ProgressBoard
from bot.clock import ROME, Clock
from bot.domain import JSON, BroadcastStatus, OutboxKind
from bot.i18n import Translator
from bot.settings import Settings
from bot.slots import BookingRules, Operator, is_closed, quiet_adjusted
from storage.db import Database

log = logging.getLogger(__name__)

# Telegram re-delivers an unconfirmed update for at most 24 hours; a week is ample margin.
EVENT_KEY_RETENTION = timedelta(days=7)
# The privacy notice promises 24 months for appointment records.
BOOKING_RETENTION = timedelta(days=730)


async def forget_old_events(db: Database, clock: Clock) -> int:
    async with db.write() as tx:
        removed = await tx.events.forget_before(clock.now() - EVENT_KEY_RETENTION)
    log.info("forgot %d old inbound event keys", removed)
    return removed


async def erase_inactive_people(db: Database, clock: Clock, settings: Settings) -> int:
    """Profiles nobody has used for the retention period are erased, as the notice says."""
    now = clock.now()
    async with db.write() as tx:
        inactive = await tx.people.inactive_since(now - settings.retention_inactive)
        for person_id in inactive:
            await tx.people.erase(person_id, now)
    if inactive:
        await db.checkpoint()
    log.info("erased %d inactive profiles", len(inactive))
    return len(inactive)


async def forget_old_bookings(db: Database, clock: Clock) -> int:
    """Appointment records are kept BOOKING_RETENTION after the meeting, as the notice says
    (those of erased people too, without their identity), then deleted."""
    async with db.write() as tx:
        removed = await tx.bookings.forget_ended_before(clock.now() - BOOKING_RETENTION)
    if removed:
        await db.checkpoint()
    log.info("forgot %d old appointment records", removed)
    return removed


DIGEST_ON_TIME = timedelta(minutes=5)
"""A digest planned this soon after the digest time is on time; later, it is a catch-up."""


def digest_deadline(operator: Operator, now: datetime, rules: BookingRules) -> datetime | None:
    """Until when today's digest is worth sending: the end of the operator's last window
    today, or the start of the evening quiet hours if that comes first. None: not a working
    day for them."""
    local = now.astimezone(ROME)
    ends = [w.end for w in operator.windows if w.weekday == local.weekday()]
    if not ends:
        return None
    deadline = datetime.combine(local.date(), max(ends), tzinfo=ROME)
    if rules.quiet_start > rules.digest_time:
        deadline = min(deadline, datetime.combine(local.date(), rules.quiet_start, tzinfo=ROME))
    return deadline


def digest_due(operator: Operator, now: datetime, rules: BookingRules) -> datetime | None:
    """The not_after of today's digest if it should be planned now, else None.

    On time (within DIGEST_ON_TIME of the digest time) it goes out as configured, even if
    the desk set it inside quiet hours. A catch-up after downtime goes out only outside quiet
    hours and before the operator's day is over: in the morning quiet hours it waits for
    them to end, after the deadline it is skipped (the next working day has its own)."""
    local = now.astimezone(ROME)
    due = datetime.combine(local.date(), rules.digest_time, tzinfo=ROME)
    deadline = digest_deadline(operator, now, rules)
    if now < due or deadline is None or now >= deadline:
        return None
    in_quiet_hours = quiet_adjusted(now, rules) != now  # it moves only a quiet-hours moment
    if now - due > DIGEST_ON_TIME and in_quiet_hours:
        return None
    return deadline


async def plan_digests(db: Database, clock: Clock, agenda: Agenda) -> int:
    """Each operator with a Telegram id or an e-mail gets the day's list once a day, on the days they
    work (digest_due says when). Idempotent, so it runs every minute and after downtime."""
    now = clock.now()
    local = now.astimezone(ROME)
    planned = 0
    payload: dict[str, JSON] = {"day": local.date().isoformat()}
    async with db.write() as tx:
        agenda = await opening.current(tx, agenda)  # the hours as the back-office left them
        if is_closed(local.date(), agenda.rules):
            return 0
        for operator in agenda.operators:
            deadline = digest_due(operator, now, agenda.rules)
            reachable = operator.telegram_id is not None or operator.email is not None
            if not reachable or deadline is None:
                continue
            if await tx.outbox.exists(OutboxKind.DIGEST, operator.id, payload):
                continue
            await messaging.plan(
                tx,
                OutboxKind.DIGEST,
                now,
                now,
                operator_id=operator.id,
                payload=payload,
                not_after=deadline,
            )
            planned += 1
    return planned


async def expire_holds(db: Database, clock: Clock, agenda: Agenda) -> int:
    """A waitlist offer not taken in time goes to the next person waiting."""
    async with db.write() as tx:
        return await waitlist.expire_offers(tx, agenda, clock.now())


async def cancel_on_closed_days(db: Database, clock: Clock, agenda: Agenda) -> int:
    """A closure added for a day with appointments: those people are told and offered new
    times, and their slots are not kept for a closed desk."""
    async with db.write() as tx:
        return len(await appointments.close_days(tx, agenda, clock.now()))


SETTLED = ("sent", "delivered", "read")


def progress_text(
    tr: Translator, title: str, total: int, outcome: dict[str, int]
) -> tuple[str, bool]:
    """The staff member's progress line, and whether sending is over."""
    pending = outcome.get("pending", 0) + outcome.get("sending", 0)
    if pending:
        done = total - pending
        return tr.tr(
            "Sending «%(title)s»: %(done)d of %(total)d.", title=title, done=done, total=total
        ), False
    return (
        tr.tr(
            "Sending «%(title)s» finished: %(sent)d delivered, %(failed)d failed, "
            "%(blocked)d blocked the bot, %(no_template)d without a WhatsApp template, "
            "%(dropped)d not sent.",
            title=title,
            sent=sum(outcome.get(s, 0) for s in SETTLED),
            failed=outcome.get("failed", 0),
            blocked=outcome.get("blocked", 0),
            no_template=outcome.get("no_template", 0),
            dropped=outcome.get("dropped", 0),
        ),
        True,
    )


async def report_broadcasts(
    db: Database, clock: Clock, board: ProgressBoard, tr: Translator
) -> int:
    """Update each running broadcast's progress message; close those that are over."""
    async with db.read() as tx:
        running = await tx.broadcasts.in_status(BroadcastStatus.SENDING)
        views = []
        for broadcast in running:
            workshop = (
                await tx.workshops.get(broadcast.workshop_id) if broadcast.workshop_id else None
            )
            title = workshop.title if workshop else (broadcast.text or "")[:40]
            views.append((broadcast, title, await tx.broadcasts.outcome(broadcast.id)))
    for broadcast, title, outcome in views:
        text, over = progress_text(tr, title, broadcast.total, outcome)
        if text != broadcast.progress_shown and broadcast.progress_chat is not None:
            message_id = await board.show(
                broadcast.progress_chat, broadcast.progress_message_id, text
            )
            async with db.write() as tx:
                await tx.broadcasts.show_progress(broadcast.id, message_id, text)
        if over:
            async with db.write() as tx:
                await tx.broadcasts.finish(broadcast.id, BroadcastStatus.DONE, clock.now())
    return len(views)
