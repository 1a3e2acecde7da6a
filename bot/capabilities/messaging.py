"""Messaging: everything that reaches someone later, through the outbox.

The one place that plans outbox rows (`plan`), says who each kind of row is for and which
approved WhatsApp template carries it, keeps the renderers' registry, records what the
providers report, and decides, for WhatsApp, between free text inside the 24-hour window, a
template outside it (within the daily cap) and not sending at all. The channel adapters ask
and render; they decide nothing. Works inside the caller's transaction, so a change and the
messages it causes are committed together."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Generic, TypedDict, TypeVar, Unpack

from bot.channels import TEMPLATE_FALLBACK, Template
from bot.clock import ROME
from bot.domain import JSON, Channel, OutboxKind
from storage.reply_repos import ReplyDue
from storage.session import Session

K = OutboxKind


class Recipient(StrEnum):
    """Who an outbox row is for, hence who renders it."""

    PERSON = "person"  # bot/flows/notifications.py, as a turn of their conversation
    OPERATOR = "operator"  # bot/flows/operators.py, on Telegram
    ZOOM = "zoom"  # a task for Zoom's API, run by the dispatcher, never rendered


_OPERATOR_KINDS = {K.DIGEST, K.OPERATOR_NOTICE, K.OUTCOME_PROMPT}
_ZOOM_KINDS = {K.ZOOM_CREATE, K.ZOOM_UPDATE, K.ZOOM_DELETE}
RECIPIENTS: dict[OutboxKind, Recipient] = {
    kind: Recipient.OPERATOR
    if kind in _OPERATOR_KINDS
    else Recipient.ZOOM
    if kind in _ZOOM_KINDS
    else Recipient.PERSON
    for kind in OutboxKind
}
ZOOM_TASKS = frozenset(_ZOOM_KINDS)

REMINDER_KINDS = (K.REMINDER, K.REMINDER_CONFIRM)
APPOINTMENT_KINDS = (*REMINDER_KINDS, K.OUTCOME_PROMPT, K.ZOOM_LINK)
"""What a booked appointment plans and a move or cancellation drops."""
WORKSHOP_KINDS = (K.WORKSHOP_INVITATION, K.WORKSHOP_REMINDER, K.WORKSHOP_SEAT)

# Which approved WhatsApp template ([whatsapp.templates] in the settings) carries each kind
# outside the 24-hour window. The satisfaction question and the resend have none on purpose.
TEMPLATES: dict[OutboxKind, str] = {
    K.REMINDER: "reminder",
    K.REMINDER_CONFIRM: "reminder",
    K.ZOOM_LINK: "appointment_changed",
    K.WAITLIST_OFFER: "appointment_changed",
    K.CLOSURE_NOTICE: "appointment_changed",
    K.NOSHOW: "appointment_changed",
    K.WORKSHOP_INVITATION: "workshop_invitation",
    K.WORKSHOP_REMINDER: "reminder",
    K.WORKSHOP_SEAT: "appointment_changed",
    K.ANNOUNCEMENT: "announcement",
    K.FOLLOWUP: "followup",
    K.PROPOSAL: "proposal",
}

RESEND_AFTER = timedelta(seconds=30)
"""How soon answers that could not be sent, or were never marked delivered (the process died
before sending them), are tried again as the current question."""
RESEND_WITHIN = timedelta(hours=2)
"""After this the person has moved on; they get the question when they next write."""

WINDOW = timedelta(hours=24)
# A message must reach Twilio before the window closes; a little margin covers the queue.
WINDOW_MARGIN = timedelta(minutes=5)
# Past the day's cap, templates wait for the next day (Rome) and a few minutes more.
AFTER_MIDNIGHT = timedelta(minutes=5)

R = TypeVar("R")


class Renderers(Generic[R]):
    """The registry of how each kind is rendered for one recipient, filled by decorating
    each renderer with `@renderers(kind, ...)`: one renderer a kind, and only for kinds
    that recipient receives."""

    def __init__(self, recipient: Recipient) -> None:
        self.recipient = recipient
        self.by_kind: dict[OutboxKind, R] = {}

    def __call__(self, *kinds: OutboxKind) -> _Register[R]:
        for kind in kinds:
            if RECIPIENTS[kind] is not self.recipient:
                raise ValueError(f"{kind} is for the {RECIPIENTS[kind]}, not {self.recipient}")
            if kind in self.by_kind:
                raise ValueError(f"{kind} has a renderer already")
        return _Register(self, kinds)

    def get(self, kind: OutboxKind) -> R | None:
        return self.by_kind.get(kind)


class _Register(Generic[R]):
    def __init__(self, renderers: Renderers[R], kinds: tuple[OutboxKind, ...]) -> None:
        self.renderers = renderers
        self.kinds = kinds

    def __call__(self, renderer: R) -> R:
        for kind in self.kinds:
            self.renderers.by_kind[kind] = renderer
        return renderer


class Links(TypedDict, total=False):
    """Whom and what an outbox row is about; `not_after`: past it the row means nothing."""

    person_id: int
    operator_id: str
    booking_id: int
    payload: dict[str, JSON]
    not_after: datetime | None
    broadcast_id: int
    workshop_id: int | None


async def plan(
    tx: Session, kind: OutboxKind, due_at: datetime, now: datetime, **links: Unpack[Links]
) -> None:
    """One message (or Zoom task) to go out at `due_at`: the one door to the outbox."""
    await tx.outbox.add(kind, due_at, now, **links)


async def resend_undelivered(
    tx: Session, channel: Channel, external_id: str, now: datetime
) -> bool:
    """The answers to a person's message did not go out: their current question is sent
    again shortly, through the outbox, which retries with backoff. At most one such row is
    pending per person; False when none was planned (unknown person, or one is pending)."""
    person = await tx.people.by_identity(channel, external_id)
    if person is None or await tx.outbox.pending_for(person.id, K.RESEND):
        return False
    await plan(
        tx,
        K.RESEND,
        now + RESEND_AFTER,
        now,
        person_id=person.id,
        not_after=now + RESEND_WITHIN,
    )
    return True


async def plan_reply_due(tx: Session, person_id: int, event_key: str, now: datetime) -> ReplyDue:
    """The answers to a platform's event are due: unless they are marked delivered, the
    current question goes out again (the process may die between the commit and the send,
    and the platform's retry is then skipped as a duplicate)."""
    return await tx.replies_due.plan(
        person_id, event_key, now + RESEND_AFTER, now + RESEND_WITHIN, now
    )


async def answers_delivered(tx: Session, marks: Collection[ReplyDue]) -> int:
    """The platform took these answers: their reply-due rows are not needed; how many went."""
    return await tx.replies_due.delivered(marks)


async def record_sent(
    tx: Session,
    channel: Channel,
    provider_id: str,
    outbox_id: int | None,
    now: datetime,
    *,
    template: bool,
) -> None:
    """A message the provider accepted, so its status reports find their outbox row; a
    template counts against the day's cap."""
    await tx.deliveries.add(provider_id, channel, outbox_id, "queued", now, template=template)


async def record_report(
    tx: Session,
    provider_id: str,
    status: str,
    code: str | None,
    meaning: str | None,
    now: datetime,
) -> bool:
    """A provider's report on a message we sent moves its outbox row (delivered, read,
    failed with the reason); False if we never recorded sending it."""
    record = await tx.deliveries.update(provider_id, status, code, now)
    if record is None:
        return False
    if record.outbox_id is not None:
        error = f"{code}: {meaning or 'see the provider'}" if code else None
        await tx.outbox.reported(record.outbox_id, status, error)
    return True


class Route(StrEnum):
    """How a message can reach a WhatsApp number now."""

    FREE_TEXT = "free_text"  # inside the 24-hour window
    TEMPLATE = "template"  # outside it, through the kind's approved template
    NO_TEMPLATE = "no_template"  # outside it, and no template for this kind: not sent
    OVER_CAP = "over_cap"  # outside it, and the day's templates are used up: wait


@dataclass(frozen=True)
class WhatsAppRoute:
    route: Route
    content_sid: str | None = None  # the template's, for Route.TEMPLATE
    retry_after: float = 0.0  # seconds, for Route.OVER_CAP
    template_kind: str | None = None  # for Route.NO_TEMPLATE: which was asked for
    language: str | None = None  # for Route.TEMPLATE: the template's language


def window_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    """Free text is allowed: the person wrote within 24 hours (less the margin)."""
    return last_inbound_at is not None and now - last_inbound_at < WINDOW - WINDOW_MARGIN


async def whatsapp_route(
    tx: Session,
    external_id: str,
    template: Template | None,
    templates: Mapping[str, Mapping[str, str]],
    daily_cap: int,
    now: datetime,
) -> WhatsAppRoute:
    """Free text, the template (`templates`: kind -> language -> content SID), or why not."""
    identity = await tx.people.identity(Channel.WHATSAPP, external_id)
    if window_open(identity.last_inbound_at if identity else None, now):
        return WhatsAppRoute(Route.FREE_TEXT)
    found = template_sid(templates, template) if template else None
    if template is None or found is None:
        return WhatsAppRoute(Route.NO_TEMPLATE, template_kind=template.kind if template else None)
    language, content_sid = found
    today = datetime.combine(now.astimezone(ROME).date(), time(0), tzinfo=ROME)
    if await tx.deliveries.templates_since(Channel.WHATSAPP, today) >= daily_cap:
        tomorrow = today + timedelta(days=1) + AFTER_MIDNIGHT
        return WhatsAppRoute(Route.OVER_CAP, retry_after=(tomorrow - now).total_seconds())
    return WhatsAppRoute(Route.TEMPLATE, content_sid=content_sid, language=language)


def template_sid(
    templates: Mapping[str, Mapping[str, str]], template: Template
) -> tuple[str, str] | None:
    """(language, content SID) of the approved template for a message: the one in the
    person's language; else the Italian one (every template is approved in Italian first,
    and the desk speaks Italian), filled with the values said in Italian; else none."""
    sids = templates.get(template.kind, {})
    for language in (template.language, TEMPLATE_FALLBACK):
        if language in sids:
            return language, sids[language]
    return None
