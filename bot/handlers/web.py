"""One web server for every webhook: Telegram, Twilio WhatsApp and its status callbacks, and
a health check. Starlette under uvicorn; handlers stay thin and call the channels."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import Update
from telegram.ext import Application

from bot.handlers.whatsapp import (
    INBOUND_PATH,
    STATUS_PATH,
    Signed,
    WhatsAppWebhooks,
)
from storage.db import Database

log = logging.getLogger(__name__)

TELEGRAM_PATH = "/telegram/webhook"
# Real webhooks are a few kilobytes; anything much larger is refused before it is read.
MAX_BODY = 64 * 1024
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def limited(
    handler: Callable[[Request, bytes], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            body = await read_body(request)
        except BodyTooLarge:
            log.warning("refused a request body over %d bytes on %s", MAX_BODY, request.url.path)
            return PlainTextResponse("Request body too large", status_code=413)
        return await handler(request, body)

    return endpoint


def twilio_form(request: Request, body: bytes) -> Signed | None:
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return None
    try:
        params = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
    except (UnicodeDecodeError, ValueError):
        return None
    return Signed(params, request.headers.get("x-twilio-signature", ""))


def build_web_app(
    db: Database,
    *,
    telegram: Application | None = None,  # type: ignore[type-arg]
    telegram_secret: str | None = None,
    whatsapp: WhatsAppWebhooks | None = None,
    desk: list[BaseRoute] | None = None,
) -> Starlette:
    async def health(request: Request) -> Response:
        try:
            result = await db.quick_check()
        except Exception as exc:  # the check itself failing is the answer
            log.error("health check failed: %s", type(exc).__name__)
            return JSONResponse({"status": "error"}, status_code=503)
        status = 200 if result == "ok" else 503
        return JSONResponse({"status": "ok" if status == 200 else "error"}, status_code=status)

    async def telegram_webhook(request: Request, body: bytes) -> Response:
        assert telegram is not None
        assert telegram_secret is not None
        given = request.headers.get("x-telegram-bot-api-secret-token", "")
        if not hmac.compare_digest(given.encode(), telegram_secret.encode()):
            log.warning("refused a Telegram webhook call with a wrong secret token")
            return PlainTextResponse("Forbidden", status_code=403)
        if not telegram.running:  # still connecting to Telegram: it will deliver it again
            return PlainTextResponse("Not ready", status_code=503)
        try:
            update = Update.de_json(json.loads(body), telegram.bot)
        except Exception:  # any body Telegram would never send: deep nesting, huge numbers...
            log.warning("refused a Telegram webhook body that is not an update")
            return PlainTextResponse("Bad Request", status_code=400)
        # Answer only once the update is handled and stored: Telegram retries otherwise.
        await telegram.process_update(update)
        return PlainTextResponse("OK")

    async def whatsapp_inbound(request: Request, body: bytes) -> Response:
        assert whatsapp is not None
        signed = twilio_form(request, body)
        if signed is None:
            log.warning("refused a WhatsApp webhook that is not a form")
            return PlainTextResponse("Expected a form", status_code=415)
        status, replies, recipient = await whatsapp.inbound(signed)
        if status != 200:
            return PlainTextResponse("Refused", status_code=status)
        task = None
        if replies and recipient is not None:
            # The answer goes through the REST API, after Twilio has its 200.
            task = BackgroundTask(whatsapp.answer, recipient, replies)
        return Response(EMPTY_TWIML, media_type="text/xml", background=task)

    async def whatsapp_status(request: Request, body: bytes) -> Response:
        assert whatsapp is not None
        signed = twilio_form(request, body)
        if signed is None:
            return PlainTextResponse("Expected a form", status_code=415)
        return PlainTextResponse("", status_code=await whatsapp.status(signed))

    routes: list[BaseRoute] = [Route("/healthz", health, methods=["GET"])]
    if telegram is not None and telegram_secret is not None:
        routes.append(Route(TELEGRAM_PATH, limited(telegram_webhook), methods=["POST"]))
    if whatsapp is not None:
        routes.append(Route(INBOUND_PATH, limited(whatsapp_inbound), methods=["POST"]))
        routes.append(Route(STATUS_PATH, limited(whatsapp_status), methods=["POST"]))
    # The back-office (bot.backoffice.desk_server.desk_routes), when it is served here.
    routes += desk or []
    return Starlette(routes=routes)
