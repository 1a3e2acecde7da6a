"""The follow-up in the chat: the opt-in (after the satisfaction question, or with
/seguito at any time) and the short questions 3, 6 and 12 months after the first meeting,
sent through the outbox (the renderer is here too). The answers are the person's own."""

from __future__ import annotations

from bot.capabilities import outcome_followup
from bot.capabilities.messaging import TEMPLATES
from bot.domain import JSON, Option, OutboxItem, OutboxKind
from bot.domain import Booking as _Booking
from bot.flows import commands
from bot.flows.base import HUMAN, Said, Turn, please_choose
from bot.flows.notifications import first_name, renders, template
from bot.flows.path_labels import CONTRACTS
from bot.i18n import N_
from bot.placement import ContractType, WorkStatus


def _months(turn: Turn) -> int:
    months: JSON = turn.data.get("months")
    return months if isinstance(months, int) else 0


async def _thanks_and_leave(turn: Turn) -> None:
    turn.say(turn.tr.tr(N_("Thank you for telling us! Good luck with your work. 🍀")))
    await turn.resume()


class FollowUpConsentStep:
    """The opt-in, asked once after the meeting and offered again by /seguito."""

    name = "fu_consent"
    YES = "fu.yes"
    NO = "fu.no"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        return (
            Option(self.YES, tr(N_("✅ Yes, you may"))),
            Option(self.NO, tr(N_("No, thank you"))),
            Option(HUMAN, tr(N_("🙋 Talk to a person"))),
        )

    async def ask(self, turn: Turn) -> None:
        state = (
            N_("You have said yes.")
            if await outcome_followup.wanted(turn.tx, turn.person.id)
            else N_("You have not said yes.")
        )
        text = turn.tr.tr(
            N_(
                "May we write to you 3, 6 and 12 months after your meeting, to ask in a few "
                "taps how things are going with work? It helps the desk see what works. It is "
                "optional, and you can change your mind at any time with %(followup)s."
            ),
            **commands.named(turn.tr.language),
        )
        turn.say(f"{text} {turn.tr.tr(state)}", await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        if said.option not in (self.YES, self.NO):
            please_choose(turn)
            await turn.ask_again()
            return
        agreed = said.option == self.YES
        version = turn.content.notice.version
        await outcome_followup.set_consent(turn.tx, turn.person.id, version, agreed, turn.now)
        turn.say(
            turn.tr.tr(N_("Thank you: we will write to you then."))
            if agreed
            else turn.tr.tr(N_("All right: we will not write to you about it."))
        )
        await turn.resume()


STATUSES = {
    "fu.employed": WorkStatus.EMPLOYED,
    "fu.self": WorkStatus.SELF_EMPLOYED,
    "fu.not": WorkStatus.NOT_WORKING,
}


class FollowUpWorkingStep:
    name = "fu_working"
    EMPLOYED = "fu.employed"
    SELF = "fu.self"
    NOT = "fu.not"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        return (
            Option(self.EMPLOYED, tr(N_("💼 Yes, as an employee"))),
            Option(self.SELF, tr(N_("🛠️ Yes, on my own"))),
            Option(self.NOT, tr(N_("Not at the moment"))),
            Option(HUMAN, tr(N_("🙋 Talk to a person"))),
        )

    async def ask(self, turn: Turn) -> None:
        months = _months(turn)
        if not await outcome_followup.wanted(turn.tx, turn.person.id):
            await turn.resume()
            return
        await outcome_followup.asked(turn.tx, turn.person.id, months, turn.now)
        if await outcome_followup.open_question(turn.tx, turn.person.id, months) is None:
            await turn.resume()
            return
        # Named before trn: Babel's extractor drops the plural if an argument is a call that
        # mentions `tr` (here `commands.named(turn.tr.language)`).
        named = commands.named(turn.tr.language)
        text = turn.tr.trn(
            "Hello from the Sportello Lavoro! It is %(months)d month since your meeting "
            "with us. Are you working now? (To stop these questions: %(followup)s)",
            "Hello from the Sportello Lavoro! It is %(months)d months since your meeting "
            "with us. Are you working now? (To stop these questions: %(followup)s)",
            months,
            months=months,
            **named,
        )
        turn.say(text, await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        status = STATUSES.get(said.option or "")
        if status is None:
            please_choose(turn)
            await turn.ask_again()
            return
        months = _months(turn)
        saved = await outcome_followup.answer_working(
            turn.tx, turn.person.id, months, status, turn.now
        )
        if saved is None or saved.answered_at is not None:
            await _thanks_and_leave(turn)
        else:
            await turn.go("fu_contract")


class FollowUpContractStep:
    name = "fu_contract"
    DONT_KNOW = "fu.dontknow"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        kinds = tuple(Option(f"fu.{c.value}", tr(label)) for c, label in CONTRACTS.items())
        return (*kinds, Option(self.DONT_KNOW, tr(N_("I don't know"))))

    async def ask(self, turn: Turn) -> None:
        turn.say(turn.tr.tr(N_("What kind of contract do you have?")), await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        chosen = (said.option or "").removeprefix("fu.")
        known = {c.value for c in ContractType}
        if said.option != self.DONT_KNOW and chosen not in known:
            please_choose(turn)
            await turn.ask_again()
            return
        contract = ContractType(chosen) if chosen in known else None
        more = await outcome_followup.had_internship(turn.tx, turn.person.id)
        saved = await outcome_followup.answer_contract(
            turn.tx, turn.person.id, _months(turn), contract, turn.now, last=not more
        )
        if saved is None or not more:
            await _thanks_and_leave(turn)
        else:
            await turn.go("fu_company")


class FollowUpCompanyStep:
    name = "fu_company"
    YES = "fu.same"
    NO = "fu.other"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        return (Option(self.YES, tr(N_("Yes"))), Option(self.NO, tr(N_("No"))))

    async def ask(self, turn: Turn) -> None:
        turn.say(
            turn.tr.tr(N_("Is it with the company where you did your internship?")),
            await self.options(turn),
        )

    async def answer(self, turn: Turn, said: Said) -> None:
        if said.option not in (self.YES, self.NO):
            please_choose(turn)
            await turn.ask_again()
            return
        same = said.option == self.YES
        await outcome_followup.answer_same_company(
            turn.tx, turn.person.id, _months(turn), same, turn.now
        )
        await _thanks_and_leave(turn)


@renders(OutboxKind.FOLLOWUP)
async def _followup(turn: Turn, item: OutboxItem, booking: _Booking | None) -> None:
    """Outside WhatsApp's window, the `followup` template: {{1}} the name, {{2}} the months
    (its text asks "are you working now?"; the answer is matched against this step)."""
    months = item.payload.get("months")
    if not isinstance(months, int) or not await outcome_followup.wanted(turn.tx, turn.person.id):
        return
    found = await turn.tx.followups.get(turn.person.id, months)
    if found is not None and found.answered_at is not None:
        return
    turn.template = template(
        turn, TEMPLATES[OutboxKind.FOLLOWUP], lambda _tr: {"1": first_name(turn), "2": str(months)}
    )
    await turn.go("fu_working", months=months, return_to=turn.interrupted_from())
