"""The bot's aiohttp transport for python-telegram-bot: what the library sees when the network
misbehaves (the happy path, uploads included, runs in every Telegram test)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from bot.handlers.telegram_http import AiohttpRequest
from tests.fakes.telegram_api import FakeTelegram


def bot_at(url: str, token: str) -> Bot:
    request = AiohttpRequest(pool_size=4)
    return Bot(token, base_url=f"{url}/bot", request=request, get_updates_request=request)


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """Accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


async def test_calls_reach_the_api_and_parse() -> None:
    async with FakeTelegram() as fake, bot_at(fake.url, fake.token) as bot:
        message = await bot.send_message(42, "ciao")
    assert message.text == "ciao"
    assert [c.method for c in fake.calls if c.method == "sendMessage"] == ["sendMessage"]


async def test_nobody_listening_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the call: nothing listens there
    async with AiohttpRequest() as request:
        with pytest.raises(NetworkError) as raised:
            await request.post(f"http://127.0.0.1:{port}/bot1:secret-token/getMe")
    assert "secret-token" not in str(raised.value)  # error messages end up in logs


async def test_a_server_that_never_answers_times_out(silent_server: str) -> None:
    async with AiohttpRequest(read_timeout=0.05) as request:
        with pytest.raises(TimedOut):
            await request.post(f"{silent_server}/bot1:abc/getMe")


async def test_calls_before_initialize_are_refused() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError):
        await request.do_request("http://127.0.0.1:9/x", "POST")
