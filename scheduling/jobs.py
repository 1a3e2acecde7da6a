"""Periodic housekeeping jobs. Each takes the clock, so tests run them at any moment."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot import booking
from bot.booking import Agenda, local_day_bounds
from bot.channels import ProgressBoard
from bot.clock import ROME, Clock
from bot.domain import JSON, BroadcastStatus
from bot.i18n import Translator
from bot.schedule import is_closed
from bot.settings import Settings
from storage.db import Database

log = logging.getLogger(__name__)

# Telegram re-delivers an unconfirmed update for at most 24 hours; a week is ample margin.
EVENT_KEY_RETENTION = timedelta(days=7)


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


async def plan_digests(db: Database, clock: Clock, agenda: Agenda) -> int:
    """Each operator with a Telegram id gets the day's list at the digest time, once a day,
    on the days they work. Idempotent, so it can run every minute and after downtime."""
    now = clock.now()
    local = now.astimezone(ROME)
    if local.time() < agenda.rules.digest_time or is_closed(local.date(), agenda.rules):
        return 0
    planned = 0
    _, day_end = local_day_bounds(now)
    async with db.write() as tx:
        for operator in agenda.operators:
            works_today = any(w.weekday == local.weekday() for w in operator.windows)
            payload: dict[str, JSON] = {"day": local.date().isoformat()}
            if operator.telegram_id is None or not works_today:
                continue
            if await tx.outbox.exists("digest", operator.id, payload):
                continue
            await tx.outbox.add(
                "digest", now, now, operator_id=operator.id, payload=payload, not_after=day_end
            )
            planned += 1
    return planned


async def expire_holds(db: Database, clock: Clock, agenda: Agenda) -> int:
    """A waitlist offer not taken in time goes to the next person waiting."""
    now = clock.now()
    async with db.write() as tx:
        expired = await tx.bookings.expired_holds(now)
        for hold in expired:
            await booking.release_hold(tx, agenda, hold, now)
    return len(expired)


async def cancel_on_closed_days(db: Database, clock: Clock, agenda: Agenda) -> int:
    """A closure added for a day with appointments: those people are told and offered new
    times, and their slots are not kept for a closed desk."""
    now = clock.now()
    horizon = now + timedelta(days=agenda.rules.horizon_days + 30)
    async with db.write() as tx:
        affected = [
            b
            for b in await tx.bookings.between(now, horizon, ("booked", "held"))
            if is_closed(b.starts_at.astimezone(ROME).date(), agenda.rules)
        ]
        for item in affected:
            await booking.cancel(tx, agenda, item, now, reason="closure")
            if item.person_id is not None:
                await tx.outbox.add(
                    "closure_notice", now, now, person_id=item.person_id, booking_id=item.id
                )
    return len(affected)


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
        if text != broadcast.progress_shown:
            message_id = await board.show(broadcast.created_by, broadcast.progress_message_id, text)
            async with db.write() as tx:
                await tx.broadcasts.show_progress(broadcast.id, message_id, text)
        if over:
            async with db.write() as tx:
                await tx.broadcasts.finish(broadcast.id, BroadcastStatus.DONE, clock.now())
    return len(views)
