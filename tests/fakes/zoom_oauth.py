"""Zoom's Server-to-Server OAuth token endpoint, as :class:`tests.fakes.zoom_api.FakeZoom`
serves it.

The request carries ``grant_type=account_credentials&account_id=...`` in the query string (as
Zoom documents it) or as a form body (standard OAuth); both are accepted. Tokens expire
``token_ttl`` seconds after issue, measured with the fake's clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from starlette.requests import Request

from bot.clock import Clock
from tests.fakes.basic_auth import basic_credentials
from tests.fakes.zoom_wire import INVALID_CLIENT, ApiError, Call, JSONDict


class TokenStore:
    """The tokens handed out, each with the moment it expires."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._tokens: dict[str, datetime] = {}

    def add(self, token: str, ttl: int) -> None:
        self._tokens[token] = self._clock.now() + timedelta(seconds=ttl)

    def revoke_all(self) -> None:
        self._tokens.clear()

    def valid(self) -> list[str]:
        now = self._clock.now()
        return [token for token, expires in self._tokens.items() if now < expires]


def check_token_request(
    request: Request, call: Call, *, account_id: str, client_id: str, client_secret: str
) -> None:
    """Raise 401 ``invalid_client`` unless the app's credentials and account are right."""
    params = {**call.query, **(call.body or {})}
    if (
        basic_credentials(request) != (client_id, client_secret)
        or params.get("grant_type") != "account_credentials"
        or params.get("account_id") != account_id
    ):
        raise ApiError(401, INVALID_CLIENT)


def token_body(token: str, ttl: int) -> JSONDict:
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": ttl,
        "scope": "meeting:write:admin meeting:read:admin",
        "api_url": "https://api.zoom.us",
    }
