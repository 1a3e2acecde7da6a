"""The headline figures of the Aggregates page: a few cells picked from the report's own
tables after suppression, so the page shows exactly what the report would ("<5" included)
and cannot be combined with it to work out a hidden cell."""

from __future__ import annotations

from dataclasses import dataclass

from bot.capabilities.monitoring import MonitoringReport
from bot.i18n import N_, Translator
from bot.monitoring.charts import number
from bot.monitoring.figures import Table
from bot.monitoring.suppression import Shown


@dataclass(frozen=True)
class Line:
    label: str
    text: str  # the published value: a number or "<5"
    share: int | None  # its bar, in percent of the largest shown part; None: no bar


@dataclass(frozen=True)
class Headline:
    key: str
    title: str  # translated
    lines: list[Line]

    @property
    def rows(self) -> list[tuple[str, str]]:
        return [(line.label, line.text) for line in self.lines]


# (headline key, title, the report's table, what to read: "row:KEY" for one row across its
# columns, or "column:KEY" for one column down its rows; whether its parts get bars: only
# parts of one whole, never workshops next to seats).
PICKS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("people", N_("People"), "activity_intakes", "row:total", False),
    ("channels", N_("First contacts by channel"), "activity_contacts", "row:total", True),
    ("appointments", N_("Appointments by state"), "activity_appointments", "column:all", True),
    (
        "next_steps",
        N_("Next steps agreed at the meetings"),
        "activity_next_steps",
        "column:all",
        True,
    ),
    ("workshops", N_("Workshops"), "activity_workshops", "row:total", False),
    ("attendance", N_("Workshop seats and attendance"), "activity_seats", "column:all", True),
    ("languages", N_("Language of the conversation"), "people_language", "column:all", True),
    ("companies", N_("Companies"), "companies_by_sector", "row:total", False),
    ("proposals", N_("Proposals"), "proposals_answers", "column:all", False),
    ("paths", N_("Paths"), "paths_steps", "column:all", False),
    ("hires", N_("Hires, by contract"), "paths_hires", "column:all", True),
)


def _pick(table: Table, shown: Shown, what: str, language: str, bars: bool) -> list[Line]:
    kind, key = what.split(":")
    if kind == "row":
        index = next(i for i, r in enumerate(table.rows) if r.key == key)
        totals = {table.row_total_column}
        cells = [
            (c, v, i in totals)
            for i, (c, v) in enumerate(zip(table.columns, shown[index], strict=True))
        ]
    else:
        column = table.column_keys.index(key)
        cells = [
            (r.label, v[column], r.key == "total") for r, v in zip(table.rows, shown, strict=True)
        ]
    # Bars only for the parts shown (a hidden cell has no bar at all, never one of its size).
    parts = [v for _, v, total in cells if v is not None and not total]
    top = max(parts, default=0) if bars else 0
    return [
        Line(
            label,
            number(value, language),
            None if value is None or total or not top else round(value * 100 / top),
        )
        for label, value, total in cells
    ]


def headlines(report: MonitoringReport, tr: Translator) -> list[Headline]:
    tables = {t.key: (t, s) for section in report.sections for t, s in section.tables}
    return [
        Headline(key, tr.tr(title), _pick(*tables[source], what, report.language, bars))
        for key, title, source, what, bars in PICKS
        if source in tables
    ]
