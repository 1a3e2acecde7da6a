"""Proposals: the operator proposes a person for an open profile with a written reason (field
errors otherwise), audited by id; the person hears of it in the chat in their language and
answers with buttons; forged or stale buttons get a kind answer; /proposte shows it again for
a change or an objection; "my data" lists it; erasure removes it."""

from __future__ import annotations

import html

import httpx

from bot.app import App
from bot.capabilities import people, proposals
from bot.domain import OutboxKind
from bot.placement import ProposalAnswer
from tests.agenda_helpers import booking_of, log_in_as_operator, other_operator
from tests.booking_helpers import RecordingSender, recording_dispatcher
from tests.chat import Chat
from tests.company_helpers import profile
from tests.desk_helpers import cheap_hasher, client, csrf_of

__all__ = ["cheap_hasher", "client"]

WAITER = {
    "code": "hotel-cam",
    "title": "Cameriere di sala",
    "essential": ["tourism.table_service"],
    "openings": 1,
}
REASON = "Five years of table service, and weekends suit the hotel."


async def _propose(
    client: httpx.AsyncClient, person_id: int, profile_id: int | str, reason: str
) -> httpx.Response:
    form = await client.get(f"/desk/people/{person_id}/propose?profile={profile_id}")
    assert form.status_code == 200
    data = {"csrf": csrf_of(form), "profile": str(profile_id), "reason": reason}
    return await client.post(f"/desk/people/{person_id}/propose", data=data)


async def test_a_proposal_reaches_the_person_who_answers_in_the_chat(
    app: App, client: httpx.AsyncClient
) -> None:
    booking = await booking_of(app, "anna")
    person_id = booking.person_id or 0
    profile_id = await profile(app, WAITER, company="Hotel Esempio")
    await log_in_as_operator(app, client, booking.operator_id)

    empty = await _propose(client, person_id, profile_id, "   ")
    assert empty.status_code == 400
    assert 'id="e-reason"' in empty.text
    bogus = await _propose(client, person_id, "999", REASON)
    assert 'id="e-profile"' in bogus.text
    sent = await _propose(client, person_id, profile_id, REASON)
    assert sent.status_code == 303
    again = await _propose(client, person_id, profile_id, REASON)
    assert "già stata proposta" in html.unescape(again.text)  # the back-office is Italian
    async with app.db.read() as tx:
        [made] = await proposals.of_person(tx, person_id)
        audited = await tx.audit.recent("proposal.add")
        assert await tx.outbox.pending_for(person_id, OutboxKind.PROPOSAL)
    assert [(e.subject_type, e.subject_id) for e in audited] == [("proposal", str(made.id))]
    assert made.reason == REASON

    sender = RecordingSender()
    await recording_dispatcher(app, sender).tick()
    [told] = [r for r in sender.to("anna") if "propose you to a company" in r.text]
    assert "“Cameriere di sala” at Hotel Esempio" in told.text  # English: her language
    assert REASON in told.text
    anna = Chat(app.engine, "anna")
    anna.replies = [told]
    await anna.press(f"{told.seq}:prop.hired")  # forged: never offered
    assert "That option is not available" in anna.texts()
    await anna.press(f"{(told.seq or 0) - 1}:prop.yes")  # from an older message
    assert "earlier message" in anna.texts()
    await anna.tap("prop.yes")
    assert "The desk will now contact the company" in anna.texts()
    async with app.db.read() as tx:
        answered = await proposals.mine(tx, person_id, made.id)
    assert answered is not None
    assert answered.answer is ProposalAnswer.INTERESTED

    # In "my data", with a way to change the answer or object.
    mine = "\n".join(r.text for r in await anna.send("/mydata"))
    assert "Proposed for “Cameriere di sala” at Hotel Esempio: interested" in mine
    await anna.send("/proposals")
    await anna.tap("prop.object")
    async with app.db.read() as tx:
        objected = await proposals.mine(tx, person_id, made.id)
    assert objected is not None
    assert objected.answer is ProposalAnswer.OBJECTED
    replies = await anna.send("/proposals")
    assert "no proposal for you to answer" in replies[0].text  # an objection is final

    page = html.unescape((await client.get(f"/desk/people/{person_id}")).text)
    assert "“Cameriere di sala” presso Hotel Esempio: opposizione" in page

    async with app.db.write() as tx:
        await people.erase(tx, app.settings.agenda, person_id, app.clock.now())
    async with app.db.read() as tx:
        assert await proposals.of_profile(tx, profile_id) == []


async def test_only_the_persons_operators_propose_and_the_chat_checks_the_proposal(
    app: App, client: httpx.AsyncClient
) -> None:
    booking = await booking_of(app, "anna")
    person_id = booking.person_id or 0
    profile_id = await profile(app, WAITER, company="Hotel Esempio")
    await log_in_as_operator(app, client, other_operator(app, booking.operator_id))
    refused = await client.get(f"/desk/people/{person_id}/propose")
    assert refused.status_code == 403
    async with app.db.read() as tx:
        assert await proposals.of_person(tx, person_id) == []
    # A proposal id that is not the person's, put in the conversation, is refused kindly.
    luca = Chat(app.engine, "luca")
    await luca.send("/start")
    await luca.tap("notice.accept")
    async with app.db.write() as tx:
        other = await tx.proposals.add(person_id, profile_id, REASON, None, app.clock.now())
        luca_person = await tx.people.by_identity(luca.channel, "luca")
        assert luca_person is not None
        assert (
            await proposals.answer(
                tx, luca_person.id, other, ProposalAnswer.INTERESTED, app.clock.now()
            )
            is None
        )
