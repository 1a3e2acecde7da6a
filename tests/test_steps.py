"""Steps named safely: every name the code goes to exists, the engine refuses to start with
a table that does not fit, and a stored name that no longer exists gets a kind answer."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest

from bot.app import App
from bot.domain import Channel, Conversation
from bot.flows import registry
from bot.flows.base import DIALOGS
from bot.flows.dispatch import INTAKE_STEPS
from bot.flows.state import DATA_KEYS, STEP_NAMES
from bot.flows.welcome import StartStep
from tests.chat import Chat

FLOWS = Path(__file__).resolve().parents[1] / "bot" / "flows"
MOVES = {"go", "move_to"}
# The only expressions, other than a literal, that may name where turn.go() leads: each is
# typed (StepName or QuestionStepName), and the registry checks `following` at start-up.
DYNAMIC = {"step_name(question)", "self.following", "step_name"}


def flow_trees() -> list[tuple[str, ast.Module]]:
    return [(p.name, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(FLOWS.glob("*.py"))]


def moves() -> list[tuple[str, int, ast.Call]]:
    return [
        (name, node.lineno, node)
        for name, tree in flow_trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in MOVES
        and node.args
    ]


def test_every_step_the_code_goes_to_exists() -> None:
    literal, unknown, dynamic = 0, [], []
    for module, line, call in moves():
        target = call.args[0]
        if isinstance(target, ast.Constant):
            literal += 1
            if target.value not in STEP_NAMES:
                unknown.append(f"{module}:{line} {target.value!r}")
        elif ast.unparse(target) not in DYNAMIC:
            dynamic.append(f"{module}:{line} {ast.unparse(target)}")
    assert literal > 50  # the walk does see the flows
    assert not unknown, f"turn.go() to steps that do not exist: {unknown}"
    assert not dynamic, f"name the step with a literal, or type it and add it here: {dynamic}"


def test_every_data_key_a_step_keeps_is_typed() -> None:
    untyped = [
        f"{module}:{line} {keyword.arg}"
        for module, line, call in moves()
        for keyword in call.keywords
        if keyword.arg is not None and keyword.arg not in DATA_KEYS
    ]
    assert not untyped, f"add these to ConversationData: {untyped}"


def test_step_names_written_in_tables_exist() -> None:
    assert set(DIALOGS) <= STEP_NAMES
    assert set(INTAKE_STEPS) <= STEP_NAMES
    for step in registry.STEPS:
        assert getattr(step, "following", "start") in STEP_NAMES


def test_class_level_step_names_are_registered() -> None:
    registered = {step.name for step in registry.STEPS} | {registry.LostStep.name}
    named = [
        (module, item.value.value)
        for module, tree in flow_trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        for item in node.body
        if isinstance(item, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "name" for t in item.targets)
        and isinstance(item.value, ast.Constant)
    ]
    assert len(named) > 20
    assert [n for n in named if n[1] not in registered] == []


def test_the_real_table_fits() -> None:
    table = registry.table(registry.STEPS)
    assert set(table) == STEP_NAMES


def test_a_table_that_does_not_fit_stops_the_start() -> None:
    class Stray(StartStep):
        name = "no_such_step"

    without_start = [s for s in registry.STEPS if s.name != "start"]
    with pytest.raises(ValueError, match="steps do not fit") as raised:
        registry.table([*without_start, Stray(), registry.STEPS[1]])
    message = str(raised.value)
    assert "'no_such_step' is not in StepName" in message
    assert "StepName 'start' has no step" in message
    assert "dialog" not in message
    assert f"two steps are named {registry.STEPS[1].name!r}" in message


async def store_step(app: App, who: str, step: str, **data: object) -> None:
    async with app.db.write() as tx:
        person = await tx.people.by_identity(Channel.TELEGRAM, who)
        assert person is not None
        conversation = await tx.conversations.load(person.id)
        assert conversation is not None
        conversation = Conversation(step, conversation.seq, {**conversation.data, **data})
        await tx.conversations.save(person.id, conversation, app.engine.clock.now())


async def started(chat: Chat) -> None:
    await chat.send("/start")
    await chat.tap("notice.accept")
    await chat.send("Anna")  # the name; the next question is where they live
    assert "live" in chat.question.text


async def test_a_stored_step_that_no_longer_exists_is_answered_kindly(
    app: App, chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    await started(chat)
    residence = chat.question.text
    await store_step(app, "anna", "removed_in_an_upgrade")
    with caplog.at_level(logging.WARNING):
        replies = await chat.send("my secret words")
    assert "I have been updated" in replies[0].text
    # Their answers are kept: the next question they had not answered, not the start.
    assert chat.question.text == residence
    assert "removed_in_an_upgrade" in caplog.text
    assert "my secret words" not in caplog.text
    await chat.tap("lucca")  # and the conversation goes on
    assert "old" in chat.question.text.lower()


async def test_a_button_of_a_step_that_no_longer_exists(app: App, chat: Chat) -> None:
    await started(chat)
    residence = chat.question.text
    await store_step(app, "anna", "q:a_question_removed")
    await chat.press(f"{chat.question.seq}:anything")
    assert "I have been updated" in chat.texts()
    assert chat.question.text == residence


async def test_a_dialog_returning_to_a_step_that_no_longer_exists(app: App, chat: Chat) -> None:
    await started(chat)
    residence = chat.question.text
    await chat.send("/language")
    await store_step(app, "anna", "language", return_to="gone_step")
    await chat.tap("lang.en")
    assert "I have been updated" in chat.texts()
    assert chat.question.text == residence
