"""A NUL character anywhere a person or a platform can put one (a message, a name, a button's
data, an id): PostgreSQL's text cannot hold it, SQLite's can. Both backends must take the turn
the same way, with no error and no apology. The webhook fuzz on PostgreSQL found this."""

from __future__ import annotations

import logging

import pytest

from bot.app import App
from bot.domain import Inbound, InboundKind
from tests.chat import Chat

SORRY = "Sorry"


async def test_a_message_with_nul_characters_is_handled_like_any_other(
    app: App, chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        await chat.send("/start")
        await chat.tap("notice.accept")
        await chat.send("An\x00na")
        await chat.press("\x00:\x00")
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert SORRY not in chat.texts()


async def test_an_event_whose_key_and_sender_hold_nul_characters(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    event = Inbound(
        channel=Chat(app.engine, "x").channel,
        external_id="pe\x00rson",
        kind=InboundKind.TEXT,
        text="ciao\x00",
        data="",
        language_hint="it",
        dedupe_key="test:\x00:1",
    )
    with caplog.at_level(logging.ERROR):
        replies = await app.engine.handle(event)
        again = await app.engine.handle(event)  # a platform's retry: the same key, once
    assert replies
    assert again == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
