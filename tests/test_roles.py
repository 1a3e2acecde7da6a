"""Roles: staff ids are Telegram ids, staff only on Telegram, operators from the agenda."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import App
from bot.capabilities import roles
from bot.capabilities.roles import Role
from bot.domain import Channel


def sportello(database: Path | str, *args: str) -> tuple[int, str]:
    """The real command; its exit code and everything it printed."""
    env = {**os.environ, "SPORTELLO_DATABASE": str(database)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env, timeout=60
    )
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("raw", ["", "abc", "-5", "0", "12.5", "@sara", "١٢٣"])
def test_staff_ids_that_are_not_telegram_ids(raw: str) -> None:
    with pytest.raises(roles.StaffIdError, match="not a Telegram user id"):
        roles.staff_id(raw)


def test_staff_id_is_stored_plain() -> None:
    assert roles.staff_id(" 700000001 ") == "700000001"


async def test_staff_only_on_telegram_and_operators_from_the_agenda(app: App) -> None:
    now = app.clock.now()
    operator = next(o for o in app.settings.agenda.operators if o.telegram_id)
    async with app.db.write() as tx:
        member = await roles.add_staff(tx, "700000001", " Sara ", now)
        assert member == roles.StaffMember("700000001", "Sara")
        assert await roles.is_staff(tx, Channel.TELEGRAM, "700000001")
        assert not await roles.is_staff(tx, Channel.WHATSAPP, "700000001")
        assert await roles.roles_of(tx, app.settings.agenda, Channel.TELEGRAM, "700000001") == {
            Role.STAFF
        }
        found = await roles.roles_of(
            tx, app.settings.agenda, Channel.TELEGRAM, str(operator.telegram_id)
        )
        assert Role.OPERATOR in found
        assert await roles.remove_staff(tx, "700000001")
        assert await roles.staff_members(tx) == []


def test_the_command_line_refuses_mistakes(tmp_path: Path, database: str) -> None:
    db = database
    code, said = sportello(db, "staff", "add", "@sara")
    assert code == 2  # refused with the usage line, before anything is opened
    assert "not a Telegram user id" in said
    assert "no staff yet" in sportello(db, "staff", "list")[1]
    code, bad_code = sportello(
        db,
        "workshops",
        "add",
        "--title",
        "CV clinic",
        "--starts",
        "2030-12-02 10:00",
        "--capacity",
        "12",
        "--place",
        "Lucca",
        "--goals",
        "job",
    )
    assert code == 1
    assert "goals: unknown code job; the codes are employee, business, crisis, guidance" in (
        bad_code
    )
    assert "no workshops yet" in sportello(db, "workshops", "list")[1]
