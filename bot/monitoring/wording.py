"""The report's own sentences, shared by the PDF and the HTML."""

from __future__ import annotations

from babel.dates import format_date

from bot.capabilities.monitoring import MonitoringReport
from bot.i18n import N_, Translator

TITLE = N_("Annual monitoring report")
SUBTITLE = N_('Sportello Lavoro, protocol "Lucca per il lavoro"')
CONTENTS = N_("Contents")
METHOD_TITLE = N_("How to read this report")
METHOD = N_(
    "All figures are counts of anonymous records kept when things happen, so people who later "
    "erased their data are still counted and no record leads back to a person. To protect "
    'privacy, a cell counting from 1 to 4 people is shown as "<5"; where a total would '
    "reveal such a cell, another cell is hidden too. The target groups overlap (a young woman "
    "is counted both among young people and among women); the lines of action follow what the "
    "person said they were looking for."
)


def period_text(tr: Translator, report: MonitoringReport) -> str:
    return tr.tr(
        N_("From %(first)s to %(last)s"),
        first=format_date(report.first, "long", locale=tr.language),
        last=format_date(report.last, "long", locale=tr.language),
    )
