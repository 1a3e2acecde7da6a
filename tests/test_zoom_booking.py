"""Meetings created through the Zoom API per appointment, against a fake Zoom on loopback:
the booking stands when Zoom is down, and the link follows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.clock import ROME, ManualClock
from bot.domain import Channel
from tests.booking_helpers import RecordingSender, booked_person, recording_dispatcher, write_config
from tests.conftest import make_settings
from tests.fakes.zoom_api import FakeZoom

AGENDA = """
[booking]
min_notice_hours = 2

[[operator]]
id = "giulia"
name = "Giulia Bianchi"
telegram_id = 100000001
meeting = "api"
zoom_user = "giulia@example.org"
[operator.hours]
tue = ["09:00-13:00", "14:30-17:30"]
thu = ["09:00-13:00"]
"""


@pytest.fixture
async def zoom() -> AsyncIterator[FakeZoom]:
    async with FakeZoom() as fake:
        yield fake


@pytest.fixture
async def zoom_app(
    tmp_path: Path, database: str, zoom: FakeZoom, clock: ManualClock
) -> AsyncIterator[App]:
    settings = make_settings(
        database,
        SPORTELLO_CONFIG=str(write_config(tmp_path, AGENDA)),
        ZOOM_ACCOUNT_ID="acc-test",
        ZOOM_CLIENT_ID="client-test",
        ZOOM_CLIENT_SECRET="secret-test",
        ZOOM_API_URL=zoom.api_url,
        ZOOM_OAUTH_URL=zoom.oauth_url,
    )
    app = await build_app(settings, clock)
    yield app
    await app.close()


async def test_meeting_created_after_booking_and_link_sent(zoom_app: App, zoom: FakeZoom) -> None:
    chat = await booked_person(zoom_app, "anna")
    assert "The Zoom link will reach you here in a message shortly." in chat.texts()
    sender = RecordingSender()
    dispatcher = recording_dispatcher(zoom_app, sender)
    await dispatcher.tick()
    (meeting,) = zoom.meetings.values()
    assert meeting["topic"] == "Sportello Lavoro – appuntamento"  # nothing about the person
    assert "Here is the link for your video meeting" in sender.texts_to("anna")
    assert "https://zoom.example/j/" in sender.texts_to("anna")
    async with zoom_app.db.read() as tx:
        person = await tx.people.by_identity(Channel.TELEGRAM, "anna")
        assert person is not None
        (booking,) = await tx.bookings.active_for(person.id)
    assert booking.start_url is not None
    assert booking.start_url.startswith("https://zoom.example/s/")


async def test_zoom_down_then_the_link_follows(
    zoom_app: App, zoom: FakeZoom, clock: ManualClock
) -> None:
    zoom.fail_next("POST", "/v2/users", 500, times=2)
    await booked_person(zoom_app, "anna")
    sender = RecordingSender()
    dispatcher = recording_dispatcher(zoom_app, sender)
    await dispatcher.tick()
    assert zoom.meetings == {}
    assert sender.to("anna") == []
    clock.advance(timedelta(seconds=31))
    await dispatcher.tick()
    clock.advance(timedelta(seconds=61))
    await dispatcher.tick()
    assert len(zoom.meetings) == 1
    assert "https://zoom.example/j/" in sender.texts_to("anna")


async def test_reschedule_moves_and_cancel_deletes_the_meeting(
    zoom_app: App, zoom: FakeZoom
) -> None:
    chat = await booked_person(zoom_app, "anna")
    dispatcher = recording_dispatcher(zoom_app, RecordingSender())
    await dispatcher.tick()
    (meeting_id,) = zoom.meetings
    await chat.send("/appuntamento")
    await chat.tap("appt.move")
    await chat.tap("d.20261126")
    await chat.tap("t.1000")
    await dispatcher.tick()
    assert zoom.meetings[meeting_id]["start_time"] == "2026-11-26T09:00:00Z"
    await chat.send("/appuntamento")
    await chat.tap("appt.cancel")
    await chat.tap("cancel.yes")
    await dispatcher.tick()
    assert meeting_id not in zoom.meetings


def test_api_mode_without_credentials_is_a_settings_error(tmp_path: Path) -> None:
    from bot.settings import SettingsError

    with pytest.raises(SettingsError, match="ZOOM_ACCOUNT_ID"):
        make_settings(tmp_path / "z.db", SPORTELLO_CONFIG=str(write_config(tmp_path, AGENDA)))


def test_clock_is_tuesday(clock: ManualClock) -> None:
    assert clock.now().astimezone(ROME).date() == datetime(2026, 11, 24).date()
