"""`sportello companies import/list` and `sportello match`: files checked row by row, every
problem said with its place, re-imports idempotent, matching output by number."""

from __future__ import annotations

from pathlib import Path

from bot.app import App
from bot.companies_cli import company_lines, import_file, match_lines
from tests.company_helpers import person
from tests.test_admin_commands import sportello

TOML = """
[[company]]
name = "Cartiera Esempio"
sector = "paper"
ateco = "17.12"
area = "Capannori"
[[company.profile]]
code = "cart-op"
title = "Conduttore di macchina continua"
essential = ["paper.machine_operator"]
desirable = ["paper.reel_handling"]
openings = 2
availability = ["shifts"]

[[company]]
name = "Hotel Esempio"
sector = "tourism"
[[company.profile]]
code = "hotel-rec"
title = "Receptionist"
essential = ["tourism.reception"]
italian = "good"
"""

CSV = (
    "name;sector;code;title;essential;desirable;openings;residence\n"
    "Cartiera Esempio;paper;cart-op;Conduttore;paper.machine_operator;paper.reel_handling;2;"
    "lucca province\n"
    "Cartiera Esempio;;cart-mnt;Manutentore;paper.mech_maintenance|paper.elec_maintenance;;1;\n"
)


async def test_a_toml_file_imports_and_a_second_import_changes_nothing(
    app: App, tmp_path: Path
) -> None:
    path = tmp_path / "companies.toml"
    path.write_text(TOML, encoding="utf-8")
    lines, ok = await import_file(app, path)
    assert ok, lines
    assert "companies 2 new, 0 changed; profiles 2 new, 0 changed, 0 unchanged" in lines[0]
    lines, ok = await import_file(app, path)
    assert ok
    assert "companies 0 new, 0 changed; profiles 0 new, 0 changed, 2 unchanged" in lines[0]
    path.write_text(TOML.replace("openings = 2", "openings = 3"), encoding="utf-8")
    lines, ok = await import_file(app, path)
    assert "profiles 0 new, 1 changed, 1 unchanged" in lines[0]
    listed = "\n".join(await company_lines(app))
    assert "Cartiera Esempio  [paper]  Capannori  last visit: never visited" in listed
    assert "  cart-op  open  openings 3  Conduttore di macchina continua" in listed


async def test_a_csv_file_groups_lines_by_company(app: App, tmp_path: Path) -> None:
    path = tmp_path / "companies.csv"
    path.write_text(CSV, encoding="utf-8")
    lines, ok = await import_file(app, path)
    assert ok, lines
    assert "companies 1 new, 0 changed; profiles 2 new" in lines[0]
    async with app.db.read() as tx:
        found = await tx.job_profiles.by_code("cart-mnt")
    assert found is not None
    assert found.essential == ("paper.elec_maintenance", "paper.mech_maintenance")


async def test_every_problem_is_reported_with_its_place_and_nothing_is_written(
    app: App, tmp_path: Path
) -> None:
    bad = (
        TOML.replace('sector = "tourism"', 'sector = "hotels"')
        .replace("openings = 2", 'openings = "two"')
        .replace('code = "hotel-rec"', 'code = "cart-op"')
        .replace('italian = "good"', 'italian = "fluent"\ncolour = "red"')
    )
    path = tmp_path / "bad.toml"
    path.write_text(bad, encoding="utf-8")
    lines, ok = await import_file(app, path)
    text = "\n".join(lines)
    assert not ok
    assert "Nothing imported" in lines[0]
    assert "company 1, profile 1: openings: A whole number from 0 to 999." in text
    assert "company 2: sector: Choose one of the sectors" in text
    assert (
        "company 2, profile 1: code: The code cart-op is already used at company 1, profile 1"
        in text
    )
    assert "company 2, profile 1: unknown field 'colour'" in text
    assert "company 2, profile 1: italian: Choose among: native, good, basic, learning." in text
    assert await company_lines(app) == ["no companies yet"]


async def test_a_csv_line_contradicting_its_company_is_reported(app: App, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(CSV.replace("Cartiera Esempio;;", "Cartiera Esempio;care;"), encoding="utf-8")
    lines, ok = await import_file(app, path)
    assert not ok
    assert "  line 3: sector: differs from line 2 for the same company" in lines


async def test_an_unreadable_file_is_said_in_plain_words(app: App, tmp_path: Path) -> None:
    lines, ok = await import_file(app, tmp_path / "missing.toml")
    assert not ok
    assert lines == [f"Cannot import {tmp_path / 'missing.toml'}: there is no such file"]
    broken = tmp_path / "broken.toml"
    broken.write_text("[[company]\nname=", encoding="utf-8")
    lines, ok = await import_file(app, broken)
    assert not ok
    assert "it is not valid TOML" in lines[0]


async def test_match_prints_numbers_and_skills_and_names_only_when_asked(
    app: App, tmp_path: Path
) -> None:
    path = tmp_path / "companies.toml"
    path.write_text(TOML, encoding="utf-8")
    await import_file(app, path)
    now = app.clock.now()
    someone = await person(
        app, "a", {"name": "Anna", "skills.paper": ["paper.machine_operator"]}, now
    )
    await person(app, "b", {"name": "Bruno", "skills.paper": ["paper.reel_handling"]}, now)
    lines, ok = await match_lines(app, "cart-op", names=False)
    assert ok
    text = "\n".join(lines)
    assert "1 person meets it" in text
    assert (
        f"#{someone}  has: paper.machine_operator  desirable: -  lacks: paper.reel_handling" in text
    )
    assert "Anna" not in text
    assert "Bruno" not in text
    lines, _ = await match_lines(app, "cart-op", names=True)
    assert f"#{someone}  Anna  has:" in "\n".join(lines)
    lines, ok = await match_lines(app, "nope", names=False)
    assert not ok
    assert lines == ["no profile with the code nope"]


def test_the_real_commands_run(tmp_path: Path, database: str) -> None:
    path = tmp_path / "companies.toml"
    path.write_text(TOML, encoding="utf-8")
    db = database
    assert "companies 2 new" in sportello(db, "companies", "import", str(path))
    assert "hotel-rec  open  openings 1  Receptionist" in sportello(db, "companies", "list")
    assert "0 people meet it" in sportello(db, "match", "hotel-rec")
    assert "no profile with the code zzz" in sportello(db, "match", "zzz", status=1)


DEMO_COMPANIES = Path(__file__).resolve().parents[1] / "config" / "example-companies.toml"


async def test_the_demo_companies_file_imports_as_the_readme_says(app: App) -> None:
    lines, ok = await import_file(app, DEMO_COMPANIES)
    assert ok
    assert "companies 2 new" in "\n".join(lines)
    assert "profiles 3 new" in "\n".join(lines)
