"""Spreadsheets for native-speaker reviewers (docs/TRANSLATING.md).

    python locales/review.py export [LANG...] [--out locales/review]
    python locales/review.py import LANG FILE.xlsx

`export` writes one XLSX per language (default: every shipped one but English, whose text is
the source); `import` reads a reviewed file back into locales/LANG/LC_MESSAGES/messages.po and
lists every row it refused, with the reason. Exits 1 when a row was refused.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.catalogs import extracted
from bot.i18n import SHIPPED_LANGUAGES
from bot.review_sheets import export_sheet, import_sheet

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Catalogs as spreadsheets for reviewers.")
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="one XLSX per language")
    export.add_argument("languages", nargs="*", metavar="LANG")
    export.add_argument("--out", type=Path, default=ROOT / "locales" / "review")
    read = commands.add_parser("import", help="a reviewed XLSX back into the catalog")
    read.add_argument("language", metavar="LANG")
    read.add_argument("sheet", type=Path, metavar="FILE.xlsx")
    args = parser.parse_args(argv)
    if args.command == "export":
        languages = args.languages or [c for c in SHIPPED_LANGUAGES if c != "en"]
        unknown = sorted(set(languages) - set(SHIPPED_LANGUAGES))
        if unknown:
            parser.error(f"not shipped: {', '.join(unknown)}")
        found = extracted(ROOT)
        for language in languages:
            out = args.out / f"messages.{language}.xlsx"
            rows = export_sheet(language, found, out)
            print(f"{language}: {rows} rows -> {out}")
        return 0
    if args.language not in SHIPPED_LANGUAGES:
        parser.error(f"not shipped: {args.language}")
    if not args.sheet.is_file():
        parser.error(f"no such file: {args.sheet}")
    result = import_sheet(args.language, args.sheet)
    print(
        f"{result.language}: {result.changed} translation(s) changed, "
        f"{result.unchanged} the same as before, {len(result.problems)} problem(s)"
    )
    for problem in result.problems:
        print(f"  {problem}")
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
