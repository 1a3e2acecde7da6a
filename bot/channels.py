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


class NoTemplate(SendFailed):
    """Outside WhatsApp's 24-hour window, and no approved template for this kind of message:
    not sent, and recorded as such so that staff can see it."""


class Unavailable(SendFailed):
    """The platform did not answer usably (timed out, dropped the connection, answered
    something that is not its API): the same is likely for the next message too."""


class RetryLater(SendFailed):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"rate limited for {seconds:.1f}s")
        self.seconds = seconds


# The language every template is approved in first; a kind given one SID, not one per
# language, is this one ([whatsapp.templates] in README.md).
TEMPLATE_FALLBACK = "it"


@dataclass(frozen=True)
class Template:
    """What a pre-approved message template needs: which kind of message, and its values
    (WhatsApp Content API variables "1", "2", ...)."""

    kind: str
    variables: dict[str, str]
    language: str = TEMPLATE_FALLBACK  # of the variables, the person's
    # The same values said in Italian, for the Italian template used when the person's
    # language has none approved (bot/capabilities/messaging.template_sid).
    italian: dict[str, str] | None = None

    def variables_in(self, language: str) -> dict[str, str]:
        if language == self.language or self.italian is None:
            return self.variables
        return self.italian


class Sender(Protocol):
    async def send(
        self,
        external_id: str,
        replies: Sequence[Reply],
        *,
        template: Template | None = None,
        outbox_id: int | None = None,
    ) -> None: ...


@dataclass(frozen=True)
class Delivery:
    """Replies ready to go to one recipient on one channel."""

    channel: Channel
    external_id: str
    replies: list[Reply]
    template: Template | None = None


class ProgressBoard(Protocol):
    """Where a staff member watches a broadcast: one message, shown then updated."""

    async def show(self, chat: str, message_id: str | None, text: str) -> str | None:
        """Show `text` in `chat` (a broadcast's `progress_chat`), editing `message_id` when
        given; returns the message's id."""
        ...
