"""The ASGI web app the two webhook fuzz suites post into, with its fakes."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message

from bot.app import App, build_app
from bot.clock import ManualClock
from bot.handlers.telegram import build_application
from bot.handlers.web import build_web_app
from bot.handlers.whatsapp import WhatsAppSender, WhatsAppWebhooks
from bot.handlers.whatsapp import twilio_client as make_twilio_client
from tests.direct_db import Reader, Target, connect
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.fuzz_support import (
    PUBLIC,
    SECRET,
    settings_on,
)


async def asgi_post(web: ASGIApp, path: str, body: bytes, headers: dict[str, str]) -> int:
    """POST straight into the ASGI app, as uvicorn would hand it a request (a few times
    cheaper than going through an HTTP client, which matters at 100,000 requests). Returns
    the status once the app is done, background tasks included; an exception the app lets
    out propagates (uvicorn would answer 500)."""
    raw_headers = [(b"host", b"internal"), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw_headers,
        "client": ("127.0.0.1", 40000),
        "server": ("internal", 80),
    }
    finished = asyncio.Event()
    delivered = False
    status = 0

    async def receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])

    try:
        await web(scope, receive, send)
    finally:
        finished.set()
    assert status, "the app never answered"
    return status


@dataclass
class Web:
    app: App
    twilio: FakeTwilio
    telegram: FakeTelegram
    asgi: ASGIApp
    database: Reader
    posts: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        status = await asgi_post(self.asgi, path, body, headers)
        self.posts += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        assert status < 500, (path, body[:200], status)
        return status

    def sent_texts(self) -> list[str]:
        texts = [m.body or "" for m in self.twilio.messages]
        texts += [json.dumps(m.content_variables or {}) for m in self.twilio.messages]
        texts += [str(c.params.get("text", "")) for c in self.telegram.calls]
        return texts


@contextlib.asynccontextmanager
async def web_app(
    folder: Path, clock: ManualClock, database: Target | None = None
) -> AsyncIterator[Web]:
    """The web app on ``database``, by default a new SQLite file in ``folder``."""
    database = database or folder / "web.db"
    async with (
        FakeTwilio(clock=lambda: clock.now().timestamp()) as twilio,
        FakeTelegram() as telegram,
    ):
        settings_ = settings_on(
            database,
            PUBLIC_URL=PUBLIC,
            TWILIO_ACCOUNT_SID=twilio.account_sid,
            TWILIO_AUTH_TOKEN=twilio.auth_token,
            TWILIO_WHATSAPP_NUMBER=twilio.whatsapp_number,
            TWILIO_API_URL=twilio.url,
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_API_URL=telegram.url,
            TELEGRAM_WEBHOOK_SECRET=SECRET,
        )
        assert settings_.twilio is not None
        app = await build_app(settings_, clock)
        db = connect(database)  # after the app made the file and its schema
        client = make_twilio_client(settings_.twilio)
        application = build_application(app.engine, telegram.token, telegram.url, rate_limit=False)
        try:
            async with application:
                await application.start()
                sender = WhatsAppSender(client, settings_.twilio, PUBLIC, app.db, clock)
                hooks = WhatsAppWebhooks(app.engine, sender, settings_.twilio, PUBLIC)
                web = build_web_app(
                    app.db,
                    telegram=application,
                    telegram_secret=SECRET,
                    whatsapp=hooks,
                )
                yield Web(app, twilio, telegram, web, db)
                await application.stop()
        finally:
            db.close()
            await client.http_client.close()
            await app.close()
