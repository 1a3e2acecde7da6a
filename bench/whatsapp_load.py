"""WhatsApp load: people post the intake by numbers (tests/test_whatsapp.py) as signed Twilio
forms to the bot's web server, each waiting for the next question to reach the fake Twilio.

One process, or several on one PostgreSQL database: each listens on its own port and the
people's posts go to them in turn, as a reverse proxy without sticky sessions would send
them (a person's next message often reaches another process). They all share one public URL,
the address Twilio signs."""

from __future__ import annotations

import asyncio
import itertools
import re
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.load import STEP_TIMEOUT, Load, Watched, confirmed_intakes, crowd, settle
from bench.processes import (
    Child,
    bot_args,
    bot_env,
    command_cpu_seconds,
    free_port,
    machine_cpu,
    own_cpu_seconds,
    server_env,
    spawn,
)

if TYPE_CHECKING:
    import aiohttp

    from tests.fakes.twilio_api import FakeTwilio, SentMessage

FIRST_NUMBER = 393_300_000_000
"""WhatsApp numbers of the simulated people: +3933..., Italian, so spoken to in Italian."""
INBOUND = "/whatsapp/inbound"
_QUESTION = re.compile(r"(?m)^1\. ")


def whatsapp_steps() -> list[str]:
    from tests.test_whatsapp import INTAKE_BY_NUMBERS

    return ["Ciao", *INTAKE_BY_NUMBERS]


def number(index: int) -> str:
    return f"+{FIRST_NUMBER + index}"


class WhatsAppPeople(Watched):
    """People posting signed forms, answered through the fake Twilio's messages."""

    fake: FakeTwilio

    def __init__(
        self,
        fake: FakeTwilio,
        http: aiohttp.ClientSession,
        public: str,
        echo: bool,
        servers: Sequence[str] = (),
    ) -> None:
        super().__init__(fake)
        self.http = http
        self.public = public
        self.echo = echo
        self.servers = list(servers) or [public]
        self._turn = itertools.cycle(self.servers)

    def _answers(self, message: SentMessage) -> bool:
        """The bot's turn ends with the next question (numbered options); the echo's at once."""
        return self.echo or bool(_QUESTION.search(message.body or ""))

    def _scan(self, _calls: Sequence[Any]) -> bool:
        messages = self.fake.messages
        for message in messages[self._cursor :]:
            self.waiters.seen(message.number, message.created_at, self._answers(message))
        self._cursor = len(messages)
        return False

    async def _post(
        self, number: str, text: str, *, server: str | None = None, retry_refused: bool = False
    ) -> None:
        import aiohttp

        # Message SIDs unique across fakes: a database may serve several runs, and the bot
        # rightly handles a re-delivered MessageSid once.
        params = self.fake.inbound_params(number, text, message_sid=f"SM{uuid.uuid4().hex}")
        signature = self.fake.sign(self.public + INBOUND, params)
        headers = {"X-Twilio-Signature": signature}
        url = (server or next(self._turn)) + INBOUND
        while True:
            try:
                async with self.http.post(url, data=params, headers=headers) as response:
                    await response.read()
                    status = response.status
                break
            except aiohttp.ClientConnectorError:
                if not retry_refused:
                    raise
                await asyncio.sleep(0.01)
        if status != 200:
            raise AssertionError(f"{number}: the webhook answered {status}")

    async def say(
        self, number: str, text: str, *, server: str | None = None, retry_refused: bool = False
    ) -> None:
        await self.waiters.step(
            number, lambda: self._post(number, text, server=server, retry_refused=retry_refused)
        )

    async def intake(self, number: object, steps: int | None = None) -> int:
        assert isinstance(number, str)
        script = whatsapp_steps()[:steps]
        for text in script:
            await self.say(number, text)
        return len(script)

    async def first_post(self, child: Child, number: str, server: str) -> float:
        """Post as soon as the process exists (retrying while the port refuses)."""
        hello = self.say(number, "Ciao", server=server, retry_refused=True)
        return await self.first_reply(child, number, hello)


def _twilio_settings(fake: FakeTwilio, public: str) -> dict[str, str]:
    return {
        "PUBLIC_URL": public,
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "TWILIO_WHATSAPP_NUMBER": fake.whatsapp_number,
        "TWILIO_API_URL": fake.url,
    }


async def whatsapp_load(
    folder: Path,
    name: str,
    people: int,
    *,
    echo: bool = False,
    database: Path | str | None = None,
    steps: int | None = None,
    first: int = 0,
    processes: int = 1,
) -> Load:
    """``processes`` servers (the bot, or the echo app) serving ``people`` at once; their
    numbers start at ``first`` (a database can serve several loads of new people)."""
    import aiohttp

    from tests.fakes.twilio_api import FakeTwilio

    load = Load()
    ports = [free_port() for _ in range(processes)]
    servers = [f"http://127.0.0.1:{port}" for port in ports]
    database = database or folder / f"{name}.db"
    async with FakeTwilio() as fake:
        settings = _twilio_settings(fake, servers[0])
        names = [name] if processes == 1 else [f"{name}-{i}" for i in range(processes)]
        # aiohttp rather than httpx: with a hundred connections httpcore's pool (and its
        # failed `import sniffio` per request) made this process, not the server, the limit.
        connector = aiohttp.TCPConnector(limit=people + 8 * processes)
        timeout = aiohttp.ClientTimeout(total=STEP_TIMEOUT)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            phones = WhatsAppPeople(fake, http, servers[0], echo, servers)
            async with phones.watching():
                children = []
                try:
                    for who, port in zip(names, ports, strict=True):
                        if echo:
                            args = ["-m", "bench.whatsapp_echo"]
                            env = server_env(SPORTELLO_PORT=str(port), **settings)
                        else:
                            args = bot_args(folder)
                            env = bot_env(database, SPORTELLO_PORT=str(port), **settings)
                        children.append(await spawn(who, args, env, folder))
                    warm = [
                        phones.first_post(child, number(first + people + i), servers[i])
                        for i, child in enumerate(children)
                    ]
                    load.first_reply = max(await asyncio.gather(*warm))
                    await settle()
                    await _measure(load, phones, children, people, first, steps)
                finally:
                    for child in children:
                        await child.stop()
    if not echo:
        load.confirmed = await confirmed_intakes(database)
    return load


async def _measure(
    load: Load,
    phones: WhatsAppPeople,
    children: Sequence[Child],
    people: int,
    first: int,
    steps: int | None,
) -> None:
    cpu, own, machine = sum(c.cpu_seconds() for c in children), own_cpu_seconds(), machine_cpu()
    database = command_cpu_seconds("postgres")
    numbers = [number(first + i) for i in range(people)]
    await crowd(numbers, lambda who: phones.intake(who, steps), load)
    load.cpu = sum(c.cpu_seconds() for c in children) - cpu
    load.driver_cpu = own_cpu_seconds() - own
    load.machine_busy = machine_cpu().busy_since(machine)
    load.database_cpu = command_cpu_seconds("postgres") - database
    load.peak_rss_mb = max(c.peak_rss_mb() for c in children)
    load.latencies = phones.waiters.latencies[len(children) :]  # without the warm-up posts
