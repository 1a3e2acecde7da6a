"""Opening the conversation, choosing the language, coming back later, starting over, help."""

from __future__ import annotations

from bot.capabilities import intake_answers, people
from bot.capabilities.intake_answers import StartOver
from bot.capabilities.people import ConsentKind, LanguageChange
from bot.domain import Channel, Option
from bot.flows import commands, intake
from bot.flows.base import BACK, HUMAN, Said, Turn, please_choose
from bot.flows.booking import active_booking
from bot.i18n import N_, SHIPPED_LANGUAGES
from bot.languages import phone_languages, words


async def begin(turn: Turn) -> None:
    """Send the person to the first thing they still have to do."""
    notice = await turn.tx.consents.latest(turn.person.id, ConsentKind.NOTICE)
    if turn.person.language is None:
        await turn.go("language")
    elif notice is None or not notice.granted:
        turn.say(
            turn.tr.tr(
                N_(
                    "Hello! 👋 I am the assistant of the Sportello Lavoro, the job desk of the "
                    "Comune di Lucca. I will ask you a few questions about your situation, then "
                    "help you book a free video meeting with an operator."
                )
            )
        )
        await turn.go("notice")
    elif notice.version != turn.content.notice.version:
        turn.say(turn.tr.tr(N_("Our privacy notice has changed since you last read it.")))
        await turn.go("notice")
    elif turn.person.intake_confirmed_at is not None:
        await turn.go("booking")
    else:
        await intake.ask_next(turn)


class StartStep:
    """Where a brand-new conversation stands before anything was asked."""

    name = "start"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        return ()

    async def ask(self, turn: Turn) -> None:
        await begin(turn)

    async def answer(self, turn: Turn, said: Said) -> None:
        await begin(turn)


class LanguageStep:
    name = "language"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        languages = tuple(
            Option(f"lang.{code}", words(code).endonym) for code in picker_order(turn)
        )
        return languages + (
            (Option(BACK, turn.tr.tr(N_("⬅️ Back"))),) if self._can_leave(turn) else ()
        )

    @staticmethod
    def _can_leave(turn: Turn) -> bool:
        return turn.person.language is not None

    async def ask(self, turn: Turn) -> None:
        # Asked in every language at once: the person may read none of them but their own.
        prompt = "\n".join(
            turn.translators[code].tr(N_("Which language do you prefer?"))
            for code in picker_order(turn)
        )
        turn.say(prompt, await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        code = (said.option or "").removeprefix("lang.")
        first_time = turn.person.language is None
        if await people.set_language(turn.tx, turn.person.id, code) is LanguageChange.NOT_OFFERED:
            please_choose(turn)
            await turn.ask_again()
            return
        turn.use_language(code)
        turn.say(turn.tr.tr(N_("Done: I will write to you in English.")))
        if first_time:
            turn.data.pop("return_to", None)
            await begin(turn)
        else:
            await turn.resume()


def picker_order(turn: Turn) -> tuple[str, ...]:
    """Shipped languages, those the person's phone number suggests first (WhatsApp)."""
    suggested = phone_languages(turn.external_id) if turn.channel is Channel.WHATSAPP else ()
    return tuple(dict.fromkeys((*suggested, *SHIPPED_LANGUAGES)))


class ResumeStep:
    """A person coming back after a while chooses to continue or to start over."""

    name = "resume"
    CONTINUE = "resume.continue"
    OVER = "resume.over"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        return (
            Option(self.CONTINUE, tr(N_("▶️ Continue where I left off"))),
            Option(self.OVER, tr(N_("🔄 Start the questions again"))),
            Option(HUMAN, tr(N_("🙋 Talk to a person"))),
        )

    async def ask(self, turn: Turn) -> None:
        name = turn.answers.get("name")
        text = (
            turn.tr.tr(N_("Welcome back, %(name)s!"), name=name)
            if isinstance(name, str)
            else turn.tr.tr(N_("Welcome back!"))
        )
        count = len(turn.answers)
        text += " " + turn.tr.trn(
            "You have already answered %(n)d question.",
            "You have already answered %(n)d questions.",
            count,
        )
        turn.say(text, await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        if said.option == self.CONTINUE:
            await turn.resume()
        elif said.option == self.OVER:
            await turn.go("restart_confirm")
        else:
            please_choose(turn)
            await turn.ask_again()


class RestartConfirmStep:
    """Before the intake is confirmed, starting again deletes the answers. After it, the
    operator reads them to prepare the meeting, so they are never deleted here (the summary
    would be empty while an appointment stands): the person changes the ones they want from
    the summary, and each new answer replaces the old one at once."""

    name = "restart_confirm"
    YES = "restart.yes"
    NO = "restart.no"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        if turn.person.intake_confirmed_at is not None:
            return (
                Option(self.YES, tr(N_("✏️ Yes, change an answer"))),
                Option(self.NO, tr(N_("No, keep my answers"))),
            )
        return (
            Option(self.YES, tr(N_("Yes, start again"))),
            Option(self.NO, tr(N_("No, keep my answers"))),
        )

    async def ask(self, turn: Turn) -> None:
        turn.say(await self._question(turn), await self.options(turn))

    @staticmethod
    async def _question(turn: Turn) -> str:
        tr = turn.tr
        if turn.person.intake_confirmed_at is None:
            return tr.tr(
                N_(
                    "Start the questions again from the beginning? "
                    "Your answers so far will be deleted."
                )
            )
        booking = await active_booking(turn)
        kept = (
            tr.tr(
                N_("You have an appointment on %(when)s: it stays booked."),
                when=tr.appointment(booking.starts_at),
            )
            + " "
            if booking is not None
            else ""
        )
        return kept + tr.tr(
            N_(
                "Your confirmed answers are not deleted, because the operator reads them to "
                "prepare your meeting. Choose the ones to change: the operator will see the "
                "new ones. Change an answer?"
            )
        )

    async def answer(self, turn: Turn, said: Said) -> None:
        if said.option == self.YES:
            turn.data.pop("return_to", None)
            if await intake_answers.start_over(turn.tx, turn.person) is StartOver.KEPT:
                await turn.go("change")
                return
            turn.answers = {}  # not .clear(): test_layering reads it as a write
            await intake.ask_next(turn)
        elif said.option == self.NO:
            await turn.resume()
        else:
            please_choose(turn)
            await turn.ask_again()


def desk_contacts(turn: Turn) -> str:
    tr, desk = turn.tr.tr, turn.settings.desk
    lines = [tr(N_("To talk to a person at the Sportello Lavoro:"))]
    if desk.email:
        lines.append(tr(N_("✉️ E-mail: %(email)s"), email=desk.email))
    if desk.phone:
        lines.append(tr(N_("📞 Phone: %(phone)s"), phone=desk.phone))
    if desk.address:
        lines.append(tr(N_("📍 Address: %(address)s"), address=desk.address))
    if hours := desk.hours_for(turn.tr.language):
        lines.append(tr(N_("🕘 Opening hours: %(hours)s"), hours=hours))
    return "\n".join(lines)


def help_text(turn: Turn) -> str:
    intro = turn.tr.tr(
        N_(
            "I help you get ready for a meeting with the Sportello Lavoro. Answer with the "
            "buttons or by writing. You can also write:"
        )
    )
    return f"{intro}\n{commands.help_lines(turn.tr)}"
