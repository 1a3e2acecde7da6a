"""The pieces every flow uses: the per-message Turn and the Step interface.

A Turn is one inbound message being handled inside one database transaction. Steps read the
person's state from it, write through its repositories, and append replies; the engine saves
the conversation when the step returns, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, cast

from bot.channels import Template
from bot.content import Content
from bot.domain import JSON, Attachment, Channel, Conversation, Option, Person, Reply
from bot.flows.state import ConversationData, Destination, StepName
from bot.i18n import N_, Translator
from bot.languages import is_rtl
from bot.settings import Settings
from storage.session import Session

if TYPE_CHECKING:
    from typing_extensions import Unpack

# Navigation options every question may carry; the engine handles them the same everywhere.
BACK = "nav.back"
HUMAN = "nav.human"
SKIP = "nav.skip"
DONE = "multi.done"


@dataclass(frozen=True)
class Said:
    """What the person said to the current step, resolved against its options."""

    text: str
    options: tuple[str, ...] = ()

    @property
    def option(self) -> str | None:
        return self.options[0] if len(self.options) == 1 else None


class Step(Protocol):
    @property
    def name(self) -> str:
        """Its name in STEP_NAMES (bot/flows/state.py), or "q:" and a question's id."""
        ...

    async def ask(self, turn: Turn) -> None:
        """Append the step's question (or message) to the turn's replies."""
        ...

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        """The options the step's question offers now, in the order they are shown."""
        ...

    async def answer(self, turn: Turn, said: Said) -> None:
        """Handle an answer; move on with turn.go(), or reply and stay."""
        ...


@dataclass
class Turn:
    tx: Session
    person: Person
    conversation: Conversation
    tr: Translator
    settings: Settings
    content: Content
    now: datetime
    channel: Channel
    lookup: Callable[[str], Step]
    translators: dict[str, Translator]
    replies: list[Reply] = field(default_factory=list)
    answers: dict[str, JSON] = field(default_factory=dict)
    erased: bool = False
    external_id: str = ""  # the person's id on the channel of this turn
    profile_name: str | None = None
    # For a message sent later: the approved template that can carry it outside WhatsApp's
    # 24-hour window, with its values.
    template: Template | None = None

    @property
    def step(self) -> Step:
        return self.lookup(self.conversation.step)

    @property
    def data(self) -> ConversationData:
        """The conversation's data, typed: the keys steps keep (bot/flows/state.py)."""
        return cast(ConversationData, self.conversation.data)

    def say(
        self,
        text: str,
        options: tuple[Option, ...] = (),
        *,
        attachment: Attachment | None = None,
    ) -> None:
        seq = self.conversation.seq if options else None
        hint = self.tr.tr(N_("Reply with the number of your choice.")) if options else ""
        self.replies.append(
            Reply(
                text=text,
                options=options,
                seq=seq,
                attachment=attachment,
                hint=hint,
                rtl=is_rtl(self.tr.language),
            )
        )

    def redraw(self, text: str, options: tuple[Option, ...]) -> None:
        """Show the current question again in place (a ticked multi-select option)."""
        self.replies.append(
            Reply(
                text=text,
                options=options,
                seq=self.conversation.seq,
                updates_question=True,
                rtl=is_rtl(self.tr.language),
            )
        )

    async def go(self, step_name: Destination, **data: Unpack[ConversationData]) -> None:
        """Move to another step and ask its question. Older buttons become stale."""
        self.move_to(step_name, **data)
        await self.step.ask(self)

    def move_to(self, step_name: Destination, **data: Unpack[ConversationData]) -> None:
        """Move to another step without asking its question: the caller says it, with the
        step's options (so one message, not a confirmation followed by the same card)."""
        self._enter(step_name, data)

    def _enter(self, step_name: str, data: ConversationData) -> None:
        self.conversation.step = step_name
        self.conversation.seq += 1
        self.conversation.data.update(data)

    def use_language(self, language: str) -> None:
        self.person.language = language
        self.tr = self.translators[language]

    async def ask_again(self) -> None:
        await self.step.ask(self)

    async def resume(self) -> None:
        """Go back to the step an interruption (a command's dialog) came from."""
        target = self.data.pop("return_to", None)
        # A stored name, perhaps of a step an upgrade removed: the engine's lookup answers
        # such a name with a step that says so and moves on (Engine.step).
        self._enter(str(target) if target else "start", {})
        await self.step.ask(self)

    def interrupted_from(self) -> str:
        """Where to come back to after a dialog opened from the current step."""
        current = self.conversation.step
        return str(self.data.get("return_to", "start")) if current in DIALOGS else current


def please_choose(turn: Turn) -> None:
    turn.say(turn.tr.tr(N_("Please choose one of the options: tap a button or write its number.")))


# Steps that are dialogs opened by a command: leaving them returns to where the person was.
DIALOGS: frozenset[StepName] = frozenset(
    {
        "language",
        "erase_confirm",
        "restart_confirm",
        "resume",
        "announcements",
        "confirm_check",
        "survey",
        "ws_list",
        "ws_card",
        "fu_consent",
        "fu_working",
        "fu_contract",
        "fu_company",
        "proposal",
    }
)
