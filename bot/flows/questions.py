"""The kinds of question the intake asks, and what an answer to each looks like.

Questions are plain data: a flow lists them in order, and the generic question step in
intake.py asks them, checks the answers and stores them. Texts are English message ids,
translated when shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.content import Content
from bot.domain import JSON, Option
from bot.i18n import N_, Translator


@dataclass(frozen=True)
class Choice:
    """Pick one option."""

    id: str
    title: str  # short name used in the summary
    prompt: str
    choices: tuple[tuple[str, str], ...]  # (option id, label)
    optional: bool = False

    def options(self, tr: Translator) -> tuple[Option, ...]:
        return tuple(Option(id=i, label=tr.tr(label)) for i, label in self.choices)

    def describe(self, value: JSON, tr: Translator, content: Content) -> str:
        labels = dict(self.choices)
        return tr.tr(labels[value]) if value in labels else tr.tr(N_("(not answered)"))


@dataclass(frozen=True)
class MultiChoice:
    """Tick any number of options, then "Done"."""

    id: str
    title: str
    prompt: str
    choices: tuple[tuple[str, str], ...]
    min_selected: int = 0
    max_selected: int | None = None
    prompt_args: tuple[tuple[str, str], ...] = ()  # placeholder -> message id to translate
    optional: bool = False

    def options(self, tr: Translator) -> tuple[Option, ...]:
        return tuple(Option(id=i, label=tr.tr(label)) for i, label in self.choices)

    def describe(self, value: JSON, tr: Translator, content: Content) -> str:
        if not value:
            return tr.tr(N_("none"))
        labels = dict(self.choices)
        return ", ".join(tr.tr(labels[v]) for v in value if v in labels)


@dataclass(frozen=True)
class FreeText:
    """A few words in the person's own language, up to a limit said in the question."""

    id: str
    title: str
    prompt: str
    max_length: int
    optional: bool = False

    def options(self, tr: Translator) -> tuple[Option, ...]:
        return ()

    def describe(self, value: JSON, tr: Translator, content: Content) -> str:
        return str(value)


Question = Choice | MultiChoice | FreeText


def describe_answer(question: Question, value: JSON, tr: Translator, content: Content) -> str:
    if value is None:
        return tr.tr(N_("(skipped)"))
    return question.describe(value, tr, content)
