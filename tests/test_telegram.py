"""The intake on Telegram: python-telegram-bot against a fake Bot API over real HTTP."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from telegram import Bot

from bot.app import App
from bot.clock import ROME, ManualClock
from bot.domain import Channel
from bot.handlers.telegram import TelegramSender, build_application, publish_menu
from bot.handlers.telegram_poll import Poller
from bot.logs import cap_library_loggers
from tests.chat import TYPICAL_ANSWERS
from tests.fakes.telegram_api import FakeTelegram

JSONDict = dict[str, Any]


@dataclass
class Phone:
    """One Telegram user, tapping and typing, waiting each time for the bot to answer."""

    fake: FakeTelegram
    user_id: int
    language: str = "en"
    first_name: str = "Anna"

    def messages(self) -> list[JSONDict]:
        return list(self.fake.chats.get(self.user_id, []))

    def question(self) -> JSONDict:
        asked = [m for m in self.messages() if m.get("reply_markup")]
        assert asked, "no question with buttons yet"
        return asked[-1]

    async def _after(self, act: Any) -> None:
        """Do something, then wait until the bot has finished answering it: every turn of the
        conversation ends with a message or a redraw that carries the next buttons."""
        start = len(self.fake.calls)
        act()

        def answered(calls: Any) -> bool:
            return any(
                c.method in ("sendMessage", "editMessageText")
                and c.params.get("chat_id") == self.user_id
                and c.params.get("reply_markup")
                for c in list(calls)[start:]
            )

        await self.fake.wait_for(answered)

    async def type(self, text: str) -> None:
        await self._after(
            lambda: self.fake.send_text(
                self.user_id, text, language_code=self.language, first_name=self.first_name
            )
        )

    async def tap(self, option_id: str) -> None:
        question = self.question()
        data = next(
            (d for _label, d in self.fake.buttons(question) if d.split(":", 1)[1] == option_id),
            None,
        )
        assert data is not None, f"{option_id} not on {self.fake.buttons(question)}"
        await self.press(question["message_id"], data)

    async def press(self, message_id: int, data: str) -> None:
        await self._after(lambda: self.fake.press_button(self.user_id, message_id, data))

    def texts(self) -> str:
        return "\n".join(m.get("text", "") for m in self.messages())


@pytest.fixture
async def telegram(app: App) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        application = build_application(app.engine, fake.token, fake.url)
        async with application:
            await publish_menu(application, app.engine.translators)
            await application.start()
            poller = Poller(application, timeout=1)
            poller.start()
            try:
                yield fake
            finally:
                await poller.stop()
                await application.stop()


async def test_full_intake_on_telegram(app: App, telegram: FakeTelegram) -> None:
    phone = Phone(telegram, 4242)
    await phone.type("/start poster_school")
    assert "Before we start" in phone.question()["text"]
    await phone.tap("notice.accept")
    for how, value in TYPICAL_ANSWERS:
        if how == "text":
            await phone.type(value)
        else:
            await phone.tap(value)
    await phone.tap("summary.confirm")
    texts = phone.texts()
    assert "Thank you, Anna! Your answers are saved." in texts
    assert "Which day suits you?" in phone.question()["text"]
    assert "• Sectors: Tourism and hospitality, Care services" in texts
    # The tapped question is closed and says what was chosen.
    assert "How old are you?\n\n→ 30 to 39" in texts
    async with app.db.read() as tx:
        person = await tx.people.by_identity(Channel.TELEGRAM, "4242")
        assert person is not None
        assert person.source == "poster_school"
        assert person.language == "en"
        answers = await tx.answers.all(person.id)
    assert answers["skills.tourism"] == ["tourism.table_service"]


async def test_multi_select_redraws_the_same_message(app: App, telegram: FakeTelegram) -> None:
    phone = Phone(telegram, 5151)
    await phone.type("/start")
    await phone.tap("notice.accept")
    for how, value in TYPICAL_ANSWERS[:10]:
        await (phone.type(value) if how == "text" else phone.tap(value))
    question = phone.question()
    await phone.tap("tourism")
    redrawn = phone.question()
    assert redrawn["message_id"] == question["message_id"]
    ticked = [label for label, _data in telegram.buttons(redrawn) if label.startswith("✅")]
    assert ticked == ["✅ Tourism and hospitality"]


async def test_italian_from_the_phone_language(app: App, telegram: FakeTelegram) -> None:
    phone = Phone(telegram, 777, language="it-IT")
    await phone.type("ciao")
    assert "Prima di iniziare" in phone.question()["text"]


async def test_redelivered_update_is_handled_once(app: App, telegram: FakeTelegram) -> None:
    phone = Phone(telegram, 99)
    await phone.type("/start")
    await phone.tap("notice.accept")
    update_id = telegram.send_text(99, "Anna", language_code="en")
    await telegram.wait_for(lambda _c: "2/" in phone.question()["text"])
    sent_before = len(phone.messages())
    telegram.redeliver(update_id)
    await phone.type("/aiuto")  # handled after the re-delivery: its answer proves it passed
    helps = [m for m in phone.messages()[sent_before:] if "I help you" in m.get("text", "")]
    assert len(helps) == 1
    assert len(phone.messages()) == sent_before + 2  # help + the question again, nothing more
    async with app.db.read() as tx:
        person = await tx.people.by_identity(Channel.TELEGRAM, "99")
        assert person is not None
        assert await tx.answers.all(person.id) == {"name": "Anna"}


async def test_voice_note_gets_a_kind_reply(app: App, telegram: FakeTelegram) -> None:
    phone = Phone(telegram, 31)
    await phone.type("/start")
    voice = {
        "message": {
            "message_id": 1000,
            "date": int(time.time()),
            "chat": {"id": 31, "type": "private", "first_name": "Anna"},
            "from": {"id": 31, "is_bot": False, "first_name": "Anna", "language_code": "en"},
            "voice": {"file_id": "v1", "file_unique_id": "uv1", "duration": 4},
        }
    }
    await phone._after(lambda: telegram.send_update(voice))
    assert "can't listen to voice messages" in phone.texts()
    assert phone.question()["reply_markup"]


async def test_stale_and_forged_buttons(app: App, telegram: FakeTelegram) -> None:
    phone = Phone(telegram, 64)
    await phone.type("/start")
    notice = phone.question()
    refuse = telegram.buttons(notice)[2][1]  # read now: the message is edited when tapped
    await phone.tap("notice.accept")
    await phone.press(notice["message_id"], refuse)
    assert "belongs to an earlier message" in phone.texts()
    await phone.press(phone.question()["message_id"], "forged 🙂 data")
    assert "don't recognise that button" in phone.texts()
    async with app.db.read() as tx:
        person = await tx.people.by_identity(Channel.TELEGRAM, "64")
        assert person is not None
        consents = await tx.consents.history(person.id)
    assert [c.granted for c in consents] == [True]


async def test_blocked_bot_marks_the_person_unreachable(app: App, telegram: FakeTelegram) -> None:
    phone = Phone(telegram, 403)
    await phone.type("/start")
    telegram.block_user(403)
    telegram.send_text(403, "/aiuto", language_code="en")
    await telegram.wait_for(lambda calls: any(c.status == 403 for c in calls))

    async def unreachable() -> bool:
        async with app.db.read() as tx:
            person = await tx.people.by_identity(Channel.TELEGRAM, "403")
            return person is not None and person.unreachable_at is not None

    # Marking happens right after the failed send; allow it a generous deadline.
    for _ in range(500):
        if await unreachable():
            break
        await asyncio.sleep(0.01)
    assert await unreachable()


async def test_command_menu_in_italian_and_english(app: App, telegram: FakeTelegram) -> None:
    italian = [c["command"] for c in telegram.my_commands("it")]
    english = [c["command"] for c in telegram.my_commands("en")]
    assert "aiuto" in italian
    assert "imieidati" in italian
    assert "help" in english
    assert "mydata" in english


async def test_logs_carry_no_personal_data(
    app: App, telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    cap_library_loggers("DEBUG")
    caplog.set_level(logging.DEBUG)
    phone = Phone(telegram, 987654321)
    await phone.type("/start")
    await phone.tap("notice.accept")
    for how, value in TYPICAL_ANSWERS:
        await (phone.type(value) if how == "text" else phone.tap(value))
    await phone.type("/imieidati")
    await phone.press(phone.question()["message_id"], "forged 🙂 data")
    assert caplog.records, "the run logged something"
    for canary in ("987654321", "Anna", "Viareggio", "waitress", telegram.token):
        assert canary not in caplog.text, canary


async def test_book_reschedule_and_cancel_on_telegram(
    app: App, telegram: FakeTelegram, clock: ManualClock
) -> None:
    phone = Phone(telegram, 2468)
    await phone.type("/start")
    await phone.tap("notice.accept")
    for how, value in TYPICAL_ANSWERS:
        await (phone.type(value) if how == "text" else phone.tap(value))
    await phone.tap("summary.confirm")
    await phone.tap("d.20261126")
    await phone.tap("t.1000")
    assert "Booked! Your video meeting is on Thursday 26 November at 10:00" in phone.texts()
    documents = [c for c in telegram.calls if c.method == "sendDocument"]
    assert [d.uploads["document"].filename for d in documents] == ["appuntamento.ics"]

    # The day-before reminder, sent by the dispatcher through the real Telegram sender.
    clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=ROME))
    sender = TelegramSender(Bot(telegram.token, base_url=f"{telegram.url}/bot"))
    async with sender.bot:
        dispatcher = app.dispatcher({Channel.TELEGRAM: sender}, {})
        assert await dispatcher.tick() == 1
    assert "Do you confirm?" in phone.question()["text"]
    await phone.tap("appt.move")
    await phone.tap("d.20261126")
    await phone.tap("t.1100")
    assert "Your appointment has been moved." in phone.texts()
    await phone.type("/appuntamento")
    await phone.tap("appt.cancel")
    await phone.tap("cancel.yes")
    assert "Your appointment has been cancelled." in phone.texts()
    async with app.db.read() as tx:
        person = await tx.people.by_identity(Channel.TELEGRAM, "2468")
        assert person is not None
        assert await tx.bookings.active_for(person.id) == []


async def test_outbox_through_telegram_handles_429_and_403(
    app: App, telegram: FakeTelegram, clock: ManualClock
) -> None:
    from tests.booking_helpers import booked_person

    await booked_person(app, "1357")  # today 12:00: its 1-hour reminder is due at 11:00
    await booked_person(app, "9753")  # today 14:30
    clock.set(datetime(2026, 11, 24, 11, 0, tzinfo=ROME))
    telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    telegram.block_user(1357)
    sender = TelegramSender(Bot(telegram.token, base_url=f"{telegram.url}/bot"))
    async with sender.bot:
        dispatcher = app.dispatcher({Channel.TELEGRAM: sender}, {})
        await dispatcher.tick()
        assert dispatcher.stats.retried == 1  # the 429: waited, not failed
        clock.advance(timedelta(seconds=4))
        await dispatcher.tick()
    # Both same-day bookings reached Marco, the first one after the 429's wait.
    assert len(telegram.chats[100000002]) == 2
    async with app.db.read() as tx:
        blocked = await tx.people.by_identity(Channel.TELEGRAM, "1357")
        counts = await tx.outbox.counts()
        failed = await tx.outbox.listing(("failed",))
    assert blocked is not None
    assert blocked.unreachable_at is not None
    assert counts.get("failed") == 1
    assert failed[0].kind == "reminder"


async def test_an_answer_telegram_failed_to_take_is_sent_again(
    app: App, telegram: FakeTelegram, clock: ManualClock
) -> None:
    phone = Phone(telegram, 5150)
    await phone.type("/start")
    telegram.fail_next("sendMessage", 500, "Internal Server Error")
    telegram.send_text(5150, "/help", language_code="en")
    await telegram.wait_for(lambda calls: any(c.status == 500 for c in calls))

    async def planned() -> list[str]:
        async with app.db.read() as tx:
            return [i.kind for i in await tx.outbox.listing(("pending",))]

    for _ in range(500):  # planned right after the failed send
        if "resend" in await planned():
            break
        await asyncio.sleep(0.01)
    assert await planned() == ["resend"]
    clock.advance(timedelta(seconds=31))
    sender = TelegramSender(Bot(telegram.token, base_url=f"{telegram.url}/bot"))
    async with sender.bot:
        assert await app.dispatcher({Channel.TELEGRAM: sender}, {}).tick() == 1
    again = [m["text"] for m in phone.messages()[-2:]]
    assert again[0] == "Sorry, my last answer may not have reached you. Here it is again:"
    assert "Before we start" in again[1]
    assert phone.question()["text"] == again[1]  # the notice, with its buttons, to tap
