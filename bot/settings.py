"""Settings: what the bot runs with, as frozen dataclasses (the desk, Zoom, SMTP, Twilio,
and `Settings` holding them), and `SettingsError`. bot.settings_loading reads them from the
environment, an optional .env file and the TOML file; bot.setting_values checks each value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot.agenda import Agenda
from bot.i18n import DEFAULT_LOCALES_DIR
from bot.slots import BookingRules

PROJECT_DIR = Path(__file__).resolve().parents[1]


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
    # The opening hours as each language says them ([desk.hours_in]); `hours` otherwise.
    hours_in: dict[str, str] = field(default_factory=dict)

    def hours_for(self, language: str) -> str:
        return self.hours_in.get(language) or self.hours


@dataclass(frozen=True)
class Zoom:
    """Server-to-server OAuth app credentials, for operators whose meeting mode is "api"."""

    account_id: str
    client_id: str
    client_secret: str = field(repr=False)
    api_url: str = "https://api.zoom.us/v2"
    oauth_url: str = "https://zoom.us/oauth/token"


@dataclass(frozen=True)
class Smtp:
    """The mail server operators' digests go through (STARTTLS unless turned off)."""

    host: str
    sender: str  # the From address
    port: int = 587
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True


@dataclass(frozen=True)
class Twilio:
    """WhatsApp through Twilio: the account, the sender number, approved templates."""

    account_sid: str
    auth_token: str = field(repr=False)
    whatsapp_number: str = ""  # E.164, e.g. +390583000000
    api_url: str = "https://api.twilio.com"
    # Message kind -> language -> approved Content template SID, for sending outside the
    # 24-hour window; Italian is the fallback (messaging.template_sid).
    templates: dict[str, dict[str, str]] = field(default_factory=dict)
    # Number of options (2 or 3) -> a quick-reply Content template with variables: {{1}} the
    # text, then title and id of each button ({{2}} {{3}}, {{4}} {{5}}, {{6}} {{7}}).
    quick_replies: dict[int, str] = field(default_factory=dict)
    messages_per_second: float = 10.0
    # Messages outside the 24-hour window a day (WhatsApp's limit for new business accounts).
    daily_template_cap: int = 250


@dataclass(frozen=True)
class Settings:
    database: Path  # the SQLite file; with PostgreSQL, the URL without its password
    default_language: str
    desk: Desk
    agenda: Agenda = field(default_factory=lambda: Agenda(BookingRules(), ()))
    zoom: Zoom | None = None
    twilio: Twilio | None = None
    smtp: Smtp | None = None
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
    # Settings that work but are probably not what was meant; `sportello check` shows them.
    warnings: tuple[str, ...] = ()
    # PostgreSQL: the URL (with its password) and the pool's connections per process.
    database_url: str | None = field(default=None, repr=False)
    database_pool: int = 10

    @property
    def has_telegram(self) -> bool:
        return self.telegram_bot_token is not None

    @property
    def webhooks(self) -> bool:
        """With a public URL, platforms call us (webhooks); without, we poll Telegram."""
        return self.public_url is not None
