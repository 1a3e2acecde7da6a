"""The `sportello` command: reading the settings, dispatching to each command's handler
(`sportello run` is in bot.run_cli), and the staff, workshop, backup and report handlers."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from bot import admin, companies_cli, migrate_cli, reports, run_cli, users_cli
from bot.app import App, build_app
from bot.capabilities import opening
from bot.capabilities.workshop_admin import AudienceCodes, InvalidWorkshop
from bot.cli_parser import parser
from bot.clock import ROME
from bot.content import ContentError
from bot.flows.engine import where
from bot.handlers.console import ConsoleChat
from bot.logs import configure_logging
from bot.monitoring import command as report_command
from bot.settings import Settings, SettingsError
from bot.settings_loading import load_settings
from bot.terminal import shown
from storage.sqlite_file import StorageError, sole_process

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
        # Only one process may serve a SQLite file; admin commands and backup run beside it.
        # On PostgreSQL any number of processes share the work (see docs/DEPLOYING.md).
        sole = serving and settings.database_url is None
        with sole_process(settings.database) if sole else contextlib.nullcontext():
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
    if args.command == "migrate-db":
        return await migrate_cli.run(settings, args.to)
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
        if args.command in users_cli.COMMANDS:
            return await users_cli.run(app, args)
        if args.command in companies_cli.COMMANDS:
            return await companies_cli.run(app, args)
        if args.command == "backup":
            return await _backup(app, args.path)
        if args.command == "report":
            return await report_command.run(app.db, app.settings.locales_dir, args)
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
        return await run_cli.run(app)
    finally:
        await app.close()


async def _admin(app: App, args: argparse.Namespace) -> tuple[list[str], bool]:
    now = app.clock.now()
    if args.command == "staff":
        if args.action == "add":
            line, ok = await admin.add_staff(app.db, args.telegram_id, args.name, now)
            return [line], ok
        if args.action == "remove":
            line, ok = await admin.remove_staff(app.db, args.telegram_id)
            return [line], ok
        return await admin.staff_lines(app.db), True
    codes = AudienceCodes.of(app.engine.content.sectors)
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
            workshop = await admin.add_workshop(app.db, raw, codes, "cli", now)
        except InvalidWorkshop as exc:
            return [f"Cannot create the workshop: {exc}"], False
        return [f"created {workshop.code}: {workshop.title}"], True
    if args.action == "import":
        return await admin.import_workshops(app.db, args.file, codes, now)
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
    async with app.db.read() as tx:
        agenda = await opening.current(tx, app.settings.agenda)
    first = args.day if getattr(args, "day", None) else app.clock.now().astimezone(ROME).date()
    if args.command == "operators":
        return list(reports.operators(agenda))
    if args.command == "slots":
        return await reports.slots(app.db, agenda, first, args.days)
    if args.command == "bookings":
        return await reports.bookings(app.db, first, args.days, args.all)
    return await reports.outbox(app.db, args.all)
