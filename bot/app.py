"""Composition root: settings, database, content, translations and the engine, wired once."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock, SystemClock
from bot.content import load_content
from bot.flows.engine import Engine
from bot.i18n import load_translators
from bot.settings import Settings
from storage.db import Database


@dataclass
class App:
    settings: Settings
    db: Database
    engine: Engine
    clock: Clock

    async def close(self) -> None:
        await self.db.close()


async def build_app(settings: Settings, clock: Clock | None = None) -> App:
    clock = clock or SystemClock()
    content = load_content(settings)
    translators = load_translators(settings.locales_dir)
    db = await Database.open(settings.database)
    engine = Engine(db, settings, content, translators, clock)
    return App(settings=settings, db=db, engine=engine, clock=clock)
