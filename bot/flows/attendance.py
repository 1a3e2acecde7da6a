"""Staff on Telegram: who is coming to a workshop, and the attendance buttons. The buttons
are stateless (`0:pres.<registration id>.yes`) and checked against staff on every tap."""

from __future__ import annotations

from bot.capabilities import seats
from bot.domain import Option, RegistrationStatus, Reply
from bot.flows.base import Turn
from bot.flows.staff import is_staff
from bot.i18n import N_
from bot.languages import is_rtl

PRESENCE = (
    RegistrationStatus.REGISTERED,
    RegistrationStatus.ATTENDED,
    RegistrationStatus.ABSENT,
)


async def attendees_text(turn: Turn, code: str) -> str:
    workshop = await turn.tx.workshops.by_code(code.strip().lower())
    if workshop is None:
        return turn.tr.tr(N_("No workshop with the code %(code)s."), code=code)
    tr = turn.tr
    lines = [f"🎓 {workshop.title} · {tr.appointment(workshop.starts_at)}"]
    waiting = 0
    for registration in await turn.tx.registrations.of_workshop(workshop.id):
        if registration.status is RegistrationStatus.WAITING:
            waiting += 1
            continue
        if registration.seat is None and registration.status not in PRESENCE[1:]:
            continue
        name = (await turn.tx.answers.all(registration.person_id)).get("name")
        mark = {RegistrationStatus.ATTENDED: " ✅", RegistrationStatus.ABSENT: " ❌"}.get(
            registration.status, ""
        )
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
        if registration.status not in PRESENCE:
            continue
        name = (await turn.tx.answers.all(registration.person_id)).get("name")
        present = registration.status is RegistrationStatus.ATTENDED
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
    if not registration_id.isdigit():
        return False
    recorded = await seats.record_attendance(
        turn.tx, int(registration_id), action == "yes", turn.now
    )
    if recorded is None:
        return False
    text, options = await attendance_buttons(turn, recorded.workshop.code)
    turn.replies.append(
        Reply(
            text=text,
            options=options,
            seq=0,
            updates_question=True,
            rtl=is_rtl(turn.tr.language),
        )
    )
    return True
