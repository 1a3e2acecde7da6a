"""Domain objects shared by flows, channels and storage. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

JSON = Any


class Channel(StrEnum):
    CONSOLE = "console"
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"


class InboundKind(StrEnum):
    TEXT = "text"  # typed text, commands included ("/start ...")
    BUTTON = "button"  # a tapped option; `data` is client-controlled and never trusted
    MEDIA = "media"  # voice note, photo, sticker, document, location...: nothing we read
    EDIT = "edit"  # an edited earlier message
    OPEN = "open"  # the chat was opened (console start): show where the person stands


@dataclass(frozen=True)
class Inbound:
    """One thing a person did, already stripped of every platform detail."""

    channel: Channel
    external_id: str
    kind: InboundKind
    text: str = ""
    data: str = ""
    language_hint: str | None = None
    dedupe_key: str | None = None
    # The name the platform shows for the person (Telegram first name, WhatsApp ProfileName):
    # offered as an answer to "what should we call you?", never stored unless chosen.
    profile_name: str | None = None


@dataclass(frozen=True)
class Option:
    id: str
    label: str


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str


@dataclass(frozen=True)
class Reply:
    """One outbound message, already translated for its recipient.

    `seq` is set on a message whose options answer the current question: channels put it in
    the button data so that a button from an older message can be recognised as stale.
    `updates_question` asks channels that can edit messages to redraw the message whose button
    was tapped (a multi-select toggling a tick) instead of sending a new one.
    """

    text: str
    options: tuple[Option, ...] = ()
    seq: int | None = None
    updates_question: bool = False
    attachment: Attachment | None = None
    hint: str = ""  # how to answer, for channels that show options as numbered text
    rtl: bool = False  # written right to left (Arabic): one button per row


@dataclass
class Person:
    id: int
    created_at: datetime
    last_seen_at: datetime
    language: str | None = None
    source: str | None = None
    unreachable_at: datetime | None = None
    intake_confirmed_at: datetime | None = None


@dataclass
class Identity:
    channel: Channel
    external_id: str
    created_at: datetime
    last_inbound_at: datetime | None = None


@dataclass
class Consent:
    kind: str
    version: str
    granted: bool
    at: datetime


@dataclass
class Conversation:
    """Where a person is in the conversation. Saved after every message."""

    step: str
    seq: int = 0
    data: dict[str, JSON] = field(default_factory=dict)
    updated_at: datetime | None = None


@dataclass(frozen=True)
class IntakeStats:
    month: str
    channel: str
    residence: str | None
    age_band: str | None
    gender: str | None
    citizenship: str | None
    status: str | None
    duration: str | None
    education: str | None
    goal: str | None
    day: str | None = None  # YYYY-MM-DD in Europe/Rome, so a report can cover any period
    cpi: str | None = None
    language: str | None = None  # of the conversation, when the intake was confirmed


class BookingStatus(StrEnum):
    """The states an appointment row goes through (bookings.status, CHECKed in the schema)."""

    HELD = "held"  # a freed slot kept for someone from the waitlist until hold_expires_at
    BOOKED = "booked"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # a hold declined or not taken in time
    ATTENDED = "attended"
    NO_SHOW = "no_show"


ACTIVE_STATUSES = (BookingStatus.HELD, BookingStatus.BOOKED)
"""The states that occupy a slot (the partial unique index on (operator, start))."""


class MeetingMode(StrEnum):
    ROOM = "room"  # the operator's fixed personal Zoom room
    API = "api"  # a meeting created through Zoom's API for each appointment


class Outcome(StrEnum):
    """What the operator records after a meeting: one of the booking's final states."""

    ATTENDED = "attended"
    NO_SHOW = "no_show"


class NextStep(StrEnum):
    """The next step an operator records for someone who attended (bookings.next_step)."""

    TRAINING = "training"
    INTERNSHIP = "internship"
    JOB_OFFER = "job_offer"
    SELF_EMPLOYMENT = "self_employment"
    CPI = "cpi"
    NONE = "none"


@dataclass
class Booking:
    id: int
    person_id: int | None
    operator_id: str
    starts_at: datetime
    ends_at: datetime
    status: BookingStatus
    uid: str
    sequence: int
    meeting_mode: MeetingMode
    hold_expires_at: datetime | None = None
    zoom_meeting_id: str | None = None
    join_url: str | None = None
    start_url: str | None = None
    confirmed_at: datetime | None = None
    next_step: NextStep | None = None
    satisfaction: int | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class OutboxKind(StrEnum):
    """What an outbox row is; the schema CHECKs the same values. How each is rendered:
    bot/capabilities/messaging.py (RECIPIENTS) and the renderers it names."""

    # For a person, about their appointment
    REMINDER = "reminder"
    REMINDER_CONFIRM = "reminder_confirm"  # the reminder that asks "Confermi?"
    ZOOM_LINK = "zoom_link"
    WAITLIST_OFFER = "waitlist_offer"
    CLOSURE_NOTICE = "closure_notice"
    NOSHOW = "noshow"
    SURVEY = "survey"
    # For a person, about workshops and announcements
    WORKSHOP_INVITATION = "workshop_invitation"
    WORKSHOP_REMINDER = "workshop_reminder"
    WORKSHOP_SEAT = "workshop_seat"
    ANNOUNCEMENT = "announcement"
    # For a person: the current question again (answers undelivered, or a reply due)
    RESEND = "resend"
    # For an operator
    DIGEST = "digest"
    OPERATOR_NOTICE = "operator_notice"
    OUTCOME_PROMPT = "outcome_prompt"
    # For a person who agreed to it: "are you working now?" 3, 6 and 12 months on
    FOLLOWUP = "followup"
    # For a person: an operator proposed them for a company's job profile
    PROPOSAL = "proposal"
    # Tasks for Zoom, never rendered
    ZOOM_CREATE = "zoom_create"
    ZOOM_UPDATE = "zoom_update"
    ZOOM_DELETE = "zoom_delete"


class OutboxStatus(StrEnum):
    """Where an outbox row stands; the schema CHECKs the same values."""

    PENDING = "pending"
    SENDING = "sending"  # claimed, under a lease
    SENT = "sent"
    DELIVERED = "delivered"  # reported by the provider
    READ = "read"
    FAILED = "failed"
    DROPPED = "dropped"  # no longer meaningful, or nothing to send
    NO_TEMPLATE = "no_template"  # outside WhatsApp's window, no template for its kind


@dataclass
class OutboxItem:
    id: int
    kind: OutboxKind
    due_at: datetime
    person_id: int | None = None
    operator_id: str | None = None
    booking_id: int | None = None
    payload: dict[str, JSON] = field(default_factory=dict)
    not_after: datetime | None = None
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    last_error: str | None = None
    sent_at: datetime | None = None
    broadcast_id: int | None = None
    workshop_id: int | None = None


@dataclass(frozen=True)
class Audience:
    """Who a broadcast is for, among people who opted in: empty means "anyone"."""

    goals: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    def as_json(self) -> dict[str, JSON]:
        return {
            "goals": list(self.goals),
            "age_bands": list(self.age_bands),
            "sectors": list(self.sectors),
            "languages": list(self.languages),
        }

    @classmethod
    def from_json(cls, raw: dict[str, JSON]) -> Audience:
        def values(key: str) -> tuple[str, ...]:
            found = raw.get(key) or []
            return tuple(str(v) for v in found) if isinstance(found, list) else ()

        return cls(values("goals"), values("age_bands"), values("sectors"), values("languages"))


@dataclass
class Workshop:
    id: int
    code: str
    title: str
    description: str
    starts_at: datetime
    duration_minutes: int
    place: str | None
    online_url: str | None
    capacity: int
    audience: Audience
    created_by: str
    cancelled_at: datetime | None = None


class RegistrationStatus(StrEnum):
    """A person's place in a workshop; the schema CHECKs the same values."""

    REGISTERED = "registered"  # holds a numbered seat
    WAITING = "waiting"
    DECLINED = "declined"  # "I can't come"
    CANCELLED = "cancelled"  # gave the seat back
    ATTENDED = "attended"
    ABSENT = "absent"


class BroadcastKind(StrEnum):
    WORKSHOP = "workshop"
    ANNOUNCEMENT = "announcement"


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    SENDING = "sending"
    STOPPED = "stopped"
    DONE = "done"


class ReportFormat(StrEnum):
    """What the back-office's Report page makes (report_jobs.format)."""

    PDF = "pdf"
    HTML = "html"
    XLSX = "xlsx"
    CSV = "csv"


class ReportJobStatus(StrEnum):
    """A report being made in the background (report_jobs.status)."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass
class Registration:
    id: int
    workshop_id: int
    person_id: int
    status: RegistrationStatus
    seat: int | None


@dataclass
class Broadcast:
    id: int
    kind: BroadcastKind
    workshop_id: int | None
    text: str | None
    audience: Audience
    created_by: str
    created_at: datetime
    status: BroadcastStatus
    total: int
    progress_message_id: str | None = None
    progress_shown: str | None = None
    progress_chat: str | None = None
    """The chat its progress message goes to (the staff member's, on Telegram); None when
    started on the back-office, whose page shows it."""
