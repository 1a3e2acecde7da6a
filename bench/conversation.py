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
question to reach the fake Twilio. The baseline is `python -m bench.conversation
whatsapp-echo`: a bare Starlette app under uvicorn that reads the form, checks the signature
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

import asyncio
import contextlib
import os
import re
import resource
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from bench.common import ROOT, Result, percentile

if TYPE_CHECKING:
    import aiohttp

    from tests.fakes.telegram_api import Call, FakeTelegram
    from tests.fakes.twilio_api import FakeTwilio, SentMessage

STEP_TIMEOUT = 300.0
"""Seconds a person waits for one answer before the run is declared broken."""
FIRST_PERSON = 30_000_000
"""Telegram ids of the simulated people (the warm-up person is the one before)."""
FIRST_NUMBER = 393_300_000_000
"""WhatsApp numbers of the simulated people: +3933..., Italian, so spoken to in Italian."""
CONFIG = ROOT / "config" / "example.toml"
INBOUND = "/whatsapp/inbound"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
_QUESTION = re.compile(r"(?m)^1\. ")
_OUR_SETTINGS = ("TELEGRAM_", "TWILIO_", "PUBLIC_URL", "SPORTELLO_", "ZOOM_")


# --------------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------------


@dataclass
class Child:
    """A server process under measurement (Linux: CPU and memory come from /proc)."""

    process: asyncio.subprocess.Process
    spawned: float
    """time.time() just before the process was created."""
    log: Path
    name: str

    def cpu_seconds(self) -> float:
        """user + sys time of the process so far, all its threads included."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()  # fields[0] is field 3 of proc(5)
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def alive(self) -> bool:
        return self.process.returncode is None

    def failure(self, what: str) -> RuntimeError:
        tail = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
        return RuntimeError(f"{self.name}: {what}; its output ends with:\n{tail}")

    async def stop(self) -> None:
        """SIGTERM, then wait for a clean exit (a non-zero status is an error)."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout=60)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
                raise self.failure("did not stop within 60 s of SIGTERM") from None
        if self.process.returncode != 0:
            raise self.failure(f"exited with status {self.process.returncode}")


def server_env(**settings: str) -> dict[str, str]:
    """This environment without any of the bot's settings, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OUR_SETTINGS)}
    env.update(settings)
    return env


def bot_env(database: Path, **settings: str) -> dict[str, str]:
    return server_env(
        SPORTELLO_DATABASE=str(database),
        SPORTELLO_CONFIG=str(CONFIG),
        SPORTELLO_LOG_LEVEL="WARNING",
        **settings,
    )


def bot_args(folder: Path, command: Sequence[str] = ("-m", "bot")) -> list[str]:
    """`sportello run`, reading no .env file (the bench's settings come from the environment)."""
    return [*command, "--env-file", str(folder / "no.env"), "run"]


async def spawn(name: str, args: Sequence[str], env: dict[str, str], folder: Path) -> Child:
    """`python *args` from the project's folder (as `sportello run` is started there), its
    output to a log file in ``folder``."""
    log = folder / f"{name}.log"
    with log.open("wb") as out:
        spawned = time.time()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
            cwd=ROOT,
        )
    return Child(process, spawned, log, name)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------------------------
# Measuring a load
# --------------------------------------------------------------------------------------------


@dataclass
class Load:
    """What one server did under one load."""

    updates: int = 0
    wall: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu: float = 0.0
    driver_cpu: float = 0.0
    first_reply: float = 0.0
    peak_rss_mb: float = 0.0
    confirmed: int = 0

    @property
    def rate(self) -> float:
        return self.updates / self.wall if self.wall else 0.0

    @property
    def cpu_ms(self) -> float:
        return self.cpu * 1000 / self.updates if self.updates else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000


class Waiters:
    """Per-person futures, resolved by one watcher: far cheaper than a wait_for per person."""

    def __init__(self) -> None:
        self._waiting: dict[object, asyncio.Future[float]] = {}
        self.first_seen: dict[object, float] = {}
        self.latencies: list[float] = []

    def expect(self, who: object) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[who] = future
        return future

    def seen(self, who: object, at: float, answers: bool) -> None:
        self.first_seen.setdefault(who, at)
        if answers:
            future = self._waiting.pop(who, None)
            if future is not None and not future.done():
                future.set_result(at)

    async def step(self, who: object, act: Callable[[], Awaitable[None] | None]) -> float:
        """Do something as ``who`` and wait for the answer; returns the latency in seconds."""
        future = self.expect(who)
        sent = time.time()
        done = act()
        if done is not None:
            await done
        try:
            answered = await asyncio.wait_for(future, STEP_TIMEOUT)
        except TimeoutError:
            raise AssertionError(f"no answer to {who} within {STEP_TIMEOUT:.0f} s") from None
        latency = answered - sent
        self.latencies.append(latency)
        return latency


async def crowd(
    people: Sequence[object], person: Callable[[object], Awaitable[int]], load: Load
) -> None:
    """Everyone at once; the load's wall time runs from the first step to the last answer."""
    started = time.perf_counter()
    outcomes = await asyncio.gather(*(person(who) for who in people), return_exceptions=True)
    load.wall = time.perf_counter() - started
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            load.errors.append(f"{type(outcome).__name__}: {outcome}")
        else:
            load.updates += outcome


async def confirmed_intakes(database: Path) -> int:
    from storage.db import Database

    db = await Database.open(database)
    try:
        async with db.read() as tx:
            return await tx.stats.intake_count()
    finally:
        await db.close()


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


class Watched:
    """People on a fake; while `watching`, one task scans what the fake received since the
    last scan (`_scan`, a fake `wait_for` predicate that never ends it) and resolves their
    waits."""

    def __init__(self, fake: FakeTelegram | FakeTwilio) -> None:
        self.fake = fake
        self.waiters = Waiters()
        self._cursor = 0

    def _scan(self, calls: Sequence[Any]) -> bool:
        raise NotImplementedError

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[Self]:
        watcher = asyncio.create_task(self.fake.wait_for(self._scan, timeout=24 * 3600))
        try:
            yield self
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


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

    async def first_reply(self, child: Child, chat: int) -> float:
        """Queue /start as soon as the process exists; seconds until its first reply."""
        waiting = asyncio.create_task(self.type(chat, "/start"))
        while not waiting.done():
            if not child.alive():
                waiting.cancel()
                raise child.failure("exited before its first reply")
            await asyncio.wait({waiting}, timeout=0.05)
        await waiting
        return self.waiters.first_seen[chat] - child.spawned


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
                load.first_reply = await phones.first_reply(child, FIRST_PERSON - 1)
                await _settle()
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


async def _settle() -> None:
    """Let the start-up's last messages (the rest of the first turn) finish."""
    await asyncio.sleep(0.5)


# --------------------------------------------------------------------------------------------
# WhatsApp
# --------------------------------------------------------------------------------------------


def whatsapp_steps() -> list[str]:
    from tests.test_whatsapp import INTAKE_BY_NUMBERS

    return ["Ciao", *INTAKE_BY_NUMBERS]


class WhatsAppPeople(Watched):
    """People posting signed forms, answered through the fake Twilio's messages."""

    fake: FakeTwilio

    def __init__(
        self, fake: FakeTwilio, http: aiohttp.ClientSession, public: str, echo: bool
    ) -> None:
        super().__init__(fake)
        self.http = http
        self.public = public
        self.echo = echo

    def _answers(self, message: SentMessage) -> bool:
        """The bot's turn ends with the next question (numbered options); the echo's at once."""
        return self.echo or bool(_QUESTION.search(message.body or ""))

    def _scan(self, _calls: Sequence[Any]) -> bool:
        messages = self.fake.messages
        for message in messages[self._cursor :]:
            self.waiters.seen(message.number, message.created_at, self._answers(message))
        self._cursor = len(messages)
        return False

    async def _post(self, number: str, text: str, *, retry_refused: bool = False) -> None:
        import aiohttp

        # Message SIDs unique across fakes: a database may serve several runs, and the bot
        # rightly handles a re-delivered MessageSid once.
        params = self.fake.inbound_params(number, text, message_sid=f"SM{uuid.uuid4().hex}")
        signature = self.fake.sign(self.public + INBOUND, params)
        headers = {"X-Twilio-Signature": signature}
        while True:
            try:
                async with self.http.post(
                    self.public + INBOUND, data=params, headers=headers
                ) as response:
                    await response.read()
                    status = response.status
                break
            except aiohttp.ClientConnectorError:
                if not retry_refused:
                    raise
                await asyncio.sleep(0.01)
        if status != 200:
            raise AssertionError(f"{number}: the webhook answered {status}")

    async def say(self, number: str, text: str, *, retry_refused: bool = False) -> None:
        await self.waiters.step(
            number, lambda: self._post(number, text, retry_refused=retry_refused)
        )

    async def intake(self, number: object, steps: int | None = None) -> int:
        assert isinstance(number, str)
        script = whatsapp_steps()[:steps]
        for text in script:
            await self.say(number, text)
        return len(script)

    async def first_reply(self, child: Child, number: str) -> float:
        """Post as soon as the process exists (retrying while the port refuses)."""
        waiting = asyncio.create_task(self.say(number, "Ciao", retry_refused=True))
        while not waiting.done():
            if not child.alive():
                waiting.cancel()
                raise child.failure("exited before its first reply")
            await asyncio.wait({waiting}, timeout=0.05)
        await waiting
        return self.waiters.first_seen[number] - child.spawned


def number(index: int) -> str:
    return f"+{FIRST_NUMBER + index}"


async def whatsapp_load(
    folder: Path,
    name: str,
    people: int,
    *,
    echo: bool = False,
    database: Path | None = None,
    steps: int | None = None,
    first: int = 0,
) -> Load:
    """One server process (the bot, or the echo app) serving ``people`` at once; their
    numbers start at ``first`` (a database can serve several loads of new people)."""
    import aiohttp

    from tests.fakes.twilio_api import FakeTwilio

    load = Load()
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    database = database or folder / f"{name}.db"
    async with FakeTwilio() as fake:
        settings = {
            "PUBLIC_URL": public,
            "SPORTELLO_PORT": str(port),
            "TWILIO_ACCOUNT_SID": fake.account_sid,
            "TWILIO_AUTH_TOKEN": fake.auth_token,
            "TWILIO_WHATSAPP_NUMBER": fake.whatsapp_number,
            "TWILIO_API_URL": fake.url,
        }
        if echo:
            args, env = ["-m", "bench.conversation", "whatsapp-echo"], server_env(**settings)
        else:
            args, env = bot_args(folder), bot_env(database, **settings)
        # aiohttp rather than httpx: with a hundred connections httpcore's pool (and its
        # failed `import sniffio` per request) made this process, not the server, the limit.
        connector = aiohttp.TCPConnector(limit=people + 8)
        timeout = aiohttp.ClientTimeout(total=STEP_TIMEOUT)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            phones = WhatsAppPeople(fake, http, public, echo)
            async with phones.watching():
                child = await spawn(name, args, env, folder)
                try:
                    load.first_reply = await phones.first_reply(child, number(first + people))
                    await _settle()
                    cpu, own = child.cpu_seconds(), own_cpu_seconds()
                    numbers = [number(first + i) for i in range(people)]
                    await crowd(numbers, lambda who: phones.intake(who, steps), load)
                    load.cpu = child.cpu_seconds() - cpu
                    load.driver_cpu = own_cpu_seconds() - own
                    load.peak_rss_mb = child.peak_rss_mb()
                    load.latencies = phones.waiters.latencies[1:]
                finally:
                    await child.stop()
    if not echo:
        load.confirmed = await confirmed_intakes(database)
    return load


# --------------------------------------------------------------------------------------------
# The WhatsApp baseline server: `python -m bench.conversation whatsapp-echo`
# --------------------------------------------------------------------------------------------


def whatsapp_echo_app(
    public_url: str, account_sid: str, auth_token: str, sender: str, api_url: str
) -> Any:
    """Signature check, empty TwiML, the text sent back through the twilio client after the
    200: the bot's request path without the conversation and the database."""
    from urllib.parse import parse_qsl

    from starlette.applications import Starlette
    from starlette.background import BackgroundTask
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route
    from twilio.http.async_http_client import AsyncTwilioHttpClient
    from twilio.request_validator import RequestValidator
    from twilio.rest import Client

    validator = RequestValidator(auth_token)
    client = Client(account_sid, auth_token, http_client=AsyncTwilioHttpClient())
    client.api.base_url = api_url
    client.edge = client.region = None
    inbound_url = public_url + INBOUND

    async def send(to: str, body: str) -> None:
        await client.messages.create_async(
            to=to, from_=f"whatsapp:{sender}", body=body, status_callback=public_url + "/status"
        )

    async def inbound(request: Request) -> Response:
        raw = await request.body()
        params = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        signature = request.headers.get("x-twilio-signature", "")
        if not signature or not validator.validate(inbound_url, params, signature):
            return PlainTextResponse("Refused", status_code=403)
        task = BackgroundTask(send, params.get("From", ""), params.get("Body") or "?")
        return Response(EMPTY_TWIML, media_type="text/xml", background=task)

    app = Starlette(routes=[Route(INBOUND, inbound, methods=["POST"])])
    app.state.twilio = client
    return app


def serve_whatsapp_echo() -> None:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn without its own signal handling, stopped cleanly on SIGTERM like the bot."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    async def serve() -> None:
        env = os.environ
        app = whatsapp_echo_app(  # inside the loop: the twilio client's session needs one
            env["PUBLIC_URL"].rstrip("/"),
            env["TWILIO_ACCOUNT_SID"],
            env["TWILIO_AUTH_TOKEN"],
            env["TWILIO_WHATSAPP_NUMBER"],
            env["TWILIO_API_URL"].rstrip("/"),
        )
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=int(env["SPORTELLO_PORT"]),
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=10,
        )
        server = Server(config)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
        try:
            await server.serve()
        finally:
            await app.state.twilio.http_client.close()

    asyncio.run(serve())


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


USAGE = """usage: python -m bench.conversation SERVER
  whatsapp-echo     the WhatsApp baseline server (settings from the bot's environment variables)"""

if __name__ == "__main__":
    if sys.argv[1:] == ["whatsapp-echo"]:
        serve_whatsapp_echo()
    else:
        sys.exit(USAGE)
