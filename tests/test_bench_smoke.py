"""The benchmark's small version: its invariants (exactly as many bookings as slots, nothing
lost or duplicated) hold on every CI run; its speed figures are printed by `python -m bench`."""

from __future__ import annotations

import pytest

from bench import (
    booking_race,
    conversation,
    desk_timing,
    matching_speed,
    outbox_rate,
    pg_broadcast,
    pg_conversation,
    pg_race,
    pg_scale,
    report_speed,
    rsvp_race,
    scale,
)
from bench.common import Result
from tests.pg_server import Server


@pytest.mark.slow
async def test_booking_race_books_each_slot_exactly_once() -> None:
    result = await booking_race.run(people=120)
    figures = {f.name: f.value for f in result.figures}
    assert figures["bookings made"] == 20
    assert figures["errors"] == 0


@pytest.mark.slow
async def test_booking_race_across_two_apps_on_postgresql_books_each_slot_once(
    pg_url: str,
) -> None:
    result = await pg_race.run(people=120, url=pg_url)
    figures = {f.name: f.value for f in result.figures}
    assert figures["bookings made"] == 20
    assert figures["errors"] == 0


@pytest.mark.slow
async def test_a_broadcast_from_two_apps_on_postgresql_sends_everything_once(pg_url: str) -> None:
    result = await pg_broadcast.run(rows=150, limit=300.0, url=pg_url)
    figures = {f.name: f.value for f in result.figures}
    assert (figures["lost"], figures["duplicated"]) == (0, 0)
    assert figures["outbox rows sent"] == 150


@pytest.mark.slow
async def test_outbox_sends_everything_once_through_the_fake_bot_api() -> None:
    result = await outbox_rate.run(rows=150, baseline_messages=30, limit=300.0)
    figures = {f.name: f.value for f in result.figures}
    assert figures["lost"] == 0
    assert figures["duplicated"] == 0
    assert figures["outbox rows sent"] == 150


@pytest.mark.slow
async def test_rsvp_race_never_exceeds_capacity() -> None:
    result = await rsvp_race.run(people=300)
    figures = {f.name: f.value for f in result.figures}
    assert figures["seats taken"] == 50
    assert figures["errors"] == 0


def figures_of(result: Result) -> dict[str, float]:
    return {f.name: f.value for f in result.figures}


@pytest.mark.slow
async def test_telegram_conversation_scenario_completes_every_intake() -> None:
    """The bot process, the echo bot and its aiohttp twin, three people each."""
    figures = figures_of(await conversation.run_telegram(people=3, smoke=True))
    assert figures["intakes confirmed"] == 3
    assert figures["errors"] == 0
    assert figures["updates per server"] == 3 * len(conversation.intake_steps())


@pytest.mark.slow
async def test_whatsapp_conversation_scenario_completes_every_intake() -> None:
    figures = figures_of(await conversation.run_whatsapp(people=3, smoke=True))
    assert figures["intakes confirmed"] == 3
    assert figures["errors"] == 0


@pytest.mark.slow
async def test_processes_on_postgresql_serve_every_intake(pg_server: Server) -> None:
    """One and two `sportello run` on PostgreSQL, the people's posts going to each in turn."""
    figures = figures_of(
        await pg_conversation.run(people=3, processes=(1, 2), smoke=True, server=pg_server)
    )
    assert figures["errors"] == 0
    for setting in ("SQLite 1p", "PG 1p", "PG 2p"):
        assert figures[f"{setting}: confirmed"] == 3


@pytest.mark.slow
async def test_big_database_scenario_seeds_and_serves() -> None:
    result = await scale.run(people=300, bookings=1_200, small=100, concurrent=5, smoke=True)
    figures = figures_of(result)
    assert figures["intakes confirmed per db"] == 10
    assert figures["errors"] == 0


@pytest.mark.slow
async def test_big_database_on_postgresql_is_copied_and_served(pg_server: Server) -> None:
    result = await pg_scale.run(
        people=300, bookings=1_200, small=100, concurrent=5, smoke=True, server=pg_server
    )
    figures = figures_of(result)
    assert figures["intakes confirmed per db"] == 10
    assert figures["errors"] == 0
    assert figures["PostgreSQL CPU/upd, big"] > 0


@pytest.mark.slow
async def test_monitoring_report_scenario_renders_every_file() -> None:
    figures = figures_of(await report_speed.run(people=200, bookings=600))
    assert figures["files written"] == 59  # 28 tables x (PNG + CSV), PDF, HTML, XLSX
    assert figures["intakes counted"] > 150


@pytest.mark.slow
async def test_back_office_pages_answer_on_a_seeded_database() -> None:
    figures = figures_of(await desk_timing.run(people=300, bookings=1_200, requests=4))
    assert figures["pages not answered 200"] == 0
    assert figures["agenda today, operator p50"] > 0
    assert figures["person record, admin p95"] > 0


@pytest.mark.slow
async def test_matching_scenario_lists_the_same_people_every_run() -> None:
    figures = figures_of(await matching_speed.run(people=300))
    assert 0 < figures["people listed"] < 300
    assert figures["people listed then"] == 300
