"""The outbox dispatcher: claims due rows, sends them at the channel's pace, records results.

Each channel (and Zoom) is a lane of its own, ticked by APScheduler every couple of seconds
(`tick_lane`; tests call `tick` with a manual clock, which runs every lane side by side):
whichever lane claims due rows queues each on the lane of the channel it goes to, so a
platform that hangs or is down delays only its own rows, never another channel's. A row is claimed with a lease before sending and finished right after: if the process
dies in between, the lease ends and the row is sent again, so a message is delivered at
least once, and twice only when a crash falls in that millisecond window between the
platform's answer and our commit (such re-sends are counted in `resent_after_lease`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.agenda import Agenda
from bot.capabilities import messaging
from bot.capabilities.operator_email import goes_by_email, plan_email_copies
from bot.channels import (
    Blocked,
    Delivery,
    NoTemplate,
    RetryLater,
    Sender,
    SendFailed,
    Unavailable,
)
from bot.clock import Clock
from bot.domain import Channel, OutboxItem, OutboxKind, OutboxStatus
from bot.flows.operator_mail import OperatorMailer
from bot.handlers.email_sender import Mail
from bot.ratelimit import RateLimiter
from bot.zoom import ZoomClient, ZoomError, ZoomRateLimited, ZoomUnavailable
from storage.db import Database

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
LEASE = timedelta(minutes=2)
# Rounds of claiming in one tick: enough to drain a big backlog and follow-up rows, bounded
# so that a row retried "now" again and again cannot hold the tick forever.
MAX_ROUNDS = 1000

ZOOM_LANE = "zoom"
EMAIL_LANE = "email"
# A backstop over the clients' own timeouts (Twilio 10 s, Telegram 5 s a read, Zoom 10 s),
# shorter than the lease so that a row is never claimed again while it is still being sent.
SEND_TIMEOUT = 90.0
# A queued row is sent under its first lease while this much of it is left beyond the send's
# own timeout; later, the lease is renewed first (Dispatcher._still_ours).
RENEW_MARGIN = timedelta(seconds=10)

Renderer = Callable[[OutboxItem], Awaitable[Delivery | None]]


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min... capped at one hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


@dataclass
class Job:
    """A claimed row on its lane, with what to send (neither: a Zoom task)."""

    item: OutboxItem
    lane: str
    delivery: Delivery | None
    mail: Mail | None = None
    claimed_at: datetime | None = None
    """When this process's lease on the row began (or was last renewed)."""


@dataclass
class DispatchStats:
    sent: int = 0
    dropped: int = 0
    failed: int = 0
    retried: int = 0
    resent_after_lease: int = 0
    taken_over: int = 0
    """Rows whose lease ended while they waited or were sent here, claimed meanwhile by
    another process: their result is that process's to record."""
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
        mailer: OperatorMailer | None = None,
        batch: int = 100,
        send_timeout: float = SEND_TIMEOUT,
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
        self.mailer = mailer
        self.batch = batch
        self.send_timeout = send_timeout
        self.before_tick = before_tick
        self.stats = DispatchStats()
        self._claiming = asyncio.Lock()
        self._queued: dict[str, list[Job]] = {}  # lane -> rows claimed, waiting for it
        self._held: dict[int, Job] = {}  # rows queued or being sent, by id
        self.stopping = False  # set at shutdown: finish what is claimed, claim no more

    def lanes(self) -> list[str]:
        """One lane per running channel, and one for Zoom: each sends its own rows, so a
        platform that hangs holds up only its own lane."""
        email = [EMAIL_LANE] if self.mailer is not None else []
        return [channel.value for channel in self.senders] + [ZOOM_LANE] + email

    async def tick(self) -> int:
        """Send everything due now on every lane, side by side, including what sending
        causes (a Zoom meeting created makes a link message due at once); returns how many
        rows were handled. Tests and the console call this; the scheduler ticks each lane."""
        handled = 0
        for _round in range(MAX_ROUNDS):
            counts = await asyncio.gather(*(self.tick_lane(lane) for lane in self.lanes()))
            handled += sum(counts)
            # A lane may have claimed rows for another one that had already finished.
            if not any(self._queued.values()):
                break
        return handled

    async def tick_lane(self, lane: str) -> int:
        """Claim what is due (for any lane), then send this lane's rows in order."""
        handled = 0
        # The platforms' limits are the deployment's: with N processes sending, each keeps
        # to 1/N of them (PostgreSQL; on SQLite there is only this one).
        senders = await self.db.senders()
        for limiter in self.limiters.values():
            limiter.share(senders)
        claimed, finished = await self._claim_unless_stopping()
        for _round in range(MAX_ROUNDS):
            mine = self._next_batch(lane)
            handled += finished + len(mine)
            if not claimed and not mine:
                break
            # The next batch is claimed and rendered while this one is sent: a lane at its
            # platform's pace never waits for the database between batches.
            _, (claimed, finished) = await asyncio.gather(
                self._run_lane(mine), self._claim_unless_stopping()
            )
            if not claimed and not self._queued.get(lane):
                # What sending made due (a meeting created: its link message).
                claimed, finished_after = await self._claim_unless_stopping()
                finished += finished_after
        return handled

    def _next_batch(self, lane: str) -> list[Job]:
        """Up to a batch of the lane's queued rows; the rest stay ready for the next round."""
        queued = self._queued.pop(lane, [])
        if len(queued) > self.batch:
            self._queued[lane] = queued[self.batch :]
        return queued[: self.batch]

    async def _claim_unless_stopping(self) -> tuple[int, int]:
        return (0, 0) if self.stopping else await self._claim()

    async def _claim(self) -> tuple[int, int]:
        """Claim due rows, render them and queue each on its lane; (claimed, finished here)."""
        async with self._claiming:
            if self.before_tick is not None:
                await self.before_tick()  # answers already delivered are not sent again
            # Two batches at most are held here (one being sent, the next one ready): rows
            # queued behind a slow lane would outlive their lease while another process
            # could be sending them.
            room = 2 * self.batch - len(self._held)
            if room <= 0:
                return 0, 0
            now = self.clock.now()
            async with self.db.write() as tx:
                items = await tx.outbox.claim_due(now, room, LEASE)
                await plan_email_copies(tx, self.agenda, items, self.clock.now())
            finished = 0
            for item in items:
                held = self._held.get(item.id)
                if held is not None:  # its lease ended while it waits in a busy lane
                    held.item.attempts = item.attempts  # this claim is the one it holds now
                    held.claimed_at = now
                    continue
                if (
                    item.status == OutboxStatus.SENDING
                ):  # its lease ended: the last try never reported
                    self.stats.resent_after_lease += 1
                job = await self._prepare(item)
                if job is None:
                    finished += 1
                    continue
                job.claimed_at = now
                self._held[item.id] = job
                self._queued.setdefault(job.lane, []).append(job)
            return len(items), finished

    async def _run_lane(self, jobs: list[Job]) -> None:
        """Send a lane's rows in order; once its platform stops answering, the rest wait for
        their retry instead of each waiting out its own timeout."""
        down: str | None = None
        try:
            for job in jobs:
                if down is not None:
                    await self._retry(job.item, backoff(1), down, count=False)
                else:
                    down = await self._handle(job)
        finally:
            for job in jobs:
                self._held.pop(job.item.id, None)

    async def _prepare(self, item: OutboxItem) -> Job | None:
        """The row's lane and what to send; None when it was finished here."""
        now = self.clock.now()
        if item.not_after is not None and now > item.not_after:
            await self._finish(item, OutboxStatus.DROPPED, "no longer meaningful")
            return None
        if item.kind in messaging.ZOOM_TASKS:
            return Job(item, ZOOM_LANE, None)
        if goes_by_email(self.agenda, item):
            return await self._prepare_mail(item)
        try:
            delivery = await self._render(item)
        except SendFailed as exc:
            await self._retry(item, backoff(item.attempts), f"{type(exc).__name__}: {exc}")
            return None
        if delivery is None or not delivery.replies:
            await self._finish(item, OutboxStatus.DROPPED, "nothing to send")
            return None
        if delivery.channel not in self.senders:
            await self._retry(
                item, backoff(item.attempts), f"no {delivery.channel.value} channel is running"
            )
            return None
        return Job(item, delivery.channel.value, delivery)

    async def _prepare_mail(self, item: OutboxItem) -> Job | None:
        if self.mailer is None:
            await self._retry(item, backoff(item.attempts), "no e-mail channel (SMTP_HOST)")
            return None
        mail = await self.mailer.render(item)
        if mail is None:
            await self._finish(item, OutboxStatus.DROPPED, "nothing to send")
            return None
        return Job(item, EMAIL_LANE, None, mail)

    async def _still_ours(self, job: Job) -> bool:
        """A row that waited long enough here for its lease to run short gets a new lease
        before it is sent, unless another process claimed it meanwhile: then it is theirs,
        and sending it here would send it twice."""
        now = self.clock.now()
        renew_after = LEASE - timedelta(seconds=self.send_timeout) - RENEW_MARGIN
        if job.claimed_at is not None and now - job.claimed_at < renew_after:
            return True
        async with self.db.write() as tx:
            renewed = await tx.outbox.renew(job.item, now + LEASE)
        job.claimed_at = now
        if not renewed:
            self.stats.taken_over += 1
        return renewed

    async def _handle(self, job: Job) -> str | None:
        """Send one row and record how it went; the reason when the platform is down."""
        item = job.item
        if not await self._still_ours(job):
            return None
        try:
            async with asyncio.timeout(self.send_timeout):
                if job.mail is not None and self.mailer is not None:
                    await self.mailer.sender.send(job.mail)
                elif job.delivery is None:
                    await self._zoom_task(item)
                else:
                    await self._send(job.delivery, item.id)
        except Blocked as exc:
            await self._blocked(item, exc)
        except NoTemplate as exc:
            await self._finish(item, OutboxStatus.NO_TEMPLATE, str(exc))
        except RetryLater as exc:
            await self._retry(item, timedelta(seconds=exc.seconds), str(exc), count=False)
        except ZoomRateLimited as exc:
            await self._retry(item, timedelta(seconds=exc.retry_after), "zoom rate limited")
        except (Unavailable, ZoomUnavailable, TimeoutError) as exc:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else "timed out"
            await self._retry(item, backoff(item.attempts), reason)
            return f"not tried: {job.lane} did not answer ({reason})"
        except (SendFailed, ZoomError) as exc:
            await self._retry(item, backoff(item.attempts), f"{type(exc).__name__}: {exc}")
        else:
            await self._finish(item, OutboxStatus.SENT, None)
            if job.lane != ZOOM_LANE:
                self.stats.by_kind[item.kind] = self.stats.by_kind.get(item.kind, 0) + 1
        return None

    async def _render(self, item: OutboxItem) -> Delivery | None:
        if item.person_id is not None:
            return await self.render_for_person(item)
        return await self.render_for_operator(item)

    async def _send(self, delivery: Delivery, outbox_id: int) -> None:
        sender = self.senders[delivery.channel]
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
        await self._finish(item, OutboxStatus.FAILED, f"blocked: {exc}")
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
            await self._finish(item, OutboxStatus.FAILED, error)
            return
        async with self.db.write() as tx:
            ours = await tx.outbox.retry_at(item, self.clock.now() + delay, error)
        if not ours:  # claimed again when its lease ended: another process's to send
            self.stats.taken_over += 1
            return
        self.stats.retried += 1
        log.warning("outbox %s #%d will be retried: %s", item.kind, item.id, error)

    async def _finish(self, item: OutboxItem, status: OutboxStatus, error: str | None) -> None:
        async with self.db.write() as tx:
            ours = await tx.outbox.finish(item, status, self.clock.now(), error)
        if not ours:
            self.stats.taken_over += 1
        elif status == OutboxStatus.SENT:
            self.stats.sent += 1
        elif status == OutboxStatus.DROPPED:
            self.stats.dropped += 1
        else:
            self.stats.failed += 1
            log.warning("outbox %s #%d failed: %s", item.kind, item.id, error)

    async def _zoom_task(self, item: OutboxItem) -> None:
        if self.zoom is None:
            raise SendFailed("Zoom is not configured (ZOOM_* settings)")
        if item.kind == OutboxKind.ZOOM_DELETE:
            await self.zoom.delete_meeting(str(item.payload["meeting"]))
            return
        async with self.db.read() as tx:
            booking = await tx.bookings.get(item.booking_id or 0)
        if booking is None or booking.status != "booked":
            return
        minutes = int((booking.ends_at - booking.starts_at).total_seconds() // 60)
        if item.kind == OutboxKind.ZOOM_UPDATE and booking.zoom_meeting_id:
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
                await messaging.plan(
                    tx,
                    OutboxKind.ZOOM_LINK,
                    now,
                    now,
                    person_id=booking.person_id,
                    booking_id=booking_id,
                    not_after=booking.starts_at,
                )
