"""The end of the staff dialogs: a preview exactly as recipients will see it and how many
they are, saving, sending after an explicit confirmation; and the table of staff steps."""

from __future__ import annotations

from datetime import datetime

from bot.capabilities import workshop_admin as wa
from bot.capabilities.broadcasts import recipients, send_announcement, send_invitation
from bot.domain import Audience, Option, Workshop
from bot.flows.base import Said, Turn, please_choose
from bot.flows.intake import AGE_BAND, GOAL
from bot.flows.staff import (
    AudienceStep,
    CapacityStep,
    DurationStep,
    PlaceStep,
    StaffHomeStep,
    StaffText,
    WhenStep,
    draft,
    is_staff,
    nav,
)
from bot.flows.workshop_card import card_text
from bot.i18n import N_

NO_LONGER_VALID = N_(
    "Something in this workshop is no longer valid (its date may have passed): "
    "please start again with /nuovo_workshop."
)


def audience_of(turn: Turn) -> Audience:
    found = draft(turn)

    def values(key: str) -> tuple[str, ...]:
        raw = found.get(key)
        return tuple(str(v) for v in raw) if isinstance(raw, list) else ()

    return Audience(goals=values("goals"), age_bands=values("age_bands"))


def draft_workshop(turn: Turn) -> wa.WorkshopDraft | None:
    """The dialog's answers through the one workshop validation; None if no longer valid."""
    found = draft(turn)
    starts = found.get("starts_at")
    raw = {
        "title": found.get("title"),
        "description": found.get("description"),
        "starts": datetime.fromisoformat(starts) if isinstance(starts, str) else None,
        "duration": found.get("duration"),
        "capacity": found.get("capacity"),
        "place": found.get("place"),
        "link": found.get("online_url"),
        **audience_of(turn).as_json(),
    }
    try:
        return wa.validate(raw, turn.now, wa.AudienceCodes.of(turn.content.sectors))
    except wa.InvalidWorkshop:
        return None


class PreviewStep:
    name = "st:preview"
    SEND = "st.send"
    SAVE = "st.save"
    DISCARD = "st.discard"

    async def _count(self, turn: Turn) -> int:
        return len(await recipients(turn.tx, audience_of(turn)))

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        send = (Option(self.SEND, tr(N_("📣 Send"))),) if await self._count(turn) else ()
        save = (
            (Option(self.SAVE, tr(N_("💾 Save without sending"))),)
            if draft(turn).get("kind") == "workshop"
            else ()
        )
        return (*send, *save, Option(self.DISCARD, tr(N_("🗑️ Discard"))), *nav(turn))

    async def ask(self, turn: Turn) -> None:
        tr = turn.tr
        found = draft(turn)
        if found.get("kind") == "workshop":
            workshop = draft_workshop(turn)
            if workshop is None:
                turn.say(tr.tr(NO_LONGER_VALID))
                await turn.go("staff_home")
                return
            preview = card_text(turn, workshop, workshop.capacity)
        else:
            preview = str(found.get("text", ""))
        count = await self._count(turn)
        turn.say(tr.tr(N_("Preview, exactly as recipients will see it:")))
        turn.say(preview)
        summary = (
            tr.trn(
                "It would go to %(n)d person (opted in to news and matching the audience).",
                "It would go to %(n)d people (opted in to news and matching the audience).",
                count,
            )
            if count
            else tr.tr(
                N_("Nobody matches this audience: change it, or save the workshop without sending.")
            )
        )
        turn.say(summary, await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        if not await is_staff(turn):
            await turn.go("start")
            return
        if said.option == self.SEND:
            await turn.go("st:confirm")
        elif said.option == self.SAVE:
            workshop = await save_workshop(turn)
            if workshop is None:
                return
            turn.say(
                turn.tr.tr(
                    N_("Saved: workshop %(code)s. Nobody has been told yet."), code=workshop.code
                )
            )
            turn.data.pop("draft", None)
            await turn.go("staff_home")
        elif said.option == self.DISCARD:
            turn.data.pop("draft", None)
            turn.say(turn.tr.tr(N_("Discarded.")))
            await turn.go("staff_home")
        else:
            please_choose(turn)
            await turn.ask_again()

    async def back(self, turn: Turn) -> None:
        await turn.go("st:goals")


async def save_workshop(turn: Turn) -> Workshop | None:
    """Create the drafted workshop; None (and the dialog ends, saying why) if it is invalid."""
    checked = draft_workshop(turn)
    if checked is None:
        turn.data.pop("draft", None)
        turn.say(turn.tr.tr(NO_LONGER_VALID))
        await turn.go("staff_home")
        return None
    return await wa.create_workshop(turn.tx, checked, turn.external_id, turn.now)


class ConfirmSendStep:
    name = "st:confirm"
    YES = "st.yes"
    NO = "st.no"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        return (
            Option(self.YES, tr(N_("Yes, send it now"))),
            Option(self.NO, tr(N_("No, go back"))),
        )

    async def ask(self, turn: Turn) -> None:
        count = len(await recipients(turn.tx, audience_of(turn)))
        turn.say(
            turn.tr.trn(
                "Send it to %(n)d person? It cannot be undone.",
                "Send it to %(n)d people? It cannot be undone.",
                count,
            ),
            await self.options(turn),
        )

    async def answer(self, turn: Turn, said: Said) -> None:
        if not await is_staff(turn):
            await turn.go("start")
            return
        if said.option != self.YES:
            await turn.go("st:preview")
            return
        found, audience = draft(turn), audience_of(turn)
        here = turn.external_id  # staff write on Telegram: the progress message comes here
        if found.get("kind") == "workshop":
            workshop = await save_workshop(turn)
            if workshop is None:
                return
            sent = await send_invitation(
                turn.tx, workshop, audience, turn.external_id, turn.now, progress_chat=here
            )
        else:
            text = str(found.get("text", ""))
            sent = await send_announcement(
                turn.tx, text, audience, turn.external_id, turn.now, progress_chat=here
            )
        turn.data.pop("draft", None)
        turn.say(
            turn.tr.trn(
                "Sending to %(n)d person has started: progress will appear here. /ferma_invio stops it.",
                "Sending to %(n)d people has started: progress will appear here. /ferma_invio stops it.",
                sent.recipients,
            )
        )
        await turn.go("staff_home")


GOAL_CHOICES = GOAL.choices
AGE_CHOICES = AGE_BAND.choices

STAFF_STEPS = (
    StaffHomeStep(),
    StaffText(
        "st:title",
        "title",
        N_("New workshop. What is its title? (at most %(limit)d characters)"),
        wa.MAX_TITLE,
        "st:description",
    ),
    StaffText(
        "st:description",
        "description",
        N_("A short description for the invitation (at most %(limit)d characters):"),
        wa.MAX_DESCRIPTION,
        "st:when",
    ),
    WhenStep(
        "st:when",
        "when",
        N_("When does it start? Write the date and time like 12/12/2026 10:00."),
        40,
        "st:duration",
    ),
    DurationStep(),
    PlaceStep(
        "st:place",
        "place",
        N_(
            "Where? Write the address, or the link of the online room (at most %(limit)d characters)."
        ),
        wa.MAX_PLACE,
        "st:capacity",
    ),
    CapacityStep("st:capacity", "capacity", N_("How many seats?"), 4, "st:goals"),
    AudienceStep(
        "st:goals",
        "goals",
        N_("Who is it for? Tick what people are looking for, or tap Done for everyone."),
        GOAL_CHOICES,
        "st:ages",
    ),
    AudienceStep(
        "st:ages",
        "age_bands",
        N_("Which ages? Tick them, or tap Done for every age."),
        AGE_CHOICES,
        "st:preview",
    ),
    StaffText(
        "st:text",
        "text",
        N_("New announcement. Write its text (at most %(limit)d characters):"),
        1000,
        "st:goals",
    ),
    PreviewStep(),
    ConfirmSendStep(),
)
