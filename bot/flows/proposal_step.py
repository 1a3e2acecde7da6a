"""A proposal in the chat: what the operator proposed and why, and the person's answer
(Interested, Not interested, or an objection). It arrives through the outbox (the renderer is
here) and can be opened again with /proposte to change the answer."""

from __future__ import annotations

from bot.capabilities import proposals
from bot.capabilities.messaging import TEMPLATES
from bot.domain import Booking, Option, OutboxItem, OutboxKind
from bot.flows.base import HUMAN, Said, Turn, please_choose
from bot.flows.notifications import first_name, renders, template
from bot.i18n import N_
from bot.placement import ProposalAnswer
from storage.path_repos import Proposal

ANSWERS = {
    "prop.yes": ProposalAnswer.INTERESTED,
    "prop.no": ProposalAnswer.NOT_INTERESTED,
    "prop.object": ProposalAnswer.OBJECTED,
}
SAID = {
    ProposalAnswer.INTERESTED: N_(
        "Thank you! The desk will now contact the company about you, and let you know."
    ),
    ProposalAnswer.NOT_INTERESTED: N_(
        "All right, thank you for telling us: the company will not hear about you."
    ),
    ProposalAnswer.OBJECTED: N_(
        "Understood: your data will not be used for this proposal, and the company will not "
        "hear about you."
    ),
}


async def _current(turn: Turn) -> Proposal | None:
    proposal_id = turn.data.get("proposal")
    if not isinstance(proposal_id, int):
        return None
    found = await proposals.mine(turn.tx, turn.person.id, proposal_id)
    return None if found is None or found.answer is ProposalAnswer.OBJECTED else found


class ProposalStep:
    name = "proposal"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        return (
            Option("prop.yes", tr(N_("👍 I'm interested"))),
            Option("prop.no", tr(N_("👎 Not interested"))),
            Option("prop.object", tr(N_("✋ Don't use my data for this"))),
            Option(HUMAN, tr(N_("🙋 Talk to a person"))),
        )

    async def ask(self, turn: Turn) -> None:
        found = await _current(turn)
        if found is None:
            turn.say(turn.tr.tr(N_("This proposal is no longer open.")))
            await turn.resume()
            return
        text = turn.tr.tr(
            N_(
                "💼 The desk would like to propose you to a company: “%(title)s” at "
                "%(company)s.\nWhy you: %(reason)s\n\nShall the desk put you forward? "
                "Nothing is sent to the company unless you say yes."
            ),
            title=found.profile_title,
            company=found.company_name,
            reason=found.reason,
        )
        turn.say(text, await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        given = ANSWERS.get(said.option or "")
        found = await _current(turn)
        if found is None:
            await self.ask(turn)
            return
        if given is None:
            please_choose(turn)
            await turn.ask_again()
            return
        await proposals.answer(turn.tx, turn.person.id, found.id, given, turn.now)
        turn.say(turn.tr.tr(SAID[given]))
        following = await proposals.waiting(turn.tx, turn.person.id)
        if following is not None:
            await turn.go("proposal", proposal=following.id)
        else:
            await turn.resume()


async def open_latest(turn: Turn) -> None:
    """/proposte: the latest proposal, to answer or change the answer."""
    found = await proposals.latest(turn.tx, turn.person.id)
    if found is None:
        turn.say(turn.tr.tr(N_("There is no proposal for you to answer now.")))
        await turn.ask_again()
        return
    await turn.go("proposal", proposal=found.id, return_to=turn.interrupted_from())


@renders(OutboxKind.PROPOSAL)
async def _proposal(turn: Turn, item: OutboxItem, booking: Booking | None) -> None:
    """Outside WhatsApp's window, the `proposal` template: {{1}} the name, {{2}} the
    profile's title, {{3}} the company."""
    proposal_id = item.payload.get("proposal")
    found = (
        await proposals.mine(turn.tx, turn.person.id, proposal_id)
        if isinstance(proposal_id, int)
        else None
    )
    if found is None or found.answer is not None:
        return
    turn.template = template(
        turn,
        TEMPLATES[OutboxKind.PROPOSAL],
        lambda _tr: {"1": first_name(turn), "2": found.profile_title, "3": found.company_name},
    )
    await turn.go("proposal", proposal=found.id, return_to=turn.interrupted_from())
