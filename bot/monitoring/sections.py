"""The report's sections, in order: each is one small unit (a title, a short text, the tables
it counts), so a later section (companies, paths, outcomes, skills gap) is one more entry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.i18n import N_, Translator
from bot.monitoring import figures
from bot.monitoring.companies_table import companies
from bot.monitoring.figures import Data, Table
from bot.monitoring.followup_table import outcomes
from bot.monitoring.next_steps_table import activity_with_next_steps
from bot.monitoring.paths_table import paths
from bot.monitoring.proposals_table import proposals
from bot.monitoring.skills_gap_table import skills_gap


@dataclass(frozen=True)
class Section:
    key: str
    title: str  # message ids
    text: str
    tables: Callable[[Translator, Data], list[Table]]


SECTIONS: tuple[Section, ...] = (
    Section(
        "activity",
        N_("Activity"),
        N_(
            "What the desk did in the period: the people who wrote to the bot, the intakes, "
            "the appointments, their outcome and the next step agreed, how long people waited "
            "for their first meeting, the waiting list and the workshops."
        ),
        activity_with_next_steps,
    ),
    Section(
        "people",
        N_("Who came"),
        N_(
            "The profile of the people who completed the intake in the period, from their own "
            "answers. A question someone skipped, or was not asked, is counted apart."
        ),
        figures.people,
    ),
    Section(
        "companies",
        N_("Companies"),
        N_(
            "The companies the desk met on scouting visits in the period, and the job profiles "
            "opened in the period with their openings (as they stand when the report is made), "
            "by the company's sector. These are companies, not people: no cell is hidden."
        ),
        companies,
    ),
    Section(
        "proposals",
        N_("Proposals"),
        N_(
            "The people an operator proposed for a company's job profile, with a written "
            "reason, and how people answered in the chat. Nothing is sent to a company unless "
            "the person is interested. Proposals are counted on the day they were made, "
            "answers on the day they were given; a changed answer counts once, as it stands."
        ),
        proposals,
    ),
    Section(
        "paths",
        N_("Paths"),
        N_(
            "The steps of people's paths that the operators recorded, each counted on the day "
            "it happened: referrals to the Centro per l'Impiego, training, internships "
            "(tirocini) and how they ended, hires by contract and self-employment. The codes "
            "in brackets are those of ANPAL's data dictionaries, so these figures compare with "
            "the GOL programme's reports."
        ),
        paths,
    ),
    Section(
        "outcomes",
        N_("Outcomes"),
        N_(
            "What people said themselves when the bot asked them, 3, 6 and 12 months after "
            "their first meeting, if they had agreed to be asked: these are self-declared "
            "outcomes, not checked records. Each table shows how many were asked in the period "
            "and how many answered all the questions in it (n)."
        ),
        outcomes,
    ),
    Section(
        "skills_gap",
        N_("The skills gap"),
        N_(
            "The skills that the companies' open job profiles ask for, next to how many people "
            "say they have them: where they fall short, a training path can close the gap. It "
            "is as things stand when the report is made (the profiles open then, the people "
            "with a confirmed intake then), not a count over the period."
        ),
        skills_gap,
    ),
    Section(
        "satisfaction",
        N_("Satisfaction"),
        N_(
            "After each meeting the bot asks how useful it was, from 1 (not at all) to 5 "
            "(very). Answering is optional."
        ),
        figures.satisfaction,
    ),
)
