"""Matching one job profile over 50,000 people: seconds to list everyone who meets it.

People are seeded through the repositories with a reproducible spread of intake answers
(one to three sectors, a few skills in each, every condition's answers); then
`matching.match` runs on the database the way the back-office page and `sportello match`
call it, for a profile with two essential skills and all four conditions, and for the same
profile with nothing required (everyone is listed: the worst case).
`python -m bench.matching_speed [--people N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.common import Result, percentile
from bench.scale import BATCH, _direct
from bot.capabilities import companies, matching
from bot.content import load_sectors
from bot.domain import Channel
from storage.db import Database

TARGET_SECONDS = 1.0
RUNS = 5
NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)
PROFILE = {
    "code": "cart-op",
    "title": "Conduttore di macchina continua",
    "essential": ["paper.machine_operator", "paper.reel_handling"],
    "desirable": ["paper.quality_lab", "paper.mech_maintenance"],
    "openings": 2,
    "availability": ["shifts"],
    "transport": "licence",
    "italian": "basic",
    "residence": ["lucca", "province"],
}
CONDITIONS = {
    "residence": ("lucca", "lucca", "province", "elsewhere"),
    "italian": ("native", "native", "good", "basic", "learning"),
    "transport": ("licence_car", "licence", "none"),
    "age_band": ("18_29", "30_39", "40_49", "50_54", "55_plus"),
    "gender": ("female", "male", None),
    "citizenship": ("it", "eu", "non_eu", None),
    "support": ("yes", "no", "no"),
}


async def seed(database: Path, people: int) -> None:
    await (await Database.open(database)).close()  # the schema
    sectors = load_sectors()
    # Paper is Lucca's district: one person in four picks it, to give the profile a crowd.
    weights = [4 if s.id == "paper" else 1 for s in sectors]
    rng = random.Random(13)
    with _direct(database) as (conn, tx):
        for first in range(0, people, BATCH):
            conn.execute("BEGIN IMMEDIATE")
            for index in range(first, min(first + BATCH, people)):
                person = await tx.people.create(Channel.TELEGRAM, f"m{index}", NOW, "it")
                chosen = {s.id: s for s in rng.choices(sectors, weights, k=rng.randint(1, 3))}
                answers: dict[str, object] = {"sectors": sorted(chosen)}
                for sector in chosen.values():
                    skills = rng.sample(sector.skills, rng.randint(1, min(5, len(sector.skills))))
                    answers[f"skills.{sector.id}"] = sorted(k.id for k in skills)
                for question, values in CONDITIONS.items():
                    answers[question] = rng.choice(values)
                hours = ("full_time", "part_time", "shifts", "weekends")
                answers["availability"] = sorted(rng.sample(hours, rng.randint(1, 4)))
                for question, value in answers.items():
                    await tx.answers.save(person.id, question, value, NOW)
                await tx.people.confirm_intake(person.id, NOW)
            conn.execute("COMMIT")
        conn.execute("BEGIN IMMEDIATE")
        company = companies.check_company({"name": "Cartiera Esempio", "sector": "paper"}, sectors)
        company_id = await companies.save_company(tx, company, NOW)
        draft = companies.check_profile(PROFILE, sectors)
        await companies.save_profile(tx, company_id, draft, NOW)
        conn.execute("COMMIT")


async def timed(db: Database, nothing_required: bool) -> tuple[list[float], int]:
    seconds, listed = [], 0
    for _ in range(RUNS):
        started = time.perf_counter()
        async with db.read() as tx:
            profile = await tx.job_profiles.by_code(PROFILE["code"])  # type: ignore[arg-type]
            assert profile is not None
            rule = (
                matching.Requirement((), {}) if nothing_required else matching.everything(profile)
            )
            found = await matching.match(tx, profile, rule, NOW)
        seconds.append(time.perf_counter() - started)
        listed = len(found.candidates)
    return seconds, listed


async def run(people: int = 50_000) -> Result:
    result = Result(f"matching one profile: {people:,} people")
    with tempfile.TemporaryDirectory(prefix="bench-matching-") as tmp:
        database = Path(tmp) / "matching.db"
        started = time.perf_counter()
        await seed(database, people)
        result.add("seeding", time.perf_counter() - started, "s")
        db = await Database.open(database)
        try:
            seconds, listed = await timed(db, nothing_required=False)
            worst, everyone = await timed(db, nothing_required=True)
        finally:
            await db.close()
    median = percentile(seconds, 50)
    result.add("match (median)", median, "s", f"< {TARGET_SECONDS:.0f} s", median < TARGET_SECONDS)
    result.add("people listed", listed, "")
    result.add("nothing required (median)", percentile(worst, 50), "s")
    result.add("people listed then", everyone, "")
    print(f"matching over {people:,} people: {median * 1000:.0f} ms", file=sys.stderr)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.matching_speed", description=__doc__)
    parser.add_argument("--people", type=int, default=50_000)
    outcome = asyncio.run(run(parser.parse_args().people))
    for figure in outcome.figures:
        print(f"{figure.name:<28} {figure.value:>12,.3f} {figure.unit} {figure.target}")
