"""Every user-visible message has a translation in every shipped catalog.

Messages are extracted from the code and data files at test time, so a string added without
updating the catalogs fails here, not in front of a person. The back-office's messages are
required of Italian and English only (bot/catalogs.py); `python locales/missing.py` lists
what a catalog still lacks.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.core import Locale

from bot.catalogs import (
    DESK_LANGUAGES,
    extracted,
    gaps,
    read_catalog,
    required,
    review_status,
    strings,
)
from bot.i18n import SHIPPED_LANGUAGES, catalog_path, load_translators

ROOT = Path(__file__).resolve().parents[1]
FOUND = extracted(ROOT)
EXTRACTED = set(FOUND)


def test_extraction_finds_the_code_and_the_sector_file() -> None:
    assert "Please choose one of the options: tap a button or write its number." in EXTRACTED
    assert "Paper and paper machinery" in EXTRACTED
    assert len(EXTRACTED) > 300


def test_the_back_office_alone_is_left_to_italian_and_english() -> None:
    person_facing = required("ro", FOUND)
    assert "Please choose one of the options: tap a button or write its number." in person_facing
    assert set(DESK_LANGUAGES) <= set(SHIPPED_LANGUAGES)
    assert 0 < len(EXTRACTED - person_facing) < len(EXTRACTED) / 2


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_catalog_translates_every_message(language: str) -> None:
    result = gaps(language, FOUND, ROOT / "locales")
    assert not result.absent, (
        f"{language}: not in the catalog (run make catalogs): {result.absent[:5]}"
    )
    assert not result.untranslated, f"{language}: untranslated: {result.untranslated[:5]}"
    assert not result.fuzzy, f"{language}: fuzzy: {result.fuzzy[:5]}"


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_placeholders_match_the_original(language: str) -> None:
    wrong = gaps(language, FOUND, ROOT / "locales").placeholders
    assert not wrong, f"{language}: placeholders differ in {wrong[:5]}"


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_every_plural_form_is_filled(language: str) -> None:
    """Each plural message has every form the catalog's Plural-Forms header counts; the header
    counts at least Babel's forms for small numbers (Arabic 6, Ukrainian and Romanian 3+)."""
    catalog = read_catalog(language, ROOT / "locales")
    cldr = Locale.parse(language).plural_form
    assert catalog.num_plurals >= len({cldr(n) for n in range(0, 1000)})
    for message in catalog:
        if isinstance(message.id, tuple) and message.id[0] in required(language, FOUND):
            forms = strings(message)
            assert len(forms) == catalog.num_plurals, message.id
            assert all(forms), message.id


@pytest.mark.parametrize("language", [c for c in SHIPPED_LANGUAGES if c not in ("it", "en")])
def test_machine_assisted_catalogs_say_so(language: str) -> None:
    catalog = read_catalog(language, ROOT / "locales")
    assert "awaiting" in (review_status(catalog_path(ROOT / "locales", language)) or "")
    assert "AWAITING REVIEW" in catalog.header_comment


def test_catalogs_load_and_translate() -> None:
    translators = load_translators(ROOT / "locales")
    assert set(translators) == set(SHIPPED_LANGUAGES)
    assert translators["it"].tr("Yes") == "Sì"
    assert translators["en"].tr("Yes") == "Yes"
    assert "3" in translators["it"].trn(
        "You have already answered %(n)d question.",
        "You have already answered %(n)d questions.",
        3,
    )
    few = translators["ar"].trn(
        "You have already answered %(n)d question.",
        "You have already answered %(n)d questions.",
        3,
    )
    many = translators["ar"].trn(
        "You have already answered %(n)d question.",
        "You have already answered %(n)d questions.",
        11,
    )
    assert "3" in few
    assert "11" in many
    assert few.replace("3", "") != many.replace("11", "")


def test_every_shipped_language_has_the_current_notice() -> None:
    notices = ROOT / "config" / "privacy"
    versions = {
        language: (notices / f"notice.{language}.txt").read_text(encoding="utf-8").split("\n")[0]
        for language in SHIPPED_LANGUAGES
    }
    assert len(set(versions.values())) == 1, versions
