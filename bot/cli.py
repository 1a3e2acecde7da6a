"""The `sportello` command."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path

import uvicorn
from telegram import Update

from bot import admin, reports
from bot.app import App, build_app
from bot.channels import ProgressBoard, Sender
from bot.clock import ROME
from bot.content import ContentError
from bot.domain import Channel
from bot.handlers.console import ConsoleChat, ConsoleProgressBoard, ConsoleSender
from bot.logs import configure_logging
from bot.monitoring import command as report_command
from bot.ratelimit import RateLimiter
from bot.settings import Settings, SettingsError, load_settings
from storage.db import StorageError

log = logging.getLogger("sportello")

# Telegram allows about 30 messages a second per bot; stay just under it.
TELEGRAM_MESSAGES_PER_SECOND = 29


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="sportello",
        description="Chat assistant of the Sportello Lavoro (job desk) of the Comune di Lucca.",
    )
    main.add_argument(
        "--env-file", type=Path, default=Path(".env"), help="optional .env file (default: ./.env)"
    )
    commands = main.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "run",
        help="start every channel that has credentials, and the scheduler",
        description="Start the bot: Telegram long polling when TELEGRAM_BOT_TOKEN is set, and "
        "the scheduler. With no credentials at all, open the local console chat instead.",
    )
    chat = commands.add_parser(
        "chat",
        help="talk to the bot from this terminal, as a job seeker would",
        description="The terminal plays the person's phone: options are numbered, answer with "
        "the number or the words. Reads one message per line when input is not a terminal.",
    )
    chat.add_argument("--as", dest="person", default="demo", help="who you are (default: demo)")
    chat.add_argument(
        "--multi",
        action="store_true",
        help='act as several people: a line "@anna hello" speaks as anna',
    )
    chat.add_argument(
        "--language", choices=("it", "en"), help="the phone's language (default: ask)"
    )
    commands.add_parser(
        "operators",
        help="list the operators, their meeting mode and weekly hours",
        description="The operators configured in the TOML file ([[operator]]).",
    )
    slots = commands.add_parser(
        "slots",
        help="free and booked slots of a day or a range",
        description="Every slot of the period with its state: free, held or booked.",
    )
    _period(slots)
    bookings = commands.add_parser(
        "bookings",
        help="appointments of a day or a range",
        description="Held and booked appointments (with --all: every status).",
    )
    _period(bookings)
    bookings.add_argument("--all", action="store_true", help="also cancelled and past outcomes")
    outbox = commands.add_parser(
        "outbox",
        help="messages waiting to be sent, and failed ones",
        description="Pending and failed outbox rows, with their last error (with --all: "
        "every row).",
    )
    outbox.add_argument("--all", action="store_true", help="also sent and dropped rows")
    link = commands.add_parser(
        "link",
        help="make a person's Telegram and WhatsApp identities one person",
        description="When someone wrote first on Telegram and then on WhatsApp (or the other "
        "way), the desk links the two so that bookings and consents are not duplicated. The "
        "older profile is kept; the other's answers fill only what it lacks.",
    )
    link.add_argument("--telegram", required=True, help="Telegram user id")
    link.add_argument("--whatsapp", required=True, help="WhatsApp number, e.g. +393331234567")
    staff = commands.add_parser(
        "staff",
        help="who may create workshops and send announcements",
        description="Staff are recognised by their Telegram user id.",
    )
    staff_commands = staff.add_subparsers(dest="action", metavar="ACTION", required=True)
    added = staff_commands.add_parser("add", help="make a Telegram user staff")
    added.add_argument("telegram_id")
    added.add_argument("--name", default="", help="how colleagues call them")
    staff_commands.add_parser("remove", help="remove a staff member").add_argument("telegram_id")
    staff_commands.add_parser("list", help="list staff")
    workshops = commands.add_parser(
        "workshops",
        help="create, import and list workshops; attendees; QR codes for posters",
        description="Workshops and their attendees. Staff can also create them in the chat "
        "(/nuovo_workshop).",
    )
    ws_commands = workshops.add_subparsers(dest="action", metavar="ACTION", required=True)
    new = ws_commands.add_parser("add", help="create a workshop (it is not announced)")
    new.add_argument("--title", required=True)
    new.add_argument("--description", default="")
    new.add_argument("--starts", required=True, help="YYYY-MM-DD HH:MM, Europe/Rome time")
    new.add_argument("--duration", default="90", help="minutes (default 90)")
    new.add_argument("--capacity", required=True, help="seats")
    new.add_argument("--place", help="address")
    new.add_argument("--link", help="online room (https)")
    for audience in ("goals", "age-bands", "sectors", "languages"):
        new.add_argument(f"--{audience}", default="", help="who it is for, separated by ;")
    ws_commands.add_parser(
        "import", help="create workshops from a TOML ([[workshop]]) or CSV file"
    ).add_argument("file", type=Path)
    ws_commands.add_parser("list", help="workshops with seats taken")
    ws_commands.add_parser("attendees", help="who is coming").add_argument("code")
    qr = ws_commands.add_parser("qr", help="PNG QR code of the workshop's Telegram deep link")
    qr.add_argument("code")
    qr.add_argument("--out", type=Path, default=None, help="file (default: workshop-CODE.png)")
    backup = commands.add_parser(
        "backup",
        help="a consistent copy of the database, while the bot keeps running",
        description="Copies the SQLite database through its online backup API into a new "
        "file; the bot can keep serving meanwhile. Restore by stopping the bot and putting the "
        "copy in place of SPORTELLO_DATABASE.",
    )
    backup.add_argument("path", type=Path, help="the new file to write")
    report_command.add_parser(commands)
    commands.add_parser(
        "check",
        help="check the settings, content and database, then exit",
        description="Validate every setting, the privacy notice, the catalogs and the database, "
        "and say what to fix.",
    )
    return main


def _period(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--day",
        type=date.fromisoformat,
        default=None,
        help="first day, YYYY-MM-DD (default: today)",
    )
    command.add_argument("--days", type=int, default=1, help="how many days (default: 1)")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command is None:
        parser().print_help()
        return 0
    try:
        settings = load_settings(dotenv=args.env_file)
    except SettingsError as exc:
        print("The settings need fixing:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    console = args.command == "chat" or (args.command == "run" and not settings.has_telegram)
    # In the console chat, log lines would land in the middle of the conversation.
    level = "WARNING" if console and settings.log_level in ("DEBUG", "INFO") else settings.log_level
    configure_logging(level, [settings.telegram_bot_token or ""])
    try:
        return asyncio.run(_main(args, settings))
    except (StorageError, ContentError, FileNotFoundError) as exc:
        print(f"Cannot start: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


async def _main(args: argparse.Namespace, settings: Settings) -> int:
    app = await build_app(settings)
    try:
        if args.command == "check":
            for warning in settings.warnings:
                print(f"Warning: {warning}")
            print(f"Settings, content and database ({settings.database}) are fine.")
            return 0
        if args.command in ("staff", "workshops"):
            lines, ok = await _admin(app, args)
            print("\n".join(lines), file=sys.stdout if ok else sys.stderr)
            return 0 if ok else 1
        if args.command == "backup":
            return await _backup(app, args.path)
        if args.command == "report":
            return await report_command.run(app.db, app.settings.locales_dir, args)
        if args.command == "link":
            message, ok = await reports.link(app.db, args.telegram, args.whatsapp)
            print(message, file=sys.stdout if ok else sys.stderr)
            return 0 if ok else 1
        if args.command in ("operators", "slots", "bookings", "outbox"):
            for line in await _report(app, args):
                print(line)
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
        return await admin.import_workshops(app.db, args.file, now), True
    if args.action == "list":
        return await admin.workshop_lines(app.db), True
    if args.action == "attendees":
        return await admin.attendee_lines(app.db, args.code), True
    username = app.settings.telegram_bot_username
    if username is None:
        return ["Set TELEGRAM_BOT_USERNAME (the bot's @name) to make its deep links."], False
    async with app.db.read() as tx:
        found = await tx.workshops.by_code(args.code)
    if found is None:
        return [f"no workshop with the code {args.code}"], False
    url = admin.deep_link(username, found.code)
    target = args.out or Path(f"workshop-{found.code}.png")
    admin.qr_png(url, target)
    return [f"{target}: QR code of {url}"], True


async def _backup(app: App, target: Path) -> int:
    def progress(done: int, total: int) -> None:
        print(f"\rbackup: {done}/{total} pages", end="", flush=True)

    try:
        await app.db.backup(target, progress)
    except StorageError as exc:
        print(f"Cannot back up: {exc}", file=sys.stderr)
        return 1
    print(f"\nbackup written to {target}")
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
