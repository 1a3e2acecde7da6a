"""Failures a test asks :class:`tests.fakes.twilio_api.FakeTwilio` to inject.

They are taken in order, one per Messages POST, before authentication: a Twilio error, a hang
until released, an HTML page with 200, or a connection cut mid-response.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Final

from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send

from tests.fakes.twilio_wire import ApiError, JSONDict, error_body

HTML_PAGE: Final = (
    "<!DOCTYPE html><html><head><title>Service Unavailable</title></head>"
    "<body><h1>Please try again later</h1></body></html>"
)


@dataclass
class Failure:
    status: int
    body: JSONDict
    headers: dict[str, str]
    remaining: int
    mode: str = "error"  # error | hang | html | drop


class Dropped(Exception):
    """Raised by the fake to cut a connection mid-response (see :meth:`FakeTwilio.drop_next`)."""


class _QuietDrops(logging.Filter):
    """uvicorn logs the exception that cut the connection; a drop the test asked for is no
    error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], Dropped))


class DroppingResponse(Response):
    """Starts a 201 with a JSON body, sends half of it, then cuts the connection."""

    def __init__(self) -> None:
        super().__init__(b'{"sid": "SM', status_code=201, media_type="application/json")
        self.headers["content-length"] = "400"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        await send({"type": "http.response.body", "body": self.body, "more_body": True})
        raise Dropped


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


class FaultQueue:
    """The failures still to inject, oldest first; each is used ``remaining`` times."""

    def __init__(self) -> None:
        self._failures: list[Failure] = []
        self._released = asyncio.Event()

    def error(
        self, status: int, code: int, message: str, times: int, headers: dict[str, str]
    ) -> None:
        self._failures.append(Failure(status, error_body(status, code, message), headers, times))

    def hang(self, times: int) -> None:
        self._failures.append(Failure(0, {}, {}, times, mode="hang"))

    def html(self, times: int) -> None:
        self._failures.append(Failure(200, {}, {}, times, mode="html"))

    def drop(self, times: int) -> None:
        self._failures.append(Failure(201, {}, {}, times, mode="drop"))

    def release(self) -> None:
        self._released.set()

    async def take(self) -> Failure | None:
        """The failure the next request gets, if one was asked for (checked before
        authentication). A hang waits here until released and then counts as no failure."""
        failure = self._next()
        if failure is not None and failure.mode == "hang":
            await self._released.wait()
            return None
        return failure

    def _next(self) -> Failure | None:
        if not self._failures:
            return None
        failure = self._failures[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            self._failures.pop(0)
        return failure


def canned_response(failure: Failure | None) -> Response | None:
    """The answer for an HTML or drop failure, which skips the API entirely."""
    if failure is not None and failure.mode == "html":
        return HTMLResponse(HTML_PAGE, status_code=200)
    if failure is not None and failure.mode == "drop":
        return DroppingResponse()
    return None


def api_error(failure: Failure) -> ApiError:
    error = ApiError(failure.status, int(failure.body["code"]), str(failure.body["message"]))
    error.headers = failure.headers
    return error
