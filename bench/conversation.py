"""Conversation throughput and latency: the bot in its own process, people on loopback fakes.

Telegram: N people do the whole intake at the same time (/start, accept the notice, the
typical answers of tests/chat.py, confirm the summary), each waiting for the bot's answer
(a new or redrawn message with buttons) before the next step. The bot is `python -m bot run`
(long polling) on a fresh SQLite file; the fake Bot API runs in this process. Side by side,
the same load (same people, same texts, taps with the same callback data shape) against
`python -m bench.echo_bot`, a bare python-telegram-bot echo bot, on a fresh fake: the
baseline the targets are judged against. A third run puts the same echo bot on the bot's own
HTTP transport (aiohttp rather than python-telegram-bot's default httpx), so the table tells
how much of the difference is the transport and how much the conversation.

WhatsApp: N people post the intake by numbers (tests/test_whatsapp.py) as signed Twilio forms
to the bot's web server (`python -m bot run` with PUBLIC_URL), each waiting for the next
question to reach the fake Twilio. The baseline is `python -m bench.whatsapp_echo`:
a bare Starlette app under uvicorn that reads the form, checks the signature
with twilio's RequestValidator, answers the empty TwiML and sends the text back through the
twilio client in a background task. That is the bot's own request path (same libraries, same
background send after the 200) minus the conversation and the database.

Figures: updates per second over the wall time of the load; p50/p99 reply latency, from
queuing the update (posting the form) until the answer reaches the fake; their ratios to the
baseline; CPU (user+sys of the server process during the load, from /proc) per update and
the updates per second one core could carry at that cost; time from spawning the process to
its first reply; peak RSS.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bench.common import Result
from bench.load import Load, Watched, confirmed_intakes, crowd, settle
from bench.processes import (
    Child,
    bot_args,
    bot_env,
    own_cpu_seconds,
    server_env,
    spawn,
)
from bench.whatsapp_load import whatsapp_load

if TYPE_CHECKING:
    from tests.fakes.telegram_api import Call, FakeTelegram

FIRST_PERSON = 30_000_000
"""Telegram ids of the simulated people (the warm-up person is the one before)."""


# --------------------------------------------------------------------------------------------
# Telegram
# --------------------------------------------------------------------------------------------


def intake_steps() -> list[tuple[str, str]]:
    from tests.chat import TYPICAL_ANSWERS

    return [
        ("text", "/start"),
        ("tap", "notice.accept"),
        *TYPICAL_ANSWERS,
        ("tap", "summary.confirm"),
    ]


def bot_answers(call: Call) -> bool:
    """Every turn of the conversation ends with a message or a redraw carrying buttons."""
    return call.method in ("sendMessage", "editMessageText") and bool(
        call.params.get("reply_markup")
    )


def echo_answers(call: Call) -> bool:
    return call.method == "sendMessage"


class TelegramPeople(Watched):
    """People on the fake Bot API."""

    fake: FakeTelegram

    def __init__(self, fake: FakeTelegram, answers: Callable[[Call], bool]) -> None:
        super().__init__(fake)
        self.answers = answers

    def _scan(self, calls: Sequence[Call]) -> bool:
        for call in calls[self._cursor :]:
            chat = call.params.get("chat_id")
            if call.method.startswith(("send", "edit")) and isinstance(chat, int):
                self.waiters.seen(chat, call.timestamp, self.answers(call))
        self._cursor = len(calls)
        return False

    async def type(self, chat: int, text: str) -> None:
        await self.waiters.step(chat, lambda: self._send(chat, text))

    def _send(self, chat: int, text: str) -> None:
        self.fake.send_text(chat, text, language_code="it", first_name="Anna")

    async def tap(self, chat: int, option_id: str) -> None:
        """Tap the button for ``option_id`` on the latest message with buttons."""
        asked = [m for m in self.fake.chats.get(chat, []) if m.get("reply_markup")]
        if not asked:
            raise AssertionError(f"chat {chat}: no question with buttons")
        buttons = self.fake.buttons(asked[-1])
        data = next((d for _label, d in buttons if d.split(":", 1)[-1] == option_id), None)
        if data is None:
            raise AssertionError(f"chat {chat}: {option_id} not offered on {buttons}")
        message_id = asked[-1]["message_id"]
        await self.waiters.step(chat, lambda: self._press(chat, message_id, data))

    async def tap_any(self, chat: int, data: str) -> None:
        """The echo bot's counterpart: a tap with the same data shape on its last message."""
        message_id = self.fake.chats[chat][-1]["message_id"]
        await self.waiters.step(chat, lambda: self._press(chat, message_id, data))

    def _press(self, chat: int, message_id: int, data: str) -> None:
        self.fake.press_button(chat, message_id, data)

    async def intake(self, chat: object, steps: int | None = None) -> int:
        """The whole intake as a person does it; returns the updates sent."""
        assert isinstance(chat, int)
        script = intake_steps()[:steps]
        for how, value in script:
            await (self.type(chat, value) if how == "text" else self.tap(chat, value))
        return len(script)

    async def echo_intake(self, chat: object, steps: int | None = None) -> int:
        """The same texts and taps for the echo bot."""
        assert isinstance(chat, int)
        script = intake_steps()[:steps]
        for index, (how, value) in enumerate(script):
            if how == "text":
                await self.type(chat, value)
            else:
                await self.tap_any(chat, f"{index}:{value}")
        return len(script)

    async def first_start(self, child: Child, chat: int) -> float:
        """Queue /start as soon as the process exists; seconds until its first reply."""
        return await self.first_reply(child, chat, self.type(chat, "/start"))


async def telegram_load(
    folder: Path,
    name: str,
    people: int,
    *,
    echo: bool = False,
    echo_http: str = "httpx",
    database: Path | None = None,
    steps: int | None = None,
) -> Load:
    """One server process (the bot, or the echo bot) serving ``people`` at once.

    ``echo_http`` picks the echo bot's HTTP client: python-telegram-bot's default (httpx), or
    the bot's own (aiohttp), which tells the transport's share of the difference.
    """
    from tests.fakes.telegram_api import FakeTelegram

    load = Load()
    async with FakeTelegram() as fake:
        api = {"TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_URL": fake.url}
        if echo:
            args, env = ["-m", "bench.echo_bot"], server_env(ECHO_HTTP=echo_http, **api)
        else:
            database = database or folder / f"{name}.db"
            args, env = bot_args(folder), bot_env(database, **api)
        phones = TelegramPeople(fake, echo_answers if echo else bot_answers)
        async with phones.watching():
            child = await spawn(name, args, env, folder)
            try:
                load.first_reply = await phones.first_start(child, FIRST_PERSON - 1)
                await settle()
                cpu, own = child.cpu_seconds(), own_cpu_seconds()
                person = phones.echo_intake if echo else phones.intake
                chats = range(FIRST_PERSON, FIRST_PERSON + people)
                await crowd(chats, lambda chat: person(chat, steps), load)
                load.cpu = child.cpu_seconds() - cpu
                load.driver_cpu = own_cpu_seconds() - own
                load.peak_rss_mb = child.peak_rss_mb()
                load.latencies = phones.waiters.latencies[1:]  # without the warm-up /start
            finally:
                await child.stop()
    if database is not None and not echo:
        load.confirmed = await confirmed_intakes(database)
    return load


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------


def report(
    result: Result,
    people: int,
    bot: Load,
    echo: Load,
    *,
    smoke: bool,
    same_transport: Load | None = None,
) -> Result:
    """The figures of one channel; speed targets are judged on full runs only."""
    judge = None if smoke else True
    loads = [bot, echo] if same_transport is None else [bot, echo, same_transport]
    result.add("people at once", people, "")
    result.add("updates per server", bot.updates, "")
    result.add("intakes confirmed", bot.confirmed, "", f"{people}", bot.confirmed == people)
    errors = sum(len(load.errors) for load in loads)
    result.add("errors", errors, "", "0", errors == 0)
    ratio = bot.rate / echo.rate if echo.rate else 0.0
    p99_ratio = bot.p(99) / echo.p(99) if echo.p(99) else 0.0
    result.add("bot updates/s", bot.rate, "upd/s")
    result.add("echo updates/s", echo.rate, "upd/s")
    result.add("throughput bot/echo", ratio, "x", ">= 0.8", judge and ratio >= 0.8)
    result.add("bot reply p50", bot.p(50), "ms")
    result.add("bot reply p99", bot.p(99), "ms")
    result.add("echo reply p50", echo.p(50), "ms")
    result.add("echo reply p99", echo.p(99), "ms")
    result.add("p99 bot/echo", p99_ratio, "x", "<= 1.5", judge and p99_ratio <= 1.5)
    result.add("bot CPU per update", bot.cpu_ms, "ms")
    result.add("bot upd/s per core at that", 1000 / bot.cpu_ms if bot.cpu_ms else 0.0, "upd/s")
    result.add("echo CPU per update", echo.cpu_ms, "ms")
    result.add("driver+fake CPU per update", bot.driver_cpu * 1000 / max(bot.updates, 1), "ms")
    if same_transport is not None:
        twin = same_transport
        result.add("echo on aiohttp updates/s", twin.rate, "upd/s")
        result.add("throughput bot/that echo", bot.rate / twin.rate if twin.rate else 0.0, "x")
        result.add("that echo reply p99", twin.p(99), "ms")
        result.add("p99 bot/that echo", bot.p(99) / twin.p(99) if twin.p(99) else 0.0, "x")
        result.add("that echo CPU per update", twin.cpu_ms, "ms")
    result.add(
        "bot start to first reply", bot.first_reply, "s", "<= 2", judge and bot.first_reply <= 2
    )
    result.add("echo start to first reply", echo.first_reply, "s")
    result.add("bot peak RSS", bot.peak_rss_mb, "MB")
    result.add("echo peak RSS", echo.peak_rss_mb, "MB")
    for load in loads:
        for error in load.errors[:3]:
            print(f"  {result.scenario}: {error}", file=sys.stderr)
    return result


async def run_telegram(people: int = 200, *, smoke: bool = False, diagnose: bool = True) -> Result:
    """The bot, the echo bot as python-telegram-bot ships it (the baseline), and with
    ``diagnose`` the echo bot on the bot's own HTTP transport."""
    with tempfile.TemporaryDirectory(prefix="bench-telegram-") as tmp:
        folder = Path(tmp)
        bot = await telegram_load(folder, "bot", people)
        echo = await telegram_load(folder, "echo", people, echo=True)
        twin = None
        if diagnose:
            twin = await telegram_load(
                folder, "echo-aiohttp", people, echo=True, echo_http="aiohttp"
            )
    return report(
        Result("Telegram conversation (bot process vs echo bot)"),
        people,
        bot,
        echo,
        smoke=smoke,
        same_transport=twin,
    )


async def run_whatsapp(people: int = 200, *, smoke: bool = False) -> Result:
    with tempfile.TemporaryDirectory(prefix="bench-whatsapp-") as tmp:
        folder = Path(tmp)
        bot = await whatsapp_load(folder, "bot", people)
        echo = await whatsapp_load(folder, "echo", people, echo=True)
    return report(
        Result("WhatsApp conversation (bot process vs echo app)"),
        people,
        bot,
        echo,
        smoke=smoke,
    )
