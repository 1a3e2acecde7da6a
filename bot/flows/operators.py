"""What operators see and do, on Telegram: the day's appointments with each person's intake
summary and the Zoom start link, same-day changes, and the outcome after each meeting.

Operators have no conversation state: their buttons carry the booking and the choice
("0:o.<booking>.<outcome>"), and every tap is checked against the booking's operator.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.agenda import Agenda, local_day_bounds
from bot.capabilities import appointments
from bot.capabilities.appointments import Recorded
from bot.capabilities.messaging import Recipient, Renderers
from bot.capabilities.planning import Change
from bot.content import Content
from bot.domain import (
    Booking,
    BookingStatus,
    NextStep,
    Option,
    OutboxItem,
    OutboxKind,
    Outcome,
    Reply,
)
from bot.flows import intake
from bot.flows.questions import describe_answer
from bot.i18n import N_, Translator
from bot.slots import Operator
from storage.session import Session

OPERATOR_BUTTON = re.compile(r"^0:(o|n)\.(\d{1,12})\.([a-z_]{1,20})$")
OUTCOMES = {Outcome.ATTENDED: N_("✅ Attended"), Outcome.NO_SHOW: N_("🚫 Did not come")}
NEXT_STEPS = {
    NextStep.TRAINING: N_("Training path"),
    NextStep.INTERNSHIP: N_("Internship (tirocinio)"),
    NextStep.JOB_OFFER: N_("Job offer"),
    NextStep.SELF_EMPLOYMENT: N_("Self-employment path"),
    NextStep.CPI: N_("Referral to the Centro per l'Impiego"),
    NextStep.NONE: N_("No next step"),
}


@dataclass
class Desk:
    """One operator's view of the database, for one message."""

    tx: Session
    agenda: Agenda
    content: Content
    tr: Translator
    now: datetime
    operator: Operator


async def person_summary(desk: Desk, booking: Booking) -> str:
    """The lines of the intake an operator needs before the call."""
    tr = desk.tr
    if booking.person_id is None:
        return tr.tr(N_("(this person has erased their data)"))
    answers = await desk.tx.answers.all(booking.person_id)
    wanted = ("goal", "status", "duration", "education", "sectors", "italian", "expectations")
    lines = []
    for question in intake.script(answers, desk.content):
        if question.id in wanted or question.id.startswith("skills."):
            value = answers.get(question.id)
            if value not in (None, [], ""):
                described = describe_answer(question, value, tr, desk.content)
                lines.append(f"   {tr.tr(question.title)}: {described}")
    if answers.get("support") == "yes":
        lines.append("   " + tr.tr(N_("Asked to tell you something privately: ask on the call.")))
    return "\n".join(lines)


async def appointment_lines(desk: Desk, booking: Booking) -> str:
    tr = desk.tr
    name = None
    if booking.person_id is not None:
        name = (await desk.tx.answers.all(booking.person_id)).get("name")
    head = f"🕘 {tr.clock_time(booking.starts_at)} · {name if isinstance(name, str) else '—'}"
    link = booking.start_url or booking.join_url
    link_text = "   " + (
        tr.tr(N_("Start the meeting: %(url)s"), url=link)
        if link
        else tr.tr(N_("Zoom meeting not created yet."))
    )
    return "\n".join(x for x in (head, await person_summary(desk, booking), link_text) if x)


async def day_bookings(desk: Desk, moment: datetime) -> list[Booking]:
    """The operator's booked appointments on the day of `moment`."""
    start, end = local_day_bounds(moment)
    return [
        b
        for b in await desk.tx.bookings.between(start, end, (BookingStatus.BOOKED,))
        if b.operator_id == desk.operator.id
    ]


async def day_list(desk: Desk, moment: datetime) -> str:
    bookings = await day_bookings(desk, moment)
    header = desk.tr.tr(
        N_("Appointments of %(day)s for %(name)s:"),
        day=desk.tr.weekday(moment),
        name=desk.operator.first_name,
    )
    if not bookings:
        nothing = desk.tr.tr(N_("No appointments."))
        return f"{header}\n{nothing}"
    return "\n\n".join([header] + [await appointment_lines(desk, b) for b in bookings])


async def handle_text(desk: Desk, text: str) -> list[Reply]:
    command = text.strip().lstrip("/").split("@")[0].split(" ")[0].lower()
    if command in ("oggi", "today"):
        return [Reply(await day_list(desk, desk.now))]
    if command in ("domani", "tomorrow"):
        return [Reply(await day_list(desk, desk.now + timedelta(days=1)))]
    return [
        Reply(
            desk.tr.tr(
                N_(
                    "You are registered as an operator of the Sportello Lavoro.\n"
                    "/oggi – today's appointments\n/domani – tomorrow's appointments"
                )
            )
        )
    ]


async def handle_button(desk: Desk, data: str) -> list[Reply]:
    match = OPERATOR_BUTTON.match(data)
    booking = await desk.tx.bookings.get(int(match.group(2))) if match else None
    if match is None or booking is None:
        return [_not_valid(desk)]
    kind, choice = match.group(1), match.group(3)
    if kind == "o" and choice in OUTCOMES:
        return await _outcome(desk, booking, Outcome(choice))
    if kind == "n" and choice in NEXT_STEPS:
        step = NextStep(choice)
        recorded = await appointments.record_next_step(
            desk.tx, desk.operator.id, booking, step, desk.now
        )
        if recorded == Recorded.RECORDED:
            label = desk.tr.tr(NEXT_STEPS[step])
            return [Reply(desk.tr.tr(N_("Recorded: %(step)s. Thank you!"), step=label))]
    return [_not_valid(desk)]


def _not_valid(desk: Desk) -> Reply:
    return Reply(desk.tr.tr(N_("That button is not valid any more.")))


async def _outcome(desk: Desk, booking: Booking, outcome: Outcome) -> list[Reply]:
    recorded = await appointments.record_outcome(
        desk.tx, desk.operator.id, booking, outcome, desk.now
    )
    if recorded == Recorded.NOT_YOURS:
        return [_not_valid(desk)]
    if recorded == Recorded.NOT_STARTED:
        return [Reply(desk.tr.tr(N_("The outcome can be recorded once the meeting has started.")))]
    if outcome == Outcome.NO_SHOW:
        return [Reply(desk.tr.tr(N_("Recorded: did not come. I will offer them a new time.")))]
    return [
        Reply(
            desk.tr.tr(N_("Recorded: attended. What is the next step?")),
            options=tuple(
                Option(f"n.{booking.id}.{key}", desk.tr.tr(label))
                for key, label in NEXT_STEPS.items()
            ),
            seq=0,
        )
    ]


OperatorRenderer = Callable[[Desk, OutboxItem], Awaitable[list[Reply]]]
renders: Renderers[OperatorRenderer] = Renderers(Recipient.OPERATOR)


async def render(desk: Desk, item: OutboxItem) -> list[Reply]:
    """An outbox message for an operator, rendered now (see the registry in
    bot/capabilities/messaging.py)."""
    renderer = renders.get(item.kind)
    return await renderer(desk, item) if renderer is not None else []


@renders(OutboxKind.DIGEST)
async def _digest(desk: Desk, item: OutboxItem) -> list[Reply]:
    return [Reply(await day_list(desk, desk.now))]


async def _booking(desk: Desk, item: OutboxItem) -> Booking | None:
    return await desk.tx.bookings.get(item.booking_id) if item.booking_id else None


@renders(OutboxKind.OUTCOME_PROMPT)
async def _outcome_prompt(desk: Desk, item: OutboxItem) -> list[Reply]:
    booking = await _booking(desk, item)
    if booking is None or booking.status != BookingStatus.BOOKED:
        return []
    return [
        Reply(
            desk.tr.tr(
                N_("How did the meeting of %(time)s go?"),
                time=desk.tr.clock_time(booking.starts_at),
            )
            + "\n"
            + await appointment_lines(desk, booking),
            options=tuple(
                Option(f"o.{booking.id}.{key}", desk.tr.tr(label))
                for key, label in OUTCOMES.items()
            ),
            seq=0,
        )
    ]


@renders(OutboxKind.OPERATOR_NOTICE)
async def _notice(desk: Desk, item: OutboxItem) -> list[Reply]:
    booking = await _booking(desk, item)
    if booking is None:
        return []
    change = item.payload.get("change")
    starts = datetime.fromisoformat(
        str(item.payload.get("starts_at", booking.starts_at.isoformat()))
    )
    when = desk.tr.clock_time(starts)
    if change in (Change.CANCELLED, Change.MOVED_AWAY):
        return [
            Reply(
                desk.tr.tr(
                    N_("❌ Today's appointment at %(time)s has been cancelled or moved."), time=when
                )
            )
        ]
    return [
        Reply(
            desk.tr.tr(N_("🆕 New appointment today at %(time)s:"), time=when)
            + "\n"
            + await appointment_lines(desk, booking)
        )
    ]
