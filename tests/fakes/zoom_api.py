"""A fake Zoom (Server-to-Server OAuth and the meetings API) for tests.

The real client talks to it over HTTP on loopback, so tests exercise the actual request
encoding, Basic auth, token caching, status mapping and timeouts instead of mocks::

    async with FakeZoom() as fake:
        client = ZoomClient(
            account_id=fake.account_id,
            client_id=fake.client_id,
            client_secret=fake.client_secret,
            api_url=fake.api_url,
            oauth_url=fake.oauth_url,
            clock=clock,
        )
        meeting = await client.create_meeting("giulia@example.org", ...)
        assert fake.meetings[meeting.id]["duration"] == 30

Things copied from Zoom on purpose, because the client must cope with them:

* The token endpoint takes ``grant_type=account_credentials&account_id=...`` in the query
  string (as Zoom documents it) or as a form body (standard OAuth); both are accepted.
* Meeting ids are numbers larger than 32 bits; 404 bodies repeat the id or email asked for
  (``Meeting does not exist: 85000000001.``), so nothing may copy Zoom's messages into logs.
* Daily rate limits answer 429 with ``Retry-After`` as a UTC timestamp, per-second limits
  usually without it: :meth:`FakeZoom.fail_next` can send either.

It is served by ``tests/fakes/loopback.py``, which binds the socket with an explicit
``IPPROTO_TCP`` so asyncio turns TCP_NODELAY on (without it every response waits ~40 ms).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import copy
import itertools
import json
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, TypeVar
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.clock import Clock, SystemClock
from tests.fakes.loopback import LoopbackServer

JSONDict = dict[str, Any]

DEFAULT_USERS: Final = frozenset({"giulia@example.org", "marco@example.org"})
FIRST_MEETING_ID: Final = 85_000_000_001
"""Above 2**32 like real Zoom ids, so a client that squeezes them into 32 bits shows it."""

INVALID_CLIENT: Final = {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
INVALID_TOKEN: Final = {"code": 124, "message": "Invalid access token."}
USER_NOT_FOUND: Final = {"code": 1001, "message": "User does not exist"}
VALIDATION_FAILED: Final = {"code": 300, "message": "Validation Failed."}

_DEFAULT_FAILURE_BODIES: Final[dict[int, JSONDict]] = {
    400: VALIDATION_FAILED,
    401: INVALID_TOKEN,
    404: {"code": 3001, "message": "Meeting does not exist."},
    429: {
        "code": 429,
        "message": "You have reached the maximum per-second rate limit for this API. "
        "Try again later.",
    },
}

_START_TIME_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z?")
_UPDATABLE: Final = frozenset({"topic", "type", "start_time", "duration", "timezone", "settings"})
_RECENT_CALLS_SHOWN: Final = 8


@dataclass
class Call:
    """One request received by the fake.

    ``headers`` has lower-case names, and ``authorization`` only keeps its scheme ("Basic",
    "Bearer") so a printed call never shows credentials; ``token`` is the bearer token
    presented (the fake's own ``tok-N``), ``None`` for other schemes. ``body`` is the decoded
    JSON or form body. ``status`` stays ``None`` until the fake has answered.
    """

    method: str
    path: str
    query: dict[str, str]
    body: JSONDict | None
    headers: dict[str, str]
    token: str | None = None
    status: int | None = None


@dataclass
class _Failure:
    """A failure scheduled by :meth:`FakeZoom.fail_next`."""

    method: str
    path_prefix: str
    status: int
    body: JSONDict
    headers: dict[str, str]
    remaining: int


@dataclass
class _Stall:
    """A delay scheduled by :meth:`FakeZoom.stall_next`."""

    method: str
    path_prefix: str
    seconds: float
    remaining: int


class _ApiError(Exception):
    """Raised by handlers to answer with a Zoom error body instead of a result."""

    def __init__(self, status: int, body: JSONDict, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}

    def response(self) -> Response:
        return JSONResponse(self.body, status_code=self.status, headers=self.headers)


Handler = Callable[[Request, Call], Awaitable[Response]]


class FakeZoom:
    """An in-process, loopback-only stand-in for Zoom's OAuth and meetings endpoints.

    State is plain attributes so tests can assert on it directly:

    * ``calls``: every request received, in arrival order.
    * ``meetings[id]``: live meetings (``topic``, ``start_time``, ``duration``, ``timezone``,
      ``type``, ``settings``, ``user_id``, ``join_url``, ``start_url``...).
    * ``users``: Zoom users that may host meetings; others answer 404 (code 1001).
    * ``tokens_issued``: how many tokens the OAuth endpoint handed out.

    Tokens expire ``token_ttl`` seconds after issue, measured with ``clock`` (the system
    clock unless a test shares its ManualClock). Create it inside the test's event loop.
    """

    def __init__(
        self,
        *,
        account_id: str = "acc-test",
        client_id: str = "client-test",
        client_secret: str = "secret-test",
        token_ttl: int = 3599,
        users: Iterable[str] = DEFAULT_USERS,
        clock: Clock | None = None,
    ) -> None:
        self.account_id = account_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_ttl = token_ttl
        self.users: set[str] = set(users)
        self.meetings: dict[str, JSONDict] = {}
        self.calls: list[Call] = []
        self.tokens_issued = 0

        self._clock: Clock = clock if clock is not None else SystemClock()
        self._tokens: dict[str, datetime] = {}
        self._meeting_ids = itertools.count(FIRST_MEETING_ID)
        self._failures: list[_Failure] = []
        self._stalls: list[_Stall] = []
        self._calls_changed = asyncio.Condition()
        self._stopping = asyncio.Event()
        self._server = LoopbackServer(self._build_app(), name="FakeZoom")

    # ---------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> FakeZoom:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Serve on an OS-assigned loopback port inside the running event loop."""
        if self._server.running:
            raise RuntimeError("FakeZoom is already running")
        self._stopping.clear()
        await self._server.start()

    async def stop(self) -> None:
        """Stop serving; stalled requests are answered at once so shutdown is not delayed."""
        if not self._server.running:
            return
        self._stopping.set()
        await self._server.stop()

    @property
    def url(self) -> str:
        """Root URL of the running server, e.g. ``http://127.0.0.1:PORT``."""
        return self._server.url

    @property
    def oauth_url(self) -> str:
        return f"{self.url}/oauth/token"

    @property
    def api_url(self) -> str:
        return f"{self.url}/v2"

    # ---------------------------------------------------------------- steering the fake

    def fail_next(
        self,
        method: str,
        path_prefix: str,
        status: int,
        body: JSONDict | None = None,
        times: int = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` instead of serving them.

        ``path_prefix`` is matched against the decoded path, e.g. ``"/v2/users/"``,
        ``"/v2/meetings/"`` or ``"/oauth/token"``; ``body`` defaults to what Zoom sends for
        that status. Failures are checked before authentication, so nothing else changes.
        """
        default = _DEFAULT_FAILURE_BODIES.get(status, {"code": status, "message": "Injected."})
        self._failures.append(
            _Failure(
                method.upper(),
                path_prefix,
                status,
                copy.deepcopy(body if body is not None else default),
                dict(headers or {}),
                times,
            )
        )

    def stall_next(self, method: str, path_prefix: str, seconds: float, times: int = 1) -> None:
        """Hold the next ``times`` matching requests for ``seconds`` before serving them
        (for client timeouts); stopping the fake releases them at once."""
        self._stalls.append(_Stall(method.upper(), path_prefix, seconds, times))

    def revoke_tokens(self) -> None:
        """Make every token issued so far invalid, as rotating the app's secret does."""
        self._tokens.clear()

    def valid_tokens(self) -> list[str]:
        """Tokens the API would accept right now."""
        now = self._clock.now()
        return [token for token, expires in self._tokens.items() if now < expires]

    async def wait_for(
        self,
        predicate: Callable[[Sequence[Call]], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 - a built-in deadline keeps every test bounded
    ) -> None:
        """Wait until ``predicate(calls)`` holds; re-checked whenever a call arrives or ends."""
        try:
            async with asyncio.timeout(timeout):
                async with self._calls_changed:
                    await self._calls_changed.wait_for(lambda: predicate(self.calls))
        except TimeoutError:
            recent = "\n".join(_describe(c) for c in self.calls[-_RECENT_CALLS_SHOWN:])
            what = getattr(predicate, "__name__", "predicate")
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what}; last calls:\n{recent or '  none'}"
            ) from None

    # ---------------------------------------------------------------- HTTP layer

    def _build_app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/oauth/token", self._endpoint(self._token), methods=["POST"]),
                Route(
                    "/v2/users/{user_id}/meetings",
                    self._endpoint(self._authorized(self._create_meeting)),
                    methods=["POST"],
                ),
                Route(
                    "/v2/meetings/{meeting_id}",
                    self._endpoint(self._authorized(self._meeting)),
                    methods=["GET", "PATCH", "DELETE"],
                ),
                Route(
                    "/{path:path}",
                    self._endpoint(self._not_found),
                    methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
                ),
            ]
        )

    def _endpoint(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """Record the call, apply scheduled stalls and failures, then run ``handler``."""

        async def endpoint(request: Request) -> Response:
            call, parse_error = await _record(request)
            self.calls.append(call)
            await self._notify_calls()
            try:
                await self._stall_if_scheduled(call)
                self._raise_scheduled_failure(call)
                if parse_error is not None:
                    raise parse_error
                response = await handler(request, call)
            except _ApiError as error:
                response = error.response()
            call.status = response.status_code
            await self._notify_calls()
            return response

        return endpoint

    def _authorized(self, handler: Handler) -> Handler:
        """Only a currently valid token issued by this fake reaches the API."""

        async def checked(request: Request, call: Call) -> Response:
            if call.token is None or call.token not in self.valid_tokens():
                raise _ApiError(401, INVALID_TOKEN)
            return await handler(request, call)

        return checked

    async def _stall_if_scheduled(self, call: Call) -> None:
        stall = _take_matching(self._stalls, call)
        if stall is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(stall.seconds):
                    await self._stopping.wait()

    def _raise_scheduled_failure(self, call: Call) -> None:
        failure = _take_matching(self._failures, call)
        if failure is not None:
            raise _ApiError(failure.status, copy.deepcopy(failure.body), failure.headers)

    async def _notify_calls(self) -> None:
        async with self._calls_changed:
            self._calls_changed.notify_all()

    # ---------------------------------------------------------------- OAuth

    async def _token(self, request: Request, call: Call) -> Response:
        params = {**call.query, **(call.body or {})}
        if (
            _basic_credentials(request) != (self.client_id, self.client_secret)
            or params.get("grant_type") != "account_credentials"
            or params.get("account_id") != self.account_id
        ):
            raise _ApiError(401, INVALID_CLIENT)
        self.tokens_issued += 1
        token = f"tok-{self.tokens_issued}"
        self._tokens[token] = self._clock.now() + timedelta(seconds=self.token_ttl)
        return JSONResponse(
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": self.token_ttl,
                "scope": "meeting:write:admin meeting:read:admin",
                "api_url": "https://api.zoom.us",
            }
        )

    # ---------------------------------------------------------------- meetings

    async def _create_meeting(self, request: Request, call: Call) -> Response:
        user_id = str(request.path_params["user_id"])
        if user_id not in self.users:
            raise _ApiError(404, USER_NOT_FOUND)
        body = _meeting_fields(call.body, creating=True)
        number = next(self._meeting_ids)
        meeting: JSONDict = {
            "id": number,
            "user_id": user_id,
            "host_email": user_id,
            "type": 2,
            "timezone": "UTC",
            "settings": {},
            **body,
            "join_url": f"https://zoom.example/j/{number}",
            "start_url": f"https://zoom.example/s/{number}?zak=secret",
            "created_at": _zulu(self._clock.now()),
        }
        self.meetings[str(number)] = meeting
        return JSONResponse(copy.deepcopy(meeting), status_code=201)

    async def _meeting(self, request: Request, call: Call) -> Response:
        meeting_id = str(request.path_params["meeting_id"])
        meeting = self.meetings.get(meeting_id)
        if meeting is None:
            raise _ApiError(
                404, {"code": 3001, "message": f"Meeting does not exist: {meeting_id}."}
            )
        if call.method == "GET":
            return JSONResponse(copy.deepcopy(meeting))
        if call.method == "DELETE":
            del self.meetings[meeting_id]
        else:
            changes = _meeting_fields(call.body, creating=False)
            settings = {**meeting["settings"], **changes.pop("settings", {})}
            meeting.update(changes, settings=settings)
        return Response(status_code=204)

    async def _not_found(self, request: Request, call: Call) -> Response:
        raise _ApiError(404, {"code": 404, "message": "Not found"})


# -------------------------------------------------------------------- helpers


async def _record(request: Request) -> tuple[Call, _ApiError | None]:
    """The Call for a request, and the 400 to answer if its body cannot be decoded."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    token: str | None = None
    if "authorization" in headers:
        scheme, _, value = headers["authorization"].partition(" ")
        headers["authorization"] = scheme
        token = value.strip() if scheme.lower() == "bearer" else None
    body, error = _decode_body(await request.body(), headers.get("content-type", ""))
    call = Call(
        method=request.method,
        path=request.url.path,
        query=dict(request.query_params),
        body=body,
        headers=headers,
        token=token,
    )
    return call, error


def _decode_body(raw: bytes, content_type: str) -> tuple[JSONDict | None, _ApiError | None]:
    if not raw:
        return None, None
    if content_type.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True)), None
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return None, _ApiError(400, {"code": 300, "message": "Request Body should be JSON."})
    return body, None


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, secret = decoded.partition(":")
    return (client_id, secret) if colon else None


def _meeting_fields(body: JSONDict | None, *, creating: bool) -> JSONDict:
    """The fields of a create/update body, validated roughly as Zoom does (400, code 300)."""
    if body is None:
        if creating:
            return {}
        raise _ApiError(400, VALIDATION_FAILED)
    fields = {key: copy.deepcopy(value) for key, value in body.items() if key in _UPDATABLE}
    if not _valid_meeting_fields(fields):
        raise _ApiError(400, VALIDATION_FAILED)
    return fields


def _valid_meeting_fields(fields: JSONDict) -> bool:
    checks: dict[str, Callable[[Any], bool]] = {
        "topic": lambda v: isinstance(v, str) and len(v) <= 200,
        "type": lambda v: v in (1, 2, 3, 8) and not isinstance(v, bool),
        "start_time": lambda v: isinstance(v, str) and _START_TIME_RE.fullmatch(v) is not None,
        "duration": lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
        "timezone": lambda v: isinstance(v, str) and bool(v),
        "settings": lambda v: isinstance(v, dict),
    }
    return all(checks[key](value) for key, value in fields.items())


_R = TypeVar("_R", _Failure, _Stall)


def _take_matching(rules: list[_R], call: Call) -> _R | None:
    """The first scheduled rule matching ``call``, used up once per match."""
    for rule in rules:
        if rule.method == call.method and call.path.startswith(rule.path_prefix):
            rule.remaining -= 1
            if rule.remaining <= 0:
                rules.remove(rule)
            return rule
    return None


def _zulu(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _describe(call: Call) -> str:
    return f"  {call.method} {call.path} -> {call.status}"
