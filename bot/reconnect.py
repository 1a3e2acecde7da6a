"""Starting Telegram when it cannot be reached: say so in one line, try again with a capped
backoff, and let everything else (WhatsApp, the web server, the scheduler) serve meanwhile.

Until Telegram answers, its outbox rows wait (`NotConnected`, which the dispatcher retries
without counting an attempt) instead of failing one try after another.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application

from bot.channels import RetryLater, Sender, Template
from bot.domain import Reply

if TYPE_CHECKING:
    from bot.handlers.telegram_poll import Poller

log = logging.getLogger(__name__)

FIRST_DELAY = 1.0
MAX_DELAY = 60.0
# How long an outbox row for a channel not connected yet waits before it is looked at again.
WAIT_FOR_CHANNEL_SECONDS = 30.0

Sleep = Callable[[float], Awaitable[None]]


class NotConnected(RetryLater):
    def __init__(self, channel: str) -> None:
        super().__init__(WAIT_FOR_CHANNEL_SECONDS)
        self.args = (f"{channel} is not connected yet",)


class Refused(Exception):
    """Telegram answered, and said no (a wrong token, a webhook URL it will not take): trying
    again would not help."""


def delays(first: float = FIRST_DELAY, cap: float = MAX_DELAY) -> Callable[[], float]:
    """1, 2, 4, ... seconds, then `cap` for ever."""
    state = {"next": first}

    def following() -> float:
        delay = state["next"]
        state["next"] = min(delay * 2, cap)
        return delay

    return following


async def until_connected(
    connect: Callable[[], Awaitable[None]], what: str, *, sleep: Sleep = asyncio.sleep
) -> int:
    """Runs `connect` until it stops raising NetworkError; returns how many tries it took.
    Any other Telegram error becomes `Refused`, with a message fit for the log."""
    next_delay = delays()
    tries = 1
    while True:
        try:
            await connect()
        except NetworkError as exc:  # TimedOut too
            delay = next_delay()
            log.warning(
                "%s cannot be reached (%s): trying again in %.0f s", what, type(exc).__name__, delay
            )
        except TelegramError as exc:
            raise Refused(f"{what} refused to start: {_reason(exc)}") from None
        else:
            if tries > 1:
                log.info("%s reached after %d tries", what, tries)
            return tries
        await sleep(delay)
        tries += 1


def _reason(exc: TelegramError) -> str:
    if isinstance(exc, InvalidToken):  # its message quotes the token
        return "it rejected the bot token (check TELEGRAM_BOT_TOKEN)"
    return f"{type(exc).__name__}: {exc.message}"


@dataclass
class GatedSender:
    """A channel's sender that holds its messages back until the channel is connected."""

    sender: Sender
    channel: str
    connected: bool = False

    async def send(
        self,
        external_id: str,
        replies: Sequence[Reply],
        *,
        template: Template | None = None,
        outbox_id: int | None = None,
    ) -> None:
        if not self.connected:
            raise NotConnected(self.channel)
        await self.sender.send(external_id, replies, template=template, outbox_id=outbox_id)


TelegramApp = Application[Any, Any, Any, Any, Any, Any]


async def connect_polling(poller: Poller, *, sleep: Sleep = asyncio.sleep) -> None:
    """get_me and delete_webhook until Telegram answers, then long polling."""
    application = poller.application

    async def attempt() -> None:
        await application.initialize()
        await application.bot.delete_webhook()

    await until_connected(attempt, "Telegram", sleep=sleep)
    # If Telegram goes away again in the instant since, the poller keeps trying by itself.
    poller.start()


async def connect_webhook(
    application: TelegramApp, url: str, secret: str | None, *, sleep: Sleep = asyncio.sleep
) -> None:
    """get_me and setWebhook until Telegram answers."""

    async def attempt() -> None:
        await application.initialize()
        await application.bot.set_webhook(
            url, secret_token=secret, allowed_updates=Update.ALL_TYPES
        )

    await until_connected(attempt, "Telegram", sleep=sleep)


async def release(application: TelegramApp, poller: Poller | None = None) -> None:
    """Closes what a start that never finished opened (the HTTP sessions of the tries)."""
    if poller is not None:
        await poller.stop()
    if application.running:
        await application.stop()
    await application.shutdown()
    await application.bot.shutdown()
