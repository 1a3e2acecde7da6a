"""Signed Twilio forms whose fields do not have Twilio's shape are refused with 400 before
anything is stored: a replay with its fields split differently, lookalike digits, huge
numbers. The log line names the field, never its value."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.domain import Channel
from tests.test_whatsapp import ANNA, PUBLIC, WhatsApp, whatsapp_world

INBOUND = "/whatsapp/inbound"
STATUS = "/whatsapp/status"
HUGE = "9" * 5000


@pytest.fixture
async def whatsapp(tmp_path: Path, database: str, clock: ManualClock) -> AsyncIterator[WhatsApp]:
    async with whatsapp_world(tmp_path, database, clock) as world:
        yield world


async def people_count(whatsapp: WhatsApp) -> int:
    async with whatsapp.app.db.read() as tx:
        person = await tx.people.by_identity(Channel.WHATSAPP, ANNA)
        return 0 if person is None else 1


async def conversation(whatsapp: WhatsApp) -> tuple[str, int, dict[str, object]]:
    async with whatsapp.app.db.read() as tx:
        person = await tx.people.by_identity(Channel.WHATSAPP, ANNA)
        assert person is not None
        saved = await tx.conversations.load(person.id)
        answers = await tx.answers.all(person.id)
    assert saved is not None
    return saved.step, saved.seq, answers


async def test_a_replay_with_its_fields_split_differently_is_refused(
    whatsapp: WhatsApp, caplog: pytest.LogCaptureFixture
) -> None:
    fake = whatsapp.fake
    assert (await whatsapp.say("Ciao")).status_code == 200
    accept = fake.inbound_params(ANNA, "1")
    assert (await whatsapp.post(INBOUND, accept)).status_code == 200
    sent = len(fake.messages)
    before = await conversation(whatsapp)
    # The keys after MessageSid (MessageType, NumMedia) moved into its value: the signature
    # covers the same string...
    replay = dict(accept)
    replay["MessageSid"] += "MessageType" + replay.pop("MessageType")
    replay["MessageSid"] += "NumMedia" + replay.pop("NumMedia")
    signature = fake.sign(PUBLIC + INBOUND, accept)
    assert fake.sign(PUBLIC + INBOUND, replay) == signature
    # ...but the form is not one Twilio sends.
    caplog.set_level(logging.INFO)
    response = await whatsapp.http.post(
        INBOUND, data=replay, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 400
    assert len(fake.messages) == sent  # nothing answered, nothing stored
    assert await conversation(whatsapp) == before
    # The same form split as Twilio sent it is a re-delivery, handled once.
    assert (await whatsapp.post(INBOUND, accept)).status_code == 200
    assert len(fake.messages) == sent
    assert "MessageSid" in caplog.text
    assert ANNA.lstrip("+") not in caplog.text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("NumMedia", "²"),
        ("NumMedia", "٣"),
        ("NumMedia", HUGE),
        ("NumMedia", "-1"),
        ("Latitude", HUGE),
        ("NumSegments", HUGE),
        ("WaId", HUGE),
        ("MessageSid", "SM" + "1" * 31),
        ("MessageSid", "XX" + "1" * 32),
        ("MessageSid", ""),
        ("SmsMessageSid", "SM" + "2" * 32),
        ("AccountSid", "AC" + "0" * 31 + "Z"),
        ("From", "whatsapp:+39 333 1234567"),
        ("From", "+393331234567"),
        ("From", "whatsapp:+" + HUGE),
        ("To", "whatsapp:+39058300000x"),
        ("ButtonPayload", "x" * 5000),
    ],
)
async def test_malformed_inbound_fields_get_400(whatsapp: WhatsApp, field: str, value: str) -> None:
    response = await whatsapp.say("Ciao", **{field: value})
    assert response.status_code == 400
    assert whatsapp.fake.messages == []
    assert await people_count(whatsapp) == 0


@pytest.mark.parametrize("missing", ["MessageSid", "AccountSid", "From", "To"])
async def test_inbound_forms_without_a_required_field_get_400(
    whatsapp: WhatsApp, missing: str
) -> None:
    params = whatsapp.fake.inbound_params(ANNA, "Ciao")
    del params[missing]
    assert (await whatsapp.post(INBOUND, params)).status_code == 400
    assert await people_count(whatsapp) == 0


async def test_a_real_account_sid_and_a_media_message_sid_are_fine(whatsapp: WhatsApp) -> None:
    await whatsapp.say("Ciao")
    hexes = "0123456789abcdef" * 2
    response = await whatsapp.say(
        None,
        message_sid="MM" + hexes,
        AccountSid="AC" + hexes,
        NumMedia="1",
        MessageType="image",
        MediaUrl0="https://x.example/1",
    )
    assert response.status_code == 200
    assert "aprire foto" in "\n".join(whatsapp.bodies_to())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ErrorCode", HUGE),
        ("ErrorCode", "6301٦"),
        ("MessageStatus", "deliv ered"),
        ("MessageSid", "SM" + "f" * 32 + "StructuredMessagefalse"),
        ("SmsSid", "SM" + "e" * 32),
        ("To", "whatsapp:" + HUGE),
        ("AccountSid", "ACother"),
    ],
)
async def test_malformed_status_callbacks_get_400(
    whatsapp: WhatsApp, field: str, value: str
) -> None:
    params = whatsapp.fake.status_params("SM" + "f" * 32, "failed", "63014", to=ANNA)
    params[field] = value
    assert (await whatsapp.post(STATUS, params)).status_code == 400


async def test_a_status_callback_without_a_status_gets_400(whatsapp: WhatsApp) -> None:
    params = whatsapp.fake.status_params("SM" + "f" * 32, "delivered", to=ANNA)
    del params["MessageStatus"], params["SmsStatus"]
    assert (await whatsapp.post(STATUS, params)).status_code == 400
