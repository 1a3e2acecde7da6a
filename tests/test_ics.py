"""The appointment's calendar file, read back with icalendar as a phone's calendar would."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Alarm, Calendar, Event

from bot.ics import appointment_ics, ics_filename

NOW = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
WINTER_START = datetime(2026, 1, 13, 9, 30, tzinfo=UTC)  # 10:30 in Lucca
UID = "appointment-42@sportello.comune.lucca.it"
ROOM = "https://zoom.us/j/1234567890"


def make_ics(
    starts_at: datetime = WINTER_START,
    url: str | None = ROOM,
    *,
    sequence: int = 0,
    cancelled: bool = False,
) -> bytes:
    return appointment_ics(
        uid=UID,
        sequence=sequence,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=45),
        summary="Colloquio Sportello Lavoro",
        description="Con Giulia.\nEntra dal link Zoom qualche minuto prima.",
        url=url,
        now=NOW,
        cancelled=cancelled,
    )


def parse(data: bytes) -> tuple[Calendar, Event]:
    calendar = Calendar.from_ical(data)
    assert isinstance(calendar, Calendar)
    (event,) = calendar.events
    return calendar, event


def moment(value: date | datetime) -> datetime:
    assert isinstance(value, datetime)
    return value


def test_the_event_is_in_local_time_with_its_timezone() -> None:
    data = make_ics()
    calendar, event = parse(data)
    assert calendar.prodid == "-//Comune di Lucca//Sportello Lavoro//IT"
    assert calendar.version == "2.0"
    assert calendar.method == "PUBLISH"
    start = moment(event.start)
    assert str(start.tzinfo) == "Europe/Rome"
    assert (start.hour, start.minute) == (10, 30)
    assert start == WINTER_START
    assert event.end == WINTER_START + timedelta(minutes=45)
    assert b"\r\nDTSTART;TZID=Europe/Rome:20260113T103000\r\n" in data
    assert b"\r\nDTEND;TZID=Europe/Rome:20260113T111500\r\n" in data
    assert [timezone.tz_name for timezone in calendar.timezones] == ["Europe/Rome"]


def test_summer_time_is_two_hours_ahead() -> None:
    data = make_ics(datetime(2026, 7, 14, 8, 30, tzinfo=UTC))
    _, event = parse(data)
    assert moment(event.start).replace(tzinfo=None) == datetime(2026, 7, 14, 10, 30)
    assert b"\r\nDTSTART;TZID=Europe/Rome:20260714T103000\r\n" in data


def test_identity_stamp_and_link() -> None:
    data = make_ics(sequence=3)
    _, event = parse(data)
    assert event.uid == UID
    assert event.sequence == 3
    assert event.DTSTAMP == NOW
    assert b"\r\nDTSTAMP:20260110T080000Z\r\n" in data
    assert event.url == ROOM
    assert event.location == ROOM
    assert event.summary == "Colloquio Sportello Lavoro"
    assert event.description == "Con Giulia.\nEntra dal link Zoom qualche minuto prima."
    assert event.status == "CONFIRMED"


def test_without_a_link_there_is_no_url_or_location() -> None:
    _, event = parse(make_ics(url=None))
    assert "URL" not in event
    assert "LOCATION" not in event


def test_an_alarm_one_hour_before() -> None:
    _, event = parse(make_ics())
    (alarm,) = event.walk("VALARM")
    assert isinstance(alarm, Alarm)
    assert alarm.ACTION == "DISPLAY"
    assert timedelta(hours=-1) == alarm.TRIGGER


def test_a_cancellation() -> None:
    calendar, event = parse(make_ics(sequence=1, cancelled=True))
    assert calendar.method == "PUBLISH"
    assert event.status == "CANCELLED"
    assert event.uid == UID
    assert event.sequence == 1
    # A cancelled appointment must not ring.
    assert event.walk("VALARM") == []


def test_lines_end_with_crlf() -> None:
    data = make_ics()
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    assert data.endswith(b"END:VCALENDAR\r\n")
    assert data.count(b"\n") == data.count(b"\r\n")


def test_the_timezone_covers_the_appointment_only() -> None:
    # The library's default range (1970-2038) would list every change since 1970.
    data = make_ics()
    assert len(data) < 2000
    assert b"20261025T" in data  # this year's autumn change
    assert b"1971" not in data


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="starts_at"):
        make_ics(datetime(2026, 1, 13, 9, 30))


def test_filename() -> None:
    assert ics_filename() == "appuntamento.ics"
