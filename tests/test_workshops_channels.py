"""Workshops across the real channels: staff on Telegram (python-telegram-bot against the fake
Bot API), people on Telegram and on WhatsApp (signed webhooks to the ASGI app, the twilio
client against the fake Twilio server), with the injected clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from telegram import Bot

from bot.app import App, build_app
from bot.channels import Sender
from bot.clock import ROME, ManualClock
from bot.domain import Channel
from bot.handlers.telegram import (
    TelegramProgressBoard,
    TelegramSender,
    build_application,
    publish_menu,
)
from bot.handlers.telegram_poll import Poller
from bot.handlers.web import build_web_app
from bot.handlers.whatsapp import WhatsAppSender, WhatsAppWebhooks, twilio_client
from scheduling import jobs
from tests.chat import TYPICAL_ANSWERS
from tests.conftest import make_settings
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.test_telegram import Phone
from tests.test_whatsapp import INTAKE_BY_NUMBERS, PUBLIC

STAFF = 700000001
EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "example.toml"
TEMPLATES = '\n[whatsapp.templates]\nworkshop_invitation = "HX22222222222222222222222222222222"\nreminder = "HX11111111111111111111111111111111"\n'


class World:
    def __init__(
        self,
        app: App,
        telegram: FakeTelegram,
        twilio: FakeTwilio,
        http: httpx.AsyncClient,
        senders: dict[Channel, Sender],
        board: TelegramProgressBoard,
    ) -> None:
        self.app, self.telegram, self.twilio, self.http = app, telegram, twilio, http
        self.senders, self.board = senders, board

    async def whatsapp(self, number: str, text: str) -> None:
        params = self.twilio.inbound_params(number, text)
        signature = self.twilio.sign(PUBLIC + "/whatsapp/inbound", params)
        response = await self.http.post(
            "/whatsapp/inbound", data=params, headers={"X-Twilio-Signature": signature}
        )
        assert response.status_code == 200

    async def dispatch(self) -> None:
        await self.app.dispatcher(self.senders, {}).tick()
        await jobs.report_broadcasts(
            self.app.db, self.app.clock, self.board, self.app.engine.translators["it"]
        )

    def to_number(self, number: str) -> list[str]:
        return [m.body or "" for m in self.twilio.messages if m.number == number]


@pytest.fixture
async def world(tmp_path: Path, database: str, clock: ManualClock) -> AsyncIterator[World]:
    config = tmp_path / "c.toml"
    config.write_text(EXAMPLE.read_text(encoding="utf-8") + TEMPLATES, encoding="utf-8")
    (tmp_path / "privacy").symlink_to(EXAMPLE.parent / "privacy")
    async with (
        FakeTelegram() as telegram,
        FakeTwilio(clock=lambda: clock.now().timestamp()) as twilio,
    ):
        settings = make_settings(
            database,
            SPORTELLO_CONFIG=str(config),
            PUBLIC_URL=PUBLIC,
            TWILIO_ACCOUNT_SID=twilio.account_sid,
            TWILIO_AUTH_TOKEN=twilio.auth_token,
            TWILIO_WHATSAPP_NUMBER=twilio.whatsapp_number,
            TWILIO_API_URL=twilio.url,
        )
        app = await build_app(settings, clock)
        assert settings.twilio is not None
        client = twilio_client(settings.twilio)
        wa_sender = WhatsAppSender(client, settings.twilio, PUBLIC, app.db, clock)
        hooks = WhatsAppWebhooks(app.engine, wa_sender, settings.twilio, PUBLIC)
        web = build_web_app(app.db, whatsapp=hooks)
        application = build_application(app.engine, telegram.token, telegram.url)
        bot = Bot(telegram.token, base_url=f"{telegram.url}/bot")
        async with (
            application,
            bot,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=web), base_url="http://internal"
            ) as http,
        ):
            await publish_menu(application, app.engine.translators)
            await application.start()
            poller = Poller(application, timeout=1)
            poller.start()
            senders: dict[Channel, Sender] = {
                Channel.TELEGRAM: TelegramSender(bot),
                Channel.WHATSAPP: wa_sender,
            }
            try:
                yield World(app, telegram, twilio, http, senders, TelegramProgressBoard(bot))
            finally:
                await poller.stop()
                await application.stop()
        await client.http_client.close()
        await app.close()


async def test_staff_invite_people_rsvp_on_both_channels(world: World, clock: ManualClock) -> None:
    async with world.app.db.write() as tx:
        await tx.staff.add(str(STAFF), "Sara", clock.now())
    # People: one on Telegram who wants news, one on Telegram who does not, two on WhatsApp
    # (one writes again today, one wrote two days ago: outside the 24-hour window).
    anna = Phone(world.telegram, 4242)
    await anna.type("/start")
    await anna.tap("notice.accept")
    for how, value in TYPICAL_ANSWERS:
        await (anna.type(value) if how == "text" else anna.tap(value))
    await anna.tap("summary.confirm")
    luca = Phone(world.telegram, 4343)
    await luca.type("/start")
    await luca.tap("notice.accept")
    await luca.type("/avvisi")
    await luca.tap("news.no")
    for number in ("+393330000001", "+393330000002"):
        await world.whatsapp(number, "Ciao")
        for text in [*INTAKE_BY_NUMBERS, "1", "1"]:
            await world.whatsapp(number, text)
    clock.advance(timedelta(days=2))
    await world.whatsapp("+393330000001", "ciao")  # back inside the window

    staff = Phone(world.telegram, STAFF, language="it")
    await staff.type("/nuovo_workshop")
    for text in ("CV clinic", "Porta il tuo CV: lo miglioriamo insieme.", "10/12/2026 10:00"):
        await staff.type(text)
    await staff.tap("dur.90")
    await staff.type("Sala Staffetti, Cortile Carrara, Lucca")
    await staff.type("2")
    await staff.tap("multi.done")
    await staff.tap("multi.done")
    assert "3 persone" in staff.question()["text"]  # anna and both WhatsApp people
    await staff.tap("st.send")
    question = staff.question()
    data = next(d for _label, d in world.telegram.buttons(question) if d.endswith(":st.yes"))
    world.telegram.press_button(STAFF, question["message_id"], data)
    await world.telegram.wait_for(
        lambda calls: any("/ferma_invio" in str(c.params.get("text", "")) for c in calls)
    )
    await world.dispatch()

    # Anna on Telegram: the card with its buttons.
    assert "🎓 CV clinic" in anna.question()["text"]
    assert 4343 not in [
        int(c.params["chat_id"])
        for c in world.telegram.calls
        if c.method == "sendMessage" and "CV clinic" in str(c.params.get("text"))
    ]
    # Inside the window: free text with numbered options; outside: the approved template.
    inside = world.to_number("+393330000001")[-1]
    assert "🎓 CV clinic" in inside
    assert "1. ✅ Partecipo" in inside
    outside = [m for m in world.twilio.messages if m.number == "+393330000002"][-1]
    assert outside.content_sid == "HX22222222222222222222222222222222"
    assert (outside.content_variables or {})["2"] == "CV clinic"

    await anna.tap("ws.yes")
    await world.whatsapp("+393330000001", "1")  # Partecipo
    await world.whatsapp("+393330000002", "/workshop")
    await world.whatsapp("+393330000002", "1")  # the workshop in the list
    assert "Mettimi in lista d'attesa" in world.to_number("+393330000002")[-1]
    await world.whatsapp("+393330000002", "1")  # join the waiting list

    # Staff: the progress message, then the report; the attendee list.
    await world.dispatch()
    progress = [m for m in world.telegram.chats[STAFF] if "Invio" in m.get("text", "")]
    assert progress
    assert "completato" in progress[-1]["text"]
    async with world.app.db.read() as tx:
        (workshop,) = await tx.workshops.all()
        code = workshop.code
    world.telegram.send_text(STAFF, f"/iscritti {code}", language_code="it")
    await world.telegram.wait_for(
        lambda calls: any("🎓 CV clinic ·" in str(c.params.get("text", "")) for c in calls)
    )
    listing = world.telegram.last_message(STAFF)["text"]
    assert "1. Anna" in listing
    assert "2. Anna" in listing  # WhatsApp people used their profile name, Anna
    assert "Posti occupati: 2 su 2; in lista d'attesa: 1." in listing

    # Reminders the day before at 10:00 Rome time, on each person's channel.
    clock.set(datetime(2026, 12, 9, 10, 0, tzinfo=ROME))
    await world.dispatch()
    assert "Reminder: CV clinic" in anna.texts()
    # Days after their last message, the WhatsApp person gets the approved reminder template.
    last = [m for m in world.twilio.messages if m.number == "+393330000001"][-1]
    assert last.content_sid == "HX11111111111111111111111111111111"
    assert (last.content_variables or {})["2"] == "CV clinic"
