"""What a conversation's saved state may hold: the names of its steps and the keys of its data.

Every step the code can go to is named here, so mypy rejects `turn.go("bookng")`, the engine
refuses to start if a step is registered under a name not listed (or a listed name has no
step), and tests/test_steps.py checks every step name written in bot/flows/ against the list.
A name stored before an upgrade removed its step is still handled: see Engine.step.
"""

from __future__ import annotations

from typing import Literal, NewType, TypedDict, get_args

from bot.domain import JSON

StepName = Literal[
    "start",
    "language",
    "notice",
    "refused",
    "summary",
    "change",
    "booking",
    "pick_day",
    "pick_time",
    "appointment",
    "cancel_confirm",
    "no_slots",
    "waiting",
    "offer",
    "confirm_check",
    "survey",
    "noshow",
    "ws_card",
    "ws_list",
    "staff_home",
    "st:title",
    "st:description",
    "st:when",
    "st:duration",
    "st:place",
    "st:capacity",
    "st:goals",
    "st:ages",
    "st:text",
    "st:preview",
    "st:confirm",
    "resume",
    "restart_confirm",
    "erase_confirm",
    "announcements",
    "fu_consent",
    "fu_working",
    "fu_contract",
    "fu_company",
    "proposal",
]
STEP_NAMES: frozenset[str] = frozenset(get_args(StepName))

QUESTION_PREFIX = "q:"
QuestionStepName = NewType("QuestionStepName", str)
"""The step asking one intake question: "q:" and the question's id (bot/flows/intake.py)."""

Destination = StepName | QuestionStepName
"""Where turn.go() may send a conversation."""


def question_step(question_id: str) -> QuestionStepName:
    return QuestionStepName(QUESTION_PREFIX + question_id)


def is_question_step(name: str) -> bool:
    return name.startswith(QUESTION_PREFIX)


class ConversationData(TypedDict, total=False):
    """What steps keep in the conversation's `data` between messages.

    A stored conversation is JSON written by an older version too: the steps still check
    the type of what they read (a missing key, a number where a text was)."""

    return_to: str  # the step a dialog returns to (a stored name: checked when used)
    after_notice: str  # a workshop code from a poster's QR code, shown once the notice is read
    workshop: str  # the workshop code of the card shown
    booking: int  # the booking an offer, a confirmation check or a survey is about
    page: int  # the page of days shown when picking a day
    mode: Literal["new", "move"]  # booking a new appointment, or moving the one booked
    day: str  # the ISO day picked, whose times are shown
    selected: list[str]  # the options ticked so far in a multiple-choice question
    draft: dict[str, JSON]  # the workshop or announcement staff are writing
    months: int  # the follow-up being asked: 3, 6 or 12 months after the meeting
    proposal: int  # the proposal shown


DATA_KEYS: frozenset[str] = frozenset(ConversationData.__annotations__)
