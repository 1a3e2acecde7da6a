"""A fake Twilio Messages API (WhatsApp sender) for tests, plus Twilio-shaped webhook forms.

The real ``twilio`` library is pointed at this server and talks to it over HTTP on loopback,
so tests exercise its actual request encoding, Basic auth, response parsing and exceptions::

    async with FakeTwilio() as fake:
        http = AsyncTwilioHttpClient()
        client = Client(fake.account_sid, fake.auth_token, http_client=http)
        client.api.base_url = fake.url  # the only attribute to change
        fake.inbound_from("+393471234567")  # opens the 24-hour window
        await client.messages.create_async(
            to="whatsapp:+393471234567", from_=fake.sender, body="Ciao Anna"
        )
        await http.close()  # or aiohttp warns "Unclosed client session"
        assert fake.messages[0].fields == {"To": ..., "From": ..., "Body": "Ciao Anna"}

The other direction, Twilio calling our webhooks, is covered by :meth:`FakeTwilio.inbound_params`,
:meth:`FakeTwilio.status_params` and :meth:`FakeTwilio.sign` (the ``X-Twilio-Signature``).

Things copied from Twilio on purpose, because the bot must cope with them:

* Errors use Twilio's legacy JSON shape (``code``, ``message``, ``more_info``, ``status``);
  the library turns them into ``TwilioRestException`` with ``.status`` (HTTP) and ``.code``
  (Twilio's error code) and prefixes the message with "Unable to create record: ".
* WhatsApp's 24-hour customer-service window: a free-form message (``Body``, no
  ``ContentSid``) to someone who has not written in the last 24 hours is still *accepted*
  (201, ``status`` "queued"); it fails later with error 63016, which Twilio only reports through
  the status callback. The fake marks it in ``SentMessage.final_status``/``error_code``; post
  :meth:`FakeTwilio.status_params` to the bot's callback to deliver that news. Template
  messages (``ContentSid``) may be sent at any time.
* The library form-encodes whatever it is given without checking types: a dict passed as
  ``content_variables=`` is sent as its keys (``ContentVariables=1&ContentVariables=2``), which
  Twilio (and this fake) rejects with 21656. Always pass ``json.dumps(...)``.
* Repeated form fields (``MediaUrl``) are kept in ``SentMessage.media_urls``; ``fields`` keeps
  the last value of each name.

* Failures to inject, checked before authentication: :meth:`FakeTwilio.fail_next` (a Twilio
  error), :meth:`FakeTwilio.hang_next` (no answer until :meth:`FakeTwilio.release`),
  :meth:`FakeTwilio.html_next` (an HTML page with 200) and :meth:`FakeTwilio.drop_next` (the
  connection cut mid-response).

Not modelled: Messaging Services (``MessagingServiceSid``), SMS, fetching or listing messages,
scheduled sends. Requests go through ``tests/fakes/loopback.py``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import itertools
import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Final
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from twilio.request_validator import RequestValidator

from tests.fakes.loopback import LoopbackServer

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

_E164_RE: Final = re.compile(r"\+[1-9][0-9]{6,14}")
_CHANNEL_INSTALL_SID: Final = "XE" + "0" * 30 + "42"
_RECENT_CALLS_SHOWN: Final = 8


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
        return _bare(self.to)

    @property
    def is_template(self) -> bool:
        return self.content_sid is not None


@dataclass
class _Failure:
    status: int
    body: JSONDict
    headers: dict[str, str]
    remaining: int
    mode: str = "error"  # error | hang | html | drop


class _Dropped(Exception):
    """Raised by the fake to cut a connection mid-response (see :meth:`FakeTwilio.drop_next`)."""


class _QuietDrops(logging.Filter):
    """uvicorn logs the exception that cut the connection; a drop the test asked for is no
    error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], _Dropped))


HTML_PAGE: Final = (
    "<!DOCTYPE html><html><head><title>Service Unavailable</title></head>"
    "<body><h1>Please try again later</h1></body></html>"
)


class _ApiError(Exception):
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


class FakeTwilio:
    """An in-process, loopback-only stand-in for Twilio's Messages API on one WhatsApp sender.

    State is plain attributes so tests can assert on it directly:

    * ``calls``: every request received, in arrival order.
    * ``messages``: messages the API accepted, in order.
    * ``blocked``: numbers that answer 400 / 21610 (unsubscribed), see :meth:`block`.

    ``clock`` returns epoch seconds; it dates messages and drives the 24-hour window (with the
    repo's ManualClock: ``clock=lambda: manual.now().timestamp()``). Create the fake inside the
    test's event loop.
    """

    def __init__(
        self,
        *,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        whatsapp_number: str = DEFAULT_WHATSAPP_NUMBER,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if re.fullmatch(r"AC[0-9a-f]{32}", account_sid):
            raise ValueError("FakeTwilio refuses account SIDs shaped like real ones")
        if not _E164_RE.fullmatch(whatsapp_number):
            raise ValueError(f"whatsapp_number must be E.164 like +390583000000: {whatsapp_number}")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.whatsapp_number = whatsapp_number
        self.calls: list[Call] = []
        self.messages: list[SentMessage] = []
        self.blocked: set[str] = set()

        self._clock = clock
        self._last_inbound: dict[str, float] = {}
        self._sids = itertools.count(1)
        self._failures: list[_Failure] = []
        self._released = asyncio.Event()
        self._validator = RequestValidator(auth_token)
        self._calls_changed = asyncio.Condition()
        self._server = LoopbackServer(self._build_app(), name="FakeTwilio")

    # ---------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> FakeTwilio:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Serve on an OS-assigned loopback port inside the running event loop."""
        await self._server.start()

    async def stop(self) -> None:
        self.release()
        await self._server.stop()

    @property
    def url(self) -> str:
        """Root URL, e.g. ``http://127.0.0.1:PORT``: set ``client.api.base_url`` to it."""
        return self._server.url

    @property
    def sender(self) -> str:
        """The ``From`` the API accepts: ``whatsapp:`` + :attr:`whatsapp_number`."""
        return f"whatsapp:{self.whatsapp_number}"

    @property
    def messages_path(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"

    # ---------------------------------------------------------------- steering the fake

    def fail_next(
        self,
        status: int,
        code: int,
        message: str,
        times: int = 1,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` Messages POSTs with this Twilio error instead of serving
        them, e.g. ``fail_next(429, 20429, "Too Many Requests")``. Checked before
        authentication; nothing is recorded in :attr:`messages`."""
        self._failures.append(
            _Failure(status, error_body(status, code, message), dict(headers or {}), times)
        )

    def hang_next(self, times: int = 1) -> None:
        """Hold the next ``times`` Messages POSTs without answering until :meth:`release`
        (or :meth:`stop`); then they are served as usual. The call is in :attr:`calls`
        with ``status`` ``None`` while it hangs."""
        self._failures.append(_Failure(0, {}, {}, times, mode="hang"))

    def release(self) -> None:
        """Let every hanging request (and any later :meth:`hang_next`) go on."""
        self._released.set()

    def html_next(self, times: int = 1) -> None:
        """Answer the next ``times`` Messages POSTs with an HTML page and status 200, as a
        proxy or a maintenance page in front of the API would; nothing is sent."""
        self._failures.append(_Failure(200, {}, {}, times, mode="html"))

    def drop_next(self, times: int = 1) -> None:
        """Drop the connection of the next ``times`` Messages POSTs after the status line
        and part of the body; nothing is sent."""
        self._failures.append(_Failure(201, {}, {}, times, mode="drop"))

    def block(self, number: str) -> None:
        """Messages to ``number`` (``+39...`` or ``whatsapp:+39...``) fail with 400 / 21610."""
        self.blocked.add(_bare(number))

    def unblock(self, number: str) -> None:
        self.blocked.discard(_bare(number))

    def inbound_from(self, number: str, at: float | None = None) -> None:
        """Record that ``number`` wrote to us at ``at`` (default: the clock's now), which opens
        its 24-hour window. Replaces any earlier record, so an old ``at`` closes the window."""
        self._last_inbound[_bare(number)] = self._clock() if at is None else at

    def window_open(self, number: str) -> bool:
        """Whether a free-form message to ``number`` would be delivered right now."""
        last = self._last_inbound.get(_bare(number))
        return last is not None and self._clock() - last <= WINDOW_SECONDS

    async def wait_for(
        self,
        predicate: Callable[[Sequence[Call]], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 - a built-in deadline keeps every test bounded
    ) -> None:
        """Wait until ``predicate(calls)`` holds; re-checked whenever a call arrives or is
        answered (so ``lambda _: len(fake.messages) >= 2`` works too)."""
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

    # ---------------------------------------------------------------- webhooks (Twilio -> us)

    def sign(self, url: str, params: dict[str, str]) -> str:
        """The ``X-Twilio-Signature`` Twilio would send when POSTing ``params`` to ``url``
        (the full URL as Twilio requested it, query string included)."""
        return str(self._validator.compute_signature(url, params))

    def inbound_params(
        self,
        from_number: str,
        body: str | None,
        *,
        message_sid: str | None = None,
        profile_name: str | None = "Anna",
        **extra: str,
    ) -> dict[str, str]:
        """The form Twilio POSTs to the incoming-message webhook when ``from_number`` writes
        on WhatsApp; also records the inbound for the 24-hour window.

        ``body=None`` gives an empty ``Body`` (as Twilio sends for media); ``profile_name=None``
        leaves ``ProfileName`` out. ``extra`` adds or overrides fields, e.g.
        ``MessageType="button", ButtonText="Sì", ButtonPayload="confirm"``, or
        ``NumMedia="1", MediaContentType0="image/jpeg", MediaUrl0=..., MessageType="image"``,
        or ``MessageType="location", Latitude="43.84", Longitude="10.50"``.
        """
        number = _bare(from_number)
        sid = message_sid if message_sid is not None else self._new_sid()
        params = {
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "ProfileName": profile_name or "",
            "MessageType": "text",
            "SmsSid": sid,
            "WaId": number.lstrip("+"),
            "SmsStatus": "received",
            "Body": body or "",
            "To": self.sender,
            "NumSegments": "1",
            "ReferralNumMedia": "0",
            "MessageSid": sid,
            "AccountSid": self.account_sid,
            "From": f"whatsapp:{number}",
            "ApiVersion": API_VERSION,
        }
        if profile_name is None:
            del params["ProfileName"]
        params.update(extra)
        self.inbound_from(number)
        return params

    def status_params(
        self,
        message_sid: str,
        status: str,
        error_code: str | None = None,
        *,
        to: str | None = None,
        **extra: str,
    ) -> dict[str, str]:
        """The form Twilio POSTs to a message's ``StatusCallback`` (``status`` one of "sent",
        "delivered", "read", "failed", "undelivered"). ``To`` comes from the sent message with
        that SID, or from ``to`` for a SID the fake did not issue; ``extra`` adds or overrides
        fields (e.g. ``ErrorMessage``)."""
        recipient = to
        if recipient is None:
            sent = next((m for m in self.messages if m.sid == message_sid), None)
            if sent is None:
                raise ValueError(f"no message {message_sid} was sent; pass to= explicitly")
            recipient = sent.to
        number = _bare(recipient)
        params = {
            "ChannelPrefix": "whatsapp",
            "ApiVersion": API_VERSION,
            "MessageStatus": status,
            "SmsSid": message_sid,
            "SmsStatus": status,
            "ChannelInstallSid": _CHANNEL_INSTALL_SID,
            "To": f"whatsapp:{number}",
            "From": self.sender,
            "MessageSid": message_sid,
            "StructuredMessage": "false",
            "AccountSid": self.account_sid,
            "ChannelToAddress": number[:-4] + "XXXX",
        }
        if error_code is not None:
            params["ErrorCode"] = error_code
        params.update(extra)
        return params

    # ---------------------------------------------------------------- HTTP layer

    def _build_app(self) -> Starlette:
        return Starlette(
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

    async def _messages_endpoint(self, request: Request) -> Response:
        raw = await request.body()
        pairs = parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
        call = Call(request.method, request.url.path, dict(pairs))
        self.calls.append(call)
        await self._notify_calls()
        failure = self._next_failure()
        if failure is not None and failure.mode == "hang":
            await self._released.wait()
            failure = None
        if failure is not None and failure.mode == "html":
            response: Response = HTMLResponse(HTML_PAGE, status_code=200)
        elif failure is not None and failure.mode == "drop":
            response = _DroppingResponse()
        else:
            response = self._serve(request, call, pairs, failure)
        call.status = response.status_code
        await self._notify_calls()
        return response

    def _serve(
        self, request: Request, call: Call, pairs: list[tuple[str, str]], failure: _Failure | None
    ) -> Response:
        try:
            if failure is not None:
                raise _api_error(failure)
            if _basic_credentials(request) != (self.account_sid, self.auth_token):
                raise _ApiError(401, AUTHENTICATE, "Authenticate")
            if request.path_params["account_sid"] != self.account_sid:
                raise _ApiError(404, NOT_FOUND, f"The requested resource {call.path} was not found")
            message = self._accept(call.fields, [v for k, v in pairs if k == "MediaUrl"])
            return JSONResponse(self._resource(message), status_code=201)
        except _ApiError as error:
            call.error_code = error.code
            return JSONResponse(error.body, status_code=error.status, headers=error.headers)

    async def _not_found(self, request: Request) -> Response:
        call = Call(request.method, request.url.path, {})
        self.calls.append(call)
        error = _ApiError(404, NOT_FOUND, f"The requested resource {call.path} was not found")
        call.status, call.error_code = error.status, error.code
        await self._notify_calls()
        return JSONResponse(error.body, status_code=error.status)

    def _next_failure(self) -> _Failure | None:
        """The failure the next request gets, if one was asked for (checked before
        authentication)."""
        if not self._failures:
            return None
        failure = self._failures[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            self._failures.pop(0)
        return failure

    async def _notify_calls(self) -> None:
        async with self._calls_changed:
            self._calls_changed.notify_all()

    # ---------------------------------------------------------------- Messages

    def _accept(self, fields: dict[str, str], media_urls: list[str]) -> SentMessage:
        """Validate a create request as Twilio does and record the accepted message."""
        to, sender = fields.get("To", ""), fields.get("From", "")
        if not to:
            raise _ApiError(400, TO_REQUIRED, "A 'To' phone number is required.")
        if not sender:
            raise _ApiError(400, FROM_REQUIRED, "A 'From' phone number is required.")
        if sender != self.sender:
            raise _ApiError(
                400,
                INVALID_FROM,
                f"The 'From' number {sender} is not a valid phone number, shortcode, "
                "or alphanumeric sender ID.",
            )
        if not _E164_RE.fullmatch(_bare(to)):
            raise _ApiError(400, INVALID_TO, f"The 'To' number {to} is not a valid phone number.")
        if not to.startswith("whatsapp:"):
            raise _ApiError(
                400,
                CHANNEL_MISMATCH,
                "Invalid From and To pair. From and To should be of the same channel",
            )
        content_sid = fields.get("ContentSid") or None
        variables: JSONDict | None = None
        body = fields.get("Body")
        if content_sid is not None:
            if not content_sid.startswith("HX"):
                raise _ApiError(400, INVALID_CONTENT_SID, "The ContentSid is Invalid.")
            if "ContentVariables" in fields:
                variables = _json_object(fields["ContentVariables"])
                if variables is None:
                    raise _ApiError(
                        400, INVALID_CONTENT_VARIABLES, "The ContentVariables Parameter is invalid."
                    )
        elif not body and not media_urls:
            raise _ApiError(
                400, BODY_REQUIRED, "A text message body or media urls must be specified."
            )
        elif body is not None and len(body) > BODY_LIMIT:
            raise _ApiError(
                400,
                BODY_TOO_LONG,
                "The concatenated message body exceeds the 1600 character limit.",
            )
        if _bare(to) in self.blocked:
            raise _ApiError(400, UNSUBSCRIBED, "Attempt to send to unsubscribed recipient")

        message = SentMessage(
            sid=self._new_sid(),
            fields=dict(fields),
            to=to,
            from_=sender,
            body=body,
            content_sid=content_sid,
            content_variables=variables,
            status_callback=fields.get("StatusCallback"),
            media_urls=media_urls,
            created_at=self._clock(),
        )
        if content_sid is None and not self.window_open(to):
            message.final_status = "failed"
            message.error_code = OUTSIDE_WINDOW
            message.error_message = OUTSIDE_WINDOW_MESSAGE
        self.messages.append(message)
        return message

    def _resource(self, message: SentMessage) -> JSONDict:
        """The Message resource as the create call returns it."""
        created = format_datetime(datetime.fromtimestamp(message.created_at, UTC))
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{message.sid}"
        return {
            "account_sid": self.account_sid,
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

    def _new_sid(self) -> str:
        return f"SM{next(self._sids):032x}"


# -------------------------------------------------------------------- helpers


def _api_error(failure: _Failure) -> _ApiError:
    error = _ApiError(failure.status, int(failure.body["code"]), str(failure.body["message"]))
    error.headers = failure.headers
    return error


class _DroppingResponse(Response):
    """Starts a 201 with a JSON body, sends half of it, then cuts the connection."""

    def __init__(self) -> None:
        super().__init__(b'{"sid": "SM', status_code=201, media_type="application/json")
        self.headers["content-length"] = "400"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        await send({"type": "http.response.body", "body": self.body, "more_body": True})
        raise _Dropped


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


def _bare(number: str) -> str:
    """``whatsapp:+39...`` -> ``+39...``."""
    return number.removeprefix("whatsapp:")


def _json_object(raw: str) -> JSONDict | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else None


def _describe(call: Call) -> str:
    code = f" ({call.error_code})" if call.error_code is not None else ""
    return f"  {call.method} {call.path} -> {call.status}{code} To={call.fields.get('To')}"
