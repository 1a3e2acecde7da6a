"""Companies, job profiles, matching and the skills gap in the back-office: forms with their
errors next to the fields, who may change what, the lists as files, the reverse view on a
person's record, and counts without names for the viewer."""

from __future__ import annotations

import io
import re

import httpx
from openpyxl import load_workbook

from bot.app import App
from bot.capabilities.accounts import Role
from tests.company_helpers import person, profile
from tests.desk_helpers import add_accounts, cheap_hasher, client, csrf_of, email_of, login

__all__ = ["cheap_hasher", "client"]

PROFILE = {
    "code": "cart-op",
    "title": "Conduttore di macchina continua",
    "essential": ["paper.machine_operator", "paper.quality_lab"],
    "desirable": ["paper.reel_handling"],
    "italian": "basic",
}
HAS_BOTH = {"skills.paper": ["paper.machine_operator", "paper.quality_lab"]}


async def as_role(app: App, client: httpx.AsyncClient, role: Role) -> str:
    await add_accounts(app)
    await login(client, email_of(role))
    return csrf_of(await client.get("/desk/"))


async def test_staff_create_a_company_with_errors_next_to_the_fields(
    app: App, client: httpx.AsyncClient
) -> None:
    csrf = await as_role(app, client, Role.STAFF)
    page = await client.post(
        "/desk/companies/new", data={"csrf": csrf, "name": "", "sector": "paper", "ateco": "x"}
    )
    assert page.status_code == 400
    assert 'id="e-name"' in page.text
    assert 'id="e-ateco"' in page.text
    done = await client.post(
        "/desk/companies/new",
        data={"csrf": csrf, "name": "Cartiera Esempio", "sector": "paper", "area": "Capannori"},
    )
    assert done.status_code == 303
    company = await client.get(done.headers["location"])
    assert "Cartiera Esempio" in company.text
    assert "Capannori" in company.text
    listed = await client.get("/desk/companies")
    assert "Cartiera Esempio" in listed.text
    sheet = await client.get("/desk/companies/export.xlsx")
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.values)
    assert rows[1][0] == "Cartiera Esempio"


async def test_staff_create_a_profile_and_record_a_visit(
    app: App, client: httpx.AsyncClient
) -> None:
    csrf = await as_role(app, client, Role.STAFF)
    await client.post(
        "/desk/companies/new", data={"csrf": csrf, "name": "Cartiera", "sector": "paper"}
    )
    form = await client.get("/desk/companies/1/profiles/new")
    assert 'name="skill.paper.machine_operator"' in form.text
    bad = await client.post(
        "/desk/companies/1/profiles/new",
        data={"csrf": csrf, "code": "?", "title": "Operatore", "openings": "-1"},
    )
    assert bad.status_code == 400
    assert 'id="e-code"' in bad.text
    assert 'id="e-openings"' in bad.text
    good = await client.post(
        "/desk/companies/1/profiles/new",
        data={
            "csrf": csrf,
            "code": "cart-op",
            "title": "Operatore",
            "openings": "2",
            "state": "open",
            "skill.paper.machine_operator": "essential",
            "skill.paper.reel_handling": "desirable",
            "availability.shifts": "on",
            "italian": "good",
        },
    )
    assert good.status_code == 303
    async with app.db.read() as tx:
        found = await tx.job_profiles.by_code("cart-op")
    assert found is not None
    assert found.essential == ("paper.machine_operator",)
    assert found.desirable == ("paper.reel_handling",)
    edit = await client.get(f"/desk/profiles/{found.id}/edit")
    assert 'value="essential" selected' in edit.text
    future = await client.post(
        "/desk/companies/1/visits",
        data={"csrf": csrf, "visited_on": "2030-01-01", "operator_id": "nobody", "notes": ""},
    )
    assert future.status_code == 400
    assert 'id="e-visited_on"' in future.text
    operator = app.settings.agenda.operators[0].id
    visit = await client.post(
        "/desk/companies/1/visits",
        data={"csrf": csrf, "visited_on": "2026-11-20", "operator_id": operator, "notes": "HR"},
    )
    assert visit.status_code == 303
    assert "2026-11-20" in (await client.get("/desk/companies/1")).text


async def test_operators_read_but_cannot_change(app: App, client: httpx.AsyncClient) -> None:
    await profile(app, PROFILE)
    csrf = await as_role(app, client, Role.OPERATOR)
    assert (await client.get("/desk/companies/1")).status_code == 200
    assert (await client.get("/desk/profiles/1")).status_code == 200
    assert (await client.get("/desk/companies/1/edit")).status_code == 403
    refused = await client.post(
        "/desk/companies/new", data={"csrf": csrf, "name": "X", "sector": "paper"}
    )
    assert refused.status_code == 403


async def test_the_profile_page_lists_who_meets_it_by_number_and_the_operator_chooses(
    app: App, client: httpx.AsyncClient
) -> None:
    profile_id = await profile(app, PROFILE)
    now = app.clock.now()
    both = await person(app, "a", {**HAS_BOTH, "name": "Anna"}, now)
    one = await person(app, "b", {"skills.paper": ["paper.machine_operator"], "name": "Bea"}, now)
    await as_role(app, client, Role.ADMIN)
    page = await client.get(f"/desk/profiles/{profile_id}")
    assert f'href="/desk/people/{both}"' in page.text
    assert f'href="/desk/people/{one}"' not in page.text
    assert "Anna" not in page.text
    chosen = await client.get(
        f"/desk/profiles/{profile_id}?run=1&need.paper.machine_operator=on&cond.italian=on"
    )
    assert f'href="/desk/people/{both}"' in chosen.text
    assert f'href="/desk/people/{one}"' in chosen.text
    # The file is the list on screen, with the same choice.
    exported = await client.get(
        f"/desk/profiles/{profile_id}/matches/export.csv?run=1&need.paper.machine_operator=on"
    )
    lines = exported.content.decode("utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == [f"#{both}", f"#{one}"]
    async with app.db.read() as tx:
        assert "profile.match" in [e.action for e in await tx.audit.recent()]


async def test_a_record_shows_the_open_profiles_the_person_meets(
    app: App, client: httpx.AsyncClient
) -> None:
    await profile(app, PROFILE)
    someone = await person(app, "a", HAS_BOTH, app.clock.now())
    await as_role(app, client, Role.ADMIN)
    page = await client.get(f"/desk/people/{someone}")
    assert "Conduttore di macchina continua" in page.text
    assert 'href="/desk/profiles/1"' in page.text


async def test_the_skills_gap_counts_people_and_hides_small_counts_from_viewers(
    app: App, client: httpx.AsyncClient
) -> None:
    await profile(app, {**PROFILE, "openings": 3})
    now = app.clock.now()
    for i in range(3):
        await person(app, f"p{i}", HAS_BOTH, now)
    await as_role(app, client, Role.STAFF)
    page = await client.get("/desk/skills-gap")
    rows = re.findall(r"<tr><td>.*?</tr>", page.text)
    # Sector, skill, profiles, as essential, openings, people: two essential skills.
    assert len(rows) == 3
    assert sum("<td>1</td><td>1</td><td>3</td><td>3</td>" in r for r in rows) == 2
    chart = await client.get("/desk/skills-gap/chart.png")
    assert chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG")
    await client.post("/desk/logout", data={"csrf": csrf_of(page)})
    await login(client, email_of(Role.VIEWER))
    viewer = await client.get("/desk/skills-gap")
    assert viewer.status_code == 200
    assert "&lt;5" in viewer.text
    exported = (await client.get("/desk/skills-gap/export.csv")).content.decode("utf-8-sig")
    assert "<5" in exported
    assert (await client.get("/desk/companies")).status_code == 403
    assert (await client.get("/desk/profiles/1")).status_code == 403
