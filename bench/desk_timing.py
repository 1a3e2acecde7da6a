"""The back-office's pages on a big database: how long the agenda and a person's record take.

The database is the big-database scenario's (`bench.scale.seed`: people who finished the
intake, past appointments spread over the demo operators), plus a working day of appointments
today for each operator. The pages are fetched through the ASGI app in this process (httpx's
ASGI transport, no sockets), logged in as an operator and as the administrator, so the figures
are the server's own time: routing, the role check, the queries and the template.
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

from bench.common import Result, percentile
from bench.processes import CONFIG
from bench.scale import OPERATORS, seed
from bot.agenda import local_day_bounds
from bot.app import App, build_app
from bot.backoffice.desk_server import standalone
from bot.capabilities import accounts
from bot.clock import SystemClock
from bot.domain import MeetingMode
from bot.settings_loading import load_settings

TODAY_PER_OPERATOR = 12
PASSWORD = "bench-desk-password"


async def _today(app: App) -> None:
    """A working day for each operator, from 08:00 every 30 minutes."""
    now = app.clock.now()
    start, _end = local_day_bounds(now)
    async with app.db.write() as tx:
        for index in range(TODAY_PER_OPERATOR * len(OPERATORS)):
            starts = start + timedelta(hours=8, minutes=30 * (index // len(OPERATORS)))
            await tx.bookings.create(
                person_id=index + 2,
                operator_id=OPERATORS[index % len(OPERATORS)],
                starts_at=starts,
                ends_at=starts + timedelta(minutes=30),
                meeting_mode=MeetingMode.ROOM,
                uid=f"today-{index}@bench",
                now=now,
                join_url="https://zoom.example.org/j/1",
            )


async def _client(app: App, email: str, role: str, operator: str | None) -> httpx.AsyncClient:
    async with app.db.write() as tx:
        await accounts.add_user(tx, email, role, PASSWORD, app.clock.now(), operator_id=operator)
    transport = httpx.ASGITransport(app=standalone(app), client=("127.0.0.1", 40001))
    http = httpx.AsyncClient(transport=transport, base_url="http://bench")
    form = await http.get("/desk/login")
    token = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    answer = await http.post(
        "/desk/login", data={"email": email, "password": PASSWORD, "csrf": token}
    )
    assert answer.status_code == 303, answer.status_code
    return http


async def _time(http: httpx.AsyncClient, paths: list[str]) -> tuple[list[float], int]:
    """Milliseconds of each GET, and how many did not answer 200."""
    times, failed = [], 0
    for path in paths:
        started = time.perf_counter()
        answer = await http.get(path)
        times.append((time.perf_counter() - started) * 1000)
        failed += answer.status_code != 200
    return times, failed


async def run(people: int = 50_000, bookings: int = 200_000, requests: int = 60) -> Result:
    result = Result(f"back-office pages: {people:,} people, {bookings:,} bookings")
    with tempfile.TemporaryDirectory(prefix="bench-desk-") as tmp:
        database = Path(tmp) / "desk.db"
        await seed(database, people, bookings)
        settings = load_settings(
            environ={"SPORTELLO_DATABASE": str(database), "SPORTELLO_CONFIG": str(CONFIG)},
            dotenv=None,
        )
        app = await build_app(settings, SystemClock())
        try:
            await _today(app)
            operator = await _client(app, "op@bench.example.org", "operator", OPERATORS[0])
            admin = await _client(app, "admin@bench.example.org", "admin", None)
            # Seeded people are ids 2, 3, ... (1 is the template intake); the seeding gives
            # those with even ids to the first operator.
            picks = random.Random(7)
            ids = [picks.randrange(2, min(people, bookings) + 2, 2) for _ in range(requests)]
            figures = {
                "agenda today, operator": await _time(operator, ["/desk/agenda"] * requests),
                "agenda week, operator": await _time(
                    operator, ["/desk/agenda?range=week"] * requests
                ),
                "agenda today, admin": await _time(admin, ["/desk/agenda"] * requests),
                "person record, operator": await _time(
                    operator, [f"/desk/people/{i}" for i in ids]
                ),
                "person record, admin": await _time(admin, [f"/desk/people/{i}" for i in ids]),
            }
            await operator.aclose()
            await admin.aclose()
        finally:
            await app.close()
    failed = sum(f for _t, f in figures.values())
    for name, (times, _failed) in figures.items():
        result.add(f"{name} p50", percentile(times, 50), "ms")
        result.add(f"{name} p95", percentile(times, 95), "ms")
    result.add("pages not answered 200", failed, "", "0", failed == 0)
    return result
