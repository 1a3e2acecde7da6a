"""Telegram in webhook mode: updates posted to our web app with the secret token, replies
through python-telegram-bot to the fake Bot API."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.app import App
from bot.domain import Channel
from bot.handlers.telegram import build_application
from bot.handlers.web import TELEGRAM_PATH, build_web_app
from tests.fakes.telegram_api import FakeTelegram

SECRET = "s3cret-token-for-tests_0123"


class Poster:
    def __init__(self, http: httpx.AsyncClient, fake: FakeTelegram) -> None:
        self.http = http
        self.fake = fake
        self.update_id = 5000

    async def post(self, update: dict[str, Any], secret: str | None = SECRET) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return await self.http.post(TELEGRAM_PATH, json=update, headers=headers)

    def text(self, user: int, text: str) -> dict[str, Any]:
        self.update_id += 1
        return {
            "update_id": self.update_id,
            "message": {
                "message_id": self.update_id,
                "date": int(time.time()),
                "chat": {"id": user, "type": "private", "first_name": "Anna"},
                "from": {"id": user, "is_bot": False, "first_name": "Anna", "language_code": "en"},
                "text": text,
                **(
                    {
                        "entities": [
                            {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
                        ]
                    }
                    if text.startswith("/")
                    else {}
                ),
            },
        }

    def tap(self, user: int, data: str) -> dict[str, Any]:
        self.update_id += 1
        message = self.fake.last_message(user)
        return {
            "update_id": self.update_id,
            "callback_query": {
                "id": str(self.update_id),
                "from": {"id": user, "is_bot": False, "first_name": "Anna", "language_code": "en"},
                "chat_instance": "ci",
                "data": data,
                "message": message,
            },
        }


@pytest.fixture
async def webhook(app: App) -> AsyncIterator[tuple[Poster, FakeTelegram]]:
    async with FakeTelegram() as fake:
        application = build_application(app.engine, fake.token, fake.url)
        async with application:
            await application.start()
            web = build_web_app(app.db, telegram=application, telegram_secret=SECRET)
            transport = httpx.ASGITransport(app=web)
            async with httpx.AsyncClient(transport=transport, base_url="http://internal") as http:
                yield Poster(http, fake), fake
            await application.stop()


def button(fake: FakeTelegram, user: int, option_id: str) -> str:
    labels = fake.buttons(fake.last_message(user))
    return next(data for _label, data in labels if data.endswith(f":{option_id}"))


async def test_conversation_through_the_webhook(
    app: App, webhook: tuple[Poster, FakeTelegram]
) -> None:
    poster, fake = webhook
    assert (await poster.post(poster.text(77, "/start"))).status_code == 200
    # The answer is 200 only once the update is handled: the reply is already there.
    assert "Before we start" in fake.last_message(77)["text"]
    await poster.post(poster.tap(77, button(fake, 77, "notice.accept")))
    await poster.post(poster.text(77, "Anna"))
    assert fake.last_message(77)["text"].startswith("2/")
    async with app.db.read() as tx:
        person = await tx.people.by_identity(Channel.TELEGRAM, "77")
        assert person is not None
        assert (await tx.answers.all(person.id)) == {"name": "Anna"}


async def test_wrong_or_missing_secret_is_refused(
    app: App, webhook: tuple[Poster, FakeTelegram]
) -> None:
    poster, fake = webhook
    wrong = await poster.post(poster.text(78, "/start"), secret="not-the-secret-at-all")
    missing = await poster.post(poster.text(78, "/start"), secret=None)
    assert (wrong.status_code, missing.status_code) == (403, 403)
    assert 78 not in fake.chats
    async with app.db.read() as tx:
        assert await tx.people.by_identity(Channel.TELEGRAM, "78") is None


async def test_redelivered_update_and_garbage(
    app: App, webhook: tuple[Poster, FakeTelegram]
) -> None:
    poster, fake = webhook
    update = poster.text(79, "/start")
    await poster.post(update)
    sent = len(fake.chats[79])
    assert (await poster.post(update)).status_code == 200
    assert len(fake.chats[79]) == sent
    garbage = await poster.http.post(
        TELEGRAM_PATH, content=b"{not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
    )
    assert garbage.status_code == 400
    not_an_update = await poster.post({"hello": "world"})
    assert not_an_update.status_code == 400


async def test_the_same_full_conversation_through_the_webhook(
    app: App, webhook: tuple[Poster, FakeTelegram]
) -> None:
    from tests.chat import TYPICAL_ANSWERS

    poster, fake = webhook
    user = 80

    async def tap(option_id: str) -> None:
        assert (
            await poster.post(poster.tap(user, button(fake, user, option_id)))
        ).status_code == 200

    await poster.post(poster.text(user, "/start"))
    await tap("notice.accept")
    for how, value in TYPICAL_ANSWERS:
        if how == "text":
            await poster.post(poster.text(user, value))
        else:
            await tap(value)
    await tap("summary.confirm")
    await tap("d.20261126")
    await tap("t.1000")
    await poster.post(poster.text(user, "/appuntamento"))
    await tap("appt.move")
    await tap("d.20261126")
    await tap("t.1100")
    await poster.post(poster.text(user, "/appuntamento"))
    await tap("appt.cancel")
    await tap("cancel.yes")
    texts = "\n".join(m.get("text", "") for m in fake.chats[user])
    assert "Booked! Your video meeting is on Thursday 26 November at 10:00" in texts
    assert "Your appointment has been moved." in texts
    assert "Your appointment has been cancelled." in texts
    documents = [c for c in fake.calls if c.method == "sendDocument"]
    assert len(documents) == 3


def _malformed(poster: Poster) -> dict[str, bytes]:
    good = poster.text(81, "ciao")
    message = good["message"]

    def update(**changes: Any) -> bytes:
        return json.dumps({**good, "message": {**message, **changes}}).encode()

    return {
        "not JSON": b"{not json",
        "a list": b"[1, 2, 3]",
        "a 5,000-digit update_id": b'{"update_id": ' + b"9" * 5000 + b"}",
        "a 5,000-digit chat id": update(chat={"id": int("9" * 4000), "type": "private"}),
        "a huge chat id": update(chat={"id": 10**30, "type": "private"}),
        "a huge user id": update(**{"from": {"id": 10**30, "is_bot": False, "first_name": "A"}}),
        "update_id as text": json.dumps({**good, "update_id": "x"}).encode(),
        "message as a number": json.dumps({"update_id": 1, "message": 5}).encode(),
        "chat id as text": update(chat={"id": "abc", "type": "private"}),
        "text as a list": update(text=["ciao"]),
        "date as text": update(date="yesterday"),
        "a huge date": update(date=10**20),
        "callback data as a number": json.dumps(
            {
                "update_id": 2,
                "callback_query": {
                    "id": "1",
                    "from": {"id": 81, "is_bot": False, "first_name": "A"},
                    "chat_instance": "c",
                    "data": 5,
                },
            }
        ).encode(),
    }


async def test_malformed_updates_get_400_or_are_ignored(
    app: App, webhook: tuple[Poster, FakeTelegram], caplog: pytest.LogCaptureFixture
) -> None:
    poster, _fake = webhook
    statuses = {}
    for case, body in _malformed(poster).items():
        response = await poster.http.post(
            TELEGRAM_PATH,
            content=body,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
        )
        statuses[case] = response.status_code
    assert {case: s for case, s in statuses.items() if s not in (200, 400)} == {}
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
