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
class Headline:
    key: str
    title: str  # translated
    rows: list[tuple[str, str]]  # (label, the published value: a number or "<5")


# (headline key, title, the report's table, what to read: "row:KEY" for one row across its
# columns, or "column:KEY" for one column down its rows).
PICKS: tuple[tuple[str, str, str, str], ...] = (
    ("people", N_("People"), "activity_intakes", "row:total"),
    ("channels", N_("First contacts by channel"), "activity_contacts", "row:total"),
    ("appointments", N_("Appointments by state"), "activity_appointments", "column:all"),
    ("next_steps", N_("Next steps agreed at the meetings"), "activity_next_steps", "column:all"),
    ("workshops", N_("Workshops"), "activity_workshops", "row:total"),
    ("attendance", N_("Workshop seats and attendance"), "activity_seats", "column:all"),
    ("languages", N_("Language of the conversation"), "people_language", "column:all"),
)


def _pick(table: Table, shown: Shown, what: str, language: str) -> list[tuple[str, str]]:
    kind, key = what.split(":")
    if kind == "row":
        index = next(i for i, r in enumerate(table.rows) if r.key == key)
        return [(c, number(v, language)) for c, v in zip(table.columns, shown[index], strict=True)]
    column = table.column_keys.index(key)
    return [(r.label, number(v[column], language)) for r, v in zip(table.rows, shown, strict=True)]


def headlines(report: MonitoringReport, tr: Translator) -> list[Headline]:
    tables = {t.key: (t, s) for section in report.sections for t, s in section.tables}
    return [
        Headline(key, tr.tr(title), _pick(*tables[source], what, report.language))
        for key, title, source, what in PICKS
        if source in tables
    ]
