"""The report's sections on companies, proposals, paths and follow-up outcomes, counted by
hand: each fact is counted when it is recorded, erasure keeps it, a deletion or a correction
moves it back; small cells are suppressed (the companies' figures are not)."""

from __future__ import annotations

from datetime import date, timedelta

from bot.app import App
from bot.capabilities import accounts, outcome_followup, paths, people, proposals
from bot.capabilities import report_counts as rc
from bot.capabilities.accounts import Role
from bot.domain import Channel
from bot.monitoring.figures import Data
from bot.monitoring.followup_table import followup_table
from bot.monitoring.headlines import headlines
from bot.monitoring.suppression import suppress
from bot.placement import ContractType, InternshipEnd, PathStepKind, ProposalAnswer
from bot.placement import WorkStatus as W
from storage.monitoring_repos import EventGroup
from storage.user_repos import DeskUser
from tests.company_helpers import profile
from tests.desk_helpers import cheap_hasher
from tests.test_monitoring_figures import TR, YEAR, at, figures_of, person

__all__ = ["cheap_hasher"]
YOUNG_WOMAN = ("18_29", "female", "unemployed", "gt12", "employee")
OLDER_MAN = ("55_plus", "male", "crisis", None, "crisis")


async def admin(app: App) -> DeskUser:
    async with app.db.write() as tx:
        made = await accounts.add_user(
            tx, "admin@example.org", Role.ADMIN, "a long password 1", app.clock.now(), name="A"
        )
        assert made.user_id is not None
        found = await tx.desk_users.get(made.user_id)
    assert found is not None
    return found


async def two_people(app: App) -> tuple[int, int]:
    async with app.db.write() as tx:
        young = await person(tx, "p1", Channel.TELEGRAM, at(3, 2), *YOUNG_WOMAN, confirm=True)
        older = await person(tx, "p2", Channel.TELEGRAM, at(3, 3), *OLDER_MAN, confirm=True)
    return young, older


async def step(app: App, user: DeskUser, who: int, kind: PathStepKind, **values: str) -> int:
    async with app.db.write() as tx:
        result = await paths.record_step(tx, user, who, kind, values, app.clock.now())
    assert result.step_id is not None, result.problems
    return result.step_id


async def test_path_steps_are_counted_on_their_days_and_survive_erasure(app: App) -> None:
    user = await admin(app)
    young, older = await two_people(app)
    K = PathStepKind
    mistake = await step(app, user, young, K.CPI_REFERRAL, started_on="2026-03-04")
    await step(app, user, young, K.CPI_REFERRAL, started_on="2026-03-05")
    await step(app, user, young, K.TRAINING, title="Muletto", started_on="2026-03-10",
               ended_on="2026-04-10", completed="yes")  # fmt: skip
    await step(app, user, older, K.TRAINING, title="Saldatura", started_on="2026-03-10")
    internship = await step(app, user, young, K.INTERNSHIP, company_name="Cartiera",
                            started_on="2026-04-15", planned_end_on="2026-10-15")  # fmt: skip
    now = app.clock.now()
    async with app.db.write() as tx:
        ends = ({"ended_on": "2026-06-30", "end_reason": "by_company"},
                {"ended_on": "2026-06-29", "end_reason": "hired"})  # fmt: skip
        for end in ends:  # the second corrects the first: the count moves
            assert (await paths.end_internship(tx, user, internship, end, now)).step_id
        assert await paths.delete_step(tx, user, mistake, now) == young
    await step(app, user, young, K.HIRE, company_name="Cartiera", started_on="2026-07-01",
               contract="fixed_12", internship_id=str(internship))  # fmt: skip
    await step(app, user, older, K.SELF_EMPLOYMENT, started_on="2027-01-10")  # not in 2026
    async with app.db.write() as tx:
        await people.erase(tx, app.settings.agenda, young, app.clock.now())

    t = await figures_of(app, *YEAR)
    steps = t["paths_steps"]
    assert [steps.cell(k, "all") for k, _ in _step_rows()] == [1, 2, 1, 1, 1, 1, 0]
    assert steps.cell(rc.TRAINING_STARTED, "young") == 1
    assert steps.cell(rc.TRAINING_STARTED, "over_50") == 1
    ended = t["paths_internship_ends"]
    assert ended.cell(rc.internship_ended(InternshipEnd.HIRED), "women") == 1
    assert ended.cell(rc.internship_ended(InternshipEnd.BY_COMPANY), "all") == 0
    assert ended.cell("total", "all") == 1
    assert ended.rows[3].label == "Assunzione (FINASS)"  # ANPAL's code beside the reason
    moved = await figures_of(app, date(2026, 6, 30), date(2026, 6, 30))
    assert moved["paths_internship_ends"].cell("total", "all") == 0  # the end moved a day
    hires = t["paths_hires"]
    assert hires.cell(rc.hired(ContractType.FIXED_12), "long_term") == 1
    assert any(r.label.endswith("(ACTD12)") for r in hires.rows)
    assert any(r.label.endswith("(ACS/ACA)") for r in hires.rows)
    assert suppress(steps)[0][0] is None  # one person: "<5"
    later = await figures_of(app, date(2027, 1, 1), date(2027, 12, 31))
    assert later["paths_steps"].cell(rc.SELF_EMPLOYMENT, "aspiring_self_employed") == 0
    assert later["paths_steps"].cell(rc.SELF_EMPLOYMENT, "crisis_workers") == 1


def _step_rows() -> list[tuple[str, str]]:
    from bot.monitoring.paths_table import ENDED, HIRED

    keys = [rc.CPI_REFERRAL, rc.TRAINING_STARTED, rc.TRAINING_COMPLETED, rc.INTERNSHIP_STARTED]
    return [(k, "") for k in (*keys, ENDED, HIRED, rc.SELF_EMPLOYMENT)]


async def test_follow_up_answers_are_counted_with_those_asked(app: App) -> None:
    young, older = await two_people(app)
    now = app.clock.now()
    async with app.db.write() as tx:
        for who in (young, older):
            await outcome_followup.set_consent(tx, who, "1", True, now)
            await outcome_followup.asked(tx, who, 3, now)
            await outcome_followup.asked(tx, who, 3, now)  # asked again: counted once
        await outcome_followup.asked(tx, young, 6, now)
        assert await outcome_followup.answer_working(tx, young, 3, W.EMPLOYED, now)
        # Not counted until the last question is answered.
        assert await outcome_followup.answer_contract(
            tx, young, 3, ContractType.PERMANENT, now, last=True
        )
        assert await outcome_followup.answer_working(tx, older, 3, W.NOT_WORKING, now)
        await people.erase(tx, app.settings.agenda, young, now)
    t = await figures_of(app, *YEAR)
    three = t["outcomes_3_months"]
    key = rc.followup
    assert [three.cell(key(3, w), "all") for w in ("asked", "answered")] == [2, 2]
    assert three.cell(key(3, W.EMPLOYED.value), "young") == 1
    assert three.cell(key(3, W.NOT_WORKING.value), "over_50") == 1
    assert three.cell(rc.followup_contract(3, ContractType.PERMANENT), "women") == 1
    assert three.cell(rc.followup_contract(3, None), "all") == 0
    six = t["outcomes_6_months"]
    assert [six.cell(key(6, w), "all") for w in ("asked", "answered")] == [1, 0]
    assert t["outcomes_12_months"].cell(key(12, "asked"), "all") == 0


def test_the_answers_add_up_to_those_who_answered_so_a_hidden_one_is_not_worked_out() -> None:
    def group(event: str, count: int) -> EventGroup:
        return EventGroup(
            "2026-03", event, "", ("18_29", "female", "unemployed", "gt12", "employee"), -1, count
        )

    events = [
        group(rc.followup(3, "asked"), 9),
        group(rc.followup(3, "answered"), 8),
        group(rc.followup(3, "employed"), 3),
        group(rc.followup(3, "not_working"), 5),
        group(rc.followup_contract(3, ContractType.PERMANENT), 3),
    ]
    table = followup_table(TR, Data(*YEAR, [], events, []), 3)
    shown = [row[0] for row in suppress(table)]
    keys = [r.key for r in table.rows]
    assert shown[keys.index(rc.followup(3, "employed"))] is None
    # 8 answered - 5 not working would give the 3 employed away: hidden too.
    assert shown[keys.index(rc.followup(3, "not_working"))] is None
    assert shown[keys.index(rc.followup(3, "answered"))] == 8


async def test_proposals_and_answers_are_counted_a_change_moves_the_count(app: App) -> None:
    user = await admin(app)
    young, older = await two_people(app)
    profile_id = await profile(app, {"code": "c1", "title": "Operaio", "openings": 2})
    now = app.clock.now()
    async with app.db.write() as tx:
        made = []
        for who in (young, older):
            await people.record_notice(tx, who, "1", True, now)
            result = await proposals.propose(tx, user, who, profile_id, "Esperienza", now)
            assert result.proposal_id is not None, result.problems
            made.append(result.proposal_id)
        given = (
            ProposalAnswer.INTERESTED,
            ProposalAnswer.INTERESTED,
            ProposalAnswer.NOT_INTERESTED,
        )
        for answer in given:  # the same twice, then a change
            assert await proposals.answer(tx, young, made[0], answer, now)
    app.clock.advance(timedelta(days=2))  # type: ignore[attr-defined]
    later = app.clock.now()
    async with app.db.write() as tx:
        assert await proposals.answer(tx, older, made[1], ProposalAnswer.OBJECTED, later)
        await people.erase(tx, app.settings.agenda, young, later)
    table = (await figures_of(app, *YEAR))["proposals_answers"]
    answered = rc.proposal_answered
    assert table.cell(rc.PROPOSAL_MADE, "all") == 2
    assert table.cell(answered(ProposalAnswer.INTERESTED), "all") == 0
    assert table.cell(answered(ProposalAnswer.NOT_INTERESTED), "young") == 1
    assert table.cell(answered(ProposalAnswer.OBJECTED), "crisis_workers") == 1


async def test_companies_met_and_profiles_opened_in_the_period_by_sector(app: App) -> None:
    from bot.capabilities import companies as co

    await profile(app, {"code": "c1", "title": "Operaio", "openings": 2})
    await profile(app, {"code": "c2", "title": "Bobinatore", "openings": 1})
    now = app.clock.now()  # 24 November 2026
    async with app.db.write() as tx:
        company = await tx.companies.by_key(co.name_key("Cartiera Esempio"))
        assert company is not None
        operators = [o.id for o in app.settings.agenda.operators]
        for day in ("2026-03-02", "2026-11-02", "2025-12-31"):
            await co.add_visit(tx, company.id, day, operators[0], "", operators, now)
    t = await figures_of(app, *YEAR)
    table = t["companies_by_sector"]
    assert [table.cell("paper", c) for c in ("companies", "visits", "profiles", "openings")] == [
        1,
        2,
        2,
        3,
    ]
    assert table.cell("total", "visits") == 2
    assert suppress(table)[0][0] == 1  # companies are not people: nothing hidden
    spring = await figures_of(app, date(2026, 1, 1), date(2026, 6, 30))
    assert spring["companies_by_sector"].cell("total", "profiles") == 0
    assert spring["companies_by_sector"].cell("total", "visits") == 1


async def test_the_new_sections_are_in_order_and_on_the_aggregates_page(app: App) -> None:
    from bot.capabilities import monitoring

    async with app.db.read() as tx:
        report = await monitoring.build_figures(tx, *YEAR, TR, "Comune di Lucca")
    keys = [s.key for s in report.sections]
    assert keys[2:6] == ["companies", "proposals", "paths", "outcomes"]
    shown = {h.key for h in headlines(report, TR)}
    assert {"companies", "proposals", "paths", "hires"} <= shown
