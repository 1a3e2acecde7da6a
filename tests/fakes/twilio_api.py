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

import itertools
import re
import time
from collections.abc import Callable, Sequence

from twilio.request_validator import RequestValidator

from tests.fakes.loopback import LoopbackServer
from tests.fakes.twilio_http import MessagesApi
from tests.fakes.twilio_messages import (
    InboundWindow,
    SentMessage,
    check_request,
    message_resource,
    new_message,
)
from tests.fakes.twilio_webhooks import inbound_form, status_form
from tests.fakes.twilio_wire import (
    API_VERSION,
    DEFAULT_ACCOUNT_SID,
    DEFAULT_AUTH_TOKEN,
    DEFAULT_WHATSAPP_NUMBER,
    E164_RE,
    OUTSIDE_WINDOW,
    WINDOW_SECONDS,
    Call,
    JSONDict,
    bare,
)

# What tests and benches import from here; the other constants are in ``twilio_wire``.
__all__ = [
    "DEFAULT_ACCOUNT_SID",
    "OUTSIDE_WINDOW",
    "WINDOW_SECONDS",
    "Call",
    "FakeTwilio",
    "SentMessage",
]


class FakeTwilio:
    """An in-process, loopback-only stand-in for Twilio's Messages API on one WhatsApp sender.

    State is plain attributes so tests can assert on it directly:

    * ``calls``: every request received, in arrival order.
    * ``messages``: messages the API accepted, in order.
    * ``blocked``: numbers that answer 400 / 21610 (unsubscribed), see :meth:`block`.

    ``clock`` returns epoch seconds; it dates messages and drives the 24-hour window (with the
    repo's ManualClock: ``clock=lambda: manual.now().timestamp()``). Create the fake inside the
    test's event loop.

    HTTP serving, the call log and injected failures live in a
    :class:`~tests.fakes.twilio_http.MessagesApi`, the 24-hour window in an
    :class:`~tests.fakes.twilio_messages.InboundWindow`; request validation and the webhook
    forms are functions of ``twilio_messages`` and ``twilio_webhooks``.
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
        if not E164_RE.fullmatch(whatsapp_number):
            raise ValueError(f"whatsapp_number must be E.164 like +390583000000: {whatsapp_number}")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.whatsapp_number = whatsapp_number
        self._api = MessagesApi(self, self._create)
        self.calls: list[Call] = self._api.calls
        self.messages: list[SentMessage] = []
        self.blocked: set[str] = set()

        self._clock = clock
        self._window = InboundWindow(clock)
        self._sids = itertools.count(1)
        self._validator = RequestValidator(auth_token)
        self._server = LoopbackServer(self._api.app, name="FakeTwilio")

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
        self._api.faults.error(status, code, message, times, dict(headers or {}))

    def hang_next(self, times: int = 1) -> None:
        """Hold the next ``times`` Messages POSTs without answering until :meth:`release`
        (or :meth:`stop`); then they are served as usual. The call is in :attr:`calls`
        with ``status`` ``None`` while it hangs."""
        self._api.faults.hang(times)

    def release(self) -> None:
        """Let every hanging request (and any later :meth:`hang_next`) go on."""
        self._api.faults.release()

    def html_next(self, times: int = 1) -> None:
        """Answer the next ``times`` Messages POSTs with an HTML page and status 200, as a
        proxy or a maintenance page in front of the API would; nothing is sent."""
        self._api.faults.html(times)

    def drop_next(self, times: int = 1) -> None:
        """Drop the connection of the next ``times`` Messages POSTs after the status line
        and part of the body; nothing is sent."""
        self._api.faults.drop(times)

    def block(self, number: str) -> None:
        """Messages to ``number`` (``+39...`` or ``whatsapp:+39...``) fail with 400 / 21610."""
        self.blocked.add(bare(number))

    def unblock(self, number: str) -> None:
        self.blocked.discard(bare(number))

    def inbound_from(self, number: str, at: float | None = None) -> None:
        """Record that ``number`` wrote to us at ``at`` (default: the clock's now), which opens
        its 24-hour window. Replaces any earlier record, so an old ``at`` closes the window."""
        self._window.record(number, at)

    def window_open(self, number: str) -> bool:
        """Whether a free-form message to ``number`` would be delivered right now."""
        return self._window.is_open(number)

    async def wait_for(
        self,
        predicate: Callable[[Sequence[Call]], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 - a built-in deadline keeps every test bounded
    ) -> None:
        """Wait until ``predicate(calls)`` holds; re-checked whenever a call arrives or is
        answered (so ``lambda _: len(fake.messages) >= 2`` works too)."""
        await self._api.wait_for(predicate, timeout)

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
        params = inbound_form(
            account_sid=self.account_sid,
            sender=self.sender,
            from_number=from_number,
            sid=message_sid if message_sid is not None else self._new_sid(),
            body=body,
            profile_name=profile_name,
            extra=extra,
        )
        self.inbound_from(from_number)
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
        return status_form(
            account_sid=self.account_sid,
            sender=self.sender,
            message_sid=message_sid,
            status=status,
            recipient=to if to is not None else self._recipient_of(message_sid),
            error_code=error_code,
            extra=extra,
        )

    def _recipient_of(self, message_sid: str) -> str:
        sent = next((m for m in self.messages if m.sid == message_sid), None)
        if sent is None:
            raise ValueError(f"no message {message_sid} was sent; pass to= explicitly")
        return sent.to

    # ---------------------------------------------------------------- Messages

    def _create(self, fields: dict[str, str], media_urls: list[str]) -> JSONDict:
        return message_resource(self._accept(fields, media_urls), self.account_sid)

    def _accept(self, fields: dict[str, str], media_urls: list[str]) -> SentMessage:
        """Validate a create request as Twilio does and record the accepted message."""
        content = check_request(fields, media_urls, sender=self.sender, blocked=self.blocked)
        message = new_message(self._new_sid(), fields, media_urls, content, self._clock())
        if content.content_sid is None and not self.window_open(message.to):
            message.fail_outside_window()
        self.messages.append(message)
        return message

    def _new_sid(self) -> str:
        return f"SM{next(self._sids):032x}"
