"""WhatsApp end to end: signed form posts to the running ASGI app exactly as Twilio sends
them, and the real twilio client talking to a fake Twilio REST server on loopback."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.app import App, build_app
from bot.capabilities import appointments
from bot.clock import ROME, ManualClock
from bot.domain import BookingStatus, Channel, OutboxKind
from bot.handlers.web import build_web_app
from bot.handlers.whatsapp import (
    TWILIO_TIMEOUT,
    WhatsAppSender,
    WhatsAppWebhooks,
    button_title,
    twilio_client,
)
from tests.conftest import make_settings
from tests.fakes.twilio_api import FakeTwilio

PUBLIC = "https://sportello.example.org"
ANNA = "+393331234567"
TEMPLATES = """
[whatsapp.templates]
reminder = "HX11111111111111111111111111111111"
"""
AGENDA = Path(__file__).resolve().parents[1] / "config" / "example.toml"


@dataclass
class WhatsApp:
    app: App
    fake: FakeTwilio
    http: httpx.AsyncClient
    sender: WhatsAppSender

    async def post(
        self, path: str, params: dict[str, str], *, sign_url: str | None = None
    ) -> httpx.Response:
        signature = self.fake.sign(sign_url or PUBLIC + path, params)
        return await self.http.post(path, data=params, headers={"X-Twilio-Signature": signature})

    async def say(self, text: str | None, number: str = ANNA, **extra: str) -> httpx.Response:
        return await self.post("/whatsapp/inbound", self.fake.inbound_params(number, text, **extra))

    def bodies_to(self, number: str = ANNA) -> list[str]:
        return [m.body or "" for m in self.fake.messages if m.number == number]

    def last_to(self, number: str = ANNA) -> str:
        return self.bodies_to(number)[-1]


@contextlib.asynccontextmanager
async def whatsapp_world(
    folder: Path,
    database: str,
    clock: ManualClock,
    extra_toml: str = TEMPLATES,
    *,
    twilio_timeout: float = TWILIO_TIMEOUT,
    **fake_options: str,
) -> AsyncIterator[WhatsApp]:
    """The app with WhatsApp configured against a FakeTwilio, and an HTTP client for its web
    app that sees itself at another address, as behind a proxy: signatures must be checked
    against PUBLIC_URL, not this."""
    config = folder / "with-whatsapp.toml"
    config.write_text(AGENDA.read_text(encoding="utf-8") + extra_toml, encoding="utf-8")
    (folder / "privacy").symlink_to(AGENDA.parent / "privacy")
    async with FakeTwilio(clock=lambda: clock.now().timestamp(), **fake_options) as fake:
        settings = make_settings(
            database,
            SPORTELLO_CONFIG=str(config),
            PUBLIC_URL=PUBLIC,
            TWILIO_ACCOUNT_SID=fake.account_sid,
            TWILIO_AUTH_TOKEN=fake.auth_token,
            TWILIO_WHATSAPP_NUMBER=fake.whatsapp_number,
            TWILIO_API_URL=fake.url,
        )
        app = await build_app(settings, clock)
        assert settings.twilio is not None
        client = twilio_client(settings.twilio)
        try:
            sender = WhatsAppSender(
                client, settings.twilio, PUBLIC, app.db, clock, timeout=twilio_timeout
            )
            hooks = WhatsAppWebhooks(app.engine, sender, settings.twilio, PUBLIC)
            web = build_web_app(app.db, whatsapp=hooks)
            transport = httpx.ASGITransport(app=web)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://internal:8080"
            ) as http:
                yield WhatsApp(app, fake, http, sender)
        finally:
            await client.http_client.close()
            await app.close()


@pytest.fixture
async def whatsapp(tmp_path: Path, database: str, clock: ManualClock) -> AsyncIterator[WhatsApp]:
    async with whatsapp_world(tmp_path, database, clock) as world:
        yield world


INTAKE_BY_NUMBERS = [
    "1",  # Accetto
    "1",  # the name WhatsApp shows: Anna
    "1",
    "3",
    "1",
    "3",
    "1",
    "3",
    "1",
    "4",
    "1",
    "2 7",
    "13",  # tourism and care, done
    "3",
    "14",  # table service, done
    "15",  # no care skills: done
    "1",
    "11",  # mother tongue, no other languages
    "2",
    "2 4",
    "5",  # licence without car; part time, weekends; done
    "Cinque anni da cameriera",
    "salta",
    "2",  # nothing the operator should know
    "1",  # yes to news
    "1",  # confirm
]


async def test_full_conversation_on_whatsapp(whatsapp: WhatsApp) -> None:
    response = await whatsapp.say("Ciao")
    assert response.status_code == 200
    assert "<Response>" in response.text
    assert "Prima di iniziare" in whatsapp.last_to()
    assert "1. ✅ Accetto" in whatsapp.last_to()
    assert "Rispondi con il numero che scegli" in whatsapp.last_to()
    for text in INTAKE_BY_NUMBERS:
        assert (await whatsapp.say(text)).status_code == 200
    joined = "\n".join(whatsapp.bodies_to())
    assert "• Nome: Anna" in joined
    assert "Quale giorno ti va bene?" in whatsapp.last_to()
    await whatsapp.say("1")
    await whatsapp.say("1")
    assert "Prenotato!" in "\n".join(whatsapp.bodies_to())
    sent = whatsapp.fake.messages[-1]
    assert sent.fields["To"] == f"whatsapp:{ANNA}"
    assert sent.fields["From"] == f"whatsapp:{whatsapp.fake.whatsapp_number}"
    assert sent.fields["StatusCallback"] == f"{PUBLIC}/whatsapp/status"
    assert "ContentSid" not in sent.fields
    # Reschedule, then cancel.
    await whatsapp.say("/appuntamento")
    await whatsapp.say("1")  # Sposta
    await whatsapp.say("2")
    await whatsapp.say("1")
    assert "spostato" in "\n".join(whatsapp.bodies_to()).lower()
    await whatsapp.say("/appuntamento")
    await whatsapp.say("2")  # Annulla
    await whatsapp.say("1")  # Sì
    assert "annullato" in "\n".join(whatsapp.bodies_to()).lower()
    async with whatsapp.app.db.read() as tx:
        person = await tx.people.by_identity(Channel.WHATSAPP, ANNA)
        assert person is not None
        assert await tx.bookings.active_for(person.id) == []
        answers = await tx.answers.all(person.id)
    assert answers["name"] == "Anna"


async def book_and_wait(whatsapp: WhatsApp) -> None:
    await whatsapp.say("Ciao")
    for text in [*INTAKE_BY_NUMBERS, "1", "1"]:
        await whatsapp.say(text)


async def test_outside_the_window_only_templates_go(whatsapp: WhatsApp, clock: ManualClock) -> None:
    await book_and_wait(whatsapp)  # Tuesday 24 November 12:00 with Marco
    clock.set(datetime(2026, 11, 25, 13, 0, tzinfo=ROME))
    # Move the appointment a day later so that a 24-hour reminder falls after the window.
    async with whatsapp.app.db.write() as tx:
        person = await tx.people.by_identity(Channel.WHATSAPP, ANNA)
        assert person is not None
        (booking,) = await tx.bookings.active_for(person.id)
    async with whatsapp.app.db.write() as tx:
        moved = await appointments.move(
            tx,
            whatsapp.app.settings.agenda,
            booking,
            datetime(2026, 11, 27, 14, 0, tzinfo=ROME),
            clock.now(),
        )
        assert moved.booking is not None
    clock.set(datetime(2026, 11, 26, 14, 0, tzinfo=ROME))
    dispatcher = whatsapp.app.dispatcher({Channel.WHATSAPP: whatsapp.sender}, {})
    await dispatcher.tick()
    template = whatsapp.fake.messages[-1]
    assert template.fields["ContentSid"] == "HX11111111111111111111111111111111"
    variables = json.loads(template.fields["ContentVariables"])
    assert variables == {
        "1": "Anna",
        "2": "venerdì 27 novembre alle 14:00",
        "3": "https://zoom.us/j/1000000002",
    }
    assert "Body" not in template.fields


async def test_a_kind_without_template_is_recorded_not_lost(
    whatsapp: WhatsApp, clock: ManualClock
) -> None:
    await book_and_wait(whatsapp)
    async with whatsapp.app.db.write() as tx:
        person = await tx.people.by_identity(Channel.WHATSAPP, ANNA)
        assert person is not None
        (booking,) = await tx.bookings.active_for(person.id)
        await tx.bookings.record_outcome(booking.id, BookingStatus.NO_SHOW, None, clock.now())
        await tx.outbox.add(
            OutboxKind.NOSHOW,
            clock.now() + timedelta(days=2),
            clock.now(),
            person_id=person.id,
            booking_id=booking.id,
        )
    clock.advance(timedelta(days=2))
    await whatsapp.app.dispatcher({Channel.WHATSAPP: whatsapp.sender}, {}).tick()
    async with whatsapp.app.db.read() as tx:
        listed = await tx.outbox.listing(("no_template",))
    assert [i.kind for i in listed] == ["noshow"]
    assert "no template" in (listed[0].last_error or "")


async def test_status_callbacks_update_the_outbox(whatsapp: WhatsApp, clock: ManualClock) -> None:
    await book_and_wait(whatsapp)
    clock.set(datetime(2026, 11, 24, 11, 0, tzinfo=ROME))  # the 1-hour reminder
    await whatsapp.app.dispatcher({Channel.WHATSAPP: whatsapp.sender}, {}).tick()
    reminder = whatsapp.fake.messages[-1]
    ok = await whatsapp.post(
        "/whatsapp/status", whatsapp.fake.status_params(reminder.sid, "delivered")
    )
    assert ok.status_code == 200
    await whatsapp.post("/whatsapp/status", whatsapp.fake.status_params(reminder.sid, "read"))
    async with whatsapp.app.db.read() as tx:
        assert [i.status for i in await tx.outbox.listing(("read",))] == ["read"]
    failed = await whatsapp.post(
        "/whatsapp/status", whatsapp.fake.status_params(reminder.sid, "failed", "63016")
    )
    assert failed.status_code == 200
    async with whatsapp.app.db.read() as tx:
        (row,) = await tx.outbox.listing(("failed",))
    assert (
        row.last_error == "63016: outside the 24-hour window: only an approved template can be sent"
    )
    unknown = await whatsapp.post(
        "/whatsapp/status", whatsapp.fake.status_params("SM" + "f" * 32, "delivered", to=ANNA)
    )
    assert unknown.status_code == 200


async def test_blocked_number_is_marked_unreachable(whatsapp: WhatsApp) -> None:
    await whatsapp.say("Ciao")
    sid = whatsapp.fake.messages[-1].sid
    await whatsapp.post("/whatsapp/status", whatsapp.fake.status_params(sid, "failed", "63014"))
    async with whatsapp.app.db.read() as tx:
        person = await tx.people.by_identity(Channel.WHATSAPP, ANNA)
    assert person is not None
    assert person.unreachable_at is not None


async def test_forged_and_misdirected_signatures_are_refused(whatsapp: WhatsApp) -> None:
    params = whatsapp.fake.inbound_params(ANNA, "Ciao")
    unsigned = await whatsapp.http.post("/whatsapp/inbound", data=params)
    wrong = await whatsapp.post(
        "/whatsapp/inbound", params, sign_url="http://internal:8080/whatsapp/inbound"
    )
    tampered_params = {**params, "Body": "altro"}
    tampered = await whatsapp.http.post(
        "/whatsapp/inbound",
        data=tampered_params,
        headers={"X-Twilio-Signature": whatsapp.fake.sign(PUBLIC + "/whatsapp/inbound", params)},
    )
    assert [r.status_code for r in (unsigned, wrong, tampered)] == [403, 403, 403]
    assert whatsapp.fake.messages == []
    async with whatsapp.app.db.read() as tx:
        assert await tx.people.by_identity(Channel.WHATSAPP, ANNA) is None


async def test_replayed_message_is_handled_once(whatsapp: WhatsApp) -> None:
    params = whatsapp.fake.inbound_params(ANNA, "Ciao")
    first = await whatsapp.post("/whatsapp/inbound", params)
    sent = len(whatsapp.fake.messages)
    again = await whatsapp.post("/whatsapp/inbound", params)
    assert (first.status_code, again.status_code) == (200, 200)
    assert len(whatsapp.fake.messages) == sent


async def test_odd_requests_get_the_right_answer(whatsapp: WhatsApp) -> None:
    as_json = await whatsapp.http.post("/whatsapp/inbound", json={"Body": "ciao"})
    huge = await whatsapp.http.post(
        "/whatsapp/inbound",
        content=b"Body=" + b"x" * 1_000_000,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    not_a_number = await whatsapp.post(
        "/whatsapp/inbound", whatsapp.fake.inbound_params("+999", "ciao")
    )
    assert (as_json.status_code, huge.status_code, not_a_number.status_code) == (415, 413, 400)
    no_body = whatsapp.fake.inbound_params(ANNA, None)
    del no_body["Body"]
    assert (await whatsapp.post("/whatsapp/inbound", no_body)).status_code == 200
    extra = whatsapp.fake.inbound_params(ANNA, "ciao", SomethingNew="1", Another="x")
    assert (await whatsapp.post("/whatsapp/inbound", extra)).status_code == 200
    photo = whatsapp.fake.inbound_params(
        ANNA,
        None,
        NumMedia="1",
        MessageType="image",
        MediaContentType0="image/jpeg",
        MediaUrl0="https://api.twilio.com/media/1",
    )
    await whatsapp.post("/whatsapp/inbound", photo)
    assert "Non posso ascoltare i messaggi vocali" in "\n".join(whatsapp.bodies_to())


async def test_stop_and_start_keywords(whatsapp: WhatsApp) -> None:
    await whatsapp.say("Ciao")
    await whatsapp.say("1")
    await whatsapp.say("STOP")
    assert "scrivi START o RIPRENDI" in "\n".join(whatsapp.bodies_to())
    await whatsapp.say("riprendi")
    async with whatsapp.app.db.read() as tx:
        person = await tx.people.by_identity(Channel.WHATSAPP, ANNA)
        assert person is not None
        history = [
            c.granted for c in await tx.consents.history(person.id) if c.kind == "announcements"
        ]
    assert history == [False, True]


async def test_long_messages_are_split(whatsapp: WhatsApp) -> None:
    await whatsapp.say("Ciao")
    await whatsapp.say("2")  # Leggi tutto: the full notice
    assert all(len(body) <= 1600 for body in whatsapp.bodies_to())


async def test_health(whatsapp: WhatsApp) -> None:
    response = await whatsapp.http.get("/healthz")
    assert response.json() == {"status": "ok"}


async def test_link_telegram_and_whatsapp(whatsapp: WhatsApp) -> None:
    from bot.reports import link
    from tests.chat import Chat

    telegram = Chat(whatsapp.app.engine, "4242")
    await telegram.send("/start")
    await telegram.tap("notice.accept")
    await telegram.send("Anna")
    await whatsapp.say("Ciao")
    message, ok = await link(whatsapp.app.db, "4242", "+39 333 123 4567")
    assert ok, message
    async with whatsapp.app.db.read() as tx:
        on_telegram = await tx.people.by_identity(Channel.TELEGRAM, "4242")
        on_whatsapp = await tx.people.by_identity(Channel.WHATSAPP, ANNA)
        assert on_telegram is not None
        assert on_whatsapp is not None
        assert on_telegram.id == on_whatsapp.id
        consents = await tx.consents.history(on_telegram.id)
    assert [c.kind for c in consents].count("notice") == 1


async def test_quick_reply_buttons_where_a_template_is_configured(
    tmp_path: Path, database: str, clock: ManualClock
) -> None:
    quick = '\n[whatsapp.quick_replies]\n"3" = "HX33333333333333333333333333333333"\n'
    async with whatsapp_world(tmp_path, database, clock, quick) as chat:
        fake = chat.fake
        await chat.say("Ciao")
        notice = fake.messages[-1]
        assert notice.content_sid == "HX33333333333333333333333333333333"
        variables = notice.content_variables or {}
        assert variables["2"] == "✅ Accetto"
        payload = variables["3"]
        assert payload.endswith(":notice.accept")
        # Tapping the button comes back as ButtonPayload.
        await chat.say(
            "✅ Accetto", ButtonPayload=payload, ButtonText="✅ Accetto", MessageType="button"
        )
        question = fake.messages[-1]
        variables = question.content_variables or {}
        assert variables["1"].startswith("1/21")
        titles = [variables["2"], variables["4"], variables["6"]]
        assert titles == ["Anna", "⬅️ Indietro", "🙋 Parla con una…"]
        # A title was shortened: the text numbers the full labels, so nothing is lost.
        assert "\n3. 🙋 Parla con una persona\n" in variables["1"]
        # Where every title fits, the text is the question alone.
        assert "1. ✅ Accetto" not in (notice.content_variables or {})["1"]


@pytest.mark.parametrize(
    ("label", "title"),
    [
        ("🙋 Parla con una persona", "🙋 Parla con una…"),
        ("✅ Accetto", "✅ Accetto"),
        ("Esattamente venti ca", "Esattamente venti ca"),
        ("Esattamente venti car", "Esattamente venti…"),
        ("Competenze digitali, di base", "Competenze digitali…"),
        ("Precipitevolissimevolmente", "Precipitevolissimev…"),
    ],
)
def test_button_titles_are_cut_at_a_word_boundary(label: str, title: str) -> None:
    assert button_title(label) == title
    assert len(button_title(label)) <= 20


async def test_an_answer_twilio_failed_to_take_is_sent_again(
    whatsapp: WhatsApp, clock: ManualClock
) -> None:
    async def pending() -> list[str]:
        async with whatsapp.app.db.read() as tx:
            return [i.kind for i in await tx.outbox.listing(("pending",))]

    await whatsapp.say("Ciao")
    whatsapp.fake.fail_next(500, 20500, "Internal Server Error")
    assert (await whatsapp.say("1")).status_code == 200  # Accetto: its answer fails to go
    assert "Come possiamo chiamarti?" not in "\n".join(whatsapp.bodies_to())
    assert await pending() == ["resend"]
    whatsapp.fake.fail_next(500, 20500, "Internal Server Error")
    await whatsapp.say("/aiuto")
    assert await pending() == ["resend"]  # one copy of the question is enough
    clock.advance(timedelta(seconds=31))
    assert await whatsapp.app.dispatcher({Channel.WHATSAPP: whatsapp.sender}, {}).tick() == 1
    assert whatsapp.bodies_to()[-2].startswith("Scusa, forse la mia ultima risposta")
    assert "Come possiamo chiamarti?" in whatsapp.last_to()
