"""Canaries in the logs: whole conversations full of recognisable fake personal data and
secrets, on every channel, with logging at DEBUG; not one log line may carry any of them.

* Telegram, in process: python-telegram-bot polling the fake Bot API, the intake, a booking,
  "my data", forged buttons, a voice note, a reminder through the outbox with a 429 and a
  blocked user, a reschedule, a cancellation and the erasure; every record captured with
  caplog at DEBUG after `cap_library_loggers("DEBUG")`.
* WhatsApp, in process: signed Twilio webhooks to the ASGI app and the real twilio client
  against the fake Twilio API, the intake, a booking, status callbacks (delivered, read,
  failed, blocked), a forged signature, a reminder outside the 24-hour window.
* The command line, as subprocesses with SPORTELLO_LOG_LEVEL=DEBUG: `sportello run` polling
  the fake Bot API for a whole conversation, `sportello chat --multi`, and the administrator's
  listings; their stderr (and the listings' stdout) is searched.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from telegram import Bot

from bot.app import App
from bot.clock import ROME, ManualClock
from bot.domain import Channel
from bot.handlers.telegram import TelegramSender, build_application
from bot.handlers.telegram_poll import Poller
from bot.handlers.whatsapp import WhatsAppSender
from bot.logs import cap_library_loggers
from tests.chat import TYPICAL_ANSWERS
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.test_console import ENGLISH_SCRIPT
from tests.test_telegram import Phone
from tests.test_whatsapp import INTAKE_BY_NUMBERS, whatsapp_world

NAME = "Zxqcanary"
TEXT = "Canarytext"
TELEGRAM_USER = 987650001
WHATSAPP_NUMBER = "+393339876501"
BOT_TOKEN = "987650002:ZxqCanaryBotToken_not-a-real-one_42"
TWILIO_SID = "ACzxqcanary" + "z" * 23
TWILIO_TOKEN = "zxqcanary-twilio-auth-token-7f3a"
WEBHOOK_SECRET = "zxqcanary_webhook_secret_0123"
PUBLIC = "https://sportello.example.org"
EXPERIENCE = f"{TEXT} six years as a cook at {TEXT} Trattoria"
EXPECTATIONS = f"{TEXT} I hope to find {TEXT} work near home"


def canaries(*extra: str) -> list[str]:
    return [
        NAME,
        NAME.lower(),
        TEXT,
        TEXT.lower(),
        str(TELEGRAM_USER),
        WHATSAPP_NUMBER,
        WHATSAPP_NUMBER.removeprefix("+"),
        "3339876501",
        BOT_TOKEN,
        BOT_TOKEN.split(":", 1)[1],
        TWILIO_SID,
        TWILIO_TOKEN,
        WEBHOOK_SECRET,
        *extra,
    ]


def leaks(lines: Iterable[str], *extra: str) -> list[tuple[str, str]]:
    """(canary, line) for every line that carries one."""
    found = []
    for line in lines:
        for canary in canaries(*extra):
            if canary in line:
                found.append((canary, line))
    return found


def record_lines(records: Iterable[logging.LogRecord]) -> list[str]:
    """Each record as a handler would write it: the message, its exception, its stack."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return [formatter.format(r) for r in records]


def intake_answers() -> list[tuple[str, str]]:
    """The typical intake with the canaries as name and free texts."""
    answers = []
    for how, value in TYPICAL_ANSWERS:
        if value == "Anna":
            answers.append((how, NAME))
        elif how == "text":
            answers.append((how, EXPERIENCE))
        else:
            answers.append((how, value))
    skip = answers.index(("tap", "nav.skip"))  # the expectations: written this time
    answers[skip] = ("text", EXPECTATIONS)
    return answers


# -- Telegram, in process ----------------------------------------------------------------------


@pytest.fixture
async def telegram(app: App) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=BOT_TOKEN) as fake:
        application = build_application(app.engine, fake.token, fake.url)
        async with application:
            await application.start()
            poller = Poller(application, timeout=1)
            poller.start()
            try:
                yield fake
            finally:
                await poller.stop()
                await application.stop()


async def test_a_whole_telegram_conversation_logs_no_canary(
    app: App, telegram: FakeTelegram, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    cap_library_loggers("DEBUG")
    caplog.set_level(logging.DEBUG)
    phone = Phone(telegram, TELEGRAM_USER, first_name=NAME)
    await phone.type(f"/start {NAME}")
    await phone.tap("notice.accept")
    for how, value in intake_answers():
        await (phone.type(value) if how == "text" else phone.tap(value))
    await phone.tap("summary.confirm")
    await phone.tap("d.20261126")
    await phone.tap("t.1000")
    assert "Booked!" in phone.texts()
    await phone.type("/imieidati")
    assert NAME in phone.texts()  # the person sees their data; the log does not
    await phone.press(phone.question()["message_id"], f"forged {NAME} {TEXT} data")
    await phone.press(phone.question()["message_id"], "999:t.0000")
    voice = {
        "message": {
            "message_id": 4000,
            "date": int(time.time()),
            "chat": {"id": TELEGRAM_USER, "type": "private", "first_name": NAME},
            "from": {"id": TELEGRAM_USER, "is_bot": False, "first_name": NAME},
            "voice": {"file_id": f"{NAME}-voice", "file_unique_id": "u1", "duration": 3},
        }
    }
    await phone._after(lambda: telegram.send_update(voice))
    await phone.type(f"/nonsense {NAME} {TEXT}")

    # The day-before reminder through the outbox, first refused with a 429.
    clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=ROME))
    telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    sender = TelegramSender(Bot(telegram.token, base_url=f"{telegram.url}/bot"))
    async with sender.bot:
        dispatcher = app.dispatcher({Channel.TELEGRAM: sender}, {})
        await dispatcher.tick()
        clock.advance(timedelta(seconds=2))
        await dispatcher.tick()
    assert "Do you confirm?" in phone.question()["text"]
    await phone.tap("appt.move")
    await phone.tap("d.20261126")
    await phone.tap("t.1100")
    await phone.type("/appuntamento")
    await phone.tap("appt.cancel")
    await phone.tap("cancel.yes")
    assert "Your appointment has been cancelled." in phone.texts()
    # Blocked: the next answer fails with 403 and the person is marked unreachable.
    telegram.block_user(TELEGRAM_USER)
    telegram.send_text(TELEGRAM_USER, f"/aiuto {NAME}", language_code="en", first_name=NAME)
    await telegram.wait_for(lambda calls: any(c.status == 403 for c in calls))
    telegram.unblock_user(TELEGRAM_USER)
    await phone.type("/cancella")
    erase = next(d for _l, d in telegram.buttons(phone.question()) if d.endswith(":erase.yes"))
    telegram.press_button(TELEGRAM_USER, phone.question()["message_id"], erase)
    await telegram.wait_for(
        lambda calls: any("have been deleted" in str(c.params.get("text")) for c in calls)
    )

    lines = record_lines(caplog.records)
    assert len(lines) >= 3, "the run logged something"
    assert leaks(lines, telegram.token) == []
    assert leaks(caplog.text.splitlines(), telegram.token) == []


# -- WhatsApp, in process -----------------------------------------------------------------------


@dataclass
class WhatsApp:
    app: App
    fake: FakeTwilio
    http: httpx.AsyncClient
    sender: WhatsAppSender

    async def post(self, path: str, params: dict[str, str], *, signed: bool = True) -> int:
        headers = {"X-Twilio-Signature": self.fake.sign(PUBLIC + path, params)} if signed else {}
        response = await self.http.post(path, data=params, headers=headers)
        return response.status_code

    async def say(self, text: str | None, **extra: str) -> int:
        params = self.fake.inbound_params(WHATSAPP_NUMBER, text, profile_name=NAME, **extra)
        return await self.post("/whatsapp/inbound", params)

    def bodies(self) -> str:
        return "\n".join(m.body or "" for m in self.fake.messages)


@pytest.fixture
async def whatsapp(tmp_path: Path, database: str, clock: ManualClock) -> AsyncIterator[WhatsApp]:
    async with whatsapp_world(
        tmp_path, database, clock, account_sid=TWILIO_SID, auth_token=TWILIO_TOKEN
    ) as world:
        yield WhatsApp(world.app, world.fake, world.http, world.sender)


async def test_a_whole_whatsapp_conversation_logs_no_canary(
    whatsapp: WhatsApp, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    cap_library_loggers("DEBUG")
    caplog.set_level(logging.DEBUG)
    script = list(INTAKE_BY_NUMBERS)
    script[script.index("Cinque anni da cameriera")] = EXPERIENCE
    script[script.index("salta")] = EXPECTATIONS
    assert await whatsapp.say(f"Ciao, sono {NAME}") == 200
    for text in script:
        assert await whatsapp.say(text) == 200
    await whatsapp.say("5")  # Monday 30 November
    await whatsapp.say("1")  # 9:00, with Giulia
    assert "Prenotato!" in whatsapp.bodies()
    await whatsapp.say("/imieidati")
    assert NAME in whatsapp.bodies()
    await whatsapp.say(None, NumMedia="1", MessageType="image", MediaUrl0=f"https://x/{NAME}")
    await whatsapp.say(None, ButtonPayload=f"1:{NAME}", ButtonText=NAME, MessageType="button")
    await whatsapp.say(f"STOP {NAME}")
    # Forged: a signature over other fields, and none at all.
    params = whatsapp.fake.inbound_params(WHATSAPP_NUMBER, TEXT, profile_name=NAME)
    forged = {**params, "Body": f"{TEXT} forged"}
    headers = {"X-Twilio-Signature": whatsapp.fake.sign(PUBLIC + "/whatsapp/inbound", params)}
    refused = await whatsapp.http.post("/whatsapp/inbound", data=forged, headers=headers)
    assert refused.status_code == 403
    assert await whatsapp.post("/whatsapp/inbound", params, signed=False) == 403
    # Status callbacks: delivered, read, failed outside the window, blocked, unknown.
    sid = whatsapp.fake.messages[-1].sid
    for status, code in (("delivered", None), ("read", None), ("failed", "63016")):
        assert (
            await whatsapp.post("/whatsapp/status", whatsapp.fake.status_params(sid, status, code))
            == 200
        )
    # The day before, long outside the 24-hour window: the reminder goes as a template that
    # carries the name.
    clock.set(datetime(2026, 11, 29, 9, 0, tzinfo=ROME))
    dispatcher = whatsapp.app.dispatcher({Channel.WHATSAPP: whatsapp.sender}, {})
    await dispatcher.tick()
    template = whatsapp.fake.messages[-1]
    assert template.content_sid == "HX11111111111111111111111111111111"
    assert (template.content_variables or {}).get("1") == NAME
    # Then the person blocks the business: a failed status for a message we never sent.
    unknown = whatsapp.fake.status_params("SM" + "e" * 32, "failed", "63014", to=WHATSAPP_NUMBER)
    assert await whatsapp.post("/whatsapp/status", unknown) == 200

    lines = record_lines(caplog.records)
    assert len(lines) >= 3, "the run logged something"
    assert leaks(lines) == []
    assert leaks(caplog.text.splitlines()) == []


# -- the command line ---------------------------------------------------------------------------


def environment(database: str, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SPORTELLO_", "TELEGRAM_", "TWILIO_", "ZOOM_", "PUBLIC_URL"))
    }
    env.update(
        SPORTELLO_DATABASE=database,
        SPORTELLO_LOG_LEVEL="DEBUG",
        **extra,
    )
    return env


async def test_sportello_run_logs_no_canary(tmp_path: Path, database: str) -> None:
    """The real process with the real logging set-up, polling the fake Bot API."""
    async with FakeTelegram(token=BOT_TOKEN) as fake:
        env = environment(database, TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_URL=fake.url)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=tmp_path,
        )
        try:
            phone = Phone(fake, TELEGRAM_USER, first_name=NAME)
            # The fake keeps the update until the process starts polling.
            fake.send_text(TELEGRAM_USER, f"/start {NAME}", language_code="en", first_name=NAME)
            await fake.wait_for(
                lambda calls: any(
                    c.method == "sendMessage" and c.params.get("reply_markup") for c in calls
                ),
                timeout=60,
            )
            await phone.tap("notice.accept")
            for how, value in intake_answers():
                await (phone.type(value) if how == "text" else phone.tap(value))
            await phone.tap("summary.confirm")
            day = next(d for _l, d in fake.buttons(phone.question()) if ":d." in d)
            await phone.press(phone.question()["message_id"], day)
            time_ = next(d for _l, d in fake.buttons(phone.question()) if ":t." in d)
            await phone.press(phone.question()["message_id"], time_)
            assert "Booked!" in phone.texts()
            await phone.type("/imieidati")
            await phone.press(phone.question()["message_id"], f"forged {NAME}")
        finally:
            process.send_signal(signal.SIGTERM)
            stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    log = stderr.decode("utf-8", "replace")
    assert process.returncode == 0, log
    assert "Telegram long polling started" in log
    assert leaks(log.splitlines(), fake.token) == []
    assert leaks(stdout.decode("utf-8", "replace").splitlines(), fake.token) == []

    # The administrator's listings of what that conversation left: no names, no ids.
    for command in (["bookings", "--all", "--days", "30"], ["outbox", "--all"], ["slots"]):
        listing = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "bot", *command],
            capture_output=True,
            text=True,
            env=environment(database),
            cwd=tmp_path,
            timeout=120,
            check=False,
        )
        assert listing.returncode == 0, listing.stderr
        assert leaks(listing.stdout.splitlines() + listing.stderr.splitlines()) == []


def test_sportello_chat_logs_no_canary(tmp_path: Path, database: str) -> None:
    script = [f"@{NAME.lower()} /start"]
    script += [f"@{NAME.lower()} {line}" for line in ENGLISH_SCRIPT]
    script[script.index(f"@{NAME.lower()} Anna")] = f"@{NAME.lower()} {NAME}"
    script += [f"@{NAME.lower()} 1", f"@{NAME.lower()} 1", f"@{NAME.lower()} /imieidati"]
    script += [f"@{NAME.lower()} {EXPECTATIONS}", f"@{TELEGRAM_USER} /start"]
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--multi"],
        input="\n".join(script) + "\n",
        capture_output=True,
        text=True,
        env=environment(database, TELEGRAM_BOT_TOKEN=BOT_TOKEN.replace("987650002", "1234")),
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"Thank you, {NAME}!" in result.stdout
    assert leaks(result.stderr.splitlines(), BOT_TOKEN.replace("987650002", "1234")) == []
