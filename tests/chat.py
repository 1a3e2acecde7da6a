"""A person chatting with the engine, as the console and Telegram adapters do."""

from __future__ import annotations

import itertools

from bot.domain import Channel, Inbound, InboundKind, Reply
from bot.flows.engine import Engine

_update_ids = itertools.count(1)


class Chat:
    def __init__(
        self,
        engine: Engine,
        who: str,
        *,
        language: str | None = "en",
        channel: Channel = Channel.TELEGRAM,
    ) -> None:
        self.engine = engine
        self.who = who
        self.language = language
        self.channel = channel
        self.replies: list[Reply] = []  # everything received, in order

    async def _handle(self, kind: InboundKind, text: str = "", data: str = "") -> list[Reply]:
        event = Inbound(
            channel=self.channel,
            external_id=self.who,
            kind=kind,
            text=text,
            data=data,
            language_hint=self.language,
            dedupe_key=f"test:{next(_update_ids)}",
        )
        replies = await self.engine.handle(event)
        # Received, as an adapter reports it; written at once, so tests that count outbox
        # rows see only what the conversation planned (the batching: test_replies_due.py).
        self.engine.answers_delivered(replies)
        await self.engine.flush_delivered()
        self.replies += replies
        return replies

    async def send(self, text: str) -> list[Reply]:
        return await self._handle(InboundKind.TEXT, text=text)

    async def media(self) -> list[Reply]:
        return await self._handle(InboundKind.MEDIA)

    async def press(self, data: str) -> list[Reply]:
        return await self._handle(InboundKind.BUTTON, data=data)

    async def tap(self, option_id: str) -> list[Reply]:
        """Tap an option of the latest question, failing clearly if it was not offered."""
        question = self.question
        ids = [o.id for o in question.options]
        assert option_id in ids, f"{option_id!r} not offered; options were {ids}"
        return await self.press(f"{question.seq}:{option_id}")

    @property
    def question(self) -> Reply:
        asked = [r for r in self.replies if r.options and r.seq is not None]
        assert asked, "no question was asked"
        return asked[-1]

    @property
    def last_text(self) -> str:
        return self.replies[-1].text

    def texts(self) -> str:
        return "\n".join(r.text for r in self.replies)


# Option ids of a typical intake: language-independent, so the same script runs in every
# language and on every channel.
TYPICAL_ANSWERS: list[tuple[str, str]] = [
    ("text", "Anna"),
    ("tap", "lucca"),
    ("tap", "30_39"),
    ("tap", "female"),
    ("tap", "non_eu"),
    ("tap", "unemployed"),
    ("tap", "gt12"),
    ("tap", "yes"),
    ("tap", "upper_secondary"),
    ("tap", "employee"),
    ("tap", "tourism"),
    ("tap", "care"),
    ("tap", "multi.done"),
    ("tap", "tourism.table_service"),
    ("tap", "multi.done"),
    ("tap", "multi.done"),
    ("tap", "good"),
    ("tap", "en"),
    ("tap", "multi.done"),
    ("tap", "licence"),
    ("tap", "part_time"),
    ("tap", "weekends"),
    ("tap", "multi.done"),
    ("text", "Five years as a waitress in Viareggio"),
    ("tap", "nav.skip"),
    ("tap", "no"),
    ("tap", "news.yes"),
]


async def answer_all(chat: Chat, answers: list[tuple[str, str]] = TYPICAL_ANSWERS) -> None:
    for how, value in answers:
        if how == "text":
            await chat.send(value)
        else:
            await chat.tap(value)


async def complete_intake(chat: Chat) -> None:
    """From the first message to the confirmed intake."""
    await chat.send("/start")
    await chat.tap("notice.accept")
    await answer_all(chat)
    await chat.tap("summary.confirm")
