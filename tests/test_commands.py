"""The command table: dispatch, /aiuto, the Telegram menu and every text that names a
command agree with it, in each language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.app import App
from bot.flows import commands
from bot.flows.commands import COMMANDS, Role
from bot.flows.engine import COMMANDS as DISPATCHED
from bot.flows.engine import STAFF_COMMANDS
from bot.handlers.telegram import build_application, publish_menu
from bot.i18n import SHIPPED_LANGUAGES, catalog_path
from tests.chat import Chat, complete_intake
from tests.fakes.telegram_api import FakeTelegram

ROOT = Path(__file__).resolve().parents[1]
MENTION = re.compile(r"(?<![\w/])/([a-z_]+)")


def shown_names(language: str) -> dict[str, commands.Command]:
    return {c.name(language): c for c in COMMANDS}


def mentions(language: str) -> list[tuple[str, str]]:
    """(command name, text) for every command named in the language's catalog and notice."""
    with catalog_path(ROOT / "locales", language).open("rb") as handle:
        catalog = read_po(handle, locale=language)
    texts: list[str] = []
    for message in catalog:
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        texts += [str(form) for form in forms if message.id and form]
    texts.append((ROOT / "config" / "privacy" / f"notice.{language}.txt").read_text())
    return [(name, text[:60]) for text in texts for name in MENTION.findall(text)]


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_every_command_a_text_names_exists_and_is_named_in_that_language(language: str) -> None:
    found = mentions(language)
    assert found  # the check looks at something
    wrong = [(name, text) for name, text in found if name not in shown_names(language)]
    assert wrong == []


def test_the_engine_dispatches_every_name_of_the_table() -> None:
    for command in COMMANDS:
        table = {Role.PERSON: DISPATCHED, Role.STAFF: STAFF_COMMANDS}.get(command.role)
        for name in command.names.values():
            assert table is None or table[name] == command.action


@pytest.mark.parametrize(
    ("language", "shown", "hidden"),
    [("en", "/mydata", "/imieidati"), ("it", "/imieidati", "/mydata")],
)
async def test_help_names_commands_in_the_persons_language(
    app: App, language: str, shown: str, hidden: str
) -> None:
    chat = Chat(app.engine, "anna", language=language)
    await complete_intake(chat)
    await chat.send("/help" if language == "en" else "/aiuto")
    help_text = chat.replies[-2].text
    assert shown in help_text
    assert hidden not in help_text
    for action in ("appointment", "workshops", "erase", "news"):
        assert commands.named(language)[action] in help_text


async def test_both_languages_names_work_for_everyone(app: App, chat: Chat) -> None:
    await complete_intake(chat)  # in English
    await chat.send("/imieidati")
    assert "This is everything we store about you" in chat.texts()
    assert "write /delete" in chat.texts()
    await chat.send("/appuntamento")
    assert "Your appointment" in chat.question.text or "no appointment" in chat.question.text


def test_the_notice_names_the_english_commands_in_english(app: App) -> None:
    english = app.engine.content.notice.text("en")
    assert "/mydata" in english
    assert "/imieidati" not in english
    assert "/imieidati" in app.engine.content.notice.text("it")


async def test_the_telegram_menu_has_every_person_command_in_each_language(app: App) -> None:
    async with FakeTelegram() as fake:
        application = build_application(app.engine, fake.token, fake.url)
        async with application:
            await publish_menu(application, app.engine.translators)
    english = {c["command"]: c["description"] for c in fake.my_commands("en")}
    italian = [c["command"] for c in fake.my_commands("it")]
    assert english["appointment"] == "Your appointment: change or cancel it"
    assert "workshops" in english
    assert "mydata" in english
    assert italian[-2:] == ["appuntamento", "workshop"]
    assert [c["command"] for c in fake.my_commands()] == italian  # everyone else: Italian
    assert "nuovo_workshop" not in italian  # staff commands stay out of people's menu
