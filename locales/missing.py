"""What each catalog still has to translate: `python locales/missing.py [LANG...] [--json]`.

Lists, per shipped language, the messages absent from the catalog, untranslated, fuzzy, or
with placeholders that differ from the source (the checks of tests/test_catalogs.py). The
back-office's messages are required of Italian and English only (bot/catalogs.py). With
--json it prints the entries to fill, with their plural forms, for a translator's tool.
Exits 1 when something is missing, so a script can tell.
"""

from __future__ import annotations

import argparse
import json
import sys

from bot.catalogs import extracted, gaps, msgid, read_catalog
from bot.i18n import SHIPPED_LANGUAGES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("languages", nargs="*", metavar="LANG", help="default: every shipped one")
    parser.add_argument("--json", action="store_true", help="entries to fill, as JSON")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.languages) - set(SHIPPED_LANGUAGES))
    if unknown:
        parser.error(f"not shipped: {', '.join(unknown)}; use {', '.join(SHIPPED_LANGUAGES)}")
    found = extracted()
    languages = args.languages or list(SHIPPED_LANGUAGES)
    report: dict[str, list[dict[str, object]]] = {}
    total = 0
    for language in languages:
        result = gaps(language, found)
        total += len(result.todo)
        if args.json:
            catalog = read_catalog(language)
            plurals = {msgid(m): m.id for m in catalog if m.id}
            report[language] = [
                {
                    "msgid": key,
                    "plural": list(plurals[key])[1]
                    if isinstance(plurals.get(key), tuple)
                    else None,
                    "forms": catalog.num_plurals if isinstance(plurals.get(key), tuple) else 1,
                }
                for key in result.todo
            ]
            continue
        print(f"{language}: {len(result.todo)} message(s) to translate")
        for label, keys in (
            ("not in the catalog (run make catalogs)", result.absent),
            ("untranslated", result.untranslated),
            ("fuzzy", result.fuzzy),
            ("placeholders differ", result.placeholders),
        ):
            for key in keys:
                print(f"  [{label}] {key!r}")
    if args.json:
        json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
        print()
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
