"""A person's path: the operator records steps in the back-office (errors next to the fields),
an internship's end, ANPAL's codes; the path is in the record's timeline, in "my data" (chat
and file), goes with the person on erasure, and only the person's operators may touch it."""

from __future__ import annotations

import html
import json
from datetime import date

import httpx

from bot.app import App
from bot.capabilities import paths, people
from bot.domain import Channel
from bot.placement import ContractType, InternshipEnd, PathStepKind
from storage.path_repos import PathStep
from tests.agenda_helpers import booking_of, log_in_as_operator, other_operator
from tests.chat import Chat
from tests.desk_helpers import cheap_hasher, client, csrf_of

__all__ = ["cheap_hasher", "client"]


async def _step(
    client: httpx.AsyncClient, person_id: int, kind: str, **fields: str
) -> httpx.Response:
    form = await client.get(f"/desk/people/{person_id}/path/new?kind={kind}")
    assert form.status_code == 200
    data = {"csrf": csrf_of(form), "kind": kind, **fields}
    return await client.post(f"/desk/people/{person_id}/path/new", data=data)


async def test_an_internship_that_ends_in_a_hire_with_its_codes(
    app: App, client: httpx.AsyncClient
) -> None:
    booking = await booking_of(app, "anna")
    person_id = booking.person_id or 0
    await log_in_as_operator(app, client, booking.operator_id)
    added = await _step(
        client,
        person_id,
        "internship",
        company_name="Cartiera Esempio",
        started_on="2027-01-11",
        planned_end_on="2027-07-10",
    )
    assert added.status_code == 303
    async with app.db.read() as tx:
        [internship] = await paths.path_of(tx, person_id)
    assert internship.kind is PathStepKind.INTERNSHIP
    assert paths.outcome_code(internship, [internship]) == "TA"

    end_url = f"/desk/people/{person_id}/path/{internship.id}/end"
    form = await client.get(end_url)
    bad = await client.post(
        end_url, data={"csrf": csrf_of(form), "ended_on": "2026-01-01", "end_reason": "x"}
    )
    assert bad.status_code == 400
    assert bad.text.count('aria-invalid="true"') == 2  # the date before the start, the reason
    ended = await client.post(
        end_url, data={"csrf": csrf_of(form), "ended_on": "2027-05-31", "end_reason": "hired"}
    )
    assert ended.status_code == 303
    hired = await _step(
        client,
        person_id,
        "hire",
        company_name="Cartiera Esempio",
        started_on="2027-06-01",
        contract="fixed_12",
        internship_id=str(internship.id),
    )
    assert hired.status_code == 303
    async with app.db.read() as tx:
        steps = await paths.path_of(tx, person_id)
        actions = [e.action for e in await tx.audit.recent()]
    internship, hire = steps
    assert (internship.ended_on, internship.end_reason) == (date(2027, 5, 31), InternshipEnd.HIRED)
    assert hire.contract is ContractType.FIXED_12
    assert hire.internship_id == internship.id
    assert paths.outcome_code(internship, steps) == "CAS"  # hired where the internship was
    assert paths.outcome_code(hire, steps) == "ACTD12"
    assert {"path.internship", "path.internship_end", "path.hire"} <= set(actions)

    page = html.unescape((await client.get(f"/desk/people/{person_id}")).text)
    assert "Tirocinio · Cartiera Esempio" in page  # the back-office speaks Italian
    assert "ACTD12" in page
    assert "Fine del tirocinio" in page  # in the timeline


async def test_every_problem_of_a_form_is_shown_next_to_its_field(
    app: App, client: httpx.AsyncClient
) -> None:
    booking = await booking_of(app, "anna")
    person_id = booking.person_id or 0
    await log_in_as_operator(app, client, booking.operator_id)
    bad = await _step(
        client, person_id, "training", title="", started_on="31/02/2027", completed="maybe"
    )
    assert bad.status_code == 400
    assert 'id="e-title"' in bad.text
    assert 'id="e-started_on"' in bad.text
    assert 'id="e-completed"' in bad.text
    hire = await _step(client, person_id, "hire", company_name="X", started_on="2027-01-01")
    assert 'id="e-contract"' in hire.text
    forged = await _step(
        client,
        person_id,
        "hire",
        company_name="X",
        started_on="2027-01-01",
        contract="permanent",
        internship_id="999",
        company_id="abc",
    )
    assert 'id="e-internship_id"' in forged.text
    assert 'id="e-company_id"' in forged.text
    unknown = await client.get(f"/desk/people/{person_id}/path/new?kind=lottery")
    assert unknown.status_code == 404
    async with app.db.read() as tx:
        assert await paths.path_of(tx, person_id) == []


async def test_only_the_persons_operators_touch_the_path(
    app: App, client: httpx.AsyncClient
) -> None:
    booking = await booking_of(app, "anna")
    person_id = booking.person_id or 0
    await log_in_as_operator(app, client, other_operator(app, booking.operator_id))
    assert (
        await client.get(f"/desk/people/{person_id}/path/new?kind=cpi_referral")
    ).status_code == 403
    async with app.db.read() as tx:
        assert await paths.path_of(tx, person_id) == []


async def test_the_path_is_in_my_data_and_goes_with_erasure(
    app: App, client: httpx.AsyncClient
) -> None:
    booking = await booking_of(app, "anna")
    person_id = booking.person_id or 0
    await log_in_as_operator(app, client, booking.operator_id)
    await _step(
        client,
        person_id,
        "training",
        title="Carrellista",
        provider="Agenzia formativa",
        started_on="2027-01-11",
        ended_on="2027-02-11",
        completed="yes",
        qualification="Patentino muletto",
    )
    await _step(client, person_id, "cpi_referral", started_on="2026-12-01")
    exported = json.loads((await client.get(f"/desk/people/{person_id}/data.json")).text)
    items = [i["item"] for i in exported["items"] if i["section"] == "Percorso"]
    assert any("Carrellista" in i and "Patentino muletto" in i for i in items)
    assert any("Centro per l'Impiego" in i for i in items)

    anna = Chat(app.engine, "anna")
    text = "\n".join(r.text for r in await anna.send("/mydata"))
    assert "Training · Carrellista · Agenzia formativa" in text
    assert "completed" in text

    # A step recorded by mistake can be deleted.
    page = await client.get(f"/desk/people/{person_id}")
    async with app.db.read() as tx:
        first = (await paths.path_of(tx, person_id))[0]
    gone = await client.post(
        f"/desk/people/{person_id}/path/{first.id}/delete", data={"csrf": csrf_of(page)}
    )
    assert gone.status_code == 303
    async with app.db.write() as tx:
        assert len(await paths.path_of(tx, person_id)) == 1
        await people.erase(tx, app.settings.agenda, person_id, app.clock.now())
    async with app.db.read() as tx:
        assert await paths.path_of(tx, person_id) == []


async def test_linking_two_identities_moves_the_path_and_the_follow_up(app: App) -> None:
    now = app.clock.now()
    first = people.IdentityKey(Channel.TELEGRAM, "111")
    second = people.IdentityKey(Channel.WHATSAPP, "+393331234567")
    async with app.db.write() as tx:
        older = await people.first_contact(tx, first.channel, first.external_id, now, "it")
        newer = await people.first_contact(tx, second.channel, second.external_id, now, "it")
        step = PathStep(0, newer.id, PathStepKind.CPI_REFERRAL, date(2026, 12, 1))
        await tx.paths.add(step, now)
        await tx.followups.asked(newer.id, 3, now)
        await tx.followups.asked(older.id, 3, now)  # both asked: one row stays
        result = await people.link(tx, first, second)
        assert result.kept == older.id
        assert [s.kind for s in await paths.path_of(tx, older.id)] == [PathStepKind.CPI_REFERRAL]
        assert [a.months for a in await tx.followups.of_person(older.id)] == [3]
