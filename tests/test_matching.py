"""Matching: everyone who meets what the operator requires, in person-id order, and nothing
about who the person is goes in."""

from __future__ import annotations

import inspect
import re

from bot.app import App
from bot.capabilities import matching
from bot.domain import Channel
from bot.placement import ConditionKind
from storage import matching_repos
from tests.company_helpers import person, profile
from tests.workshop_helpers import new_workshop

PROFILE = {
    "code": "cart-op",
    "title": "Conduttore di macchina continua",
    "essential": ["paper.machine_operator", "paper.quality_lab"],
    "desirable": ["paper.reel_handling", "paper.rewinder"],
    "availability": ["shifts"],
    "transport": "licence",
    "italian": "basic",
    "residence": ["lucca", "province"],
}
BOTH = {"skills.paper": ["paper.machine_operator", "paper.quality_lab", "paper.reel_handling"]}
FORBIDDEN = ("age_band", "gender", "citizenship", "support")


async def run(
    app: App, skills: list[str] | None = None, kinds: list[str] | None = None
) -> list[int]:
    async with app.db.read() as tx:
        found = await matching.match_code(tx, "cart-op", app.clock.now())
        assert found is not None
        if skills is not None or kinds is not None:
            chosen = matching.chosen(
                found.profile,
                skills if skills is not None else found.profile.essential,
                kinds if kinds is not None else [k.value for k in ConditionKind],
            )
            found = await matching.match(tx, found.profile, chosen, app.clock.now())
    return [c.person_id for c in found.candidates]


async def test_everyone_who_meets_the_rule_is_listed_in_id_order(app: App) -> None:
    await profile(app, PROFILE)
    now = app.clock.now()
    first = await person(app, "a", BOTH, now)
    await person(app, "b", {"skills.paper": ["paper.machine_operator"]}, now)  # lacks one
    third = await person(app, "c", BOTH, now)
    await person(app, "d", {**BOTH, "italian": "learning"}, now)
    await person(app, "e", {**BOTH, "transport": "none"}, now)
    await person(app, "f", {**BOTH, "residence": "elsewhere"}, now)
    await person(app, "g", {**BOTH, "availability": ["part_time"]}, now)
    assert await run(app) == [first, third]


async def test_each_candidate_shows_what_they_have_and_lack_with_the_workshops(app: App) -> None:
    await profile(app, PROFILE)
    now = app.clock.now()
    someone = await person(app, "a", BOTH, now)
    async with app.db.write() as tx:
        workshop = await new_workshop(tx, app)
        await tx.workshop_skills.set_for(workshop.id, ["paper.rewinder"])
    async with app.db.read() as tx:
        found = await matching.match_code(tx, "cart-op", now)
    assert found is not None
    [candidate] = found.candidates
    assert candidate.person_id == someone
    assert candidate.required == ("paper.machine_operator", "paper.quality_lab")
    assert candidate.desirable == ("paper.reel_handling",)
    [gap] = candidate.lacking
    assert gap.skill_id == "paper.rewinder"
    assert [w.workshop_id for w in gap.workshops] == [workshop.id]


async def test_the_operator_decides_what_is_required(app: App) -> None:
    await profile(app, PROFILE)
    now = app.clock.now()
    one = await person(app, "a", {"skills.paper": ["paper.machine_operator"]}, now)
    two = await person(
        app, "b", {"skills.paper": ["paper.machine_operator"], "italian": "learning"}, now
    )
    assert await run(app) == []
    assert await run(app, skills=["paper.machine_operator"]) == [one]
    assert await run(app, skills=["paper.machine_operator"], kinds=["transport"]) == [one, two]
    # Not the profile's own: ignored, not added.
    assert await run(app, skills=["paper.machine_operator", "care.oss"], kinds=["gender"]) == [
        one,
        two,
    ]


async def test_age_gender_citizenship_and_support_change_nothing(app: App) -> None:
    await profile(app, PROFILE)
    now = app.clock.now()
    plain = [await person(app, f"p{i}", BOTH, now) for i in range(3)]
    before = await run(app)
    async with app.db.write() as tx:
        for person_id, values in zip(
            plain,
            (("u18", "male", "non_eu", "yes"), ("55_plus", "other", "eu", "yes"), (None,) * 4),
            strict=True,
        ):
            for question, value in zip(FORBIDDEN, values, strict=True):
                await tx.answers.save(person_id, question, value, now)
    assert await run(app) == before == plain


async def test_an_unconfirmed_intake_is_not_matched(app: App) -> None:
    await profile(app, PROFILE)
    now = app.clock.now()
    listed = await person(app, "a", BOTH, now)
    async with app.db.write() as tx:
        draft = await tx.people.create(Channel.TELEGRAM, "z", now, "it")
        await tx.answers.save(draft.id, "skills.paper", BOTH["skills.paper"], now)
    assert await run(app) == [listed]


def test_matching_never_names_who_the_person_is() -> None:
    """The code that matches cannot ask for these answers: their question ids do not appear."""
    for module in (matching, matching_repos):
        source = inspect.getsource(module)
        code = re.sub(r'""".*?"""', "", source, flags=re.S)  # docstrings may explain
        for question in FORBIDDEN:
            assert question not in code, f"{module.__name__} mentions {question}"
    assert not set(FORBIDDEN) & {k.value for k in ConditionKind}


async def test_the_questions_read_are_skills_and_conditions_only(app: App) -> None:
    await profile(app, PROFILE)
    async with app.db.read() as tx:
        found = await tx.job_profiles.by_code("cart-op")
    assert found is not None
    assert matching.questions([found]) == [
        "skills.paper",
        "availability",
        "transport",
        "italian",
        "residence",
    ]


async def test_the_reverse_view_lists_the_open_profiles_a_person_meets(app: App) -> None:
    await profile(app, PROFILE)
    await profile(
        app, {**PROFILE, "code": "other", "essential": ["paper.rewinder"], "desirable": []}
    )
    await profile(app, {**PROFILE, "code": "shut", "state": "closed"})
    now = app.clock.now()
    someone = await person(app, "a", BOTH, now)
    async with app.db.read() as tx:
        met = await matching.profiles_met(tx, someone)
    assert [m.profile.code for m in met] == ["cart-op"]
    assert met[0].company_name == "Cartiera Esempio"
