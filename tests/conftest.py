"""Shared fixtures: settings on a temporary database, an app with a manual clock, a chat
driver that talks to the engine the way a channel adapter does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.clock import ManualClock
from bot.settings import Settings, load_settings
from tests.chat import Chat


def make_settings(database: Path, **extra: str) -> Settings:
    environ = {"SPORTELLO_DATABASE": str(database), **extra}
    return load_settings(environ=environ, dotenv=None)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "sportello.db")


@pytest.fixture
def clock() -> ManualClock:
    # A Tuesday morning in Lucca.
    return ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))


@pytest.fixture
async def app(settings: Settings, clock: ManualClock) -> AsyncIterator[App]:
    application = await build_app(settings, clock)
    yield application
    await application.close()


@pytest.fixture
def chat(app: App) -> Chat:
    return Chat(app.engine, "anna", language="en")
