"""What the fuzz suites share (tests/test_fuzz_engine.py, test_fuzz_whatsapp.py,
test_fuzz_telegram.py, test_fuzz_regressions.py): the example budgets, the driver that runs
async code from a synchronous hypothesis test, the checks, and the strategies.

Fuzzing with hypothesis: over 100,000 generated inputs, nothing crashes or corrupts.

Three property tests, each building its app once in an event loop of its own and driving it
from a synchronous hypothesis test (`Driver.run`), so the app, its database and the fake
platforms live across examples and people wander into every state:

* engine events for a handful of people on three channels and one operator: random text
  (huge, empty, Unicode, right-to-left, control characters, emoji), commands with random
  arguments, buttons of the current question, stale ones, forged data of any shape and
  length, media, edits, re-delivered dedupe keys; the clock moves and the jobs and the
  outbox dispatcher run between examples, so reminders, waitlist offers and outcome buttons
  come into play too;
* WhatsApp webhook form bodies posted to the ASGI app: random and missing fields, huge
  fields, raw bytes, wrong, absent and valid signatures (on random bodies too), status
  callbacks;
* Telegram webhook bodies posted to the ASGI app with the right secret: random JSON and
  update-like dicts with random fields.

Each generated webhook body is followed by up to four byte-level mutants of it (cut,
flipped, spliced, doubled; some signed anew): hypothesis generates about 40,000 inputs, the
mutants bring the total past 100,000 within the time budget (about 80 s on 2 cores; the
engine handles about 350 random events a second, the web app about 1,600 posts).

Checked: no unhandled exception, no HTTP 500, no logged error, no apology for an internal
error ("something went wrong" / "c'è stato un problema") in any reply; and after the run (and
every 200 examples) the database invariants: `PRAGMA integrity_check` ok, no slot held or
booked twice, nobody with more active bookings than `max_active_per_person`.

Inputs that trigger a bug already found are kept out of the three property tests (the
Telegram mutants a real Telegram could not send, the erasure command on WhatsApp) and
reproduced one by one in tests/test_fuzz_regressions.py, as regression tests (they were
strict xfails until the bugs were fixed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Coroutine, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from bot.app import App, build_app
from bot.clock import ManualClock
from bot.settings import Settings
from bot.settings_loading import load_settings
from tests.direct_db import Reader, Target, check_integrity

T = TypeVar("T")

# Examples per test and the inputs each one carries; the totals are asserted per test and
# add up to more than 100,000.
ENGINE_EXAMPLES = 360
ENGINE_EVENTS = (10, 40)
# Every example has at least ENGINE_EVENTS[0] events: the floor that holds on every run.
ENGINE_MINIMUM = ENGINE_EXAMPLES * ENGINE_EVENTS[0]
WHATSAPP_EXAMPLES = 480
WHATSAPP_POSTS = (20, 60)
# Floors every run guarantees (examples x minimum bodies); a run makes about twice as many,
# mutants included, and prints the figure.
WHATSAPP_MINIMUM = WHATSAPP_EXAMPLES * WHATSAPP_POSTS[0]
TELEGRAM_EXAMPLES = 460
TELEGRAM_POSTS = (20, 70)
TELEGRAM_MINIMUM = TELEGRAM_EXAMPLES * TELEGRAM_POSTS[0]
# On PostgreSQL the webhook suites run half their examples: most bodies are refused before
# the database, and the suite's time is better spent on the engine's, which all reach it.
ON_POSTGRESQL = {"sqlite": 1.0, "postgresql": 0.5}
CHECK_EVERY = 200

PUBLIC = "https://sportello.example.org"
SECRET = "fuzz-secret_0123456789"
START = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # a Tuesday, 9:00 in Lucca
APOLOGIES = ("something went wrong", "qualcosa è andato storto", "c'è stato un problema")
OPERATORS = ("100000001", "100000002")  # Giulia and Marco in config/example.toml

SETTINGS = settings(
    # No shrinking: the app's state carries over from one example to the next, so a smaller
    # example would not replay the same way; the failing example is printed as found.
    phases=[Phase.explicit, Phase.generate],
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
        HealthCheck.function_scoped_fixture,
    ],
)


# -- running async code from a synchronous hypothesis test ------------------------------------


class Driver:
    """One event loop for the whole test: the app is built in it once, and every example is
    run to completion in it (pytest-asyncio is not involved: the test is synchronous)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.stack = contextlib.AsyncExitStack()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def enter(self, manager: contextlib.AbstractAsyncContextManager[T]) -> T:
        return self.run(self.stack.enter_async_context(manager))

    def close(self) -> None:
        try:
            self.run(self.stack.aclose())
            self.run(self.loop.shutdown_asyncgens())
        finally:
            self.loop.close()


@contextlib.contextmanager
def driver() -> Iterator[Driver]:
    running = Driver()
    try:
        yield running
    finally:
        running.close()


class ErrorLog(logging.Handler):
    """Every record at ERROR or above, from any logger, while the fuzz runs."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def lines(self) -> list[str]:
        return [f"{r.name}: {r.getMessage()}" for r in self.records]


@contextlib.contextmanager
def logged_errors() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def apologies(texts: Sequence[str]) -> list[str]:
    return [t for t in texts if any(a in t.casefold() for a in APOLOGIES)]


def check_invariants(db: Reader, max_active: int, *, full: bool) -> None:
    if full:
        check_integrity(db)
    doubles = db.execute(
        "SELECT operator_id, starts_at, COUNT(*) FROM bookings "
        "WHERE status IN ('held', 'booked') GROUP BY 1, 2 HAVING COUNT(*) > 1"
    ).fetchall()
    assert [tuple(row) for row in doubles] == []
    greedy = db.execute(
        "SELECT person_id, COUNT(*) FROM bookings WHERE status IN ('held', 'booked') "
        "AND person_id IS NOT NULL GROUP BY 1 HAVING COUNT(*) > ?",
        (max_active,),
    ).fetchall()
    assert [tuple(row) for row in greedy] == []


def counts(db: Reader, sql: str) -> dict[Any, int]:
    """A two-column query (key, count) as a dict."""
    return {row[0]: int(row[1]) for row in db.execute(sql).fetchall()}


def database_of(folder: Path, name: str, backend: str, request: pytest.FixtureRequest) -> Target:
    """The test's database: a new SQLite file in ``folder``, or the empty PostgreSQL one."""
    if backend == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return folder / name


def settings_on(target: Target, **extra: str) -> Settings:
    return load_settings(environ={"SPORTELLO_DATABASE": str(target), **extra}, dotenv=None)


# -- strategies shared by the three tests -----------------------------------------------------


def weighted(*choices: tuple[int, st.SearchStrategy[T]]) -> st.SearchStrategy[T]:
    """One of the strategies, chosen with the given weights (st.one_of draws its branches
    evenly, and collapses a strategy listed twice)."""
    pool = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(pool).flatmap(lambda strategy: strategy)


TOKENS: tuple[bytes, ...] = (b"%", b"&", b"=", b"\x00", b"\xff", b'"', b"{", b"}", b"[", b"]")
TOKENS += (b",", b"\\u0000", b"%00", b"%F0%9F", b"%E2%80%AE", b"+", b"null", b"-1", b"1e999")
TOKENS += (b"\\ud800",)


def mutate(body: bytes, rng: random.Random) -> bytes:
    """A byte-level mutant of a generated body: cut, flipped, spliced, doubled."""
    if not body:
        return rng.choice(TOKENS)
    at = rng.randrange(len(body))
    choice = rng.randrange(6)
    if choice == 0:
        return body[:at]
    if choice == 1:
        return body[:at] + bytes([body[at] ^ (1 << rng.randrange(8))]) + body[at + 1 :]
    if choice == 2:
        return body[:at] + rng.choice(TOKENS) + body[at:]
    if choice == 3:
        return body[:at] + body[at + rng.randrange(1, 20) :]
    if choice == 4:
        return body[:at] + body[at : at + 30] * rng.randrange(2, 5) + body[at:]
    return body + rng.choice((b"&", b"")) + body


COMMANDS = (
    "start",
    "aiuto",
    "help",
    "indietro",
    "back",
    "ricomincia",
    "restart",
    "lingua",
    "language",
    "operatore",
    "operator",
    "privacy",
    "imieidati",
    "mydata",
    "cancella",
    "delete",
    "avvisi",
    "news",
    "appuntamento",
    "appointment",
    "oggi",
    "today",
    "domani",
    "tomorrow",
    "START",
    "Aiuto",
    "nope",
)
SAMPLES = (
    "",
    " ",
    "\n\n\t",
    "\x00",
    "\x00\x01\x02\x1b[31m",
    "\u202eevil\u202c",
    "\u200f\u200e\u200d",
    "مرحبا، أريد عملا",
    "שלום",
    "Привет",
    "你好，我想找工作",
    "👍🏽",
    "👩‍👩‍👧‍👦🇮🇹",
    "e\u0301\u0301\u0301",
    "Z̸̡͕̈́a̷l̴g̵o̶",
    "1",
    "2",
    "3",
    "0",
    "-1",
    "999",
    "1.",
    "2)",
    "1 3 5",
    "1, 3 e 5",
    "2 and 7",
    "1 1 1 1",
    "13",
    "fatto",
    "done",
    "skip",
    "salta",
    "sì",
    "no",
    "STOP",
    "basta",
    "ANNULLA",
    "start",
    "RIPRENDI",
    "accetto",
    "I accept",
    "confirm",
    "conferma",
    "Anna",
    "Tuesday 24 November",
    "12:00",
    "/",
    "//",
    "/ start",
    "/start@sportello_test_bot",
    "/start poster_school",
    "/start " + "x" * 65,
    "/start ../../etc/passwd",
    "%s %d %(name)s {0} {{}}",
    "'; DROP TABLE people; --",
    "<script>alert(1)</script>",
    "\ufeff1",
    "１",
    "٣",
)

plain_text = st.text(max_size=60)
unicode_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=120)  # no surrogates
huge_text = st.builds(
    lambda unit, n: (unit or "x") * n,
    st.sampled_from(("a", "é", "👍", "ab c. ", "1 ", "\u202e", "\n")),
    st.integers(500, 20_000),
)
command_text = st.builds(
    lambda slash, name, rest: f"{slash}{name}{rest}",
    st.sampled_from(("/", "/", "/", " /", "／")),
    st.sampled_from(COMMANDS),
    st.one_of(st.just(""), st.text(max_size=80).map(lambda t: " " + t)),
)
any_text = st.one_of(
    st.sampled_from(SAMPLES), plain_text, unicode_text, huge_text, command_text, st.just("")
)
forged_data = st.one_of(
    st.text(max_size=80),
    st.from_regex(r"\A-?[0-9]{0,14}:[a-z0-9_.:-]{0,64}\Z"),
    st.builds(
        lambda seq, option: f"{seq}:{option}",
        st.integers(-5, 10**12),
        st.sampled_from(
            (
                "notice.accept",
                "notice.refuse",
                "summary.confirm",
                "multi.done",
                "nav.back",
                "nav.skip",
                "nav.human",
                "appt.move",
                "appt.cancel",
                "cancel.yes",
                "wait.join",
                "offer.accept",
                "day.more",
                "d.20261124",
                "d.99999999",
                "t.1200",
                "t.9999",
                "t.",
                "score.5",
                "score.99",
                "o.1.attended",
                "o.99999999999.no_show",
                "n.1.training",
                "lucca",
                "it",
                "en",
            )
        ),
    ),
    st.builds(lambda n: f"0:o.{n}.attended", st.integers(0, 10**12 - 1)),
    huge_text,
)


@contextlib.asynccontextmanager
async def fuzz_app(settings_: Any, clock: ManualClock) -> AsyncIterator[App]:
    app = await build_app(settings_, clock)
    try:
        yield app
    finally:
        await app.close()


# Who writes on WhatsApp in the webhook tests and the regressions.
NUMBERS = ("+393331110001", "+393331110002", "+447700900123", "+12025550123")
