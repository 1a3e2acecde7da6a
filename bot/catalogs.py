"""What each catalog must translate, and what it still misses: the one check behind
tests/test_catalogs.py, `locales/missing.py` and `make catalogs`.

Messages are extracted from the code and data files (babel.cfg). The back-office and the
staff accounts behind it stay Italian and English (DESK_LANGUAGES): a message found only
there is required of those two catalogs alone; every other message of every shipped catalog.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from bot.i18n import DEFAULT_LOCALES_DIR, catalog_path

ROOT = DEFAULT_LOCALES_DIR.parent
KEYWORDS = {"tr": None, "trn": (1, 2), "N_": None}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]")
DESK_LANGUAGES = ("it", "en")
# Files whose messages only staff read in the back-office (or its account errors).
DESK_ONLY = ("bot/backoffice/", "bot/capabilities/accounts.py", "bot/capabilities/notes.py")


def extracted(root: Path = ROOT) -> dict[str, set[str]]:
    """Message id (the singular for plurals) -> the files it appears in."""
    with (root / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)  # type: ignore[no-untyped-call]
    found: dict[str, set[str]] = defaultdict(set)
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(root), method_map, options_map, keywords=KEYWORDS
    ):
        found[message if isinstance(message, str) else message[0]].add(filename)
    return dict(found)


def desk_only(files: set[str]) -> bool:
    return all(f.replace("\\", "/").startswith(DESK_ONLY) for f in files)


def required(language: str, found: dict[str, set[str]]) -> set[str]:
    if language in DESK_LANGUAGES:
        return set(found)
    return {m for m, files in found.items() if not desk_only(files)}


def read_catalog(language: str, locales_dir: Path = DEFAULT_LOCALES_DIR) -> Catalog:
    with catalog_path(locales_dir, language).open("rb") as handle:
        return read_po(handle, locale=language)


def msgid(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def strings(message: Message) -> list[str]:
    if isinstance(message.string, str):
        return [message.string]
    return list(message.string or ())


def placeholders_differ(message: Message) -> bool:
    expected = sorted(PLACEHOLDER.findall(msgid(message)))
    return any(t and sorted(PLACEHOLDER.findall(t)) != expected for t in strings(message))


@dataclass(frozen=True)
class Gaps:
    """What a catalog still lacks, each a sorted list of message ids."""

    language: str
    absent: list[str]  # not in the .po at all: run `make catalogs`
    untranslated: list[str]  # empty msgstr, or a plural form left empty
    fuzzy: list[str]
    placeholders: list[str]  # a translation whose %(name)s differ from the source

    @property
    def todo(self) -> list[str]:
        return sorted({*self.absent, *self.untranslated, *self.fuzzy, *self.placeholders})


def gaps(
    language: str, found: dict[str, set[str]], locales_dir: Path = DEFAULT_LOCALES_DIR
) -> Gaps:
    messages = {msgid(m): m for m in read_catalog(language, locales_dir) if m.id}
    wanted = required(language, found)
    present = sorted(wanted & messages.keys())
    return Gaps(
        language=language,
        absent=sorted(wanted - messages.keys()),
        untranslated=[k for k in present if not all(strings(messages[k]))],
        fuzzy=[k for k in present if messages[k].fuzzy],
        placeholders=sorted(k for k, m in messages.items() if placeholders_differ(m)),
    )


REVIEW_HEADER = "X-Review-Status"
REVIEW_LINE = re.compile(rf'^"{REVIEW_HEADER}: ([^"\\]*)\\n"$', re.MULTILINE)


def review_status(path: Path) -> str | None:
    """The catalog's review status header ("machine-assisted, awaiting ..."), if any."""
    found = REVIEW_LINE.search(path.read_text(encoding="utf-8"))
    return found.group(1) if found else None


def keep_review_status(path: Path, status: str | None) -> None:
    """Put the review status back: Babel drops headers it does not know when it writes."""
    if status is None:
        return
    text = path.read_text(encoding="utf-8")
    line = f'"{REVIEW_HEADER}: {status}\\n"'
    if REVIEW_LINE.search(text):
        text = REVIEW_LINE.sub(line.replace("\\", "\\\\"), text, count=1)
    else:
        head, sep, rest = text.partition("\n\n")
        text = f"{head}\n{line}{sep}{rest}"
    path.write_text(text, encoding="utf-8")
