"""Outside WhatsApp's 24-hour window: the template in the person's language, else the
Italian one filled with Italian values, through the real client and the fake Twilio."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.domain import Channel
from tests.chat import Chat, complete_intake
from tests.test_whatsapp import whatsapp_world

ITALIAN, ROMANIAN = "HX" + "1" * 32, "HX" + "2" * 32
TEMPLATES = f"""
[whatsapp.templates.reminder]
it = "{ITALIAN}"
ro = "{ROMANIAN}"
"""


@pytest.mark.parametrize(
    ("language", "number", "sid", "said_in"),
    [
        ("ro", "+40721234567", ROMANIAN, "ro"),
        ("fr", "+221771234567", ITALIAN, "it"),  # no French template yet: the Italian one
        ("it", "+393331234567", ITALIAN, "it"),
    ],
)
async def test_a_reminder_outside_the_window_uses_the_persons_template(
    tmp_path: Path,
    database: str,
    clock: ManualClock,
    language: str,
    number: str,
    sid: str,
    said_in: str,
) -> None:
    async with whatsapp_world(tmp_path, database, clock, TEMPLATES) as world:
        chat = Chat(world.app.engine, number, language=language, channel=Channel.WHATSAPP)
        await complete_intake(chat)
        # A day three days on: its reminder falls long after the person's last message.
        day = [o.id for o in chat.question.options if o.id.startswith("d.")][2]
        await chat.tap(day)
        await chat.tap(next(o.id for o in chat.question.options if o.id.startswith("t.")))
        async with world.app.db.read() as tx:
            person = await tx.people.by_identity(Channel.WHATSAPP, number)
            assert person is not None
            (booking,) = await tx.bookings.active_for(person.id)
        clock.set(booking.starts_at - timedelta(hours=23))
        dispatcher = world.app.dispatcher({Channel.WHATSAPP: world.sender}, {})
        await dispatcher.tick()
        sent = world.fake.messages[-1]
        assert sent.fields["ContentSid"] == sid
        variables = json.loads(sent.fields["ContentVariables"])
        expected = world.app.engine.translators[said_in].appointment(booking.starts_at)
        assert variables["2"] == expected
        assert "Body" not in sent.fields
