"""The flow engine: one inbound event in, the replies out, state saved in between.

For every event: take the person's lock, open one write transaction, skip the event if its
dedupe key was seen, load the person and their conversation, run the current step, save the
conversation, commit. Nothing about the conversation is kept in memory between events, so a
restart (or a second process) continues exactly where the database says.
"""

from __future__ import annotations

import asyncio
import logging
import re
import traceback
import zlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from bot.capabilities import messaging, people
from bot.capabilities.broadcasts import stop_broadcasts_of
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
from bot.flows import commands, intake, notifications, operators, privacy
from bot.flows.attendance import attendance_buttons, attendees_text, staff_button
from bot.flows.base import BACK, DIALOGS, HUMAN, Said, Step, Turn
from bot.flows.booking import (
    AppointmentStep,
    BookingStep,
    CancelConfirmStep,
    PickDayStep,
    PickTimeStep,
)
from bot.flows.delivered import Answers, DeliveredMarks, reply_due
from bot.flows.followup import (
    ConfirmCheckStep,
    NoShowStep,
    NoSlotsStep,
    OfferStep,
    SurveyStep,
    WaitingStep,
)
from bot.flows.options import match_text, parse_button
from bot.flows.privacy import (
    AnnouncementsStep,
    EraseConfirmStep,
    NoticeStep,
    RefusedStep,
    full_notice,
    my_data,
)
from bot.flows.staff import is_staff
from bot.flows.staff_dialogs import STAFF_STEPS
from bot.flows.welcome import (
    LanguageStep,
    RestartConfirmStep,
    ResumeStep,
    StartStep,
    begin,
    desk_contacts,
    help_text,
)
from bot.flows.workshop_card import WorkshopCardStep, WorkshopListStep
from bot.i18n import N_, Translator, match_language
from bot.settings import Settings
from bot.slots import Operator
from bot.terminal import without_controls
from storage.db import Database
from storage.session import Session

log = logging.getLogger(__name__)

LOCK_STRIPES = 512
COMMAND = re.compile(r"^/([A-Za-z_]{1,32})(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)
DEEP_LINK_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
INTAKE_STEPS = ("summary", "change")

# Every name (Italian, English) of each command -> its action: see bot/flows/commands.py.
COMMANDS = commands.actions(commands.Role.PERSON)
# Staff commands: to anyone else they are unknown commands.
STAFF_COMMANDS = commands.actions(commands.Role.STAFF)


PROJECT_ROOT = str(Path(__file__).resolve().parents[2])


def where(exc: BaseException) -> str:
    """The innermost frames of our own code an exception went through: enough to find the
    bug, without the exception's message (which may carry what the person wrote)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f.filename.startswith(PROJECT_ROOT) and ".venv" not in f.filename]
    chosen = ours[-3:] or frames[-1:]
    return " < ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(chosen))


def _valid_text(value: object) -> str:
    """Text that can be stored: platform fields of the wrong type become empty, and invalid
    Unicode (lone surrogates from badly encoded input) becomes replacement characters."""
    if not isinstance(value, str):
        return ""
    return value.encode("utf-8", errors="replace").decode("utf-8")


def clean(event: Inbound) -> Inbound:
    hint = event.language_hint if isinstance(event.language_hint, str) else None
    return replace(
        event,
        external_id=_valid_text(event.external_id),
        text=without_controls(_valid_text(event.text)),
        data=_valid_text(event.data),
        language_hint=hint,
        dedupe_key=_valid_text(event.dedupe_key) if event.dedupe_key is not None else None,
        profile_name=without_controls(_valid_text(event.profile_name)) or None,
    )


def in_intake(step: str) -> bool:
    return step.startswith("q:") or step in INTAKE_STEPS


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
        self._steps: dict[str, Step] = {
            step.name: step
            for step in (
                StartStep(),
                LanguageStep(),
                NoticeStep(),
                RefusedStep(),
                intake.SummaryStep(),
                intake.ChangeStep(),
                BookingStep(),
                PickDayStep(),
                PickTimeStep(),
                AppointmentStep(),
                CancelConfirmStep(),
                NoSlotsStep(),
                WaitingStep(),
                OfferStep(),
                ConfirmCheckStep(),
                SurveyStep(),
                NoShowStep(),
                WorkshopCardStep(),
                WorkshopListStep(),
                *STAFF_STEPS,
                ResumeStep(),
                RestartConfirmStep(),
                EraseConfirmStep(),
                AnnouncementsStep(),
            )
        }

    def step(self, name: str) -> Step:
        if name.startswith("q:"):
            question = intake.find_question(name.removeprefix("q:"), self.content)
            if question is not None:
                return intake.QuestionStep(question)
        return self._steps.get(name) or self._steps["start"]

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
        return match_language(event.language_hint) or self.settings.default_language

    async def _handle(self, event: Inbound) -> list[Reply]:
        now = self.clock.now()
        # The whole turn runs on the database's thread in one round trip (see write_inline):
        # nothing in a turn waits for anything but the database.
        replies, erased = await self.db.write_inline(
            lambda tx: self._in_transaction(tx, event, now)
        )
        if erased:
            await people.after_erasure(self.db)
        return replies

    async def _in_transaction(
        self, tx: Session, event: Inbound, now: datetime
    ) -> tuple[list[Reply], bool]:
        """The replies, and whether the person was erased."""
        if event.dedupe_key and not await tx.events.claim(event.dedupe_key, now):
            log.info("skipped a re-delivered %s event", event.channel.value)
            return [], False
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
        await self._dispatch(turn, event, is_new)
        answers = Answers(turn.replies)
        if not turn.erased:
            await tx.conversations.save(person.id, turn.conversation, now)
            await people.touch(tx, person.id, event.channel, event.external_id, now)
            if event.dedupe_key and answers:
                # A platform's event: the process may die between this commit and the send,
                # and the platform's retry is then skipped as a duplicate. This row sends the
                # current question again unless the adapter marks the answers delivered.
                answers.reply_due = await messaging.plan_reply_due(
                    tx, person.id, event.dedupe_key, now
                )
        return answers, turn.erased

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
                await tx.conversations.save(turn.person.id, turn.conversation, now)
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

    async def _dispatch(self, turn: Turn, event: Inbound, is_new: bool) -> None:
        text = event.text.strip()
        if event.kind is InboundKind.TEXT and text.startswith("/"):
            await self._command(turn, text, is_new)
        elif is_new:
            await begin(turn)
        elif event.kind is InboundKind.OPEN:
            await turn.ask_again()
        elif event.kind is InboundKind.MEDIA:
            turn.say(
                turn.tr.tr(
                    N_(
                        "I can't listen to voice messages or open photos, stickers or files. "
                        "Please write your answer, or use the buttons."
                    )
                )
            )
            await turn.ask_again()
        elif event.kind is InboundKind.EDIT:
            turn.say(
                turn.tr.tr(
                    N_("I can only read new messages: please send your corrected answer again.")
                )
            )
            await turn.ask_again()
        elif event.kind is InboundKind.BUTTON:
            await self._button(turn, event.data)
        elif not text:
            turn.say(turn.tr.tr(N_("Your message was empty.")))
            await turn.ask_again()
        elif self._away_too_long(turn):
            await turn.go("resume", return_to=turn.conversation.step)
        else:
            options = await turn.step.options(turn)
            matched = match_text(text, options, turn.tr.language)
            if not matched and await privacy.opt_keyword(turn, text):
                return
            await self._said(turn, Said(text=text, options=matched))

    def _away_too_long(self, turn: Turn) -> bool:
        updated = turn.conversation.updated_at
        if updated is None or not in_intake(turn.conversation.step):
            return False
        return turn.now - updated > self.settings.resume_after

    async def _button(self, turn: Turn, data: str) -> None:
        tap = parse_button(data)
        if tap is None:
            log.warning("received button data we never produce")
            turn.say(turn.tr.tr(N_("I don't recognise that button. Here is where we are:")))
            await turn.ask_again()
            return
        if tap.seq == 0 and await staff_button(turn, tap.option_id):
            return
        if tap.seq != turn.conversation.seq:
            turn.say(
                turn.tr.tr(N_("That button belongs to an earlier message. Here is where we are:"))
            )
            await turn.ask_again()
            return
        offered = {o.id for o in await turn.step.options(turn)}
        gone = getattr(turn.step, "no_longer_offered", None)
        if tap.option_id not in offered and gone is not None and await gone(turn, tap.option_id):
            return
        if tap.option_id not in offered:
            log.warning("received a button for an option that was not offered")
            turn.say(turn.tr.tr(N_("That option is not available. Here is where we are:")))
            await turn.ask_again()
            return
        await self._said(turn, Said(text="", options=(tap.option_id,)))

    async def _said(self, turn: Turn, said: Said) -> None:
        if said.option == HUMAN:
            turn.say(desk_contacts(turn))
            await turn.ask_again()
        elif said.option == BACK:
            await self._back(turn)
        else:
            await turn.step.answer(turn, said)

    async def _back(self, turn: Turn) -> None:
        step = turn.conversation.step
        custom = getattr(turn.step, "back", None)
        if custom is not None:
            await custom(turn)
        elif step.startswith("q:") or step == "summary":
            await intake.go_back(turn)
        elif step == "change":
            await turn.go("summary")
        elif step in DIALOGS:
            await turn.resume()
        else:
            turn.say(turn.tr.tr(N_("There is nothing to go back to here.")))
            await turn.ask_again()

    async def _command(self, turn: Turn, text: str, is_new: bool) -> None:
        match = COMMAND.match(text)
        name = match.group(1).lower() if match else ""
        action = COMMANDS.get(name)
        argument = (match.group(2) or "").strip() if match else ""
        if action is None and name in STAFF_COMMANDS and await is_staff(turn):
            await self._staff_command(turn, STAFF_COMMANDS[name], argument)
            return
        if action == "start":
            await self._start(turn, argument, is_new)
        elif is_new:
            # A first contact that opens with another command: the notice comes first.
            await begin(turn)
        elif action is None:
            turn.say(turn.tr.tr(N_("I don't know that command.")) + "\n\n" + help_text(turn))
            await turn.ask_again()
        else:
            await self._run_command(turn, action)

    async def _start(self, turn: Turn, payload: str, is_new: bool) -> None:
        if DEEP_LINK_PAYLOAD.match(payload):
            await people.set_source(turn.tx, turn.person.id, payload)
            turn.person.source = turn.person.source or payload
        if payload.startswith("ws_"):
            # A workshop poster's QR code: the card, after the privacy notice if still due.
            if await self._notice_accepted(turn):
                await turn.go("ws_card", workshop=payload.removeprefix("ws_"))
            else:
                turn.data["after_notice"] = payload.removeprefix("ws_")
                await begin(turn)
            return
        if not is_new and in_intake(turn.conversation.step):
            await turn.go("resume", return_to=turn.conversation.step)
        else:
            turn.data.pop("return_to", None)
            await begin(turn)

    async def _run_command(self, turn: Turn, action: str) -> None:
        notice_accepted = await self._notice_accepted(turn)
        if action == "help":
            turn.say(help_text(turn))
            await turn.ask_again()
        elif action == "back":
            await self._back(turn)
        elif action == "human":
            turn.say(desk_contacts(turn))
            await turn.ask_again()
        elif action == "privacy":
            turn.say(full_notice(turn))
            await turn.ask_again()
        elif action == "mydata":
            turn.say(await my_data(turn))
            await turn.ask_again()
        elif action == "language":
            await turn.go("language", return_to=turn.interrupted_from())
        elif action == "erase":
            await turn.go("erase_confirm", return_to=turn.interrupted_from())
        elif not notice_accepted:
            turn.say(turn.tr.tr(N_("First, please read the privacy notice.")))
            await begin(turn)
        elif action == "restart":
            await turn.go("restart_confirm", return_to=turn.interrupted_from())
        elif action == "appointment":
            await turn.go("appointment")
        elif action == "workshops":
            await turn.go("ws_list", return_to=turn.interrupted_from())
        else:
            await turn.go("announcements", return_to=turn.interrupted_from())

    async def _staff_command(self, turn: Turn, action: str, argument: str) -> None:
        if action == "new_workshop":
            turn.data["draft"] = {"kind": "workshop"}
            await turn.go("st:title")
        elif action == "announcement":
            turn.data["draft"] = {"kind": "announcement"}
            await turn.go("st:text")
        elif action == "attendees":
            turn.say(await attendees_text(turn, argument))
        elif action == "attendance":
            text, options = await attendance_buttons(turn, argument)
            turn.replies.append(Reply(text=text, options=options, seq=0 if options else None))
        else:
            stopped = await stop_broadcasts_of(turn.tx, turn.external_id, turn.now)
            turn.say(turn.tr.tr(N_("Stopped: %(n)d messages will not be sent."), n=stopped))

    @staticmethod
    async def _notice_accepted(turn: Turn) -> bool:
        return await people.notice_accepted(turn.tx, turn.person.id)
