"""The HTTP side of :class:`tests.fakes.twilio_api.FakeTwilio`.

Every request is recorded as a :class:`Call` before anything else, so a test can see (and wait
for) requests that hang or fail. Injected failures are applied before authentication, as a
proxy or Twilio's own rate limiter would answer before looking at the credentials.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.basic_auth import basic_credentials
from tests.fakes.call_log import CallLog
from tests.fakes.twilio_faults import Failure, FaultQueue, api_error, canned_response
from tests.fakes.twilio_wire import (
    API_VERSION,
    AUTHENTICATE,
    ApiError,
    Call,
    JSONDict,
    describe,
    not_found,
)

Create = Callable[[dict[str, str], list[str]], JSONDict]
"""Validates and records a message from its form fields and ``MediaUrl`` values, and returns
the Message resource to answer with (or raises :class:`ApiError`)."""


class Account(Protocol):
    account_sid: str
    auth_token: str


class MessagesApi:
    """The Starlette ``app`` serving the Messages endpoint, the ``calls`` it received and the
    ``faults`` still to inject."""

    def __init__(self, account: Account, create: Create) -> None:
        self.log: CallLog[Call] = CallLog(describe)
        self.calls = self.log.calls
        self.faults = FaultQueue()
        self._account = account
        self._create = create
        self.app = Starlette(
            routes=[
                Route(
                    f"/{API_VERSION}/Accounts/{{account_sid}}/Messages.json",
                    self._messages_endpoint,
                    methods=["POST"],
                ),
                Route(
                    "/{path:path}",
                    self._not_found,
                    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                ),
            ]
        )

    async def wait_for(
        self,
        predicate: Callable[[Sequence[Call]], bool],
        timeout: float,  # noqa: ASYNC109 - a built-in deadline keeps every test bounded
    ) -> None:
        """Wait until ``predicate(calls)`` holds; re-checked whenever a call arrives or is
        answered."""
        what = getattr(predicate, "__name__", "predicate")
        await self.log.wait_until(lambda: predicate(self.calls), timeout, what)

    async def _messages_endpoint(self, request: Request) -> Response:
        raw = await request.body()
        pairs = parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
        call = Call(request.method, request.url.path, dict(pairs))
        await self.log.record(call)
        failure = await self.faults.take()
        response = canned_response(failure)
        if response is None:
            response = self._serve(request, call, pairs, failure)
        call.status = response.status_code
        await self.log.notify()
        return response

    def _serve(
        self, request: Request, call: Call, pairs: list[tuple[str, str]], failure: Failure | None
    ) -> Response:
        account = self._account
        try:
            if failure is not None:
                raise api_error(failure)
            if basic_credentials(request) != (account.account_sid, account.auth_token):
                raise ApiError(401, AUTHENTICATE, "Authenticate")
            if request.path_params["account_sid"] != account.account_sid:
                raise not_found(call.path)
            resource = self._create(call.fields, [v for k, v in pairs if k == "MediaUrl"])
            return JSONResponse(resource, status_code=201)
        except ApiError as error:
            call.error_code = error.code
            return JSONResponse(error.body, status_code=error.status, headers=error.headers)

    async def _not_found(self, request: Request) -> Response:
        call = Call(request.method, request.url.path, {})
        error = not_found(call.path)
        call.status, call.error_code = error.status, error.code
        await self.log.record(call)
        return JSONResponse(error.body, status_code=error.status)
