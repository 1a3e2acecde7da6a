"""The notice comes first, a refusal stores only the refusal, people can see and erase."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

import pytest

from bot.app import App
from bot.capabilities import seats
from bot.domain import Channel
from tests.booking_helpers import booked_person
from tests.chat import Chat, complete_intake
from tests.workshop_helpers import new_workshop


async def test_no_question_before_the_notice(app: App, chat: Chat) -> None:
    replies = await chat.send("Hi, I am Anna and I need a job")
    assert "Before we start" in replies[-1].text
    assert [o.id for o in replies[-1].options] == ["notice.accept", "notice.read", "notice.refuse"]
    async with app.db.read() as tx:
        person = await tx.people.by_identity(Channel.TELEGRAM, "anna")
        assert person is not None
        assert await tx.answers.all(person.id) == {}


async def test_read_all_shows_the_full_notice_then_asks_again(app: App, chat: Chat) -> None:
    await chat.send("/start")
    replies = await chat.tap("notice.read")
    assert "Garante" in replies[0].text
    assert "dpo@example.org" in replies[0].text
    assert replies[-1].options[0].id == "notice.accept"


async def test_refusal_stores_only_the_refusal_and_gives_contacts(app: App, chat: Chat) -> None:
    await chat.send("/start")
    await chat.tap("notice.refuse")
    assert "We have stored none of your answers" in chat.last_text
    assert "sportello.lavoro@example.org" in chat.last_text
    await chat.send("Anna")  # not taken as an answer
    async with app.db.read() as tx:
        person = await tx.people.by_identity(Channel.TELEGRAM, "anna")
        assert person is not None
        assert await tx.answers.all(person.id) == {}
        history = await tx.consents.history(person.id)
    assert [(c.kind, c.version, c.granted) for c in history] == [("notice", "2026-12-02", False)]
    await chat.tap("refused.again")
    await chat.tap("notice.accept")
    assert chat.question.text.startswith("1/")


async def test_my_data_shows_everything_stored(app: App, chat: Chat) -> None:
    await chat.send("/start campaign_school")
    await complete_intake(chat)
    replies = await chat.send("/imieidati")
    text = replies[0].text
    assert "This is everything we store about you" in text
    assert "Telegram account anna" in text
    assert "campaign_school" in text
    assert "Privacy notice (version 2026-12-02) accepted on" in text
    assert "Workshop and job news: yes" in text
    assert "• Name: Anna" in text
    assert "• Experience: Five years as a waitress in Viareggio" in text
    assert "Answers confirmed on" in text


async def test_my_data_lists_appointments_and_workshops(app: App) -> None:
    chat = await booked_person(app, "anna")
    async with app.db.write() as tx:
        person = await tx.people.by_identity(Channel.TELEGRAM, "anna")
        assert person is not None
        workshop = await new_workshop(tx, app)
        await seats.register_seat(tx, app.settings.agenda, workshop, person.id, app.clock.now())
    text = (await chat.send("/imieidati"))[0].text
    assert re.search(r"• Appointment on \w+ \d+ \w+ at \d\d:\d\d: booked", text), text
    assert "• Workshop “CV clinic”, " in text
    assert ": you have a seat" in text
    chat.language = None
    await chat.send("/lingua")
    await chat.tap("lang.it")
    text = (await chat.send("/imieidati"))[0].text
    assert re.search(r"• Appuntamento \w+ \d+ \w+ alle \d\d:\d\d: prenotato", text), text
    assert "• Workshop «CV clinic», " in text


async def test_news_can_be_turned_off(app: App, chat: Chat) -> None:
    await complete_intake(chat)
    await chat.send("/avvisi")
    assert "You are receiving them now." in chat.question.text
    await chat.tap("news.no")
    assert "you will not receive the news" in chat.texts()
    async with app.db.read() as tx:
        person = await tx.people.by_identity(Channel.TELEGRAM, "anna")
        assert person is not None
        news = await tx.consents.latest(person.id, "announcements")
    assert news is not None
    assert not news.granted


async def test_erasure_can_be_cancelled(app: App, chat: Chat) -> None:
    await complete_intake(chat)
    await chat.send("/cancella")
    assert "anonymous counts" in chat.question.text
    assert "kept 24 months" in chat.question.text
    await chat.tap("erase.no")
    assert "nothing has been deleted" in chat.texts()
    async with app.db.read() as tx:
        assert await tx.people.by_identity(Channel.TELEGRAM, "anna") is not None


@pytest.mark.sqlite_only  # reads the file's bytes
async def test_erasure_leaves_no_personal_data_in_the_database_file(app: App) -> None:
    chat = Chat(app.engine, "4815162342")
    other = Chat(app.engine, "99887766")
    await chat.send("/start from_poster_xyz")
    await complete_intake(chat)
    await other.send("/start")
    await other.tap("notice.accept")
    await other.send("Zebedeo")
    await chat.send("/cancella")
    await chat.tap("erase.yes")
    assert "your data have been deleted" in chat.last_text
    await app.db.close()

    files = [app.db.path, Path(f"{app.db.path}-wal")]
    content = b"".join(p.read_bytes() for p in files if p.exists())
    for trace in (b"4815162342", b"Viareggio", b"from_poster_xyz", b"Anna", b"table_service"):
        assert trace not in content, trace
    assert b"Zebedeo" in content, "other people's data stay"

    # The anonymous count for the report stays; writing again starts from zero.
    from bot.app import build_app

    again = await build_app(app.settings, app.clock)
    try:
        async with again.db.read() as tx:
            assert await tx.stats.intake_count() == 1
        back = Chat(again.engine, "4815162342")
        replies = await back.send("hello")
        assert "Before we start" in replies[-1].text
    finally:
        await again.close()
        app.db = again.db


def file_bytes(app: App) -> bytes:
    """The raw bytes of the database file and its write-ahead log, as they are on disk now."""
    files = [app.db.path, Path(f"{app.db.path}-wal")]
    return b"".join(p.read_bytes() for p in files if p.exists())


@pytest.mark.sqlite_only  # reads the file's bytes
async def test_erasure_during_a_backup_leaves_no_copy_once_the_reader_ends(app: App) -> None:
    """A reader (`sportello backup`, an admin command) holding an older snapshot keeps the
    erased pages in the WAL; the checkpoint is retried until they are gone, and the person's
    answer does not wait for it."""
    chat = Chat(app.engine, "4815162342")
    await complete_intake(chat)
    reader = sqlite3.connect(app.db.path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT COUNT(*) FROM answers").fetchone()[0] > 0
        await chat.send("/cancella")
        await chat.tap("erase.yes")
        assert "your data have been deleted" in chat.last_text
        assert b"Viareggio" in file_bytes(app), "the reader's snapshot still needs them"
        assert not await app.db.checkpoint(), "a blocked checkpoint is reported, not ignored"
        reader.execute("COMMIT")
        await asyncio.wait_for(app.db.checkpoint_settled(), timeout=30)
        content = file_bytes(app)
        for trace in (b"4815162342", b"Viareggio", b"Anna", b"table_service"):
            assert trace not in content, trace
        assert file_bytes(app) == app.db.path.read_bytes(), "the log is empty"
    finally:
        reader.close()
