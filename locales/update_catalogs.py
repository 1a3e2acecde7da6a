"""Refresh the catalogs after changing user-visible strings: `python locales/update_catalogs.py`.

Extracts messages from the code and data files (babel.cfg), merges them into every shipped
catalog, and fills the English catalog's new entries with the English source text (English
copy can then be edited there without touching code). Other languages' new entries stay
empty for a translator; tests/test_catalogs.py fails until they are filled, and
`locales/missing.py` lists them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

from bot.catalogs import extracted, gaps, keep_review_status, review_status
from bot.i18n import SHIPPED_LANGUAGES, catalog_path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "locales" / "messages.pot"
KEYWORDS = ["-k", "tr", "-k", "trn:1,2", "-k", "N_"]


def pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=ROOT, check=True)


def main() -> None:
    pybabel(
        "extract",
        "-F",
        "babel.cfg",
        *KEYWORDS,
        "--no-location",
        "--sort-output",
        "--project=sportello",
        "-o",
        str(TEMPLATE),
        ".",
    )
    for language in SHIPPED_LANGUAGES:
        status = review_status(catalog_path(ROOT / "locales", language))
        pybabel(
            "update",
            "-i",
            str(TEMPLATE),
            "-d",
            "locales",
            "-l",
            language,
            "--no-wrap",
            "--no-fuzzy-matching",
            "--ignore-obsolete",
        )
        keep_review_status(catalog_path(ROOT / "locales", language), status)
    path = catalog_path(ROOT / "locales", "en")
    with path.open("rb") as handle:
        english = read_po(handle, locale="en")
    for message in english:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            forms = list(message.string) if isinstance(message.string, tuple) else ["", ""]
            message.string = tuple(f or message.id[min(i, 1)] for i, f in enumerate(forms))
        elif not message.string:
            message.string = message.id
    with path.open("wb") as handle:
        write_po(handle, english, width=0, no_location=True, sort_output=True)
    found = extracted(ROOT)
    for language in SHIPPED_LANGUAGES:
        todo = gaps(language, found, ROOT / "locales").todo
        print(
            f"{language}: {len(todo)} message(s) to translate (python locales/missing.py {language})"
        )


if __name__ == "__main__":
    main()
