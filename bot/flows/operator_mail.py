"""Operators' morning digest and same-day changes by e-mail, beside or instead of Telegram.

The text is the Telegram one (bot/flows/operators.py), so both say the same in the same
words; each appointment's calendar file is attached. Which rows go by e-mail is
bot/capabilities/operator_email.py's call.
"""

from __future__ import annotations

from bot.agenda import Agenda
from bot.capabilities.planning import Change
from bot.clock import ROME, Clock
from bot.content import Content
from bot.domain import Attachment, Booking, OutboxItem
from bot.flows import operators
from bot.handlers.email_sender import EmailSender, Mail
from bot.i18n import N_, Translator
from bot.ics import appointment_ics
from storage.db import Database


class OperatorMailer:
    """Renders an operator row as an e-mail and sends it: the dispatcher's e-mail lane."""

    def __init__(
        self,
        db: Database,
        agenda: Agenda,
        content: Content,
        tr: Translator,
        clock: Clock,
        sender: EmailSender,
    ) -> None:
        self.db = db
        self.agenda = agenda
        self.content = content
        self.tr = tr
        self.clock = clock
        self.sender = sender

    async def render(self, item: OutboxItem) -> Mail | None:
        operator = self.agenda.operator(item.operator_id or "")
        if operator is None or operator.email is None:
            return None
        async with self.db.read() as tx:
            desk = operators.Desk(
                tx, self.agenda, self.content, self.tr, self.clock.now(), operator
            )
            replies = await operators.render(desk, item)
            if not replies:
                return None
            attachments = await self._calendar_files(desk, item)
        return Mail(
            to=operator.email,
            subject=self._subject(item),
            text="\n\n".join(reply.text for reply in replies),
            attachments=attachments,
        )

    def _subject(self, item: OutboxItem) -> str:
        if item.kind == "digest":
            return self.tr.tr(
                N_("Sportello Lavoro – appointments of %(day)s"),
                day=self.tr.weekday(self.clock.now()),
            )
        return self.tr.tr(N_("Sportello Lavoro – a change to today's appointments"))

    async def _calendar_files(
        self, desk: operators.Desk, item: OutboxItem
    ) -> tuple[Attachment, ...]:
        if item.kind == "digest":
            bookings = await operators.day_bookings(desk, desk.now)
            return tuple(self._calendar_file(desk, b, cancelled=False) for b in bookings)
        booking = await desk.tx.bookings.get(item.booking_id or 0)
        if booking is None:
            return ()
        gone = item.payload.get("change") in (Change.CANCELLED, Change.MOVED_AWAY)
        return (self._calendar_file(desk, booking, cancelled=gone),)

    def _calendar_file(
        self, desk: operators.Desk, booking: Booking, *, cancelled: bool
    ) -> Attachment:
        link = booking.start_url or booking.join_url
        content = appointment_ics(
            uid=booking.uid,
            sequence=booking.sequence + (1 if cancelled else 0),
            cancelled=cancelled,
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            # No name or intake in the calendar: calendars sync to places the e-mail does not.
            summary=self.tr.tr(N_("Sportello Lavoro – video meeting")),
            description=self.tr.tr(N_("Start the meeting: %(url)s"), url=link)
            if link
            else self.tr.tr(N_("Zoom meeting not created yet.")),
            url=link,
            now=desk.now,
        )
        local = booking.starts_at.astimezone(ROME)
        return Attachment(f"appuntamento-{local:%H%M}.ics", content, "text/calendar")
