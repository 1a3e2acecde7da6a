"""The monitoring report on a big year: seconds to count and write everything.

A database gets a year of made-up, reproducible activity through the repositories (so the
counting triggers run as they do in service): people who write, answer the intake and
mostly confirm it, appointments with their outcome and satisfaction score, the waiting list,
workshops with seats and attendance, companies with visits and job profiles, and for one
person in ten a path, follow-up answers and a proposal (counted as the capabilities count
them), and a few erasures. Then `sportello report` is timed.
`python -m bench.report_speed --sample DIR` writes the sample report of docs/ from 300 people.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.common import Figure, Result
from bench.scale import BATCH, _direct
from bot.capabilities import monitoring, report_counts
from bot.clock import ROME
from bot.domain import Audience, BookingStatus, Channel, IntakeStats, MeetingMode, NextStep
from bot.i18n import load_translators
from bot.monitoring.render import write_report
from bot.placement import (
    FOLLOWUP_MONTHS,
    ContractType,
    InternshipEnd,
    PathStepKind,
    ProfileState,
    ProposalAnswer,
    WorkStatus,
)
from storage.db import Database
from storage.path_repos import FollowUpAnswer, PathStep
from storage.session import Session

YEAR = 2026
TARGET_SECONDS = 60.0
ANSWERS = {
    "residence": ("lucca", "lucca", "lucca", "province", "elsewhere"),
    "age_band": ("u18", "18_29", "18_29", "30_39", "40_49", "50_54", "55_plus"),
    "gender": ("female", "female", "male", "male", "other", None),
    "citizenship": ("it", "it", "it", "eu", "non_eu", None),
    "status": ("unemployed", "unemployed", "never_employed", "employed", "crisis", "student"),
    "duration": ("lt6", "6_12", "gt12"),
    "education": ("lower_secondary", "vocational", "upper_secondary", "degree", "foreign"),
    "goal": ("employee", "employee", "business", "crisis", "guidance"),
    "cpi": ("yes", "yes", "no", "unsure"),
}
NEXT_STEPS = tuple(NextStep)
OUTCOMES = (
    (BookingStatus.ATTENDED, 0.7),
    (BookingStatus.NO_SHOW, 0.12),
    (BookingStatus.CANCELLED, 0.12),
    (BookingStatus.BOOKED, 0.06),
)


def moment(rng: random.Random, day: int) -> datetime:
    local = datetime(YEAR, 1, 1, 9, tzinfo=ROME) + timedelta(days=day, minutes=rng.randrange(540))
    return local.astimezone(UTC)


async def person(tx: Session, rng: random.Random, index: int) -> tuple[int, datetime] | None:
    """One person's contact and intake; their id and confirmation time if they confirmed."""
    seen = moment(rng, rng.randrange(330))
    channel = Channel.WHATSAPP if index % 3 == 2 else Channel.TELEGRAM
    created = await tx.people.create(channel, f"{70_000_000 + index}", seen, "it")
    answers = {q: rng.choice(options) for q, options in ANSWERS.items()}
    if answers["status"] not in ("unemployed", "never_employed"):
        answers["duration"] = None
    for question, value in answers.items():
        if value is not None:
            await tx.answers.save(created.id, question, value, seen)
    if rng.random() < 0.1:
        return None  # stopped halfway through the intake
    await tx.people.confirm_intake(created.id, seen)
    await tx.stats.add_intake(
        IntakeStats(
            month=seen.astimezone(ROME).strftime("%Y-%m"),
            channel=channel.value,
            day=seen.astimezone(ROME).date().isoformat(),
            language="en" if index % 7 == 3 else "it",
            **{q: answers[q] for q in ANSWERS},
        )
    )
    if rng.random() < 0.05:
        await tx.waitlist.join(created.id, seen)
    return created.id, seen


async def appointment(
    tx: Session, rng: random.Random, number: int, person_id: int, after: datetime
) -> None:
    starts = after + timedelta(days=rng.randrange(1, 40), seconds=number)
    booking = await tx.bookings.create(
        person_id=person_id,
        operator_id=f"op{number}",  # never two on one slot
        starts_at=starts,
        ends_at=starts + timedelta(minutes=45),
        meeting_mode=MeetingMode.ROOM,
        uid=f"report-{number}@bench",
        now=after,
    )
    assert booking is not None
    outcome = rng.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
    if outcome is not BookingStatus.BOOKED:
        await tx.bookings.set_status(booking.id, outcome, starts, only_from=BookingStatus.BOOKED)
    if outcome is BookingStatus.ATTENDED and rng.random() < 0.6:
        await tx.bookings.record_satisfaction(booking.id, rng.choice((3, 4, 4, 5, 5, 2, 1)))
    if outcome is BookingStatus.ATTENDED and number % 5 != 0:  # as record_next_step counts it
        step = NEXT_STEPS[number % len(NEXT_STEPS)]
        day = starts.astimezone(ROME).date().isoformat()
        await tx.monitoring.count(day, f"next_step_{step}", person_id, 1)


async def workshops(tx: Session, rng: random.Random, people: list[int]) -> None:
    for month in range(1, 13):
        starts = datetime(YEAR, month, 15, 10, tzinfo=ROME).astimezone(UTC)
        created = await tx.workshops.create(
            code=f"W{month:02d}",
            title="Laboratorio",
            description="",
            starts_at=starts,
            duration_minutes=120,
            place="Lucca",
            online_url=None,
            capacity=30,
            audience=Audience(),
            created_by="bench",
            now=starts - timedelta(days=20),
        )
        for person_id in rng.sample(people, min(len(people), rng.randrange(8, 30))):
            await tx.registrations.take_seat(created, person_id, starts - timedelta(days=5))
            seat = await tx.registrations.get(created.id, person_id)
            assert seat is not None
            await tx.registrations.set_attendance(seat.id, rng.random() < 0.8, starts)


SECTORS = ("paper", "tourism", "logistics", "manufacturing", "care")


async def companies(tx: Session, rng: random.Random, count: int) -> list[int]:
    """Companies with their visits and job profiles, opened during the year; profile ids."""
    profiles = []
    for n in range(count):
        opened = moment(rng, rng.randrange(300))
        sector = SECTORS[n % len(SECTORS)]
        values = {"name": f"Azienda {n}", "sector": sector}
        company = await tx.companies.create(values, f"azienda {n}", opened)
        for _ in range(rng.randrange(1, 4)):
            visited = (opened + timedelta(days=rng.randrange(30))).astimezone(ROME).date()
            await tx.scouting_visits.add(company, visited, "op1", "", opened)
        for p in range(rng.randrange(1, 4)):
            state = ProfileState.OPEN
            code, openings = f"az{n}-{p}", rng.randrange(1, 5)
            profiles.append(
                await tx.job_profiles.save(company, code, "Profilo", openings, state, opened)
            )
    return profiles


async def path(tx: Session, rng: random.Random, person_id: int, after: datetime) -> None:
    """Some of the steps, follow-ups and proposals of one person, counted as the capabilities
    (paths, outcome_followup, proposals) count them."""
    day = after.astimezone(ROME).date() + timedelta(days=rng.randrange(5, 60))
    K = PathStepKind
    steps = [PathStep(0, person_id, K.CPI_REFERRAL, day)]
    if rng.random() < 0.5:
        done = rng.random() < 0.7
        ended = day + timedelta(days=30)
        steps.append(PathStep(0, person_id, K.TRAINING, day, completed=done, ended_on=ended))
    if rng.random() < 0.4:
        end = rng.choice(list(InternshipEnd))
        ended = day + timedelta(days=rng.randrange(20, 120))
        steps.append(PathStep(0, person_id, K.INTERNSHIP, day, ended_on=ended, end_reason=end))
    if rng.random() < 0.3:
        hired = rng.choice(list(ContractType))
        steps.append(PathStep(0, person_id, K.HIRE, day + timedelta(days=90), contract=hired))
    elif rng.random() < 0.05:
        steps.append(PathStep(0, person_id, K.SELF_EMPLOYMENT, day + timedelta(days=60)))
    for step in steps:
        await tx.paths.add(step, after)
        await report_counts.count_step(tx, step, 1)
    for months in FOLLOWUP_MONTHS:
        asked = after + timedelta(days=30 * months)
        if asked.year != YEAR or rng.random() < 0.3:
            continue
        await tx.followups.asked(person_id, months, asked)
        await report_counts.count_followup_asked(tx, person_id, months, asked)
        if rng.random() < 0.6:
            working = rng.choice(list(WorkStatus))
            said = rng.choice(list(ContractType)) if working is WorkStatus.EMPLOYED else None
            answer = FollowUpAnswer(person_id, months, asked, working, said, None, asked)
            await tx.followups.save(answer)
            await report_counts.count_followup_answered(tx, answer)


async def proposal(tx: Session, rng: random.Random, person_id: int, profile_id: int) -> None:
    made = moment(rng, rng.randrange(330))
    found = await tx.proposals.add(person_id, profile_id, "Esperienza nel settore", None, made)
    await report_counts.count_proposal_made(tx, person_id, made)
    if rng.random() < 0.8:
        given = rng.choice(list(ProposalAnswer))
        await tx.proposals.answer(found, given, made)
        await report_counts.count_proposal_answer(tx, person_id, None, None, given, made)


async def seed(database: Path, people: int, bookings: int) -> None:
    await (await Database.open(database)).close()  # the schema
    rng = random.Random(14)
    confirmed: list[tuple[int, datetime]] = []
    with _direct(database) as (conn, tx):
        for first in range(0, people, BATCH):
            conn.execute("BEGIN IMMEDIATE")
            for index in range(first, min(first + BATCH, people)):
                if (found := await person(tx, rng, index)) is not None:
                    confirmed.append(found)
            conn.execute("COMMIT")
        for first in range(0, bookings, BATCH):
            conn.execute("BEGIN IMMEDIATE")
            for number in range(first, min(first + BATCH, bookings)):
                person_id, after = confirmed[number % len(confirmed)]
                await appointment(tx, rng, number, person_id, after)
            conn.execute("COMMIT")
        conn.execute("BEGIN IMMEDIATE")
        await workshops(tx, rng, [p for p, _ in confirmed])
        profiles = await companies(tx, rng, max(5, people // 2_500))
        conn.execute("COMMIT")
        for first in range(0, len(confirmed), BATCH):  # one in ten has a path recorded
            conn.execute("BEGIN IMMEDIATE")
            for person_id, after in confirmed[first : first + BATCH : 10]:
                await path(tx, rng, person_id, after)
                await proposal(tx, rng, person_id, rng.choice(profiles))
            conn.execute("COMMIT")
        conn.execute("BEGIN IMMEDIATE")
        for person_id, _ in rng.sample(confirmed, len(confirmed) // 30):
            await tx.people.erase(person_id, datetime(YEAR, 12, 1, tzinfo=UTC))
        conn.execute("COMMIT")


async def render(database: Path, out: Path, first: date, last: date) -> list[Path]:
    tr = load_translators()["it"]
    db = await Database.open(database)
    try:
        async with db.read() as tx:
            report = await monitoring.build_figures(tx, first, last, tr, "Comune di Lucca")
    finally:
        await db.close()
    return write_report(report, out, tr, lambda step: print(f"  {step}", file=sys.stderr))


async def run(people: int = 50_000, bookings: int = 200_000) -> Result:
    result = Result(f"monitoring report: {people:,} people, {bookings:,} appointments")
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        database = Path(tmp) / "report.db"
        started = time.perf_counter()
        await seed(database, people, bookings)
        result.figures.append(Figure("seeding", time.perf_counter() - started, "s"))
        started = time.perf_counter()
        files = await render(database, Path(tmp) / "out", date(YEAR, 1, 1), date(YEAR, 12, 31))
        seconds = time.perf_counter() - started
        result.figures.append(
            Figure("report", seconds, "s", f"< {TARGET_SECONDS:.0f} s", seconds < TARGET_SECONDS)
        )
        result.figures.append(Figure("files written", len(files), ""))
        with sqlite3.connect(database) as conn:
            (intakes,) = conn.execute("SELECT COUNT(*) FROM intake_stats").fetchone()
        result.figures.append(Figure("intakes counted", intakes, ""))
    print(f"monitoring report rendered in {seconds:.1f} s", file=sys.stderr)
    return result


async def sample(out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="report-sample-") as tmp:
        database = Path(tmp) / "demo.db"
        await seed(database, 300, 700)
        await render(database, out, date(YEAR, 1, 1), date(YEAR, 12, 31))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.report_speed", description=__doc__)
    parser.add_argument("--sample", type=Path, help="write the demo report into this folder")
    args = parser.parse_args()
    if args.sample:
        asyncio.run(sample(args.sample))
    else:
        print(asyncio.run(run()))
