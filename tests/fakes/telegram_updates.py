"""The fake's update queue and the Bot API methods that deliver it: polling and webhooks.

Callback query answers live here too: a query can be answered only while the update that
carried it is known to the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from tests.fakes import telegram_wire as wire
from tests.fakes.telegram_records import ApiError, Call, JSONDict

_OLD_QUERY: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
_POLL_CONFLICT: Final = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_WEBHOOK_CONFLICT: Final = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


@dataclass
class _Queued:
    """An update waiting in the getUpdates queue.

    ``forced`` marks a redelivery: it must reach the client even though its update_id is
    below the offset the client already confirmed, so only a confirmation sent *after* it was
    delivered may drop it.
    """

    update_id: int
    update: JSONDict
    forced: bool = False
    delivered: bool = False

    def confirmed_by(self, offset: int) -> bool:
        return self.update_id < offset and (self.delivered or not self.forced)


class _Pulse:
    """Wakes every current waiter; safe to fire from synchronous code.

    ``asyncio.Condition.notify_all`` needs its lock, which synchronous helpers such as
    :meth:`FakeTelegram.send_text` cannot take. Waiters must re-check their predicate after
    waking; since there is no await between the check and :meth:`wait` capturing the current
    event, no wake-up can be lost.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self) -> None:
        await self._event.wait()


class UpdateQueue:
    """Updates waiting for the bot, plus getUpdates, the webhook methods and callback answers.

    ``notify_calls`` is awaited once a getUpdates has been recorded and is about to wait.
    """

    def __init__(self, notify_calls: Callable[[], Awaitable[None]]) -> None:
        self.history: dict[int, JSONDict] = {}
        self.callback_answers: dict[str, JSONDict] = {}
        self.webhook_url = ""
        self.stopping = False
        self._notify_calls = notify_calls
        self._pending: list[_Queued] = []
        self._next_update_id = 1000
        self._poll_generation = 0
        self._open_callback_queries: set[str] = set()
        self._pulse = _Pulse()

    def new_update_id(self) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        return update_id

    def skip_past(self, update_id: int) -> None:
        """Make ids assigned from now on larger than an update_id chosen by a test."""
        self._next_update_id = max(self._next_update_id, update_id + 1)

    def enqueue(self, update: JSONDict, *, forced: bool = False) -> int:
        update_id = int(update["update_id"])
        self.history[update_id] = copy.deepcopy(update)
        query = update.get("callback_query")
        if isinstance(query, dict) and isinstance(query.get("id"), str):
            self._open_callback_queries.add(query["id"])
        self._pending.append(_Queued(update_id, update, forced))
        self._pulse.fire()
        return update_id

    def stop_polls(self) -> None:
        """Make waiting long polls return ``[]`` at once."""
        self.stopping = True
        self._pulse.fire()

    def _confirm_updates(self, offset: int) -> None:
        """Apply getUpdates' offset: drop confirmed updates (negative keeps only the last N)."""
        if offset < 0:
            self._pending = self._pending[offset:]
        elif offset > 0:
            self._pending = [q for q in self._pending if not q.confirmed_by(offset)]

    def _take_batch(self, limit: int) -> list[JSONDict]:
        """Next updates to deliver; a redelivered update always travels alone (see redeliver)."""
        if not self._pending:
            return []
        if self._pending[0].forced:
            chosen = self._pending[:1]
        else:
            chosen = list(itertools.takewhile(lambda q: not q.forced, self._pending))[:limit]
        for queued in chosen:
            queued.delivered = True
        return [copy.deepcopy(queued.update) for queued in chosen]

    # ---------------------------------------------------------------- Bot API methods

    async def get_updates(self, call: Call) -> list[JSONDict]:
        """Long polling: answer as soon as updates exist, on timeout, or when stopping.

        A newer getUpdates ends an older one still waiting with 409, as Telegram does; this
        also retires polls whose client already gave up (e.g. a stopped Updater).
        """
        if self.webhook_url:
            raise ApiError(409, _WEBHOOK_CONFLICT)
        offset = wire.int_param(call.params, "offset", 0)
        limit = min(max(wire.int_param(call.params, "limit", 100), 1), 100)
        timeout = wire.seconds_param(call.params, "timeout")
        self._confirm_updates(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self._pulse.fire()
        await self._notify_calls()  # lets tests observe the poll (and its offset) while it waits
        return await self._wait_for_batch(generation, limit, timeout)

    async def _wait_for_batch(self, generation: int, limit: int, seconds: float) -> list[JSONDict]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, _POLL_CONFLICT)
            batch = self._take_batch(limit)
            remaining = deadline - loop.time()
            if batch or self.stopping or remaining <= 0:
                return batch
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await self._pulse.wait()

    async def delete_webhook(self, call: Call) -> bool:
        self.webhook_url = ""
        if call.params.get("drop_pending_updates") is True:
            self._pending.clear()
        return True

    async def set_webhook(self, call: Call) -> bool:
        url = call.params.get("url", "")
        if not isinstance(url, str):
            raise ApiError(400, "Bad Request: invalid webhook URL specified")
        self.webhook_url = url
        if call.params.get("drop_pending_updates") is True:
            self._pending.clear()
        return True

    async def get_webhook_info(self, call: Call) -> JSONDict:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }

    async def answer_callback_query(self, call: Call) -> bool:
        """Each query can be answered once, as on Telegram (a second answer is a 400)."""
        query_id = call.params.get("callback_query_id")
        if not isinstance(query_id, str) or query_id not in self._open_callback_queries:
            raise ApiError(400, _OLD_QUERY)
        self._open_callback_queries.discard(query_id)
        self.callback_answers[query_id] = copy.deepcopy(call.params)
        return True
