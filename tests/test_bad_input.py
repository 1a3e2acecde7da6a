"""Whatever a person sends, they get a kind answer and the state stays intact."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.domain import Channel, Inbound, InboundKind
from storage.db import Database
from storage.sqlite_file import StorageError
from tests.chat import Chat
from tests.conftest import make_settings


async def at_name_question(chat: Chat) -> None:
    await chat.send("/start")
    await chat.tap("notice.accept")
    await chat.send("Anna")
    assert chat.question.text.startswith("2/")


async def snapshot(app: App, who: str = "anna") -> tuple[object, ...]:
    async with app.db.read() as tx:
        person = await tx.people.by_identity(Channel.TELEGRAM, who)
        assert person is not None
        conversation = await tx.conversations.load(person.id)
        assert conversation is not None
        return (conversation.step, await tx.answers.all(person.id))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "x" * 4096,
        "😀🎉👍",
        "مرحبا، أبحث عن عمل",  # Arabic, right to left
        "\u202eevil override\u202c",
        "\x00\x01 control",
        "42",
        "1 2 3",
        "-1",
    ],
)
async def test_odd_text_on_a_choice_question(app: App, chat: Chat, text: str) -> None:
    await at_name_question(chat)
    before = await snapshot(app)
    replies = await chat.send(text)
    assert replies, "every message gets an answer"
    assert chat.question.text.startswith("2/"), "the same question is asked again"
    assert await snapshot(app) == before


async def test_long_text_on_the_name_question_is_refused_kindly(app: App, chat: Chat) -> None:
    await chat.send("/start")
    await chat.tap("notice.accept")
    await chat.send("A" * 4096)
    assert "4096 characters long; the limit is 40" in chat.texts()
    assert chat.question.text.startswith("1/")
    await chat.send("🙂🙂")
    assert "Please write your name with letters." in chat.texts()


async def test_unknown_command(app: App, chat: Chat) -> None:
    await at_name_question(chat)
    await chat.send("/foo bar")
    assert "I don't know that command." in chat.texts()
    assert "/operator – Talk to a person" in chat.texts()  # English names for English
    assert chat.question.text.startswith("2/")


async def test_voice_note_sticker_and_photo(app: App, chat: Chat) -> None:
    await at_name_question(chat)
    before = await snapshot(app)
    await chat.media()
    assert "can't listen to voice messages" in chat.texts()
    assert chat.question.text.startswith("2/")
    assert await snapshot(app) == before


@pytest.mark.parametrize(
    "data",
    ["", "garbage", "1:lucca" * 20, "999999999:lucca", "4:../../etc", "4:drop table", "x:lucca"],
)
async def test_forged_button_data(app: App, chat: Chat, data: str) -> None:
    await at_name_question(chat)
    before = await snapshot(app)
    await chat.press(data)
    assert chat.question.text.startswith("2/")
    assert await snapshot(app) == before


async def test_option_that_was_never_offered(app: App, chat: Chat) -> None:
    await at_name_question(chat)
    seq = chat.question.seq
    await chat.press(f"{seq}:summary.confirm")
    assert "That option is not available" in chat.texts()
    assert await snapshot(app) == ("q:residence", {"name": "Anna"})


async def test_button_of_an_older_question(app: App, chat: Chat) -> None:
    await at_name_question(chat)
    old_seq = chat.question.seq
    await chat.tap("lucca")
    await chat.press(f"{old_seq}:province")  # a second tap on the old keyboard
    assert "belongs to an earlier message" in chat.texts()
    assert (await snapshot(app))[1] == {"name": "Anna", "residence": "lucca"}


async def test_start_in_the_middle_of_the_intake(app: App, chat: Chat) -> None:
    await at_name_question(chat)
    await chat.send("/start")
    assert "Welcome back, Anna!" in chat.question.text
    await chat.tap("resume.continue")
    assert chat.question.text.startswith("2/")
    assert (await snapshot(app))[1] == {"name": "Anna"}


async def test_the_same_update_twice_is_handled_once(app: App) -> None:
    event = Inbound(
        channel=Channel.TELEGRAM,
        external_id="anna",
        kind=InboundKind.TEXT,
        text="/start",
        language_hint="en",
        dedupe_key="telegram:777",
    )
    first = await app.engine.handle(event)
    second = await app.engine.handle(event)
    assert first
    assert second == []
    async with app.db.read() as tx:
        person = await tx.people.by_identity(Channel.TELEGRAM, "anna")
        assert person is not None
        conversation = await tx.conversations.load(person.id)
        assert conversation is not None
        assert conversation.seq == 1


async def test_an_edited_message(app: App, chat: Chat) -> None:
    await at_name_question(chat)
    await chat._handle(InboundKind.EDIT)
    assert "send your corrected answer again" in chat.texts()
    assert chat.question.text.startswith("2/")


async def test_a_failing_step_gets_an_apology_and_rolls_back(
    app: App, chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    await at_name_question(chat)
    before = await snapshot(app)

    async def broken(*args: object) -> None:
        raise RuntimeError("Anna's secret")

    from bot.flows import intake

    monkeypatch.setattr(intake, "save_answer", broken)
    replies = await chat.tap("lucca")
    assert "Sorry, something went wrong on our side" in replies[0].text
    assert await snapshot(app) == before


async def test_database_folder_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError, match="Cannot create the folder"):
        await Database.open(blocker / "sub" / "sportello.db")


async def test_database_file_we_may_not_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "sportello.db"
    await (await Database.open(path)).close()
    path.chmod(stat.S_IRUSR)
    real_access = os.access
    # The suite may run as root, whom permission bits do not stop: ask as a normal user would.
    monkeypatch.setattr(
        "storage.sqlite_file.os.access",
        lambda p, mode: False if Path(p) == path else real_access(p, mode),
    )
    with pytest.raises(StorageError, match="not readable and writable"):
        await build_app(make_settings(path))


async def test_missing_database_file_is_created(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "sportello.db"
    app = await build_app(make_settings(path))
    try:
        assert path.exists()
        assert await app.db.integrity_check() == "ok"
    finally:
        await app.close()


async def test_a_number_is_not_taken_as_a_name(app: App, chat: Chat) -> None:
    await chat.send("/start")
    await chat.tap("notice.accept")
    await chat.send("3")
    assert "Please write your name with letters." in chat.texts()
    assert chat.question.text.startswith("1/")
