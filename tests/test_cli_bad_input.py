"""Every `sportello` command given what an administrator can get wrong: a clear message on
stderr, a non-zero exit status, never a Python traceback."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.cli import main
from bot.logs import LIBRARY_FLOORS

BINARY = bytes(range(256)) * 8


@dataclass
class Case:
    args: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)


def files(folder: Path) -> None:
    """The bad files the cases refer to, by name, inside the case's folder."""
    (folder / "folder").mkdir()
    (folder / "binary.csv").write_bytes(BINARY)
    (folder / "binary.toml").write_bytes(BINARY)
    (folder / "binary.env").write_bytes(BINARY)
    (folder / "binary.db").write_bytes(BINARY)
    (folder / "broken.toml").write_text('[[workshop]\ntitle = "x"\n', encoding="utf-8")
    (folder / "scalar.toml").write_text("workshop = 3\n", encoding="utf-8")
    (folder / "none.toml").write_text('title = "no tables"\n', encoding="utf-8")
    (folder / "odd.toml").write_text(
        '[[workshop]]\ntitle = {nested = 1}\nstarts = "2030-12-02 10:00"\ncapacity = 3\n'
        'place = "x"\n\n[[workshop]]\ntitel = "typo"\n\n[[workshop]]\ntitle = "T"\n'
        'starts = 2030-12-02T10:00:00\ncapacity = true\nplace = "x"\ngoals = [1, 2]\n',
        encoding="utf-8",
    )
    (folder / "columns.csv").write_text("name;when\nCV;tomorrow\n", encoding="utf-8")
    (folder / "empty.csv").write_text("", encoding="utf-8")
    (folder / "bad-rows.csv").write_bytes(
        "title;starts;capacity;place\nCaffè;31/02/2030 10:00;²;Lucca;extra\n".encode("cp1252")
    )
    (folder / "bad.env").write_text("SPORTELLO_LANGUAGE=xx\n", encoding="utf-8")


ADD = ("workshops", "add", "--title", "T", "--capacity", "3", "--place", "Lucca")
CASES = [
    Case(("workshops", "import", "missing.csv")),
    Case(("workshops", "import", "folder")),
    Case(("workshops", "import", "binary.csv")),
    Case(("workshops", "import", "binary.toml")),
    Case(("workshops", "import", "broken.toml")),
    Case(("workshops", "import", "scalar.toml")),
    Case(("workshops", "import", "none.toml")),
    Case(("workshops", "import", "odd.toml")),
    Case(("workshops", "import", "columns.csv")),
    Case(("workshops", "import", "empty.csv")),
    Case(("workshops", "import", "bad-rows.csv")),
    Case(("workshops", "import", "/dev/null")),
    Case((*ADD, "--starts", "2030-02-31 10:00")),
    Case((*ADD, "--starts", "domani")),
    Case((*ADD, "--starts", "2030-12-02 10:00", "--goals", "nobody")),
    Case((*ADD, "--starts", "2030-12-02 10:00", "--age-bands", "12;13")),
    Case((*ADD, "--starts", "2030-12-02 10:00", "--sectors", "space")),
    Case((*ADD, "--starts", "2030-12-02 10:00", "--languages", "klingon")),
    Case((*ADD, "--starts", "2030-12-02 10:00", "--duration", "²")),
    Case((*ADD, "--starts", "2030-12-02 10:00", "--duration", "9" * 5000)),
    Case(("workshops", "add", "--title", "T")),
    Case(("workshops", "attendees", "NOPE")),
    Case(("workshops", "qr", "NOPE"), {"TELEGRAM_BOT_USERNAME": "LuccaBot"}),
    Case(("workshops", "qr", "NOPE")),
    Case(("workshops",)),
    Case(("slots", "--day", "2026-02-30")),
    Case(("slots", "--day", "tomorrow")),
    Case(("slots", "--days", "0")),
    Case(("slots", "--days", "-3")),
    Case(("slots", "--days", "100000")),
    Case(("bookings", "--day", "12-09-2026")),
    Case(("bookings", "--days", "x")),
    Case(("staff", "add", "abc")),
    Case(("staff", "add", "-5")),
    Case(("staff", "add", "0")),
    Case(("staff", "add", "1e9")),
    Case(("staff", "remove", "@sara")),
    Case(("staff", "remove", "700000001")),
    Case(("link", "--telegram", "anna", "--whatsapp", "+393331234567")),
    Case(("link", "--telegram", "12345", "--whatsapp", "not a number")),
    Case(("link", "--telegram", "12345", "--whatsapp", "+393331234567")),
    Case(("backup", "folder")),
    Case(("backup", "binary.db")),
    Case(("chat", "--language", "xx")),
    Case(("nonsense",)),
    Case(("--env-file", "folder", "check")),
    Case(("--env-file", "binary.env", "check")),
    Case(("--env-file", "bad.env", "check")),
    Case(("outbox",), {"SPORTELLO_DATABASE": "folder"}),
    Case(("outbox",), {"SPORTELLO_DATABASE": "binary.db"}),
    Case(("check",), {"SPORTELLO_CONFIG": "folder"}),
    Case(("check",), {"SPORTELLO_CONFIG": "binary.toml"}),
    Case(("check",), {"SPORTELLO_CONFIG": "broken.toml"}),
]


def environment(folder: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SPORTELLO_", "TELEGRAM_", "TWILIO_", "ZOOM_", "PUBLIC_URL"))
    }
    return {**env, "SPORTELLO_DATABASE": str(folder / "s.db"), **extra}


@dataclass
class Outcome:
    status: int
    out: str
    err: str


Sportello = Callable[[Path, Case], Outcome]


@pytest.fixture
def sportello(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Sportello]:
    """The `sportello` command in this process (a subprocess per case would take a second
    each): an exception escaping it fails the test as a traceback would show."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in LIBRARY_FLOORS}

    def invoke(folder: Path, case: Case) -> Outcome:
        with monkeypatch.context() as patch:
            patch.chdir(folder)
            patch.setattr(os, "environ", environment(folder, case.env))
            try:
                status = main(list(case.args))
            except SystemExit as exit_:  # argparse's own errors exit
                status = exit_.code if isinstance(exit_.code, int) else 1
        said = capsys.readouterr()
        return Outcome(status, said.out, said.err)

    yield invoke
    root.handlers[:], level = saved
    root.setLevel(level)
    for name, value in levels.items():
        logging.getLogger(name).setLevel(value)


def test_every_wrong_input_gets_a_message_and_a_failure_status(
    tmp_path: Path, sportello: Sportello
) -> None:
    failures = []
    for number, case in enumerate(CASES):
        folder = tmp_path / str(number)
        folder.mkdir()
        files(folder)
        result = sportello(folder, case)
        if result.status == 0 or "Traceback" in result.out + result.err or not result.err.strip():
            failures.append(f"{' '.join(case.args)} {case.env}: {result}")
    assert not failures, "\n\n".join(failures)


def test_output_into_a_pipe_closed_early_ends_quietly(tmp_path: Path) -> None:
    # A year of slots is far more than a pipe holds, so the reader is gone before the end.
    command = f"{sys.executable} -m bot slots --days 366 | head -c1; exit ${{PIPESTATUS[0]}}"
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=tmp_path,
        env=environment(tmp_path, {}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert len(result.stdout) == 1
    assert result.returncode == 141
    assert "Traceback" not in result.stderr
    assert "Broken pipe" not in result.stderr


def test_a_windows_spreadsheet_export_with_semicolons_is_imported(
    tmp_path: Path, sportello: Sportello
) -> None:
    export = tmp_path / "laboratori.csv"
    export.write_bytes(
        "Title;Starts;Duration;Capacity;Place;Goals;Age bands\r\n"
        "Caffè & lavoro «CV»;02/12/2030 10.00;90;12;Sala Staffetti, Lucca;employee,guidance;"
        "18_29\r\n;;;;;;\r\n".encode("cp1252")
    )
    imported = sportello(tmp_path, Case(("workshops", "import", str(export))))
    assert imported.status == 0, imported.err
    assert "imported 1 of 1 workshops" in imported.out
    listing = sportello(tmp_path, Case(("workshops", "list"))).out
    assert "2030-12-02 Mon 10:00  0/12  Caffè & lavoro «CV»" in listing


def test_help_lists_the_audience_codes(tmp_path: Path, sportello: Sportello) -> None:
    result = sportello(tmp_path, Case(("workshops", "add", "--help")))
    assert "--goals: employee, business, crisis, guidance" in result.out
    assert "18_29" in result.out
    assert "paper" in result.out


@pytest.mark.parametrize("title", ["\\u001b]0;pwned\\u0007CV\\u001b[2J", "CV\\u202eclinic"])
def test_listings_show_control_characters_instead_of_obeying_them(
    tmp_path: Path, title: str, sportello: Sportello
) -> None:
    workshop = tmp_path / "w.toml"
    workshop.write_text(
        f'[[workshop]]\ntitle = "{title}"\nstarts = "2030-12-02 10:00"\ncapacity = 3\n'
        'place = "Lucca"\n',
        encoding="utf-8",
    )
    assert sportello(tmp_path, Case(("workshops", "import", str(workshop)))).status == 0
    listing = sportello(tmp_path, Case(("workshops", "list"))).out
    assert "\x1b" not in listing
    assert "\x07" not in listing
    assert "\u202e" not in listing
    assert "\\x1b" in listing or "\\u202e" in listing
