"""`sportello run`: serving the channels (the console chat, Telegram by long polling or
webhook, WhatsApp's webhooks) with the scheduler and the outbox dispatcher beside them,
until SIGINT/SIGTERM; the rest of the `sportello` command is in bot.cli."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Iterator

import uvicorn

from bot.app import App
from bot.backoffice.desk_server import desk_beside, desk_routes, seed_demo
from bot.channels import ProgressBoard, Sender
from bot.domain import Channel
from bot.handlers.console import ConsoleChat, ConsoleProgressBoard, ConsoleSender
from bot.ratelimit import RateLimiter
from bot.reconnect import GatedSender, Refused, connect_polling, connect_webhook, release
from bot.serving import StopSignals, WebLimits, raise_descriptor_limit, uvicorn_config

log = logging.getLogger("sportello")

# Telegram allows about 30 messages a second per bot; stay just under it.
TELEGRAM_MESSAGES_PER_SECOND = 29


async def run(app: App) -> int:
    descriptors = raise_descriptor_limit()
    log.info("up to %d open files", descriptors)
    if app.settings.webhooks:
        return await _run_web(app, descriptors)
    if app.settings.has_telegram:
        return await _run_telegram(app)
    print(
        "No TELEGRAM_BOT_TOKEN is set: opening the local console chat "
        f"(database {app.settings.database}).\n"
    )
    senders: dict[Channel, Sender] = {
        Channel.CONSOLE: ConsoleSender("to"),
        Channel.TELEGRAM: ConsoleSender("Telegram to"),
    }
    async with _scheduled(app, senders, {}, ConsoleProgressBoard()), desk_beside(app, descriptors):
        await ConsoleChat(app.engine).run()
    return 0


@contextlib.asynccontextmanager
async def _scheduled(
    app: App,
    senders: dict[Channel, Sender],
    limiters: dict[Channel, RateLimiter],
    board: ProgressBoard | None = None,
) -> AsyncIterator[None]:
    """The scheduler and the outbox dispatcher, for as long as the channels run. `senders`
    and `limiters` are read at each send, so a channel connecting later joins them."""
    from scheduling.scheduler import build_scheduler, catch_up

    dispatcher = app.dispatcher(senders, limiters)
    await catch_up(app)
    schedule = build_scheduler(app, dispatcher, board)
    schedule.start()
    try:
        yield
    finally:
        await schedule.stop()


class _Telegram:
    """The Telegram channel of `sportello run`: its outbox sender and progress board exist
    from the start; the connection comes when Telegram answers (see bot.reconnect)."""

    def __init__(self, app: App, token: str, *, polling: bool) -> None:
        from bot.handlers.telegram import TelegramProgressBoard, TelegramSender, build_application
        from bot.handlers.telegram_poll import Poller

        self.app = app
        self.application = build_application(app.engine, token, app.settings.telegram_api_url)
        self.poller = Poller(self.application) if polling else None
        self.sender = GatedSender(TelegramSender(self.application.bot), "Telegram")
        self.board = TelegramProgressBoard(self.application.bot)

    async def start(self, connect: Awaitable[None], limiters: dict[Channel, RateLimiter]) -> None:
        from bot.handlers.telegram import publish_menu

        await connect
        await publish_menu(self.application, self.app.engine.translators)
        await self.application.start()
        limiters[Channel.TELEGRAM] = RateLimiter(TELEGRAM_MESSAGES_PER_SECOND)
        self.sender.connected = True


async def _run_web(app: App, descriptors: int) -> int:
    """Webhook mode (PUBLIC_URL set): one web server for Telegram and WhatsApp, serving at
    once; Telegram connects in the background, however long it takes."""
    from bot.handlers.web import TELEGRAM_PATH, build_web_app
    from bot.handlers.whatsapp import WhatsAppSender, WhatsAppWebhooks, twilio_client

    settings = app.settings
    assert settings.public_url is not None
    senders: dict[Channel, Sender] = {}
    limiters: dict[Channel, RateLimiter] = {}
    telegram = None
    if settings.telegram_bot_token:
        telegram = _Telegram(app, settings.telegram_bot_token, polling=False)
        senders[Channel.TELEGRAM] = telegram.sender
    whatsapp = client = None
    if settings.twilio is not None:
        client = twilio_client(settings.twilio)
        sender = WhatsAppSender(client, settings.twilio, settings.public_url, app.db, app.clock)
        whatsapp = WhatsAppWebhooks(app.engine, sender, settings.twilio, settings.public_url)
        senders[Channel.WHATSAPP] = sender
        limiters[Channel.WHATSAPP] = RateLimiter(settings.twilio.messages_per_second)
    await seed_demo(app)
    web = build_web_app(
        app.db,
        telegram=telegram.application if telegram is not None else None,
        telegram_secret=settings.telegram_webhook_secret,
        whatsapp=whatsapp,
        desk=desk_routes(app),
    )
    limits = WebLimits.for_descriptors(descriptors)
    server = _WebServer(uvicorn_config(web, settings.host, settings.port, limits))
    connecting = None
    try:
        with StopSignals(server.stop_gracefully).installed():
            board = telegram.board if telegram is not None else None
            async with _scheduled(app, senders, limiters, board):
                if telegram is not None:
                    url = settings.public_url + TELEGRAM_PATH
                    connect = connect_webhook(
                        telegram.application, url, settings.telegram_webhook_secret
                    )
                    connecting = asyncio.create_task(telegram.start(connect, limiters))
                    connecting.add_done_callback(
                        functools.partial(_telegram_failed, server if whatsapp is None else None)
                    )
                log.info(
                    "web server listening on %s:%d (at most %d connections)",
                    settings.host,
                    settings.port,
                    limits.connections,
                )
                # On SIGINT/SIGTERM uvicorn stops accepting, finishes the requests in flight,
                # then the scheduler stops and the database closes.
                await server.serve()
    finally:
        if telegram is not None:
            await _stop_telegram(telegram, connecting)
        if client is not None:
            await client.http_client.close()
    return 2 if server.failed else 0


def _telegram_failed(server: _WebServer | None, task: asyncio.Task[None]) -> None:
    """Telegram refused to start (not: could not be reached): say why; with no other channel
    to serve, stop."""
    if task.cancelled() or task.exception() is None:
        return
    log.error("%s", task.exception())
    if server is not None:
        server.failed = True
        server.stop_gracefully()


async def _stop_telegram(telegram: _Telegram, connecting: asyncio.Task[None] | None) -> None:
    if connecting is not None and not connecting.done():
        connecting.cancel()
    if connecting is not None:
        with contextlib.suppress(asyncio.CancelledError, Refused):
            await connecting
    await release(telegram.application, telegram.poller)


class _WebServer(uvicorn.Server):
    """uvicorn, minus its own signal handling: it re-raises SIGTERM after shutting down, which
    would kill the process before the scheduler stops and the database closes cleanly."""

    failed = False

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def stop_gracefully(self) -> None:
        self.should_exit = True


async def _run_telegram(app: App) -> int:
    """Long polling. Until Telegram answers, the scheduler runs (other channels' messages and
    jobs go on) and Telegram's messages wait in the outbox."""
    token = app.settings.telegram_bot_token
    assert token is not None
    telegram = _Telegram(app, token, polling=True)
    assert telegram.poller is not None
    limiters: dict[Channel, RateLimiter] = {}
    stop = asyncio.Event()
    connecting = asyncio.create_task(telegram.start(connect_polling(telegram.poller), limiters))
    try:
        with StopSignals(stop.set).installed():
            async with _scheduled(
                app, {Channel.TELEGRAM: telegram.sender}, limiters, telegram.board
            ):
                stopping = asyncio.create_task(stop.wait())
                await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if connecting.done() and isinstance(connecting.exception(), Refused):
                    log.error("%s", connecting.exception())
                    return 2
                if connecting.done():
                    log.info("Telegram long polling started")
                await stopping
                log.info("stopping: finishing updates in flight")
                # Before the scheduler stops: no update fetched any more, those fetched
                # handled and their answers sent, while the outbox can still send too.
                await telegram.poller.stop()
    finally:
        await _stop_telegram(telegram, connecting)
    return 0
