"""Loading the settings: environment variables, an optional .env file, and a TOML file for
structure, into bot.settings.Settings.

Precedence: environment > .env > TOML file > defaults. pydantic-settings reads the environment
and the .env file, pydantic checks the form of each value; the pairs and triples that only make
sense together are checked here. Every problem found is reported at once, each with the name of
the setting and what to do, so an administrator fixes them in one go.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.agenda import Agenda
from bot.hours import BookingConfigError, parse_booking
from bot.setting_values import (
    BotToken,
    ContentSid,
    DatabaseTarget,
    HostName,
    Language,
    LogLevel,
    MailAddress,
    PoolSize,
    Port,
    Positive,
    PublicUrl,
    TemplateSids,
    Url,
    WebhookSecret,
    WhatsAppNumber,
    database_name,
    is_postgresql,
)
from bot.settings import PROJECT_DIR, Desk, Settings, SettingsError, Smtp, Twilio, Zoom
from bot.slots import BookingRules, Operator

EXAMPLE_CONFIG = PROJECT_DIR / "config" / "example.toml"
# The reserved example domains (RFC 2606) of config/example.toml: nobody reads mail there.
DEMO_DOMAINS = ("example.org", "example.com", "example.net")


# --- the environment and .env ------------------------------------------------------------------


class Environment(BaseSettings):
    """Every variable the bot reads, under its own name; an empty one counts as not set."""

    model_config = SettingsConfigDict(
        case_sensitive=True, extra="ignore", env_ignore_empty=True, str_strip_whitespace=True
    )

    SPORTELLO_CONFIG: Path | None = None
    # A file's path (or sqlite:///path), or postgresql://user:password@host:port/database.
    SPORTELLO_DATABASE: DatabaseTarget = "sportello.db"
    SPORTELLO_DATABASE_POOL: PoolSize = 10
    SPORTELLO_LANGUAGE: Language | None = None
    SPORTELLO_LOG_LEVEL: LogLevel = "INFO"
    SPORTELLO_DESK_EMAIL: str | None = None
    SPORTELLO_DESK_PHONE: str | None = None
    SPORTELLO_DESK_ADDRESS: str | None = None
    SPORTELLO_DESK_HOURS: str | None = None
    SPORTELLO_DPO_EMAIL: str | None = None
    SPORTELLO_HOST: str = "127.0.0.1"
    SPORTELLO_PORT: Port = 8080
    PUBLIC_URL: PublicUrl | None = None
    TELEGRAM_BOT_TOKEN: BotToken | None = None
    TELEGRAM_BOT_USERNAME: str | None = None
    TELEGRAM_WEBHOOK_SECRET: WebhookSecret | None = None
    TELEGRAM_API_URL: Url = "https://api.telegram.org"
    ZOOM_ACCOUNT_ID: str | None = None
    ZOOM_CLIENT_ID: str | None = None
    ZOOM_CLIENT_SECRET: str | None = None
    ZOOM_API_URL: Url = "https://api.zoom.us/v2"
    ZOOM_OAUTH_URL: Url = "https://zoom.us/oauth/token"
    TWILIO_ACCOUNT_SID: str | None = None
    TWILIO_AUTH_TOKEN: str | None = None
    TWILIO_WHATSAPP_NUMBER: WhatsAppNumber | None = None
    TWILIO_API_URL: Url = "https://api.twilio.com"
    SMTP_HOST: HostName | None = None
    SMTP_PORT: Port = 587
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_FROM: MailAddress | None = None
    SMTP_STARTTLS: bool = True
    reads_process_environment: ClassVar[bool] = True

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Values passed in come first: a caller's own environment, or defaults replacing bad
        # values once those are reported (see _read_environment).
        if cls.reads_process_environment:
            return init_settings, env_settings, dotenv_settings
        return init_settings, dotenv_settings


class _HandedEnvironment(Environment):
    """A caller's own environment (the tests') in place of the process's, over the .env file."""

    reads_process_environment: ClassVar[bool] = False


# --- the TOML file (its [booking] and [[operator]] are bot/hours.py's) -------------------------


class _DeskTable(BaseModel):
    email: str = ""
    phone: str = ""
    address: str = ""
    hours: str = ""
    dpo_email: str = ""
    hours_in: dict[Language, str] = {}


class _ConversationTable(BaseModel):
    default_language: Language = "it"
    resume_after_hours: Positive = 6


class _WhatsAppTable(BaseModel):
    messages_per_second: Positive = 10
    daily_template_cap: Positive = 250
    # kind = "HX..." (the Italian template) or [whatsapp.templates.<kind>] it = "HX...", ...
    templates: dict[str, TemplateSids] = {}
    # Keyed by how many options the buttons show.
    quick_replies: dict[Literal["2", "3"], ContentSid] = {}


class _ConfigFile(BaseModel):
    desk: _DeskTable = _DeskTable()
    conversation: _ConversationTable = _ConversationTable()
    privacy: dict[str, str] = {}
    whatsapp: _WhatsAppTable = _WhatsAppTable()
    retention: dict[Literal["inactive_days"], Positive] = {}
    booking: dict[str, Any] = {}
    operator: list[Any] = []


def _toml_place(loc: tuple[int | str, ...]) -> str:
    """('whatsapp', 'templates', 'reminder') -> '[whatsapp.templates] reminder'."""
    words = [str(part) for part in loc if part != "[key]"]
    if len(words) == 1:
        return f"[{words[0]}]"
    return f"[{'.'.join(words[:-1])}] {words[-1]}"


def _messages(error: ValidationError, place: Any) -> list[str]:
    found = []
    for item in error.errors():
        cause = item.get("ctx", {}).get("error")
        advice = str(cause) if isinstance(cause, ValueError) else item["msg"]
        found.append(f"{place(item['loc'])}: {advice}")
    return found


def _read_environment(
    environ: Mapping[str, str] | None, dotenv: Path | None, problems: list[str]
) -> tuple[Environment, set[str]]:
    """The variables read, and the names of those given with a bad value (already reported)."""
    reader = Environment if environ is None else _HandedEnvironment
    given: dict[str, Any] = {k: v.strip() for k, v in (environ or {}).items() if v.strip()}
    env_file = dotenv if dotenv is not None and dotenv.is_file() else None
    try:
        return reader(_env_file=env_file, **given), set()  # type: ignore[call-arg]
    except ValidationError as exc:
        problems.extend(_messages(exc, lambda loc: loc[0]))
        bad = {str(item["loc"][0]) for item in exc.errors()}
    # Defaults in place of the bad values, so that the other settings are still checked.
    defaults = {name: Environment.model_fields[name].default for name in bad}
    return reader(_env_file=env_file, **{**given, **defaults}), bad  # type: ignore[call-arg]


def _read_toml(path: Path, problems: list[str]) -> _ConfigFile:
    try:
        with path.open("rb") as handle:
            return _ConfigFile.model_validate(tomllib.load(handle))
    except FileNotFoundError:
        problems.append(f"SPORTELLO_CONFIG: the file {path} does not exist.")
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"SPORTELLO_CONFIG: {path} is not valid TOML ({exc}).")
    except ValidationError as exc:
        problems.extend(_messages(exc, _toml_place))
    return _ConfigFile()


# --- the whole ---------------------------------------------------------------------------------


def load_settings(
    environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")
) -> Settings:
    problems: list[str] = []
    env, bad = _read_environment(environ, dotenv, problems)
    toml_path = env.SPORTELLO_CONFIG or EXAMPLE_CONFIG
    toml = _read_toml(toml_path, problems)

    def given(name: str) -> bool:
        return name in bad or getattr(env, name) is not None

    agenda = _agenda(toml, problems)
    problems += _companions(given, any(o.meeting == "api" for o in agenda.operators))
    problems += _smtp_companions(given, agenda.operators)
    desk = _desk(env, toml.desk, problems)
    settings = Settings(
        agenda=agenda,
        zoom=_zoom(env) if given("ZOOM_ACCOUNT_ID") else None,
        twilio=_twilio(env, toml.whatsapp) if given("TWILIO_ACCOUNT_SID") else None,
        smtp=_smtp(env) if given("SMTP_HOST") else None,
        public_url=env.PUBLIC_URL,
        host=env.SPORTELLO_HOST,
        port=env.SPORTELLO_PORT,
        telegram_webhook_secret=env.TELEGRAM_WEBHOOK_SECRET,
        telegram_bot_username=(env.TELEGRAM_BOT_USERNAME or "").lstrip("@") or None,
        database=database_name(env.SPORTELLO_DATABASE),
        database_url=env.SPORTELLO_DATABASE if is_postgresql(env.SPORTELLO_DATABASE) else None,
        database_pool=env.SPORTELLO_DATABASE_POOL,
        default_language=env.SPORTELLO_LANGUAGE or toml.conversation.default_language,
        desk=desk,
        telegram_bot_token=env.TELEGRAM_BOT_TOKEN,
        telegram_api_url=env.TELEGRAM_API_URL,
        # A relative notice folder is read from the TOML file's own folder.
        privacy_notice_dir=toml_path.parent / toml.privacy.get("notice_dir", "privacy"),
        resume_after=timedelta(hours=toml.conversation.resume_after_hours),
        retention_inactive=timedelta(days=toml.retention.get("inactive_days", 365)),
        log_level=env.SPORTELLO_LOG_LEVEL,
        config_file=env.SPORTELLO_CONFIG,
        warnings=_demo_contacts(desk),
    )
    if problems:
        raise SettingsError(problems)
    return settings


def _agenda(toml: _ConfigFile, problems: list[str]) -> Agenda:
    try:
        rules, operators = parse_booking(toml.booking, toml.operator)
    except BookingConfigError as exc:
        problems.extend(exc.problems)
        return Agenda(BookingRules(), ())
    return Agenda(rules, operators)


ZOOM_NAMES = ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET")
TWILIO_NAMES = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_WHATSAPP_NUMBER")


def _companions(given: Any, api_meetings: bool) -> list[str]:
    """Settings that only work together: what is missing, given what is there."""
    found = []
    zoom = [name for name in ZOOM_NAMES if not given(name)]
    if 0 < len(zoom) < 3:
        found.append(f"{', '.join(zoom)}: the Zoom credentials come as a set of three.")
    elif zoom and api_meetings:
        found.append(
            f"{' / '.join(ZOOM_NAMES)}: an operator has meeting = "
            '"api", which creates meetings through the Zoom API; set the three credentials of '
            'a server-to-server OAuth app, or use meeting = "room" with a room_url.'
        )
    twilio = [name for name in TWILIO_NAMES if not given(name)]
    if 0 < len(twilio) < 3:
        found.append(f"{', '.join(twilio)}: WhatsApp needs all three Twilio settings.")
    elif not twilio and not given("PUBLIC_URL"):
        found.append(
            "PUBLIC_URL: WhatsApp needs it, since Twilio delivers messages to a public webhook "
            "(e.g. https://sportello.comune.lucca.it)."
        )
    webhook = given("PUBLIC_URL") and given("TELEGRAM_BOT_TOKEN")
    if webhook and not given("TELEGRAM_WEBHOOK_SECRET"):
        found.append(
            "TELEGRAM_WEBHOOK_SECRET: with PUBLIC_URL set, Telegram delivers updates to a "
            "webhook, which needs a secret token so that nobody else can post to it: 16 to 256 "
            "characters among A-Z, a-z, 0-9, _ and -."
        )
    return found


def _desk(env: Environment, table: _DeskTable, problems: list[str]) -> Desk:
    desk = Desk(
        email=env.SPORTELLO_DESK_EMAIL or table.email,
        phone=env.SPORTELLO_DESK_PHONE or table.phone,
        address=env.SPORTELLO_DESK_ADDRESS or table.address,
        hours=env.SPORTELLO_DESK_HOURS or table.hours,
        dpo_email=env.SPORTELLO_DPO_EMAIL or table.dpo_email,
        # Hours set in the environment are one text for everyone.
        hours_in={} if env.SPORTELLO_DESK_HOURS else dict(table.hours_in),
    )
    if not (desk.email or desk.phone):
        problems.append(
            "SPORTELLO_DESK_EMAIL / SPORTELLO_DESK_PHONE: give at least one, so that a person "
            "who asks for a human knows how to reach the desk ([desk] in the TOML file)."
        )
    return desk


def _demo_contacts(desk: Desk) -> tuple[str, ...]:
    demo = [
        (name, address)
        for name, address in (
            ("SPORTELLO_DESK_EMAIL", desk.email),
            ("SPORTELLO_DPO_EMAIL", desk.dpo_email),
        )
        if address.rpartition("@")[2].lower() in DEMO_DOMAINS
    ]
    return tuple(
        f"{name}: '{address}' is the demo address of config/example.toml; people who ask for "
        "a human would write to nobody. Set the desk's real address ([desk] in the TOML file)."
        for name, address in demo
    )


def _zoom(env: Environment) -> Zoom:
    return Zoom(
        account_id=env.ZOOM_ACCOUNT_ID or "",
        client_id=env.ZOOM_CLIENT_ID or "",
        client_secret=env.ZOOM_CLIENT_SECRET or "",
        api_url=env.ZOOM_API_URL,
        oauth_url=env.ZOOM_OAUTH_URL,
    )


def _smtp(env: Environment) -> Smtp:
    return Smtp(
        host=env.SMTP_HOST or "",
        sender=env.SMTP_FROM or "",
        port=env.SMTP_PORT,
        user=env.SMTP_USER,
        password=env.SMTP_PASSWORD,
        starttls=env.SMTP_STARTTLS,
    )


def _smtp_companions(given: Any, operators: Sequence[Operator]) -> list[str]:
    found = []
    if given("SMTP_HOST") and not given("SMTP_FROM"):
        found.append("SMTP_FROM: give the address the e-mails come from, with SMTP_HOST.")
    if given("SMTP_USER") != given("SMTP_PASSWORD"):
        found.append("SMTP_USER / SMTP_PASSWORD: the SMTP login comes as a pair.")
    if not given("SMTP_HOST") and any(o.digest != "telegram" for o in operators):
        found.append(
            "SMTP_HOST: an operator has digest = 'email' or 'both'; set SMTP_HOST and "
            "SMTP_FROM so that the e-mails can go out."
        )
    return found


def _twilio(env: Environment, table: _WhatsAppTable) -> Twilio:
    return Twilio(
        account_sid=env.TWILIO_ACCOUNT_SID or "",
        auth_token=env.TWILIO_AUTH_TOKEN or "",
        whatsapp_number=env.TWILIO_WHATSAPP_NUMBER or "",
        api_url=env.TWILIO_API_URL,
        templates={kind: dict(sids) for kind, sids in table.templates.items()},
        quick_replies={int(k): v for k, v in table.quick_replies.items()},
        messages_per_second=table.messages_per_second,
        daily_template_cap=int(table.daily_template_cap),
    )
