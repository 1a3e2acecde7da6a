"""Staff of the desk, on Telegram: create a workshop or an announcement step by step, see a
preview exactly as recipients will and how many they are, then send after an explicit
confirmation. Every step checks, on the server, that the person is staff."""

from __future__ import annotations

from datetime import datetime

from bot.capabilities import roles
from bot.capabilities import workshop_admin as wa
from bot.capabilities.broadcasts import recipients, send_announcement, send_invitation
from bot.domain import JSON, Audience, Option, Workshop
from bot.flows.base import BACK, DONE, Said, Turn, please_choose
from bot.flows.intake import AGE_BAND, GOAL
from bot.flows.workshop_card import card_text
from bot.i18n import N_

DURATIONS = (60, 90, 120, 180)
NO_LONGER_VALID = N_(
    "Something in this workshop is no longer valid (its date may have passed): "
    "please start again with /nuovo_workshop."
)


async def is_staff(turn: Turn) -> bool:
    return await roles.is_staff(turn.tx, turn.channel, turn.external_id)


def draft(turn: Turn) -> dict[str, JSON]:
    found = turn.data.get("draft")
    if not isinstance(found, dict):
        found = {}
        turn.data["draft"] = found
    return found


def nav(turn: Turn) -> tuple[Option, ...]:
    return (Option(BACK, turn.tr.tr(N_("⬅️ Back"))),)


class StaffText:
    """A free-text step of the staff dialogs."""

    def __init__(self, name: str, key: str, prompt: str, limit: int, following: str) -> None:
        self.name, self.key, self.prompt, self.limit, self.following = (
            name,
            key,
            prompt,
            limit,
            following,
        )

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        return nav(turn)

    async def ask(self, turn: Turn) -> None:
        turn.say(turn.tr.tr(self.prompt, limit=self.limit), await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        if not await is_staff(turn):
            await turn.go("start")
            return
        text = said.text.strip()
        if not text or len(text) > self.limit:
            turn.say(
                turn.tr.tr(N_("Please write between 1 and %(limit)d characters."), limit=self.limit)
            )
            await turn.ask_again()
            return
        error = self.check(turn, text)
        if error:
            turn.say(error)
            await turn.ask_again()
            return
        await turn.go(self.following)

    def check(self, turn: Turn, text: str) -> str | None:
        draft(turn)[self.key] = text
        return None

    async def back(self, turn: Turn) -> None:
        await turn.go("staff_home")


class WhenStep(StaffText):
    def check(self, turn: Turn, text: str) -> str | None:
        parsed = wa.parse_moment(text, turn.now)
        if parsed is None:
            return turn.tr.tr(N_("I could not read that date: write it like 12/12/2026 10:00."))
        moment = wa.check_starts(parsed, turn.now)
        if isinstance(moment, wa.ValidationProblem):
            return turn.tr.tr(N_("That moment is in the past: choose a future date."))
        draft(turn)["starts_at"] = moment.isoformat()
        return None


class PlaceStep(StaffText):
    def check(self, turn: Turn, text: str) -> str | None:
        is_link = text.startswith(("https://", "http://"))
        if wa.check_where("" if is_link else text, text if is_link else ""):
            return turn.tr.tr(N_("The link of an online room must start with https://."))
        draft(turn)["online_url" if is_link else "place"] = text
        draft(turn).pop("place" if is_link else "online_url", None)
        return None


class CapacityStep(StaffText):
    def check(self, turn: Turn, text: str) -> str | None:
        seats_wanted = wa.check_capacity(text)
        if isinstance(seats_wanted, wa.ValidationProblem):
            return turn.tr.tr(
                N_("Write the number of seats, from 1 to %(max)d."), max=wa.MAX_CAPACITY
            )
        draft(turn)["capacity"] = seats_wanted
        return None


class DurationStep:
    name = "st:duration"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        return tuple(
            Option(f"dur.{m}", turn.tr.tr(N_("%(minutes)d minutes"), minutes=m)) for m in DURATIONS
        ) + nav(turn)

    async def ask(self, turn: Turn) -> None:
        turn.say(turn.tr.tr(N_("How long is it?")), await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        minutes = (said.option or "").removeprefix("dur.")
        if not minutes.isdigit() or not await is_staff(turn):
            please_choose(turn)
            await turn.ask_again()
            return
        draft(turn)["duration"] = int(minutes)
        await turn.go("st:place")

    async def back(self, turn: Turn) -> None:
        await turn.go("st:when")


class AudienceStep:
    """Tick the groups the message is for; nothing ticked means everyone who opted in."""

    def __init__(
        self, name: str, key: str, prompt: str, choices: tuple[tuple[str, str], ...], following: str
    ) -> None:
        self.name, self.key, self.prompt, self.choices, self.following = (
            name,
            key,
            prompt,
            choices,
            following,
        )

    def _ticked(self, turn: Turn) -> list[str]:
        found = draft(turn).get(self.key)
        return [str(v) for v in found] if isinstance(found, list) else []

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        ticked = set(self._ticked(turn))
        tr = turn.tr.tr
        choices = [
            Option(i, f"✅ {tr(label)}" if i in ticked else tr(label)) for i, label in self.choices
        ]
        return (*choices, Option(DONE, tr(N_("✔️ Done"))), *nav(turn))

    async def ask(self, turn: Turn) -> None:
        turn.say(turn.tr.tr(self.prompt), await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        if not await is_staff(turn):
            await turn.go("start")
            return
        if said.option == DONE:
            await turn.go(self.following)
            return
        valid = [o for o in said.options if o in dict(self.choices)]
        if not valid:
            please_choose(turn)
            await turn.ask_again()
            return
        ticked = self._ticked(turn)
        for option in valid:
            ticked.remove(option) if option in ticked else ticked.append(option)
        draft(turn)[self.key] = ticked
        turn.redraw(turn.tr.tr(self.prompt), await self.options(turn))

    async def back(self, turn: Turn) -> None:
        await turn.go("staff_home")


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
        if found.get("kind") == "workshop":
            workshop = await save_workshop(turn)
            if workshop is None:
                return
            sent = await send_invitation(turn.tx, workshop, audience, turn.external_id, turn.now)
        else:
            text = str(found.get("text", ""))
            sent = await send_announcement(turn.tx, text, audience, turn.external_id, turn.now)
        turn.data.pop("draft", None)
        turn.say(
            turn.tr.tr(
                N_(
                    "Sending to %(n)d people has started: progress will appear here. /ferma_invio stops it."
                ),
                n=sent.recipients,
            )
        )
        await turn.go("staff_home")


class StaffHomeStep:
    """Where staff stand between dialogs: what they can do."""

    name = "staff_home"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        return ()

    async def ask(self, turn: Turn) -> None:
        turn.say(
            turn.tr.tr(
                N_(
                    "Staff commands:\n/nuovo_workshop – create a workshop and invite people\n"
                    "/annuncio – send an announcement\n/iscritti CODE – who is coming\n"
                    "/presenze CODE – record who came\n/ferma_invio – stop a sending"
                )
            )
        )

    async def answer(self, turn: Turn, said: Said) -> None:
        await self.ask(turn)


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
