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

import copy
import itertools
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Final

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.clock import Clock, SystemClock
from tests.fakes.call_log import CallLog
from tests.fakes.loopback import LoopbackServer
from tests.fakes.zoom_faults import FaultSchedule
from tests.fakes.zoom_meetings import (
    FIRST_MEETING_ID,
    meeting_fields,
    meeting_not_found,
    new_meeting,
    update_meeting,
)
from tests.fakes.zoom_oauth import TokenStore, check_token_request, token_body
from tests.fakes.zoom_wire import (
    INVALID_TOKEN,
    USER_NOT_FOUND,
    ApiError,
    Call,
    Handler,
    JSONDict,
    describe,
    record,
)

# What tests import from here; the rest is in the ``zoom_*`` modules next to this one.
__all__ = ["Call", "FakeZoom"]

DEFAULT_USERS: Final = frozenset({"giulia@example.org", "marco@example.org"})


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

    Issued tokens live in a :class:`~tests.fakes.zoom_oauth.TokenStore`, scheduled failures
    and stalls in a :class:`~tests.fakes.zoom_faults.FaultSchedule`; meeting bodies are built
    and checked by ``zoom_meetings``.
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
        self._log: CallLog[Call] = CallLog(describe)
        self.calls = self._log.calls
        self.tokens_issued = 0

        self._clock: Clock = clock if clock is not None else SystemClock()
        self._tokens = TokenStore(self._clock)
        self._meeting_ids = itertools.count(FIRST_MEETING_ID)
        self._faults = FaultSchedule()
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
        self._faults.hold_stalls()
        await self._server.start()

    async def stop(self) -> None:
        """Stop serving; stalled requests are answered at once so shutdown is not delayed."""
        if not self._server.running:
            return
        self._faults.release_stalls()
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
        self._faults.fail(method, path_prefix, status, body, times, headers)

    def stall_next(self, method: str, path_prefix: str, seconds: float, times: int = 1) -> None:
        """Hold the next ``times`` matching requests for ``seconds`` before serving them
        (for client timeouts); stopping the fake releases them at once."""
        self._faults.stall(method, path_prefix, seconds, times)

    def revoke_tokens(self) -> None:
        """Make every token issued so far invalid, as rotating the app's secret does."""
        self._tokens.revoke_all()

    def valid_tokens(self) -> list[str]:
        """Tokens the API would accept right now."""
        return self._tokens.valid()

    async def wait_for(
        self,
        predicate: Callable[[Sequence[Call]], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 - a built-in deadline keeps every test bounded
    ) -> None:
        """Wait until ``predicate(calls)`` holds; re-checked whenever a call arrives or ends."""
        what = getattr(predicate, "__name__", "predicate")
        await self._log.wait_until(lambda: predicate(self.calls), timeout, what)

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
            call, parse_error = await record(request)
            await self._log.record(call)
            try:
                await self._faults.stall_if_scheduled(call)
                self._faults.raise_scheduled_failure(call)
                if parse_error is not None:
                    raise parse_error
                response = await handler(request, call)
            except ApiError as error:
                response = error.response()
            call.status = response.status_code
            await self._log.notify()
            return response

        return endpoint

    def _authorized(self, handler: Handler) -> Handler:
        """Only a currently valid token issued by this fake reaches the API."""

        async def checked(request: Request, call: Call) -> Response:
            if call.token is None or call.token not in self.valid_tokens():
                raise ApiError(401, INVALID_TOKEN)
            return await handler(request, call)

        return checked

    # ---------------------------------------------------------------- handlers

    async def _token(self, request: Request, call: Call) -> Response:
        check_token_request(
            request,
            call,
            account_id=self.account_id,
            client_id=self.client_id,
            client_secret=self.client_secret,
        )
        self.tokens_issued += 1
        token = f"tok-{self.tokens_issued}"
        self._tokens.add(token, self.token_ttl)
        return JSONResponse(token_body(token, self.token_ttl))

    async def _create_meeting(self, request: Request, call: Call) -> Response:
        user_id = str(request.path_params["user_id"])
        if user_id not in self.users:
            raise ApiError(404, USER_NOT_FOUND)
        fields = meeting_fields(call.body, creating=True)
        number = next(self._meeting_ids)
        meeting = new_meeting(number, user_id, fields, self._clock.now())
        self.meetings[str(number)] = meeting
        return JSONResponse(copy.deepcopy(meeting), status_code=201)

    async def _meeting(self, request: Request, call: Call) -> Response:
        meeting_id = str(request.path_params["meeting_id"])
        meeting = self.meetings.get(meeting_id)
        if meeting is None:
            raise meeting_not_found(meeting_id)
        if call.method == "GET":
            return JSONResponse(copy.deepcopy(meeting))
        if call.method == "DELETE":
            del self.meetings[meeting_id]
        else:
            update_meeting(meeting, call.body)
        return Response(status_code=204)

    async def _not_found(self, request: Request, call: Call) -> Response:
        raise ApiError(404, {"code": 404, "message": "Not found"})
