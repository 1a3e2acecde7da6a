"""The chain's first half, end to end: a person does the intake in the chat, staff import a
company profile from a file, and matching lists the person and not someone who lacks a
required skill (on the command line and on the person's record)."""

from __future__ import annotations

from pathlib import Path

from bot.app import App
from bot.capabilities import matching
from bot.companies_cli import import_file, match_lines
from tests.chat import TYPICAL_ANSWERS, Chat, complete_intake

PROFILE = """
[[company]]
name = "Trattoria Esempio"
sector = "tourism"
[[company.profile]]
code = "cameriere"
title = "Cameriere di sala"
essential = ["tourism.table_service"]
availability = ["weekends"]
italian = "basic"
residence = ["lucca"]
"""


async def test_intake_import_and_matching(app: App, tmp_path: Path) -> None:
    anna = Chat(app.engine, "anna", language="en")
    await complete_intake(anna)  # a waitress: table service, weekends, good Italian, Lucca
    # Someone with the same answers but no table service: she lacks the required skill.
    bea = Chat(app.engine, "bea", language="en")
    await bea.send("/start")
    await bea.tap("notice.accept")
    answers = [a for a in TYPICAL_ANSWERS if a != ("tap", "tourism.table_service")]
    for how, value in answers:
        await (bea.send(value) if how == "text" else bea.tap(value))
    await bea.tap("summary.confirm")

    path = tmp_path / "companies.toml"
    path.write_text(PROFILE, encoding="utf-8")
    lines, ok = await import_file(app, path)
    assert ok, lines

    async with app.db.read() as tx:
        anna_person = await tx.people.by_identity(anna.channel, "anna")
        bea_person = await tx.people.by_identity(bea.channel, "bea")
        assert anna_person is not None
        assert bea_person is not None
        anna_id, bea_id = anna_person.id, bea_person.id
        found = await matching.match_code(tx, "cameriere", app.clock.now())
        met = await matching.profiles_met(tx, anna_id)
        not_met = await matching.profiles_met(tx, bea_id)
    assert found is not None
    assert [c.person_id for c in found.candidates] == [anna_id]
    assert [m.profile.code for m in met] == ["cameriere"]
    assert not_met == []
    printed, _ = await match_lines(app, "cameriere", names=False)
    assert f"#{anna_id}  has: tourism.table_service" in "\n".join(printed)
    assert f"#{bea_id}" not in "\n".join(printed)
