"""What a person's message means: a command, a button, an answer to the current step.

The engine opens the turn and saves it; these functions decide, inside the turn, which step
answers and how. Every command's action comes from the one table in bot/flows/commands.py.
"""

from __future__ import annotations

import logging
import re

from bot.capabilities import people
from bot.capabilities.broadcasts import stop_broadcasts_of
from bot.domain import Inbound, InboundKind, Reply
from bot.flows import commands, intake, privacy, proposal_step
from bot.flows.attendance import attendance_buttons, attendees_text, staff_button
from bot.flows.base import BACK, DIALOGS, HUMAN, Said, Turn
from bot.flows.options import match_text, parse_button
from bot.flows.privacy import full_notice, my_data
from bot.flows.staff import is_staff
from bot.flows.state import StepName, is_question_step
from bot.flows.welcome import begin, desk_contacts, help_text
from bot.i18n import N_
from bot.languages import is_rtl

log = logging.getLogger(__name__)

COMMAND = re.compile(r"^/([A-Za-z_]{1,32})(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)
DEEP_LINK_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
INTAKE_STEPS: tuple[StepName, ...] = ("summary", "change")

# Every name (Italian, English) of each command -> its action: see bot/flows/commands.py.
COMMANDS = commands.actions(commands.Role.PERSON)
# Staff commands: to anyone else they are unknown commands.
STAFF_COMMANDS = commands.actions(commands.Role.STAFF)


def in_intake(step: str) -> bool:
    return is_question_step(step) or step in INTAKE_STEPS


async def dispatch(turn: Turn, event: Inbound, is_new: bool) -> None:
    text = event.text.strip()
    if event.kind is InboundKind.TEXT and text.startswith("/"):
        await _command(turn, text, is_new)
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
            turn.tr.tr(N_("I can only read new messages: please send your corrected answer again."))
        )
        await turn.ask_again()
    elif event.kind is InboundKind.BUTTON:
        await _button(turn, event.data)
    elif not text:
        turn.say(turn.tr.tr(N_("Your message was empty.")))
        await turn.ask_again()
    elif _away_too_long(turn):
        await turn.go("resume", return_to=turn.conversation.step)
    else:
        options = await turn.step.options(turn)
        matched = match_text(text, options, turn.tr.language)
        if not matched and await privacy.opt_keyword(turn, text):
            return
        await _said(turn, Said(text=text, options=matched))


def _away_too_long(turn: Turn) -> bool:
    updated = turn.conversation.updated_at
    if updated is None or not in_intake(turn.conversation.step):
        return False
    return turn.now - updated > turn.settings.resume_after


async def _button(turn: Turn, data: str) -> None:
    tap = parse_button(data)
    if tap is None:
        log.warning("received button data we never produce")
        turn.say(turn.tr.tr(N_("I don't recognise that button. Here is where we are:")))
        await turn.ask_again()
        return
    if tap.seq == 0 and await staff_button(turn, tap.option_id):
        return
    if tap.seq != turn.conversation.seq:
        turn.say(turn.tr.tr(N_("That button belongs to an earlier message. Here is where we are:")))
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
    await _said(turn, Said(text="", options=(tap.option_id,)))


async def _said(turn: Turn, said: Said) -> None:
    if said.option == HUMAN:
        turn.say(desk_contacts(turn))
        await turn.ask_again()
    elif said.option == BACK:
        await _back(turn)
    else:
        await turn.step.answer(turn, said)


async def _back(turn: Turn) -> None:
    step = turn.conversation.step
    custom = getattr(turn.step, "back", None)
    if custom is not None:
        await custom(turn)
    elif is_question_step(step) or step == "summary":
        await intake.go_back(turn)
    elif step == "change":
        await turn.go("summary")
    elif step in DIALOGS:
        await turn.resume()
    else:
        turn.say(turn.tr.tr(N_("There is nothing to go back to here.")))
        await turn.ask_again()


async def _command(turn: Turn, text: str, is_new: bool) -> None:
    match = COMMAND.match(text)
    name = match.group(1).lower() if match else ""
    action = COMMANDS.get(name)
    argument = (match.group(2) or "").strip() if match else ""
    if action is None and name in STAFF_COMMANDS and await is_staff(turn):
        await _staff_command(turn, STAFF_COMMANDS[name], argument)
        return
    if action == "start":
        await _start(turn, argument, is_new)
    elif is_new:
        # A first contact that opens with another command: the notice comes first.
        await begin(turn)
    elif action is None:
        turn.say(turn.tr.tr(N_("I don't know that command.")) + "\n\n" + help_text(turn))
        await turn.ask_again()
    else:
        await _run_command(turn, action)


async def _start(turn: Turn, payload: str, is_new: bool) -> None:
    if DEEP_LINK_PAYLOAD.match(payload):
        await people.set_source(turn.tx, turn.person.id, payload)
        turn.person.source = turn.person.source or payload
    if payload.startswith("ws_"):
        # A workshop poster's QR code: the card, after the privacy notice if still due.
        if await _notice_accepted(turn):
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


async def _run_command(turn: Turn, action: str) -> None:
    notice_accepted = await _notice_accepted(turn)
    if action == "help":
        turn.say(help_text(turn))
        await turn.ask_again()
    elif action == "back":
        await _back(turn)
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
    elif action == "followup":
        await turn.go("fu_consent", return_to=turn.interrupted_from())
    elif action == "proposals":
        await proposal_step.open_latest(turn)
    else:
        await turn.go("announcements", return_to=turn.interrupted_from())


async def _staff_command(turn: Turn, action: str, argument: str) -> None:
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
        turn.replies.append(
            Reply(
                text=text,
                options=options,
                seq=0 if options else None,
                rtl=is_rtl(turn.tr.language),
            )
        )
    else:
        stopped = await stop_broadcasts_of(turn.tx, turn.external_id, turn.now)
        turn.say(
            turn.tr.trn(
                "Stopped: %(n)d message will not be sent.",
                "Stopped: %(n)d messages will not be sent.",
                stopped,
            )
        )


async def _notice_accepted(turn: Turn) -> bool:
    return await people.notice_accepted(turn.tx, turn.person.id)
