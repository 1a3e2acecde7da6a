"""A bare python-telegram-bot echo bot: the baseline of the conversation benchmark.

`python -m bench.echo_bot` long-polls the Bot API at TELEGRAM_API_URL (default
https://api.telegram.org) with TELEGRAM_BOT_TOKEN, as `sportello run` does, through
python-telegram-bot's default HTTP client (httpx); with ECHO_HTTP=aiohttp it uses the bot's
own transport (bot/handlers/telegram_http.py) instead, to tell the transport's share of the
difference from the conversation's. Every text comes
back as the same text; every button tap is answered (answerCallbackQuery) and followed by a
message, so each update costs the same HTTP round trips as the bot's simplest turn, with no
database, no conversation and no rate limiter. Updates are handled concurrently, as in the
bot. It stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    query = update.callback_query
    if query is not None:
        await query.answer()
        await context.bot.send_message(chat.id, query.data or "?")
        return
    message = update.message
    if message is not None and message.text:
        await context.bot.send_message(chat.id, message.text)


def build(token: str, api_url: str, http: str = "httpx") -> Application:  # type: ignore[type-arg]
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .concurrent_updates(True)
    )
    if http == "aiohttp":
        from bot.handlers.telegram import CONNECTIONS
        from bot.handlers.telegram_http import AiohttpRequest

        builder = builder.request(AiohttpRequest(pool_size=CONNECTIONS))
        builder = builder.get_updates_request(AiohttpRequest(pool_size=1))
    application = builder.build()
    application.add_handler(TypeHandler(Update, echo))
    return application


async def serve(token: str, api_url: str, http: str) -> None:
    application = build(token, api_url, http)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        await stop.wait()
        await application.updater.stop()
        await application.stop()


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    token = os.environ["TELEGRAM_BOT_TOKEN"]
    api_url = os.environ.get("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/")
    asyncio.run(serve(token, api_url, os.environ.get("ECHO_HTTP", "httpx")))


if __name__ == "__main__":
    main()
