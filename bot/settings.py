"""Settings: environment variables, an optional .env file, and a TOML file for structure.

Precedence: environment > .env > TOML file > defaults. Every problem found is reported at once,
each with the name of the setting and what to do, so an administrator fixes them in one go.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import phonenumbers
from dotenv import dotenv_values

from bot.agenda import Agenda
from bot.i18n import DEFAULT_LOCALES_DIR, SHIPPED_LANGUAGES
from bot.schedule import BookingConfigError, BookingRules, parse_booking

PROJECT_DIR = Path(__file__).resolve().parents[1]
EXAMPLE_CONFIG = PROJECT_DIR / "config" / "example.toml"
TOKEN_PATTERN = re.compile(r"^\d{3,15}:[A-Za-z0-9_-]{10,100}$")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class SettingsError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Desk:
    """How a person reaches a human at the desk; shown whenever someone asks for one."""

    email: str
    phone: str
    address: str
    hours: str
    dpo_email: str


@dataclass(frozen=True)
class Zoom:
    """Server-to-server OAuth app credentials, for operators whose meeting mode is "api"."""

    account_id: str
    client_id: str
    client_secret: str = field(repr=False)
    api_url: str = "https://api.zoom.us/v2"
    oauth_url: str = "https://zoom.us/oauth/token"


@dataclass(frozen=True)
class Twilio:
    """WhatsApp through Twilio: the account, the sender number, approved templates."""

    account_sid: str
    auth_token: str = field(repr=False)
    whatsapp_number: str = ""  # E.164, e.g. +390583000000
    api_url: str = "https://api.twilio.com"
    # Message kind -> approved Content template SID, for sending outside the 24-hour window.
    templates: dict[str, str] = field(default_factory=dict)
    # Number of options (2 or 3) -> a quick-reply Content template with variables: {{1}} the
    # text, then title and id of each button ({{2}} {{3}}, {{4}} {{5}}, {{6}} {{7}}).
    quick_replies: dict[int, str] = field(default_factory=dict)
    messages_per_second: float = 10.0
    # Messages outside the 24-hour window a day (WhatsApp's limit for new business accounts).
    daily_template_cap: int = 250


@dataclass(frozen=True)
class Settings:
    database: Path
    default_language: str
    desk: Desk
    agenda: Agenda = field(default_factory=lambda: Agenda(BookingRules(), ()))
    zoom: Zoom | None = None
    twilio: Twilio | None = None
    public_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    telegram_webhook_secret: str | None = field(default=None, repr=False)
    telegram_bot_username: str | None = None
    telegram_bot_token: str | None = field(default=None, repr=False)
    telegram_api_url: str = "https://api.telegram.org"
    privacy_notice_dir: Path = PROJECT_DIR / "config" / "privacy"
    locales_dir: Path = DEFAULT_LOCALES_DIR
    resume_after: timedelta = timedelta(hours=6)
    retention_inactive: timedelta = timedelta(days=365)
    log_level: str = "INFO"
    config_file: Path | None = None

    @property
    def has_telegram(self) -> bool:
        return self.telegram_bot_token is not None

    @property
    def webhooks(self) -> bool:
        """With a public URL, platforms call us (webhooks); without, we poll Telegram."""
        return self.public_url is not None


def _environment(environ: Mapping[str, str] | None, dotenv: Path | None) -> dict[str, str]:
    merged: dict[str, str] = {}
    if dotenv is not None and dotenv.is_file():
        merged.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
    merged.update(os.environ if environ is None else environ)
    return {k: v.strip() for k, v in merged.items()}


def _read_toml(path: Path, problems: list[str]) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        problems.append(f"SPORTELLO_CONFIG: the file {path} does not exist.")
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"SPORTELLO_CONFIG: {path} is not valid TOML ({exc}).")
    return {}


def _url(name: str, value: str, problems: list[str]) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        problems.append(f"{name}: '{value}' is not an http(s) URL, e.g. https://api.telegram.org.")
    return value.rstrip("/")


def _positive_number(name: str, value: object, problems: list[str]) -> float:
    try:
        number = float(str(value))
    except ValueError:
        number = -1
    if number <= 0:
        problems.append(f"{name}: '{value}' should be a positive number.")
        return 1
    return number


def load_settings(
    environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")
) -> Settings:
    env = _environment(environ, dotenv)
    problems: list[str] = []
    config_file = Path(env["SPORTELLO_CONFIG"]) if env.get("SPORTELLO_CONFIG") else None
    toml = _read_toml(config_file or EXAMPLE_CONFIG, problems)
    desk_toml = toml.get("desk", {})
    conversation = toml.get("conversation", {})
    privacy = toml.get("privacy", {})

    def pick(env_name: str, table: Mapping[str, Any], key: str, default: str) -> str:
        return env.get(env_name) or str(table.get(key, default))

    token = env.get("TELEGRAM_BOT_TOKEN") or None
    if token is not None and not TOKEN_PATTERN.match(token):
        problems.append(
            "TELEGRAM_BOT_TOKEN: this does not look like a bot token (digits, a colon, then "
            "letters); copy it again from @BotFather."
        )
    language = pick("SPORTELLO_LANGUAGE", conversation, "default_language", "it")
    if language not in SHIPPED_LANGUAGES:
        problems.append(
            f"SPORTELLO_LANGUAGE: '{language}' is not a shipped language; "
            f"use one of {', '.join(SHIPPED_LANGUAGES)}."
        )
    log_level = env.get("SPORTELLO_LOG_LEVEL", "INFO").upper()
    if log_level not in LOG_LEVELS:
        problems.append(f"SPORTELLO_LOG_LEVEL: use one of {', '.join(LOG_LEVELS)}.")
    desk = Desk(
        email=pick("SPORTELLO_DESK_EMAIL", desk_toml, "email", ""),
        phone=pick("SPORTELLO_DESK_PHONE", desk_toml, "phone", ""),
        address=pick("SPORTELLO_DESK_ADDRESS", desk_toml, "address", ""),
        hours=pick("SPORTELLO_DESK_HOURS", desk_toml, "hours", ""),
        dpo_email=pick("SPORTELLO_DPO_EMAIL", desk_toml, "dpo_email", ""),
    )
    if not (desk.email or desk.phone):
        problems.append(
            "SPORTELLO_DESK_EMAIL / SPORTELLO_DESK_PHONE: give at least one, so that a person "
            "who asks for a human knows how to reach the desk ([desk] in the TOML file)."
        )
    # A relative notice folder is read from the TOML file's own folder.
    notice_dir = (config_file or EXAMPLE_CONFIG).parent / privacy.get("notice_dir", "privacy")
    resume_hours = _positive_number(
        "[conversation] resume_after_hours", conversation.get("resume_after_hours", 6), problems
    )
    retention_days = _positive_number(
        "[retention] inactive_days", toml.get("retention", {}).get("inactive_days", 365), problems
    )
    agenda = _agenda(toml, problems)
    zoom = _zoom(env, problems)
    if zoom is None and any(o.meeting == "api" for o in agenda.operators):
        problems.append(
            "ZOOM_ACCOUNT_ID / ZOOM_CLIENT_ID / ZOOM_CLIENT_SECRET: an operator has meeting = "
            '"api", which creates meetings through the Zoom API; set the three credentials of '
            'a server-to-server OAuth app, or use meeting = "room" with a room_url.'
        )
    web = _web(env, token, problems)
    twilio = _twilio(env, toml.get("whatsapp", {}), problems)
    if twilio is not None and web["public_url"] is None:
        problems.append(
            "PUBLIC_URL: WhatsApp needs it, since Twilio delivers messages to a public webhook "
            "(e.g. https://sportello.comune.lucca.it)."
        )
    settings = Settings(
        agenda=agenda,
        zoom=zoom,
        twilio=twilio,
        public_url=web["public_url"],
        host=str(web["host"]),
        port=int(web["port"] or 8080),
        telegram_webhook_secret=web["secret"],
        telegram_bot_username=(env.get("TELEGRAM_BOT_USERNAME") or "").lstrip("@") or None,
        database=Path(env.get("SPORTELLO_DATABASE") or "sportello.db"),
        default_language=language,
        desk=desk,
        telegram_bot_token=token,
        telegram_api_url=_url(
            "TELEGRAM_API_URL", env.get("TELEGRAM_API_URL") or "https://api.telegram.org", problems
        ),
        privacy_notice_dir=notice_dir,
        resume_after=timedelta(hours=resume_hours),
        retention_inactive=timedelta(days=retention_days),
        log_level=log_level,
        config_file=config_file,
    )
    if problems:
        raise SettingsError(problems)
    return settings


def _agenda(toml: Mapping[str, Any], problems: list[str]) -> Agenda:
    try:
        rules, operators = parse_booking(toml.get("booking", {}), toml.get("operator", []))
    except BookingConfigError as exc:
        problems.extend(exc.problems)
        return Agenda(BookingRules(), ())
    return Agenda(rules, operators)


def _zoom(env: Mapping[str, str], problems: list[str]) -> Zoom | None:
    names = ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET")
    given = [env.get(name) for name in names]
    if not any(given):
        return None
    if not all(given):
        missing = [n for n, v in zip(names, given, strict=True) if not v]
        problems.append(f"{', '.join(missing)}: the Zoom credentials come as a set of three.")
        return None
    account_id, client_id, secret = (v or "" for v in given)
    return Zoom(
        account_id=account_id,
        client_id=client_id,
        client_secret=secret,
        api_url=_url("ZOOM_API_URL", env.get("ZOOM_API_URL") or "https://api.zoom.us/v2", problems),
        oauth_url=_url(
            "ZOOM_OAUTH_URL", env.get("ZOOM_OAUTH_URL") or "https://zoom.us/oauth/token", problems
        ),
    )


WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{16,256}$")


def _web(env: Mapping[str, str], token: str | None, problems: list[str]) -> dict[str, Any]:
    public_url = env.get("PUBLIC_URL") or None
    if public_url is not None:
        public_url = _url("PUBLIC_URL", public_url, problems)
    port_text = env.get("SPORTELLO_PORT", "8080")
    port = int(port_text) if port_text.isdigit() and 0 < int(port_text) < 65536 else None
    if port is None:
        problems.append(f"SPORTELLO_PORT: '{port_text}' is not a port number (1-65535).")
    secret = env.get("TELEGRAM_WEBHOOK_SECRET") or None
    if public_url and token and secret is None:
        problems.append(
            "TELEGRAM_WEBHOOK_SECRET: with PUBLIC_URL set, Telegram delivers updates to a "
            "webhook, which needs a secret token so that nobody else can post to it: 16 to 256 "
            "characters among A-Z, a-z, 0-9, _ and -."
        )
    elif secret is not None and not WEBHOOK_SECRET.match(secret):
        problems.append(
            "TELEGRAM_WEBHOOK_SECRET: use 16 to 256 characters among A-Z, a-z, 0-9, _ and -."
        )
    return {
        "public_url": public_url,
        "host": env.get("SPORTELLO_HOST") or "127.0.0.1",
        "port": port,
        "secret": secret,
    }


def _twilio(env: Mapping[str, str], table: Mapping[str, Any], problems: list[str]) -> Twilio | None:
    names = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_WHATSAPP_NUMBER")
    given = [env.get(name) for name in names]
    if not any(given):
        return None
    if not all(given):
        missing = [n for n, v in zip(names, given, strict=True) if not v]
        problems.append(f"{', '.join(missing)}: WhatsApp needs all three Twilio settings.")
        return None
    sid, auth_token, number = (v or "" for v in given)
    e164 = e164_number(number)
    if e164 is None:
        problems.append(
            f"TWILIO_WHATSAPP_NUMBER: '{number}' is not a valid phone number; write it in "
            "international form, e.g. +390583000000."
        )
    templates = table.get("templates", {})
    if not isinstance(templates, dict) or not all(
        isinstance(v, str) and v.startswith("HX") for v in templates.values()
    ):
        problems.append(
            "[whatsapp.templates]: each entry maps a message kind to an approved Content "
            'template SID starting with "HX", e.g. reminder = "HX...".'
        )
        templates = {}
    rate = _positive_number(
        "[whatsapp] messages_per_second", table.get("messages_per_second", 10), problems
    )
    quick = table.get("quick_replies", {})
    if not isinstance(quick, dict) or not all(
        str(k) in ("2", "3") and isinstance(v, str) and v.startswith("HX") for k, v in quick.items()
    ):
        problems.append(
            '[whatsapp.quick_replies]: map "2" and/or "3" (options shown as buttons) to a '
            'quick-reply Content template SID starting with "HX".'
        )
        quick = {}
    return Twilio(
        account_sid=sid,
        auth_token=auth_token,
        whatsapp_number=e164 or number,
        api_url=_url(
            "TWILIO_API_URL", env.get("TWILIO_API_URL") or "https://api.twilio.com", problems
        ),
        templates={str(k): str(v) for k, v in templates.items()},
        quick_replies={int(k): str(v) for k, v in quick.items()},
        messages_per_second=rate,
        daily_template_cap=int(
            _positive_number(
                "[whatsapp] daily_template_cap", table.get("daily_template_cap", 250), problems
            )
        ),
    )


def e164_number(text: str) -> str | None:
    """'+39 0583 000000' or 'whatsapp:+390583000000' -> '+390583000000'; None if invalid."""
    try:
        parsed = phonenumbers.parse(text.removeprefix("whatsapp:").strip(), None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
