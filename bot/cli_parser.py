"""The `sportello` command's arguments, each checked as it is read: a wrong one gets a
plain-word message from argparse and exit status 2, before anything is opened."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot import admin, companies_cli, users_cli
from bot.i18n import SHIPPED_LANGUAGES
from bot.monitoring import command as report_command
from bot.terminal import calendar_day as _day

# The longest period a listing covers: a year and a day.
MAX_DAYS = 366


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="sportello",
        description="Chat assistant of the Sportello Lavoro (job desk) of the Comune di Lucca.",
    )
    main.add_argument(
        "--env-file",
        type=Path,
        default=None,
        help="an optional .env file (default: ./.env, if there is one)",
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
        "--language", choices=SHIPPED_LANGUAGES, help="the phone's language (default: ask)"
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
    link.add_argument("--telegram", required=True, type=_telegram_id, help="Telegram user id")
    link.add_argument("--whatsapp", required=True, help="WhatsApp number, e.g. +393331234567")
    staff = commands.add_parser(
        "staff",
        help="who may create workshops and send announcements",
        description="Staff are recognised by their Telegram user id.",
    )
    staff_commands = staff.add_subparsers(dest="action", metavar="ACTION", required=True)
    added = staff_commands.add_parser("add", help="make a Telegram user staff")
    added.add_argument("telegram_id", type=_telegram_id, help="their Telegram user id")
    added.add_argument("--name", default="", help="how colleagues call them")
    removed = staff_commands.add_parser("remove", help="remove a staff member")
    removed.add_argument("telegram_id", type=_telegram_id, help="their Telegram user id")
    staff_commands.add_parser("list", help="list staff")
    workshops = commands.add_parser(
        "workshops",
        help="create, import and list workshops; attendees; QR codes for posters",
        description="Workshops and their attendees. Staff can also create them in the chat "
        "(/nuovo_workshop).",
    )
    ws_commands = workshops.add_subparsers(dest="action", metavar="ACTION", required=True)
    new = ws_commands.add_parser(
        "add",
        help="create a workshop (it is not announced)",
        epilog=_audience_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
    move = commands.add_parser(
        "migrate-db",
        help="copy this desk's SQLite database to an empty PostgreSQL database",
        description="Copies every row of the SQLite file named by SPORTELLO_DATABASE into "
        "the empty PostgreSQL database given with --to, shows the progress, and checks the "
        "count of every table. Stop the bot first; then point SPORTELLO_DATABASE at the URL.",
    )
    move.add_argument(
        "--to", required=True, metavar="URL", help="postgresql://user:password@host:5432/database"
    )
    report_command.add_parser(commands)
    commands.add_parser(
        "check",
        help="check the settings, content and database, then exit",
        description="Validate every setting, the privacy notice, the catalogs and the database, "
        "and say what to fix.",
    )
    users_cli.add_parsers(commands)
    companies_cli.add_parsers(commands)
    return main


def _audience_help() -> str:
    lines = ["Audience codes (several separated by ;, none means everyone who opted in):"]
    for field, codes in admin.audience_codes().items():
        lines.append(f"  --{field.replace('_', '-')}: {', '.join(codes)}")
    return "\n".join(lines)


def _period(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--day", type=_day, default=None, help="first day, YYYY-MM-DD (default: today)"
    )
    command.add_argument(
        "--days", type=_day_count, default=1, help=f"how many days, 1 to {MAX_DAYS} (default: 1)"
    )


def _day_count(text: str) -> int:
    value = text.strip()
    if value.isascii() and value.isdigit() and len(value) <= 3 and 1 <= int(value) <= MAX_DAYS:
        return int(value)
    raise argparse.ArgumentTypeError(f"{text!r}: a number of days from 1 to {MAX_DAYS}")


def _telegram_id(text: str) -> str:
    value = text.strip()
    if value.isascii() and value.isdigit() and 0 < len(value) <= 16 and int(value) > 0:
        return str(int(value))
    raise argparse.ArgumentTypeError(
        f"{text!r} is not a Telegram user id: a positive whole number, like 123456789 "
        "(the person can see theirs by writing to @userinfobot)"
    )
