"""The report's proposals: the people operators proposed for a company's job profile in the
period, and the answers given in the period (interested, not interested, objections), by
profile. Counted by bot/capabilities/report_counts.py as they happen, so erasure keeps them;
a changed answer moves from the old answer to the new one."""

from __future__ import annotations

from bot.capabilities import report_counts as rc
from bot.i18n import N_, Translator
from bot.monitoring.figures import Data, Table, events_by_profile, profile_table, split_by_profile
from bot.placement import ProposalAnswer


def proposals(tr: Translator, data: Data) -> list[Table]:
    rows = [
        (rc.PROPOSAL_MADE, N_("Proposals made")),
        (rc.proposal_answered(ProposalAnswer.INTERESTED), N_("Answered interested")),
        (rc.proposal_answered(ProposalAnswer.NOT_INTERESTED), N_("Answered not interested")),
        (rc.proposal_answered(ProposalAnswer.OBJECTED), N_("Objected")),
    ]
    return [
        profile_table(
            tr,
            "proposals_answers",
            N_("Proposals to companies and the people's answers"),
            N_("Proposals"),
            split_by_profile(tr, events_by_profile(data, rows), rows),
        )
    ]
