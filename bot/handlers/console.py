"""The console chat: the terminal plays the person's phone.

Options are numbered; answer with the number or the words. When standard input is not a
terminal, each line is one message, so whole conversations can be scripted. With `multi`,
a line "@name text" speaks as the person "name", so one terminal can act as several people.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.channels import Template
from bot.domain import Channel, Inbound, InboundKind, Reply
from bot.flows.engine import Engine


def render(reply: Reply, attachments_dir: Path) -> str:
    lines = [reply.text]
    lines += [f"   {number}) {option.label}" for number, option in enumerate(reply.options, 1)]
    if reply.attachment is not None:
        path = attachments_dir / reply.attachment.filename
        path.write_bytes(reply.attachment.content)
        lines.append(f"   📎 {path}")
    return "\n".join(lines)


class ConsoleChat:
    def __init__(
        self,
        engine: Engine,
        *,
        person: str = "demo",
        language: str | None = None,
        multi: bool = False,
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
    ) -> None:
        self.engine = engine
        self.person = person
        self.language = language
        self.multi = multi
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = stdin.isatty()
        self.attachments_dir = Path(tempfile.mkdtemp(prefix="sportello-"))

    def _show(self, who: str, replies: list[Reply]) -> None:
        prefix = f"[{who}] " if self.multi else ""
        for reply in replies:
            self.stdout.write(f"\n🤖 {prefix}{render(reply, self.attachments_dir)}\n")
        self.stdout.flush()

    async def _read_line(self) -> str | None:
        if self.interactive:
            self.stdout.write("\n> ")
            self.stdout.flush()
        line = await asyncio.to_thread(self.stdin.readline)
        return None if line == "" else line.rstrip("\n")

    def _speaker(self, line: str) -> tuple[str, str]:
        if self.multi and line.startswith("@") and " " in line:
            name, _, text = line[1:].partition(" ")
            return name or self.person, text
        return self.person, line

    async def run(self) -> None:
        if self.interactive:
            self.stdout.write("Sportello Lavoro – console chat. Ctrl-D to leave.\n")
        opened = self._event(self.person, "", InboundKind.OPEN)
        self._show(self.person, await self.engine.handle(opened))
        while (line := await self._read_line()) is not None:
            who, text = self._speaker(line)
            if not self.interactive:
                self.stdout.write(f"\n> {line}\n")
            self._show(who, await self.engine.handle(self._event(who, text)))

    def _event(self, who: str, text: str, kind: InboundKind = InboundKind.TEXT) -> Inbound:
        return Inbound(
            channel=Channel.CONSOLE,
            external_id=who,
            kind=kind,
            text=text,
            language_hint=self.language,
        )


class ConsoleSender:
    """Messages sent later (reminders, operators' digests) appear in the terminal, labelled
    with who would receive them, so the demo shows the whole service."""

    def __init__(self, label: str, stdout: TextIO = sys.stdout) -> None:
        self.label = label
        self.stdout = stdout
        self.attachments_dir = Path(tempfile.mkdtemp(prefix="sportello-"))

    async def send(
        self,
        external_id: str,
        replies: Sequence[Reply],
        *,
        template: Template | None = None,
        outbox_id: int | None = None,
    ) -> None:
        for reply in replies:
            text = render(reply, self.attachments_dir)
            self.stdout.write(f"\n🔔 [{self.label} {external_id}] {text}\n")
        self.stdout.flush()


class ConsoleProgressBoard:
    def __init__(self, stdout: TextIO = sys.stdout) -> None:
        self.stdout = stdout

    async def show(self, staff_id: str, message_id: str | None, text: str) -> str | None:
        self.stdout.write(f"\n📊 [staff {staff_id}] {text}\n")
        self.stdout.flush()
        return message_id or "console"
