"""Every step of the conversation, in one table the engine looks names up in, checked when
the engine starts; and the step that answers a stored name this version no longer has."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from bot.domain import Option
from bot.flows import intake
from bot.flows.base import DIALOGS, Said, Step, Turn
from bot.flows.booking import (
    AppointmentStep,
    BookingStep,
    CancelConfirmStep,
    PickDayStep,
    PickTimeStep,
)
from bot.flows.followup import (
    ConfirmCheckStep,
    NoShowStep,
    NoSlotsStep,
    OfferStep,
    SurveyStep,
    WaitingStep,
)
from bot.flows.outcome_questions import (
    FollowUpCompanyStep,
    FollowUpConsentStep,
    FollowUpContractStep,
    FollowUpWorkingStep,
)
from bot.flows.privacy import AnnouncementsStep, EraseConfirmStep, NoticeStep, RefusedStep
from bot.flows.proposal_step import ProposalStep
from bot.flows.staff_dialogs import STAFF_STEPS
from bot.flows.state import STEP_NAMES
from bot.flows.welcome import LanguageStep, RestartConfirmStep, ResumeStep, StartStep, begin
from bot.flows.workshop_card import WorkshopCardStep, WorkshopListStep
from bot.i18n import N_

log = logging.getLogger(__name__)

STEPS: tuple[Step, ...] = (
    StartStep(),
    LanguageStep(),
    NoticeStep(),
    RefusedStep(),
    intake.SummaryStep(),
    intake.ChangeStep(),
    BookingStep(),
    PickDayStep(),
    PickTimeStep(),
    AppointmentStep(),
    CancelConfirmStep(),
    NoSlotsStep(),
    WaitingStep(),
    OfferStep(),
    ConfirmCheckStep(),
    SurveyStep(),
    NoShowStep(),
    WorkshopCardStep(),
    WorkshopListStep(),
    *STAFF_STEPS,
    ResumeStep(),
    RestartConfirmStep(),
    EraseConfirmStep(),
    AnnouncementsStep(),
    FollowUpConsentStep(),
    FollowUpWorkingStep(),
    FollowUpContractStep(),
    FollowUpCompanyStep(),
    ProposalStep(),
)


def table(steps: Iterable[Step]) -> dict[str, Step]:
    """Name -> step. Raises ValueError, at start-up, if a step is registered twice or under
    a name bot/flows/state.py does not list, if a listed name has no step, or if a step or
    a dialog leads to a name that has none."""
    found: dict[str, Step] = {}
    problems = []
    for step in steps:
        if step.name in found:
            problems.append(f"two steps are named {step.name!r}")
        found[step.name] = step
        following = getattr(step, "following", None)
        if following is not None and following not in STEP_NAMES:
            problems.append(f"step {step.name!r} goes on to {following!r}, which has no step")
    problems += [f"step {name!r} is not in StepName" for name in found.keys() - STEP_NAMES]
    problems += [f"StepName {name!r} has no step" for name in STEP_NAMES - found.keys()]
    problems += [f"dialog {name!r} has no step" for name in DIALOGS - found.keys()]
    if problems:
        raise ValueError("the conversation's steps do not fit: " + "; ".join(sorted(problems)))
    return found


SAFE_NAME = re.compile(r"[^A-Za-z0-9_:.-]")


class LostStep:
    """Where a stored conversation stands at a step this version no longer has (an upgrade
    removed or renamed it): whatever the person sends, they hear why and carry on from the
    first thing they still have to do, with their answers kept."""

    name = "lost"

    def __init__(self, stored: str) -> None:
        self.stored = SAFE_NAME.sub("?", stored)[:40]

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        return ()

    async def ask(self, turn: Turn) -> None:
        await self._carry_on(turn)

    async def answer(self, turn: Turn, said: Said) -> None:
        await self._carry_on(turn)

    async def _carry_on(self, turn: Turn) -> None:
        # The step's name is ours, never the person's words.
        log.warning("a conversation was at the step %r, which no longer exists", self.stored)
        turn.data.pop("return_to", None)
        turn.say(
            turn.tr.tr(
                N_(
                    "I have been updated and the question we were at has changed. What you "
                    "told me is kept: let's carry on from here."
                )
            )
        )
        await begin(turn)
