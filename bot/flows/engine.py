"""The flow engine: one inbound event in, the replies out, state saved in between.

For every event: take the person's lock, open one write transaction, skip the event if its
dedupe key was seen, load the person and their conversation, run the current step, save the
conversation, commit. Nothing about the conversation is kept in memory between events, so a
restart (or a second process) continues exactly where the database says.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Sequence
from datetime import datetime

from bot.capabilities import conversations, messaging, people
from bot.capabilities.roles import operator_of
from bot.channels import Delivery
from bot.clock import Clock
from bot.content import Content
from bot.domain import (
    Channel,
    Conversation,
    Inbound,
    InboundKind,
    OutboxItem,
    Person,
    Reply,
)
from bot.flows import intake, notifications, operators, registry
from bot.flows.base import Step, Turn
from bot.flows.delivered import Answers, DeliveredMarks, reply_due
from bot.flows.dispatch import COMMANDS, STAFF_COMMANDS, dispatch
from bot.flows.inbound import clean, where
from bot.flows.state import QUESTION_PREFIX, is_question_step
from bot.flows.unsure import UnsureTurns
from bot.i18n import N_, Translator, match_language
from bot.settings import Settings
from bot.slots import Operator
from storage.db import Database
from storage.session import Session

# Kept importable from here for the command line and the tests.
__all__ = ["COMMANDS", "STAFF_COMMANDS", "Engine", "clean", "where"]

log = logging.getLogger(__name__)

LOCK_STRIPES = 512


class Engine:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        content: Content,
        translators: dict[str, Translator],
        clock: Clock,
    ) -> None:
        self.db = db
        self.settings = settings
        self.content = content
        self.translators = translators
        self.clock = clock
        # Striped locks: messages of one person are handled one at a time, in order, with
        # memory that does not grow with the number of people.
        self._locks = [asyncio.Lock() for _ in range(LOCK_STRIPES)]
        self._delivered = DeliveredMarks(db)
        self._unsure = UnsureTurns()
        # Reply-due rows planned before this moment were left by an earlier process.
        self._started = clock.now()
        self._steps = registry.table(registry.STEPS)

    def step(self, name: str) -> Step:
        """The step of a stored name; one that no longer exists (an upgrade removed it)
        gets a step that says so and carries on, never a silent restart."""
        found = self._steps.get(name)
        if found is not None:
            return found
        if is_question_step(name):
            question = intake.find_question(name.removeprefix(QUESTION_PREFIX), self.content)
            if question is not None:
                return intake.QuestionStep(question)
        return registry.LostStep(name)

    def _lock(self, event: Inbound) -> asyncio.Lock:
        key = f"{event.channel.value}:{event.external_id}".encode()
        return self._locks[zlib.crc32(key) % LOCK_STRIPES]

    async def mark_unreachable(self, channel: Channel, external_id: str) -> None:
        """The platform told us the person blocked the bot: stop planning messages to them."""
        async with self.db.write() as tx:
            await people.mark_unreachable(tx, channel, external_id, self.clock.now())

    def answers_delivered(self, replies: Sequence[Reply]) -> None:
        """The platform took the answers `handle` returned: their reply-due row is not needed
        (written in batches, see bot/flows/delivered.py)."""
        mark = reply_due(replies)
        if mark is not None:
            self._delivered.add(mark)

    async def flush_delivered(self) -> None:
        await self._delivered.flush()

    async def close(self) -> None:
        """Before the database closes: write the delivered marks still queued."""
        await self._delivered.close()

    async def answers_undelivered(self, channel: Channel, external_id: str) -> None:
        """The platform failed or timed out on the answers to a person's message: the current
        question goes out again through the outbox, which retries with backoff, rather than
        leaving the person waiting for an answer that never comes."""
        async with self.db.write() as tx:
            await messaging.resend_undelivered(tx, channel, external_id, self.clock.now())

    async def record_delivery(
        self, channel: Channel, provider_id: str, status: str, code: str | None, meaning: str | None
    ) -> bool:
        """A provider's report on a message we sent; False if we never sent it."""
        async with self.db.write() as tx:
            return await messaging.record_report(
                tx, provider_id, status, code, meaning, self.clock.now()
            )

    async def handle(self, event: Inbound) -> list[Reply]:
        event = clean(event)
        async with self._lock(event):
            try:
                return await self._handle(event)
            except Exception as exc:
                # Only the exception type and where it happened: its message may carry
                # what the person wrote.
                log.error(
                    "failed to handle a %s event: %s at %s",
                    event.channel.value,
                    type(exc).__name__,
                    where(exc),
                )
                self._unsure.failed(event)
                language = await self._language_of(event)
                text = self.translators[language].tr(
                    N_(
                        "Sorry, something went wrong on our side. What you told me so far is "
                        "safe. Please try again in a moment, or write /operatore."
                    )
                )
                return [Reply(text=text)]

    async def _language_of(self, event: Inbound) -> str:
        """The person's own language for an apology, falling back to the platform's hint."""
        try:
            async with self.db.read() as tx:
                person = await tx.people.by_identity(event.channel, event.external_id)
            if person is not None and person.language:
                return person.language
        except Exception:  # the apology must go out even if the database is the problem
            log.error("could not read the language for an apology")
            remembered = self._unsure.language(event)
            if remembered is not None:
                return remembered
        return match_language(event.language_hint) or self.settings.default_language

    async def _handle(self, event: Inbound) -> list[Reply]:
        now = self.clock.now()
        # The whole turn runs on the database's thread in one round trip (see write_inline):
        # nothing in a turn waits for anything but the database.
        repeats = self._unsure.repeats(event)
        replies, erased = await self.db.write_inline(
            lambda tx: self._in_transaction(tx, event, now, repeats)
        )
        self._unsure.settled(event)
        if erased:
            await people.after_erasure(self.db)
        return replies

    async def _in_transaction(
        self, tx: Session, event: Inbound, now: datetime, repeats: tuple[str, ...] = ()
    ) -> tuple[list[Reply], bool]:
        """The replies, and whether the person was erased. `repeats`: the keys of failed
        events this one repeats (see bot/flows/unsure.py)."""
        # Other processes on the same PostgreSQL database wait here for this person's turn.
        await tx.locks.person(event.channel.value, event.external_id)
        if event.dedupe_key and not await conversations.claim_event(tx, event.dedupe_key, now):
            log.info("skipped a re-delivered %s event", event.channel.value)
            return await self._answer_again(tx, event, event.dedupe_key, now), False
        stored = await tx.events.first_seen(repeats)
        if stored is not None:
            log.info("a %s message repeated one already stored", event.channel.value)
            return await self._repeat_question(tx, event, stored, now), False
        operator = self._operator(event)
        if operator is not None:
            return await self._operator_event(tx, operator, event, now), False
        person = await tx.people.by_identity(event.channel, event.external_id)
        is_new = person is None
        if person is None:
            language = match_language(event.language_hint)
            person = await people.first_contact(tx, event.channel, event.external_id, now, language)
        turn = await self._turn(tx, person, event.channel, now, event.external_id)
        turn.profile_name = event.profile_name
        await dispatch(turn, event, is_new)
        self._unsure.spoke(event, turn.tr.language)
        answers = Answers(turn.replies)
        if not turn.erased:
            await conversations.save(tx, person.id, turn.conversation, now)
            await people.touch(tx, person.id, event.channel, event.external_id, now)
            if event.dedupe_key and answers:
                # A platform's event: the process may die between this commit and the send,
                # and the platform's retry is then skipped as a duplicate. This row sends the
                # current question again unless the adapter marks the answers delivered.
                answers.reply_due = await messaging.plan_reply_due(
                    tx, person.id, event.dedupe_key, now
                )
        return answers, turn.erased

    async def _answer_again(
        self, tx: Session, event: Inbound, event_key: str, now: datetime
    ) -> list[Reply]:
        """A platform delivers an event again when it did not hear that we took it. If an
        earlier process handled it and its reply-due row is still there, that process died
        before sending the answers or before marking them delivered: the current question goes
        out now, as the row would in 30 s, and the row is marked with it. A copy of an event
        this process handled is left alone: its answers are on their way."""
        person = await tx.people.by_identity(event.channel, event.external_id)
        if person is None:
            return []
        item = await tx.replies_due.left_before(person.id, event_key, self._started)
        if item is None:
            return []
        turn = await self._turn(tx, person, event.channel, now, event.external_id)
        await notifications.render(turn, item)
        await conversations.save(tx, person.id, turn.conversation, now)
        answers = Answers(turn.replies)
        answers.reply_due = (item.id, event_key)
        return answers

    async def _repeat_question(
        self, tx: Session, event: Inbound, stored_key: str, now: datetime
    ) -> list[Reply]:
        """The person was told to try again, but their message had been stored: they get the
        current question, and the reply-due row of the stored event is taken over."""
        person = await tx.people.by_identity(event.channel, event.external_id)
        if person is None:
            return []
        turn = await self._turn(tx, person, event.channel, now, event.external_id)
        await notifications.say_again(turn)
        await conversations.save(tx, person.id, turn.conversation, now)
        answers = Answers(turn.replies)
        item = await tx.replies_due.pending(person.id, stored_key)
        if item is not None:
            answers.reply_due = (item.id, stored_key)
        return answers

    def _operator(self, event: Inbound) -> Operator | None:
        return operator_of(self.settings.agenda, event.channel, event.external_id)

    def _operator_desk(self, tx: Session, operator: Operator, now: datetime) -> operators.Desk:
        tr = self.translators[self.settings.default_language]
        return operators.Desk(tx, self.settings.agenda, self.content, tr, now, operator)

    async def _operator_event(
        self, tx: Session, operator: Operator, event: Inbound, now: datetime
    ) -> list[Reply]:
        desk = self._operator_desk(tx, operator, now)
        if event.kind is InboundKind.BUTTON:
            return await operators.handle_button(desk, event.data)
        return await operators.handle_text(desk, event.text)

    async def render_for_operator(self, item: OutboxItem) -> Delivery | None:
        """An outbox message for an operator; they are reached on Telegram."""
        operator = self.settings.agenda.operator(item.operator_id or "")
        if operator is None or operator.telegram_id is None:
            return None
        async with self.db.write() as tx:
            replies = await operators.render(
                self._operator_desk(tx, operator, self.clock.now()), item
            )
        return Delivery(Channel.TELEGRAM, str(operator.telegram_id), replies)

    async def render_for_person(self, item: OutboxItem) -> Delivery | None:
        """An outbox message for a person, rendered as a turn of their conversation."""
        assert item.person_id is not None
        async with self.db.read() as tx:
            person = await tx.people.get(item.person_id)
            identities = await tx.people.identities(item.person_id)
        if person is None or person.unreachable_at is not None or not identities:
            return None
        # The identity they used most recently is where they will read us.
        identity = identities[-1]
        lock_key = Inbound(identity.channel, identity.external_id, InboundKind.OPEN)
        async with self._lock(lock_key):
            now = self.clock.now()
            async with self.db.write() as tx:
                person = await tx.people.get(item.person_id)  # again: erased meanwhile?
                if person is None:
                    return None
                turn = await self._turn(tx, person, identity.channel, now, identity.external_id)
                await notifications.render(turn, item)
                await conversations.save(tx, turn.person.id, turn.conversation, now)
        return Delivery(identity.channel, identity.external_id, turn.replies, turn.template)

    async def _turn(
        self, tx: Session, person: Person, channel: Channel, now: datetime, external_id: str
    ) -> Turn:
        conversation = await tx.conversations.load(person.id) or Conversation(step="start")
        return Turn(
            tx=tx,
            person=person,
            conversation=conversation,
            tr=self.translators[person.language or self.settings.default_language],
            settings=self.settings,
            content=self.content,
            now=now,
            channel=channel,
            lookup=self.step,
            translators=self.translators,
            answers=await tx.answers.all(person.id),
            external_id=external_id,
        )
