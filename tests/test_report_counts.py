"""The two figures migration 0015 adds to the anonymous counts: the next step agreed at a
meeting (a correction moves the count; erasure keeps it) and the conversation's language on
the intake's anonymous row."""

from __future__ import annotations

from datetime import date

import pytest

from bot.app import App
from bot.capabilities import appointments
from bot.domain import BookingStatus, NextStep
from tests.chat import Chat, complete_intake
from tests.test_monitoring_figures import at, booking, figures_of, hand_counted_year

YEAR = (date(2026, 1, 1), date(2026, 12, 31))


async def test_next_steps_are_counted_a_correction_moves_the_count_and_erasure_keeps_it(
    app: App,
) -> None:
    await hand_counted_year(app)
    async with app.db.write() as tx:
        held = await booking(tx, 1, at(6, 3), BookingStatus.ATTENDED)
        found = await tx.bookings.get(held)
        assert found is not None
        now = at(6, 4)
        await appointments.record_next_step(tx, "giulia", found, NextStep.TRAINING, now)
        again = await tx.bookings.get(held)
        assert again is not None
        await appointments.record_next_step(tx, "giulia", again, NextStep.CPI, now)
        await tx.people.erase(1, now)  # still counted after the person is gone
        events = await tx.monitoring.events(*YEAR)
    counted = {e.event: e.count for e in events if e.event.startswith("next_step_")}
    assert counted == {"next_step_training": 0, "next_step_cpi": 1}


async def test_the_language_of_the_conversation_is_counted(app: App, chat: Chat) -> None:
    await complete_intake(chat)  # in English
    async with app.db.read() as tx:
        [group] = await tx.monitoring.intakes(*YEAR)
    assert group.answers["language"] == "en"
    languages = (await figures_of(app, *YEAR))["people_language"]
    assert languages.cell("en", "all") == 1
    assert languages.cell("total", "all") == 1


@pytest.mark.sqlite_only  # opens the file; tests/test_pg_schema.py checks PostgreSQL has the same CHECKs
async def test_the_report_jobs_table_takes_the_enums_values_and_nothing_else(app: App) -> None:
    import sqlite3

    from bot.domain import ReportFormat, ReportJobStatus

    conn = sqlite3.connect(app.settings.database)
    insert = (
        "INSERT INTO report_jobs (first_day, last_day, language, format, status, created_at) "
        "VALUES ('2026-01-01', '2026-12-31', 'it', ?, ?, '2026-11-24T09:00:00+00:00')"
    )
    try:
        for fmt in ReportFormat:
            for status in ReportJobStatus:
                conn.execute(insert, (fmt.value, status.value))
        for bad in (("docx", "running"), ("pdf", "queued")):
            with pytest.raises(sqlite3.IntegrityError):
                conn.execute(insert, bad)
    finally:
        conn.rollback()
        conn.close()
