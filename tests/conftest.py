"""Shared fixtures: settings on a temporary database, an app with a manual clock, a chat
driver that talks to the engine the way a channel adapter does.

`settings` (and so `app` and `chat`) comes in two variants, `[sqlite]` and `[postgresql]`:
every test that uses it runs on both backends. The PostgreSQL server is started once per
test process (tests/pg_server.py); each test gets the same database emptied. A test that
reads the SQLite file itself is marked `sqlite_only`.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest

from bot.app import App, build_app
from bot.clock import ManualClock
from bot.settings import Settings
from bot.settings_loading import load_settings
from tests.chat import Chat
from tests.pg_server import Server, ServerUnavailable, start_server

T = TypeVar("T")
BACKENDS = ("sqlite", "postgresql")
# What emptying the test database takes: every row gone and the ids back to 1, as in a new
# file; with session_replication_role = replica neither triggers nor foreign keys fire.
RESET = """
SET session_replication_role = replica;
DO $$ DECLARE t text; BEGIN
    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema()
            AND tablename <> 'sportello_schema' LOOP
        EXECUTE format('DELETE FROM %I', t);
    END LOOP;
END $$;
SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S';
SET session_replication_role = DEFAULT;
"""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: reads or damages the SQLite file itself")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test marked sqlite_only keeps only its [sqlite] variant."""
    for item in list(items):
        callspec = getattr(item, "callspec", None)
        if (
            callspec is not None
            and callspec.params.get("backend") == "postgresql"
            and item.get_closest_marker("sqlite_only")
        ):
            items.remove(item)


def run_apart(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from synchronous fixture code, whatever loop the test has."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="session", autouse=True)
def own_port() -> None:
    """Each test process (pytest-xdist runs two) gives the bots it starts a free port, so two
    `sportello run` without credentials never both reach for the back-office's 8080."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        os.environ["SPORTELLO_PORT"] = str(probe.getsockname()[1])


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    try:
        server = start_server()
    except ServerUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs PostgreSQL and it could not start: {exc}")
        pytest.skip(f"PostgreSQL could not start: {exc}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_shared(pg_server: Server) -> str:
    """This test process's database, migrated once."""
    return run_apart(pg_server.new_database())


async def empty_database(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        # What a test left connected (an app it did not close) must not hold rows locked.
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        await conn.execute(RESET)
    finally:
        await conn.close()


@pytest.fixture
def pg_url(pg_shared: str) -> str:
    """The URL of an empty, migrated PostgreSQL database for this test."""
    run_apart(empty_database(pg_shared))
    return pg_shared


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make_settings(database: Path | str, **extra: str) -> Settings:
    environ = {"SPORTELLO_DATABASE": str(database), **extra}
    return load_settings(environ=environ, dotenv=None)


@pytest.fixture
def database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """What SPORTELLO_DATABASE says for this test: a new SQLite file, or the emptied
    PostgreSQL database. Tests that build their own settings take this, so they too run on
    both backends."""
    if backend == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return str(tmp_path / "sportello.db")


@pytest.fixture
def settings(database: str) -> Settings:
    return make_settings(database)


@pytest.fixture
def clock() -> ManualClock:
    # A Tuesday morning in Lucca.
    return ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))


@pytest.fixture
async def app(settings: Settings, clock: ManualClock) -> AsyncIterator[App]:
    application = await build_app(settings, clock)
    yield application
    await application.close()


@pytest.fixture
def chat(app: App) -> Chat:
    return Chat(app.engine, "anna", language="en")
