"""Zoom meetings for appointments, through a Server-to-Server OAuth app.

One meeting per appointment, hosted by the operator's Zoom user: the person gets ``join_url``,
the operator ``start_url``. Errors come back as three kinds a caller can act on:

* :class:`ZoomUnavailable`: network trouble, timeouts, 5xx. Try again later. A create that
  timed out may still have created the meeting on Zoom's side (POST is not idempotent).
* :class:`ZoomRateLimited`: 429. ``retry_after`` seconds come from the ``Retry-After`` header,
  which Zoom sends as a number of seconds or, for daily limits, as a UTC timestamp
  (``2020-05-31T00:00:00Z``); without a usable header we wait :data:`DEFAULT_RETRY_AFTER`.
* :class:`ZoomRejected`: any other 4xx (bad credentials, unknown user...). Retrying the same
  request will not help.

Exception messages and log lines name only the method, a path template and the status (plus
Zoom's numeric error code): never the client secret, a token, the topic (it may carry the
person's name), an email or Zoom's own error text (which repeats ids and emails).
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Final, TypeGuard
from urllib.parse import quote

import httpx

from bot.clock import Clock

log = logging.getLogger(__name__)

TOKEN_MARGIN: Final = timedelta(seconds=60)
"""A token is replaced this long before Zoom says it expires, so it never dies mid-request."""

DEFAULT_RETRY_AFTER: Final = 1.0
"""Seconds to wait after a 429 without a usable Retry-After (Zoom omits it on per-second
limits, which clear within a second)."""

MEETING_TIMEZONE: Final = "Europe/Rome"
"""Shown to participants by Zoom; start_time itself is always sent in UTC."""

MAX_TOPIC_LENGTH: Final = 200
"""Zoom refuses longer topics with a 400; a long topic must not make a booking fail."""

SCHEDULED_MEETING: Final = 2

JSONDict = dict[str, Any]


@dataclass(frozen=True)
class Meeting:
    id: str
    join_url: str  # for the person
    start_url: str  # for the host (operator): it logs them in, treat it as a secret


class ZoomError(Exception):
    """Base of every Zoom failure; the message never holds secrets or personal data."""


class ZoomUnavailable(ZoomError):
    """Network error, timeout or 5xx: try again later."""


class ZoomRateLimited(ZoomError):
    """429: wait ``retry_after`` seconds before calling again."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ZoomRejected(ZoomError):
    """Another 4xx: ``status`` is the HTTP status, ``code`` Zoom's error code when given."""

    def __init__(self, message: str, status: int, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class _Token:
    value: str
    refresh_at: datetime


class ZoomClient:
    """Creates, moves and deletes meetings; one instance per process shares its token."""

    def __init__(
        self,
        *,
        account_id: str,
        client_id: str,
        client_secret: str,
        api_url: str = "https://api.zoom.us/v2",
        oauth_url: str = "https://zoom.us/oauth/token",
        clock: Clock,
        http: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._account_id = account_id
        self._credentials = (client_id, client_secret)
        self._api_url = api_url.rstrip("/")
        self._oauth_url = oauth_url
        self._clock = clock
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient(timeout=timeout)
        self._timeout = timeout
        self._token: _Token | None = None
        self._token_lock = asyncio.Lock()

    async def __aenter__(self) -> ZoomClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if we created it; a client passed in belongs to the caller."""
        if self._owns_http:
            await self._http.aclose()

    # ---------------------------------------------------------------- meetings

    async def create_meeting(
        self, user_id: str, *, topic: str, starts_at: datetime, duration_minutes: int
    ) -> Meeting:
        """Schedule a meeting hosted by ``user_id`` (a Zoom user id or email)."""
        body: JSONDict = {
            "topic": topic[:MAX_TOPIC_LENGTH],
            "type": SCHEDULED_MEETING,
            **_schedule(starts_at, duration_minutes),
            # The person waits until the operator lets them in: nobody meets a stranger in
            # the room because an earlier appointment ran late.
            "settings": {"join_before_host": False, "waiting_room": True},
        }
        path = f"/users/{quote(user_id, safe='')}/meetings"
        response = await self._api("POST", path, "/users/{user}/meetings", body)
        return _meeting(response, "POST /users/{user}/meetings")

    async def update_meeting(
        self, meeting_id: str, *, starts_at: datetime, duration_minutes: int
    ) -> None:
        """Move a meeting; its links stay the same."""
        body = _schedule(starts_at, duration_minutes)
        path = f"/meetings/{quote(meeting_id, safe='')}"
        await self._api("PATCH", path, "/meetings/{id}", body)

    async def delete_meeting(self, meeting_id: str) -> None:
        """Delete a meeting; one that is already gone counts as deleted (retries are safe)."""
        path = f"/meetings/{quote(meeting_id, safe='')}"
        await self._api("DELETE", path, "/meetings/{id}", None, gone_is_fine=True)

    # ---------------------------------------------------------------- API calls

    async def _api(
        self,
        method: str,
        path: str,
        template: str,
        body: JSONDict | None,
        *,
        gone_is_fine: bool = False,
    ) -> httpx.Response:
        """One API call, retried once with a new token if Zoom no longer accepts ours.

        Zoom can revoke a token before its expiry (credentials rotated, app re-activated);
        a second 401 means the new token is refused too, so it is reported, not looped on.
        """
        token = await self._access_token()
        response = await self._send(method, path, template, token, body)
        if response.status_code == 401:
            log.info("Zoom refused the token on %s %s: fetching a new one", method, template)
            self._forget(token)
            token = await self._access_token()
            response = await self._send(method, path, template, token, body)
            if response.status_code == 401:
                self._forget(token)  # refused too: the next call starts with a fresh one
        if gone_is_fine and response.status_code == 404:
            log.debug("Zoom %s %s -> 404, already gone", method, template)
            return response
        self._check(response, method, template)
        return response

    async def _send(
        self, method: str, path: str, template: str, token: str, body: JSONDict | None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        return await self._request(
            method, f"{self._api_url}{path}", template, headers=headers, json=body
        )

    async def _request(self, method: str, url: str, template: str, **kwargs: Any) -> httpx.Response:
        """Send one request; every transport failure becomes ZoomUnavailable."""
        try:
            response = await self._http.request(method, url, timeout=self._timeout, **kwargs)
        except httpx.RequestError as exc:
            # Only the exception's type: httpx messages may quote the URL, which holds emails.
            log.warning("Zoom %s %s failed: %s", method, template, type(exc).__name__)
            raise ZoomUnavailable(
                f"Zoom unreachable for {method} {template}: {type(exc).__name__}"
            ) from exc
        log.debug("Zoom %s %s -> %d", method, template, response.status_code)
        return response

    def _check(self, response: httpx.Response, method: str, template: str) -> None:
        """Turn a non-2xx answer into the ZoomError a caller can act on."""
        status = response.status_code
        if response.is_success:
            return
        code = _error_code(response)
        what = f"Zoom answered {status} to {method} {template}"
        if code is not None:
            what += f" (code {code})"
        log.warning("%s", what)
        if status == 429:
            retry_after = _retry_after(response.headers.get("Retry-After"), self._clock.now())
            raise ZoomRateLimited(what, retry_after)
        if 400 <= status < 500:
            raise ZoomRejected(what, status, code)
        raise ZoomUnavailable(what)

    # ---------------------------------------------------------------- the token

    async def _access_token(self) -> str:
        """The cached token, or a new one; concurrent callers wait for a single request."""
        async with self._token_lock:
            token = self._token
            if token is None or self._clock.now() >= token.refresh_at:
                token = await self._fetch_token()
                self._token = token
            return token.value

    def _forget(self, value: str) -> None:
        """Drop the cached token, unless another call has already replaced it."""
        if self._token is not None and self._token.value == value:
            self._token = None

    async def _fetch_token(self) -> _Token:
        # Zoom documents the parameters in the query string but accepts the standard OAuth
        # form body too, which keeps them out of URLs that proxies and httpx might log.
        form = {"grant_type": "account_credentials", "account_id": self._account_id}
        asked_at = self._clock.now()
        response = await self._request(
            "POST", self._oauth_url, "/oauth/token", auth=self._credentials, data=form
        )
        self._check(response, "POST", "/oauth/token")
        body = _json_object(response, "POST /oauth/token")
        value, expires_in = body.get("access_token"), body.get("expires_in")
        if not isinstance(value, str) or not value or not _is_number(expires_in):
            raise ZoomError("unexpected answer from Zoom to POST /oauth/token")
        # Measured from when we asked, so time spent waiting for the answer counts as used.
        return _Token(value, asked_at + timedelta(seconds=float(expires_in)) - TOKEN_MARGIN)


# -------------------------------------------------------------------- helpers


def _schedule(starts_at: datetime, duration_minutes: int) -> JSONDict:
    """The start/duration fields shared by create and update."""
    if starts_at.tzinfo is None:
        raise ValueError("starts_at must be timezone-aware")
    if duration_minutes <= 0:
        raise ValueError("duration_minutes must be positive")
    return {
        "start_time": starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration": duration_minutes,
        "timezone": MEETING_TIMEZONE,
    }


def _meeting(response: httpx.Response, what: str) -> Meeting:
    body = _json_object(response, what)
    meeting_id, join_url, start_url = body.get("id"), body.get("join_url"), body.get("start_url")
    # Zoom's ids are 64-bit numbers; kept as text so no JSON or SQLite layer can round them.
    if not (_is_number(meeting_id) or isinstance(meeting_id, str)) or not meeting_id:
        raise ZoomError(f"unexpected answer from Zoom to {what}")
    if not isinstance(join_url, str) or not isinstance(start_url, str):
        raise ZoomError(f"unexpected answer from Zoom to {what}")
    return Meeting(id=str(meeting_id), join_url=join_url, start_url=start_url)


def _json_object(response: httpx.Response, what: str) -> JSONDict:
    """A 2xx body that must be a JSON object; anything else is a protocol error (not retried,
    since the request itself may have succeeded)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ZoomError(f"unexpected answer from Zoom to {what}")
    return body


def _error_code(response: httpx.Response) -> int | None:
    """Zoom's numeric error code (e.g. 1001 user does not exist), if the body carries one."""
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _retry_after(header: str | None, now: datetime) -> float:
    """Seconds to wait, from a Retry-After of delay-seconds, an ISO 8601 timestamp (what Zoom
    sends for daily limits) or an HTTP-date; a missing or garbled header gives the default."""
    if not header or not header.strip():
        return DEFAULT_RETRY_AFTER
    header = header.strip()
    try:
        seconds = float(header)
    except ValueError:
        moment = _parse_moment(header)
        if moment is None:
            return DEFAULT_RETRY_AFTER
        return max(0.0, (moment - now).total_seconds())
    return seconds if math.isfinite(seconds) and seconds >= 0 else DEFAULT_RETRY_AFTER


def _parse_moment(text: str) -> datetime | None:
    """An ISO 8601 or HTTP-date timestamp, as aware UTC (naive ones are taken as UTC)."""
    moment: datetime | None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            moment = None
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
