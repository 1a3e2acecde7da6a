"""A turn whose commit went through although the engine saw the connection drop (issue 15:
PostgreSQL restarting under load). The person is told to try again and writes the same thing;
that copy must not be taken as the answer to the next question."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from bot.app import App
from storage.session import Session
from tests.chat import Chat
from tests.test_bad_input import at_name_question, snapshot

APOLOGY = "Sorry, something went wrong on our side"
APOLOGY_ID = (
    "Sorry, something went wrong on our side. What you told me so far is safe. Please try "
    "again in a moment, or write /operatore."
)
AGAIN = "Sorry, my last answer may not have reached you. Here it is again:"


def cut_once(app: App, monkeypatch: pytest.MonkeyPatch, *, after_commit: bool) -> None:
    """The next turn's connection drops, after its commit or before it."""
    real = app.db.write_inline
    state = {"cut": False}

    async def dropping(body: Callable[[Session], Coroutine[Any, Any, Any]]) -> Any:
        if state["cut"]:
            return await real(body)
        state["cut"] = True
        if after_commit:
            await real(body)
        raise ConnectionResetError("connection lost")

    monkeypatch.setattr(app.db, "write_inline", dropping)


async def test_a_stored_message_sent_again_after_an_apology_is_not_applied_twice(
    app: App, chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    await at_name_question(chat)  # the residence question is next: "2/..."
    question = chat.question.text
    cut_once(app, monkeypatch, after_commit=True)
    assert APOLOGY in (await chat.tap("lucca"))[0].text
    stored = await snapshot(app)
    assert stored[1] == {"name": "Anna", "residence": "lucca"}

    replies = await chat.tap("lucca")  # the person does what the apology asked
    assert replies[0].text == AGAIN
    assert chat.question.text.startswith("3/")
    assert chat.question.text != question
    assert await snapshot(app) == stored


async def test_a_message_lost_with_its_turn_is_applied_when_sent_again(
    app: App, chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    await at_name_question(chat)
    before = await snapshot(app)
    cut_once(app, monkeypatch, after_commit=False)
    assert APOLOGY in (await chat.tap("lucca"))[0].text
    assert await snapshot(app) == before

    await chat.tap("lucca")
    assert AGAIN not in chat.texts()
    assert chat.question.text.startswith("3/")
    assert (await snapshot(app))[1] == {"name": "Anna", "residence": "lucca"}


async def test_a_different_message_after_an_apology_is_answered_as_usual(
    app: App, chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    await at_name_question(chat)
    cut_once(app, monkeypatch, after_commit=True)
    await chat.tap("lucca")
    await chat.send("/start")
    assert AGAIN not in chat.texts()
    assert "Welcome back, Anna!" in chat.question.text


async def test_a_message_failing_twice_then_repeated_is_still_not_applied_twice(
    app: App, chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stored at the first try, then refused while the server is down: the third copy is
    still recognised (the first one's key is remembered, not only the last one's)."""
    await at_name_question(chat)
    cut_once(app, monkeypatch, after_commit=True)
    await chat.tap("lucca")
    stored = await snapshot(app)
    monkeypatch.undo()
    cut_once(app, monkeypatch, after_commit=False)
    assert APOLOGY in (await chat.tap("lucca"))[0].text
    replies = await chat.tap("lucca")
    assert replies[0].text == AGAIN
    assert await snapshot(app) == stored


async def test_an_apology_while_the_database_is_down_is_in_the_persons_language(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = Chat(app.engine, "ana", language=None)
    await chat.send("/start")
    await chat.tap("lang.ro")

    async def down(*args: object) -> object:
        raise ConnectionRefusedError("the server is down")

    def refused(*args: object) -> object:
        raise ConnectionRefusedError("the server is down")

    monkeypatch.setattr(app.db, "write_inline", down)
    monkeypatch.setattr(app.db, "read", refused)
    replies = await chat.send("salut")
    assert replies[0].text == app.engine.translators["ro"].tr(APOLOGY_ID)
