"""Layering: chat steps and command-line handlers converse; the capabilities write.

Every module under bot/flows/ and the command line (bot/cli.py, bot/admin.py, bot/reports.py)
is parsed, and any call `<something>.<repository>.<write method>(...)` is reported. The write
methods are derived from the repository classes of storage/ (a public method whose body runs
an INSERT, UPDATE or DELETE), not listed by hand, so a new write is caught the day it is added.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from storage.session import Session

ROOT = Path(__file__).resolve().parents[1]
SCANNED = sorted(
    [
        *(ROOT / "bot" / "flows").glob("*.py"),
        *(
            ROOT / "bot" / n
            for n in ("cli.py", "run_cli.py", "admin.py", "reports.py", "companies_cli.py")
        ),
    ]
)
WRITES_SQL = re.compile(r"self\._(run|insert|attempt|attempt_insert)\(|\b(INSERT|UPDATE|DELETE)\b")

# Writes not yet moved into bot/capabilities/ ("module: repository.method"). Empty: every
# chat step and command-line handler goes through a capability. It stays as the one place a
# temporary exception would have to be written down, and a test fails on a stale entry.
NOT_YET_MOVED: dict[str, set[str]] = {}


def write_methods() -> dict[str, set[str]]:
    """Repository attribute of the unit of work -> its public methods that write."""
    session = Session(cast(Any, None))
    return {
        attribute: {name for name in _writing(type(repository)) if not name.startswith("_")}
        for attribute, repository in vars(session).items()
    }


def _writing(repository: type) -> set[str]:
    """Methods of the class that run a write, directly or through another of its methods."""
    sources = {
        name: inspect.getsource(method)
        for name, method in vars(repository).items()
        if inspect.iscoroutinefunction(method)
    }
    writing = {name for name, source in sources.items() if WRITES_SQL.search(source)}
    while True:
        calls = re.compile(r"self\.(" + "|".join(map(re.escape, writing)) + r")\(")
        more = {name for name, source in sources.items() if writing and calls.search(source)}
        if more <= writing:
            return writing
        writing |= more


def repository_writes(source: str, writes: dict[str, set[str]]) -> Iterator[tuple[str, int]]:
    """("repository.method", line) of every repository write called in the source."""
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        if isinstance(owner, ast.Attribute) and node.func.attr in writes.get(owner.attr, ()):
            yield f"{owner.attr}.{node.func.attr}", node.lineno


def offenders() -> dict[str, dict[str, list[int]]]:
    writes = write_methods()
    found: dict[str, dict[str, list[int]]] = {}
    for path in SCANNED:
        module = path.relative_to(ROOT).as_posix()
        for call, line in repository_writes(path.read_text(encoding="utf-8"), writes):
            found.setdefault(module, {}).setdefault(call, []).append(line)
    return found


def test_write_methods_are_derived_from_the_repositories() -> None:
    writes = write_methods()
    assert {"create", "move", "set_status", "confirm", "record_outcome"} <= writes["bookings"]
    assert {"join", "leave"} <= writes["waitlist"]
    assert {"add", "drop_pending", "claim_due"} <= writes["outbox"]
    assert not {"get", "active_for", "between", "taken"} & writes["bookings"]
    assert "contains" not in writes["waitlist"]
    # Through a private helper of the repository.
    assert {"wait", "release"} <= writes["registrations"]


def test_the_detector_sees_writes_through_any_unit_of_work() -> None:
    source = (
        "async def step(turn, tx, desk):\n"
        "    await turn.tx.bookings.confirm(1, now)\n"
        "    await desk.tx.outbox.add('noshow', now, now)\n"
        "    await tx.waitlist.join(1, now)\n"
        "    await turn.tx.bookings.get(1)\n"
    )
    found = sorted(repository_writes(source, write_methods()), key=lambda f: f[1])
    assert found == [("bookings.confirm", 2), ("outbox.add", 3), ("waitlist.join", 4)]


def test_booking_and_operator_steps_only_converse() -> None:
    found = offenders()
    conversing = ("booking.py", "followup.py", "operators.py", "privacy.py", "welcome.py")
    for module in (*(f"bot/flows/{m}" for m in conversing), "bot/flows/intake.py"):
        assert module not in found, f"{module} writes through repositories: {found[module]}"
        assert module not in NOT_YET_MOVED


def test_no_new_repository_write_outside_the_capabilities() -> None:
    new = {
        module: {
            call: lines
            for call, lines in calls.items()
            if call not in NOT_YET_MOVED.get(module, set())
        }
        for module, calls in offenders().items()
    }
    new = {module: calls for module, calls in new.items() if calls}
    assert not new, f"call a function of bot/capabilities/ instead: {new}"


def test_the_list_of_writes_not_yet_moved_only_shrinks() -> None:
    found = offenders()
    stale = {
        module: sorted(calls - set(found.get(module, {})))
        for module, calls in NOT_YET_MOVED.items()
        if calls - set(found.get(module, {}))
    }
    assert not stale, f"moved into a capability: remove from NOT_YET_MOVED: {stale}"
