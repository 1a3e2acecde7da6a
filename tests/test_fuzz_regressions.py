"""Bugs the fuzz suites found, each reproduced on its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.clock import ManualClock
from bot.domain import Channel
from bot.handlers.web import TELEGRAM_PATH
from bot.handlers.whatsapp import INBOUND_PATH
from tests.chat import Chat
from tests.conftest import make_settings
from tests.fuzz_support import (
    NUMBERS,
    PUBLIC,
    SECRET,
    START,
    apologies,
    fuzz_app,
    logged_errors,
)
from tests.fuzz_web import web_app

pytestmark = pytest.mark.slow


def _update(user: int, **message: Any) -> dict[str, Any]:
    sender = {"id": user, "is_bot": False, "first_name": "Zed", "language_code": "en"}
    return {
        "update_id": 9_000_000 + user % 1000,
        "message": {
            "message_id": 1,
            "date": int(START.timestamp()),
            "chat": {"id": user, "type": "private", "first_name": "Zed"},
            "from": sender,
            "text": "hello",
            **message,
        },
    }


def _member_update(user: int, *, without: str) -> dict[str, Any]:
    sender = {"id": user, "is_bot": False, "first_name": "Zed"}
    member: dict[str, Any] = {
        "chat": {"id": user, "type": "private", "first_name": "Zed"},
        "from": sender,
        "date": 0,
        "old_chat_member": {"status": "member", "user": sender},
        "new_chat_member": {"status": "kicked", "user": sender, "until_date": 0},
    }
    del member[without]
    return {"update_id": 9_100_000 + user % 1000, "my_chat_member": member}


WRONG_UPDATES: dict[str, tuple[dict[str, Any] | bytes, bool]] = {
    # case: (body, whether the person is first brought to the name question)
    "text that is a number": (_update(4200001, text=5), False),
    "language_code that is a number": (
        _update(
            4200002,
            **{"from": {"id": 4200002, "is_bot": False, "first_name": "Zed", "language_code": 5}},
        ),
        False,
    ),
    "my_chat_member without from": (_member_update(4200003, without="from"), False),
    "my_chat_member without new_chat_member": (
        _member_update(4200004, without="new_chat_member"),
        False,
    ),
    "a lone surrogate in the text": (
        json.dumps(_update(4200005, text="An\udcffna")).encode(),  # JSON allows the escape
        True,
    ),
}


@pytest.mark.parametrize("case", sorted(WRONG_UPDATES))
async def test_fields_of_the_wrong_type_in_an_authenticated_update(
    tmp_path: Path, case: str
) -> None:
    update, at_name = WRONG_UPDATES[case]
    body = update if isinstance(update, bytes) else json.dumps(update).encode()
    clock = ManualClock(START)
    with logged_errors() as errors:
        async with web_app(tmp_path, clock) as web:
            if at_name:
                chat = Chat(web.app.engine, "4200005")
                await chat.send("/start")
                await chat.tap("notice.accept")
            headers = {
                "X-Telegram-Bot-Api-Secret-Token": SECRET,
                "Content-Type": "application/json",
            }
            status = await web.post(TELEGRAM_PATH, body, headers)
            sent = web.sent_texts()
    assert status in (200, 400)
    assert apologies(sent) == []
    assert errors.lines() == []


async def test_text_that_is_not_valid_unicode(tmp_path: Path, database: str) -> None:
    async with fuzz_app(make_settings(database), ManualClock(START)) as app:
        chat = Chat(app.engine, "anna")
        await chat.send("/start")
        await chat.tap("notice.accept")
        replies = await chat.send("An\udcffna")  # "An\xffna" read with surrogateescape
        assert apologies([r.text for r in replies]) == []
        async with app.db.read() as tx:
            person = await tx.people.by_identity(Channel.TELEGRAM, "anna")
            assert person is not None
            assert "name" in await tx.answers.all(person.id)


def test_console_input_in_latin_1(tmp_path: Path, database: str) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SPORTELLO_", "TELEGRAM_", "TWILIO_", "ZOOM_", "PUBLIC_URL"))
    }
    env["SPORTELLO_DATABASE"] = database
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input="2\nI accept\nPerch\xe9 no\n".encode("latin-1"),  # a Latin-1 terminal's "é"
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    out = result.stdout.decode("utf-8", "replace")
    assert result.returncode == 0
    assert "2/21" in out, out[-500:]  # the name was taken: the next question is asked
    assert apologies(out.splitlines()) == []


async def test_the_apology_speaks_the_persons_language(
    tmp_path: Path, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.flows import intake

    async with fuzz_app(make_settings(database), ManualClock(START)) as app:
        chat = Chat(app.engine, "+393331234567", language="it", channel=Channel.WHATSAPP)
        await chat.send("ciao")
        await chat.tap("notice.accept")
        await chat.send("/lingua")
        await chat.tap("lang.en")
        assert "What should we call you?" in chat.question.text  # English from now on

        async def broken(*args: object) -> None:
            raise RuntimeError("a bug")

        monkeypatch.setattr(intake, "save_answer", broken)
        replies = await chat.send("Anna")
    assert "Sorry, something went wrong on our side" in replies[0].text


@pytest.mark.parametrize("case", ["deeply nested JSON", "a date out of range"])
async def test_an_authenticated_body_that_crashes_the_parser(tmp_path: Path, case: str) -> None:
    body = (
        b"[" * 30_000 + b"]" * 30_000  # under the 64 KiB limit
        if case == "deeply nested JSON"
        else json.dumps(_update(4200006, date=10**20)).encode()
    )
    async with web_app(tmp_path, ManualClock(START)) as web:
        transport = httpx.ASGITransport(app=web.asgi, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://internal") as http:
            response = await http.post(
                TELEGRAM_PATH,
                content=body,
                headers={
                    "X-Telegram-Bot-Api-Secret-Token": SECRET,
                    "Content-Type": "application/json",
                },
            )
    assert response.status_code == 400


async def test_erasure_is_confirmed_on_whatsapp(tmp_path: Path) -> None:
    async with web_app(tmp_path, ManualClock(START)) as web:
        fake = web.twilio
        transport = httpx.ASGITransport(app=web.asgi, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://internal") as http:
            for text in ("Ciao", "1", "/cancella", "1"):  # hello, accept, erase, yes
                params = fake.inbound_params(NUMBERS[0], text)
                signature = fake.sign(PUBLIC + INBOUND_PATH, params)
                response = await http.post(
                    INBOUND_PATH, data=params, headers={"X-Twilio-Signature": signature}
                )
                assert response.status_code == 200
        async with web.app.db.read() as tx:
            assert await tx.people.by_identity(Channel.WHATSAPP, NUMBERS[0]) is None  # erased
        last = fake.messages[-1].body or ""
    assert "i tuoi dati sono stati cancellati" in last, last
