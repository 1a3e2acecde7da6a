"""`sportello run` as an administrator starts it: the real process, Telegram long polling
against the fake Bot API, a clean stop on SIGTERM, and no secret or personal data in its log."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx

from bot.i18n import SHIPPED_LANGUAGES
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio


async def start_run(env: dict[str, str], **options: Any) -> asyncio.subprocess.Process:
    """`sportello run` in its own process, as an administrator starts it."""
    streams: dict[str, Any] = {"stdout": asyncio.subprocess.PIPE, "stderr": asyncio.subprocess.PIPE}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        stdin=asyncio.subprocess.DEVNULL,
        env=env,
        **(streams | options),
    )


async def stopped(process: asyncio.subprocess.Process) -> str:
    """SIGTERM, as systemd sends it; returns what the process wrote on stderr."""
    process.send_signal(signal.SIGTERM)
    _out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return err.decode() if err else ""


async def killed_if_left(process: asyncio.subprocess.Process) -> None:
    """After a failed test: no process left behind."""
    if process.returncode is None:
        process.kill()
        await process.wait()


async def test_run_serves_telegram_and_stops_cleanly(database: str) -> None:
    async with FakeTelegram() as fake:
        env = {
            **os.environ,
            "SPORTELLO_DATABASE": database,
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_URL": fake.url,
            "SPORTELLO_LOG_LEVEL": "DEBUG",
        }
        process = await start_run(env)
        try:
            fake.send_text(5550123, "/start", language_code="it", first_name="Gianna")
            first = await fake.next_message(5550123, timeout=60)
            assert "Sportello Lavoro" in first["text"]
            fake.send_text(5550123, "Mi chiamo Gianna, cerco lavoro", language_code="it")
            await fake.wait_for(
                lambda calls: sum(c.method == "sendMessage" for c in calls) >= 4, timeout=30
            )
            # The menu goes out in every language after polling starts (it answers meanwhile):
            # wait for the whole start-up before stopping, or its log line may not be there yet.
            await fake.wait_for(
                lambda _calls: all(fake.my_commands(code) for code in SHIPPED_LANGUAGES),
                timeout=30,
            )
            assert [c["command"] for c in fake.my_commands("it")][:2] == ["start", "aiuto"]
        finally:
            process.send_signal(signal.SIGTERM)
            stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, stderr.decode()
        log = stdout.decode() + stderr.decode()
        assert "Telegram long polling started" in log
        for secret_or_personal in (fake.token, "TEST-fake-token", "5550123", "Gianna", "cerco"):
            assert secret_or_personal not in log, secret_or_personal


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_run_with_webhooks_serves_both_channels(database: str) -> None:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    secret = SECRET
    async with FakeTelegram() as telegram, FakeTwilio() as twilio:
        env = webhook_env(database, port, telegram, telegram.url, twilio)
        process = await start_run(env)
        try:
            async with httpx.AsyncClient(base_url=public) as http:
                await wait_healthy(http, process)
                answer = await post_update(http, update(1, 31, "ciao"))
                assert answer.status_code == 200
                calls = [c for c in telegram.calls if c.method == "setWebhook"]
                assert calls[-1].params["url"] == f"{public}/telegram/webhook"
                assert calls[-1].params["secret_token"] == secret
                assert "Which language do you prefer?" in telegram.last_message(31)["text"]
                params = twilio.inbound_params("+393331234567", "Ciao")
                signature = twilio.sign(f"{public}/whatsapp/inbound", params)
                inbound = await http.post(
                    "/whatsapp/inbound", data=params, headers={"X-Twilio-Signature": signature}
                )
                assert inbound.status_code == 200
                await twilio.wait_for(lambda calls: len(calls) >= 2, timeout=30)
                assert "Prima di iniziare" in (twilio.messages[-1].body or "")
        finally:
            process.send_signal(signal.SIGTERM)
            _out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, err.decode()
        for secret_value in (telegram.token, twilio.auth_token, secret, "+393331234567"):
            assert secret_value not in err.decode()


SECRET = "webhook-secret-for-the-test-0123"


def webhook_env(
    database: str, port: int, telegram: FakeTelegram, telegram_url: str, twilio: FakeTwilio
) -> dict[str, str]:
    return {
        **os.environ,
        "SPORTELLO_DATABASE": database,
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram_url,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "SPORTELLO_PORT": str(port),
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_WHATSAPP_NUMBER": twilio.whatsapp_number,
        "TWILIO_API_URL": twilio.url,
    }


def update(update_id: int, chat: int, text: str) -> dict[str, object]:
    sender = {"id": chat, "is_bot": False, "first_name": "Anna"}
    message = {"message_id": 1, "date": 1_800_000_000, "from": sender, "text": text}
    return {"update_id": update_id, "message": {**message, "chat": {**sender, "type": "private"}}}


async def post_update(http: httpx.AsyncClient, body: dict[str, object]) -> httpx.Response:
    """Posts a Telegram update as Telegram does: again while the bot says 503 (still
    connecting to Telegram), up to a generous deadline."""
    for _ in range(600):
        answer = await http.post(
            "/telegram/webhook", json=body, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        )
        if answer.status_code != 503:
            return answer
        await asyncio.sleep(0.05)
    return answer


async def wait_healthy(http: httpx.AsyncClient, process: asyncio.subprocess.Process) -> None:
    """The server is up when /healthz answers; a generous deadline, not a guess."""
    for _ in range(600):
        if process.returncode is not None:
            raise AssertionError("sportello run exited before serving")
        try:
            if (await http.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("sportello run did not become healthy in 30 s")


@contextlib.asynccontextmanager
async def forwarder(port: int, target: int) -> AsyncIterator[None]:
    """Makes `port`, refused until now, reach `target`: Telegram coming back."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(serve, "127.0.0.1", port)
    async with server:
        yield


async def wait_for_line(stream: asyncio.StreamReader, text: str, seen: list[str]) -> None:
    async with asyncio.timeout(60):
        while text not in (line := (await stream.readline()).decode()):
            assert line, f"the process ended before saying {text!r}:\n{''.join(seen)}"
            seen.append(line)
    seen.append(line)


async def test_run_waits_for_telegram_and_serves_once_it_answers(database: str) -> None:
    refused = free_port()
    async with FakeTelegram() as fake:
        env = {
            **os.environ,
            "SPORTELLO_DATABASE": database,
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_URL": f"http://127.0.0.1:{refused}",
        }
        process = await start_run(env)
        assert process.stderr is not None
        seen: list[str] = []
        try:
            await wait_for_line(process.stderr, "Telegram cannot be reached", seen)
            async with forwarder(refused, int(fake.url.rsplit(":", 1)[1])):
                fake.send_text(5550124, "/start", language_code="it")
                first = await fake.next_message(5550124, timeout=60)
                assert "Sportello Lavoro" in first["text"]
                err = await stopped(process)
        finally:
            await killed_if_left(process)
        log = "".join(seen) + err
        assert process.returncode == 0, log
        assert "Traceback" not in log, log
        assert fake.token not in log
        unreachable = [line for line in log.splitlines() if "cannot be reached" in line]
        assert unreachable[0].endswith(
            "Telegram cannot be reached (NetworkError): trying again in 1 s"
        )


async def test_webhooks_serve_whatsapp_while_telegram_cannot_be_reached(database: str) -> None:
    port, refused = free_port(), free_port()
    public = f"http://127.0.0.1:{port}"
    async with FakeTelegram() as telegram, FakeTwilio() as twilio:
        env = webhook_env(database, port, telegram, f"http://127.0.0.1:{refused}", twilio)
        process = await start_run(env)
        assert process.stderr is not None
        seen: list[str] = []
        secret = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        try:
            async with httpx.AsyncClient(base_url=public) as http:
                await wait_healthy(http, process)
                await wait_for_line(process.stderr, "Telegram cannot be reached", seen)
                early = await http.post(
                    "/telegram/webhook", json=update(1, 31, "ciao"), headers=secret
                )
                assert early.status_code == 503  # Telegram delivers it again later
                params = twilio.inbound_params("+393331234567", "Ciao")
                signature = twilio.sign(f"{public}/whatsapp/inbound", params)
                inbound = await http.post(
                    "/whatsapp/inbound", data=params, headers={"X-Twilio-Signature": signature}
                )
                assert inbound.status_code == 200
                await twilio.wait_for(lambda _: len(twilio.messages) >= 1, timeout=30)
                async with forwarder(refused, int(telegram.url.rsplit(":", 1)[1])):
                    await telegram.wait_for(
                        lambda calls: any(c.method == "setWebhook" for c in calls), timeout=60
                    )
                    answer = await post_update(http, update(1, 31, "ciao"))
                    assert answer.status_code == 200
                    assert "Which language" in telegram.last_message(31)["text"]
                    err = await stopped(process)
        finally:
            await killed_if_left(process)
        log = "".join(seen) + err
        assert process.returncode == 0, log
        assert "Traceback" not in log, log
