"""The WhatsApp baseline server: `python -m bench.whatsapp_echo`, settings from the bot's
environment variables (PUBLIC_URL, SPORTELLO_PORT, TWILIO_*).

A bare Starlette app under uvicorn that reads the form, checks the signature with twilio's
RequestValidator, answers the empty TwiML and sends the text back through the twilio client in
a background task: the bot's own request path (same libraries, same background send after the
200) minus the conversation and the database."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Iterator
from typing import Any

from bench.whatsapp_load import INBOUND

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def whatsapp_echo_app(
    public_url: str, account_sid: str, auth_token: str, sender: str, api_url: str
) -> Any:
    """Signature check, empty TwiML, the text sent back through the twilio client after the
    200: the bot's request path without the conversation and the database."""
    from urllib.parse import parse_qsl

    from starlette.applications import Starlette
    from starlette.background import BackgroundTask
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route
    from twilio.http.async_http_client import AsyncTwilioHttpClient
    from twilio.request_validator import RequestValidator
    from twilio.rest import Client

    validator = RequestValidator(auth_token)
    client = Client(account_sid, auth_token, http_client=AsyncTwilioHttpClient())
    client.api.base_url = api_url
    client.edge = client.region = None
    inbound_url = public_url + INBOUND

    async def send(to: str, body: str) -> None:
        await client.messages.create_async(
            to=to, from_=f"whatsapp:{sender}", body=body, status_callback=public_url + "/status"
        )

    async def inbound(request: Request) -> Response:
        raw = await request.body()
        params = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        signature = request.headers.get("x-twilio-signature", "")
        if not signature or not validator.validate(inbound_url, params, signature):
            return PlainTextResponse("Refused", status_code=403)
        task = BackgroundTask(send, params.get("From", ""), params.get("Body") or "?")
        return Response(EMPTY_TWIML, media_type="text/xml", background=task)

    app = Starlette(routes=[Route(INBOUND, inbound, methods=["POST"])])
    app.state.twilio = client
    return app


def serve_whatsapp_echo() -> None:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn without its own signal handling, stopped cleanly on SIGTERM like the bot."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    async def serve() -> None:
        env = os.environ
        app = whatsapp_echo_app(  # inside the loop: the twilio client's session needs one
            env["PUBLIC_URL"].rstrip("/"),
            env["TWILIO_ACCOUNT_SID"],
            env["TWILIO_AUTH_TOKEN"],
            env["TWILIO_WHATSAPP_NUMBER"],
            env["TWILIO_API_URL"].rstrip("/"),
        )
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=int(env["SPORTELLO_PORT"]),
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=10,
        )
        server = Server(config)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
        try:
            await server.serve()
        finally:
            await app.state.twilio.http_client.close()

    asyncio.run(serve())


NEEDED = (
    "PUBLIC_URL",
    "SPORTELLO_PORT",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_WHATSAPP_NUMBER",
    "TWILIO_API_URL",
)

if __name__ == "__main__":
    import sys

    missing = [name for name in NEEDED if not os.environ.get(name)]
    if missing:
        sys.exit(
            f"python -m bench.whatsapp_echo needs {', '.join(missing)} (bench/whatsapp_load.py sets them)"
        )
    serve_whatsapp_echo()
