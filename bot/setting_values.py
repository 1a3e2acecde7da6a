"""The form of single settings: each check returns the value as used, or raises ValueError
with the advice shown after the setting's name (bot/settings.py puts the two together).
"""

from __future__ import annotations

import re
from ipaddress import ip_address
from pathlib import Path
from typing import Annotated
from urllib.parse import urlparse

from pydantic import AfterValidator, BeforeValidator

from bot.channels import TEMPLATE_FALLBACK
from bot.i18n import SHIPPED_LANGUAGES
from bot.phone import e164_number

TOKEN_PATTERN = re.compile(r"^\d{3,15}:[A-Za-z0-9_-]{10,100}$")
WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{16,256}$")
# What Twilio's Content API accepts as a ContentSid; anything else is answered with a 422.
CONTENT_SID = re.compile(r"^HX[0-9a-f]{32}$")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
HOST_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
# Enough to catch a typo or a name in the wrong field; the SMTP server has the last word.
MAIL_ADDRESS = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def _url(value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"'{value}' is not an http(s) URL, e.g. https://api.telegram.org.")
    return value.rstrip("/")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def _public_url(value: str) -> str:
    url = _url(value)
    parsed = urlparse(url)
    # Telegram and Twilio only deliver webhooks over https; plain http stays possible on this
    # machine's own address, for tests and trials that play both sides.
    if parsed.scheme != "https" and not _loopback(parsed.hostname or ""):
        raise ValueError(
            f"'{value}' must start with https://, since Telegram and Twilio deliver webhooks "
            "only over https; plain http is accepted only for localhost or 127.0.0.1 (local "
            "trials)."
        )
    return url


def _token(value: str) -> str:
    if not TOKEN_PATTERN.match(value):
        raise ValueError(
            "this does not look like a bot token (digits, a colon, then letters); copy it again "
            "from @BotFather."
        )
    return value


def _webhook_secret(value: str) -> str:
    if not WEBHOOK_SECRET.match(value):
        raise ValueError("use 16 to 256 characters among A-Z, a-z, 0-9, _ and -.")
    return value


def _language(value: str) -> str:
    if value not in SHIPPED_LANGUAGES:
        raise ValueError(
            f"'{value}' is not a shipped language; use one of {', '.join(SHIPPED_LANGUAGES)}."
        )
    return value


def _log_level(value: str) -> str:
    if value.upper() not in LOG_LEVELS:
        raise ValueError(f"use one of {', '.join(LOG_LEVELS)}.")
    return value.upper()


def _port(value: object) -> int:
    text = str(value).strip()
    if not (text.isdigit() and 0 < int(text) < 65536):
        raise ValueError(f"'{value}' is not a port number (1-65535).")
    return int(text)


def _whatsapp_number(value: str) -> str:
    number = e164_number(value)
    if number is None:
        raise ValueError(
            f"'{value}' is not a valid phone number; write it in international form, "
            "e.g. +390583000000."
        )
    return number


def _positive(value: object) -> float:
    try:
        number = float(str(value))
    except ValueError:
        number = -1
    if number <= 0 or isinstance(value, bool):
        raise ValueError(f"'{value}' should be a positive number.")
    return number


def _content_sid(value: object) -> str:
    if not (isinstance(value, str) and CONTENT_SID.match(value)):
        raise ValueError(
            f"'{value}' is not a Content template SID: \"HX\" followed by 32 hex digits "
            "(0-9, a-f), as Twilio's Content Template Builder shows it."
        )
    return value


def _host(value: str) -> str:
    if not HOST_NAME.match(value):
        raise ValueError(f"'{value}' is not a host name, e.g. smtp.comune.lucca.it.")
    return value


def _mail_address(value: str) -> str:
    if not MAIL_ADDRESS.match(value):
        raise ValueError(
            f"'{value}' is not an e-mail address, e.g. sportello.lavoro@comune.lucca.it."
        )
    return value


POSTGRESQL_SCHEMES = ("postgresql://", "postgres://")
SQLITE_SCHEME = "sqlite:///"
_PG_LIKE = ("postgresql:", "postgres:")


def is_postgresql(target: str) -> bool:
    return target.startswith(POSTGRESQL_SCHEMES)


def sqlite_path(target: str) -> Path:
    """The file a SQLite setting names (`sqlite:///relative` or `sqlite:////absolute`)."""
    return (
        Path(target.removeprefix(SQLITE_SCHEME))
        if target.startswith(SQLITE_SCHEME)
        else Path(target)
    )


def database_name(target: str) -> Path:
    """The SQLite file, or for PostgreSQL the URL without its password (for messages)."""
    if is_postgresql(target):
        return Path(re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", target))
    return sqlite_path(target)


def _pool_size(value: object) -> int:
    try:
        size = int(str(value))
    except ValueError:
        size = 0
    if not 2 <= size <= 200:
        raise ValueError(f"'{value}' is not a number of connections from 2 to 200, e.g. 10.")
    return size


def _database(value: str) -> str:
    """A path, sqlite:///path, or a postgresql:// URL naming a host and a database."""
    if is_postgresql(value):
        parsed = urlparse(value)
        if not parsed.path.strip("/"):
            raise ValueError(
                "the PostgreSQL URL names no database: "
                "postgresql://user:password@host:5432/sportello"
            )
    elif ("://" in value and not value.startswith("sqlite:///")) or value.startswith(_PG_LIKE):
        # "postgresql:/host/db" (a slash lost, by hand or by Path()) is not a file's name: as
        # one it made folders called "postgresql:" and a SQLite file in them.
        raise ValueError(
            "give a file's path (sportello.db or sqlite:///sportello.db) or a "
            "postgresql://user:password@host:5432/database URL"
        )
    return value


Url = Annotated[str, AfterValidator(_url)]
PoolSize = Annotated[int, BeforeValidator(_pool_size)]
DatabaseTarget = Annotated[str, AfterValidator(_database)]
HostName = Annotated[str, AfterValidator(_host)]
MailAddress = Annotated[str, AfterValidator(_mail_address)]
Language = Annotated[str, AfterValidator(_language)]
Positive = Annotated[float, BeforeValidator(_positive)]
ContentSid = Annotated[str, BeforeValidator(_content_sid)]


def _template_sids(value: object) -> object:
    """`reminder = "HX..."` is the Italian template; a table gives one per language."""
    return {TEMPLATE_FALLBACK: _content_sid(value)} if isinstance(value, str) else value


TemplateSids = Annotated[dict[Language, ContentSid], BeforeValidator(_template_sids)]
PublicUrl = Annotated[str, AfterValidator(_public_url)]
BotToken = Annotated[str, AfterValidator(_token)]
WebhookSecret = Annotated[str, AfterValidator(_webhook_secret)]
LogLevel = Annotated[str, AfterValidator(_log_level)]
Port = Annotated[int, BeforeValidator(_port)]
WhatsAppNumber = Annotated[str, AfterValidator(_whatsapp_number)]
