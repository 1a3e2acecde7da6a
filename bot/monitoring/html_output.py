"""report.html: the same sections, charts (the PNG files beside it) and tables as the PDF."""

from __future__ import annotations

from html import escape
from pathlib import Path

from bot.capabilities.monitoring import MonitoringReport
from bot.i18n import Translator
from bot.monitoring import figures, wording
from bot.monitoring.charts import number
from bot.monitoring.suppression import Shown

STYLE = (
    "body{font-family:sans-serif;max-width:60rem;margin:auto;padding:1rem}"
    "table{border-collapse:collapse;font-size:.8rem}th,td{border:1px solid #999;padding:.2rem .4rem}"
    "td{text-align:right}td:first-child{text-align:left}img{max-width:100%}"
)


def table_html(table: figures.Table, shown: Shown, language: str) -> str:
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in [table.row_header, *table.columns])
    rows = "".join(
        f'<tr><th scope="row">{escape(row.label)}</th>'
        + "".join(f"<td>{escape(number(v, language))}</td>" for v in values)
        + "</tr>"
        for row, values in zip(table.rows, shown, strict=True)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def write_html(
    report: MonitoringReport, charts: dict[str, Path], tr: Translator, path: Path
) -> None:
    title = escape(tr.tr(wording.TITLE))
    toc = "".join(f'<li><a href="#{s.key}">{escape(s.title)}</a></li>' for s in report.sections)
    parts = [
        f'<!DOCTYPE html><html lang="{report.language}"><head><meta charset="utf-8">'
        f"<title>{title} - {escape(report.comune)}</title><style>{STYLE}</style></head><body>",
        f"<header><p>{escape(report.comune)}</p><h1>{title}</h1>",
        f"<p>{escape(tr.tr(wording.SUBTITLE))}</p><p>{escape(wording.period_text(tr, report))}</p>",
        f"</header><nav><h2>{escape(tr.tr(wording.CONTENTS))}</h2><ol>{toc}</ol></nav>",
        f"<h2>{escape(tr.tr(wording.METHOD_TITLE))}</h2><p>{escape(tr.tr(wording.METHOD))}</p>",
    ]
    for section in report.sections:
        parts.append(f'<section id="{section.key}"><h2>{escape(section.title)}</h2>')
        parts.append(f"<p>{escape(section.text)}</p>")
        for table, shown in section.tables:
            image = charts[table.key].name
            parts.append(f"<h3>{escape(table.title)}</h3>")
            parts.append(f'<img src="{escape(image)}" alt="{escape(table.title)}">')
            parts.append(table_html(table, shown, report.language))
        parts.append("</section>")
    parts.append("</body></html>\n")
    path.write_text("\n".join(parts), encoding="utf-8")
