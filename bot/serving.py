"""What keeps `sportello run` serving under a crowd: the descriptor limit, bounded and
timed-out web connections, and a stop on SIGTERM that happens even when the event loop is
stuck.

The incident behind this module: a burst of connections used up every file descriptor, a
library then failed to open a file under a lock it never released, the event loop blocked
on that lock, and neither /healthz nor SIGTERM was ever served again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import select
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

# The soft limit is raised to the hard one, but not past this (macOS reports "unlimited").
DESCRIPTOR_CEILING = 65536
# Descriptors kept for everything but inbound connections: the database and its WAL, the
# Telegram, Twilio and Zoom connection pools, the event loop's own.
RESERVED_DESCRIPTORS = 32
MAX_CONNECTIONS = 1000
# A client has this long to send a whole request (headers and body) once connected, or once
# its previous request was answered.
REQUEST_SECONDS = 10
KEEP_ALIVE_SECONDS = 5
MAX_HEADER_BYTES = 16 * 1024
GRACEFUL_SECONDS = 5
# After SIGTERM, the process is gone within this long, whatever state its event loop is in.
STOP_DEADLINE_SECONDS = 15.0


def raise_descriptor_limit() -> int:
    """Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = DESCRIPTOR_CEILING if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError) as exc:
            log.warning("could not raise the file descriptor limit: %s", type(exc).__name__)
    return DESCRIPTOR_CEILING if soft == resource.RLIM_INFINITY else int(soft)


@dataclass(frozen=True)
class WebLimits:
    """How many connections the web server holds at once, and its listen queue."""

    connections: int
    backlog: int

    @classmethod
    def for_descriptors(cls, descriptors: int) -> WebLimits:
        # Half of what is left after the reserve, so that a crowd of clients can never take
        # the descriptors the bot needs to answer them. The backlog is also how many
        # connections asyncio accepts in one go before any can be refused: kept small.
        connections = max(4, min(MAX_CONNECTIONS, (descriptors - RESERVED_DESCRIPTORS) // 2))
        return cls(connections=connections, backlog=max(4, connections // 4))


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with two limits it lacks: a connection over the limit is closed
    at once (freeing its descriptor, not holding it to answer 503 someday), and a client that
    does not send a whole request within REQUEST_SECONDS is disconnected (uvicorn's keep-alive
    timer stops at the first byte, so a slow or silent client would hold its descriptor for
    ever)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._watch: asyncio.TimerHandle | None = None
        self._seen: tuple[object, int] = (None, 0)
        self._answered = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        crowded = self.limit_concurrency is not None and (
            len(self.connections) >= self.limit_concurrency
        )
        super().connection_made(transport)
        if crowded:
            log.warning("refused a connection: %d are open already", self.limit_concurrency)
            transport.abort()
            return
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        self._answered += 1
        super().on_response_complete()

    def _arm(self) -> None:
        self._seen = (self.cycle, self._answered)
        self._watch = self.loop.call_later(REQUEST_SECONDS, self._check)

    def _check(self) -> None:
        self._watch = None
        if self.transport.is_closing():
            return
        moved_on = (self.cycle, self._answered) != self._seen
        if moved_on or self.conn.their_state is h11.DONE:  # the app is on it, not the client
            self._arm()
            return
        log.warning("closed a connection that sent no whole request in %d s", REQUEST_SECONDS)
        self.transport.abort()


def uvicorn_config(app: Any, host: str, port: int, limits: WebLimits) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=GuardedH11Protocol,
        ws="none",
        lifespan="off",
        log_config=None,
        access_log=False,
        limit_concurrency=limits.connections,
        backlog=limits.backlog,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
    )


class StopSignals:
    """SIGINT and SIGTERM, noticed by a thread rather than by the event loop.

    The loop is asked to stop gracefully (`on_stop`, called in the loop); if the process is
    still there `deadline` seconds later (the loop is stuck, or shutting down takes too
    long), it exits at once, and so it does on a second signal. The C-level signal handler
    writes to a pipe that the thread reads, so this works even while the loop's thread is
    blocked.
    """

    FINISHED = b"\0"

    def __init__(
        self,
        on_stop: Callable[[], None],
        *,
        deadline: float = STOP_DEADLINE_SECONDS,
        exit_now: Callable[[int], None] = os._exit,
    ) -> None:
        self._on_stop = on_stop
        self._deadline = deadline
        self._exit_now = exit_now
        self.requested = threading.Event()

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        read, write = os.pipe()
        os.set_blocking(write, False)
        previous = {sig: signal.signal(sig, _ignore) for sig in (signal.SIGINT, signal.SIGTERM)}
        old_wakeup = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
        watcher = threading.Thread(
            target=self._watch, args=(read, loop), name="stop-signals", daemon=True
        )
        watcher.start()
        try:
            yield
        finally:
            signal.set_wakeup_fd(old_wakeup)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            os.write(write, self.FINISHED)
            watcher.join()
            os.close(read)
            os.close(write)

    def _watch(self, read: int, loop: asyncio.AbstractEventLoop) -> None:
        if os.read(read, 1) == self.FINISHED:
            return
        self.requested.set()
        with contextlib.suppress(RuntimeError):  # the loop already closed: nothing to ask
            loop.call_soon_threadsafe(self._on_stop)
        ready, _, _ = select.select([read], [], [], self._deadline)
        if ready and os.read(read, 1) == self.FINISHED:
            return
        what = "a second signal" if ready else f"not stopped {self._deadline:.0f} s after it"
        os.write(2, f"sportello: stop requested, {what}: exiting now\n".encode())
        self._exit_now(1)


def _ignore(signum: int, frame: FrameType | None) -> None:
    """The Python-level handler: the work is done by the thread that reads the wakeup pipe."""
