"""The calendar file sent with an appointment, so a person can add it to their phone's calendar.

The same UID with a higher SEQUENCE updates the event already imported; METHOD:CANCEL with
STATUS:CANCELLED removes it. Times are written in Europe/Rome with a VTIMEZONE, so the
appointment shows at the right local hour whatever the phone's own zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from icalendar import Alarm, Calendar, Event

from bot.clock import ROME

PRODID = "-//Comune di Lucca//Sportello Lavoro//IT"
ALARM_BEFORE = timedelta(hours=1)


def ics_filename() -> str:
    return "appuntamento.ics"


def _alarm(summary: str) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", -ALARM_BEFORE)
    return alarm


def _event(
    *,
    uid: str,
    sequence: int,
    starts_at: datetime,
    ends_at: datetime,
    summary: str,
    description: str,
    url: str | None,
    now: datetime,
    cancelled: bool,
) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", now.astimezone(UTC))
    # Local times with TZID: a calendar shows "10:30" even if it ignores the VTIMEZONE.
    event.add("dtstart", starts_at.astimezone(ROME))
    event.add("dtend", ends_at.astimezone(ROME))
    event.add("summary", summary)
    event.add("description", description)
    if url is not None:
        event.add("url", url)
        event.add("location", url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if not cancelled:
        # A cancelled appointment must not ring an hour before it.
        event.add_component(_alarm(summary))
    return event


def appointment_ics(
    *,
    uid: str,
    sequence: int,
    starts_at: datetime,
    ends_at: datetime,
    summary: str,
    description: str,
    url: str | None,
    now: datetime,
    cancelled: bool = False,
) -> bytes:
    """One VEVENT in a VCALENDAR, serialized with CRLF line ends as RFC 5545 asks."""
    for name, moment in (("starts_at", starts_at), ("ends_at", ends_at), ("now", now)):
        if moment.tzinfo is None:
            raise ValueError(f"{name} must be a timezone-aware datetime")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    # PUBLISH, not REQUEST/CANCEL: the file reaches the person in a chat, not as an e-mail
    # invitation, and iTIP's REQUEST wants an ORGANIZER and attendees that phones then try to
    # answer. Calendars update a published event by UID and SEQUENCE, and show
    # STATUS:CANCELLED for a cancelled one.
    calendar.add("method", "PUBLISH")
    calendar.add_component(
        _event(
            uid=uid,
            sequence=sequence,
            starts_at=starts_at,
            ends_at=ends_at,
            summary=summary,
            description=description,
            url=url,
            now=now,
            cancelled=cancelled,
        )
    )
    # The VTIMEZONE lists every change in its range: the appointment's years are enough, and
    # keep the file small (the library's default spans 1970-2038).
    local_start, local_end = starts_at.astimezone(ROME), ends_at.astimezone(ROME)
    calendar.add_missing_timezones(
        first_date=date(local_start.year, 1, 1), last_date=date(local_end.year + 1, 1, 1)
    )
    serialized: bytes = calendar.to_ical()
    return serialized
