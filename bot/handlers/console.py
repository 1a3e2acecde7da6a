"""The console chat: the terminal plays the person's phone.

Options are numbered; answer with the number or the words. When standard input is not a
terminal, each line is one message, so whole conversations can be scripted. With `multi`,
a line "@name text" speaks as the person "name", so one terminal can act as several people.
Ctrl-C leaves at once: every answer is already saved, so the next start picks up there.
"""

from __future__ import annotations

import asyncio
import codecs
import io
import os
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


GOODBYE = "Goodbye: everything is saved, and the chat picks up here when you start it again."


class LineReader:
    """Lines typed or piped in, read without a thread: a thread blocked in readline cannot be
    interrupted, so Ctrl-C waited for Enter, and then the line was lost."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        encoding = getattr(stream, "encoding", None) or "utf-8"
        self.decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self.pending = ""
        self.ended = False
        try:
            self.fd: int | None = stream.fileno()
        except (OSError, ValueError, io.UnsupportedOperation):
            self.fd = None  # an in-memory stream: reading it never blocks

    async def line(self) -> str | None:
        """The next line without its newline; None at the end of input."""
        while "\n" not in self.pending and not self.ended:
            chunk = await self._chunk()
            self.ended = chunk == b""
            self.pending += self.decoder.decode(chunk, final=self.ended)
        if not self.pending:
            return None
        line, _, self.pending = self.pending.partition("\n")
        return line

    async def _chunk(self) -> bytes:
        if self.fd is None:
            return self.stream.readline().encode("utf-8")
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        try:
            loop.add_reader(self.fd, wake)
        except (OSError, ValueError):
            return os.read(self.fd, 65536)  # a regular file is always ready
        try:
            await ready
        finally:
            loop.remove_reader(self.fd)
        return os.read(self.fd, 65536)


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
        self.reader = LineReader(stdin)
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
        return await self.reader.line()

    def _speaker(self, line: str) -> tuple[str, str]:
        if self.multi and line.startswith("@") and " " in line:
            name, _, text = line[1:].partition(" ")
            return name or self.person, text
        return self.person, line

    async def run(self) -> None:
        try:
            await self._conversation()
        except asyncio.CancelledError:  # Ctrl-C: asyncio.run cancels the main task
            self.stdout.write(f"\n\n{GOODBYE}\n")
            self.stdout.flush()
            raise

    async def _conversation(self) -> None:
        if self.interactive:
            self.stdout.write("Sportello Lavoro – console chat. Ctrl-D or Ctrl-C to leave.\n")
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

    async def show(self, chat: str, message_id: str | None, text: str) -> str | None:
        self.stdout.write(f"\n📊 [staff {chat}] {text}\n")
        self.stdout.flush()
        return message_id or "console"
