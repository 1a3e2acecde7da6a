"""Operators' digest and same-day changes by e-mail, sent to a real SMTP server (aiosmtpd) on
loopback in the test's own event loop, then read back as it arrived.

The clock is Tuesday 24 November 2026 in Lucca; Anna books Marco's first free time, 12:00.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import icalendar
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from bot.app import App, build_app
from bot.clock import ROME, ManualClock
from bot.settings import SettingsError
from scheduling import jobs
from tests.booking_helpers import RecordingSender, booked_person, recording_dispatcher
from tests.booking_helpers import write_config as agenda_file
from tests.conftest import make_settings

MARCO = "100000002"
MARCO_MAIL = "marco.rossi@example.org"


@dataclass
class Inbox:
    """What the SMTP server received; `answer` is what it says to DATA."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    answer: str = "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if not self.answer.startswith("250"):
            return self.answer
        content = envelope.content
        assert isinstance(content, bytes)
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.recipients += envelope.rcpt_tos
        return "250 OK"


@dataclass
class MailServer:
    inbox: Inbox
    port: int


@pytest.fixture
async def smtp_server() -> AsyncIterator[MailServer]:
    inbox = Inbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(inbox), "127.0.0.1", 0)
    yield MailServer(inbox, server.sockets[0].getsockname()[1])
    server.close()
    await server.wait_closed()


def marco(digest: str) -> str:
    return f"""
[[operator]]
id = "marco"
name = "Marco Rossi"
telegram_id = {MARCO}
email = "{MARCO_MAIL}"
digest = "{digest}"
meeting = "room"
room_url = "https://zoom.us/j/1000000002"
[operator.hours]
tue = ["09:00-13:00", "14:30-17:30"]
"""


async def mail_app(
    tmp_path: Path, database: str, port: int, digest: str
) -> tuple[App, ManualClock]:
    config = agenda_file(tmp_path, marco(digest))
    settings = make_settings(
        database,
        SPORTELLO_CONFIG=str(config),
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(port),
        SMTP_FROM="sportello.lavoro@example.org",
        SMTP_STARTTLS="false",
    )
    clock = ManualClock(datetime(2026, 11, 24, 10, 0, tzinfo=ROME))
    return await build_app(settings, clock), clock


async def digest_day(app: App, clock: ManualClock, sender: RecordingSender) -> None:
    """Anna books 12:00 today; back at 07:30 the digest is planned and the outbox ticked."""
    await booked_person(app, "anna")
    clock.set(datetime(2026, 11, 24, 7, 30, tzinfo=ROME))
    assert await jobs.plan_digests(app.db, clock, app.settings.agenda) == 1
    await recording_dispatcher(app, sender).tick()


def calendar_of(message: EmailMessage) -> icalendar.Calendar:
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert part.get_filename() == "appuntamento-1200.ics"
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return icalendar.Calendar.from_ical(payload)


def bodies(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",))
    rich = message.get_body(("html",))
    assert plain is not None
    assert rich is not None
    return str(plain.get_content()), str(rich.get_content())


async def test_the_digest_arrives_by_email_in_italian_with_the_calendar_file(
    tmp_path: Path, database: str, smtp_server: MailServer
) -> None:
    app, clock = await mail_app(tmp_path, database, smtp_server.port, "email")
    try:
        telegram = RecordingSender()
        await digest_day(app, clock, telegram)
        assert telegram.to(MARCO) == []  # e-mail instead of Telegram
        (message,) = smtp_server.inbox.messages
        assert smtp_server.inbox.recipients == [MARCO_MAIL]
        assert message["To"] == MARCO_MAIL
        assert message["From"] == "sportello.lavoro@example.org"
        assert message["Subject"] == "Sportello Lavoro – appuntamenti di martedì 24 novembre"
        text, html = bodies(message)
        assert "Appuntamenti di martedì 24 novembre per Marco" in text
        assert "12:00 · Anna" in text
        assert "Turismo e ospitalità" in text  # the intake summary
        assert '<a href="https://zoom.us/j/1000000002">' in html
        assert "12:00 · Anna" in html
        (event,) = calendar_of(message).walk("VEVENT")
        assert event.decoded("dtstart") == datetime(2026, 11, 24, 12, 0, tzinfo=ROME)
        assert str(event["status"]) == "CONFIRMED"
        assert "Anna" not in str(event["summary"])
    finally:
        await app.close()


async def test_both_sends_telegram_and_one_email_each_with_its_own_row(
    tmp_path: Path, database: str, smtp_server: MailServer
) -> None:
    app, clock = await mail_app(tmp_path, database, smtp_server.port, "both")
    try:
        telegram = RecordingSender()
        await digest_day(app, clock, telegram)
        assert "12:00 · Anna" in telegram.texts_to(MARCO)
        assert len(smtp_server.inbox.messages) == 1
        await recording_dispatcher(app, telegram).tick()  # nothing more to do
        assert len(smtp_server.inbox.messages) == 1
        async with app.db.read() as tx:
            rows = [i for i in await tx.outbox.listing(("sent",)) if i.kind == "digest"]
        assert sorted(str(i.payload.get("via")) for i in rows) == ["None", "email"]
    finally:
        await app.close()


async def test_a_same_day_booking_and_its_cancellation_reach_the_operator_by_email(
    tmp_path: Path, database: str, smtp_server: MailServer
) -> None:
    app, clock = await mail_app(tmp_path, database, smtp_server.port, "email")
    try:
        chat = await booked_person(app, "anna")  # today, 12:00
        await recording_dispatcher(app, RecordingSender()).tick()
        (notice,) = smtp_server.inbox.messages
        assert notice["Subject"] == "Sportello Lavoro – una modifica agli appuntamenti di oggi"
        text, _html = bodies(notice)
        assert "Nuovo appuntamento oggi alle 12:00" in text
        assert "Turismo e ospitalità" in text
        await chat.tap("appt.cancel")
        await chat.tap("cancel.yes")
        clock.advance(timedelta(minutes=1))
        await recording_dispatcher(app, RecordingSender()).tick()
        cancelled = smtp_server.inbox.messages[-1]
        assert "annullato o spostato" in bodies(cancelled)[0]
        (event,) = calendar_of(cancelled).walk("VEVENT")
        assert str(event["status"]) == "CANCELLED"
    finally:
        await app.close()


async def refusing_port() -> int:
    """A loopback port nobody listens on: connecting is refused at once."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(asyncio.Protocol, "127.0.0.1", 0)
    port = int(server.sockets[0].getsockname()[1])
    server.close()
    await server.wait_closed()
    return port


async def dropping_server() -> tuple[asyncio.Server, int]:
    """Accepts the connection and closes it before the greeting."""

    def drop(_reader: Any, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(drop, "127.0.0.1", 0)
    return server, int(server.sockets[0].getsockname()[1])


async def pending_digest(app: App) -> Any:
    async with app.db.read() as tx:
        (row,) = [i for i in await tx.outbox.listing(("pending",)) if i.kind == "digest"]
    return row


@pytest.mark.parametrize("failure", ["refused", "dropped"])
async def test_an_unreachable_mail_server_leaves_the_digest_for_a_retry(
    tmp_path: Path, database: str, failure: str
) -> None:
    server = None
    if failure == "refused":
        port = await refusing_port()
    else:
        server, port = await dropping_server()
    app, clock = await mail_app(tmp_path, database, port, "email")
    try:
        await digest_day(app, clock, RecordingSender())
        row = await pending_digest(app)
        assert row.attempts == 1
        assert row.due_at > clock.now()  # backoff
        assert "SMTP server unusable" in (row.last_error or "")
        assert MARCO_MAIL not in (row.last_error or "")
    finally:
        await app.close()
        if server is not None:
            server.close()
            await server.wait_closed()


async def test_a_temporary_refusal_is_retried_and_then_arrives(
    tmp_path: Path, database: str, smtp_server: MailServer
) -> None:
    smtp_server.inbox.answer = "451 4.3.0 try again later"
    app, clock = await mail_app(tmp_path, database, smtp_server.port, "email")
    try:
        await digest_day(app, clock, RecordingSender())
        row = await pending_digest(app)
        assert "451" in (row.last_error or "")
        assert smtp_server.inbox.messages == []
        smtp_server.inbox.answer = "250 OK"
        clock.advance(timedelta(seconds=31))
        await recording_dispatcher(app, RecordingSender()).tick()
        (message,) = smtp_server.inbox.messages
        assert "12:00 · Anna" in bodies(message)[0]
    finally:
        await app.close()


def problems(tmp_path: Path, body: str, **env: str) -> str:
    config = agenda_file(tmp_path, body)
    with pytest.raises(SettingsError) as raised:
        make_settings(tmp_path / "x.db", SPORTELLO_CONFIG=str(config), **env)
    return str(raised.value)


def test_a_bad_operator_email_or_route_is_explained(tmp_path: Path) -> None:
    bad = marco("email").replace(MARCO_MAIL, "marco at example")
    assert "email: 'marco at example' is not an e-mail address" in problems(tmp_path, bad)
    odd = marco("fax")
    assert "digest: 'fax' is not a choice" in problems(tmp_path, odd, SMTP_HOST="mail.example.org")
    no_smtp = problems(tmp_path, marco("both"))
    assert "SMTP_HOST: an operator has digest = 'email' or 'both'" in no_smtp


def test_smtp_settings_are_checked_and_the_password_never_shown(tmp_path: Path) -> None:
    config = agenda_file(tmp_path, marco("email"))
    found = problems(tmp_path, marco("email"), SMTP_HOST="mail.example.org", SMTP_PORT="x")
    assert "SMTP_FROM" in found
    assert "SMTP_PORT" in found
    settings = make_settings(
        tmp_path / "ok.db",
        SPORTELLO_CONFIG=str(config),
        SMTP_HOST="mail.example.org",
        SMTP_FROM="sportello@example.org",
        SMTP_USER="sportello",
        SMTP_PASSWORD="s3cret-pw",
    )
    assert settings.smtp is not None
    assert settings.smtp.port == 587
    assert settings.smtp.starttls
    assert "s3cret-pw" not in repr(settings)
