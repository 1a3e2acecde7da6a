"""The report's sections, in order: each is one small unit (a title, a short text, the tables
it counts), so a later section (companies, paths, outcomes, skills gap) is one more entry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.i18n import N_, Translator
from bot.monitoring import figures
from bot.monitoring.figures import Data, Table
from bot.monitoring.next_steps_table import activity_with_next_steps
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
