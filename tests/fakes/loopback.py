"""Serve an ASGI app over real HTTP on loopback, inside the test's running event loop.

The fakes in this package (``telegram_api.FakeTelegram``, ``zoom_api.FakeZoom``) use
:class:`LoopbackServer` so clients under test talk to them through their real HTTP stack::

    server = LoopbackServer(app, name="FakeZoom")
    await server.start()
    ...  # point the client at server.url
    await server.stop()

Details that matter, and why they are here rather than in each fake:

* The socket is bound by :meth:`LoopbackServer.start` itself, with an explicit
  ``IPPROTO_TCP``: asyncio only sets TCP_NODELAY on accepted sockets whose proto is
  ``IPPROTO_TCP`` (proto 0 does not count), and without it Nagle + delayed ACK add ~40 ms to
  every response. Binding here also means a bind failure raises in the caller instead of
  uvicorn calling ``sys.exit`` from a background task.
* uvicorn's own signal handling is disabled, so Ctrl+C still reaches pytest.
* uvicorn's main loop polls ``should_exit`` every 0.1 s, which every test would pay at
  teardown; here it waits on an event that :meth:`LoopbackServer.stop` sets.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from typing import Final

import uvicorn
from starlette.types import ASGIApp

HOST: Final = "127.0.0.1"
STARTUP_TIMEOUT: Final = 10.0
"""Seconds :meth:`LoopbackServer.start` waits for uvicorn before giving up."""

_STARTUP_POLL: Final = 0.005


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling (Ctrl+C) to the test runner and stops as
    soon as it is told to."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.exit_now = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The stock server replaces the SIGINT/SIGTERM handlers while it runs, which would
        # swallow Ctrl+C in pytest.
        yield

    async def main_loop(self) -> None:
        # The stock loop polls should_exit every 0.1 s. One tick still sets the default
        # headers (Date is then fixed at startup); a fake has no other periodic work.
        await self.on_tick(0)
        await self.exit_now.wait()

    def request_exit(self) -> None:
        self.should_exit = True
        self.exit_now.set()


class LoopbackServer:
    """Serves an ASGI app on 127.0.0.1 with an OS-assigned port, inside the running loop.

    Not thread-safe; create, start and stop it from the test's event loop. It may be started
    again after :meth:`stop` (on a new port). :attr:`port` and :attr:`url` keep naming the last
    port after :meth:`stop`, so a test can point a client at a server that is now down.
    """

    def __init__(self, app: ASGIApp, *, name: str) -> None:
        """``name`` labels the serving task and error messages (e.g. ``"FakeZoom"``)."""
        self._app = app
        self._name = name
        self._server: _QuietServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._port: int | None = None

    async def start(self) -> None:
        """Bind a loopback port and serve until :meth:`stop`.

        Returns once uvicorn accepts connections. Raises ``RuntimeError`` if already running,
        if the socket cannot be bound, or if uvicorn stops or does not start within
        :data:`STARTUP_TIMEOUT` seconds; nothing is left running in that case.
        """
        if self._task is not None:
            raise RuntimeError(f"{self._name} is already running")
        sock = _bind_loopback(self._name)
        server = _QuietServer(
            uvicorn.Config(
                self._app,
                log_config=None,
                log_level="warning",
                access_log=False,
                lifespan="off",
                http="h11",
                ws="none",
                timeout_graceful_shutdown=5,
            )
        )
        task = asyncio.create_task(server.serve(sockets=[sock]), name=self._name)
        try:
            await self._wait_started(server, task)
        except BaseException:
            # Also on cancellation: never leave a half-started server or an open socket behind.
            server.request_exit()
            if not server.started:
                task.cancel()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await task
            sock.close()
            raise
        self._server, self._task = server, task
        self._port = int(server.servers[0].sockets[0].getsockname()[1])

    async def _wait_started(self, server: _QuietServer, task: asyncio.Task[None]) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STARTUP_TIMEOUT
        while not server.started:
            if task.done():
                error = None if task.cancelled() else task.exception()
                raise RuntimeError(
                    f"{self._name}: uvicorn stopped before it started serving"
                ) from error
            if loop.time() > deadline:
                raise RuntimeError(f"{self._name}: uvicorn did not start within {STARTUP_TIMEOUT}s")
            await asyncio.sleep(_STARTUP_POLL)

    async def stop(self) -> None:
        """Stop serving and wait until uvicorn has shut down; does nothing if not running.

        Connections still open get up to 5 s to finish their response, so release anything
        that keeps a request waiting (long polls, stalls) before calling this. An error the
        serving task ended with is raised here.
        """
        server, task = self._server, self._task
        if server is None or task is None:
            return
        server.request_exit()
        try:
            await task
        finally:
            self._server = None
            self._task = None

    @property
    def running(self) -> bool:
        """True from a successful :meth:`start` until :meth:`stop`."""
        return self._task is not None

    @property
    def port(self) -> int:
        """The port the server listens (or last listened) on."""
        if self._port is None:
            raise RuntimeError(f"{self._name} has not been started")
        return self._port

    @property
    def url(self) -> str:
        """Root URL of the server, e.g. ``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://{HOST}:{self.port}"


def _bind_loopback(name: str) -> socket.socket:
    """A TCP socket bound to an OS-assigned loopback port; see the module docstring for why
    the proto is explicit."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.bind((HOST, 0))
    except OSError as error:
        sock.close()
        raise RuntimeError(f"{name}: cannot bind a port on {HOST}: {error}") from error
    return sock
