"""Staff of the desk, on Telegram: the steps that ask for a workshop's or an announcement's
fields one by one (bot/flows/staff_dialogs.py has the preview, the confirmation and the step
table). Every answer checks, on the server, that the person is staff."""

from __future__ import annotations

from bot.capabilities import roles
from bot.capabilities import workshop_admin as wa
from bot.domain import JSON, Option
from bot.flows.base import BACK, DONE, Said, Turn, please_choose
from bot.flows.state import StepName
from bot.i18n import N_

DURATIONS = (60, 90, 120, 180)


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

    def __init__(
        self, name: StepName, key: str, prompt: str, limit: int, following: StepName
    ) -> None:
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
            Option(f"dur.{m}", turn.tr.trn("%(n)d minute", "%(n)d minutes", m)) for m in DURATIONS
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
        self,
        name: StepName,
        key: str,
        prompt: str,
        choices: tuple[tuple[str, str], ...],
        following: StepName,
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
