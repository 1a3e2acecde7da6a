"""The monitoring report's numbers against a small year counted by hand, suppression, and
erasure: a person who erased their data is still in every figure."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.app import App
from bot.capabilities import monitoring
from bot.domain import Audience, BookingStatus, Channel, IntakeStats, MeetingMode
from bot.i18n import load_translators
from bot.monitoring.figures import Data, Row, Table
from bot.monitoring.suppression import lines_of, suppress
from storage.session import Session
from tests.chat import Chat, complete_intake

TR = load_translators()["it"]
PROFILES = ("age_band", "gender", "status", "duration", "goal")


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


async def person(
    tx: Session, name: str, channel: Channel, when: datetime, *values: str | None, confirm: bool
) -> int:
    created = await tx.people.create(channel, name, when, "it")
    answers = dict(zip(PROFILES, values, strict=True))
    for question, value in answers.items():
        if value is not None:
            await tx.answers.save(created.id, question, value, when)
    if confirm:
        await tx.people.confirm_intake(created.id, when)
        await tx.stats.add_intake(
            IntakeStats(
                month=when.strftime("%Y-%m"),
                channel=channel.value,
                residence="lucca",
                citizenship="it",
                education="degree",
                cpi="yes",
                day=when.date().isoformat(),
                **answers,
            )
        )
    return created.id


async def booking(tx: Session, person_id: int, when: datetime, outcome: BookingStatus) -> int:
    made = await tx.bookings.create(
        person_id=person_id,
        operator_id="giulia",
        starts_at=when,
        ends_at=when,
        meeting_mode=MeetingMode.ROOM,
        uid=f"{person_id}-{when.isoformat()}",
        now=when,
    )
    assert made is not None
    if outcome is not BookingStatus.BOOKED:
        assert await tx.bookings.set_status(made.id, outcome, when, only_from=BookingStatus.BOOKED)
    return made.id


async def hand_counted_year(app: App) -> None:
    """Five intakes in March (Telegram), one started and one bare contact in April (WhatsApp);
    the third person erases everything at the end."""
    async with app.db.write() as tx:
        tg, wa = Channel.TELEGRAM, Channel.WHATSAPP
        p1 = await person(tx, "p1", tg, at(3, 2), "18_29", "female", "unemployed", "gt12", "employee", confirm=True)  # fmt: skip
        p2 = await person(tx, "p2", tg, at(3, 5), "18_29", "male", "never_employed", "lt6", "business", confirm=True)  # fmt: skip
        p3 = await person(tx, "p3", tg, at(3, 10), "55_plus", "female", "crisis", None, "crisis", confirm=True)  # fmt: skip
        p4 = await person(tx, "p4", tg, at(3, 6), "30_39", "female", "unemployed", "6_12", "employee", confirm=True)  # fmt: skip
        p5 = await person(tx, "p5", tg, at(3, 9), "50_54", "male", "unemployed", "gt12", "guidance", confirm=True)  # fmt: skip
        await person(tx, "p6", wa, at(4, 1), "18_29", None, "student", None, "employee", confirm=False)  # fmt: skip
        await tx.people.create(wa, "p7", at(4, 2), "it")
        first = await booking(tx, p1, at(3, 20), BookingStatus.ATTENDED)
        await tx.bookings.record_satisfaction(first, 5)
        await booking(tx, p1, at(4, 10), BookingStatus.CANCELLED)
        await booking(tx, p2, at(3, 25), BookingStatus.NO_SHOW)
        third = await booking(tx, p3, at(3, 18), BookingStatus.ATTENDED)
        await tx.bookings.record_satisfaction(third, 4)
        await booking(tx, p4, at(3, 30), BookingStatus.BOOKED)
        await tx.waitlist.join(p5, at(3, 12))
        for code in ("MAY",):
            workshop = await tx.workshops.create(
                code=code, title="Lab", description="", starts_at=at(5, 14), duration_minutes=60,
                place=None, online_url=None, capacity=20, audience=Audience(), created_by="t",
                now=at(4, 1),
            )  # fmt: skip
            for person_id, came in ((p1, True), (p3, False)):
                assert await tx.registrations.take_seat(workshop, person_id, at(5, 1))
                seat = await tx.registrations.get(workshop.id, person_id)
                assert seat is not None
                await tx.registrations.set_attendance(seat.id, came, at(5, 14))
        await tx.people.erase(p3, at(6, 1))


async def figures_of(app: App, first: date, last: date) -> dict[str, Table]:
    async with app.db.read() as tx:
        report = await monitoring.build_figures(tx, first, last, TR, "Comune di Lucca")
    return {t.key: t for s in report.sections for t, _ in s.tables}


YEAR = (date(2026, 1, 1), date(2026, 12, 31))


async def test_activity_tables_match_the_hand_count(app: App) -> None:
    await hand_counted_year(app)
    t = await figures_of(app, *YEAR)
    contacts = t["activity_contacts"]
    assert [contacts.cell("2026-03", c) for c in ("telegram", "whatsapp", "all")] == [5, 0, 5]
    assert [contacts.cell("2026-04", c) for c in ("telegram", "whatsapp", "all")] == [0, 2, 2]
    assert contacts.cell("total", "all") == 7
    intakes = t["activity_intakes"]
    assert [intakes.cell("2026-03", c) for c in ("started", "completed")] == [5, 5]
    assert [intakes.cell("2026-04", c) for c in ("started", "completed")] == [1, 0]
    appointments = t["activity_appointments"]
    expected = {
        "all": [5, 2, 1, 1],
        "women": [4, 2, 0, 1],
        "young": [3, 1, 1, 1],
        "over_50": [1, 1, 0, 0],
        "crisis_workers": [1, 1, 0, 0],
        "line_self_employment": [1, 0, 1, 0],
        "line_company_crises": [1, 1, 0, 0],
        "long_term": [2, 1, 0, 1],
    }
    for column, values in expected.items():
        got = [appointments.cell(k, column) for k in ("booked", "attended", "no_show", "cancelled")]
        assert got == values, column
    by_month = t["activity_appointments_month"]
    assert [by_month.cell("2026-03", c) for c in ("booked", "attended", "no_show")] == [4, 2, 1]
    assert [by_month.cell("2026-04", c) for c in ("booked", "cancelled")] == [1, 1]
    waits = t["activity_first_appointment"]
    assert [waits.cell("n", "all"), waits.cell("median_days", "all")] == [2, 13.0]
    assert [waits.cell("n", "young"), waits.cell("median_days", "young")] == [1, 18]
    waitlist = t["activity_waitlist"]
    assert [waitlist.cell("waitlist_joined", c) for c in ("all", "over_50", "long_term")] == [
        1,
        1,
        1,
    ]
    assert t["activity_workshops"].cell("2026-05", "held") == 1
    assert t["activity_workshops"].cell("total", "seats") == 20
    seats = t["activity_seats"]
    assert [seats.cell(k, "all") for k in ("seat_taken", "workshop_attended", "workshop_absent")] == [2, 1, 1]  # fmt: skip
    assert seats.cell("workshop_absent", "crisis_workers") == 1


async def test_who_came_and_satisfaction_match_the_hand_count(app: App) -> None:
    await hand_counted_year(app)
    t = await figures_of(app, *YEAR)
    ages = t["people_age_band"]
    assert [ages.cell(k, "all") for k in ("18_29", "30_39", "50_54", "55_plus", "total")] == [2, 1, 1, 1, 5]  # fmt: skip
    assert [ages.cell(k, "women") for k in ("18_29", "30_39", "55_plus", "total")] == [1, 1, 1, 3]
    assert ages.cell("total", "over_50") == 2
    duration = t["people_duration"]
    assert [duration.cell(k, "all") for k in ("gt12", "lt6", "6_12", "")] == [2, 1, 1, 1]
    assert t["people_cpi"].cell("yes", "all") == 5
    scores = t["satisfaction_scores"]
    assert [scores.cell(k, "all") for k in ("4", "5", "total")] == [1, 1, 2]
    assert scores.cell("4", "line_company_crises") == 1


async def test_a_shorter_period_counts_only_its_days(app: App) -> None:
    await hand_counted_year(app)
    t = await figures_of(app, date(2026, 4, 1), date(2026, 12, 31))
    assert t["activity_contacts"].cell("total", "all") == 2
    assert t["activity_appointments"].cell("booked", "all") == 1
    assert t["activity_appointments"].cell("cancelled", "all") == 1
    assert t["people_age_band"].cell("total", "all") == 0


async def test_a_person_erased_after_their_intake_is_still_counted(app: App, chat: Chat) -> None:
    await complete_intake(chat)
    async with app.db.read() as tx:
        anna = await tx.people.by_identity(Channel.TELEGRAM, "anna")
    assert anna is not None
    async with app.db.write() as tx:
        made = await booking(tx, anna.id, at(11, 26), BookingStatus.ATTENDED)
        await tx.bookings.record_satisfaction(made, 5)
    before = await figures_of(app, *YEAR)
    await chat.send("/cancella")
    await chat.tap("erase.yes")
    async with app.db.read() as tx:
        assert await tx.people.by_identity(Channel.TELEGRAM, "anna") is None
    after = await figures_of(app, *YEAR)
    checks = [
        ("activity_contacts", "2026-11", "telegram"),
        ("activity_intakes", "2026-11", "completed"),
        ("activity_appointments", "attended", "women"),
        ("activity_first_appointment", "n", "long_term"),
        ("people_age_band", "30_39", "women"),
        ("satisfaction_scores", "5", "line_dependent"),
    ]
    for key, row, column in checks:
        assert after[key].cell(row, column) == before[key].cell(row, column) == 1, key


def table(values: list[list[int]], *, total: bool = True, row_total: int | None = None) -> Table:
    rows = [Row(str(i), str(i), list(v)) for i, v in enumerate(values)]
    if total:
        rows.append(Row("total", "T", [sum(c) for c in zip(*values, strict=True)]))
    width = len(values[0])
    return Table("t", "t", "r", [str(c) for c in range(width)], rows, total=total,
                 row_total_column=row_total, column_keys=[str(c) for c in range(width)])  # fmt: skip


def test_primary_suppression_hides_one_to_four_and_keeps_zero() -> None:
    shown = suppress(table([[0], [4], [1], [50]], total=False))
    assert shown == [[0], [None], [None], [50]]


def test_a_lone_hidden_cell_takes_the_next_smallest_of_its_column_with_it() -> None:
    shown = suppress(table([[3], [20], [9], [40]]))
    assert shown == [[None], [20], [None], [40], [72]]


def test_secondary_suppression_runs_until_no_line_gives_a_cell_away() -> None:
    # Rows add up to the last column, columns to the total row.
    values = [[3, 30, 33], [10, 12, 22], [40, 50, 90]]
    t = table(values, row_total=2)
    shown = suppress(t)
    for line in lines_of(t):
        hidden = sum(shown[r][c] is None for r, c in line)
        assert hidden != 1, line
    assert shown[0][0] is None
    assert sum(v is None for row in shown for v in row) >= 4


def test_a_column_of_zeros_and_one_small_cell_hides_its_total() -> None:
    shown = suppress(table([[2], [0], [0]]))
    assert shown == [[None], [0], [0], [None]]


def test_a_median_is_hidden_when_fewer_than_five_people_stand_behind_it() -> None:
    t = table([[4, 12]], total=False)
    t.rows.append(Row("median", "m", [7.0, 9.5], basis=0))
    assert suppress(t) == [[None, 12], [None, 9.5]]


@pytest.mark.parametrize("args", [(2026, date(2026, 5, 1), date(2026, 4, 1)), (2026, date(2025, 5, 1), None)])  # fmt: skip
def test_a_period_outside_the_year_is_refused(args: tuple[int, date | None, date | None]) -> None:
    with pytest.raises(monitoring.PeriodError):
        monitoring.period(*args)


def test_data_months_cover_the_period() -> None:
    data = Data(date(2026, 11, 15), date(2026, 12, 2), [], [], [])
    assert data.months() == ["2026-11", "2026-12"]
