"""The console chat as a newcomer uses it: the real `sportello` command, scripted input."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.direct_db import Target, check_integrity, connect

ENGLISH_SCRIPT = [
    "2",  # English
    "I accept",
    "Anna",
    "in the comune di lucca",
    "3",  # 30 to 39
    "skip",
    "1",  # Italian
    "1",  # unemployed
    "more than 12 months",
    "yes",
    "4",  # secondary school diploma
    "1",  # a job as an employee
    "2 7",  # tourism, care
    "done",
    "3",  # table service
    "done",
    "done",  # no care skills
    "1",  # mother tongue
    "done",  # no other languages
    "2",  # licence, no car
    "2 4",  # part time, weekends
    "done",
    "Five years as a waitress",
    "skip",
    "no",
    "1",  # yes, news
    "confirm",
]

ITALIAN_SCRIPT = [
    "1",  # Italiano
    "accetto",
    "Mario",
    "2",
    "6",  # 55 or over
    "un uomo",
    "salta",
    "4",  # company in crisis
    "sì",
    "3",
    "3",  # company in crisis
    "1",
    "fatto",
    "1 2",
    "fatto",
    "1",
    "fatto",
    "3",  # no licence
    "1",
    "fatto",
    "Trent'anni in cartiera",
    "Ritrovare un lavoro vicino a casa",
    "no",
    "2",  # no news
    "1",  # confirm
]


def sportello(database: Target, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SPORTELLO_DATABASE": str(database)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def answers(database: Target, external_id: str) -> dict[str, str]:
    with contextlib.closing(connect(database)) as conn:
        rows = conn.execute(
            "SELECT question, value FROM answers JOIN identities USING (person_id) "
            "WHERE channel = 'console' AND external_id = ?",
            (external_id,),
        ).fetchall()
    return {row[0]: row[1] for row in rows}


def test_scripted_intake_in_english(database: str) -> None:
    db = database
    result = sportello(db, "chat", stdin="\n".join(ENGLISH_SCRIPT) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Which language do you prefer?" in out
    assert "• Sectors: Tourism and hospitality, Care services" in out
    assert "Thank you, Anna! Your answers are saved." in out
    assert answers(db, "demo")["skills.tourism"] == '["tourism.table_service"]'


def test_scripted_intake_in_italian(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    result = sportello(db, "chat", "--as", "mario", stdin="\n".join(ITALIAN_SCRIPT) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Quale lingua preferisci?" in out
    assert "Grazie, Mario!" in out
    saved = answers(db, "mario")
    assert saved["status"] == '"crisis"'
    assert saved["citizenship"] == "null"


def test_one_terminal_several_people(database: str) -> None:
    db = database
    script = "@anna /start\n@luca /start\n@anna 2\n@luca 1\n"
    result = sportello(db, "chat", "--multi", stdin=script)
    assert result.returncode == 0, result.stderr
    assert "[anna] Done: I will write to you in English." in result.stdout
    assert "[luca] Fatto: ti scriverò in italiano." in result.stdout


def test_help_for_every_command(tmp_path: Path) -> None:
    for args in ([], ["run"], ["chat"], ["check"]):
        result = sportello(tmp_path / "s.db", *args, "--help", stdin="")
        assert result.returncode == 0
        assert "usage: sportello" in result.stdout


def test_check_reports_bad_settings(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SPORTELLO_DATABASE": str(tmp_path / "s.db"),
        "TELEGRAM_BOT_TOKEN": "not-a-token",
        "SPORTELLO_LANGUAGE": "de",
        "TELEGRAM_API_URL": "ftp://nowhere",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN: this does not look like a bot token" in result.stderr
    assert "SPORTELLO_LANGUAGE: 'de' is not a shipped language" in result.stderr
    assert "TELEGRAM_API_URL: 'ftp://nowhere' is not an http(s) URL" in result.stderr
    assert "Traceback" not in result.stderr


async def read_until(stream: asyncio.StreamReader, marker: str) -> str:
    seen = ""
    while marker not in seen:
        line = await asyncio.wait_for(stream.readline(), timeout=60)
        assert line, f"output ended before {marker!r}:\n{seen}"
        seen += line.decode()
    return seen


async def start_chat(database: Target, stderr: int) -> asyncio.subprocess.Process:
    """`sportello chat` in its own process, once it has asked its first question."""
    env = {**os.environ, "SPORTELLO_DATABASE": str(database)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "chat",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
        env=env,
    )
    assert process.stdout
    await read_until(process.stdout, "Which language")
    return process


async def test_kill_9_in_the_middle_and_resume(database: str) -> None:
    db = database
    process = await start_chat(db, asyncio.subprocess.DEVNULL)
    assert process.stdin
    assert process.stdout
    for line, marker in (("2", "I accept"), ("1", "1/21"), ("Anna", "2/21"), ("1", "3/21")):
        process.stdin.write(f"{line}\n".encode())
        await process.stdin.drain()
        await read_until(process.stdout, marker)
    process.send_signal(signal.SIGKILL)
    await process.wait()

    result = sportello(db, "chat", stdin="2\n")
    assert result.returncode == 0, result.stderr
    first_question = result.stdout.split("\n> ")[0]
    assert "3/21 · How old are you?" in first_question
    assert answers(db, "demo") == {
        "name": '"Anna"',
        "residence": '"lucca"',
        "age_band": '"18_29"',
    }
    with contextlib.closing(connect(db)) as conn:
        check_integrity(conn)


def test_book_reschedule_and_cancel_in_the_console(database: str) -> None:
    db = database
    booking_script = [
        "1",  # the first day offered
        "1",  # its first time
        "/appuntamento",
        "1",  # reschedule
        "2",  # the second day offered
        "1",  # its first time
        "/appuntamento",
        "2",  # cancel
        "1",  # yes
    ]
    script = [*ENGLISH_SCRIPT, *booking_script]
    result = sportello(db, "chat", stdin="\n".join(script) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Which day suits you?" in out
    assert out.count("Booked! Your video meeting is on") == 2
    assert "Zoom link: https://zoom.us/j/" in out
    assert out.count("📎") == 3  # the calendar file, again after the move, and the cancellation
    assert "Your appointment has been moved." in out
    assert "Your appointment has been cancelled." in out
    with contextlib.closing(connect(db)) as conn:
        rows = conn.execute("SELECT status, sequence FROM bookings").fetchall()
    assert [tuple(row) for row in rows] == [("cancelled", 1)]


async def test_ctrl_c_while_waiting_for_input_leaves_at_once_with_everything_saved(
    database: str,
) -> None:
    """The reading thread used to block until Enter, and asyncio.run waited for it."""
    db = database
    process = await start_chat(db, asyncio.subprocess.PIPE)
    assert process.stdin
    assert process.stdout
    for line, marker in (("2", "I accept"), ("1", "1/21"), ("Anna", "2/21")):
        process.stdin.write(f"{line}\n".encode())
        await process.stdin.drain()
        await read_until(process.stdout, marker)
    process.send_signal(signal.SIGINT)  # the input stays open: only the signal can end it
    rest, errors = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 130
    assert "Goodbye: everything is saved" in rest.decode()
    assert "Traceback" not in errors.decode()

    result = sportello(db, "chat", stdin="")
    assert result.returncode == 0, result.stderr
    assert "2/21 · " in result.stdout.split("\n> ")[0]
    assert answers(db, "demo") == {"name": '"Anna"'}
