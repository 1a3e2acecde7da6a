"""Workshops for job seekers: the invitation card with "Partecipo" / "Non posso", the waiting
list when it is full, cancelling a seat, and /workshop to see what is coming."""

from __future__ import annotations

from bot.capabilities import seats
from bot.capabilities.broadcasts import matches
from bot.capabilities.seats import Leaving, SeatResult
from bot.capabilities.workshop_admin import WorkshopDraft
from bot.domain import Option, RegistrationStatus, Workshop
from bot.flows.base import BACK, HUMAN, Said, Turn, please_choose
from bot.i18n import N_
from bot.languages import is_rtl

YES = "ws.yes"
NO = "ws.no"
WAIT = "ws.wait"
LEAVE = "ws.leave"


SEAT_MESSAGES = {
    SeatResult.REGISTERED: N_("✅ Done: your seat is booked. I will remind you the day before."),
    SeatResult.WAITLISTED: N_(
        "You are on the waiting list: if a seat frees up, it is yours and I will tell you."
    ),
    SeatResult.ALREADY: N_("You already have a seat."),
    SeatResult.FULL: N_(
        "I'm sorry: the last seat has just been taken. You can join the waiting list."
    ),
    SeatResult.CLOSED: N_("This workshop has already started or was cancelled."),
}
LEFT_MESSAGES = {
    Leaving.DECLINED: N_("All right, thank you for letting us know."),
    Leaving.CANCELLED: N_("Done: you have left this workshop."),
}


def where(turn: Turn, workshop: Workshop | WorkshopDraft) -> str:
    if workshop.online_url:
        return turn.tr.tr(N_("Online: %(url)s"), url=workshop.online_url)
    return turn.tr.tr(N_("Where: %(place)s"), place=workshop.place or "")


def card_text(turn: Turn, workshop: Workshop | WorkshopDraft, seats_left: int) -> str:
    tr = turn.tr
    # Right to left, the card must start with a word of the language, not the title.
    title = (
        tr.tr(N_("🎓 Workshop: %(title)s"), title=workshop.title)
        if is_rtl(tr.language)
        else f"🎓 {workshop.title}"
    )
    lines = [
        title,
        workshop.description,
        "",
        tr.trn(
            "📅 %(when)s, %(n)d minute.",
            "📅 %(when)s, %(n)d minutes.",
            workshop.duration_minutes,
            when=tr.appointment(workshop.starts_at),
        ),
        where(turn, workshop),
        tr.trn("%(n)d seat left.", "%(n)d seats left.", seats_left)
        if seats_left
        else tr.tr(N_("No seats left: you can join the waiting list.")),
    ]
    return "\n".join(lines)


async def workshop_of(turn: Turn) -> Workshop | None:
    code = turn.data.get("workshop")
    return await turn.tx.workshops.by_code(code) if isinstance(code, str) else None


class WorkshopCardStep:
    name = "ws_card"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        workshop = await workshop_of(turn)
        nav = (Option(BACK, tr(N_("⬅️ Back"))), Option(HUMAN, tr(N_("🙋 Talk to a person"))))
        if workshop is None or not seats.open_for_answers(workshop, turn.now):
            return nav
        mine = await turn.tx.registrations.get(workshop.id, turn.person.id)
        if seats.holds_seat(mine):
            return (Option(LEAVE, tr(N_("❌ Cancel my seat"))), *nav)
        if mine is not None and mine.status is RegistrationStatus.WAITING:
            return (Option(LEAVE, tr(N_("Leave the waiting list"))), *nav)
        if await seats.seats_left(turn.tx, workshop):
            return (
                Option(YES, tr(N_("✅ I'll be there"))),
                Option(NO, tr(N_("I can't come"))),
                *nav,
            )
        return (Option(WAIT, tr(N_("🔔 Join the waiting list"))), *nav)

    async def ask(self, turn: Turn) -> None:
        workshop = await workshop_of(turn)
        if workshop is None:
            turn.say(turn.tr.tr(N_("I can't find that workshop.")))
            await turn.go("ws_list")
            return
        text = card_text(turn, workshop, await seats.seats_left(turn.tx, workshop))
        if not seats.open_for_answers(workshop, turn.now):
            text += "\n\n" + turn.tr.tr(N_("This workshop has already started or was cancelled."))
        else:
            mine = await turn.tx.registrations.get(workshop.id, turn.person.id)
            if seats.holds_seat(mine):
                text += "\n\n" + turn.tr.tr(N_("✅ You have a seat."))
            elif mine is not None and mine.status is RegistrationStatus.WAITING:
                text += "\n\n" + turn.tr.tr(N_("🔔 You are on the waiting list."))
        turn.say(text, await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        workshop = await workshop_of(turn)
        if workshop is None:
            await self.ask(turn)
            return
        agenda, tr = turn.settings.agenda, turn.tr
        if said.option in (YES, WAIT):
            take = seats.register_seat if said.option == YES else seats.seat_or_wait
            outcome = await take(turn.tx, agenda, workshop, turn.person.id, turn.now)
            turn.say(tr.tr(SEAT_MESSAGES[outcome]))
        elif said.option in (NO, LEAVE):
            how = Leaving.DECLINED if said.option == NO else Leaving.CANCELLED
            await seats.leave(turn.tx, agenda, workshop, turn.person.id, turn.now, how)
            turn.say(tr.tr(LEFT_MESSAGES[how]))
        else:
            please_choose(turn)
        await turn.ask_again()

    async def back(self, turn: Turn) -> None:
        await turn.resume() if turn.data.get("return_to") else await turn.go("ws_list")

    async def no_longer_offered(self, turn: Turn, option_id: str) -> bool:
        if option_id not in (YES, NO, WAIT, LEAVE):
            return False
        turn.say(
            turn.tr.tr(N_("Things have changed since that message. Here is the workshop now:"))
        )
        await turn.ask_again()
        return True


class WorkshopListStep:
    name = "ws_list"

    async def _visible(self, turn: Turn) -> list[Workshop]:
        """Upcoming workshops meant for this person, and any they are registered to."""
        mine = {r.workshop_id for r in await turn.tx.registrations.of_person(turn.person.id)}
        shown = []
        for workshop in await turn.tx.workshops.upcoming(turn.now):
            if workshop.id in mine or matches(workshop.audience, turn.answers):
                shown.append(workshop)
        return shown[:10]

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr
        listed = tuple(
            Option(f"ws.open.{w.code}", f"{tr.weekday(w.starts_at)} · {w.title}"[:60])
            for w in await self._visible(turn)
        )
        return (
            *listed,
            Option(BACK, tr.tr(N_("⬅️ Back"))),
            Option(HUMAN, tr.tr(N_("🙋 Talk to a person"))),
        )

    async def ask(self, turn: Turn) -> None:
        visible = await self._visible(turn)
        text = (
            turn.tr.tr(N_("Upcoming workshops of the Sportello Lavoro: choose one to see it."))
            if visible
            else turn.tr.tr(N_("There are no upcoming workshops for you at the moment."))
        )
        turn.say(text, await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        option = said.option or ""
        if option.startswith("ws.open."):
            await turn.go("ws_card", workshop=option.removeprefix("ws.open."))
        else:
            please_choose(turn)
            await turn.ask_again()

    async def back(self, turn: Turn) -> None:
        await turn.resume()
