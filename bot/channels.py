"""What the outbox dispatcher needs from a channel: send replies to someone, and say how it
went in terms the dispatcher can act on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.domain import Channel, Reply


class SendFailed(Exception):
    """Sending failed; the message says why, without personal data."""


class Blocked(SendFailed):
    """The person blocked the bot or opted out: do not try again."""


class RetryLater(SendFailed):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"rate limited for {seconds:.1f}s")
        self.seconds = seconds


class Sender(Protocol):
    async def send(self, external_id: str, replies: Sequence[Reply]) -> None: ...


@dataclass(frozen=True)
class Delivery:
    """Replies ready to go to one recipient on one channel."""

    channel: Channel
    external_id: str
    replies: list[Reply]
