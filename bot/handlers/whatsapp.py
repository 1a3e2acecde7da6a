"""WhatsApp through Twilio: webhooks in, REST messages out, within WhatsApp's rules.

Inbound: Twilio posts a signed form for every message; the signature is checked against the
configured public URL (what Twilio signed), never the URL this process sees behind a proxy.
Outbound: options become a numbered list; inside 24 hours of the person's last message we
send free text, outside it only the approved template for that kind of message, and a kind
without a template is recorded as "no template" rather than silently lost. Which of these
applies is decided by bot/capabilities/messaging.py; the adapter asks and renders. Twilio
tells the fate of each message later, through the status callback.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator

from bot.capabilities import messaging
from bot.capabilities.messaging import Route
from bot.channels import Blocked, NoTemplate, RetryLater, SendFailed, Template, Unavailable
from bot.clock import Clock
from bot.domain import Channel, Inbound, InboundKind, Reply
from bot.flows.engine import Engine
from bot.flows.options import button_data
from bot.handlers.twilio_forms import inbound_problem, status_problem
from bot.languages import phone_language
from bot.phone import e164_number
from bot.settings import Twilio
from bot.text import split_text
from storage.db import Database

log = logging.getLogger(__name__)

MAX_BODY = 1600
# Seconds a call to Twilio may take, all told (its Messages API answers in well under one).
# The twilio library's async client accepts a timeout but never applies it: this is the one.
TWILIO_TIMEOUT = 10.0
# WhatsApp's limits for a quick-reply message: body text and button titles.
QUICK_REPLY_TEXT = 1024
QUICK_REPLY_TITLE = 20
WORD_ENDS = " ,;:.!?-–"
INBOUND_PATH = "/whatsapp/inbound"
STATUS_PATH = "/whatsapp/status"
MEDIA_TYPES = frozenset({"image", "audio", "video", "document", "sticker", "location", "contacts"})

TWILIO_ERRORS = {
    "63016": "outside the 24-hour window: only an approved template can be sent",
    "63014": "the person blocked this business on WhatsApp",
    "21610": "the person opted out of messages from this number",
    "63024": "invalid recipient",
    "63003": "the number is not on WhatsApp",
}
BLOCKING_ERRORS = frozenset({"63014", "21610", "63024", "63003"})
DELIVERY_ORDER = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 4}


def inbound_event(params: Mapping[str, str]) -> Inbound | None:
    """The event a Twilio WhatsApp webhook means; None when it is not a usable message."""
    number = e164_number(params.get("From", ""))
    sid = params.get("MessageSid")
    if number is None or not sid:
        return None

    def event(kind: InboundKind, text: str = "", data: str = "") -> Inbound:
        return Inbound(
            channel=Channel.WHATSAPP,
            external_id=number,
            kind=kind,
            text=text,
            data=data,
            # WhatsApp says nothing of the phone's language: a number whose country suggests
            # one language (bot/languages.py) gets it, others choose.
            language_hint=phone_language(number),
            dedupe_key=f"whatsapp:{sid}",
            profile_name=params.get("ProfileName") or None,
        )

    if params.get("ButtonPayload"):
        return event(InboundKind.BUTTON, data=params["ButtonPayload"])
    media = params.get("NumMedia", "0")
    if (media.isdigit() and int(media) > 0) or "Latitude" in params:
        return event(InboundKind.MEDIA)
    if params.get("MessageType") in MEDIA_TYPES:
        return event(InboundKind.MEDIA)
    return event(InboundKind.TEXT, text=params.get("Body", ""))


def render_text(reply: Reply) -> str:
    """A reply as WhatsApp text: options numbered, with how to answer."""
    if not reply.options:
        return reply.text
    lines = [reply.text, ""]
    lines += [f"{number}. {option.label}" for number, option in enumerate(reply.options, 1)]
    if reply.hint:
        lines += ["", reply.hint]
    return "\n".join(lines)


def button_title(label: str) -> str:
    """A label within WhatsApp's 20 characters for a button title: cut at a word boundary
    with an ellipsis ("🙋 Parla con una…"), never mid-word unless one word is too long."""
    if len(label) <= QUICK_REPLY_TITLE:
        return label
    room = QUICK_REPLY_TITLE - 1  # the ellipsis
    head = label[:room]
    if label[room] not in WORD_ENDS and head.rfind(" ") > 0:  # mid-word: drop that word
        head = head[: head.rfind(" ")]
    return head.rstrip(WORD_ENDS) + "…"


@dataclass(frozen=True)
class Signed:
    """A webhook's form and the signature Twilio sent with it."""

    params: dict[str, str]
    signature: str


class WhatsAppSender:
    def __init__(
        self,
        client: Any,
        settings: Twilio,
        public_url: str,
        db: Database,
        clock: Clock,
        *,
        timeout: float = TWILIO_TIMEOUT,
    ) -> None:
        self.client = client
        self.timeout = timeout
        self.settings = settings
        self.status_url = public_url + STATUS_PATH
        self.db = db
        self.clock = clock

    async def send(
        self,
        external_id: str,
        replies: Sequence[Reply],
        *,
        template: Template | None = None,
        outbox_id: int | None = None,
    ) -> None:
        async with self.db.read() as tx:
            way = await messaging.whatsapp_route(
                tx,
                external_id,
                template,
                self.settings.templates,
                self.settings.daily_template_cap,
                self.clock.now(),
            )
        if way.route is Route.FREE_TEXT:
            for reply in replies:
                await self._free_form(external_id, reply, outbox_id, record=True)
        elif way.route is Route.NO_TEMPLATE:
            kind = way.template_kind or "this kind of message"
            raise NoTemplate(f"outside the 24-hour window and no template for {kind}")
        elif way.route is Route.OVER_CAP:
            raise RetryLater(way.retry_after)
        else:
            assert template is not None
            assert way.content_sid is not None
            await self._create(
                outbox_id,
                record=True,
                to=external_id,
                content_sid=way.content_sid,
                content_variables=json.dumps(
                    template.variables_in(way.language or template.language), ensure_ascii=False
                ),
            )

    async def reply(self, external_id: str, replies: Sequence[Reply]) -> None:
        """Answers to a message the person has just sent: the window is open by definition
        (even when the person was just erased and no identity is left to look up).

        They are not recorded as deliveries: no outbox row waits for their status and they
        never count against the template cap, so a record would only cost a second write
        transaction per message. A blocking error in their status callback still marks the
        number unreachable (by number, see `WhatsAppWebhooks.status`)."""
        for reply in replies:
            await self._free_form(external_id, reply, None, record=False)

    async def _free_form(
        self, external_id: str, reply: Reply, outbox_id: int | None, *, record: bool
    ) -> None:
        """Buttons through a quick-reply template where one fits, numbered text otherwise."""
        template = self.settings.quick_replies.get(len(reply.options))
        titles = [button_title(option.label) for option in reply.options]
        # A shortened title: the full labels go in the text, numbered, so nothing is lost.
        shortened = titles != [option.label for option in reply.options]
        text = render_text(reply) if shortened else reply.text
        if template and reply.seq is not None and len(text) <= QUICK_REPLY_TEXT:
            variables = {"1": text}
            for index, (option, title) in enumerate(zip(reply.options, titles, strict=True)):
                variables[str(2 + 2 * index)] = title
                variables[str(3 + 2 * index)] = button_data(reply.seq, option.id)
            await self._create(
                outbox_id,
                record=record,
                to=external_id,
                content_sid=template,
                content_variables=json.dumps(variables, ensure_ascii=False),
            )
            return
        for body in split_text(render_text(reply), MAX_BODY):
            await self._create(outbox_id, record=record, to=external_id, body=body)

    async def _create(self, outbox_id: int | None, *, record: bool, to: str, **fields: str) -> None:
        try:
            async with asyncio.timeout(self.timeout):
                message = await self.client.messages.create_async(
                    to=f"whatsapp:{to}",
                    from_=f"whatsapp:{self.settings.whatsapp_number}",
                    status_callback=self.status_url,
                    **fields,
                )
        except TwilioRestException as exc:
            raise _send_error(exc) from exc
        except TimeoutError as exc:
            raise Unavailable(f"Twilio did not answer within {self.timeout:g} s") from exc
        except Exception as exc:
            # A dropped connection (aiohttp.ClientError), a page that is not Twilio's JSON
            # (ValueError), anything else: the type only, as messages may quote the request.
            raise Unavailable(f"Twilio unusable: {type(exc).__name__}") from exc
        if not record:
            return
        async with self.db.write() as tx:
            await messaging.record_sent(
                tx,
                Channel.WHATSAPP,
                str(message.sid),
                outbox_id,
                self.clock.now(),
                template="content_sid" in fields,
            )


def _send_error(exc: TwilioRestException) -> SendFailed:
    code = str(exc.code) if exc.code is not None else ""
    if exc.status == 429 or code == "20429":
        return RetryLater(1.0)
    if code in BLOCKING_ERRORS:
        return Blocked(f"Twilio {code}: {TWILIO_ERRORS[code]}")
    return SendFailed(f"Twilio {exc.status} {code}".strip())


class WhatsAppWebhooks:
    """The two Twilio webhooks, independent of the web framework: params in, status out."""

    def __init__(
        self, engine: Engine, sender: WhatsAppSender, settings: Twilio, public_url: str
    ) -> None:
        self.engine = engine
        self.sender = sender
        self.validator = RequestValidator(settings.auth_token)
        self.account_sid = settings.account_sid
        self.inbound_url = public_url + INBOUND_PATH
        self.status_url = public_url + STATUS_PATH

    def _valid(self, url: str, signed: Signed) -> bool:
        return bool(signed.signature) and bool(
            self.validator.validate(url, signed.params, signed.signature)
        )

    async def inbound(self, signed: Signed) -> tuple[int, list[Reply], str | None]:
        """(HTTP status, replies to send, recipient) for an inbound message."""
        if not self._valid(self.inbound_url, signed):
            log.warning("rejected a WhatsApp webhook with a missing or wrong signature")
            return 403, [], None
        problem = inbound_problem(signed.params, self.account_sid)
        if problem is not None:
            # The field's name only: its value may be a phone number or a message.
            log.warning("refused a WhatsApp webhook whose %s is not shaped as Twilio's", problem)
            return 400, [], None
        event = inbound_event(signed.params)
        if event is None:
            log.warning("rejected a WhatsApp webhook without a valid sender or message id")
            return 400, [], None
        return 200, await self.engine.handle(event), event.external_id

    async def answer(self, recipient: str, replies: list[Reply]) -> None:
        """Send the answers to an inbound message (after Twilio has its 200)."""
        try:
            await self.sender.reply(recipient, replies)
        except Blocked:
            log.info("a WhatsApp number cannot receive our messages; marked unreachable")
            await self.engine.mark_unreachable(Channel.WHATSAPP, recipient)
        except SendFailed as exc:
            log.warning("could not send an answer (%s); planned again", type(exc).__name__)
            await self.engine.answers_undelivered(Channel.WHATSAPP, recipient)
        except Exception as exc:  # whatever it was, the person must not be left in silence
            log.error("could not send an answer (%s); planned again", type(exc).__name__)
            await self.engine.answers_undelivered(Channel.WHATSAPP, recipient)
        else:
            self.engine.answers_delivered(replies)

    async def status(self, signed: Signed) -> int:
        if not self._valid(self.status_url, signed):
            log.warning("rejected a Twilio status callback with a missing or wrong signature")
            return 403
        problem = status_problem(signed.params, self.account_sid)
        if problem is not None:
            log.warning(
                "refused a Twilio status callback whose %s is not shaped as Twilio's", problem
            )
            return 400
        sid = signed.params["MessageSid"]
        status = signed.params.get("MessageStatus") or signed.params["SmsStatus"]
        code = signed.params.get("ErrorCode") or None
        known = await self.engine.record_delivery(
            Channel.WHATSAPP, sid, status, code, TWILIO_ERRORS.get(code or "")
        )
        if not known:
            # Answers to a person's own message are not recorded (see WhatsAppSender.reply).
            log.debug("status callback for a message with no delivery record")
        if code in BLOCKING_ERRORS:
            recipient = e164_number(signed.params.get("To", ""))
            if recipient:
                await self.engine.mark_unreachable(Channel.WHATSAPP, recipient)
        return 200


def twilio_client(settings: Twilio) -> Any:
    """The twilio client, async, pointed at the configured API base URL."""
    from twilio.http.async_http_client import AsyncTwilioHttpClient
    from twilio.rest import Client

    client = Client(settings.account_sid, settings.auth_token, http_client=AsyncTwilioHttpClient())
    client.api.base_url = settings.api_url
    # TWILIO_EDGE / TWILIO_REGION in the environment would rewrite the configured host.
    client.edge = client.region = None
    return client
