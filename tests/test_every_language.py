"""A whole intake and booking in every shipped language, on Telegram and on WhatsApp.

The same language-independent script (option ids, tests/chat.py) runs in each language; every
reply, rendered as each channel shows it, must come from that language's catalog: no English
sentence left in a chat in another language, and Arabic laid out right to left.
"""

from __future__ import annotations

import re
import unicodedata

import pytest

from bot.app import App
from bot.catalogs import PLACEHOLDER, extracted, msgid, read_catalog, required, strings
from bot.domain import Channel, Reply
from bot.handlers.telegram import keyboard
from bot.handlers.whatsapp import render_text
from bot.i18n import SHIPPED_LANGUAGES
from bot.languages import is_rtl
from tests.chat import Chat, complete_intake
from tests.workshop_helpers import new_workshop

FOUND = extracted()
FRAGMENT = 24  # English pieces this long are sentences, not names or shared words


def english_fragments(language: str) -> set[str]:
    """Pieces of English messages this language translates differently."""
    wanted = required(language, FOUND)
    english = {msgid(m): strings(m) for m in read_catalog("en") if m.id}
    pieces = set()
    for message in read_catalog(language):
        if not message.id or msgid(message) not in wanted:
            continue
        for source in english.get(msgid(message), []):
            if source in strings(message):
                continue  # the same in both ("WhatsApp", "Zoom")
            pieces |= {p.strip() for p in PLACEHOLDER.split(source) if len(p.strip()) >= FRAGMENT}
    return pieces


def starts_with_a_letter_of(text: str, script: str) -> bool:
    first = text.lstrip()[:1]
    return bool(first) and script in unicodedata.name(first, "")


def rendered(reply: Reply, channel: Channel) -> str:
    return render_text(reply) if channel is Channel.WHATSAPP else reply.text


async def book_in(app: App, language: str, channel: Channel) -> Chat:
    chat = Chat(app.engine, f"{language}-{channel.value}", language=language, channel=channel)
    await complete_intake(chat)
    day = next(o.id for o in chat.question.options if o.id.startswith("d."))
    await chat.tap(day)
    time = next(o.id for o in chat.question.options if o.id.startswith("t."))
    await chat.tap(time)
    return chat


@pytest.mark.parametrize("channel", [Channel.TELEGRAM, Channel.WHATSAPP])
@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
async def test_intake_and_booking_in_every_language(
    app: App, language: str, channel: Channel
) -> None:
    chat = await book_in(app, language, channel)
    async with app.db.read() as tx:
        person = await tx.people.by_identity(channel, chat.who)
        assert person is not None
        assert person.language == language
        assert len(await tx.bookings.active_for(person.id)) == 1
    translator = app.engine.translators[language]
    texts = [rendered(r, channel) for r in chat.replies]
    booked = translator.tr("✅ Booked! Your video meeting is on %(when)s, with %(operator)s.")
    assert any(booked.split("%")[0][:8] in t for t in texts), "no booking confirmation"
    if language != "en":
        fragments = english_fragments(language)
        assert len(fragments) > 200
        leaks = {f for f in fragments if any(f in t for t in texts)}
        assert not leaks, f"{language}: English left in the chat: {sorted(leaks)[:3]}"
    if is_rtl(language):
        wrong = [t[:40] for t in texts if not starts_with_a_letter_of(t, "ARABIC")]
        assert not wrong, f"messages not starting with an Arabic letter: {wrong}"
        for reply in chat.replies:
            markup = keyboard(reply)
            assert markup is None or all(len(row) == 1 for row in markup.inline_keyboard)


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
async def test_a_workshop_card_in_every_language(app: App, language: str) -> None:
    async with app.db.write() as tx:
        await new_workshop(tx, app)
    chat = Chat(app.engine, f"ws-{language}", language=language)
    await complete_intake(chat)
    before = len(chat.replies)
    await chat.send("/workshops")
    await chat.tap(next(o.id for o in chat.question.options if o.id.startswith("ws.open.")))
    texts = [r.text for r in chat.replies[before:]]
    assert any("CV clinic" in t for t in texts)
    if language != "en":
        leaks = {f for f in english_fragments(language) if any(f in t for t in texts)}
        assert not leaks, leaks
    if is_rtl(language):
        assert all(starts_with_a_letter_of(t, "ARABIC") for t in texts), texts


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
async def test_the_desks_hours_in_the_persons_language(app: App, language: str) -> None:
    chat = Chat(app.engine, f"hours-{language}", language=language)
    await chat.send("/start")
    await chat.tap("notice.accept")
    await chat.send("/operatore")
    desk = app.settings.desk
    assert desk.hours_for(language) in chat.texts()
    assert language == "it" or desk.hours_for(language) != desk.hours


def test_the_booking_confirmation_is_translated_everywhere() -> None:
    """The check above looks for the confirmation's opening words: they must differ."""
    openings = {
        language: next(
            strings(m)[0]
            for m in read_catalog(language)
            if m.id == "✅ Booked! Your video meeting is on %(when)s, with %(operator)s."
        )
        for language in SHIPPED_LANGUAGES
    }
    assert len({re.sub(r"\W", "", t)[:8] for t in openings.values()}) == len(SHIPPED_LANGUAGES)
