"""What :class:`tests.fakes.zoom_api.FakeZoom` says and reads on the wire.

The recorded :class:`Call` (with credentials stripped), the error handlers raise to answer
with a Zoom error body, Zoom's error bodies, and the decoding of request bodies and Basic auth.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

JSONDict = dict[str, Any]

INVALID_CLIENT: Final = {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
INVALID_TOKEN: Final = {"code": 124, "message": "Invalid access token."}
USER_NOT_FOUND: Final = {"code": 1001, "message": "User does not exist"}
VALIDATION_FAILED: Final = {"code": 300, "message": "Validation Failed."}


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


class ApiError(Exception):
    """Raised by handlers to answer with a Zoom error body instead of a result."""

    def __init__(self, status: int, body: JSONDict, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}

    def response(self) -> Response:
        return JSONResponse(self.body, status_code=self.status, headers=self.headers)


Handler = Callable[[Request, Call], Awaitable[Response]]


async def record(request: Request) -> tuple[Call, ApiError | None]:
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


def _decode_body(raw: bytes, content_type: str) -> tuple[JSONDict | None, ApiError | None]:
    if not raw:
        return None, None
    if content_type.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True)), None
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return None, ApiError(400, {"code": 300, "message": "Request Body should be JSON."})
    return body, None


def describe(call: Call) -> str:
    return f"  {call.method} {call.path} -> {call.status}"
