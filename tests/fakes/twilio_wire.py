"""What :class:`tests.fakes.twilio_api.FakeTwilio` says and reads on the wire.

Twilio's constants and error codes, the recorded :class:`Call`, the error that handlers raise
to answer with Twilio's JSON error shape, and the small parsers for form fields, ``whatsapp:``
addresses and Basic auth.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Final

JSONDict = dict[str, Any]

DEFAULT_ACCOUNT_SID: Final = "ACtest" + "x" * 28
"""34 characters like a real SID but not hex, so it can never be mistaken for one."""
DEFAULT_AUTH_TOKEN: Final = "test-auth-token"
DEFAULT_WHATSAPP_NUMBER: Final = "+390583000000"

API_VERSION: Final = "2010-04-01"
WINDOW_SECONDS: Final = 24 * 60 * 60
"""WhatsApp's customer-service window: free-form messages only within 24 h of the last inbound."""
BODY_LIMIT: Final = 1600

# Twilio error codes used by the fake.
AUTHENTICATE: Final = 20003
NOT_FOUND: Final = 20404
TOO_MANY_REQUESTS: Final = 20429
INVALID_TO: Final = 21211
INVALID_FROM: Final = 21212
FROM_REQUIRED: Final = 21603
TO_REQUIRED: Final = 21604
UNSUBSCRIBED: Final = 21610
BODY_TOO_LONG: Final = 21617
BODY_REQUIRED: Final = 21619
INVALID_CONTENT_SID: Final = 21655
INVALID_CONTENT_VARIABLES: Final = 21656
CHANNEL_MISMATCH: Final = 21910
OUTSIDE_WINDOW: Final = 63016

OUTSIDE_WINDOW_MESSAGE: Final = (
    "Failed to send freeform message because you are outside the allowed window. "
    "If you are using WhatsApp, please use a Message Template."
)

E164_RE: Final = re.compile(r"\+[1-9][0-9]{6,14}")


@dataclass
class Call:
    """One request received by the fake: the decoded form ``fields`` (last value per name),
    the HTTP ``status`` (``None`` until answered) and the Twilio ``error_code`` it answered
    with, if any. Credentials are never recorded."""

    method: str
    path: str
    fields: dict[str, str]
    status: int | None = None
    error_code: int | None = None


class ApiError(Exception):
    """Raised while handling a request to answer with a Twilio error body."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.body = error_body(status, code, message)
        self.headers: dict[str, str] = {}


def error_body(status: int, code: int, message: str) -> JSONDict:
    """Twilio's JSON error shape, e.g. ``{"code": 20003, "message": "Authenticate", ...}``."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def not_found(path: str) -> ApiError:
    return ApiError(404, NOT_FOUND, f"The requested resource {path} was not found")


def bare(number: str) -> str:
    """``whatsapp:+39...`` -> ``+39...``."""
    return number.removeprefix("whatsapp:")


def json_object(raw: str) -> JSONDict | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def describe(call: Call) -> str:
    code = f" ({call.error_code})" if call.error_code is not None else ""
    return f"  {call.method} {call.path} -> {call.status}{code} To={call.fields.get('To')}"
