"""When a platform fails: Twilio hanging, answering an HTML page with 200, or dropping the
connection plans the resend an HTTP 500 gets; and a hanging Twilio never holds up the
Telegram rows of the outbox (each channel is a lane of the dispatcher)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from telegram import Bot

from bot.channels import Sender
from bot.clock import ManualClock
from bot.domain import Channel, Inbound, InboundKind
from bot.handlers.telegram import TelegramSender
from scheduling.dispatcher import Dispatcher
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.test_whatsapp import ANNA, WhatsApp, whatsapp_world

pytestmark = [
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
]

LUCA = "+393339876543"
TELEGRAM_USER = 4242
# Only the hanging cases wait for it; nothing asserted depends on how long anything takes.
SHORT = 0.2


def fail(fake: FakeTwilio, mode: str) -> None:
    if mode == "hang":
        fake.hang_next()
    elif mode == "html":
        fake.html_next()
    elif mode == "drop":
        fake.drop_next()
    else:
        fake.fail_next(500, 20500, "Internal Server Error")


async def pending(whatsapp: WhatsApp) -> list[str]:
    async with whatsapp.app.db.read() as tx:
        return [i.kind for i in await tx.outbox.listing(("pending",))]


@pytest.mark.parametrize("mode", ["hang", "html", "drop", "500"])
async def test_every_twilio_failure_plans_the_resend(
    tmp_path: Path, database: str, clock: ManualClock, mode: str
) -> None:
    async with whatsapp_world(tmp_path, database, clock, twilio_timeout=SHORT) as whatsapp:
        await whatsapp.say("Ciao")
        fail(whatsapp.fake, mode)
        assert (await whatsapp.say("1")).status_code == 200  # Accetto: its answer is lost
        assert "Come possiamo chiamarti?" not in "\n".join(whatsapp.bodies_to())
        assert await pending(whatsapp) == ["resend"]
        clock.advance(timedelta(seconds=31))
        dispatcher = whatsapp.app.dispatcher({Channel.WHATSAPP: whatsapp.sender}, {})
        assert await dispatcher.tick() == 1
        assert whatsapp.bodies_to()[-2].startswith("Scusa, forse la mia ultima risposta")
        assert "Come possiamo chiamarti?" in whatsapp.last_to()


@pytest.fixture
async def telegram() -> AsyncIterator[tuple[FakeTelegram, Bot]]:
    async with FakeTelegram() as fake:
        bot = Bot(fake.token, base_url=f"{fake.url}/bot")
        async with bot:
            yield fake, bot


async def both_channels_owed_an_answer(
    whatsapp: WhatsApp, clock: ManualClock, *numbers: str
) -> None:
    """A person on Telegram and people on WhatsApp, each with a resend due now."""
    engine = whatsapp.app.engine
    user = str(TELEGRAM_USER)
    await engine.handle(Inbound(Channel.TELEGRAM, user, InboundKind.TEXT, text="/start"))
    await engine.answers_undelivered(Channel.TELEGRAM, user)
    for number in numbers:
        await whatsapp.say("Ciao", number)
        # The answer went out and its reply-due row is cleared; then pretend it had not.
        await engine.flush_delivered()
        await engine.answers_undelivered(Channel.WHATSAPP, number)
    clock.advance(timedelta(seconds=31))


def dispatcher_for(whatsapp: WhatsApp, bot: Bot) -> Dispatcher:
    senders: dict[Channel, Sender] = {
        Channel.TELEGRAM: TelegramSender(bot),
        Channel.WHATSAPP: whatsapp.sender,
    }
    return whatsapp.app.dispatcher(senders, {})


async def test_a_hanging_twilio_does_not_hold_up_telegram(
    tmp_path: Path, database: str, clock: ManualClock, telegram: tuple[FakeTelegram, Bot]
) -> None:
    fake_telegram, bot = telegram
    async with whatsapp_world(tmp_path, database, clock) as whatsapp:
        await both_channels_owed_an_answer(whatsapp, clock, ANNA)
        dispatcher = dispatcher_for(whatsapp, bot)
        whatsapp.fake.hang_next()
        before = len(whatsapp.fake.messages)
        # The WhatsApp lane claims both rows, queues Telegram's, and hangs on its own.
        stuck = asyncio.create_task(dispatcher.tick_lane(Channel.WHATSAPP.value))
        await whatsapp.fake.wait_for(lambda calls: any(c.status is None for c in calls))
        assert await dispatcher.tick_lane(Channel.TELEGRAM.value) == 1
        assert "Scusa, forse la mia ultima risposta" in "\n".join(
            m.get("text", "") for m in fake_telegram.chats[TELEGRAM_USER]
        )
        assert not stuck.done()
        whatsapp.fake.release()
        assert await stuck == 1
        assert len(whatsapp.fake.messages) > before  # sent once Twilio answered


async def test_a_twilio_that_never_answers_times_out_once_per_round(
    tmp_path: Path, database: str, clock: ManualClock, telegram: tuple[FakeTelegram, Bot]
) -> None:
    fake_telegram, bot = telegram
    async with whatsapp_world(tmp_path, database, clock, twilio_timeout=SHORT) as whatsapp:
        await both_channels_owed_an_answer(whatsapp, clock, ANNA, LUCA)
        calls = len(whatsapp.fake.calls)
        whatsapp.fake.hang_next(times=10)
        assert await dispatcher_for(whatsapp, bot).tick() == 3
        assert TELEGRAM_USER in fake_telegram.chats
        # One WhatsApp row waited out the timeout; the other was not tried behind it.
        assert len(whatsapp.fake.calls) == calls + 1
        async with whatsapp.app.db.read() as tx:
            rows = await tx.outbox.listing(("pending",))
        assert sorted(i.kind for i in rows) == ["resend", "resend"]
        errors = sorted(i.last_error or "" for i in rows)
        assert "did not answer within 0.2 s" in errors[0]
        assert errors[1].startswith("not tried: whatsapp did not answer")
