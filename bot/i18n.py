"""Translations and locale-aware formatting: the one place that knows about languages.

Message ids are English; catalogs live in locales/<lang>/LC_MESSAGES/messages.po and are read
directly from the .po files at start-up (no compiled .mo files to keep in sync). Placeholders
use the %(name)s form so that translators can reorder them.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from bot.clock import ROME

SHIPPED_LANGUAGES = ("it", "en", "ro", "sq", "ar", "uk", "si", "fr")
DEFAULT_LOCALES_DIR = Path(__file__).resolve().parents[1] / "locales"


def N_(message: str) -> str:
    """Mark a string for translation where it is declared; it is translated when shown."""
    return message


class Translator:
    """Translates and formats for one language."""

    def __init__(self, language: str, catalog: NullTranslations) -> None:
        self.language = language
        self._catalog = catalog

    def tr(self, message: str, **values: object) -> str:
        text = self._catalog.gettext(message)
        return text % values if values else text

    def trn(self, singular: str, plural: str, n: int, **values: object) -> str:
        text = self._catalog.ngettext(singular, plural, n)
        return text % {"n": n, **values}

    def moment(self, moment: datetime) -> str:
        """A moment as the person reads it: Europe/Rome time, in their language."""
        return format_datetime(moment, "medium", tzinfo=ROME, locale=self.language)

    def minute(self, moment: datetime) -> str:
        """A moment to the minute ("4 dic 2026, 10:00"), for pages: the seconds of
        `moment()` say nothing to someone reading an agenda."""
        local = moment.astimezone(ROME)
        combined = str(Locale.parse(self.language).datetime_formats["medium"])
        date = format_date(local, "medium", locale=self.language)
        return combined.format(format_time(local, "short", locale=self.language), date)

    def day(self, moment: datetime) -> str:
        return format_date(moment.astimezone(ROME), "long", locale=self.language)

    def weekday(self, moment: datetime) -> str:
        """ "martedì 3 dicembre": how a day is said, for buttons and sentences."""
        return format_date(moment.astimezone(ROME), "EEEE d MMMM", locale=self.language)

    def clock_time(self, moment: datetime) -> str:
        return format_time(moment.astimezone(ROME), "HH:mm", locale=self.language)

    def appointment(self, moment: datetime) -> str:
        """ "martedì 3 dicembre alle 10:30"."""
        return self.tr(
            "%(day)s at %(time)s", day=self.weekday(moment), time=self.clock_time(moment)
        )


def catalog_path(locales_dir: Path, language: str) -> Path:
    return locales_dir / language / "LC_MESSAGES" / "messages.po"


def _load_catalog(path: Path, language: str) -> NullTranslations:
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def load_translators(locales_dir: Path = DEFAULT_LOCALES_DIR) -> dict[str, Translator]:
    translators = {}
    for language in SHIPPED_LANGUAGES:
        path = catalog_path(locales_dir, language)
        if not path.exists():
            raise FileNotFoundError(f"missing translation catalog {path}")
        translators[language] = Translator(language, _load_catalog(path, language))
    return translators


def match_language(hint: str | None) -> str | None:
    """A shipped language for a client's language tag ('it-IT' -> 'it'), or None."""
    if not hint:
        return None
    base = hint.replace("_", "-").split("-", 1)[0].lower()
    return base if base in SHIPPED_LANGUAGES else None
