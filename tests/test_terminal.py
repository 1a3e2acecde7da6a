"""Control characters: dropped from what people type, made visible in what the CLI prints."""

from __future__ import annotations

from bot.app import App
from bot.domain import Channel, Inbound, InboundKind
from bot.flows.engine import clean
from bot.terminal import shown, without_controls
from tests.chat import Chat


def test_typed_text_loses_escape_sequences_and_controls_but_keeps_lines() -> None:
    assert without_controls("An\x1b[31mna\x1b[0m\x07") == "Anna"
    assert without_controls("\x1b]0;pwned\x07Rossi\x1b]8;;http://x\x1b\\") == "Rossi"
    assert without_controls("a\x9b2Jb\x00\x7f\rc") == "a2Jbc"
    assert without_controls("cut short\x1b[") == "cut short"
    assert (
        without_controls("two\nlines\tand a tab, Zoë 👩‍👩‍👧") == "two\nlines\tand a tab, Zoë 👩‍👩‍👧"
    )


def test_printed_lines_show_controls_as_escapes() -> None:
    assert shown("Caffè e lavoro «CV»") == "Caffè e lavoro «CV»"
    assert shown("A\x1b[2Jb") == "A\\x1b[2Jb"
    assert shown("evil\u202etxt.exe\nfake line") == "evil\\u202etxt.exe\\x0afake line"


def test_the_engine_cleans_what_arrives_once_for_every_channel() -> None:
    event = Inbound(
        channel=Channel.TELEGRAM,
        external_id="1",
        kind=InboundKind.TEXT,
        text="ciao\x1b[2J",
        profile_name="\x1b[5mX",
    )
    cleaned = clean(event)
    assert cleaned.text == "ciao"
    assert cleaned.profile_name == "X"


async def test_a_name_with_escapes_is_stored_without_them(app: App, chat: Chat) -> None:
    await chat.send("/start")
    await chat.tap("notice.accept")
    await chat.send("\x1b]0;owned\x07Anna\x1b[8m")
    async with app.db.read() as tx:
        person = await tx.people.by_identity(Channel.TELEGRAM, "anna")
        assert person is not None
        assert (await tx.answers.all(person.id))["name"] == "Anna"
