"""Yes/no questions answered in words: typed "sì", "no", "annulla" work as the buttons do."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.domain import Channel, Option
from bot.flows.options import CONFIRM_WORDS, match_text
from bot.i18n import SHIPPED_LANGUAGES
from tests.chat import Chat, complete_intake

ERASE = (Option("erase.yes", "🗑️ Sì, cancella tutto"), Option("erase.no", "No, tieni i miei dati"))
CANCEL = (Option("cancel.yes", "Yes, cancel it"), Option("cancel.no", "No, keep it"))


def test_every_shipped_language_has_its_yes_and_no_words() -> None:
    assert set(SHIPPED_LANGUAGES) <= set(CONFIRM_WORDS)


@pytest.mark.parametrize(
    ("typed", "language", "expected"),
    [
        ("no", "it", "erase.no"),
        ("No!", "en", "erase.no"),
        ("sì", "it", "erase.yes"),
        ("Si", "en", "erase.yes"),  # Italian works for everyone
        ("yes", "it", "erase.yes"),
        ("annulla", "it", "erase.no"),
        ("ANNULLA", "en", "erase.no"),
        ("2", "it", "erase.no"),
    ],
)
def test_yes_and_no_words(typed: str, language: str, expected: str) -> None:
    assert match_text(typed, ERASE, language) == (expected,)


def test_cancel_is_ambiguous_where_yes_means_cancelling() -> None:
    erase_en = (Option("erase.yes", "Yes, delete everything"), Option("erase.no", "No, keep"))
    assert match_text("cancel", erase_en, "en") == ("erase.no",)
    assert match_text("cancel", ERASE, "en") == ()  # "Sì, cancella tutto"
    assert match_text("cancel", CANCEL, "en") == ()
    assert match_text("no", CANCEL, "en") == ("cancel.no",)


def test_yes_and_no_words_need_a_yes_no_question() -> None:
    choices = (Option("lucca", "In the Comune di Lucca"), Option("elsewhere", "Somewhere else"))
    assert match_text("no", choices, "en") == ()


async def is_stored(app: App, who: str) -> bool:
    async with app.db.read() as tx:
        return await tx.people.by_identity(Channel.TELEGRAM, who) is not None


@pytest.mark.parametrize(("language", "typed"), [("it", "no"), ("it", "annulla"), ("en", "no")])
async def test_erasure_refused_in_words(app: App, language: str, typed: str) -> None:
    chat = Chat(app.engine, "anna", language=language)
    await complete_intake(chat)
    await chat.send("/cancella")
    await chat.send(typed)
    assert chat.question.options[0].id != "erase.yes"  # back where they were
    assert await is_stored(app, "anna")
    async with app.db.read() as tx:
        person = await tx.people.by_identity(Channel.TELEGRAM, "anna")
        assert person is not None
        news = await tx.consents.latest(person.id, "announcements")
    assert news is not None
    assert news.granted


@pytest.mark.parametrize(("language", "typed"), [("it", "sì"), ("it", "si"), ("en", "yes")])
async def test_erasure_confirmed_in_words(app: App, language: str, typed: str) -> None:
    chat = Chat(app.engine, "anna", language=language)
    await complete_intake(chat)
    await chat.send("/cancella")
    await chat.send(typed)
    assert not await is_stored(app, "anna")


@pytest.mark.parametrize(("language", "typed"), [("it", "no"), ("en", "no"), ("it", "annulla")])
async def test_restart_refused_in_words(app: App, language: str, typed: str) -> None:
    chat = Chat(app.engine, "anna", language=language)
    await chat.send("/start")
    await chat.tap("notice.accept")
    await chat.send("Anna")
    await chat.send("/ricomincia")
    await chat.send(typed)
    assert chat.question.text.startswith("2/")


async def test_restart_confirmed_in_words(app: App) -> None:
    chat = Chat(app.engine, "anna", language="it")
    await chat.send("/start")
    await chat.tap("notice.accept")
    await chat.send("Anna")
    await chat.send("/ricomincia")
    await chat.send("sì")
    assert chat.question.text.startswith("1/")
