"""Composition root: settings, database, content, translations and the engine, wired once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import phonenumbers

from bot.capabilities import opening
from bot.channels import Sender
from bot.clock import Clock, SystemClock
from bot.content import load_content
from bot.domain import Channel
from bot.flows.engine import Engine
from bot.flows.operator_mail import OperatorMailer
from bot.handlers.email_sender import EmailSender
from bot.i18n import Translator, load_translators
from bot.ratelimit import RateLimiter
from bot.settings import Settings
from bot.zoom import ZoomClient
from scheduling.dispatcher import Dispatcher
from storage.backend import open_database
from storage.db import Database


@dataclass
class App:
    settings: Settings
    db: Database
    engine: Engine
    clock: Clock
    zoom: ZoomClient | None = None
    mailer: OperatorMailer | None = None  # operators' e-mails, when SMTP_HOST is set

    async def close(self) -> None:
        if self.zoom is not None:
            await self.zoom.aclose()
        await self.engine.close()
        await self.db.close()

    def dispatcher(
        self, senders: Mapping[Channel, Sender], limiters: Mapping[Channel, RateLimiter]
    ) -> Dispatcher:
        return Dispatcher(
            self.db,
            self.clock,
            self.settings.agenda,
            render_for_person=self.engine.render_for_person,
            render_for_operator=self.engine.render_for_operator,
            senders=senders,
            limiters=limiters,
            on_blocked=self.engine.mark_unreachable,
            zoom=self.zoom,
            mailer=self.mailer,
            before_tick=self.engine.flush_delivered,
        )


async def build_app(settings: Settings, clock: Clock | None = None) -> App:
    clock = clock or SystemClock()
    content = load_content(settings)
    translators = load_translators(settings.locales_dir)
    preload_library_data(translators.values(), clock.now())
    db = await open_database(settings.database, settings.database_url, settings.database_pool)
    async with db.write() as tx:
        await opening.seed(tx, settings.agenda, clock.now())  # the file seeds the hours once
    engine = Engine(db, settings, content, translators, clock)
    zoom = None
    if settings.zoom is not None:
        zoom = ZoomClient(
            account_id=settings.zoom.account_id,
            client_id=settings.zoom.client_id,
            client_secret=settings.zoom.client_secret,
            api_url=settings.zoom.api_url,
            oauth_url=settings.zoom.oauth_url,
            clock=clock,
        )
    mailer = None
    if settings.smtp is not None:
        tr = translators[settings.default_language]
        sender = EmailSender(settings.smtp)
        mailer = OperatorMailer(db, settings.agenda, content, tr, clock, sender)
    return App(settings=settings, db=db, engine=engine, clock=clock, zoom=zoom, mailer=mailer)


def preload_library_data(translators: Iterable[Translator], now: datetime) -> None:
    """Loads now the data files libraries would otherwise open at first use, on the event
    loop, in the middle of serving someone. phonenumbers loads a region's metadata the first
    time a number from it is parsed, under a lock it does not release if the file cannot be
    opened (no descriptors left): the next new region then blocks the loop for good. Babel
    reads each locale's data the first time a date is said in that language."""
    phonenumbers.PhoneMetadata.load_all()
    for translator in translators:
        translator.appointment(now)
        translator.moment(now)
        translator.day(now)
