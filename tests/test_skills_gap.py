"""The skills gap: demand from open profiles next to the people who declare each skill, by
sector; as the annual report's section, with only the people column suppressed; and the
workshops that teach a skill, from the back-office and from a workshop file."""

from __future__ import annotations

from pathlib import Path

import httpx

from bot.admin import import_workshops
from bot.app import App
from bot.capabilities import skills_gap
from bot.capabilities import workshop_admin as wa
from bot.capabilities.accounts import Role
from bot.i18n import load_translators
from bot.monitoring.figures import Data
from bot.monitoring.skills_gap_table import skills_gap as report_table
from bot.monitoring.suppression import suppress
from tests.company_helpers import person, profile
from tests.desk_helpers import add_accounts, cheap_hasher, client, csrf_of, email_of, login
from tests.workshop_helpers import new_workshop

__all__ = ["cheap_hasher", "client"]


async def seed(app: App) -> None:
    await profile(
        app, {"code": "op", "title": "Op", "essential": ["paper.machine_operator"], "openings": 2}
    )
    await profile(
        app,
        {
            "code": "cook",
            "title": "Cook",
            "essential": ["tourism.cook"],
            "desirable": ["tourism.haccp"],
            "openings": 3,
        },
        company="Hotel",
    )
    await profile(
        app, {"code": "old", "title": "Old", "essential": ["tourism.bar"], "state": "closed"}
    )
    now = app.clock.now()
    for i in range(6):
        await person(app, f"c{i}", {"skills.tourism": ["tourism.cook"]}, now)
    await person(app, "p", {"skills.paper": ["paper.machine_operator"]}, now)


async def test_the_gap_counts_open_profiles_and_people_by_sector(app: App) -> None:
    await seed(app)
    async with app.db.read() as tx:
        rows = await skills_gap.gap(tx, app.engine.content.sectors)
    found = [(r.sector_id, r.skill_id, r.profiles, r.essential, r.openings, r.people) for r in rows]
    assert found == [
        ("paper", "paper.machine_operator", 1, 1, 2, 1),
        ("tourism", "tourism.cook", 1, 1, 3, 6),
        ("tourism", "tourism.haccp", 1, 0, 3, 0),
    ]


async def test_the_report_section_hides_only_small_counts_of_people(app: App) -> None:
    await seed(app)
    async with app.db.read() as tx:
        rows = await skills_gap.gap(tx, app.engine.content.sectors)
    tr = load_translators(app.settings.locales_dir)["en"]
    [table] = report_table(
        tr, Data(app.clock.now().date(), app.clock.now().date(), [], [], [], rows)
    )
    shown = suppress(table)
    assert table.rows[0].label == "Paper and paper machinery: Running a paper machine (continuous)"
    assert shown[0] == [1, 2, None]  # one person: "<5"; the company's figures stay
    assert shown[1] == [1, 3, 6]


async def test_staff_tag_a_workshop_with_the_skills_it_teaches(
    app: App, client: httpx.AsyncClient
) -> None:
    async with app.db.write() as tx:
        workshop = await new_workshop(tx, app)
    await add_accounts(app)
    await login(client, email_of(Role.STAFF))
    page = await client.get(f"/desk/workshops/{workshop.id}/skills")
    assert 'name="skill.tourism.haccp"' in page.text
    saved = await client.post(
        f"/desk/workshops/{workshop.id}/skills",
        data={"csrf": csrf_of(page), "skill.tourism.haccp": "on", "skill.nope.x": "on"},
    )
    assert saved.status_code == 400  # an id nobody offered is refused, nothing saved
    saved = await client.post(
        f"/desk/workshops/{workshop.id}/skills",
        data={"csrf": csrf_of(page), "skill.tourism.haccp": "on"},
    )
    assert saved.status_code == 303
    async with app.db.read() as tx:
        assert await tx.workshop_skills.of_workshop(workshop.id) == ["tourism.haccp"]


async def test_a_workshop_file_may_say_what_it_teaches(app: App, tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text(
        '[[workshop]]\ntitle = "HACCP"\nstarts = "2026-12-10 10:00"\ncapacity = 10\n'
        'place = "Lucca"\nskills = ["tourism.haccp"]\n\n'
        '[[workshop]]\ntitle = "Bad"\nstarts = "2026-12-11 10:00"\ncapacity = 10\n'
        'place = "Lucca"\nskills = ["tourism.nope"]\n',
        encoding="utf-8",
    )
    lines, ok = await import_workshops(
        app.db, path, wa.AudienceCodes.of(app.engine.content.sectors), app.clock.now()
    )
    assert not ok
    assert "[2/2] skipped: skills: Unknown skills: tourism.nope" in "\n".join(lines)
    async with app.db.read() as tx:
        [workshop] = await tx.workshops.all()
        assert await tx.workshop_skills.of_workshop(workshop.id) == ["tourism.haccp"]
