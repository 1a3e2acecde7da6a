"""Companies, job profiles and scouting visits: the checks and the writes."""

from __future__ import annotations

from datetime import date

import pytest

from bot.app import App
from bot.capabilities import companies as co
from bot.placement import ConditionKind, ProfileState

PROFILE = {
    "code": "cart-op",
    "title": "Conduttore di macchina continua",
    "essential": ["paper.machine_operator"],
    "desirable": ["paper.reel_handling"],
    "openings": 2,
    "availability": ["shifts"],
    "transport": "licence",
    "italian": "basic",
    "residence": ["lucca", "province"],
}


async def make_company(app: App, name: str = "Cartiera Esempio") -> int:
    sectors = app.engine.content.sectors
    draft = co.check_company({"name": name, "sector": "paper", "ateco": "17.12"}, sectors)
    async with app.db.write() as tx:
        return await co.save_company(tx, draft, app.clock.now())


async def test_a_company_with_a_profile_is_stored_and_read_back(app: App) -> None:
    company_id = await make_company(app)
    draft = co.check_profile(PROFILE, app.engine.content.sectors)
    async with app.db.write() as tx:
        await co.save_profile(tx, company_id, draft, app.clock.now())
    async with app.db.read() as tx:
        view = await co.company_view(tx, company_id)
        found = await co.profile_by_code(tx, "CART-OP")
    assert view is not None
    assert found is not None
    assert view.company.ateco == "17.12"
    assert found.state is ProfileState.OPEN
    assert found.openings == 2
    assert found.essential == ("paper.machine_operator",)
    assert found.desirable == ("paper.reel_handling",)
    assert found.conditions[ConditionKind.RESIDENCE] == ("lucca", "province")
    assert found.conditions[ConditionKind.ITALIAN] == ("basic",)


async def test_saving_a_profile_again_by_code_updates_it(app: App) -> None:
    company_id = await make_company(app)
    sectors = app.engine.content.sectors
    async with app.db.write() as tx:
        first = await co.save_profile(
            tx, company_id, co.check_profile(PROFILE, sectors), app.clock.now()
        )
        changed = {**PROFILE, "openings": 3, "desirable": [], "italian": None}
        again = await co.save_profile(
            tx, company_id, co.check_profile(changed, sectors), app.clock.now()
        )
        found = await co.profile(tx, first)
    assert first == again
    assert found is not None
    assert found.openings == 3
    assert found.desirable == ()
    assert ConditionKind.ITALIAN not in found.conditions


def test_every_problem_of_a_profile_is_reported_with_its_field(app: App) -> None:
    bad = {
        "code": "x",
        "title": "",
        "openings": "lots",
        "state": "maybe",
        "essential": ["paper.nothing"],
        "desirable": "paper.nothing",
        "availability": "nights",
        "transport": "bike",
        "italian": "good basic",
    }
    with pytest.raises(co.Invalid) as caught:
        co.check_profile(bad, app.engine.content.sectors)
    fields = {p.field for p in caught.value.problems}
    assert fields == {
        "code",
        "title",
        "openings",
        "state",
        "essential",
        "desirable",
        "availability",
        "transport",
        "italian",
    }
    assert "paper.nothing" in str(caught.value)


def test_a_company_needs_a_name_and_a_known_sector(app: App) -> None:
    with pytest.raises(co.Invalid) as caught:
        co.check_company(
            {"name": " ", "sector": "space", "ateco": "abc"}, app.engine.content.sectors
        )
    assert {p.field for p in caught.value.problems} == {"name", "sector", "ateco"}


async def test_two_companies_cannot_share_a_name(app: App) -> None:
    await make_company(app)
    with pytest.raises(co.Invalid):
        await make_company(app, "  cartiera   ESEMPIO ")


async def test_a_profile_code_of_another_company_is_refused(app: App) -> None:
    first, second = await make_company(app), await make_company(app, "Altra")
    draft = co.check_profile(PROFILE, app.engine.content.sectors)
    async with app.db.write() as tx:
        await co.save_profile(tx, first, draft, app.clock.now())
    with pytest.raises(co.Invalid):
        async with app.db.write() as tx:
            await co.save_profile(tx, second, draft, app.clock.now())


async def test_a_visit_is_by_a_configured_operator_and_not_in_the_future(app: App) -> None:
    company_id = await make_company(app)
    now = app.clock.now()
    async with app.db.write() as tx:
        await co.add_visit(tx, company_id, "2026-11-20", "op1", "Met HR", ["op1"], now)
    with pytest.raises(co.Invalid) as caught:
        async with app.db.write() as tx:
            await co.add_visit(tx, company_id, "2026-12-31", "ghost", "", ["op1"], now)
    assert {p.field for p in caught.value.problems} == {"visited_on", "operator_id"}
    async with app.db.read() as tx:
        view = await co.company_view(tx, company_id)
    assert view is not None
    assert [(v.visited_on, v.operator_id) for v in view.visits] == [(date(2026, 11, 20), "op1")]


def test_conditions_accept_that_level_or_better() -> None:
    assert co.accepted(ConditionKind.ITALIAN, ["basic"]) == ("native", "good", "basic")
    assert co.accepted(ConditionKind.TRANSPORT, ["licence"]) == ("licence", "licence_car")
    assert co.accepted(ConditionKind.TRANSPORT, ["licence_car"]) == ("licence_car",)
