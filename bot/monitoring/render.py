"""Write the report into a folder: report.pdf, report.html, report.xlsx, and one PNG chart and
one CSV file per table; or only the files of the formats asked for (the back-office makes one
format at a time)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

from bot.capabilities.monitoring import MonitoringReport
from bot.i18n import N_, Translator
from bot.monitoring import charts, html_output, pdf_output, tables_output

Progress = Callable[[str], None]
FORMATS = ("pdf", "html", "xlsx", "csv")


def _needs(formats: Collection[str]) -> tuple[bool, bool]:
    """Whether the charts are drawn, and the CSV files written."""
    return bool({"pdf", "html"} & set(formats)), "csv" in formats


def step_count(report: MonitoringReport, formats: Collection[str] = FORMATS) -> int:
    """How many times write_report calls `progress` for these formats."""
    pictures, csvs = _needs(formats)
    per_table = sum(len(s.tables) for s in report.sections) if pictures or csvs else 0
    return per_table + sum(f in formats for f in ("xlsx", "html", "pdf"))


def write_report(
    report: MonitoringReport,
    out: Path,
    tr: Translator,
    progress: Progress,
    formats: Collection[str] = FORMATS,
) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    tables = [pair for s in report.sections for pair in s.tables]
    draw, csvs = _needs(formats)
    pictures: dict[str, Path] = {}
    written: list[Path] = []
    for n, (table, shown) in enumerate(tables if draw or csvs else [], start=1):
        progress(tr.tr(N_("Chart and table %(n)s of %(total)s"), n=n, total=len(tables)))
        if draw:
            pictures[table.key] = out / f"{table.key}.png"
            charts.draw(table, shown, pictures[table.key], report.language)
            written.append(pictures[table.key])
        if csvs:
            tables_output.write_csv(table, shown, out / f"{table.key}.csv")
            written.append(out / f"{table.key}.csv")
    if "xlsx" in formats:
        progress(tr.tr(N_("Spreadsheet")))
        tables_output.write_xlsx(tables, out / "report.xlsx", report.last)
        written.append(out / "report.xlsx")
    if "html" in formats:
        progress(tr.tr(N_("Web page")))
        html_output.write_html(report, pictures, tr, out / "report.html")
        written.append(out / "report.html")
    if "pdf" in formats:
        progress(tr.tr(N_("PDF document")))
        pdf_output.write_pdf(report, pictures, tr, out / "report.pdf")
        written.append(out / "report.pdf")
    return written
