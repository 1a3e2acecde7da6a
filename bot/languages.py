"""Everything language-specific that is not a message: one entry per shipped language.

The catalogs (locales/) translate what the bot says; this table holds what the bot has to
recognise or choose per language: the picker's endonym, the whole answers that mean yes, no,
"call it off", stop and start, the words between numbers of a list ("1, 3 e 5"), the
telephone prefixes that suggest the language, and the writing direction. A new language adds
its catalog, its notice and one entry here (docs/TRANSLATING.md); tests/test_languages.py
fails until every shipped language has one.

Words are written as people type them; matching ignores case, accents and punctuation
(bot.flows.options.normalize), so "Sì", "si" and "SI!" are one word.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from babel import Locale

from bot.i18n import SHIPPED_LANGUAGES

# The languages everyone may use for yes/no and keywords: the desk's and the lingua franca.
COMMON_LANGUAGES = ("it", "en")


@dataclass(frozen=True)
class LanguageWords:
    code: str
    endonym: str  # the language's own name, shown as is in every language's picker
    yes: tuple[str, ...]
    no: tuple[str, ...]
    # Words that call a dialog off: No, except where the Yes button itself says that word
    # ("Cancel your appointment?" "Yes, cancel it"), where they are ambiguous.
    abort: tuple[str, ...]
    stop: tuple[str, ...]  # a message of just this word turns announcements off
    start: tuple[str, ...]  # ... and back on
    list_words: tuple[str, ...]  # "and" between option numbers: "1, 3 e 5"
    # Country calling codes whose numbers most likely read this language. A prefix listed by
    # one language only sets it at first contact (the person can change it with /lingua); a
    # prefix listed by several only puts them first in the picker, which is still asked.
    phone_prefixes: tuple[str, ...] = ()
    rtl: bool = False
    # Whose command names texts show (bot/flows/commands.py): every name works for everyone,
    # and the desk's Italian ones are shown to all but English speakers.
    command_names: str = "it"


LANGUAGES: dict[str, LanguageWords] = {
    w.code: w
    for w in (
        LanguageWords(
            code="it",
            endonym="Italiano",
            yes=("si", "sii", "certo", "ok", "va bene", "confermo", "esatto"),
            no=("no", "nn", "no grazie", "non ora", "lascia stare"),
            abort=("annulla", "annullare"),
            stop=("stop", "basta", "annulla"),
            start=("start", "riprendi"),
            list_words=("e",),
            phone_prefixes=("+39",),
        ),
        LanguageWords(
            code="en",
            endonym="English",
            yes=("yes", "y", "yeah", "yep", "sure", "ok", "okay"),
            no=("no", "n", "nope", "no thanks", "not now", "never mind"),
            abort=("cancel",),
            stop=("stop", "unsubscribe"),
            start=("start",),
            list_words=("and",),
            phone_prefixes=("+44", "+63"),
            command_names="en",
        ),
        LanguageWords(
            code="ro",
            endonym="Română",
            yes=("da", "sigur", "bine", "confirm", "ok"),
            no=("nu", "nu multumesc", "nu acum", "lasa"),
            abort=("anuleaza", "renunt"),
            stop=("stop", "opreste"),
            start=("start", "porneste"),
            list_words=("și",),
            phone_prefixes=("+40", "+373"),
        ),
        LanguageWords(
            code="sq",
            endonym="Shqip",
            yes=("po", "sigurisht", "mire", "ne rregull", "konfirmoj", "ok"),
            no=("jo", "jo faleminderit", "jo tani"),
            abort=("anulo",),
            stop=("stop", "ndalo"),
            start=("start", "fillo"),
            list_words=("dhe", "e"),
            phone_prefixes=("+355", "+383"),
        ),
        LanguageWords(
            code="ar",
            endonym="العربية",
            yes=("نعم", "ايوه", "أيوه", "اه", "موافق", "أكيد", "طيب", "اكيد"),
            no=("لا", "لا شكرا", "ليس الآن"),
            abort=("إلغاء", "الغاء", "ألغ"),
            stop=("stop", "توقف", "إيقاف"),
            start=("start", "ابدأ"),
            list_words=("و",),
            phone_prefixes=("+212", "+216", "+213", "+20"),
            rtl=True,
        ),
        LanguageWords(
            code="uk",
            endonym="Українська",
            yes=("так", "звісно", "добре", "гаразд", "підтверджую", "ok"),
            no=("ні", "ні дякую", "не зараз"),
            abort=("скасувати", "скасуй"),
            stop=("stop", "стоп"),
            start=("start", "старт"),
            list_words=("і", "й", "та"),
            phone_prefixes=("+380",),
        ),
        LanguageWords(
            code="si",
            endonym="සිංහල",
            yes=("ඔව්", "හරි", "ok"),
            no=("නැහැ", "නෑ", "එපා"),
            abort=("අවලංගු කරන්න",),
            stop=("stop", "නවත්වන්න"),
            start=("start", "අරඹන්න"),
            list_words=("සහ", "හා"),
            phone_prefixes=("+94",),
        ),
        LanguageWords(
            code="fr",
            endonym="Français",
            yes=("oui", "ouais", "bien sur", "d accord", "ok", "je confirme"),
            no=("non", "non merci", "pas maintenant"),
            abort=("annuler",),
            stop=("stop", "arret"),
            start=("start", "reprendre"),
            list_words=("et",),
            # Morocco, Tunisia and Algeria read Arabic or French: both first in the picker.
            phone_prefixes=("+221", "+212", "+216", "+213", "+33", "+225", "+223"),
        ),
    )
}


def words(code: str) -> LanguageWords:
    return LANGUAGES[code]


def endonym(code: str | None) -> str | None:
    found = LANGUAGES.get(code or "")
    return found.endonym if found else None


def language_name(code: str, language: str) -> str:
    """A language's name in another language ("rumeno" for ro in it), from CLDR."""
    name = str(Locale.parse(code).get_display_name(language) or code)
    return name[:1].upper() + name[1:]  # a label on its own: "Rumeno"


def is_rtl(code: str) -> bool:
    found = LANGUAGES.get(code)
    return found.rtl if found else False


FSI, PDI = "\u2068", "\u2069"  # first strong isolate ... pop directional isolate


def isolate(value: str) -> str:
    """A value of another direction (a command, a number, a name) kept whole in RTL text."""
    return f"{FSI}{value}{PDI}"


def reads_right_to_left(text: str) -> bool:
    """Whether the apps lay the text out right to left: its first strong letter is."""
    for char in text:
        direction = unicodedata.bidirectional(char)
        if direction in ("R", "AL"):
            return True
        if direction == "L":
            return False
    return False


def phone_languages(number: str) -> tuple[str, ...]:
    """The shipped languages a number's country suggests, longest prefix first."""
    matches = [
        (len(prefix), w.code)
        for w in LANGUAGES.values()
        if w.code in SHIPPED_LANGUAGES
        for prefix in w.phone_prefixes
        if number.startswith(prefix)
    ]
    if not matches:
        return ()
    longest = max(length for length, _ in matches)
    return tuple(dict.fromkeys(code for length, code in matches if length == longest))


def phone_language(number: str) -> str | None:
    """The language a number settles at first contact: only when its country suggests one."""
    found = phone_languages(number)
    return found[0] if len(found) == 1 else None
