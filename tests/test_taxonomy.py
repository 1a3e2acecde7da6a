"""The taxonomy others can read: every ESCO skill URI and ISCO-08 code in sectors.toml has the
right form, every field is known, and no stored id has gone (ids are in the database)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from bot.content import SECTORS_FILE, isco_uri, load_sectors

ESCO_SKILL = re.compile(
    r"^http://data\.europa\.eu/esco/skill/"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
ISCO_CODE = re.compile(r"^[1-9]\d{3}$")  # a unit group; 0 is the armed forces
ISCO_URI = re.compile(r"^http://data\.europa\.eu/esco/isco/C[1-9]\d{3}$")
KNOWN_IDS = Path(__file__).with_name("sector_ids.txt")


def test_every_esco_uri_and_isco_code_has_its_form() -> None:
    sectors = load_sectors()
    uris = [k.esco for s in sectors for k in s.skills if k.esco is not None]
    assert len(uris) >= 100  # most skills have one; a skill without a clear match has none
    assert [u for u in uris if not ESCO_SKILL.match(u)] == []
    for sector in sectors:
        assert sector.isco, f"{sector.id} has no ISCO-08 code"
        assert [c for c in sector.isco if not ISCO_CODE.match(c)] == [], sector.id
        assert len(set(sector.isco)) == len(sector.isco), sector.id
        assert all(ISCO_URI.match(isco_uri(c)) for c in sector.isco)


def test_the_file_has_only_known_fields_and_unique_ids() -> None:
    raw = tomllib.loads(SECTORS_FILE.read_text(encoding="utf-8"))
    for sector in raw["sector"]:
        assert set(sector) <= {"id", "label", "isco", "skill"}, sector["id"]
        for skill in sector.get("skill", []):
            assert set(skill) <= {"id", "label", "esco"}, skill["id"]
            assert skill["id"].startswith(sector["id"] + "."), skill["id"]
    ids = [s["id"] for s in raw["sector"]] + [
        k["id"] for s in raw["sector"] for k in s.get("skill", [])
    ]
    assert len(ids) == len(set(ids))


def test_no_stored_id_was_renamed_or_removed() -> None:
    """Answers and job profiles store these ids: a skill may be added, never renamed."""
    current = {s.id for s in load_sectors()} | {k.id for s in load_sectors() for k in s.skills}
    known = set(KNOWN_IDS.read_text(encoding="utf-8").split())
    assert known - current == set()
