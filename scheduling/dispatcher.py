"""The outbox dispatcher: claims due rows, sends them at the channel's pace, records results.

Ticked by APScheduler every couple of seconds (and called directly by tests with a manual
clock). A row is claimed with a lease before sending and finished right after: if the process
dies in between, the lease ends and the row is sent again, so a message is delivered at
least once, and twice only when a crash falls in that millisecond window between the
platform's answer and our commit (such re-sends are counted in `resent_after_lease`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.booking import Agenda
from bot.channels import Blocked, Delivery, NoTemplate, RetryLater, Sender, SendFailed
from bot.clock import Clock
from bot.domain import Channel, OutboxItem
from bot.ratelimit import RateLimiter
from bot.zoom import ZoomClient, ZoomError, ZoomRateLimited
from storage.db import Database

log = logging.getLogger(__name__)

ZOOM_TASKS = ("zoom_create", "zoom_update", "zoom_delete")
MAX_ATTEMPTS = 6
LEASE = timedelta(minutes=2)
# Rounds of claiming in one tick: enough to drain a big backlog and follow-up rows, bounded
# so that a row retried "now" again and again cannot hold the tick forever.
MAX_ROUNDS = 1000

Renderer = Callable[[OutboxItem], Awaitable[Delivery | None]]


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min... capped at one hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


@dataclass
class DispatchStats:
    sent: int = 0
    dropped: int = 0
    failed: int = 0
    retried: int = 0
    resent_after_lease: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


class Dispatcher:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        agenda: Agenda,
        *,
        render_for_person: Renderer,
        render_for_operator: Renderer,
        senders: Mapping[Channel, Sender],
        limiters: Mapping[Channel, RateLimiter],
        on_blocked: Callable[[Channel, str], Awaitable[None]],
        zoom: ZoomClient | None = None,
        batch: int = 100,
        before_tick: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.agenda = agenda
        self.render_for_person = render_for_person
        self.render_for_operator = render_for_operator
        self.senders = senders
        self.limiters = limiters
        self.on_blocked = on_blocked
        self.zoom = zoom
        self.batch = batch
        self.before_tick = before_tick
        self.stats = DispatchStats()

    async def tick(self) -> int:
        """Send everything due now, including what sending causes (a Zoom meeting created
        makes a link message due at once); returns how many rows were handled."""
        if self.before_tick is not None:
            await self.before_tick()  # answers already delivered are not sent again
        handled = 0
        for _round in range(MAX_ROUNDS):
            async with self.db.write() as tx:
                items = await tx.outbox.claim_due(self.clock.now(), self.batch, LEASE)
            if not items:
                break
            for item in items:
                if item.status == "sending":  # its lease ended: the last try never reported
                    self.stats.resent_after_lease += 1
                await self._handle(item)
            handled += len(items)
        return handled

    async def _handle(self, item: OutboxItem) -> None:
        now = self.clock.now()
        if item.not_after is not None and now > item.not_after:
            await self._finish(item, "dropped", "no longer meaningful")
            return
        try:
            if item.kind in ZOOM_TASKS:
                await self._zoom_task(item)
                await self._finish(item, "sent", None)
                return
            delivery = await self._render(item)
            if delivery is None or not delivery.replies:
                await self._finish(item, "dropped", "nothing to send")
                return
            await self._send(delivery, item.id)
        except Blocked as exc:
            await self._blocked(item, exc)
        except NoTemplate as exc:
            await self._finish(item, "no_template", str(exc))
        except RetryLater as exc:
            await self._retry(item, timedelta(seconds=exc.seconds), str(exc), count=False)
        except ZoomRateLimited as exc:
            await self._retry(item, timedelta(seconds=exc.retry_after), "zoom rate limited")
        except (SendFailed, ZoomError) as exc:
            await self._retry(item, backoff(item.attempts), f"{type(exc).__name__}: {exc}")
        else:
            await self._finish(item, "sent", None)
            self.stats.by_kind[item.kind] = self.stats.by_kind.get(item.kind, 0) + 1

    async def _render(self, item: OutboxItem) -> Delivery | None:
        if item.person_id is not None:
            return await self.render_for_person(item)
        return await self.render_for_operator(item)

    async def _send(self, delivery: Delivery, outbox_id: int) -> None:
        sender = self.senders.get(delivery.channel)
        if sender is None:
            raise SendFailed(f"no {delivery.channel.value} channel is running")
        limiter = self.limiters.get(delivery.channel)
        if limiter is not None:
            await limiter.wait()
        try:
            await sender.send(
                delivery.external_id,
                delivery.replies,
                template=delivery.template,
                outbox_id=outbox_id,
            )
        except RetryLater as exc:
            if limiter is not None:
                limiter.pause(exc.seconds)
            raise

    async def _blocked(self, item: OutboxItem, exc: Blocked) -> None:
        await self._finish(item, "failed", f"blocked: {exc}")
        if item.person_id is None:
            return
        async with self.db.read() as tx:
            identities = await tx.people.identities(item.person_id)
        for identity in identities:
            await self.on_blocked(identity.channel, identity.external_id)

    async def _retry(
        self, item: OutboxItem, delay: timedelta, error: str, *, count: bool = True
    ) -> None:
        if count and item.attempts >= MAX_ATTEMPTS:
            await self._finish(item, "failed", error)
            return
        self.stats.retried += 1
        async with self.db.write() as tx:
            await tx.outbox.retry_at(item.id, self.clock.now() + delay, error)
        log.warning("outbox %s #%d will be retried: %s", item.kind, item.id, error)

    async def _finish(self, item: OutboxItem, status: str, error: str | None) -> None:
        async with self.db.write() as tx:
            await tx.outbox.finish(item.id, status, self.clock.now(), error)
        if status == "sent":
            self.stats.sent += 1
        elif status == "dropped":
            self.stats.dropped += 1
        else:
            self.stats.failed += 1
            log.warning("outbox %s #%d failed: %s", item.kind, item.id, error)

    async def _zoom_task(self, item: OutboxItem) -> None:
        if self.zoom is None:
            raise SendFailed("Zoom is not configured (ZOOM_* settings)")
        if item.kind == "zoom_delete":
            await self.zoom.delete_meeting(str(item.payload["meeting"]))
            return
        async with self.db.read() as tx:
            booking = await tx.bookings.get(item.booking_id or 0)
        if booking is None or booking.status != "booked":
            return
        minutes = int((booking.ends_at - booking.starts_at).total_seconds() // 60)
        if item.kind == "zoom_update" and booking.zoom_meeting_id:
            await self.zoom.update_meeting(
                booking.zoom_meeting_id, starts_at=booking.starts_at, duration_minutes=minutes
            )
            return
        await self._create_meeting(booking.id, booking.operator_id, booking.starts_at, minutes)

    async def _create_meeting(
        self, booking_id: int, operator_id: str, starts_at: datetime, minutes: int
    ) -> None:
        assert self.zoom is not None
        operator = self.agenda.operator(operator_id)
        if operator is None or operator.zoom_user is None:
            raise SendFailed("the operator has no Zoom user")
        # The topic says nothing about the person: Zoom is a processor, not a place for data.
        meeting = await self.zoom.create_meeting(
            operator.zoom_user,
            topic="Sportello Lavoro – appuntamento",
            starts_at=starts_at,
            duration_minutes=minutes,
        )
        now = self.clock.now()
        async with self.db.write() as tx:
            await tx.bookings.set_meeting(
                booking_id, meeting.id, meeting.join_url, meeting.start_url
            )
            booking = await tx.bookings.get(booking_id)
            if booking is not None and booking.person_id is not None:
                await tx.outbox.add(
                    "zoom_link",
                    now,
                    now,
                    person_id=booking.person_id,
                    booking_id=booking_id,
                    not_after=booking.starts_at,
                )
