"""The benchmark's small version: its invariants (exactly as many bookings as slots, nothing
lost or duplicated) hold on every CI run; its speed figures are printed by `python -m bench`."""

from __future__ import annotations

import pytest

from bench import booking_race, outbox_rate, rsvp_race


@pytest.mark.slow
async def test_booking_race_books_each_slot_exactly_once() -> None:
    result = await booking_race.run(people=120)
    figures = {f.name: f.value for f in result.figures}
    assert figures["bookings made"] == 20
    assert figures["errors"] == 0


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
