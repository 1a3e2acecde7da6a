"""`sportello users ...` (back-office accounts) and `sportello desk` (serve only the
back-office). `bot/cli.py` adds these parsers and hands the commands here."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TextIO

from bot.app import App
from bot.capabilities import accounts
from bot.capabilities.accounts import Role

COMMANDS = ("users", "desk")


def add_parsers(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    users = commands.add_parser(
        "users",
        help="back-office accounts: add, list, disable, reset a password",
        description="Accounts of the web back-office (/desk/), each with one role: operator "
        "(their own appointments), staff (workshops, announcements), admin (everything), "
        "viewer (aggregates only).",
    )
    actions = users.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="create an account (asks for the password twice)")
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--operator", help="the operator's id in the TOML file (role operator)")
    add.add_argument("--name", default="", help="how the person is called")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    actions.add_parser("list", help="every account, with its role and state")
    actions.add_parser("disable", help="disable an account and end its sessions").add_argument(
        "email"
    )
    reset = actions.add_parser("reset-password", help="set a new password, ending its sessions")
    reset.add_argument("email")
    reset.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    commands.add_parser(
        "desk",
        help="serve only the web back-office, on SPORTELLO_HOST:SPORTELLO_PORT",
        description="The back-office under /desk/, for a desk PC or for trying it; no chat "
        "channel and no scheduler run.",
    )


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


def read_password(from_stdin: bool, stdin: TextIO | None = None) -> str | None:
    """The new password: one line of standard input, or typed twice on a terminal. None when
    it cannot be read, or the two differ (the reason is printed)."""
    stream = stdin or sys.stdin
    if from_stdin:
        line = stream.readline()
        return line.rstrip("\r\n") or None
    if not stream.isatty():
        print("No terminal to ask the password on: use --password-stdin.", file=sys.stderr)
        return None
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        print("The two passwords differ.", file=sys.stderr)
        return None
    return first


async def run(app: App, args: argparse.Namespace) -> int:
    if args.command == "desk":
        from bot.backoffice.desk_server import serve_desk

        return await serve_desk(app)
    if args.action == "list":
        return await _list(app)
    email = accounts.normal_email(args.email)
    if args.action == "disable":
        return await _disable(app, email)
    password = read_password(args.password_stdin)
    if password is None:
        return _fail("No password given: nothing changed.")
    if args.action == "add":
        return await _add(app, args, email, password)
    return await _reset(app, email, password)


async def _add(app: App, args: argparse.Namespace, email: str, password: str) -> int:
    operator_ids = {op.id for op in app.settings.agenda.operators}
    async with app.db.write() as tx:
        result = await accounts.add_user(
            tx,
            email,
            args.role,
            password,
            app.clock.now(),
            name=args.name,
            operator_id=args.operator,
            operator_ids=operator_ids,
        )
    if result.problems:
        return _fail("\n".join(f"{name}: {text}" for name, text in result.problems.items()))
    print(f"Account {email} ({args.role}) created.")
    return 0


async def _list(app: App) -> int:
    async with app.db.read() as tx:
        users = await tx.desk_users.listing()
    for user in users:
        state = "disabled" if user.disabled_at else "active"
        operator = f" operator {user.operator_id}" if user.operator_id else ""
        print(f"#{user.id:<4} {user.email:<32} {user.role:<8} {state}{operator}  {user.name}")
    if not users:
        print("No accounts yet: sportello users add EMAIL --role admin")
    return 0


async def _disable(app: App, email: str) -> int:
    async with app.db.write() as tx:
        user = await tx.desk_users.by_email(email)
        if user is None:
            return _fail(f"No account with the e-mail {email}.")
        changed = await accounts.disable_user(tx, user.id, app.clock.now())
    print(f"{email} {'disabled' if changed else 'was already disabled'}.")
    return 0


async def _reset(app: App, email: str, password: str) -> int:
    async with app.db.write() as tx:
        user = await tx.desk_users.by_email(email)
        if user is None:
            return _fail(f"No account with the e-mail {email}.")
        problem = await accounts.reset_password(tx, user, password, app.clock.now())
    if problem:
        return _fail(f"password: {problem}")
    print(f"New password set for {email}; its sessions are closed.")
    return 0
