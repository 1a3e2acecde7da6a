"""FakeTwilio against the real twilio library (sync and async clients) over loopback."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from tests.fakes.twilio_api import (
    DEFAULT_ACCOUNT_SID,
    OUTSIDE_WINDOW,
    WINDOW_SECONDS,
    Call,
    FakeTwilio,
)

ANNA = "+393471234567"
MARCO = "+393489876543"
TO_ANNA = f"whatsapp:{ANNA}"
SENDER = "whatsapp:+390583000000"  # FakeTwilio().sender
TEMPLATE = "HX" + "b" * 32
NOW = 1_795_510_800.0  # 2026-11-24 09:00 UTC
WEBHOOK = "https://sportello.example.org/twilio/whatsapp"
STATUS_CALLBACK = "https://sportello.example.org/twilio/status"

pytestmark = [
    # twilio 9.13's AsyncTwilioHttpClient still passes auth=BasicAuth(...) to aiohttp 3.14.
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
]

Send = Callable[..., Awaitable[Any]]
"""Creates a message through the real client: ``await send(to=..., from_=..., body=...)``."""


class FakeTime:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeTime:
    return FakeTime()


@pytest_asyncio.fixture
async def fake(clock: FakeTime) -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio(clock=clock) as server:
        yield server


def point_at(client: Any, fake: FakeTwilio) -> Any:
    client.api.base_url = fake.url
    # TWILIO_EDGE / TWILIO_REGION in the environment would rewrite the host.
    client.edge = client.region = None
    return client


@pytest.fixture
def sync_client(fake: FakeTwilio) -> Iterator[Any]:
    http = TwilioHttpClient()
    yield point_at(Client(fake.account_sid, fake.auth_token, http_client=http), fake)
    http.session.close()


@pytest_asyncio.fixture
async def async_client(fake: FakeTwilio) -> AsyncIterator[Any]:
    http = AsyncTwilioHttpClient()
    yield point_at(Client(fake.account_sid, fake.auth_token, http_client=http), fake)
    await http.close()  # else aiohttp warns "Unclosed client session"
    assert http.session.closed


@pytest_asyncio.fixture(params=["sync", "async"])
async def send(request: pytest.FixtureRequest, fake: FakeTwilio) -> AsyncIterator[Send]:
    """``messages.create`` of the sync client (in a thread) or ``create_async`` of the async
    one, with a fresh HTTP client that is closed afterwards."""
    if request.param == "sync":
        sync_http = TwilioHttpClient()
        sync = point_at(Client(fake.account_sid, fake.auth_token, http_client=sync_http), fake)

        async def send_sync(**kwargs: Any) -> Any:
            return await asyncio.to_thread(sync.messages.create, **kwargs)

        yield send_sync
        sync_http.session.close()
    else:
        async_http = AsyncTwilioHttpClient()
        client = point_at(Client(fake.account_sid, fake.auth_token, http_client=async_http), fake)

        async def send_async(**kwargs: Any) -> Any:
            return await client.messages.create_async(**kwargs)

        yield send_async
        await async_http.close()
        assert async_http.session.closed


def raised(error: pytest.ExceptionInfo[TwilioRestException]) -> tuple[int, int]:
    return error.value.status, error.value.code


# ------------------------------------------------------------------------ sending


async def test_free_form_message_reaches_the_fake_with_exact_fields(
    fake: FakeTwilio, send: Send
) -> None:
    fake.inbound_from(ANNA)
    body = "Ciao Anna! L'appuntamento è confermato ✅ a+b&c=d"

    message = await send(
        to=f"whatsapp:{ANNA}", from_=fake.sender, body=body, status_callback=STATUS_CALLBACK
    )

    [sent] = fake.messages
    assert sent.fields == {
        "To": f"whatsapp:{ANNA}",
        "From": "whatsapp:+390583000000",
        "Body": body,
        "StatusCallback": STATUS_CALLBACK,
    }
    assert (sent.to, sent.body, sent.status_callback) == (f"whatsapp:{ANNA}", body, STATUS_CALLBACK)
    assert (sent.content_sid, sent.content_variables, sent.number) == (None, None, ANNA)
    assert (sent.final_status, sent.error_code) == ("delivered", None)
    # The library parsed the 201 resource.
    assert message.sid == sent.sid
    assert re.fullmatch("SM[0-9a-f]{32}", message.sid)
    assert (message.status, message.to, message.from_) == ("queued", sent.to, fake.sender)
    assert message.body == body
    assert message.error_code is None
    assert message.num_segments == "1"
    assert message.date_created == datetime.fromtimestamp(NOW, UTC)
    assert message.uri == f"{fake.messages_path.removesuffix('.json')}/{sent.sid}.json"
    assert [(c.method, c.path, c.status) for c in fake.calls] == [
        ("POST", f"/2010-04-01/Accounts/{DEFAULT_ACCOUNT_SID}/Messages.json", 201)
    ]


async def test_template_message_with_content_variables(fake: FakeTwilio, send: Send) -> None:
    variables = json.dumps({"1": "Anna", "2": "martedì 1 dicembre, 10:30"})

    message = await send(
        to=f"whatsapp:{ANNA}",
        from_=fake.sender,
        content_sid=TEMPLATE,
        content_variables=variables,
    )

    [sent] = fake.messages
    assert sent.fields == {
        "To": f"whatsapp:{ANNA}",
        "From": fake.sender,
        "ContentSid": TEMPLATE,
        "ContentVariables": variables,
    }
    assert sent.content_sid == TEMPLATE
    assert sent.content_variables == {"1": "Anna", "2": "martedì 1 dicembre, 10:30"}
    assert sent.is_template
    # Templates are not bound to the 24-hour window: nobody wrote, still delivered.
    assert (sent.final_status, sent.error_code) == ("delivered", None)
    assert message.sid == sent.sid


async def test_content_variables_passed_as_a_dict_are_mangled_and_rejected(
    fake: FakeTwilio, send: Send
) -> None:
    with pytest.raises(TwilioRestException) as error:
        await send(
            to=f"whatsapp:{ANNA}",
            from_=fake.sender,
            content_sid=TEMPLATE,
            content_variables={"1": "Anna"},
        )
    assert raised(error) == (400, 21656)
    # The library form-encoded the dict as its keys.
    assert fake.calls[-1].fields["ContentVariables"] == "1"
    assert fake.messages == []


async def test_body_over_1600_characters_raises_21617(fake: FakeTwilio, send: Send) -> None:
    fake.inbound_from(ANNA)
    await send(to=f"whatsapp:{ANNA}", from_=fake.sender, body="x" * 1600)

    with pytest.raises(TwilioRestException) as error:
        await send(to=f"whatsapp:{ANNA}", from_=fake.sender, body="x" * 1601)

    assert raised(error) == (400, 21617)
    assert "1600 character limit" in error.value.msg
    assert len(fake.messages) == 1
    assert [(c.status, c.error_code) for c in fake.calls] == [(201, None), (400, 21617)]


async def test_rate_limit_raises_20429_then_recovers(fake: FakeTwilio, send: Send) -> None:
    fake.inbound_from(ANNA)
    fake.fail_next(429, 20429, "Too Many Requests", times=2)

    for _ in range(2):
        with pytest.raises(TwilioRestException) as error:
            await send(to=f"whatsapp:{ANNA}", from_=fake.sender, body="Ciao")
        assert raised(error) == (429, 20429)
        assert error.value.msg == "Unable to create record: Too Many Requests"
    await send(to=f"whatsapp:{ANNA}", from_=fake.sender, body="Ciao")

    assert [c.status for c in fake.calls] == [429, 429, 201]
    assert len(fake.messages) == 1


async def test_injected_server_error(fake: FakeTwilio, send: Send) -> None:
    fake.fail_next(500, 20500, "Internal Server Error")
    with pytest.raises(TwilioRestException) as error:
        await send(to=f"whatsapp:{ANNA}", from_=fake.sender, body="Ciao")
    assert raised(error) == (500, 20500)


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_wrong_credentials_answer_401_20003(fake: FakeTwilio, kind: str) -> None:
    if kind == "sync":
        sync_http = TwilioHttpClient()
        sync = point_at(Client(fake.account_sid, "wrong-token", http_client=sync_http), fake)
        try:
            with pytest.raises(TwilioRestException) as error:
                await asyncio.to_thread(
                    sync.messages.create, to=f"whatsapp:{ANNA}", from_=fake.sender, body="Ciao"
                )
        finally:
            sync_http.session.close()
    else:
        async with AsyncTwilioHttpClient() as async_http:
            client = point_at(Client("ACother", fake.auth_token, http_client=async_http), fake)
            with pytest.raises(TwilioRestException) as error:
                await client.messages.create_async(
                    to=f"whatsapp:{ANNA}", from_=fake.sender, body="Ciao"
                )

    assert raised(error) == (401, 20003)
    assert error.value.msg == "Unable to create record: Authenticate"
    assert fake.messages == []
    assert fake.calls[-1].status == 401


INVALID_REQUESTS: list[tuple[dict[str, str], int]] = [
    ({"to": TO_ANNA, "body": "Ciao"}, 21603),  # no From
    ({"to": TO_ANNA, "from_": "whatsapp:+390583999999", "body": "Ciao"}, 21212),
    ({"to": TO_ANNA, "from_": "+390583000000", "body": "Ciao"}, 21212),  # SMS sender
    ({"to": ANNA, "from_": SENDER, "body": "Ciao"}, 21910),  # SMS recipient
    ({"to": "whatsapp:3471234567", "from_": SENDER, "body": "Ciao"}, 21211),  # not E.164
    ({"to": TO_ANNA, "from_": SENDER, "body": ""}, 21619),
    ({"to": TO_ANNA, "from_": SENDER, "content_sid": "welcome"}, 21655),
    (
        {"to": TO_ANNA, "from_": SENDER, "content_sid": TEMPLATE, "content_variables": "{1: x}"},
        21656,
    ),
    ({"to": TO_ANNA, "from_": SENDER, "content_sid": TEMPLATE, "content_variables": "[1]"}, 21656),
]


async def test_invalid_requests_are_rejected_like_twilio(
    fake: FakeTwilio, async_client: Any
) -> None:
    fake.inbound_from(ANNA)

    for arguments, code in INVALID_REQUESTS:
        with pytest.raises(TwilioRestException) as error:
            await async_client.messages.create_async(**arguments)
        assert raised(error) == (400, code), arguments
        assert fake.calls[-1].error_code == code

    assert fake.messages == []
    assert len(fake.calls) == len(INVALID_REQUESTS)


async def test_blocked_number_answers_21610(fake: FakeTwilio, async_client: Any) -> None:
    fake.inbound_from(ANNA)
    fake.inbound_from(MARCO)
    fake.block(f"whatsapp:{ANNA}")

    with pytest.raises(TwilioRestException) as error:
        await async_client.messages.create_async(
            to=f"whatsapp:{ANNA}", from_=fake.sender, body="Ciao"
        )
    assert raised(error) == (400, 21610)
    await async_client.messages.create_async(to=f"whatsapp:{MARCO}", from_=fake.sender, body="Ciao")

    fake.unblock(ANNA)
    await async_client.messages.create_async(to=f"whatsapp:{ANNA}", from_=fake.sender, body="Ciao")
    assert [m.number for m in fake.messages] == [MARCO, ANNA]


async def test_a_hanging_request_is_served_once_released(
    fake: FakeTwilio, async_client: Any
) -> None:
    fake.inbound_from(ANNA)
    fake.hang_next()
    sending = asyncio.create_task(
        async_client.messages.create_async(to=TO_ANNA, from_=fake.sender, body="Ciao")
    )
    await fake.wait_for(lambda calls: len(calls) == 1)
    assert fake.calls[0].status is None  # still hanging
    assert not sending.done()
    fake.release()
    message = await sending
    assert [m.sid for m in fake.messages] == [message.sid]


async def test_an_html_page_with_200_is_not_json(fake: FakeTwilio, async_client: Any) -> None:
    fake.inbound_from(ANNA)
    fake.html_next()
    with pytest.raises(ValueError, match="Expecting value"):
        await async_client.messages.create_async(to=TO_ANNA, from_=fake.sender, body="Ciao")
    assert fake.messages == []
    assert fake.calls[0].status == 200
    await async_client.messages.create_async(to=TO_ANNA, from_=fake.sender, body="Ciao")
    assert len(fake.messages) == 1


async def test_a_dropped_connection(fake: FakeTwilio, async_client: Any) -> None:
    fake.inbound_from(ANNA)
    fake.drop_next()
    with pytest.raises(aiohttp.ClientError):
        await async_client.messages.create_async(to=TO_ANNA, from_=fake.sender, body="Ciao")
    assert fake.messages == []
    await async_client.messages.create_async(to=TO_ANNA, from_=fake.sender, body="Ciao")
    assert len(fake.messages) == 1


async def test_media_urls_are_kept_in_order(fake: FakeTwilio, send: Send) -> None:
    fake.inbound_from(ANNA)
    urls = ["https://sportello.example.org/a.pdf", "https://sportello.example.org/b.pdf"]

    message = await send(to=f"whatsapp:{ANNA}", from_=fake.sender, media_url=urls)

    assert fake.messages[0].media_urls == urls
    assert fake.messages[0].body is None
    assert message.num_media == "2"


# ------------------------------------------------------------------------ 24-hour window


async def test_free_form_outside_the_window_is_accepted_then_fails_63016(
    fake: FakeTwilio, clock: FakeTime, send: Send
) -> None:
    async def free_form() -> tuple[str, int | None]:
        """Send a free-form message; what Twilio reports for it later."""
        message = await send(to=f"whatsapp:{ANNA}", from_=fake.sender, body="Promemoria")
        # Always accepted and queued: 63016 only comes through the status callback.
        assert (message.status, message.error_code) == ("queued", None)
        sent = fake.messages[-1]
        assert sent.sid == message.sid
        return sent.final_status, sent.error_code

    assert await free_form() == ("failed", OUTSIDE_WINDOW)  # never wrote
    assert fake.messages[-1].error_message is not None

    fake.inbound_from(ANNA, at=NOW - WINDOW_SECONDS - 1)
    assert await free_form() == ("failed", 63016)

    fake.inbound_from(ANNA, at=NOW - WINDOW_SECONDS + 60)
    assert await free_form() == ("delivered", None)

    clock.now += 61  # the window has just closed
    assert not fake.window_open(ANNA)
    assert await free_form() == ("failed", 63016)

    fake.inbound_params(ANNA, "Ciao")  # writing again reopens it
    assert fake.window_open(f"whatsapp:{ANNA}")
    assert await free_form() == ("delivered", None)

    assert [c.status for c in fake.calls] == [201] * 5


# ------------------------------------------------------------------------ webhooks


def test_sign_matches_the_request_validator(clock: FakeTime) -> None:
    fake = FakeTwilio(clock=clock)  # building webhook forms needs no server
    params = fake.inbound_params(ANNA, "Vorrei un appuntamento")
    signature = fake.sign(WEBHOOK, params)

    validator = RequestValidator(fake.auth_token)
    assert validator.validate(WEBHOOK, params, signature)
    assert not validator.validate(WEBHOOK + "?x=1", params, signature)
    assert not validator.validate("https://other.example.org/twilio/whatsapp", params, signature)
    assert not validator.validate(WEBHOOK, {**params, "Body": "altro"}, signature)
    assert not RequestValidator("another-token").validate(WEBHOOK, params, signature)


def test_inbound_params_look_like_a_whatsapp_webhook(clock: FakeTime) -> None:
    fake = FakeTwilio(clock=clock)
    params = fake.inbound_params(ANNA, "Ciao", message_sid="SM" + "1" * 32)

    assert params == {
        "SmsMessageSid": "SM" + "1" * 32,
        "NumMedia": "0",
        "ProfileName": "Anna",
        "MessageType": "text",
        "SmsSid": "SM" + "1" * 32,
        "WaId": "393471234567",
        "SmsStatus": "received",
        "Body": "Ciao",
        "To": "whatsapp:+390583000000",
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": "SM" + "1" * 32,
        "AccountSid": DEFAULT_ACCOUNT_SID,
        "From": f"whatsapp:{ANNA}",
        "ApiVersion": "2010-04-01",
    }
    assert fake.window_open(ANNA)


def test_inbound_params_extras_override(clock: FakeTime) -> None:
    fake = FakeTwilio(clock=clock)
    button = fake.inbound_params(
        f"whatsapp:{MARCO}",
        "Sì",
        profile_name=None,
        MessageType="button",
        ButtonText="Sì",
        ButtonPayload="confirm:42",
    )
    assert "ProfileName" not in button
    assert (button["From"], button["WaId"]) == (f"whatsapp:{MARCO}", "393489876543")
    assert (button["MessageType"], button["ButtonPayload"]) == ("button", "confirm:42")

    image = fake.inbound_params(
        ANNA,
        None,
        NumMedia="1",
        MessageType="image",
        MediaContentType0="image/jpeg",
        MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/x/Messages/y/Media/z",
    )
    assert (image["Body"], image["NumMedia"], image["MessageType"]) == ("", "1", "image")
    # Generated SIDs are unique.
    assert button["MessageSid"] != image["MessageSid"]
    assert re.fullmatch("SM[0-9a-f]{32}", image["MessageSid"])


async def test_status_params_for_a_sent_message(fake: FakeTwilio, async_client: Any) -> None:
    message = await async_client.messages.create_async(
        to=f"whatsapp:{ANNA}", from_=fake.sender, body="Ciao", status_callback=STATUS_CALLBACK
    )
    sent = fake.messages[-1]

    failed = fake.status_params(message.sid, sent.final_status, str(sent.error_code))

    assert failed["MessageSid"] == failed["SmsSid"] == message.sid
    assert failed["MessageStatus"] == failed["SmsStatus"] == "failed"
    assert failed["ErrorCode"] == "63016"
    assert (failed["To"], failed["From"]) == (f"whatsapp:{ANNA}", fake.sender)
    assert (failed["AccountSid"], failed["ChannelPrefix"]) == (fake.account_sid, "whatsapp")
    delivered = fake.status_params(message.sid, "delivered")
    assert "ErrorCode" not in delivered
    other = fake.status_params("SM" + "f" * 32, "read", to=MARCO)
    assert other["To"] == f"whatsapp:{MARCO}"
    with pytest.raises(ValueError, match="pass to="):
        fake.status_params("SM" + "f" * 32, "read")


# ------------------------------------------------------------------------ plumbing


async def test_wait_for_sees_calls_from_the_sync_client(fake: FakeTwilio, sync_client: Any) -> None:
    fake.inbound_from(ANNA)

    def sent_two(calls: Sequence[Call]) -> bool:
        return sum(c.status == 201 for c in calls) >= 2

    waiter = asyncio.create_task(fake.wait_for(sent_two, timeout=5))
    for text in ("uno", "due"):
        await asyncio.to_thread(
            sync_client.messages.create, to=f"whatsapp:{ANNA}", from_=fake.sender, body=text
        )
    await waiter
    assert [m.body for m in fake.messages] == ["uno", "due"]

    def third_message(calls: Sequence[Call]) -> bool:
        return len(calls) >= 3

    with pytest.raises(AssertionError, match=r"timed out after 0\.05s waiting for third_message"):
        await fake.wait_for(third_message, timeout=0.05)


async def test_unknown_paths_answer_twilio_404(fake: FakeTwilio, async_client: Any) -> None:
    with pytest.raises(TwilioRestException) as error:
        await async_client.api.v2010.accounts(fake.account_sid).calls.create_async(
            to=ANNA, from_=fake.whatsapp_number, url=WEBHOOK
        )
    assert raised(error) == (404, 20404)

    # Another account's Messages: authenticated, but not found.
    with pytest.raises(TwilioRestException) as error:
        await async_client.api.v2010.accounts("ACother").messages.create_async(
            to=TO_ANNA, from_=SENDER, body="Ciao"
        )
    assert raised(error) == (404, 20404)
    assert fake.messages == []


def test_refuses_real_looking_account_sids() -> None:
    with pytest.raises(ValueError, match="real"):
        FakeTwilio(account_sid="AC" + "0123456789abcdef" * 2)
