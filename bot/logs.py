"""Logging set-up. Log lines carry no personal data by construction (we never log message
text, names or ids); as a safety net, every secret we know of and anything shaped like a bot
token is masked before a line is written."""

from __future__ import annotations

import logging
import re

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


def configure_logging(level: str, secrets: list[str]) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
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
