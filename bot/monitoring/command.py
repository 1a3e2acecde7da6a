"""`sportello report`: the annual monitoring report into a folder, with progress on stderr."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from bot.capabilities import monitoring
from bot.i18n import SHIPPED_LANGUAGES, load_translators
from bot.monitoring.generation import COMUNE
from bot.monitoring.render import write_report
from bot.terminal import calendar_day
from storage.db import Database


def add_parser(commands: Any) -> None:
    report = commands.add_parser(
        "report",
        help="the annual monitoring report (PDF, HTML, XLSX, CSV and PNG files)",
        description="Counts the anonymous records of one year (or part of it) and writes "
        "report.pdf, report.html, report.xlsx, and one CSV table and one PNG chart per table "
        "into a folder. Cells under 5 people are shown as <5.",
    )
    report.add_argument("--year", type=int, required=True, help="the year, e.g. 2026")
    report.add_argument("--from", dest="start", type=calendar_day, help="first day, YYYY-MM-DD")
    report.add_argument("--to", dest="end", type=calendar_day, help="last day, YYYY-MM-DD")
    report.add_argument("--out", type=Path, required=True, help="the folder to write into")
    report.add_argument("--comune", default=COMUNE, help=f"name on the cover (default: {COMUNE})")
    report.add_argument(
        "--language", choices=SHIPPED_LANGUAGES, default="it", help="default: it (Italian)"
    )


async def run(db: Database, locales_dir: Path, args: argparse.Namespace) -> int:
    translators = load_translators(locales_dir)
    try:
        first, last = monitoring.period(args.year, args.start, args.end)
    except monitoring.PeriodError as exc:
        # The same check and words as the back-office's form, in English on the terminal.
        print(f"Cannot make the report: {exc.problem.text(translators['en'])}", file=sys.stderr)
        return 2
    if args.out.exists() and not args.out.is_dir():
        print(f"Cannot make the report: {args.out} is a file, not a folder.", file=sys.stderr)
        return 2
    tr = translators[args.language]
    started = time.perf_counter()

    def progress(step: str) -> None:
        print(f"[{time.perf_counter() - started:5.1f}s] {step}", file=sys.stderr, flush=True)

    progress(f"{first}..{last}")
    async with db.read() as tx:
        report = await monitoring.build_figures(tx, first, last, tr, args.comune)
    written = write_report(report, args.out, tr, progress)
    progress(f"{len(written)} files in {args.out}")
    return 0
