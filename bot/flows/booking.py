"""After a confirmed intake: booking the meeting.

Placeholder until booking in the chat exists: the person is told plainly that their answers
are saved and how to book with the desk meanwhile.
"""

from __future__ import annotations

from bot.domain import Option
from bot.flows import intake
from bot.flows.base import HUMAN, Said, Turn
from bot.flows.welcome import desk_contacts
from bot.i18n import N_


class BookingStep:
    name = "booking"
    SHOW = "booking.show"
    CHANGE = "booking.change"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        return (
            Option(self.SHOW, tr(N_("📋 Show my answers"))),
            Option(self.CHANGE, tr(N_("✏️ Change an answer"))),
            Option(HUMAN, tr(N_("🙋 Talk to a person"))),
        )

    async def ask(self, turn: Turn) -> None:
        name = turn.answers.get("name")
        text = turn.tr.tr(
            N_(
                "Thank you, %(name)s! Your answers are saved. 📅 Booking the meeting here in "
                "the chat is coming soon: for now, please contact the desk to choose a day "
                "and time, and tell them you have already answered the questions here."
            ),
            name=name if isinstance(name, str) else "",
        )
        turn.say(f"{text}\n\n{desk_contacts(turn)}", await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        if said.option == self.SHOW:
            turn.say(await intake.summary_text(turn))
            await turn.ask_again()
        elif said.option == self.CHANGE:
            await turn.go("change")
        else:
            await turn.ask_again()
