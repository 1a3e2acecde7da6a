"""The report's outcomes: what people said at the follow-ups 3, 6 and 12 months after their
first meeting (self-declared, not an operator's record), one table per horizon, always with
how many were asked and how many answered. Counted by bot/capabilities/report_counts.py when
a question goes out and when its last answer comes, so erasure keeps them."""

from __future__ import annotations

from bot.capabilities import report_counts as rc
from bot.i18n import N_, Translator
from bot.monitoring.figures import Data, Table, events_by_profile, profile_table, split_by_profile
from bot.placement import FOLLOWUP_MONTHS, ContractType, WorkStatus


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def followup_table(tr: Translator, data: Data, months: int) -> Table:
    from bot.flows.path_labels import CONTRACTS, WORK_STATUSES

    statuses = list(WorkStatus)
    rows = [
        (rc.followup(months, "asked"), N_("Asked")),
        (rc.followup(months, "answered"), N_("Answered")),
        *((rc.followup(months, s.value), WORK_STATUSES[s]) for s in statuses),
        *((rc.followup_contract(months, c), CONTRACTS[c]) for c in ContractType),
        (rc.followup_contract(months, None), N_("contract not known")),
    ]
    counted = split_by_profile(tr, events_by_profile(data, rows), rows)
    employed = 2 + statuses.index(WorkStatus.EMPLOYED)
    for row in counted[2 : 2 + len(statuses)]:
        row.label = _capital(row.label)
    for row in counted[2 + len(statuses) :]:
        row.label = tr.tr(N_("of whom employed: %(contract)s"), contract=row.label)
    # The title's number picks its plural form here; profile_table's lookup of the
    # translated text finds no message and keeps it as it is.
    title = tr.trn(
        "Follow-up at %(months)d month: working or not, and the contract",
        "Follow-up at %(months)d months: working or not, and the contract",
        months,
        months=months,
    )
    table = profile_table(tr, f"outcomes_{months}_months", title, N_("Answer"), counted)
    # The work answers add up to those who answered; the contracts to those employed.
    table.row_sums = (
        (tuple(range(2, 2 + len(statuses))), 1),
        (tuple(range(2 + len(statuses), len(counted))), employed),
    )
    return table


def outcomes(tr: Translator, data: Data) -> list[Table]:
    return [followup_table(tr, data, months) for months in FOLLOWUP_MONTHS]
