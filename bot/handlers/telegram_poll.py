"""Telegram long polling that confirms an update only once it is stored.

getUpdates with `offset` tells Telegram that every update below it was received, and Telegram
forgets them. python-telegram-bot's Updater asks for the next batch as soon as it has queued
the last one, so a `kill -9` while that batch was still waiting or being handled lost those
messages for good. Here a batch is confirmed (by the next getUpdates) only once every update
in it has had its turn committed; sending the answers goes on meanwhile, covered by the
reply-due rows. A kill before the confirmation makes Telegram deliver the batch again: the
updates already handled are recognised by their dedupe keys (and answered again if their
reply-due row is still there, see `Engine._answer_again`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import RetryAfter, TelegramError
from telegram.ext import Application

from bot.reconnect import delays

log = logging.getLogger(__name__)

POLL_SECONDS = 30
IN_FLIGHT = 256
"""Updates being handled at once (as python-telegram-bot's concurrent_updates=True)."""

TelegramApp = Application[Any, Any, Any, Any, Any, Any]
Sleep = Callable[[float], Awaitable[None]]

_receipt: ContextVar[asyncio.Future[None] | None] = ContextVar("telegram_receipt", default=None)


def stored() -> None:
    """The channel's word that the update being handled is stored (its turn committed, or it
    carries nothing to store): the poller may confirm it. Outside polling, nothing to do."""
    receipt = _receipt.get()
    if receipt is not None and not receipt.done():
        receipt.set_result(None)


class Poller:
    def __init__(
        self,
        application: TelegramApp,
        *,
        timeout: float = POLL_SECONDS,
        in_flight: int = IN_FLIGHT,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.application = application
        self.timeout = timeout
        self._sleep = sleep
        self._slots = asyncio.Semaphore(in_flight)
        self._offset = 0  # the first update not yet stored
        self._started_up_to = 0  # one past the last update whose handling started
        self._task: asyncio.Task[None] | None = None
        self._handling: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._task = asyncio.create_task(self._poll(), name="telegram-polling")

    async def stop(self) -> None:
        """Fetch no more, let the updates being handled finish, then confirm them."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._handling:
            await asyncio.wait(set(self._handling))
        if self._started_up_to > self._offset:
            self._offset = self._started_up_to
            with contextlib.suppress(TelegramError):
                await self.application.bot.get_updates(offset=self._offset, timeout=0, limit=1)

    async def _poll(self) -> None:
        next_delay = delays()
        while True:
            try:
                updates = await self.application.bot.get_updates(
                    offset=self._offset, timeout=self.timeout, allowed_updates=Update.ALL_TYPES
                )
            except RetryAfter as exc:
                await self._sleep(_seconds(exc.retry_after))
                continue
            except TelegramError as exc:  # unreachable, timed out, another poller...
                delay = next_delay()
                log.warning("getUpdates failed (%s): again in %.0f s", type(exc).__name__, delay)
                await self._sleep(delay)
                continue
            next_delay = delays()
            if updates:
                await self._handle(updates)
                self._offset = updates[-1].update_id + 1

    async def _handle(self, updates: Sequence[Update]) -> None:
        """Starts each update's handling, in order (one person's turns then queue in order
        on their lock), and returns once every one is stored."""
        loop = asyncio.get_running_loop()
        waiting: list[tuple[asyncio.Future[None], asyncio.Task[None]]] = []
        for update in updates:
            await self._slots.acquire()
            receipt: asyncio.Future[None] = loop.create_future()
            token = _receipt.set(receipt)  # the task's context carries it to the channel
            try:
                task = asyncio.create_task(self._process(update))
            finally:
                _receipt.reset(token)
            self._handling.add(task)
            task.add_done_callback(self._handling.discard)
            waiting.append((receipt, task))
            self._started_up_to = update.update_id + 1
        for receipt, task in waiting:
            # A handler that ends without a word (it failed) counts as done too.
            await asyncio.wait({receipt, task}, return_when=asyncio.FIRST_COMPLETED)
            receipt.cancel()

    async def _process(self, update: Update) -> None:
        try:
            await self.application.process_update(update)
        except Exception as exc:  # process_update reports handler errors itself
            log.error("could not process a Telegram update: %s", type(exc).__name__)
        finally:
            self._slots.release()


def _seconds(value: object) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(str(value))
