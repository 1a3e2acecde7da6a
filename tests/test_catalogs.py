"""Every user-visible message has a translation in every shipped catalog.

Messages are extracted from the code and data files at test time, so a string added without
updating the catalogs fails here, not in front of a person.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from bot.i18n import SHIPPED_LANGUAGES, catalog_path, load_translators

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]")
KEYWORDS = {"tr": None, "trn": (1, 2), "N_": None}


def extracted() -> set[str]:
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)  # type: ignore[no-untyped-call]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def catalog(language: str) -> Catalog:
    with catalog_path(ROOT / "locales", language).open("rb") as handle:
        return read_po(handle, locale=language)


def msgid(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def strings(message: Message) -> list[str]:
    if isinstance(message.string, str):
        return [message.string]
    return list(message.string or ())


EXTRACTED = extracted()


def test_extraction_finds_the_code_and_the_sector_file() -> None:
    assert "Please choose one of the options: tap a button or write its number." in EXTRACTED
    assert "Paper and paper machinery" in EXTRACTED
    assert len(EXTRACTED) > 300


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_catalog_translates_every_message(language: str) -> None:
    messages = {msgid(m): m for m in catalog(language) if m.id}
    missing = sorted(EXTRACTED - messages.keys())
    assert not missing, (
        f"{language}: not in the catalog (run the update in docs/TRANSLATING.md): {missing[:5]}"
    )
    untranslated = sorted(
        k for k in EXTRACTED if not all(strings(messages[k])) or messages[k].fuzzy
    )
    assert not untranslated, f"{language}: untranslated or fuzzy: {untranslated[:5]}"


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_placeholders_match_the_original(language: str) -> None:
    wrong = []
    for message in catalog(language):
        if not message.id:
            continue
        expected = sorted(PLACEHOLDER.findall(msgid(message)))
        for translation in strings(message):
            if translation and sorted(PLACEHOLDER.findall(translation)) != expected:
                wrong.append(msgid(message))
    assert not wrong, f"{language}: placeholders differ in {wrong[:5]}"


def test_catalogs_load_and_translate() -> None:
    translators = load_translators(ROOT / "locales")
    assert translators["it"].tr("Yes") == "Sì"
    assert translators["en"].tr("Yes") == "Yes"
    assert "3" in translators["it"].trn(
        "You have already answered %(n)d question.",
        "You have already answered %(n)d questions.",
        3,
    )
