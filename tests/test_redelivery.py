"""Re-delivered events are handled exactly once, on every path.

(a) Telegram through python-telegram-bot polling the fake Bot API: every update of several
    people's intake is delivered two or three times (`FakeTelegram.redeliver`), some copies
    queued before the original is handled, some after.
(b) The engine itself: 1,000 events with explicit dedupe keys, each delivered three times, in
    a row, all at once with asyncio.gather, or spread among later events.
(c) Twilio's WhatsApp webhook, signed, posted three times per MessageSid through the ASGI app,
    in a row or concurrently.

Exactly once is checked against a control: the same script said once, by another person
(a), or into a second database (b); the transcripts, conversation state and answers must be
identical.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from telegram import Bot, Update

from bot.app import App, build_app
from bot.clock import ManualClock
from bot.domain import Channel, Inbound, InboundKind, Reply
from bot.handlers.telegram import TelegramChannel, build_application, send_replies
from bot.handlers.telegram_poll import Poller
from tests.chat import TYPICAL_ANSWERS, Chat, answer_all
from tests.conftest import make_settings
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.test_console import ENGLISH_SCRIPT
from tests.test_whatsapp import INTAKE_BY_NUMBERS, PUBLIC, whatsapp_world

SEED = 424242
SKIPPED = "skipped a re-delivered"
SHOWN = ("sendMessage", "editMessageText", "editMessageReplyMarkup", "sendDocument")


# -- (a) Telegram polling --------------------------------------------------------------------


@dataclass
class TelegramPerson:
    """One Telegram user going through the intake; every update they cause may be queued
    again by the fake, before or after the bot has answered the original."""

    fake: FakeTelegram
    user_id: int
    rng: random.Random | None = None  # None: the control, every update delivered once
    copies: int = 0
    update_ids: list[int] = field(default_factory=list)

    def question(self) -> dict[str, Any]:
        asked = [m for m in self.fake.chats.get(self.user_id, []) if m.get("reply_markup")]
        assert asked, "no question with buttons yet"
        return asked[-1]

    def _redeliver(self, update_id: int, times: int) -> None:
        for _ in range(times):
            self.fake.redeliver(update_id)
        self.copies += times

    async def _act(self, send: Callable[[], int]) -> None:
        start = len(self.fake.calls)
        extra = self.rng.choice((1, 2)) if self.rng else 0
        early = self.rng is not None and self.rng.random() < 0.5
        update_id = send()
        self.update_ids.append(update_id)
        if early:  # the copies are queued before the bot has even fetched the original
            self._redeliver(update_id, extra)

        def answered(calls: Any) -> bool:
            return any(
                c.method in ("sendMessage", "editMessageText")
                and c.params.get("chat_id") == self.user_id
                and c.params.get("reply_markup")
                for c in list(calls)[start:]
            )

        await self.fake.wait_for(answered)
        if not early:  # the copies come after the answer (the fake re-opens their query)
            self._redeliver(update_id, extra)

    async def type(self, text: str) -> None:
        await self._act(lambda: self.fake.send_text(self.user_id, text, language_code="en"))

    async def tap(self, option_id: str) -> None:
        question = self.question()
        data = next(d for _label, d in self.fake.buttons(question) if d.endswith(":" + option_id))
        message_id = question["message_id"]
        await self._act(lambda: self.fake.press_button(self.user_id, message_id, data))

    async def intake(self) -> None:
        await self.type("/start")
        await self.tap("notice.accept")
        for how, value in TYPICAL_ANSWERS:
            await (self.type(value) if how == "text" else self.tap(value))
        await self.type("/aiuto")
        await self.tap("summary.confirm")
        await self.type("/imieidati")

    def transcript(self) -> list[tuple[str, str, str]]:
        """What the person saw, in order: messages, edits and files (their own id masked:
        "my data" shows it)."""
        return [
            (
                c.method,
                str(c.params.get("text", "")).replace(f"account {self.user_id},", "account <id>,"),
                json.dumps(c.params.get("reply_markup"), sort_keys=True),
            )
            for c in self.fake.calls
            if c.method in SHOWN and c.params.get("chat_id") == self.user_id and c.ok
        ]


@pytest.fixture
async def polling(app: App) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        # Without python-telegram-bot's own rate limiter: the pace is not what is tested here.
        application = build_application(app.engine, fake.token, fake.url, rate_limit=False)
        async with application:
            await application.start()
            poller = Poller(application, timeout=1)
            poller.start()
            try:
                yield fake
            finally:
                await poller.stop()
                await application.stop()


async def wait_until(check: Callable[[], Awaitable[bool] | bool], what: str) -> None:
    """Poll a condition with a generous deadline (only a bug makes it wait long)."""
    async with asyncio.timeout(30):
        while True:
            result = check()
            if not isinstance(result, bool):
                result = await result
            if result:
                return
            await asyncio.sleep(0.01)
    raise AssertionError(what)  # pragma: no cover - the timeout raises first


@pytest.mark.slow
async def test_telegram_updates_delivered_two_or_three_times_are_handled_once(
    app: App, polling: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.flows.engine")
    rng = random.Random(SEED)
    control = TelegramPerson(polling, 500)
    people = [TelegramPerson(polling, 501 + i, random.Random(rng.random())) for i in range(8)]
    await control.intake()
    await asyncio.gather(*(p.intake() for p in people))

    copies = sum(p.copies for p in people)

    def skipped() -> int:
        return sum(SKIPPED in r.getMessage() for r in caplog.records)

    # Every copy ends in the engine's "skipped" line: none was handled, none is still queued.
    await wait_until(lambda: skipped() >= copies, f"{skipped()} of {copies} copies skipped")
    assert skipped() == copies
    assert copies >= 250
    originals = sum(len(p.update_ids) for p in people)
    print(f"\nredelivery telegram: {originals} updates, {copies} copies, all skipped")
    expected = control.transcript()
    assert any("Which day suits you?" in text for _m, text, _k in expected)
    for person in people:
        assert person.transcript() == expected, person.user_id
    async with app.db.read() as tx:
        reference = await tx.people.by_identity(Channel.TELEGRAM, "500")
        assert reference is not None
        want = (await tx.conversations.load(reference.id), await tx.answers.all(reference.id))
        for person in people:
            found = await tx.people.by_identity(Channel.TELEGRAM, str(person.user_id))
            assert found is not None
            conversation = await tx.conversations.load(found.id)
            assert conversation is not None
            assert want[0] is not None
            assert (conversation.step, conversation.seq, conversation.data) == (
                want[0].step,
                want[0].seq,
                want[0].data,
            )
            assert await tx.answers.all(found.id) == want[1]


async def test_a_skipped_copy_of_a_tap_leaves_the_question_alone(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interleaving that concurrent_updates allows, made deterministic: the engine handles
    the original tap, then the re-delivered copy is processed from start to end, then the
    original's replies are delivered. Expected: the copy, skipped by the engine, changes
    nothing, and the multi-select question is redrawn with the tick."""
    chat = Chat(app.engine, "777")
    await chat.send("/start")
    await chat.tap("notice.accept")
    await answer_all(chat, TYPICAL_ANSWERS[:10])  # up to the sectors question, a multi-select
    async with FakeTelegram() as fake:
        bot = Bot(fake.token, base_url=f"{fake.url}/bot")
        async with bot:
            await send_replies(bot, 777, [chat.question])  # the question as Telegram shows it
            message_id = fake.last_message(777)["message_id"]
            data = next(
                d for _l, d in fake.buttons(fake.last_message(777)) if d.endswith(":tourism")
            )
            update_id = fake.press_button(777, message_id, data)
            raw = fake._history[update_id]  # the update exactly as Telegram would send it twice
            original = Update.de_json(copy.deepcopy(raw), bot)
            duplicate = Update.de_json(copy.deepcopy(raw), bot)
            channel = TelegramChannel(app.engine)
            handle = app.engine.handle

            async def copy_overtakes(event: Inbound) -> list[Reply]:
                replies = await handle(event)
                if replies:  # the original, handled and committed: now the copy comes in
                    await channel.on_update(duplicate, cast(Any, None))
                return replies

            monkeypatch.setattr(app.engine, "handle", copy_overtakes)
            await channel.on_update(original, cast(Any, None))
        tapped = next(m for m in fake.chats[777] if m["message_id"] == message_id)
        labels = [label for label, _d in fake.buttons(tapped)]
    assert "✅ Tourism and hospitality" in labels, tapped.get("text")


# -- (b) the engine ----------------------------------------------------------------------------


EVENTS_PER_PERSON = 50
ENGINE_PEOPLE = 20
_EXTRA_KINDS = (
    (InboundKind.TEXT, "/aiuto"),
    (InboundKind.TEXT, "/appuntamento"),
    (InboundKind.MEDIA, ""),
    (InboundKind.TEXT, "/imieidati"),
    (InboundKind.EDIT, ""),
    (InboundKind.TEXT, "3"),  # My answers, on the appointment question
    (InboundKind.TEXT, "/lingua"),
    (InboundKind.TEXT, "1"),  # Italiano
    (InboundKind.TEXT, "/language"),
    (InboundKind.TEXT, "2"),  # English
)


# Twenty distinct times offered on the first page of days on Tuesday 24 November 2026 at
# 10:00 (the fixture's clock), named by their labels so that who books first does not change
# what anyone gets.
BOOKINGS = [
    (day, time)
    for day, times in (
        ("Tuesday 24 November", ("12:00", "14:30", "15:30", "16:30")),
        ("Wednesday 25 November", ("09:00", "10:00", "11:00", "12:00")),
        ("Thursday 26 November", ("09:00", "10:00", "11:00", "12:00")),
        ("Friday 27 November", ("09:00", "10:00", "11:00", "12:00")),
        ("Monday 30 November", ("09:00", "10:00", "11:00", "12:00")),
    )
    for time in times
]


def engine_script(index: int) -> list[Inbound]:
    """Fifty events of one person: the whole intake in words and numbers, a booking of a time
    of their own, then commands and media; ticking options and changing language are not
    idempotent, so an event handled twice shows in the state."""
    who = f"p{index:02d}"
    day, time = BOOKINGS[index]
    texts: list[tuple[InboundKind, str]] = [(InboundKind.TEXT, "/start")]
    texts += [(InboundKind.TEXT, t) for t in ENGLISH_SCRIPT]
    texts += [(InboundKind.TEXT, day), (InboundKind.TEXT, time)]
    extra = itertools.cycle(_EXTRA_KINDS)
    while len(texts) < EVENTS_PER_PERSON:
        texts.append(next(extra))
    return [
        Inbound(
            channel=Channel.CONSOLE,
            external_id=who,
            kind=kind,
            text=text,
            dedupe_key=f"test:{who}:{n}",
        )
        for n, (kind, text) in enumerate(texts)
    ]


async def conversation_state(app: App, who: str) -> tuple[Any, ...]:
    async with app.db.read() as tx:
        person = await tx.people.by_identity(Channel.CONSOLE, who)
        assert person is not None
        conversation = await tx.conversations.load(person.id)
        assert conversation is not None
        answers = await tx.answers.all(person.id)
        bookings = [(b.status, b.starts_at) for b in await tx.bookings.active_for(person.id)]
        consents = [(c.kind, c.granted) for c in await tx.consents.history(person.id)]
    return (
        conversation.step,
        conversation.seq,
        conversation.data,
        answers,
        bookings,
        consents,
        person.language,
    )


@pytest.mark.slow
async def test_a_thousand_engine_events_three_times_each(
    app: App, tmp_path: Path, clock: ManualClock
) -> None:
    rng = random.Random(SEED + 1)
    people = list(range(ENGINE_PEOPLE))
    handled: dict[str, int] = {}
    late: list[Inbound] = []

    async def deliver(event: Inbound) -> list[Reply]:
        replies = await app.engine.handle(event)
        if replies:
            assert event.dedupe_key is not None
            handled[event.dedupe_key] = handled.get(event.dedupe_key, 0) + 1
        return replies

    async def person(index: int, mode_rng: random.Random) -> None:
        for event in engine_script(index):
            mode = mode_rng.choice(("row", "gather", "spread"))
            if mode == "row":
                results = [await deliver(event) for _ in range(3)]
            elif mode == "gather":
                results = list(await asyncio.gather(*(deliver(event) for _ in range(3))))
            else:  # once now, twice later, among other people's events
                results = [await deliver(event)]
                late.extend((event, event))
            assert sum(bool(r) for r in results) == 1, (event, mode)
            if late and mode_rng.random() < 0.3:
                stale = late.pop(mode_rng.randrange(len(late)))
                assert await deliver(stale) == []

    await asyncio.gather(*(person(i, random.Random(rng.random())) for i in people))
    leftovers = await asyncio.gather(*(deliver(e) for e in late))
    assert all(r == [] for r in leftovers)
    assert len(handled) == ENGINE_PEOPLE * EVENTS_PER_PERSON == 1000
    assert set(handled.values()) == {1}

    # The control: the same events, once each, in a database of their own.
    control = await build_app(make_settings(tmp_path / "control.db"), clock)
    try:
        for index in people:
            for event in engine_script(index):
                assert await control.engine.handle(event)
        for index in people:
            who = f"p{index:02d}"
            state = await conversation_state(app, who)
            assert state == await conversation_state(control, who), who
            assert state[4], who
            assert state[4][0][0] == "booked", who
    finally:
        await control.close()
    assert await app.db.integrity_check() == "ok"


# -- (c) Twilio webhooks -----------------------------------------------------------------------


@dataclass
class Twilio:
    app: App
    fake: FakeTwilio
    http: httpx.AsyncClient

    async def post(self, params: dict[str, str]) -> httpx.Response:
        signature = self.fake.sign(PUBLIC + "/whatsapp/inbound", params)
        return await self.http.post(
            "/whatsapp/inbound", data=params, headers={"X-Twilio-Signature": signature}
        )

    def bodies_to(self, number: str) -> list[str]:
        return [m.body or "" for m in self.fake.messages if m.number == number]


@pytest.fixture
async def twilio(tmp_path: Path, database: str, clock: ManualClock) -> AsyncIterator[Twilio]:
    async with whatsapp_world(tmp_path, database, clock, extra_toml="") as world:
        yield Twilio(world.app, world.fake, world.http)


WHATSAPP_SCRIPT = ["Ciao", *INTAKE_BY_NUMBERS, "/aiuto"]


@pytest.mark.slow
async def test_twilio_webhooks_posted_three_times_get_one_reply_set(twilio: Twilio) -> None:
    rng = random.Random(SEED + 2)
    control = "+393339876500"
    numbers = [f"+39333987651{i}" for i in range(4)]
    per_message: list[list[str]] = []  # what the control got for each of its messages
    for text in WHATSAPP_SCRIPT:
        before = len(twilio.bodies_to(control))
        assert (await twilio.post(twilio.fake.inbound_params(control, text))).status_code == 200
        per_message.append(twilio.bodies_to(control)[before:])
    assert all(per_message), "every message gets an answer"
    assert "Quale giorno ti va bene?" in "\n".join(per_message[-2])

    async def person(number: str, person_rng: random.Random) -> int:
        posts = 0
        for text, want in zip(WHATSAPP_SCRIPT, per_message, strict=True):
            params = twilio.fake.inbound_params(number, text)
            before = len(twilio.bodies_to(number))
            if person_rng.random() < 0.5:
                responses = [await twilio.post(params) for _ in range(3)]
            else:
                responses = list(await asyncio.gather(*(twilio.post(params) for _ in range(3))))
            posts += len(responses)
            assert [r.status_code for r in responses] == [200, 200, 200]
            # One reply set per MessageSid: exactly what the control got for that message.
            assert twilio.bodies_to(number)[before:] == want, (number, text)
        return posts

    posts = await asyncio.gather(*(person(n, random.Random(rng.random())) for n in numbers))
    assert sum(posts) == 3 * len(WHATSAPP_SCRIPT) * len(numbers)
    async with twilio.app.db.read() as tx:
        reference = await tx.people.by_identity(Channel.WHATSAPP, control)
        assert reference is not None
        want = await tx.answers.all(reference.id)
        for number in numbers:
            person_row = await tx.people.by_identity(Channel.WHATSAPP, number)
            assert person_row is not None
            assert await tx.answers.all(person_row.id) == want
        assert want["name"] == "Anna"
