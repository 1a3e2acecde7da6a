"""The Zoom client against FakeZoom over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio

from bot.clock import ManualClock
from bot.zoom import (
    DEFAULT_RETRY_AFTER,
    TOKEN_MARGIN,
    Meeting,
    ZoomClient,
    ZoomError,
    ZoomRateLimited,
    ZoomRejected,
    ZoomUnavailable,
)
from tests.fakes.zoom_api import Call, FakeZoom

HOST = "giulia@example.org"
TOPIC = "Colloquio Sportello Lavoro - Anna Rossi"
# 10:30 in Lucca on 1 December is 09:30 UTC (CET, no summer time).
STARTS_AT = datetime(2026, 12, 1, 10, 30, tzinfo=ZoneInfo("Europe/Rome"))


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeZoom]:
    async with FakeZoom() as server:
        yield server


def client_for(
    fake: FakeZoom,
    clock: ManualClock,
    *,
    client_secret: str | None = None,
    http: httpx.AsyncClient | None = None,
    timeout: float = 10.0,
) -> ZoomClient:
    return ZoomClient(
        account_id=fake.account_id,
        client_id=fake.client_id,
        client_secret=fake.client_secret if client_secret is None else client_secret,
        api_url=fake.api_url,
        oauth_url=fake.oauth_url,
        clock=clock,
        http=http,
        timeout=timeout,
    )


@pytest_asyncio.fixture
async def zoom(fake: FakeZoom, clock: ManualClock) -> AsyncIterator[ZoomClient]:
    async with client_for(fake, clock) as client:
        yield client


async def book(zoom: ZoomClient, user_id: str = HOST) -> Meeting:
    return await zoom.create_meeting(user_id, topic=TOPIC, starts_at=STARTS_AT, duration_minutes=30)


def api_calls(fake: FakeZoom) -> list[Call]:
    return [call for call in fake.calls if call.path.startswith("/v2/")]


def token_calls(fake: FakeZoom) -> list[Call]:
    return [call for call in fake.calls if call.path == "/oauth/token"]


# ------------------------------------------------------------------ meetings


async def test_create_sends_the_documented_fields(fake: FakeZoom, zoom: ZoomClient) -> None:
    meeting = await book(zoom)

    assert meeting == Meeting(
        id="85000000001",
        join_url="https://zoom.example/j/85000000001",
        start_url="https://zoom.example/s/85000000001?zak=secret",
    )
    [create] = api_calls(fake)
    assert (create.method, create.path, create.status) == (
        "POST",
        f"/v2/users/{HOST}/meetings",
        201,
    )
    assert create.body == {
        "topic": TOPIC,
        "type": 2,
        "start_time": "2026-12-01T09:30:00Z",
        "duration": 30,
        "timezone": "Europe/Rome",
        "settings": {"join_before_host": False, "waiting_room": True},
    }
    assert create.headers["authorization"] == "Bearer"
    assert create.token == "tok-1"
    stored = fake.meetings[meeting.id]
    assert (stored["user_id"], stored["topic"], stored["duration"]) == (HOST, TOPIC, 30)


async def test_token_request_uses_basic_auth_and_a_form_body(
    fake: FakeZoom, zoom: ZoomClient
) -> None:
    await book(zoom)

    [token] = token_calls(fake)
    assert token.method == "POST"
    assert token.headers["authorization"] == "Basic"
    assert token.headers["content-type"] == "application/x-www-form-urlencoded"
    assert token.body == {"grant_type": "account_credentials", "account_id": "acc-test"}


async def test_update_and_delete_round_trip(fake: FakeZoom, zoom: ZoomClient) -> None:
    meeting = await book(zoom)
    later = datetime(2026, 12, 2, 15, 0, 0, 999, tzinfo=ZoneInfo("Europe/Rome"))

    await zoom.update_meeting(meeting.id, starts_at=later, duration_minutes=45)

    update = api_calls(fake)[-1]
    assert (update.method, update.path, update.status) == (
        "PATCH",
        f"/v2/meetings/{meeting.id}",
        204,
    )
    # Seconds precision: the microseconds are dropped, not rounded into the JSON.
    assert update.body == {
        "start_time": "2026-12-02T14:00:00Z",
        "duration": 45,
        "timezone": "Europe/Rome",
    }
    assert fake.meetings[meeting.id]["start_time"] == "2026-12-02T14:00:00Z"
    assert fake.meetings[meeting.id]["duration"] == 45

    await zoom.delete_meeting(meeting.id)

    assert api_calls(fake)[-1].status == 204
    assert fake.meetings == {}


async def test_deleting_a_meeting_that_is_gone_is_fine(fake: FakeZoom, zoom: ZoomClient) -> None:
    meeting = await book(zoom)
    await zoom.delete_meeting(meeting.id)

    await zoom.delete_meeting(meeting.id)
    await zoom.delete_meeting("99999999999")

    assert [call.status for call in api_calls(fake)] == [201, 204, 404, 404]


async def test_updating_an_unknown_meeting_is_rejected(zoom: ZoomClient) -> None:
    with pytest.raises(ZoomRejected) as caught:
        await zoom.update_meeting("99999999999", starts_at=STARTS_AT, duration_minutes=30)

    assert (caught.value.status, caught.value.code) == (404, 3001)
    assert "99999999999" not in str(caught.value)


async def test_unknown_host_is_rejected_with_404(fake: FakeZoom, zoom: ZoomClient) -> None:
    with pytest.raises(ZoomRejected) as caught:
        await book(zoom, "nobody@example.org")

    assert (caught.value.status, caught.value.code) == (404, 1001)
    assert "nobody" not in str(caught.value)
    assert fake.meetings == {}


async def test_host_ids_are_url_quoted(fake: FakeZoom, zoom: ZoomClient) -> None:
    # Unquoted, "#" would start a fragment and cut the path short.
    fake.users.add("lavoro#lucca@example.org")

    meeting = await book(zoom, "lavoro#lucca@example.org")

    assert fake.meetings[meeting.id]["user_id"] == "lavoro#lucca@example.org"


async def test_start_time_must_be_timezone_aware(fake: FakeZoom, zoom: ZoomClient) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await zoom.create_meeting(
            HOST, topic=TOPIC, starts_at=datetime(2026, 12, 1, 9, 30), duration_minutes=30
        )
    assert fake.calls == []


# ------------------------------------------------------------------ the token


async def test_token_is_reused_until_a_minute_before_expiry(
    fake: FakeZoom, zoom: ZoomClient, clock: ManualClock
) -> None:
    await book(zoom)
    clock.advance(timedelta(seconds=3599) - TOKEN_MARGIN - timedelta(seconds=1))
    await book(zoom)
    assert fake.tokens_issued == 1

    clock.advance(timedelta(seconds=1))
    await book(zoom)
    await book(zoom)

    assert fake.tokens_issued == 2
    assert [call.token for call in api_calls(fake)] == ["tok-1", "tok-1", "tok-2", "tok-2"]


async def test_concurrent_calls_fetch_one_token(fake: FakeZoom, zoom: ZoomClient) -> None:
    meetings = await asyncio.gather(*(book(zoom) for _ in range(5)))

    assert fake.tokens_issued == 1
    assert len({meeting.id for meeting in meetings}) == 5


async def test_revoked_token_is_replaced_and_the_call_retried_once(
    fake: FakeZoom, zoom: ZoomClient
) -> None:
    await book(zoom)
    fake.revoke_tokens()

    await book(zoom)

    assert fake.tokens_issued == 2
    assert [(c.token, c.status) for c in api_calls(fake)] == [
        ("tok-1", 201),
        ("tok-1", 401),
        ("tok-2", 201),
    ]
    assert len(fake.meetings) == 2


async def test_a_second_401_is_rejected_without_looping(fake: FakeZoom, zoom: ZoomClient) -> None:
    fake.fail_next("POST", "/v2/users/", 401, times=2)

    with pytest.raises(ZoomRejected) as caught:
        await book(zoom)

    assert caught.value.status == 401
    assert [call.status for call in api_calls(fake)] == [401, 401]
    assert fake.tokens_issued == 2
    # The next call starts afresh with a new token.
    await book(zoom)
    assert fake.tokens_issued == 3


async def test_wrong_credentials_are_rejected_without_retrying(
    fake: FakeZoom, clock: ManualClock
) -> None:
    async with client_for(fake, clock, client_secret="wrong-secret-test") as zoom:
        with pytest.raises(ZoomRejected) as caught:
            await book(zoom)

    assert caught.value.status == 401
    assert [call.status for call in fake.calls] == [401]
    assert "wrong-secret-test" not in str(caught.value)


async def test_token_endpoint_outage_is_unavailable(fake: FakeZoom, zoom: ZoomClient) -> None:
    fake.fail_next("POST", "/oauth/token", 503)

    with pytest.raises(ZoomUnavailable):
        await book(zoom)
    await book(zoom)  # nothing broken was cached

    assert fake.tokens_issued == 1


# ------------------------------------------------------------------ failures


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({}, DEFAULT_RETRY_AFTER),
        ({"Retry-After": "soon"}, DEFAULT_RETRY_AFTER),
        # Zoom's daily limits: a UTC timestamp, measured against the injected clock.
        ({"Retry-After": "2026-11-25T00:00:00Z"}, 15 * 3600.0),
        ({"Retry-After": "Tue, 24 Nov 2026 09:00:30 GMT"}, 30.0),
        ({"Retry-After": "2026-11-01T00:00:00Z"}, 0.0),
    ],
)
async def test_429_is_rate_limited_with_retry_after(
    fake: FakeZoom, zoom: ZoomClient, headers: dict[str, str], expected: float
) -> None:
    fake.fail_next("POST", "/v2/users/", 429, headers=headers)

    with pytest.raises(ZoomRateLimited) as caught:
        await book(zoom)

    assert caught.value.retry_after == expected


async def test_5xx_is_unavailable(fake: FakeZoom, zoom: ZoomClient) -> None:
    fake.fail_next("PATCH", "/v2/meetings/", 500)
    meeting = await book(zoom)

    with pytest.raises(ZoomUnavailable):
        await zoom.update_meeting(meeting.id, starts_at=STARTS_AT, duration_minutes=60)

    assert fake.meetings[meeting.id]["duration"] == 30


async def test_server_down_is_unavailable(clock: ManualClock) -> None:
    # A port that was just free on loopback: nothing listens there, the connection is refused.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    async with ZoomClient(
        account_id="acc-test",
        client_id="client-test",
        client_secret="secret-test",
        api_url=f"{base}/v2",
        oauth_url=f"{base}/oauth/token",
        clock=clock,
    ) as zoom:
        with pytest.raises(ZoomUnavailable) as caught:
            await book(zoom)

    assert isinstance(caught.value.__cause__, httpx.ConnectError)


async def test_timeout_is_unavailable(fake: FakeZoom, clock: ManualClock) -> None:
    fake.stall_next("POST", "/v2/users/", seconds=5)

    async with client_for(fake, clock, timeout=0.2) as zoom:
        with pytest.raises(ZoomUnavailable) as caught:
            await book(zoom)

    assert isinstance(caught.value.__cause__, httpx.TimeoutException)


async def test_malformed_success_is_a_zoom_error(fake: FakeZoom, zoom: ZoomClient) -> None:
    # Not ZoomUnavailable: the meeting may exist, so a blind retry could book it twice.
    fake.fail_next("POST", "/v2/users/", 201, body={"unexpected": True})

    with pytest.raises(ZoomError) as caught:
        await book(zoom)

    assert type(caught.value) is ZoomError


# ------------------------------------------------------------------ secrets and personal data


async def test_no_secret_token_or_personal_data_in_errors_or_logs(
    fake: FakeZoom, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.zoom")
    errors: list[BaseException] = []
    async with client_for(fake, clock) as zoom:
        for prefix, status, times in [
            ("/v2/users/", 401, 2),
            ("/v2/users/", 429, 1),
            ("/v2/users/", 500, 1),
            ("/oauth/token", 401, 1),  # after a revoked token: refresh refused
        ]:
            fake.revoke_tokens()
            fake.fail_next("POST", prefix, status, times=times)
            errors.append(await failure_of(book(zoom)))
        errors.append(await failure_of(book(zoom, "nobody@example.org")))
        moved = zoom.update_meeting("404404", starts_at=STARTS_AT, duration_minutes=5)
        errors.append(await failure_of(moved))
        await book(zoom)  # a success logs too
    async with client_for(fake, clock, client_secret="secret-test-wrong") as zoom:
        errors.append(await failure_of(book(zoom)))

    assert [type(error).__name__ for error in errors] == [
        "ZoomRejected",
        "ZoomRateLimited",
        "ZoomUnavailable",
        "ZoomRejected",
        "ZoomRejected",
        "ZoomRejected",
        "ZoomRejected",
    ]
    texts = [chained_text(error) for error in errors]
    texts += [record.getMessage() for record in caplog.records]
    forbidden = ["secret-test", "tok-", TOPIC, "Anna", "example.org", "zak=", "404404"]
    assert [(text, word) for text in texts for word in forbidden if word in text] == []


async def failure_of(call: Awaitable[object]) -> ZoomError:
    with pytest.raises(ZoomError) as caught:
        await call
    return caught.value


def chained_text(error: BaseException) -> str:
    parts: list[str] = []
    current: BaseException | None = error
    while current is not None:
        parts += [str(current), repr(current)]
        current = current.__cause__ or current.__context__
    return " | ".join(parts)


# ------------------------------------------------------------------ the HTTP client


async def test_a_client_passed_in_is_left_open(fake: FakeZoom, clock: ManualClock) -> None:
    async with httpx.AsyncClient() as http:
        zoom = client_for(fake, clock, http=http)
        await book(zoom)
        await zoom.aclose()
        assert not http.is_closed


async def test_fake_counts_calls_for_waiters(fake: FakeZoom, zoom: ZoomClient) -> None:
    def two_answered(calls: Sequence[Call]) -> bool:
        return sum(call.status is not None for call in calls) >= 2

    task = asyncio.create_task(book(zoom))
    await fake.wait_for(two_answered)
    await task
