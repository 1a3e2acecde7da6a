"""The `sportello` command."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path

import uvicorn
from telegram import Update

from bot import admin, reports
from bot.app import App, build_app
from bot.channels import ProgressBoard, Sender
from bot.cli_parser import parser
from bot.clock import ROME
from bot.content import ContentError
from bot.domain import Channel
from bot.flows.engine import where
from bot.handlers.console import ConsoleChat, ConsoleProgressBoard, ConsoleSender
from bot.logs import configure_logging
from bot.ratelimit import RateLimiter
from bot.settings import Settings, SettingsError, load_settings
from bot.terminal import shown
from storage.db import StorageError, sole_process

log = logging.getLogger("sportello")

# Telegram allows about 30 messages a second per bot; stay just under it.
TELEGRAM_MESSAGES_PER_SECOND = 29
# What a shell reports for a process stopped by SIGPIPE: the reader of our output went away.
BROKEN_PIPE = 141


def main(argv: list[str] | None = None) -> int:
    try:
        status = _checked_main(argv)
        sys.stdout.flush()  # here, where a closed pipe can still be handled
        return status
    except BrokenPipeError:
        # The reader of our output (`| head`) stopped early: nobody is left to tell.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE


def _checked_main(argv: list[str] | None) -> int:
    args = parser().parse_args(argv)
    if args.command is None:
        parser().print_help()
        return 0
    settings = _settings(args.env_file)
    if settings is None:
        return 2
    console = args.command == "chat" or (args.command == "run" and not settings.has_telegram)
    # In the console chat, log lines would land in the middle of the conversation.
    level = "WARNING" if console and settings.log_level in ("DEBUG", "INFO") else settings.log_level
    configure_logging(level, [settings.telegram_bot_token or ""])
    serving = args.command in ("run", "chat")
    try:
        # Only one process may serve a database; admin commands and backup run beside it.
        with sole_process(settings.database) if serving else contextlib.nullcontext():
            return asyncio.run(_main(args, settings))
    except (StorageError, ContentError, FileNotFoundError) as exc:
        print(f"Cannot start: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        raise
    except Exception as exc:
        if serving:
            raise
        # A bug, not the administrator's mistake: where it happened, not a traceback.
        print(f"Unexpected error ({type(exc).__name__} at {where(exc)}).", file=sys.stderr)
        return 1


def _settings(env_file: Path | None) -> Settings | None:
    """The settings, or None after saying what to fix."""
    # A missing file is no file (the bench points at one on purpose); a folder is a mistake.
    if env_file is not None and env_file.is_dir():
        print(f"The --env-file {env_file} is a folder, not a file.", file=sys.stderr)
        return None
    try:
        return load_settings(dotenv=env_file or Path(".env"))
    except SettingsError as exc:
        print("The settings need fixing:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
    except (OSError, UnicodeDecodeError) as exc:
        print(
            "Cannot read the settings: the TOML file (SPORTELLO_CONFIG) and the .env file "
            f"must be UTF-8 text files ({_reason(exc)}).",
            file=sys.stderr,
        )
    return None


def _reason(exc: OSError | UnicodeDecodeError) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "this one is not"
    return f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)


def _say(lines: Iterable[str], ok: bool = True) -> None:
    """Every line the administrator reads, with control characters made visible: names and
    titles come from people and files, and must not drive the terminal."""
    stream = sys.stdout if ok else sys.stderr
    for line in lines:
        print(shown(line), file=stream)


async def _main(args: argparse.Namespace, settings: Settings) -> int:
    app = await build_app(settings)
    try:
        if args.command == "check":
            _say([f"Warning: {warning}" for warning in settings.warnings])
            _say([f"Settings, content and database ({settings.database}) are fine."])
            return 0
        if args.command in ("staff", "workshops"):
            lines, ok = await _admin(app, args)
            _say(lines, ok)
            return 0 if ok else 1
        if args.command == "backup":
            return await _backup(app, args.path)
        if args.command == "link":
            message, ok = await reports.link(app.db, args.telegram, args.whatsapp)
            _say([message], ok)
            return 0 if ok else 1
        if args.command in ("operators", "slots", "bookings", "outbox"):
            _say(await _report(app, args))
            return 0
        if args.command == "chat":
            await ConsoleChat(
                app.engine, person=args.person, language=args.language, multi=args.multi
            ).run()
            return 0
        return await _run(app)
    finally:
        await app.close()


async def _admin(app: App, args: argparse.Namespace) -> tuple[list[str], bool]:
    now = app.clock.now()
    if args.command == "staff":
        async with app.db.write() as tx:
            if args.action == "add":
                await tx.staff.add(args.telegram_id, args.name, now)
                return [f"{args.telegram_id} is now staff."], True
            if args.action == "remove":
                removed = await tx.staff.remove(args.telegram_id)
                return [f"{args.telegram_id} {'removed' if removed else 'was not staff'}."], removed
            staff = await tx.staff.listing()
        return [f"{tid}  {name}" for tid, name in staff] or ["no staff yet"], True
    if args.action == "add":
        raw = {
            "title": args.title,
            "description": args.description,
            "starts": args.starts,
            "duration": args.duration,
            "capacity": args.capacity,
            "place": args.place,
            "link": args.link,
            "goals": args.goals,
            "age_bands": args.age_bands,
            "sectors": args.sectors,
            "languages": args.languages,
        }
        try:
            workshop = await admin.add_workshop(app.db, admin.workshop_fields(raw, now), "cli", now)
        except admin.WorkshopInputError as exc:
            return [f"Cannot create the workshop: {exc}"], False
        return [f"created {workshop.code}: {workshop.title}"], True
    if args.action == "import":
        return await admin.import_workshops(app.db, args.file, now)
    if args.action == "list":
        return await admin.workshop_lines(app.db), True
    if args.action == "attendees":
        attendees = await admin.attendee_lines(app.db, args.code)
        return attendees or [f"no workshop with the code {args.code}"], attendees is not None
    username = app.settings.telegram_bot_username
    if username is None:
        return ["Set TELEGRAM_BOT_USERNAME (the bot's @name) to make its deep links."], False
    async with app.db.read() as tx:
        found = await tx.workshops.by_code(args.code)
    if found is None:
        return [f"no workshop with the code {args.code}"], False
    url = admin.deep_link(username, found.code)
    target = args.out or Path(f"workshop-{found.code}.png")
    try:
        admin.qr_png(url, target)
    except OSError as exc:
        return [f"Cannot write {target}: {exc.strerror}"], False
    return [f"{target}: QR code of {url}"], True


async def _backup(app: App, target: Path) -> int:
    def progress(done: int, total: int) -> None:
        print(f"\rbackup: {done}/{total} pages", end="", flush=True)

    try:
        await app.db.backup(target, progress)
    except StorageError as exc:
        _say([f"Cannot back up: {exc}"], ok=False)
        return 1
    _say(["", f"backup written to {target}"])
    return 0


async def _report(app: App, args: argparse.Namespace) -> list[str]:
    agenda = app.settings.agenda
    first = args.day if getattr(args, "day", None) else app.clock.now().astimezone(ROME).date()
    if args.command == "operators":
        return list(reports.operators(agenda))
    if args.command == "slots":
        return await reports.slots(app.db, agenda, first, args.days)
    if args.command == "bookings":
        return await reports.bookings(app.db, first, args.days, args.all)
    return await reports.outbox(app.db, args.all)


async def _run(app: App) -> int:
    if app.settings.webhooks:
        await _run_web(app)
    elif app.settings.has_telegram:
        await _run_telegram(app)
    else:
        print(
            "No TELEGRAM_BOT_TOKEN is set: opening the local console chat "
            f"(database {app.settings.database}).\n"
        )
        senders: dict[Channel, Sender] = {
            Channel.CONSOLE: ConsoleSender("to"),
            Channel.TELEGRAM: ConsoleSender("Telegram to"),
        }
        async with _scheduled(app, senders, {}, ConsoleProgressBoard()):
            await ConsoleChat(app.engine).run()
    return 0


@contextlib.asynccontextmanager
async def _scheduled(
    app: App,
    senders: dict[Channel, Sender],
    limiters: dict[Channel, RateLimiter],
    board: ProgressBoard | None = None,
) -> AsyncIterator[None]:
    """The scheduler and the outbox dispatcher, for as long as the channels run."""
    from scheduling.scheduler import build_scheduler, catch_up

    dispatcher = app.dispatcher(senders, limiters)
    await catch_up(app)
    scheduler = build_scheduler(app, dispatcher, board)
    scheduler.start()
    try:
        yield
    finally:
        scheduler.shutdown(wait=False)


async def _run_web(app: App) -> None:
    """Webhook mode (PUBLIC_URL set): one web server for Telegram and WhatsApp."""
    from bot.handlers.telegram import (
        TelegramProgressBoard,
        TelegramSender,
        build_application,
        publish_menu,
    )
    from bot.handlers.web import TELEGRAM_PATH, build_web_app
    from bot.handlers.whatsapp import WhatsAppSender, WhatsAppWebhooks, twilio_client

    settings = app.settings
    assert settings.public_url is not None
    senders: dict[Channel, Sender] = {}
    limiters: dict[Channel, RateLimiter] = {}
    telegram = None
    if settings.telegram_bot_token:
        telegram = build_application(
            app.engine, settings.telegram_bot_token, settings.telegram_api_url, polling=False
        )
        senders[Channel.TELEGRAM] = TelegramSender(telegram.bot)
        limiters[Channel.TELEGRAM] = RateLimiter(TELEGRAM_MESSAGES_PER_SECOND)
    whatsapp = sender = client = None
    if settings.twilio is not None:
        client = twilio_client(settings.twilio)
        sender = WhatsAppSender(client, settings.twilio, settings.public_url, app.db, app.clock)
        whatsapp = WhatsAppWebhooks(app.engine, sender, settings.twilio, settings.public_url)
        senders[Channel.WHATSAPP] = sender
        limiters[Channel.WHATSAPP] = RateLimiter(settings.twilio.messages_per_second)
    web = build_web_app(
        app.db,
        telegram=telegram,
        telegram_secret=settings.telegram_webhook_secret,
        whatsapp=whatsapp,
    )
    config = uvicorn.Config(
        web,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    try:
        async with contextlib.AsyncExitStack() as stack:
            if telegram is not None:
                await stack.enter_async_context(telegram)
                await publish_menu(telegram, app.engine.translators)
                await telegram.bot.set_webhook(
                    settings.public_url + TELEGRAM_PATH,
                    secret_token=settings.telegram_webhook_secret,
                    allowed_updates=Update.ALL_TYPES,
                )
                await telegram.start()
            board = TelegramProgressBoard(telegram.bot) if telegram is not None else None
            await stack.enter_async_context(_scheduled(app, senders, limiters, board))
            log.info("web server listening on %s:%d", settings.host, settings.port)
            server = _WebServer(config)
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(sig, server.stop_gracefully)
            # On SIGINT/SIGTERM uvicorn stops accepting, finishes the requests in flight, then
            # we stop the scheduler and close the database.
            await server.serve()
            if telegram is not None:
                await telegram.stop()
    finally:
        if client is not None:
            await client.http_client.close()


class _WebServer(uvicorn.Server):
    """uvicorn, minus its own signal handling: it re-raises SIGTERM after shutting down, which
    would kill the process before the scheduler stops and the database closes cleanly."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def stop_gracefully(self) -> None:
        self.should_exit = True


async def _run_telegram(app: App) -> None:
    from bot.handlers.telegram import (
        TelegramProgressBoard,
        TelegramSender,
        build_application,
        publish_menu,
    )

    token = app.settings.telegram_bot_token
    assert token is not None
    application = build_application(app.engine, token, app.settings.telegram_api_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    senders: dict[Channel, Sender] = {Channel.TELEGRAM: TelegramSender(application.bot)}
    limiters = {Channel.TELEGRAM: RateLimiter(TELEGRAM_MESSAGES_PER_SECOND)}
    board = TelegramProgressBoard(application.bot)
    async with application, _scheduled(app, senders, limiters, board):
        await publish_menu(application, app.engine.translators)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        log.info("Telegram long polling started")
        await stop.wait()
        log.info("stopping: finishing updates in flight")
        await application.updater.stop()
        await application.stop()
