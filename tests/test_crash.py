"""Crash safety end to end: the real console chat killed with SIGKILL, again and again.

Five people do the intake and book through one `sportello chat --multi` process fed by a
script. The process is killed at seeded-random points (after the k-th echoed "> " line of its
output, k random) at least fifty times (25 on PostgreSQL); after every kill the database is
checked with the stdlib sqlite3 module (on PostgreSQL, [postgresql], through one asyncpg
connection) and the chat is started again with what is left of the script.

How the test knows which lines were applied without a reference run (which would depend on
the wall clock, since free times move with "now"):

* lines are written in batches of at most one line per person, each batch followed by a
  sentinel line spoken by a sixth person who is never checked. When the sentinel's echo is
  read, every line of the batch was handled and its replies flushed;
* before a batch is written, each of its people's state is read from the database (a
  "digest": step, seq, conversation data, answers, consents, bookings). Every scripted line
  changes its speaker's digest, so after a kill a line was applied exactly when its
  speaker's digest differs from the one read before the batch;
* the console writes the echo of a line before handling it, and flushes only after the
  replies: once the echo of line e is visible, every line before e was handled and its replies
  printed (acknowledged), line e and line e + 1 may or may not have been committed, and the
  lines after them cannot have started.

Lines that were not applied are sent again after the restart; applied ones are not.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import signal
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.booking_helpers import write_config
from tests.direct_db import Reader, Target, check_integrity, connect
from tests.test_console import ENGLISH_SCRIPT, ITALIAN_SCRIPT

pytestmark = pytest.mark.slow

SEED = 20261124
MIN_KILLS = 50
# Kills stop after this many, so the run time stays bounded; the rest of the script then runs
# to completion in one last process.
MAX_KILLS = 60
# On PostgreSQL ([postgresql]) each start also opens a pool and checks the migrations: fewer
# kills keep the suite's time (the same seeded kill points, the first 25 to 30).
KILLS_ON_POSTGRESQL = (25, 30)
MAX_K = 4  # the process is killed after reading the k-th echoed line, 1 <= k <= MAX_K
KILL_PAUSES = (0.0, 0.0, 0.001, 0.002, 0.003, 0.005, 0.008)
SENTINEL = "sentinel"
READ_TIMEOUT = 60.0  # generous: only a hung process would ever reach it

# Operators working every day from 8 to 20, and 48 hours' notice: whatever the wall clock
# says, there are free times, and both reminders of a booking are still ahead (the 24-hour
# one at least 24 hours ahead, even when quiet hours move it 11 hours earlier).
AGENDA_RULES = """
[booking]
slot_minutes = 45
buffer_minutes = 15
horizon_days = 14
min_notice_hours = 48
max_active_per_person = 1
"""
# As many operators as people: everyone takes "the first day, its first time", often from a
# list drawn before someone else booked, and that time must still have a seat for each of
# them. With two operators the first day of a late afternoon (48 hours on) had four seats,
# and the fifth person, answering a stale list, ended without a booking.
OPERATORS = (
    ("giulia", "Giulia Bianchi"),
    ("marco", "Marco Rossi"),
    ("elena", "Elena Conti"),
    ("paolo", "Paolo Ricci"),
    ("chiara", "Chiara Galli"),
)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _operator(number: int, operator_id: str, name: str) -> str:
    hours = "".join(f'{day} = ["08:00-20:00"]\n' for day in DAYS)
    return (
        f'\n[[operator]]\nid = "{operator_id}"\nname = "{name}"\nmeeting = "room"\n'
        f'room_url = "https://zoom.us/j/{1000000001 + number}"\n[operator.hours]\n{hours}'
    )


AGENDA = AGENDA_RULES + "".join(_operator(i, *op) for i, op in enumerate(OPERATORS))

BOOK_FIRST_FREE = ["1", "1"]  # the first day offered, its first time
CONFIRMED = re.compile(r"^🤖 \[(\w+)\] ✅ (?:Booked|Prenotato)! ")
EXPECTED_KINDS = {"reminder_confirm", "reminder", "outcome_prompt"}


def person_script(name: str, italian: bool) -> list[str]:
    """From the first message to a booked appointment; the name is the person's own."""
    body = list(ITALIAN_SCRIPT if italian else ENGLISH_SCRIPT)
    body[2] = name.capitalize()  # the name question comes after language and notice
    return ["/start", *body, *BOOK_FIRST_FREE]


PEOPLE = {
    "anna": False,
    "luca": True,
    "sara": False,
    "mario": True,
    "omar": False,
}


def environment(database: Target, config: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SPORTELLO_", "TELEGRAM_", "TWILIO_", "ZOOM_", "PUBLIC_URL"))
    }
    env["SPORTELLO_DATABASE"] = str(database)
    env["SPORTELLO_CONFIG"] = str(config)
    return env


# -- reading the database past the storage layer (tests/direct_db.py) ------------------------


def person_id(conn: Reader, who: str) -> int | None:
    row = conn.execute(
        "SELECT person_id FROM identities WHERE channel = 'console' AND external_id = ?", (who,)
    ).fetchone()
    return None if row is None else int(row["person_id"])


def digest(conn: Reader, who: str) -> Any:
    """Everything a scripted line can change about its speaker, timestamps left out."""
    pid = person_id(conn, who)
    if pid is None:
        return None
    person = conn.execute(
        "SELECT language, source, intake_confirmed_at IS NOT NULL AS confirmed FROM people "
        "WHERE id = ?",
        (pid,),
    ).fetchone()
    conversation = conn.execute(
        "SELECT step, seq, data FROM conversations WHERE person_id = ?", (pid,)
    ).fetchone()
    answers = conn.execute(
        "SELECT question, value FROM answers WHERE person_id = ? ORDER BY question", (pid,)
    ).fetchall()
    consents = conn.execute(
        "SELECT kind, granted FROM consents WHERE person_id = ? ORDER BY id", (pid,)
    ).fetchall()
    bookings = conn.execute(
        "SELECT id, status, sequence, operator_id, starts_at FROM bookings WHERE person_id = ? "
        "ORDER BY id",
        (pid,),
    ).fetchall()
    waiting = conn.execute("SELECT 1 FROM waitlist WHERE person_id = ?", (pid,)).fetchone()
    return (
        tuple(person),
        tuple(conversation) if conversation else None,
        tuple(tuple(r) for r in answers),
        tuple(tuple(r) for r in consents),
        tuple(tuple(r) for r in bookings),
        waiting is not None,
    )


def step_of(state: Any) -> str | None:
    if state is None or state[1] is None:
        return None
    return str(state[1][0])


def answered(state: Any) -> set[str]:
    return set() if state is None else {str(q) for q, _v in state[2]}


def multi_choice_data(state: Any) -> dict[str, Any]:
    if state is None or state[1] is None:
        return {}
    data = json.loads(state[1][2])
    return data if isinstance(data, dict) else {}


def check_database(database: Target, confirmed: set[str]) -> None:
    """After a kill: a sound file (SQLite's own checks; PostgreSQL checks foreign keys on
    every statement), no slot given twice, every booking confirmed on screen still booked
    with its planned reminders and outcome prompt."""
    with contextlib.closing(connect(database)) as conn:
        check_integrity(conn)
        doubles = conn.execute(
            "SELECT operator_id, starts_at, COUNT(*) FROM bookings "
            "WHERE status IN ('held', 'booked') GROUP BY 1, 2 HAVING COUNT(*) > 1"
        ).fetchall()
        assert doubles == []
        for who in sorted(confirmed):
            pid = person_id(conn, who)
            assert pid is not None, who
            booked = conn.execute(
                "SELECT id, sequence FROM bookings WHERE person_id = ? AND status = 'booked'",
                (pid,),
            ).fetchall()
            assert len(booked) == 1, f"{who} saw 'Booked!' but has {len(booked)} bookings"
            booking_id, sequence = booked[0]
            rows = conn.execute(
                "SELECT kind, status, payload FROM outbox WHERE booking_id = ?", (booking_id,)
            ).fetchall()
            kinds = [r["kind"] for r in rows]
            assert sorted(kinds) == sorted(EXPECTED_KINDS), (who, kinds)
            for row in rows:
                assert row["status"] in ("pending", "sending", "sent", "dropped"), tuple(row)
                if row["kind"].startswith("reminder"):
                    assert json.loads(row["payload"]) == {"sequence": sequence}


# -- driving the process ------------------------------------------------------------------------


@dataclass
class Progress:
    remaining: dict[str, deque[str]]
    rng: random.Random
    confirmed: set[str] = field(default_factory=set)
    confirmations: dict[str, int] = field(default_factory=dict)
    kills: int = 0
    runs: int = 0
    lines_sent: int = 0
    resent: int = 0
    in_flight_applied: int = 0

    def done(self) -> bool:
        return not any(self.remaining.values())

    def batch(self) -> list[tuple[str, str]]:
        """The next line of up to five people, in a random order, at most one each."""
        speakers = [who for who, lines in self.remaining.items() if lines]
        self.rng.shuffle(speakers)
        chosen = speakers[: self.rng.randint(1, len(speakers))]
        return [(who, self.remaining[who][0]) for who in chosen]


class Killed(Exception):
    pass


@dataclass
class Run:
    process: asyncio.subprocess.Process
    progress: Progress
    kill_after: int | None
    echoes: int = 0
    output: list[str] = field(default_factory=list)

    async def read_line(self) -> str:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), READ_TIMEOUT)
        line = raw.decode("utf-8", "replace")
        self.output.append(line)
        self._notice(line)
        return line

    def _notice(self, line: str) -> None:
        match = CONFIRMED.match(line)
        if match:
            who = match.group(1)
            self.progress.confirmed.add(who)
            self.progress.confirmations[who] = self.progress.confirmations.get(who, 0) + 1

    async def kill(self) -> None:
        # A seeded pause of 0 to 8 ms spreads the kills over the handling of the next line:
        # before its transaction, during it, between its commit and its printed replies.
        # Whatever the timing, every assertion below must hold.
        pause = self.progress.rng.choice(KILL_PAUSES)
        if pause:
            await asyncio.sleep(pause)
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self.progress.kills += 1

    async def drain(self) -> list[str]:
        """What the process printed before it died: still in the pipe."""
        assert self.process.stdout is not None
        rest = (await asyncio.wait_for(self.process.stdout.read(), READ_TIMEOUT)).decode(
            "utf-8", "replace"
        )
        lines = rest.splitlines(keepends=True)
        for line in lines:
            self._notice(line)
        self.output += lines
        return lines

    async def wait_ready(self) -> None:
        """The chat opens by showing the sentinel where they are: the database is ready."""
        while not (await self.read_line()).startswith(f"🤖 [{SENTINEL}]"):
            assert self.output[-1], "the chat ended at start:\n" + "".join(self.output)

    async def send_batch(self, database: Target) -> None:
        """One batch and its sentinel; raises Killed if the kill point falls inside it."""
        progress = self.progress
        batch = progress.batch()
        with contextlib.closing(connect(database)) as conn:
            before = {who: digest(conn, who) for who, _ in batch}
        expected = [f"> @{who} {text}" for who, text in batch] + [f"> @{SENTINEL} /aiuto"]
        assert self.process.stdin is not None
        self.process.stdin.write("".join(e[2:] + "\n" for e in expected).encode())
        await self.process.stdin.drain()
        progress.lines_sent += len(batch)
        seen = 0
        killed = False
        while seen < len(expected):
            line = await self.read_line()
            assert line, "the chat ended before the batch was handled:\n" + "".join(self.output)
            if line.rstrip("\n") == expected[seen]:
                seen += 1
                self.echoes += 1
                if self.echoes == self.kill_after:
                    await self.kill()
                    killed = True
                    break
        if killed:
            for line in await self.drain():
                if seen < len(expected) and line.rstrip("\n") == expected[seen]:
                    seen += 1
        self._settle(database, batch, before, seen, killed)
        if killed:
            raise Killed

    def _settle(
        self,
        database: Target,
        batch: list[tuple[str, str]],
        before: dict[str, Any],
        seen: int,
        killed: bool,
    ) -> None:
        """Which lines of the batch were applied; those leave the script."""
        progress = self.progress
        last_echo = seen - 1  # index of the last visible echo; -1: none
        if not killed:
            assert seen == len(batch) + 1
        with contextlib.closing(connect(database)) as conn:
            after = {who: digest(conn, who) for who, _ in batch}
        applied_flags = []
        for index, (who, text) in enumerate(batch):
            applied = after[who] != before[who]
            where = f"line {index} of {batch} (last echo {last_echo}), by {who}: {text!r}"
            if index < last_echo or not killed:
                assert applied, f"acknowledged but not saved: {where}"
                self._answer_kept(who, text, before[who], after[who])
            elif index > last_echo + 1:
                assert not applied, f"applied although never started: {where}"
            applied_flags.append(applied)
            if applied:
                progress.remaining[who].popleft()
                if index >= last_echo and killed:
                    progress.in_flight_applied += 1
            elif killed:
                progress.resent += 1
        # Lines are handled in order: a later line cannot be in without the earlier ones.
        first_missing = next((i for i, a in enumerate(applied_flags) if not a), None)
        if first_missing is not None:
            assert not any(applied_flags[first_missing:]), (batch, applied_flags)

    @staticmethod
    def _answer_kept(who: str, text: str, before: Any, after: Any) -> None:
        """An acknowledged answer to an intake question is in the answers table, unless the
        line ticked options of a multiple choice (still the same question)."""
        step = step_of(before)
        if step is None or not step.startswith("q:"):
            return
        question = step.removeprefix("q:")
        same_question = step_of(after) == step
        ticked = same_question and multi_choice_data(after) != multi_choice_data(before)
        assert question in answered(after) or ticked, (who, text, question)


async def start(env: dict[str, str], folder: Path, errors: Path) -> Any:
    with errors.open("ab") as stderr:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "chat",
            "--multi",
            "--as",
            SENTINEL,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            env=env,
            cwd=folder,
        )


async def test_kill_9_anywhere_loses_nothing_acknowledged(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    database: Target = tmp_path / "s.db"
    if backend == "postgresql":
        database = str(request.getfixturevalue("pg_url"))
    config = write_config(tmp_path, AGENDA)
    env = environment(database, config)
    errors = tmp_path / "stderr.log"
    progress = Progress(
        remaining={who: deque(person_script(who, italian)) for who, italian in PEOPLE.items()},
        rng=random.Random(SEED),
    )
    total_lines = sum(len(q) for q in progress.remaining.values())
    min_kills, max_kills = (
        KILLS_ON_POSTGRESQL if backend == "postgresql" else (MIN_KILLS, MAX_KILLS)
    )
    while not progress.done():
        progress.runs += 1
        assert progress.runs <= 400, "no progress: the script never finishes"
        kill_after = progress.rng.randint(1, MAX_K) if progress.kills < max_kills else None
        run = Run(await start(env, tmp_path, errors), progress, kill_after)
        await run.wait_ready()
        try:
            while not progress.done():
                await run.send_batch(database)
        except Killed:
            check_database(database, progress.confirmed)
            continue
        assert run.process.stdin is not None
        run.process.stdin.close()
        await run.drain()
        assert await asyncio.wait_for(run.process.wait(), READ_TIMEOUT) == 0
        check_database(database, progress.confirmed)

    assert progress.kills >= min_kills, progress
    assert "Traceback" not in errors.read_text(encoding="utf-8", errors="replace")
    # The console has no re-delivery: a line is handled once, so nothing is ever said twice.
    duplicates = {who: n for who, n in progress.confirmations.items() if n > 1}
    assert duplicates == {}
    with contextlib.closing(connect(database)) as conn:
        for who in PEOPLE:
            pid = person_id(conn, who)
            assert pid is not None
            confirmed = conn.execute(
                "SELECT intake_confirmed_at FROM people WHERE id = ?", (pid,)
            ).fetchone()[0]
            assert confirmed is not None, who
            statuses = conn.execute(
                "SELECT status FROM bookings WHERE person_id = ?", (pid,)
            ).fetchall()
            assert [s[0] for s in statuses] == ["booked"], who
            name = conn.execute(
                "SELECT value FROM answers WHERE person_id = ? AND question = 'name'", (pid,)
            ).fetchone()[0]
            assert json.loads(name) == who.capitalize()
            stats = conn.execute("SELECT COUNT(*) FROM intake_stats").fetchone()[0]
        assert stats == len(PEOPLE)  # the anonymous row is written once per confirmed intake
    check_database(database, set(PEOPLE))
    print(
        f"\ncrash: {progress.kills} kills over {progress.runs} runs, {total_lines} script "
        f"lines, {progress.lines_sent} sent, {progress.resent} sent again, "
        f"{progress.in_flight_applied} in-flight lines found committed"
    )
