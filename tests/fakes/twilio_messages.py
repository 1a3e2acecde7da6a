"""Messages as :class:`tests.fakes.twilio_api.FakeTwilio` accepts them.

A create request is validated in Twilio's order (addresses, then content, then the
recipient's opt-out), so a request with several mistakes gets the error Twilio would give.
A free-form message outside WhatsApp's 24-hour window is still accepted: Twilio only reports
error 63016 later, through the status callback, so it is marked on the :class:`SentMessage`.
"""

from __future__ import annotations

from collections.abc import Callable, Set
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from tests.fakes.twilio_wire import (
    API_VERSION,
    BODY_LIMIT,
    BODY_REQUIRED,
    BODY_TOO_LONG,
    CHANNEL_MISMATCH,
    E164_RE,
    FROM_REQUIRED,
    INVALID_CONTENT_SID,
    INVALID_CONTENT_VARIABLES,
    INVALID_FROM,
    INVALID_TO,
    OUTSIDE_WINDOW,
    OUTSIDE_WINDOW_MESSAGE,
    TO_REQUIRED,
    UNSUBSCRIBED,
    WINDOW_SECONDS,
    ApiError,
    JSONDict,
    bare,
    json_object,
)


@dataclass
class SentMessage:
    """A message the API accepted (201).

    ``fields`` is exactly what the client sent (last value per name). ``status`` is what the
    API answered ("queued"); ``final_status`` and ``error_code`` are what Twilio would report
    later through the status callback: "delivered", or "failed" with 63016 outside the
    24-hour window.
    """

    sid: str
    fields: dict[str, str]
    to: str
    from_: str
    body: str | None
    content_sid: str | None
    content_variables: JSONDict | None
    status_callback: str | None
    media_urls: list[str]
    created_at: float
    status: str = "queued"
    final_status: str = "delivered"
    error_code: int | None = None
    error_message: str | None = None

    @property
    def number(self) -> str:
        """The recipient's E.164 number, without the ``whatsapp:`` prefix."""
        return bare(self.to)

    @property
    def is_template(self) -> bool:
        return self.content_sid is not None

    def fail_outside_window(self) -> None:
        self.final_status = "failed"
        self.error_code = OUTSIDE_WINDOW
        self.error_message = OUTSIDE_WINDOW_MESSAGE


@dataclass
class Content:
    """What a valid create request asks to send."""

    body: str | None
    content_sid: str | None
    variables: JSONDict | None


class InboundWindow:
    """When each number last wrote to us, which opens its 24-hour window."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._last_inbound: dict[str, float] = {}

    def record(self, number: str, at: float | None) -> None:
        self._last_inbound[bare(number)] = self._clock() if at is None else at

    def is_open(self, number: str) -> bool:
        last = self._last_inbound.get(bare(number))
        return last is not None and self._clock() - last <= WINDOW_SECONDS


def check_request(
    fields: dict[str, str], media_urls: list[str], *, sender: str, blocked: Set[str]
) -> Content:
    """Validate a create request as Twilio does, raising the error Twilio would answer."""
    to = fields.get("To", "")
    _check_addresses(to, fields.get("From", ""), sender)
    content = _check_content(fields, media_urls)
    if bare(to) in blocked:
        raise ApiError(400, UNSUBSCRIBED, "Attempt to send to unsubscribed recipient")
    return content


def _check_addresses(to: str, sender: str, expected_sender: str) -> None:
    if not to:
        raise ApiError(400, TO_REQUIRED, "A 'To' phone number is required.")
    if not sender:
        raise ApiError(400, FROM_REQUIRED, "A 'From' phone number is required.")
    if sender != expected_sender:
        raise ApiError(
            400,
            INVALID_FROM,
            f"The 'From' number {sender} is not a valid phone number, shortcode, "
            "or alphanumeric sender ID.",
        )
    if not E164_RE.fullmatch(bare(to)):
        raise ApiError(400, INVALID_TO, f"The 'To' number {to} is not a valid phone number.")
    if not to.startswith("whatsapp:"):
        raise ApiError(
            400,
            CHANNEL_MISMATCH,
            "Invalid From and To pair. From and To should be of the same channel",
        )


def _check_content(fields: dict[str, str], media_urls: list[str]) -> Content:
    content_sid = fields.get("ContentSid") or None
    body = fields.get("Body")
    if content_sid is not None:
        return Content(body, content_sid, _template_variables(content_sid, fields))
    if not body and not media_urls:
        raise ApiError(400, BODY_REQUIRED, "A text message body or media urls must be specified.")
    if body is not None and len(body) > BODY_LIMIT:
        raise ApiError(
            400,
            BODY_TOO_LONG,
            "The concatenated message body exceeds the 1600 character limit.",
        )
    return Content(body, None, None)


def _template_variables(content_sid: str, fields: dict[str, str]) -> JSONDict | None:
    if not content_sid.startswith("HX"):
        raise ApiError(400, INVALID_CONTENT_SID, "The ContentSid is Invalid.")
    if "ContentVariables" not in fields:
        return None
    variables = json_object(fields["ContentVariables"])
    if variables is None:
        raise ApiError(400, INVALID_CONTENT_VARIABLES, "The ContentVariables Parameter is invalid.")
    return variables


def new_message(
    sid: str, fields: dict[str, str], media_urls: list[str], content: Content, created_at: float
) -> SentMessage:
    return SentMessage(
        sid=sid,
        fields=dict(fields),
        to=fields.get("To", ""),
        from_=fields.get("From", ""),
        body=content.body,
        content_sid=content.content_sid,
        content_variables=content.variables,
        status_callback=fields.get("StatusCallback"),
        media_urls=media_urls,
        created_at=created_at,
    )


def message_resource(message: SentMessage, account_sid: str) -> JSONDict:
    """The Message resource as the create call returns it."""
    created = format_datetime(datetime.fromtimestamp(message.created_at, UTC))
    uri = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{message.sid}"
    return {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": message.body or "",
        "date_created": created,
        "date_sent": None,
        "date_updated": created,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": message.from_,
        "messaging_service_sid": None,
        "num_media": str(len(message.media_urls)),
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": message.sid,
        "status": message.status,
        "subresource_uris": {"media": f"{uri}/Media.json"},
        "to": message.to,
        "uri": f"{uri}.json",
    }
