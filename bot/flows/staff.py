"""Staff of the desk, on Telegram: create a workshop or an announcement step by step, see a
preview exactly as recipients will and how many they are, then send after an explicit
confirmation. Every step checks, on the server, that the person is staff."""

from __future__ import annotations

from datetime import datetime

from bot import workshops as ws
from bot.domain import JSON, Audience, Channel, Option, Reply, Workshop
from bot.flows.base import BACK, DONE, Said, Turn, please_choose
from bot.flows.intake import AGE_BAND, GOAL
from bot.flows.workshops import card_text
from bot.i18n import N_

DURATIONS = (60, 90, 120, 180)
MAX_CAPACITY = 500


async def is_staff(turn: Turn) -> bool:
    return turn.channel is Channel.TELEGRAM and await turn.tx.staff.contains(turn.external_id)


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
        moment = ws.parse_when(text, turn.now)
        if moment is None:
            return turn.tr.tr(N_("I could not read that date: write it like 12/12/2026 10:00."))
        if moment <= turn.now:
            return turn.tr.tr(N_("That moment is in the past: choose a future date."))
        draft(turn)["starts_at"] = moment.isoformat()
        return None


class PlaceStep(StaffText):
    def check(self, turn: Turn, text: str) -> str | None:
        is_link = text.startswith(("https://", "http://"))
        draft(turn)["online_url" if is_link else "place"] = text
        draft(turn).pop("place" if is_link else "online_url", None)
        return None


class CapacityStep(StaffText):
    def check(self, turn: Turn, text: str) -> str | None:
        if not text.isdigit() or not 1 <= int(text) <= MAX_CAPACITY:
            return turn.tr.tr(N_("Write the number of seats, from 1 to %(max)d."), max=MAX_CAPACITY)
        draft(turn)["capacity"] = int(text)
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


def draft_workshop(turn: Turn) -> Workshop | None:
    found = draft(turn)
    try:
        return Workshop(
            id=0,
            code="",
            title=str(found["title"]),
            description=str(found["description"]),
            starts_at=datetime.fromisoformat(str(found["starts_at"])),
            duration_minutes=int(str(found["duration"])),
            place=str(found["place"]) if found.get("place") else None,
            online_url=str(found["online_url"]) if found.get("online_url") else None,
            capacity=int(str(found["capacity"])),
            audience=audience_of(turn),
            created_by=turn.external_id,
        )
    except (KeyError, ValueError):
        return None


class PreviewStep:
    name = "st:preview"
    SEND = "st.send"
    SAVE = "st.save"
    DISCARD = "st.discard"

    async def _count(self, turn: Turn) -> int:
        return len(await ws.recipients(turn.tx, audience_of(turn)))

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


async def save_workshop(turn: Turn) -> Workshop:
    workshop = draft_workshop(turn)
    assert workshop is not None
    return await turn.tx.workshops.create(
        code=ws.new_code(),
        title=workshop.title,
        description=workshop.description,
        starts_at=workshop.starts_at,
        duration_minutes=workshop.duration_minutes,
        place=workshop.place,
        online_url=workshop.online_url,
        capacity=workshop.capacity,
        audience=workshop.audience,
        created_by=turn.external_id,
        now=turn.now,
    )


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
        count = len(await ws.recipients(turn.tx, audience_of(turn)))
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
        found = draft(turn)
        workshop = await save_workshop(turn) if found.get("kind") == "workshop" else None
        broadcast = await turn.tx.broadcasts.create(
            kind="workshop" if workshop else "announcement",
            workshop_id=workshop.id if workshop else None,
            text=None if workshop else str(found.get("text", "")),
            audience=audience_of(turn),
            created_by=turn.external_id,
            now=turn.now,
        )
        total = await ws.start_broadcast(turn.tx, broadcast, turn.now)
        turn.data.pop("draft", None)
        turn.say(
            turn.tr.tr(
                N_(
                    "Sending to %(n)d people has started: progress will appear here. /ferma_invio stops it."
                ),
                n=total or 0,
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
        80,
        "st:description",
    ),
    StaffText(
        "st:description",
        "description",
        N_("A short description for the invitation (at most %(limit)d characters):"),
        500,
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
        300,
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


async def attendees_text(turn: Turn, code: str) -> str:
    workshop = await turn.tx.workshops.by_code(code.strip().lower())
    if workshop is None:
        return turn.tr.tr(N_("No workshop with the code %(code)s."), code=code)
    tr = turn.tr
    lines = [f"🎓 {workshop.title} · {tr.appointment(workshop.starts_at)}"]
    waiting = 0
    for registration in await turn.tx.registrations.of_workshop(workshop.id):
        if registration.status == "waiting":
            waiting += 1
            continue
        if registration.seat is None and registration.status not in ("attended", "absent"):
            continue
        name = (await turn.tx.answers.all(registration.person_id)).get("name")
        mark = {"attended": " ✅", "absent": " ❌"}.get(registration.status, "")
        lines.append(f"{registration.seat or '·'}. {name if isinstance(name, str) else '—'}{mark}")
    lines.append(
        tr.tr(
            N_("Seats taken: %(taken)d of %(capacity)d; waiting: %(waiting)d."),
            taken=sum(1 for line in lines[1:] if not line.startswith("·")),
            capacity=workshop.capacity,
            waiting=waiting,
        )
    )
    return "\n".join(lines)


async def attendance_buttons(turn: Turn, code: str) -> tuple[str, tuple[Option, ...]]:
    """One button per registered person: tapping records them present (or absent again)."""
    workshop = await turn.tx.workshops.by_code(code.strip().lower())
    if workshop is None:
        return turn.tr.tr(N_("No workshop with the code %(code)s."), code=code), ()
    options = []
    for registration in await turn.tx.registrations.of_workshop(workshop.id):
        if registration.status not in ("registered", "attended", "absent"):
            continue
        name = (await turn.tx.answers.all(registration.person_id)).get("name")
        present = registration.status == "attended"
        label = f"{'✅' if present else '⬜'} {name if isinstance(name, str) else '—'}"
        action = "no" if present else "yes"
        options.append(Option(f"pres.{registration.id}.{action}", label[:40]))
    text = turn.tr.tr(
        N_("Who came to %(title)s? Tap a name to mark it present or absent."), title=workshop.title
    )
    return text, tuple(options)


async def staff_button(turn: Turn, option_id: str) -> bool:
    """A stateless staff button (attendance). False when it is not one, or not from staff."""
    if not option_id.startswith("pres.") or not await is_staff(turn):
        return False
    _, registration_id, action = option_id.split(".", 2)
    registration = (
        await turn.tx.registrations.by_id(int(registration_id))
        if registration_id.isdigit()
        else None
    )
    if registration is None:
        return False
    await turn.tx.registrations.set_attendance(registration.id, action == "yes", turn.now)
    workshop = await turn.tx.workshops.get(registration.workshop_id)
    assert workshop is not None
    text, options = await attendance_buttons(turn, workshop.code)
    turn.replies.append(Reply(text=text, options=options, seq=0, updates_question=True))
    return True
