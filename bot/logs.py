"""Logging set-up. Log lines carry no personal data by construction (we never log message
text, names or ids); as a safety net, every secret we know of and anything shaped like a bot
token is masked before a line is written. The same line repeated without end (asyncio's
"socket.accept() out of system resource" wrote 145 MB in a minute once) is let through a few
times per interval, then counted."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

LIBRARY_FLOORS = {
    "telegram": logging.INFO,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "apscheduler": logging.WARNING,
    "aiosqlite": logging.INFO,
    "asyncio": logging.INFO,
    "uvicorn.access": logging.WARNING,
    # twilio logs every request and response, phone numbers and message bodies included.
    "twilio": logging.WARNING,
    "aiohttp": logging.WARNING,
}
LIBRARIES = frozenset(name.split(".", 1)[0] for name in LIBRARY_FLOORS) | {"uvicorn", "starlette"}
TOKEN_SHAPE = re.compile(r"\d{3,15}:[A-Za-z0-9_-]{20,100}")


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = TOKEN_SHAPE.sub("[token]", message)
        for secret in self._secrets:
            cleaned = cleaned.replace(secret, "[secret]")
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class RepeatFilter(logging.Filter):
    """Lets the same line (same logger, level and message template) through at most `burst`
    times per `interval` seconds; the first one let through after that says how many were
    held back. Keyed by template, not the formatted text, so a flood whose arguments vary
    (addresses, counts) is still one flood."""

    MAX_KEYS = 1000

    def __init__(
        self,
        burst: int = 5,
        interval: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.burst = burst
        self.interval = interval
        self._monotonic = monotonic
        # key -> [start of the current interval, lines let through in it, lines held back]
        self._seen: dict[tuple[str, int, str], list[float]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        now = self._monotonic()
        key = (record.name, record.levelno, str(record.msg))
        window = self._seen.get(key)
        if window is None or now - window[0] >= self.interval:
            held = int(window[2]) if window is not None else 0
            self._remember(key, [now, 1, 0])
            if held:
                note = f"[{held} more like this held back in the last {self.interval:.0f} s]"
                record.msg, record.args = f"{record.getMessage()} {note}", None
            return True
        if window[1] < self.burst:
            window[1] += 1
            return True
        window[2] += 1
        return False

    def _remember(self, key: tuple[str, int, str], window: list[float]) -> None:
        if len(self._seen) >= self.MAX_KEYS and key not in self._seen:
            self._seen.clear()  # crude, but bounded: some counts are lost, never memory
        self._seen[key] = window


class LibraryTracebackFilter(logging.Filter):
    """A library's log line keeps the exception's type and loses its traceback: an outage of
    Telegram or a client flood is one line each time, not forty (and aiohttp's messages
    quote URLs, where the Bot API puts the token). Our own tracebacks stay: they are bugs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.name.split(".", 1)[0] in LIBRARIES:
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()} ({type(error).__name__})"
            record.args, record.exc_info, record.exc_text = None, None, None
        return True


def configure_logging(level: str, secrets: list[str]) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # On the handler, so it sees every record that reaches it: the root's, asyncio's, the
    # libraries'. Repeats are dropped before the redaction does any work on them.
    handler.addFilter(RepeatFilter())
    handler.addFilter(LibraryTracebackFilter())
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    cap_library_loggers(level)


def cap_library_loggers(level: str) -> None:
    """Libraries log what they carry at DEBUG (python-telegram-bot whole updates, with names
    and message text) and httpx logs every request URL at INFO, where the Bot API URL
    contains the token: their level never follows ours below these floors."""
    for name, floor in LIBRARY_FLOORS.items():
        logging.getLogger(name).setLevel(max(floor, logging.getLevelName(level)))
