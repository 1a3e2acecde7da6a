"""Every step of the conversation, in one table the engine looks names up in."""

from __future__ import annotations

from bot.flows import intake
from bot.flows.base import Step
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
from bot.flows.privacy import AnnouncementsStep, EraseConfirmStep, NoticeStep, RefusedStep
from bot.flows.staff_dialogs import STAFF_STEPS
from bot.flows.welcome import LanguageStep, RestartConfirmStep, ResumeStep, StartStep
from bot.flows.workshop_card import WorkshopCardStep, WorkshopListStep

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
)
