"""report.pdf with reportlab: A4, a cover with the Comune and the period, a table of contents,
then for each section its text and, for each table, its chart and the table itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    Image,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

from bot.capabilities.monitoring import MonitoringReport
from bot.i18n import Translator
from bot.monitoring import figures, wording
from bot.monitoring.charts import number
from bot.monitoring.suppression import Shown

STYLES = getSampleStyleSheet()
CELL = ParagraphStyle("cell", parent=STYLES["BodyText"], fontSize=6.5, leading=8)
HEAD = ParagraphStyle("head", parent=CELL, fontName="Helvetica-Bold")
H1, H2, BODY = STYLES["Heading1"], STYLES["Heading2"], STYLES["BodyText"]
PERIOD = ParagraphStyle("period", parent=H2, alignment=1)
WIDTH = A4[0] - 36 * mm


class Document(BaseDocTemplate):  # type: ignore[misc]
    """Feeds the headings to the table of contents as they are laid out."""

    def __init__(self, path: Path, **kwargs: Any) -> None:
        super().__init__(str(path), pagesize=A4, invariant=1, **kwargs)
        frame = Frame(18 * mm, 18 * mm, WIDTH, A4[1] - 36 * mm, id="body")
        self.addPageTemplates([PageTemplate("page", [frame], onPage=self._footer)])

    def afterFlowable(self, flowable: Any) -> None:
        if isinstance(flowable, Paragraph) and flowable.style.name in ("Heading1", "Heading2"):
            level = 0 if flowable.style.name == "Heading1" else 1
            self.notify("TOCEntry", (level, flowable.getPlainText(), self.page))

    @staticmethod
    def _footer(canvas: Any, doc: Any) -> None:
        if doc.page > 1:
            canvas.setFont("Helvetica", 7)
            canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, str(doc.page))


def table_flowable(table: figures.Table, shown: Shown, language: str) -> Table:
    header = [Paragraph(escape(c), HEAD) for c in [table.row_header, *table.columns]]
    body = [
        [Paragraph(escape(row.label), CELL), *(number(v, language) for v in values)]
        for row, values in zip(table.rows, shown, strict=True)
    ]
    label_width = 42 * mm if len(table.columns) > 4 else 60 * mm
    width = (WIDTH - label_width) / len(table.columns)
    flowable = Table([header, *body], colWidths=[label_width] + [width] * len(table.columns))
    style = [
        ("FONTSIZE", (0, 0), (-1, -1), 6.5),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
        ("GRID", (0, 0), (-1, -1), 0.2, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
    ]
    if table.total:
        style.append(("FONTNAME", (1, -1), (-1, -1), "Helvetica-Bold"))
    flowable.setStyle(TableStyle(style))
    return flowable


def cover(report: MonitoringReport, tr: Translator) -> list[Any]:
    big = ParagraphStyle("cover", parent=STYLES["Title"], fontSize=26, leading=32)
    return [
        Spacer(1, 60 * mm),
        Paragraph(escape(report.comune), STYLES["Title"]),
        Paragraph(escape(tr.tr(wording.TITLE)), big),
        Paragraph(
            escape(tr.tr(wording.SUBTITLE)),
            ParagraphStyle("sub", parent=STYLES["Heading3"], alignment=1),
        ),
        Spacer(1, 12 * mm),
        Paragraph(escape(wording.period_text(tr, report)), PERIOD),
        PageBreak(),
    ]


def write_pdf(
    report: MonitoringReport, charts: dict[str, Path], tr: Translator, path: Path
) -> None:
    contents = TableOfContents()
    # No space before the entries (BodyText has some), and tight lines: the contents of eight
    # sections and 28 tables stay on one page.
    contents.levelStyles = [
        ParagraphStyle("toc1", parent=BODY, fontSize=10, leading=12, spaceBefore=3),
        ParagraphStyle("toc2", parent=BODY, fontSize=8, leading=9.5, leftIndent=12, spaceBefore=0),
    ]
    story: list[Any] = cover(report, tr)
    story += [Paragraph(escape(tr.tr(wording.CONTENTS)), STYLES["Title"]), contents, PageBreak()]
    story += [
        Paragraph(escape(tr.tr(wording.METHOD_TITLE)), H1),
        Paragraph(escape(tr.tr(wording.METHOD)), BODY),
    ]
    for section in report.sections:
        story += [PageBreak(), Paragraph(escape(section.title), H1)]
        story.append(Paragraph(escape(section.text), BODY))
        for table, shown in section.tables:
            chart = Image(str(charts[table.key]), width=WIDTH, height=WIDTH * 3.6 / 8)
            heading = Paragraph(escape(table.title), H2)
            story.append(KeepTogether([heading, chart, Spacer(1, 3 * mm)]))
            story.append(table_flowable(table, shown, report.language))
    title = f"{tr.tr(wording.TITLE)} - {report.comune}"
    Document(path, title=title, author=report.comune).multiBuild(story)
