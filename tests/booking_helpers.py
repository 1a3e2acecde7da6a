"""Shared pieces for booking tests: a recording channel, a dispatcher on the manual clock,
and a person who has finished the intake."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.app import App
from bot.channels import Blocked, Sender, Template
from bot.domain import Channel, Reply
from scheduling.dispatcher import Dispatcher
from tests.chat import Chat, complete_intake


@dataclass
class RecordingSender:
    """A channel that remembers what it was asked to send."""

    sent: list[tuple[str, Reply]] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)

    async def send(
        self,
        external_id: str,
        replies: Sequence[Reply],
        *,
        template: Template | None = None,
        outbox_id: int | None = None,
    ) -> None:
        if external_id in self.blocked:
            raise Blocked("blocked in the test")
        self.sent += [(external_id, r) for r in replies]

    def to(self, external_id: str) -> list[Reply]:
        return [r for who, r in self.sent if who == external_id]

    def texts_to(self, external_id: str) -> str:
        return "\n".join(r.text for r in self.to(external_id))


def recording_dispatcher(app: App, sender: RecordingSender) -> Dispatcher:
    senders: dict[Channel, Sender] = {Channel.TELEGRAM: sender, Channel.CONSOLE: sender}
    return app.dispatcher(senders, {})


async def booked_person(app: App, who: str) -> Chat:
    """Someone who did the intake and booked the first free time."""
    chat = Chat(app.engine, who)
    await complete_intake(chat)
    day = next(o.id for o in chat.question.options if o.id.startswith("d."))
    await chat.tap(day)
    time = next(o.id for o in chat.question.options if o.id.startswith("t."))
    await chat.tap(time)
    return chat


def write_config(folder: Path, body: str) -> Path:
    """A TOML settings file with the example's desk and privacy, and the given agenda."""
    path = folder / "agenda.toml"
    privacy = Path(__file__).resolve().parents[1] / "config" / "privacy"
    path.write_text(
        f"""
[desk]
email = "desk@example.org"
dpo_email = "dpo@example.org"

[privacy]
notice_dir = "{privacy}"

{body}
""",
        encoding="utf-8",
    )
    return path
