"""Write the whole report into a folder: report.pdf, report.html, report.xlsx, and one PNG
chart and one CSV file per table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.capabilities.monitoring import MonitoringReport
from bot.i18n import N_, Translator
from bot.monitoring import charts, html_output, pdf_output, tables_output

Progress = Callable[[str], None]


def write_report(
    report: MonitoringReport, out: Path, tr: Translator, progress: Progress
) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    tables = [pair for s in report.sections for pair in s.tables]
    pictures: dict[str, Path] = {}
    written: list[Path] = []
    for n, (table, shown) in enumerate(tables, start=1):
        progress(tr.tr(N_("Chart and table %(n)s of %(total)s"), n=n, total=len(tables)))
        pictures[table.key] = out / f"{table.key}.png"
        charts.draw(table, shown, pictures[table.key], report.language)
        tables_output.write_csv(table, shown, out / f"{table.key}.csv")
        written += [pictures[table.key], out / f"{table.key}.csv"]
    progress(tr.tr(N_("Spreadsheet")))
    tables_output.write_xlsx(tables, out / "report.xlsx", report.last)
    progress(tr.tr(N_("Web page")))
    html_output.write_html(report, pictures, tr, out / "report.html")
    progress(tr.tr(N_("PDF document")))
    pdf_output.write_pdf(report, pictures, tr, out / "report.pdf")
    return [*written, out / "report.xlsx", out / "report.html", out / "report.pdf"]
