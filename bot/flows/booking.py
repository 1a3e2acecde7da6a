"""Booking the video meeting, and everything a person does with it afterwards.

After the intake: the days with free times, the times of the chosen day, the confirmation
with the Zoom link and a calendar file. /appuntamento shows the appointment with Reschedule
and Cancel. No free time in the horizon: the waitlist, and an offer when a time frees up.
"""

from __future__ import annotations

from datetime import datetime, time

from bot.capabilities import appointments
from bot.capabilities.appointments import BookingResult, BookOutcome
from bot.clock import ROME
from bot.domain import Attachment, Booking, BookingStatus, Option
from bot.flows import intake
from bot.flows.base import BACK, HUMAN, Said, Turn, please_choose
from bot.i18n import N_
from bot.ics import appointment_ics
from bot.slots import free_times

DAYS_PER_PAGE = 5


def first_upper(text: str) -> str:
    """ "martedì 3 dicembre" -> "Martedì 3 dicembre" (str.capitalize would lower the month)."""
    return text[:1].upper() + text[1:]


def operator_name(turn: Turn, booking: Booking) -> str:
    operator = turn.settings.agenda.operator(booking.operator_id)
    return operator.first_name if operator else ""


async def active_booking(turn: Turn) -> Booking | None:
    bookings = await turn.tx.bookings.active_for(turn.person.id)
    return next((b for b in bookings if b.status == BookingStatus.BOOKED), None)


async def free_days(turn: Turn) -> list[datetime]:
    """One moment per local day that still has a free time, in order."""
    slots = await appointments.open_slots(turn.tx, turn.settings.agenda, turn.now)
    days: dict[object, datetime] = {}
    for start in free_times(slots):
        days.setdefault(start.astimezone(ROME).date(), start)
    return list(days.values())


async def times_on(turn: Turn, day: str) -> list[datetime]:
    slots = await appointments.open_slots(turn.tx, turn.settings.agenda, turn.now)
    return [t for t in free_times(slots) if t.astimezone(ROME).strftime("%Y%m%d") == day]


def link_line(turn: Turn, booking: Booking) -> str:
    if booking.join_url:
        return turn.tr.tr(N_("Zoom link: %(url)s"), url=booking.join_url)
    return turn.tr.tr(N_("The Zoom link will reach you here in a message shortly."))


def calendar_file(turn: Turn, booking: Booking, *, cancelled: bool = False) -> Attachment:
    content = appointment_ics(
        uid=booking.uid,
        sequence=booking.sequence + (1 if cancelled else 0),
        cancelled=cancelled,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        summary=turn.tr.tr(N_("Sportello Lavoro – video meeting")),
        description=turn.tr.tr(
            N_("Your meeting with the Sportello Lavoro of the Comune di Lucca.")
        ),
        url=booking.join_url,
        now=turn.now,
    )
    return Attachment(filename="appuntamento.ics", content=content, mime_type="text/calendar")


async def confirm_booked(turn: Turn, booking: Booking) -> None:
    """The confirmation, which is also the appointment card: its buttons are the card's."""
    tr = turn.tr
    text = "\n\n".join(
        (
            tr.tr(
                N_("✅ Booked! Your video meeting is on %(when)s, with %(operator)s."),
                when=tr.appointment(booking.starts_at),
                operator=operator_name(turn, booking),
            ),
            link_line(turn, booking),
            tr.tr(
                N_(
                    "To get ready: have an identity document and, if you have one, your CV; "
                    "find a quiet place; try Zoom on your phone a day before. I will remind "
                    "you the day before and one hour before."
                )
            ),
        )
    )
    turn.move_to("appointment")
    turn.say(text, await AppointmentStep().options(turn), attachment=calendar_file(turn, booking))


class BookingStep:
    """Where booking starts: to the appointment if there is one, else to the free days."""

    name = "booking"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        return ()

    async def ask(self, turn: Turn) -> None:
        mine = await turn.tx.bookings.active_for(turn.person.id)
        held = [b for b in mine if b.status == BookingStatus.HELD]
        if held:
            await turn.go("offer", booking=held[0].id)
        elif await active_booking(turn) is not None:
            await turn.go("appointment")
        elif await free_days(turn):
            await turn.go("pick_day", page=0, mode="new")
        else:
            await turn.go("no_slots")

    async def answer(self, turn: Turn, said: Said) -> None:
        await self.ask(turn)


class PickDayStep:
    name = "pick_day"
    MORE = "day.more"

    def _page(self, turn: Turn) -> int:
        page = turn.data.get("page")
        return page if isinstance(page, int) and page >= 0 else 0

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        days = await free_days(turn)
        start = self._page(turn) * DAYS_PER_PAGE
        shown = days[start : start + DAYS_PER_PAGE]
        options = [
            Option(f"d.{d.astimezone(ROME).strftime('%Y%m%d')}", first_upper(turn.tr.weekday(d)))
            for d in shown
        ]
        if start + DAYS_PER_PAGE < len(days):
            options.append(Option(self.MORE, turn.tr.tr(N_("➡️ Later days"))))
        options += [
            Option(BACK, turn.tr.tr(N_("⬅️ Back"))),
            Option(HUMAN, turn.tr.tr(N_("🙋 Talk to a person"))),
        ]
        return tuple(options)

    async def ask(self, turn: Turn) -> None:
        if not await free_days(turn):
            await turn.go("no_slots")
            return
        text = (
            turn.tr.tr(N_("Choose the new day:"))
            if turn.data.get("mode") == "move"
            else turn.tr.trn(
                "Let's book your video meeting (about %(n)d minute on Zoom). Which day suits you?",
                "Let's book your video meeting (about %(n)d minutes on Zoom). Which day suits you?",
                turn.settings.agenda.rules.slot_minutes,
            )
        )
        turn.say(text, await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        option = said.option or ""
        if option == self.MORE:
            await turn.go("pick_day", page=self._page(turn) + 1)
        elif option.startswith("d."):
            await turn.go("pick_time", day=option.removeprefix("d."))
        else:
            please_choose(turn)
            await turn.ask_again()

    async def no_longer_offered(self, turn: Turn, option_id: str) -> bool:
        if not option_id.startswith("d."):
            return False
        turn.say(turn.tr.tr(N_("There are no free times left on that day.")))
        await turn.ask_again()
        return True

    async def back(self, turn: Turn) -> None:
        if self._page(turn) > 0:
            await turn.go("pick_day", page=self._page(turn) - 1)
        elif turn.data.get("mode") == "move":
            await turn.go("appointment")
        else:
            await turn.go("summary")


class PickTimeStep:
    name = "pick_time"
    DAYS = "time.days"

    def _day(self, turn: Turn) -> str:
        return str(turn.data.get("day", ""))

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        times = await times_on(turn, self._day(turn))
        options = [
            Option(f"t.{t.astimezone(ROME).strftime('%H%M')}", turn.tr.clock_time(t)) for t in times
        ]
        options += [
            Option(self.DAYS, turn.tr.tr(N_("📅 Other days"))),
            Option(BACK, turn.tr.tr(N_("⬅️ Back"))),
            Option(HUMAN, turn.tr.tr(N_("🙋 Talk to a person"))),
        ]
        return tuple(options)

    async def ask(self, turn: Turn) -> None:
        times = await times_on(turn, self._day(turn))
        if not times:
            turn.say(turn.tr.tr(N_("There are no free times left on that day.")))
            await turn.go("pick_day", page=0)
            return
        turn.say(
            turn.tr.tr(N_("%(day)s: at what time?"), day=first_upper(turn.tr.weekday(times[0]))),
            await self.options(turn),
        )

    async def answer(self, turn: Turn, said: Said) -> None:
        option = said.option or ""
        if option == self.DAYS:
            await turn.go("pick_day", page=0)
            return
        starts_at = self._moment(turn, option)
        if starts_at is None:
            please_choose(turn)
            await turn.ask_again()
            return
        result = await self._take(turn, starts_at)
        if result.booking is None:
            turn.say(
                turn.tr.tr(N_("Sorry, someone has just taken that time. These are still free:"))
            )
            await turn.ask_again()
            return
        if result.outcome == BookOutcome.MOVED:
            turn.say(turn.tr.tr(N_("Your appointment has been moved.")))
        turn.data.pop("mode", None)
        await confirm_booked(turn, result.booking)

    def _moment(self, turn: Turn, option: str) -> datetime | None:
        if not option.startswith("t."):
            return None
        try:
            day = datetime.strptime(self._day(turn), "%Y%m%d").date()
            clock = time(int(option[2:4]), int(option[4:6]))
        except ValueError:
            return None
        return datetime.combine(day, clock, tzinfo=ROME)

    async def _take(self, turn: Turn, starts_at: datetime) -> BookingResult:
        agenda = turn.settings.agenda
        if turn.data.get("mode") == "move":
            current = await active_booking(turn)
            if current is None:
                return BookingResult(BookOutcome.NOT_MOVABLE)
            return await appointments.move(turn.tx, agenda, current, starts_at, turn.now)
        return await appointments.book(turn.tx, agenda, turn.person.id, starts_at, turn.now)

    async def back(self, turn: Turn) -> None:
        await turn.go("pick_day", page=0)

    async def no_longer_offered(self, turn: Turn, option_id: str) -> bool:
        """A time button of this question whose time was taken meanwhile."""
        if not option_id.startswith("t."):
            return False
        turn.say(turn.tr.tr(N_("Sorry, someone has just taken that time. These are still free:")))
        await turn.ask_again()
        return True


class AppointmentStep:
    name = "appointment"
    MOVE = "appt.move"
    CANCEL = "appt.cancel"
    BOOK = "appt.book"
    ANSWERS = "appt.answers"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        first: tuple[Option, ...]
        if await active_booking(turn) is None:
            first = (Option(self.BOOK, tr(N_("📅 Book an appointment"))),)
        else:
            first = (
                Option(self.MOVE, tr(N_("🔄 Reschedule"))),
                Option(self.CANCEL, tr(N_("❌ Cancel"))),
            )
        return (
            *first,
            Option(self.ANSWERS, tr(N_("📋 My answers"))),
            Option(HUMAN, tr(N_("🙋 Talk to a person"))),
        )

    async def ask(self, turn: Turn) -> None:
        booking = await active_booking(turn)
        if turn.person.intake_confirmed_at is None:
            turn.say(turn.tr.tr(N_("First, a few questions about you: then we book.")))
            await intake.ask_next(turn)
            return
        if booking is None:
            text = turn.tr.tr(N_("You have no appointment booked at the moment."))
        else:
            text = "\n".join(
                (
                    turn.tr.tr(
                        N_("📅 Your appointment: %(when)s, with %(operator)s."),
                        when=turn.tr.appointment(booking.starts_at),
                        operator=operator_name(turn, booking),
                    ),
                    link_line(turn, booking),
                )
            )
        turn.say(text, await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        if said.option == self.MOVE and await active_booking(turn):
            await turn.go("pick_day", page=0, mode="move")
        elif said.option == self.CANCEL and await active_booking(turn):
            await turn.go("cancel_confirm")
        elif said.option == self.BOOK:
            turn.data["mode"] = "new"
            await turn.go("booking")
        elif said.option == self.ANSWERS:
            turn.say(await intake.summary_text(turn))
            await turn.ask_again()
        else:
            please_choose(turn)
            await turn.ask_again()


class CancelConfirmStep:
    name = "cancel_confirm"
    YES = "cancel.yes"
    NO = "cancel.no"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        return (
            Option(self.YES, tr(N_("Yes, cancel it"))),
            Option(self.NO, tr(N_("No, keep it"))),
        )

    async def ask(self, turn: Turn) -> None:
        booking = await active_booking(turn)
        if booking is None:
            await turn.go("appointment")
            return
        turn.say(
            turn.tr.tr(
                N_("Cancel your appointment of %(when)s?"),
                when=turn.tr.appointment(booking.starts_at),
            ),
            await self.options(turn),
        )

    async def answer(self, turn: Turn, said: Said) -> None:
        booking = await active_booking(turn)
        if said.option == self.YES and booking is not None:
            await appointments.cancel(turn.tx, turn.settings.agenda, booking, turn.now)
            turn.say(
                turn.tr.tr(
                    N_(
                        "Your appointment has been cancelled. You can book a new one whenever you like."
                    )
                ),
                # Opening it removes the appointment from the calendar it was saved in.
                attachment=calendar_file(turn, booking, cancelled=True),
            )
            await turn.go("appointment")
        elif said.option in (self.NO, self.YES):
            await turn.go("appointment")
        else:
            please_choose(turn)
            await turn.ask_again()

    async def back(self, turn: Turn) -> None:
        await turn.go("appointment")
