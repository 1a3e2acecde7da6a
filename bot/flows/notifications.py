"""Messages that reach a person later, through the outbox: each is rendered when it is sent,
in the person's language and against the appointment as it is then (a reminder for a moved or
cancelled appointment renders to nothing and is dropped). A message that asks something moves
the conversation to the step that handles the answer."""

from __future__ import annotations

from bot.capabilities.seats import open_for_answers
from bot.channels import Template
from bot.domain import Booking, OutboxItem
from bot.flows.base import Turn
from bot.flows.booking import link_line, operator_name
from bot.flows.workshop_card import where
from bot.i18n import N_

# Which approved WhatsApp template carries each kind of message outside the 24-hour window
# ([whatsapp.templates] in the settings). The satisfaction question has none on purpose.
TEMPLATE_KINDS = {
    "reminder": "reminder",
    "reminder_confirm": "reminder",
    "zoom_link": "appointment_changed",
    "waitlist_offer": "appointment_changed",
    "closure_notice": "appointment_changed",
    "noshow": "appointment_changed",
    "workshop_invitation": "workshop_invitation",
    "workshop_reminder": "reminder",
    "workshop_seat": "appointment_changed",
    "announcement": "announcement",
}
WORKSHOP_KINDS = ("workshop_invitation", "workshop_reminder", "workshop_seat")
RESEND = "resend"
"""The current question again, after the answers to the person's message failed to go out."""


async def render(turn: Turn, item: OutboxItem) -> None:
    if item.kind == RESEND:
        turn.say(
            turn.tr.tr(N_("Sorry, my last answer may not have reached you. Here it is again:"))
        )
        await turn.ask_again()
        return
    booking = await turn.tx.bookings.get(item.booking_id) if item.booking_id else None
    if booking is not None and booking.person_id != turn.person.id:
        return
    if item.kind in WORKSHOP_KINDS or item.kind == "announcement":
        await render_workshop_message(turn, item)
        return
    template_kind = TEMPLATE_KINDS.get(item.kind)
    if template_kind is not None:
        turn.template = Template(template_kind, template_values(turn, booking))
    kind = item.kind
    if kind == "waitlist_offer":
        if booking is not None and booking.status == "held":
            await turn.go("offer", booking=booking.id, return_to=turn.interrupted_from())
    elif kind == "closure_notice":
        turn.say(
            turn.tr.tr(
                N_(
                    "The desk will be closed on the day of your appointment, so I had to cancel it. I'm sorry!"
                )
            )
        )
        await turn.go("booking")
    elif booking is None or not _current(booking, item):
        return
    elif kind == "zoom_link":
        turn.say(
            turn.tr.tr(
                N_("Here is the link for your video meeting of %(when)s:"),
                when=turn.tr.appointment(booking.starts_at),
            )
            + "\n"
            + link_line(turn, booking)
        )
    elif kind == "reminder_confirm":
        await turn.go("confirm_check", booking=booking.id, return_to=turn.interrupted_from())
    elif kind == "reminder":
        turn.say(
            turn.tr.tr(
                N_("⏰ Your video meeting with %(operator)s starts at %(time)s."),
                operator=operator_name(turn, booking),
                time=turn.tr.clock_time(booking.starts_at),
            )
            + "\n"
            + link_line(turn, booking)
        )
    elif kind == "noshow":
        await turn.go("noshow")
    elif kind == "survey":
        await turn.go("survey", booking=booking.id, return_to=turn.interrupted_from())


def _current(booking: Booking, item: OutboxItem) -> bool:
    """The appointment is still the one the message was planned for."""
    if item.kind in ("noshow", "survey"):
        return booking.status in ("no_show", "attended")
    if booking.status != "booked":
        return False
    planned = item.payload.get("sequence")
    return planned is None or planned == booking.sequence


def template_values(turn: Turn, booking: Booking | None) -> dict[str, str]:
    """{{1}} the person's name, {{2}} the appointment in words, {{3}} the Zoom link."""
    name = turn.answers.get("name")
    return {
        "1": name if isinstance(name, str) else "",
        "2": turn.tr.appointment(booking.starts_at) if booking else "",
        "3": (booking.join_url or "") if booking else "",
    }


async def render_workshop_message(turn: Turn, item: OutboxItem) -> None:
    name = turn.answers.get("name")
    first = name if isinstance(name, str) else ""
    if item.kind == "announcement":
        broadcast = await turn.tx.broadcasts.get(item.broadcast_id) if item.broadcast_id else None
        if broadcast is not None and broadcast.text:
            turn.say(f"📣 {broadcast.text}")
            turn.template = Template("announcement", {"1": first, "2": broadcast.text})
        return
    workshop = await turn.tx.workshops.get(item.workshop_id) if item.workshop_id else None
    if workshop is None or not open_for_answers(workshop, turn.now):
        return
    registration = await turn.tx.registrations.get(workshop.id, turn.person.id)
    values = {"1": first, "2": workshop.title, "3": turn.tr.appointment(workshop.starts_at)}
    turn.template = Template(TEMPLATE_KINDS[item.kind], values)
    if item.kind == "workshop_invitation":
        await turn.go("ws_card", workshop=workshop.code, return_to=turn.interrupted_from())
    elif registration is None or registration.seat is None:
        return
    elif item.kind == "workshop_seat":
        turn.say(
            turn.tr.tr(
                N_("Good news: a seat has freed up and it is yours. See you at %(title)s!"),
                title=workshop.title,
            )
        )
    else:
        turn.say(
            turn.tr.tr(
                N_("⏰ Reminder: %(title)s, %(when)s."),
                title=workshop.title,
                when=turn.tr.appointment(workshop.starts_at),
            )
            + "\n"
            + where(turn, workshop)
        )
