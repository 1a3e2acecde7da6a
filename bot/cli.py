"""The `sportello` command."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from bot.app import App, build_app
from bot.channels import Sender
from bot.content import ContentError
from bot.domain import Channel
from bot.handlers.console import ConsoleChat, ConsoleSender
from bot.logs import configure_logging
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
        "check",
        help="check the settings, content and database, then exit",
        description="Validate every setting, the privacy notice, the catalogs and the database, "
        "and say what to fix.",
    )
    return main


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
            print(f"Settings, content and database ({settings.database}) are fine.")
            return 0
        if args.command == "chat":
            await ConsoleChat(
                app.engine, person=args.person, language=args.language, multi=args.multi
            ).run()
            return 0
        return await _run(app)
    finally:
        await app.close()


async def _run(app: App) -> int:
    if app.settings.has_telegram:
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
        async with _scheduled(app, senders, {}):
            await ConsoleChat(app.engine).run()
    return 0


@contextlib.asynccontextmanager
async def _scheduled(
    app: App, senders: dict[Channel, Sender], limiters: dict[Channel, RateLimiter]
) -> AsyncIterator[None]:
    """The scheduler and the outbox dispatcher, for as long as the channels run."""
    from scheduling.scheduler import build_scheduler, catch_up

    dispatcher = app.dispatcher(senders, limiters)
    await catch_up(app)
    scheduler = build_scheduler(app, dispatcher)
    scheduler.start()
    try:
        yield
    finally:
        scheduler.shutdown(wait=False)


async def _run_telegram(app: App) -> None:
    from telegram import Update

    from bot.handlers.telegram import TelegramSender, build_application, publish_menu

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
    async with application, _scheduled(app, senders, limiters):
        await publish_menu(application, app.engine.translators)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        log.info("Telegram long polling started")
        await stop.wait()
        log.info("stopping: finishing updates in flight")
        await application.updater.stop()
        await application.stop()
