"""Arabic is laid out right to left: the rules every Arabic message and notice line follows.

Telegram and WhatsApp pick a message's direction from its first strong letter, so each
Arabic message starts with an Arabic letter (or is a "• " line of a list). Values of the
other direction that a message interpolates (dates, times, numbers, names, commands) sit
inside Unicode isolates, U+2068 ... U+2069; a URL stands on its own line, where the apps
still recognise it as a link. The renderers' side (one button per row, the counter after the
question) is driven in tests/test_every_language.py.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from bot.catalogs import PLACEHOLDER, extracted, msgid, read_catalog, required, strings
from bot.domain import Option, Reply
from bot.flows import commands
from bot.handlers.telegram import keyboard
from bot.i18n import SHIPPED_LANGUAGES, load_translators
from bot.languages import FSI, LANGUAGES, PDI, isolate, reads_right_to_left

ROOT = Path(__file__).resolve().parents[1]
RTL = [code for code, words in LANGUAGES.items() if words.rtl and code in SHIPPED_LANGUAGES]
BULLET = "• "
URL_PLACEHOLDER = re.compile(r"%\((?:url|link)\)s")
BARE_URL = re.compile(r"^\s*(?:https?://|www\.)\S+\s*$")  # a URL on its own line


def arabic_letter(text: str) -> bool:
    first = text.lstrip()[:1]
    return bool(first) and unicodedata.name(first, "").startswith("ARABIC")


def translations(language: str) -> list[tuple[str, str]]:
    wanted = required(language, extracted(ROOT))
    return [
        (msgid(m), text)
        for m in read_catalog(language, ROOT / "locales")
        if m.id and msgid(m) in wanted
        for text in strings(m)
    ]


def test_arabic_is_shipped_and_marked_right_to_left() -> None:
    assert RTL == ["ar"]


@pytest.mark.parametrize("language", RTL)
def test_every_message_starts_with_a_letter_of_its_script(language: str) -> None:
    wrong = [
        (key, text[:30])
        for key, text in translations(language)
        if not text.lstrip().startswith(BULLET) and not arabic_letter(text)
    ]
    assert not wrong, wrong[:5]


@pytest.mark.parametrize("language", RTL)
def test_interpolated_values_are_isolated_and_urls_stand_alone(language: str) -> None:
    wrong = []
    for key, text in translations(language):
        for found in PLACEHOLDER.finditer(text):
            before, after = text[found.start() - 1 : found.start()], text[found.end() :][:1]
            if URL_PLACEHOLDER.fullmatch(found.group()):
                if before != "\n" or after not in ("", "\n"):
                    wrong.append((key, "a URL not on its own line"))
            elif (before, after) != (FSI, PDI):
                wrong.append((key, f"{found.group()} not isolated"))
    assert not wrong, wrong[:5]


@pytest.mark.parametrize("language", RTL)
def test_the_notice_reads_right_to_left(language: str) -> None:
    notice = ROOT / "config" / "privacy" / f"notice.{language}.txt"
    lines = notice.read_text(encoding="utf-8").splitlines()[1:]
    wrong = [
        line
        for line in lines
        if line.strip() and not arabic_letter(line.lstrip("- ")) and not BARE_URL.match(line)
    ]
    assert not wrong, wrong[:5]


def test_isolates_keep_a_value_whole() -> None:
    assert isolate("/aiuto") == "\u2068/aiuto\u2069"


def test_direction_is_the_first_strong_letters() -> None:
    assert reads_right_to_left("1/21 · أين تسكن؟")
    assert not reads_right_to_left("🎓 CV clinic · ورشة")
    assert not reads_right_to_left("123")


def test_help_lines_start_with_words_and_isolate_the_command() -> None:
    arabic = load_translators(ROOT / "locales")["ar"]
    for line in commands.help_lines(arabic).splitlines():
        assert arabic_letter(line), line
        assert f"{FSI}/" in line
        assert line.endswith(PDI)


def test_right_to_left_keyboards_have_one_button_per_row() -> None:
    options = (Option("a.yes", "نعم"), Option("a.no", "لا"), Option("a.x", "ربما"))
    rtl = keyboard(Reply("سؤال؟", options, seq=1, rtl=True))
    ltr = keyboard(Reply("Question?", options, seq=1))
    assert rtl is not None
    assert ltr is not None
    assert [len(row) for row in rtl.inline_keyboard] == [1, 1, 1]
    assert len(ltr.inline_keyboard) < 3


def test_back_points_right_and_later_points_left() -> None:
    arabic = load_translators(ROOT / "locales")["ar"]
    assert "➡️" in arabic.tr("⬅️ Back")
    assert "⬅️" in arabic.tr("➡️ Later days")
