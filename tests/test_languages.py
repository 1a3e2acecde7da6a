"""The one table of what is said per language (bot/languages.py): complete, and used."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.catalogs import read_catalog, strings
from bot.domain import Option
from bot.flows.commands import COMMANDS
from bot.flows.options import match_text, normalize
from bot.flows.privacy import START_WORDS, STOP_WORDS
from bot.handlers.whatsapp import inbound_event
from bot.i18n import SHIPPED_LANGUAGES
from bot.languages import LANGUAGES, endonym, phone_language, phone_languages

ROOT = Path(__file__).resolve().parents[1]
# "/cancella" after a space, a bracket or an isolate; not a URL's or a date's slash.
COMMAND = re.compile(r"(?:^|[\s(\u2068«“\"'])/([a-z_]+)\b")
YES_NO = (Option("erase.yes", "✅"), Option("erase.no", "❌"))
THREE = (Option("a", "Uno"), Option("b", "Due"), Option("c", "Tre"))


def test_every_shipped_language_has_an_entry() -> None:
    assert set(SHIPPED_LANGUAGES) <= set(LANGUAGES)
    for code in SHIPPED_LANGUAGES:
        words = LANGUAGES[code]
        for field in (words.endonym, words.yes, words.no, words.list_words, words.stop):
            assert field, code
        assert words.start, code


def test_endonyms_are_distinct_and_untranslated() -> None:
    names = [endonym(code) for code in SHIPPED_LANGUAGES]
    assert len(set(names)) == len(names)
    assert endonym("ar") == "العربية"
    assert endonym(None) is None


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_yes_and_no_words_pick_the_options(language: str) -> None:
    words = LANGUAGES[language]
    assert match_text(words.yes[0], YES_NO, language) == ("erase.yes",)
    assert match_text(words.no[0], YES_NO, language) == ("erase.no",)
    assert match_text(words.yes[0].upper(), YES_NO, language) == ("erase.yes",)


def test_yes_and_no_words_do_not_clash_within_a_language() -> None:
    for code, words in LANGUAGES.items():
        yes, no = {normalize(w) for w in words.yes}, {normalize(w) for w in words.no}
        assert not yes & no, code


@pytest.mark.parametrize(
    "typed",
    [
        "1 e 3",
        "1 and 3",
        "1 și 3",
        "1 si 3",
        "1 dhe 3",
        "1 و3",
        "1 و 3",
        "1 і 3",
        "1 та 3",
        "1 සහ 3",
        "1 et 3",
        "1, 3",
        "١ و ٣",
    ],
)
def test_every_languages_and_separates_numbers(typed: str) -> None:
    assert match_text(typed, THREE, "it") == ("a", "c")


def test_and_inside_a_word_does_not_split() -> None:
    assert match_text("1e3", THREE, "it") == ()


def test_stop_and_start_words_of_every_language() -> None:
    for code in SHIPPED_LANGUAGES:
        assert {normalize(w) for w in LANGUAGES[code].stop} <= STOP_WORDS
        assert {normalize(w) for w in LANGUAGES[code].start} <= START_WORDS
    assert not STOP_WORDS & START_WORDS


@pytest.mark.parametrize(
    ("number", "language", "suggested"),
    [
        ("+393331234567", "it", ("it",)),
        ("+40721234567", "ro", ("ro",)),
        ("+355691234567", "sq", ("sq",)),
        ("+380501234567", "uk", ("uk",)),
        ("+94771234567", "si", ("si",)),
        ("+221771234567", "fr", ("fr",)),
        ("+212612345678", None, ("ar", "fr")),  # Morocco: asked, both first in the picker
        ("+216201234567", None, ("ar", "fr")),
        ("+8613800000000", None, ()),
    ],
)
def test_phone_prefixes_suggest_a_language(
    number: str, language: str | None, suggested: tuple[str, ...]
) -> None:
    assert phone_languages(number) == suggested
    assert phone_language(number) == language


def test_a_whatsapp_number_sets_the_language_only_when_sure() -> None:
    def hint(number: str) -> str | None:
        event = inbound_event({"From": f"whatsapp:{number}", "MessageSid": "SM1", "Body": "hi"})
        assert event is not None
        return event.language_hint

    assert hint("+40721234567") == "ro"
    assert hint("+212612345678") is None


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_texts_name_only_commands_that_work(language: str) -> None:
    """Every "/name" a notice or a translation shows is a command (the Italian and English
    names work in every language)."""
    names = {name for c in COMMANDS for name in c.names.values()}
    notice = (ROOT / "config" / "privacy" / f"notice.{language}.txt").read_text(encoding="utf-8")
    texts = [notice, *(t for m in read_catalog(language) if m.id for t in strings(m))]
    shown = {m.group(1) for text in texts for m in COMMAND.finditer(text)}
    assert shown
    assert shown <= names, sorted(shown - names)
