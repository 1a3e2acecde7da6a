"""The whole chain of issue 13, as its people would go through it, on the manual clock:

1. a person does the intake in the chat (and books a meeting);
2. staff import a company profile (`sportello companies import`);
3. matching lists the person, and not someone who lacks a required skill;
4. the operator proposes her with a reason; she answers in the chat;
5. after the meeting, an internship is recorded and ends in a hire;
6. the 3-month follow-up arrives, and its answer is stored.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from pathlib import Path

import httpx

from bot.app import App
from bot.capabilities import paths
from bot.clock import ROME, ManualClock
from bot.companies_cli import import_file
from bot.domain import Channel
from bot.placement import ContractType, ProposalAnswer, WorkStatus
from tests.agenda_helpers import booking_of, log_in_as_operator
from tests.booking_helpers import RecordingSender, recording_dispatcher
from tests.chat import TYPICAL_ANSWERS, Chat, answer_all
from tests.desk_helpers import cheap_hasher, client, csrf_of, login

__all__ = ["cheap_hasher", "client"]

COMPANY = """
[[company]]
name = "Hotel Esempio"
sector = "tourism"
area = "Lucca"
[[company.profile]]
code = "hotel-cam"
title = "Cameriere di sala"
essential = ["tourism.table_service"]
desirable = ["tourism.bar"]
openings = 1
availability = ["weekends"]
"""


async def _person_id(app: App, who: str) -> int:
    async with app.db.read() as tx:
        person = await tx.people.by_identity(Channel.TELEGRAM, who)
    assert person is not None
    return person.id


async def _again(app: App, client: httpx.AsyncClient, operator_id: str) -> None:
    """Time has passed: the operator logs in again (sessions last two idle hours)."""
    client.cookies.clear()
    assert (await login(client, f"{operator_id}@desk.example.org")).status_code == 303


async def _post(client: httpx.AsyncClient, page: str, action: str, **form: str) -> httpx.Response:
    token = csrf_of(await client.get(page))
    return await client.post(action, data={"csrf": token, **form})


async def test_from_the_intake_to_the_three_month_follow_up(
    app: App, clock: ManualClock, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    # 1. Anna does the intake in the chat (table service, weekends) and books a meeting.
    booking = await booking_of(app, "anna")
    anna_id = booking.person_id or 0
    # Someone else with the same answers but reception instead of table service.
    luca = Chat(app.engine, "luca")
    await luca.send("/start")
    await luca.tap("notice.accept")
    without = [
        ("tap", "tourism.reception") if a == ("tap", "tourism.table_service") else a
        for a in TYPICAL_ANSWERS
    ]
    await answer_all(luca, without)
    await luca.tap("summary.confirm")
    luca_id = await _person_id(app, "luca")

    # 2. Staff import the company's profile.
    file = tmp_path / "companies.toml"
    file.write_text(COMPANY, encoding="utf-8")
    lines, ok = await import_file(app, file)
    assert ok, lines

    # 3. The operator's match list has Anna, not Luca.
    await log_in_as_operator(app, client, booking.operator_id)
    async with app.db.read() as tx:
        found = await tx.job_profiles.by_code("hotel-cam")
    assert found is not None
    listing = html.unescape((await client.get(f"/desk/profiles/{found.id}")).text)
    shown = set(map(int, re.findall(r'href="/desk/people/(\d+)"', listing)))
    assert anna_id in shown
    assert luca_id not in shown
    assert f"/desk/people/{anna_id}/propose?profile={found.id}" in listing

    # 4. The operator proposes her; she is told in the chat and is interested.
    propose_page = f"/desk/people/{anna_id}/propose?profile={found.id}"
    reason = "Five years of table service in Viareggio, free at weekends."
    sent = await _post(
        client,
        propose_page,
        f"/desk/people/{anna_id}/propose",
        profile=str(found.id),
        reason=reason,
    )
    assert sent.status_code == 303
    sender = RecordingSender()
    await recording_dispatcher(app, sender).tick()
    [told] = [r for r in sender.to("anna") if reason in r.text]
    anna = Chat(app.engine, "anna")
    anna.replies = [told]
    await anna.tap("prop.yes")
    async with app.db.read() as tx:
        [proposal] = await tx.proposals.of_person(anna_id)
    assert proposal.answer is ProposalAnswer.INTERESTED

    # The meeting is held; the next morning she rates it and agrees to the follow-up.
    clock.set(booking.ends_at)
    await _again(app, client, booking.operator_id)
    agenda = f"/desk/people/{anna_id}"  # any page of the session carries its CSRF token
    recorded = await _post(client, agenda, f"/desk/agenda/{booking.id}/outcome", outcome="attended")
    assert recorded.status_code == 303
    clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=ROME))
    sender = RecordingSender()
    await recording_dispatcher(app, sender).tick()
    anna.replies = [r for r in sender.to("anna") if r.options]
    await anna.tap("score.5")
    await anna.tap("fu.yes")

    # 5. An internship at the hotel, ended by a hire there (recorded as it happens).
    clock.set(datetime(2027, 2, 16, 9, 0, tzinfo=ROME))
    await _again(app, client, booking.operator_id)
    record = f"/desk/people/{anna_id}"
    new_step = f"{record}/path/new"
    started = await _post(
        client,
        f"{new_step}?kind=internship",
        new_step,
        kind="internship",
        company_name="Hotel Esempio",
        started_on="2026-12-01",
        planned_end_on="2027-05-31",
    )
    assert started.status_code == 303
    async with app.db.read() as tx:
        [internship] = await paths.path_of(tx, anna_id)
    end = f"{record}/path/{internship.id}/end"
    ended = await _post(client, end, end, ended_on="2027-02-15", end_reason="hired")
    assert ended.status_code == 303
    hired = await _post(
        client,
        f"{new_step}?kind=hire",
        new_step,
        kind="hire",
        company_name="Hotel Esempio",
        started_on="2027-02-16",
        contract="fixed_12",
        internship_id=str(internship.id),
    )
    assert hired.status_code == 303
    async with app.db.read() as tx:
        steps = await paths.path_of(tx, anna_id)
    assert [paths.outcome_code(s, steps) for s in steps] == ["CAS", "ACTD12"]

    # 6. Three months after the meeting the follow-up arrives; her answers are stored.
    clock.set(datetime(2027, 2, 24, 10, 30, tzinfo=ROME))
    sender = RecordingSender()
    await recording_dispatcher(app, sender).tick()
    [question] = [r for r in sender.to("anna") if "Are you working now?" in r.text]
    anna.replies = [question]
    await anna.tap("fu.employed")
    await anna.tap("fu.fixed_12")
    assert anna.last_text == "Is it with the company where you did your internship?"
    await anna.tap("fu.same")
    async with app.db.read() as tx:
        answer = await tx.followups.get(anna_id, 3)
    assert answer is not None
    assert (answer.working, answer.contract, answer.same_company) == (
        WorkStatus.EMPLOYED,
        ContractType.FIXED_12,
        True,
    )
    assert answer.answered_at == clock.now()
    await _again(app, client, booking.operator_id)
    page = html.unescape((await client.get(record)).text)
    assert "Dopo 3 mesi · lavora come dipendente" in page  # self-declared, on the record
