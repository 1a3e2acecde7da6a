"""Messages that reach a person later, through the outbox: each is rendered when it is sent,
in the person's language and against the appointment as it is then (a reminder for a moved or
cancelled appointment renders to nothing and is dropped). A message that asks something moves
the conversation to the step that handles the answer. Each kind has one renderer, registered
with `@renders(kind)` (the registry: bot/capabilities/messaging.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.capabilities.messaging import TEMPLATES, Recipient, Renderers
from bot.capabilities.seats import holds_seat, open_for_answers
from bot.channels import TEMPLATE_FALLBACK, Template
from bot.domain import Booking, BookingStatus, OutboxItem, OutboxKind, Registration, Workshop
from bot.flows.base import Turn
from bot.flows.booking import link_line, operator_name
from bot.flows.workshop_card import where
from bot.i18n import N_, Translator
from bot.languages import is_rtl

K = OutboxKind
PersonRenderer = Callable[[Turn, OutboxItem, Booking | None], Awaitable[None]]
renders: Renderers[PersonRenderer] = Renderers(Recipient.PERSON)


async def render(turn: Turn, item: OutboxItem) -> None:
    booking = await turn.tx.bookings.get(item.booking_id) if item.booking_id else None
    if booking is not None and booking.person_id != turn.person.id:
        return
    renderer = renders.get(item.kind)
    if renderer is not None:
        await renderer(turn, item, booking)


@renders(K.RESEND)
async def _resend(turn: Turn, item: OutboxItem, booking: Booking | None) -> None:
    """The current question again, after the answers to the person's message failed to go
    out (or were never marked delivered)."""
    await say_again(turn)


async def say_again(turn: Turn) -> None:
    """The current question again, saying why it comes twice."""
    turn.say(turn.tr.tr(N_("Sorry, my last answer may not have reached you. Here it is again:")))
    await turn.ask_again()


def _appointment_template(turn: Turn, item: OutboxItem, booking: Booking | None) -> None:
    """Outside WhatsApp's window: {{1}} the person's name, {{2}} the appointment in words,
    {{3}} the Zoom link."""
    kind = TEMPLATES.get(item.kind)
    if kind is None:
        return
    turn.template = template(
        turn,
        kind,
        lambda tr: {
            "1": first_name(turn),
            "2": tr.appointment(booking.starts_at) if booking else "",
            "3": (booking.join_url or "") if booking else "",
        },
    )


def template(turn: Turn, kind: str, values: Callable[[Translator], dict[str, str]]) -> Template:
    """The template's values in the person's language, and in Italian for the Italian
    template used where their language has none approved."""
    italian = turn.translators[TEMPLATE_FALLBACK]
    return Template(kind, values(turn.tr), turn.tr.language, values(italian))


def first_name(turn: Turn) -> str:
    name = turn.answers.get("name")
    return name if isinstance(name, str) else ""


def _current(booking: Booking | None, item: OutboxItem) -> Booking | None:
    """The appointment, if it is still the one the message was planned for."""
    if booking is None:
        return None
    if item.kind in (K.NOSHOW, K.SURVEY):
        done = booking.status in (BookingStatus.NO_SHOW, BookingStatus.ATTENDED)
        return booking if done else None
    if booking.status != BookingStatus.BOOKED:
        return None
    planned = item.payload.get("sequence")
    return booking if planned is None or planned == booking.sequence else None


@renders(K.WAITLIST_OFFER)
async def _offer(turn: Turn, item: OutboxItem, booking: Booking | None) -> None:
    _appointment_template(turn, item, booking)
    if booking is not None and booking.status == BookingStatus.HELD:
        await turn.go("offer", booking=booking.id, return_to=turn.interrupted_from())


@renders(K.CLOSURE_NOTICE)
async def _closure(turn: Turn, item: OutboxItem, booking: Booking | None) -> None:
    _appointment_template(turn, item, booking)
    if item.payload.get("reason") == "hours":  # the operator's hours changed
        text = N_(
            "The desk no longer opens at the time of your appointment, so I had to cancel it. I'm sorry!"
        )
    else:
        text = N_(
            "The desk will be closed on the day of your appointment, so I had to cancel it. I'm sorry!"
        )
    turn.say(turn.tr.tr(text))
    await turn.go("booking")


@renders(K.ZOOM_LINK)
async def _zoom_link(turn: Turn, item: OutboxItem, booking: Booking | None) -> None:
    _appointment_template(turn, item, booking)
    if (current := _current(booking, item)) is None:
        return
    turn.say(
        turn.tr.tr(
            N_("Here is the link for your video meeting of %(when)s:"),
            when=turn.tr.appointment(current.starts_at),
        )
        + "\n"
        + link_line(turn, current)
    )


@renders(K.REMINDER_CONFIRM)
async def _reminder_confirm(turn: Turn, item: OutboxItem, booking: Booking | None) -> None:
    _appointment_template(turn, item, booking)
    if (current := _current(booking, item)) is not None:
        await turn.go("confirm_check", booking=current.id, return_to=turn.interrupted_from())


@renders(K.REMINDER)
async def _reminder(turn: Turn, item: OutboxItem, booking: Booking | None) -> None:
    _appointment_template(turn, item, booking)
    if (current := _current(booking, item)) is None:
        return
    turn.say(
        turn.tr.tr(
            N_("⏰ Your video meeting with %(operator)s starts at %(time)s."),
            operator=operator_name(turn, current),
            time=turn.tr.clock_time(current.starts_at),
        )
        + "\n"
        + link_line(turn, current)
    )


@renders(K.NOSHOW)
async def _noshow(turn: Turn, item: OutboxItem, booking: Booking | None) -> None:
    _appointment_template(turn, item, booking)
    if _current(booking, item) is not None:
        await turn.go("noshow")


@renders(K.SURVEY)
async def _survey(turn: Turn, item: OutboxItem, booking: Booking | None) -> None:
    if (current := _current(booking, item)) is not None:
        await turn.go("survey", booking=current.id, return_to=turn.interrupted_from())


@renders(K.ANNOUNCEMENT)
async def _announcement(turn: Turn, item: OutboxItem, booking: Booking | None) -> None:
    broadcast = await turn.tx.broadcasts.get(item.broadcast_id) if item.broadcast_id else None
    if broadcast is not None and broadcast.text:
        text = broadcast.text  # written by the staff, the same in every template
        turn.say(
            # Right to left, the message must start with a word of the language.
            turn.tr.tr(N_("📣 Announcement: %(text)s"), text=text)
            if is_rtl(turn.tr.language)
            else f"📣 {text}"
        )
        turn.template = template(
            turn, TEMPLATES[K.ANNOUNCEMENT], lambda tr: {"1": first_name(turn), "2": text}
        )


async def _workshop(turn: Turn, item: OutboxItem) -> tuple[Workshop, Registration | None] | None:
    """The workshop, while it can still be answered, and the person's registration; sets
    the template: {{1}} the name, {{2}} the title, {{3}} when."""
    workshop = await turn.tx.workshops.get(item.workshop_id) if item.workshop_id else None
    if workshop is None or not open_for_answers(workshop, turn.now):
        return None
    turn.template = template(
        turn,
        TEMPLATES[item.kind],
        lambda tr: {
            "1": first_name(turn),
            "2": workshop.title,
            "3": tr.appointment(workshop.starts_at),
        },
    )
    return workshop, await turn.tx.registrations.get(workshop.id, turn.person.id)


@renders(K.WORKSHOP_INVITATION)
async def _invitation(turn: Turn, item: OutboxItem, booking: Booking | None) -> None:
    if (found := await _workshop(turn, item)) is not None:
        await turn.go("ws_card", workshop=found[0].code, return_to=turn.interrupted_from())


async def _seated(turn: Turn, item: OutboxItem) -> Workshop | None:
    """The workshop, if the person holds a seat at it and it can still be answered."""
    found = await _workshop(turn, item)
    return found[0] if found is not None and holds_seat(found[1]) else None


@renders(K.WORKSHOP_SEAT)
async def _seat(turn: Turn, item: OutboxItem, booking: Booking | None) -> None:
    if (workshop := await _seated(turn, item)) is None:
        return
    turn.say(
        turn.tr.tr(
            N_("Good news: a seat has freed up and it is yours. See you at %(title)s!"),
            title=workshop.title,
        )
    )


@renders(K.WORKSHOP_REMINDER)
async def _workshop_reminder(turn: Turn, item: OutboxItem, booking: Booking | None) -> None:
    if (workshop := await _seated(turn, item)) is None:
        return
    turn.say(
        turn.tr.tr(
            N_("⏰ Reminder: %(title)s, %(when)s."),
            title=workshop.title,
            when=turn.tr.appointment(workshop.starts_at),
        )
        + "\n"
        + where(turn, workshop)
    )
