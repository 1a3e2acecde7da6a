"""`sportello users ...`: accounts from the command line, and kind refusals of bad input."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.desk_helpers import cheap_hasher

__all__ = ["cheap_hasher"]


@pytest.fixture(autouse=True)
def desk_database(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command here, in-process or not, works on this test's database (both backends)."""
    monkeypatch.setenv("SPORTELLO_DATABASE", database)


def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str, stdin: str = "") -> int:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(["--env-file", str(tmp_path / "none.env"), *args])


def test_add_list_disable_and_reset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    add = (
        "users",
        "add",
        "Anna@Example.org",
        "--role",
        "admin",
        "--name",
        "Anna",
        "--password-stdin",
    )
    assert run(tmp_path, monkeypatch, *add, stdin="a long password\n") == 0
    assert run(tmp_path, monkeypatch, "users", "list") == 0
    out = capsys.readouterr().out
    assert "anna@example.org" in out
    assert "admin" in out
    assert "active" in out
    reset = ("users", "reset-password", "anna@example.org", "--password-stdin")
    assert run(tmp_path, monkeypatch, *reset, stdin="another long one\n") == 0
    assert run(tmp_path, monkeypatch, "users", "disable", "anna@example.org") == 0
    run(tmp_path, monkeypatch, "users", "list")
    assert "disabled" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (
            ("add", "not-an-email", "--role", "admin", "--password-stdin"),
            "a long password\n",
            "e-mail",
        ),
        (
            ("add", "a@example.org", "--role", "admin", "--password-stdin"),
            "short\n",
            "10 characters",
        ),
        (
            ("add", "a@example.org", "--role", "operator", "--password-stdin"),
            "a long password\n",
            "operator",
        ),
        (
            (
                "add",
                "a@example.org",
                "--role",
                "operator",
                "--operator",
                "nobody",
                "--password-stdin",
            ),
            "a long password\n",
            "no operator",
        ),
        (("add", "a@example.org", "--role", "admin", "--password-stdin"), "", "No password"),
        (("add", "a@example.org", "--role", "admin"), "", "--password-stdin"),
        (("disable", "who@example.org"), "", "No account"),
        (
            ("reset-password", "who@example.org", "--password-stdin"),
            "a long password\n",
            "No account",
        ),
    ],
)
def test_bad_input_gets_a_clear_message_and_a_non_zero_exit(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    stdin: str,
    says: str,
) -> None:
    assert run(tmp_path, monkeypatch, "users", *args, stdin=stdin) != 0
    err = capsys.readouterr().err
    assert says in err
    assert "Traceback" not in err


def test_the_same_email_twice_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    add = ("users", "add", "a@example.org", "--role", "viewer", "--password-stdin")
    assert run(tmp_path, monkeypatch, *add, stdin="a long password\n") == 0
    assert run(tmp_path, monkeypatch, *add, stdin="a long password\n") == 1
    assert "already an account" in capsys.readouterr().err


def test_the_real_command_with_a_real_hash() -> None:
    env = dict(os.environ)
    env.pop("TELEGRAM_BOT_TOKEN", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "users",
            "add",
            "op@example.org",
            "--role",
            "operator",
            "--operator",
            "giulia",
            "--password-stdin",
        ],
        input="a long password\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "op@example.org (operator) created" in result.stdout
