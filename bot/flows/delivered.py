"""At-least-once replies: the answers to a platform's event carry the id of the outbox row
written in the same transaction as the turn (a `resend` due shortly after). Once the channel
adapter has handed them to the platform it marks them delivered; the marks are kept here and
their rows deleted in one transaction every FLUSH_EVERY, before each dispatcher tick and at
shutdown: not one write per message on the hot path. If the process dies first, the row stays
and the person gets the current question again: a duplicate at worst, never silence."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from bot.capabilities import messaging
from bot.domain import Reply
from storage.db import Database
from storage.reply_repos import ReplyDue

log = logging.getLogger(__name__)

FLUSH_EVERY = 0.5
"""Seconds between writing the delivered marks; far below the row's delay (30 s)."""


class Answers(list[Reply]):
    """The replies to one event; `reply_due` is their outbox row, None when none was planned
    (no platform event, nothing to say, an operator, an erased person)."""

    reply_due: ReplyDue | None = None


def reply_due(replies: Sequence[Reply]) -> ReplyDue | None:
    return replies.reply_due if isinstance(replies, Answers) else None


class DeliveredMarks:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending: set[ReplyDue] = set()
        self._timer: asyncio.Task[None] | None = None
        self._closing = asyncio.Event()

    def add(self, mark: ReplyDue) -> None:
        self._pending.add(mark)
        if self._closing.is_set():
            return  # closed: the last flush writes it (see close)
        if self._timer is None or self._timer.done():
            self._timer = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        while self._pending and not self._closing.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), FLUSH_EVERY)
            await self.flush()

    async def flush(self) -> None:
        marks = set(self._pending)
        if not marks:
            return
        try:
            async with self.db.write() as tx:
                await messaging.answers_delivered(tx, marks)
        except Exception as exc:  # the rows stay: those people get their question again
            log.warning("could not record delivered answers: %s", type(exc).__name__)
        # Marks added meanwhile stay for the next flush; failed ones are not retried (the
        # rows do their job).
        self._pending -= marks

    async def close(self) -> None:
        """At shutdown, once no answer can be sent any more: write what is queued. The timer
        is woken, not cancelled: a flush cut in the middle of its transaction would lose the
        marks it had taken."""
        self._closing.set()
        if self._timer is not None:
            await self._timer
        await self.flush()
