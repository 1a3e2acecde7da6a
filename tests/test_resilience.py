"""`sportello run` under a burst that exhausts its file descriptors (issue 10, item 1).

The incident: a burst of connections used up the process's descriptors just as the first
WhatsApp message from a country not seen before arrived. phonenumbers loaded that region's
metadata lazily, on the event loop, under a lock it never released when the file could not be
opened; the next unseen region blocked the loop for good, /healthz timed out and SIGTERM was
ignored, while asyncio logged "socket.accept() out of system resource" without pause.

Here the real process runs with a limit of 64 descriptors (set in the child before exec), the
test opens connections on loopback until the bot has to refuse them, WhatsApp forms from new
countries arrive in the middle of it, and then: the forms are answered, /healthz answers, the
log stays small, and SIGTERM stops the process within a few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from tests.fakes.twilio_api import FakeTwilio
from tests.test_run import free_port, wait_healthy

DESCRIPTORS = 64
BURST = 300
FRANCE, GERMANY, SPAIN = "+33612345678", "+4915123456789", "+34612345678"
LOG_BUDGET = 64 * 1024  # bytes of log for the whole run, burst included


def few_descriptors() -> None:
    """Runs in the child between fork and exec."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (DESCRIPTORS, DESCRIPTORS))


class Output:
    """Drains a pipe as it fills (a flood must not block the child on a full pipe), keeping
    the size and the first bytes."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self.size = 0
        self.head = bytearray()
        self._task = asyncio.create_task(self._drain(stream))

    async def _drain(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            self.size += len(chunk)
            if len(self.head) < LOG_BUDGET:
                self.head += chunk[: LOG_BUDGET - len(self.head)]

    async def finished(self) -> str:
        await self._task
        return self.head.decode(errors="replace")


@contextlib.asynccontextmanager
async def bot_process(
    tmp_path: Path, twilio: FakeTwilio, port: int
) -> AsyncIterator[tuple[asyncio.subprocess.Process, Output]]:
    env = {
        **os.environ,
        "SPORTELLO_DATABASE": str(tmp_path / "s.db"),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "SPORTELLO_PORT": str(port),
        "SPORTELLO_LOG_LEVEL": "INFO",
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_WHATSAPP_NUMBER": twilio.whatsapp_number,
        "TWILIO_API_URL": twilio.url,
    }
    env.pop("TELEGRAM_BOT_TOKEN", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        preexec_fn=few_descriptors,
    )
    assert process.stderr is not None
    output = Output(process.stderr)
    try:
        yield process, output
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def signed_form(twilio: FakeTwilio, public: str, number: str, text: str) -> tuple[bytes, bytes]:
    """The request head and body Twilio would send for `number` writing `text`."""
    params = twilio.inbound_params(number, text)
    body = urlencode(params).encode()
    head = (
        "POST /whatsapp/inbound HTTP/1.1\r\n"
        f"Host: {public.removeprefix('http://')}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Twilio-Signature: {twilio.sign(public + '/whatsapp/inbound', params)}\r\n"
        "\r\n"
    ).encode()
    return head, body


async def status_of(reader: asyncio.StreamReader) -> int:
    line = await asyncio.wait_for(reader.readline(), timeout=20)
    assert line.startswith(b"HTTP/1.1 "), line
    return int(line.split()[1])


def open_descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def connect(port: int) -> Connection | None:
    try:
        return await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout=2)
    except (OSError, TimeoutError):
        return None


def hung_up(connection: Connection) -> bool:
    reader, _writer = connection
    return reader.at_eof() or reader.exception() is not None


async def burst(port: int, pid: int) -> list[Connection]:
    """Idle connections, all at once, until the bot either runs out of descriptors or hangs
    up on some; the test keeps them open until it closes them itself."""
    opened = await asyncio.gather(*(connect(port) for _ in range(BURST)))
    crowd = [c for c in opened if c is not None]
    for _ in range(400):
        if open_descriptors(pid) >= DESCRIPTORS - 1 or any(hung_up(c) for c in crowd):
            return crowd
        await asyncio.sleep(0.025)
    raise AssertionError(f"{len(crowd)} connections and the bot took them all")


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to count fds")
async def test_burst_that_exhausts_descriptors_does_not_freeze_the_bot(tmp_path: Path) -> None:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    async with FakeTwilio() as twilio, bot_process(tmp_path, twilio, port) as (process, output):
        async with httpx.AsyncClient(base_url=public, timeout=10) as http:
            await wait_healthy(http, process)
        # France writes first: its request is in, its body still to come, when the burst hits.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head, body = signed_form(twilio, public, FRANCE, "Bonjour")
        writer.write(head)
        await writer.drain()
        crowd = await burst(port, process.pid)
        writer.write(body)
        assert await status_of(reader) == 200
        writer.close()
        # Germany writes while the crowd is still there.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head, body = signed_form(twilio, public, GERMANY, "Hallo")
        writer.write(head + body)
        german_status = await status_of(reader)
        writer.close()
        assert german_status in (200, 503)  # served, or a quick refusal: never a hang
        for _reader, idle in crowd:
            idle.close()
        async with httpx.AsyncClient(base_url=public, timeout=10) as http:
            await wait_healthy(http, process)
            params = twilio.inbound_params(SPAIN, "Hola")
            signature = twilio.sign(f"{public}/whatsapp/inbound", params)
            answer = await http.post(
                "/whatsapp/inbound", data=params, headers={"X-Twilio-Signature": signature}
            )
            assert answer.status_code == 200
        wanted = {FRANCE, SPAIN} | ({GERMANY} if german_status == 200 else set())
        await twilio.wait_for(
            lambda _: wanted <= {m.number for m in twilio.messages},
            timeout=60,
        )
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=10)
        log = await output.finished()
        assert process.returncode == 0, log
        assert output.size < LOG_BUDGET, f"{output.size} bytes of log:\n{log[:4000]}"
        assert "Traceback" not in log, log
