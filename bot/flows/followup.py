"""After booking: the waiting list when no time is free, the offer of a freed time, the
"Confermi?" reminder, the satisfaction question and the no-show message."""

from __future__ import annotations

from bot.capabilities import appointments, outcome_followup, waitlist
from bot.capabilities.waitlist import OfferOutcome
from bot.domain import Booking, BookingStatus, Option
from bot.flows.base import HUMAN, Said, Turn, please_choose
from bot.flows.booking import (
    AppointmentStep,
    active_booking,
    confirm_booked,
    link_line,
    operator_name,
)
from bot.i18n import N_


class NoSlotsStep:
    name = "no_slots"
    JOIN = "wait.join"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        return (
            Option(self.JOIN, tr(N_("🔔 Tell me when a time frees up"))),
            Option(HUMAN, tr(N_("🙋 Talk to a person"))),
        )

    async def ask(self, turn: Turn) -> None:
        turn.say(
            turn.tr.trn(
                "I'm sorry: there are no free times in the next %(n)d day.",
                "I'm sorry: there are no free times in the next %(n)d days.",
                turn.settings.agenda.rules.horizon_days,
            ),
            await self.options(turn),
        )

    async def answer(self, turn: Turn, said: Said) -> None:
        if said.option == self.JOIN:
            await waitlist.join(turn.tx, turn.person.id, turn.now)
            await turn.go("waiting")
        else:
            please_choose(turn)
            await turn.ask_again()


class WaitingStep:
    name = "waiting"
    LEAVE = "wait.leave"
    LOOK = "wait.look"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        return (
            Option(self.LOOK, tr(N_("📅 Look for free times again"))),
            Option(self.LEAVE, tr(N_("Leave the waiting list"))),
            Option(HUMAN, tr(N_("🙋 Talk to a person"))),
        )

    async def ask(self, turn: Turn) -> None:
        if not await turn.tx.waitlist.contains(turn.person.id):
            await turn.go("booking")
            return
        turn.say(
            turn.tr.tr(
                N_("You are on the waiting list: I will write to you as soon as a time frees up.")
            ),
            await self.options(turn),
        )

    async def answer(self, turn: Turn, said: Said) -> None:
        if said.option == self.LEAVE:
            await waitlist.leave(turn.tx, turn.person.id)
            turn.say(turn.tr.tr(N_("Done: you are no longer on the waiting list.")))
            await turn.go("appointment")
        elif said.option == self.LOOK:
            await turn.go("booking")
        else:
            please_choose(turn)
            await turn.ask_again()


class OfferStep:
    """A freed time held for this person from the waitlist."""

    name = "offer"
    ACCEPT = "offer.accept"
    DECLINE = "offer.decline"

    async def _hold(self, turn: Turn) -> Booking | None:
        booking_id = turn.data.get("booking")
        booking = await turn.tx.bookings.get(booking_id) if isinstance(booking_id, int) else None
        if booking is None or booking.person_id != turn.person.id:
            return None
        if booking.status != BookingStatus.HELD:
            return None
        return booking

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        return (
            Option(self.ACCEPT, tr(N_("✅ Yes, I'll take it"))),
            Option(self.DECLINE, tr(N_("No, thank you"))),
        )

    async def ask(self, turn: Turn) -> None:
        hold = await self._hold(turn)
        if hold is None or hold.hold_expires_at is None:
            turn.say(turn.tr.tr(N_("This offer is no longer available.")))
            await turn.go("booking")
            return
        turn.say(
            turn.tr.tr(
                N_(
                    "Good news: a time has freed up on %(when)s. I'm keeping it for you until %(until)s. Do you want it?"
                ),
                when=turn.tr.appointment(hold.starts_at),
                until=turn.tr.clock_time(hold.hold_expires_at),
            ),
            await self.options(turn),
        )

    async def answer(self, turn: Turn, said: Said) -> None:
        hold = await self._hold(turn)
        agenda = turn.settings.agenda
        if hold is None:
            await self.ask(turn)
        elif said.option == self.ACCEPT:
            await self._accept(turn, hold)
        elif said.option == self.DECLINE:
            await waitlist.release_offer(turn.tx, agenda, hold, turn.now)
            turn.say(turn.tr.tr(N_("All right, I have offered it to someone else.")))
            await turn.go("appointment")
        else:
            please_choose(turn)
            await turn.ask_again()

    async def _accept(self, turn: Turn, hold: Booking) -> None:
        agenda = turn.settings.agenda
        result = await waitlist.accept_offer(turn.tx, agenda, turn.person.id, hold, turn.now)
        if result.outcome == OfferOutcome.ACCEPTED and result.booking is not None:
            await confirm_booked(turn, result.booking)
        else:
            please_choose(turn)
            await turn.ask_again()


class ConfirmCheckStep:
    """The day-before reminder: "Confermi?" with Confirm / Reschedule / Cancel."""

    name = "confirm_check"
    YES = "check.yes"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        return (
            Option(self.YES, tr(N_("✅ I confirm"))),
            Option(AppointmentStep.MOVE, tr(N_("🔄 Reschedule"))),
            Option(AppointmentStep.CANCEL, tr(N_("❌ Cancel"))),
            Option(HUMAN, tr(N_("🙋 Talk to a person"))),
        )

    async def ask(self, turn: Turn) -> None:
        booking = await active_booking(turn)
        if booking is None:
            await turn.resume()
            return
        turn.say(
            "\n".join(
                (
                    turn.tr.tr(
                        N_(
                            "⏰ Reminder: your video meeting with the Sportello Lavoro is %(when)s, with %(operator)s. Do you confirm?"
                        ),
                        when=turn.tr.appointment(booking.starts_at),
                        operator=operator_name(turn, booking),
                    ),
                    link_line(turn, booking),
                )
            ),
            await self.options(turn),
        )

    async def answer(self, turn: Turn, said: Said) -> None:
        booking = await active_booking(turn)
        if booking is None:
            await turn.resume()
        elif said.option == self.YES:
            await appointments.confirm(turn.tx, turn.person.id, booking, turn.now)
            turn.say(turn.tr.tr(N_("Thank you! See you then.")))
            await turn.resume()
        elif said.option == AppointmentStep.MOVE:
            turn.data.pop("return_to", None)
            await turn.go("pick_day", page=0, mode="move")
        elif said.option == AppointmentStep.CANCEL:
            turn.data.pop("return_to", None)
            await turn.go("cancel_confirm")
        else:
            please_choose(turn)
            await turn.ask_again()


class SurveyStep:
    name = "survey"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        return tuple(Option(f"score.{n}", "⭐" * n) for n in range(1, 6))

    async def ask(self, turn: Turn) -> None:
        turn.say(
            turn.tr.tr(
                N_(
                    "How useful was your meeting with the Sportello Lavoro? From 1 star (not at all) to 5 (very useful)."
                )
            ),
            await self.options(turn),
        )

    async def answer(self, turn: Turn, said: Said) -> None:
        booking_id = turn.data.get("booking")
        score = (said.option or "").removeprefix("score.")
        if not score.isdigit() or not isinstance(booking_id, int):
            please_choose(turn)
            await turn.ask_again()
            return
        await appointments.rate(turn.tx, turn.person.id, booking_id, int(score))
        turn.say(turn.tr.tr(N_("Thank you for telling us!")))
        if await outcome_followup.never_asked(turn.tx, turn.person.id):
            await turn.go("fu_consent")  # a fitting moment: the meeting has just happened
        else:
            await turn.resume()


class NoShowStep:
    name = "noshow"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        return (
            Option(AppointmentStep.BOOK, tr(N_("📅 Book a new time"))),
            Option(HUMAN, tr(N_("🙋 Talk to a person"))),
        )

    async def ask(self, turn: Turn) -> None:
        turn.say(
            turn.tr.tr(
                N_(
                    "We missed you at today's meeting. It can happen! Would you like to book a new time?"
                )
            ),
            await self.options(turn),
        )

    async def answer(self, turn: Turn, said: Said) -> None:
        if said.option == AppointmentStep.BOOK:
            await turn.go("booking")
        else:
            please_choose(turn)
            await turn.ask_again()
