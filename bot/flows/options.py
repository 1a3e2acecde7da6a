"""Turning what a person typed or tapped into option ids: one place for every channel.

Text channels show options numbered; a person may answer with the number, several numbers
(for a multi-select), or the words of the option. Buttons carry "<seq>:<option id>"; the seq
tells a button of the current question from one of an older message.

Yes/no questions are recognised by their option ids: one ending in ".yes", one ending in
".no" (erase.yes / erase.no). There, the words people type for yes and no pick the option as
the button would, in the person's language and, as everyone here may use them, in Italian and
English. The words come from bot/languages.py, the one table of what is said per language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.domain import Option
from bot.languages import COMMON_LANGUAGES, LANGUAGES

BUTTON_DATA = re.compile(r"^(\d{1,9}):([a-z0-9_.:-]{1,50})$")
NUMBER = re.compile(r"^(\d{1,3})[.)]?$")
MAX_CALLBACK_BYTES = 64
YES_SUFFIX, NO_SUFFIX = ".yes", ".no"


def normalize(text: str) -> str:
    """Case, accents, emoji and punctuation do not matter when matching words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = [c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c)]
    return " ".join("".join(kept).split())


def _separators() -> re.Pattern[str]:
    """Spaces, punctuation, or any language's "and" as a word of its own ("1 e 3"); the Arabic
    "و" is written glued to what follows ("1 و3"), so only letters around it keep it a word."""
    spelled = {w for lang in LANGUAGES.values() for w in lang.list_words}
    spelled |= {normalize(w) for w in spelled}
    glued = {w for w in spelled if all("ARABIC" in unicodedata.name(c, "") for c in w)}

    def alternatives(found: set[str]) -> str:
        return "|".join(sorted((re.escape(w) for w in found), key=len, reverse=True))

    parts = [r"[\s,;/&+]+", rf"\b(?:{alternatives(spelled - glued)})\b"]
    if glued:
        parts.append(rf"(?<![^\W\d_])(?:{alternatives(glued)})(?![^\W\d_])")
    return re.compile("|".join(parts), re.IGNORECASE)


SEPARATORS = _separators()


@dataclass(frozen=True)
class ConfirmWords:
    """Whole answers, written as normalize() leaves them (lower case, no accents)."""

    yes: frozenset[str]
    no: frozenset[str]
    abort: frozenset[str]


def _normalized(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(normalize(w) for w in words)


CONFIRM_WORDS: dict[str, ConfirmWords] = {
    code: ConfirmWords(_normalized(w.yes), _normalized(w.no), _normalized(w.abort))
    for code, w in LANGUAGES.items()
}


def button_data(seq: int, option_id: str) -> str:
    data = f"{seq}:{option_id}"
    if not BUTTON_DATA.match(data) or len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"option id {option_id!r} cannot be carried by a button")
    return data


@dataclass(frozen=True)
class Tap:
    seq: int
    option_id: str


def parse_button(data: str) -> Tap | None:
    """The seq and option id a button carries, or None for data we never produce."""
    match = BUTTON_DATA.match(data) if len(data) <= MAX_CALLBACK_BYTES else None
    if match is None:
        return None
    return Tap(seq=int(match.group(1)), option_id=match.group(2))


def match_text(text: str, options: tuple[Option, ...], language: str = "it") -> tuple[str, ...]:
    """Option ids that a typed answer names: by number(s), the option's words, or a yes/no
    word of the person's language."""
    stripped = text.strip()
    numbers = _numbers(stripped)
    if numbers is not None:
        if all(1 <= n <= len(options) for n in numbers):
            return tuple(dict.fromkeys(options[n - 1].id for n in numbers))
        return ()
    wanted = normalize(stripped)
    if not wanted:
        return ()
    exact = [o.id for o in options if normalize(o.label) == wanted]
    if exact:
        return (exact[0],)
    confirmed = _yes_or_no(wanted, options, language)
    if confirmed is not None:
        return (confirmed,)
    # A unique option whose words start with what was typed ("tur" -> "Turismo").
    prefixed = [o.id for o in options if normalize(o.label).startswith(wanted)]
    return (prefixed[0],) if len(prefixed) == 1 and len(wanted) >= 3 else ()


def _yes_or_no(wanted: str, options: tuple[Option, ...], language: str) -> str | None:
    """The yes or no option a typed "sì", "no", "annulla"... stands for, if the question is
    a yes/no one."""
    yes = next((o for o in options if o.id.endswith(YES_SUFFIX)), None)
    no = next((o for o in options if o.id.endswith(NO_SUFFIX)), None)
    if yes is None or no is None:
        return None
    tables = [CONFIRM_WORDS[c] for c in (language, *COMMON_LANGUAGES) if c in CONFIRM_WORDS]
    if any(wanted in t.yes for t in tables):
        return yes.id
    if any(wanted in t.no for t in tables):
        return no.id
    yes_words = normalize(yes.label).split()
    aborts = any(wanted in t.abort for t in tables)
    if aborts and not any(word.startswith(wanted) for word in yes_words):
        return no.id
    return None


def _numbers(text: str) -> list[int] | None:
    """[1, 3, 5] for "1, 3 e 5"; None when the text is not only option numbers."""
    tokens = [t for t in SEPARATORS.split(text) if t]
    matches = [NUMBER.match(t) for t in tokens]
    if not tokens or not all(matches):
        return None
    return [int(m.group(1)) for m in matches if m]
