"""The report's paths: the steps operators recorded, on the day each happened (a referral,
training started and completed, internships started and ended by reason, hires by contract,
self-employment), by profile. Counted by bot/capabilities/report_counts.py as they are
recorded, so erasure keeps them and a deleted or corrected step moves them back. The labels
carry ANPAL's codes, so the figures compare with the GOL programme's."""

from __future__ import annotations

from bot.capabilities import report_counts as rc
from bot.i18n import N_, Translator
from bot.monitoring.figures import (
    Data,
    Row,
    Table,
    events_by_profile,
    profile_table,
    split_by_profile,
    with_total,
)
from bot.placement import (
    CONTRACT_CODES,
    HIRE_OTHER_COMPANY,
    HIRE_SAME_COMPANY,
    INTERNSHIP_END_CODES,
    INTERNSHIP_STARTED,
    TRAINING_COMPLETED,
    ContractType,
    InternshipEnd,
)

ENDED = "path_internship_ended"
HIRED = "path_hire"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _coded(rows: list[Row], codes: dict[str, str]) -> list[Row]:
    for row in rows:
        if row.key in codes:
            row.label = f"{_capital(row.label)} ({codes[row.key]})"
    return rows


def _ends() -> list[tuple[str, str]]:
    from bot.flows.path_labels import INTERNSHIP_ENDS

    return [(rc.internship_ended(e), INTERNSHIP_ENDS[e]) for e in InternshipEnd]


def _contracts() -> list[tuple[str, str]]:
    from bot.flows.path_labels import CONTRACTS

    return [(rc.hired(c), CONTRACTS[c]) for c in ContractType]


def steps_table(tr: Translator, data: Data) -> Table:
    """Every kind of step in one table; internships ended and hires are the totals of the two
    tables after it."""
    ends = {key for key, _ in _ends()}
    hires = {key for key, _ in _contracts()}
    rows = [
        (rc.CPI_REFERRAL, N_("Referrals to the Centro per l'Impiego")),
        (rc.TRAINING_STARTED, N_("Training started")),
        (rc.TRAINING_COMPLETED, N_("Training completed")),
        (rc.INTERNSHIP_STARTED, N_("Internships started")),
        (ENDED, N_("Internships ended")),
        (HIRED, N_("Hires")),
        (rc.SELF_EMPLOYMENT, N_("Self-employment started")),
    ]
    counted = [
        (ENDED if e.event in ends else HIRED if e.event in hires else e.event, e.profile, e.count)
        for e in data.events
    ]
    codes = {
        rc.TRAINING_COMPLETED: TRAINING_COMPLETED,
        rc.INTERNSHIP_STARTED: INTERNSHIP_STARTED,
    }
    return profile_table(
        tr,
        "paths_steps",
        N_("Steps of the paths, on the day each happened"),
        N_("Step"),
        _coded(split_by_profile(tr, counted, rows), codes),
    )


def internship_ends_table(tr: Translator, data: Data) -> Table:
    ends = _ends()
    rows = with_total(tr, split_by_profile(tr, events_by_profile(data, ends), ends))
    codes = {rc.internship_ended(e): code for e, code in INTERNSHIP_END_CODES.items()}
    table = profile_table(
        tr,
        "paths_internship_ends",
        N_("Internships ended, by reason (ANPAL's end codes)"),
        N_("Reason"),
        _coded(rows, codes),
    )
    table.total = True
    return table


def hires_table(tr: Translator, data: Data) -> Table:
    contracts = _contracts()
    rows = with_total(tr, split_by_profile(tr, events_by_profile(data, contracts), contracts))
    generic = f"{HIRE_SAME_COMPANY}/{HIRE_OTHER_COMPANY}"
    codes = {rc.hired(c): code or generic for c, code in CONTRACT_CODES.items()}
    table = profile_table(
        tr,
        "paths_hires",
        N_("Hires, by contract (ANPAL's outcome codes)"),
        N_("Contract"),
        _coded(rows, codes),
    )
    table.total = True
    return table


def paths(tr: Translator, data: Data) -> list[Table]:
    return [steps_table(tr, data), internship_ends_table(tr, data), hires_table(tr, data)]
