"""Browser fixtures for the back-office: Debian's Chromium driven by Playwright (never a
browser download), axe-core from the npm registry, the back-office served on loopback, and
screenshots of every page when DESK_SCREENSHOTS is set (`make screenshots`).

Without Chromium or npm the tests fail under CI (CI is set) and are skipped elsewhere, with
the reason; as root they install Chromium themselves (`apt-get install -y chromium`)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from bot.app import App, build_app
from bot.backoffice.desk_server import standalone
from bot.clock import ManualClock
from bot.domain import OutboxKind, OutboxStatus
from tests.conftest import BACKENDS, make_settings, run_apart
from tests.desk_helpers import add_accounts
from tests.pg_server import Server as PgServer

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_DIR = ROOT / ".cache" / "axe-core"
AXE_FILE = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
BAD_IMPACTS = ("serious", "critical")
T = TypeVar("T")


def unavailable(reason: str) -> None:
    """Fail under CI, where every test must run; skip, saying why, elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _apt(*args: str) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(["apt-get", *args], capture_output=True, env=env, check=False)
    return done.returncode == 0


@pytest.fixture(scope="session")
def chromium() -> Path:
    root = shutil.which("apt-get") is not None and os.geteuid() == 0
    if not CHROMIUM.exists() and root and not _apt("install", "-y", "chromium"):
        _apt("update")  # a fresh machine may not have the package lists yet
        _apt("install", "-y", "chromium")
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing: apt-get install -y chromium")
    return CHROMIUM


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_FILE.exists():
        npm = shutil.which("npm")
        if npm is None:
            unavailable("npm is missing: it installs axe-core for the accessibility check")
        AXE_DIR.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [
                npm or "npm",
                "install",
                "--prefix",
                str(AXE_DIR),
                "--no-audit",
                "--no-fund",
                "axe-core@4",
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if done.returncode != 0 or not AXE_FILE.exists():
            unavailable(f"npm could not install axe-core: {done.stderr[-500:]}")
    return AXE_FILE.read_text(encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Server(uvicorn.Server):
    """Says when it listens."""

    def __init__(self, config: uvicorn.Config, ready: threading.Event) -> None:
        super().__init__(config)
        self.ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


class DeskServer:
    """The back-office on loopback, in a thread with its own event loop and database."""

    app: App
    loop: asyncio.AbstractEventLoop

    def __init__(self, database: str) -> None:
        self.database = database
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ready = threading.Event()
        self.failure: BaseException | None = None
        self.server: uvicorn.Server | None = None
        self.served: App | None = None  # the app behind the server, once it listens
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the test that waits for the server
            self.failure = exc
            self.ready.set()

    async def _serve(self) -> None:
        clock = ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
        app = await build_app(make_settings(self.database), clock)
        self.app, self.loop = app, asyncio.get_running_loop()
        self.served = app
        self.served_loop = asyncio.get_running_loop()
        try:
            await add_accounts(app)
            now = clock.now()
            async with app.db.write() as tx:
                await tx.outbox.add(OutboxKind.DIGEST, now, now, operator_id="giulia")
                [item] = await tx.outbox.listing(("pending",))
                await tx.outbox.finish(
                    item, OutboxStatus.FAILED, now, "Bad Request: chat not found"
                )
            config = uvicorn.Config(
                standalone(app),
                host="127.0.0.1",
                port=self.port,
                log_config=None,
                access_log=False,
            )
            self.server = _Server(config, self.ready)
            await self.server.serve()
        finally:
            await app.close()

    def start(self) -> None:
        self.thread.start()
        if not self.ready.wait(60) or self.failure is not None or self.server is None:
            raise RuntimeError(f"the back-office did not start: {self.failure!r}")

    def call(self, work: Callable[[App], Awaitable[T]]) -> T:
        """Run `work` on the served app, in the server's event loop (its engine, its
        database), from the test's thread."""
        return asyncio.run_coroutine_threadsafe(_with(self.app, work), self.loop).result(60)

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        self.thread.join(30)


async def _with(app: App, work: Callable[[App], Awaitable[T]]) -> T:
    return await work(app)


@pytest.fixture(scope="module", params=BACKENDS)
def desk_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A browser module's back-office data, on each backend in turn: a new SQLite file, or a
    new PostgreSQL database of its own (the per-test one is emptied by every other test)."""
    if request.param == "sqlite":
        yield str(tmp_path_factory.mktemp("desk") / "desk.db")
        return
    server: PgServer = request.getfixturevalue("pg_server")
    url = run_apart(server.new_database())
    yield url
    run_apart(server.drop(url))


@pytest.fixture(scope="module")
def desk_server(desk_database: str) -> Iterator[DeskServer]:
    server = DeskServer(desk_database)
    server.start()
    yield server
    server.stop()


# Per module, not per session: Playwright's sync API keeps an event loop running in this
# thread while it is open, which the asyncio tests of later modules could not start under.
@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="it-IT", viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


def axe_violations(page: Page, axe_source: str) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the page as shown now (WCAG 2.1 A/AA)."""
    # evaluate() runs through the DevTools protocol, which the page's CSP does not restrict.
    page.evaluate(axe_source)
    results = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in results["violations"]
        if v["impact"] in BAD_IMPACTS
    ]


def check_page(page: Page, axe_source: str, name: str) -> None:
    """Every page the tests open: no serious accessibility problem, and its screenshot when
    asked for (DESK_SCREENSHOTS=1), at desktop and phone width."""
    assert axe_violations(page, axe_source) == [], name
    if os.environ.get("DESK_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        size = page.viewport_size
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-phone.png"), full_page=True)
        if size is not None:
            page.set_viewport_size(size)
