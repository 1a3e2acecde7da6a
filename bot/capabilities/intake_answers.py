"""A person's intake answers: saving them, starting again, and the confirmation that writes
the anonymous statistics row. Which questions exist is the script's business
(bot/flows/intake_questions.py): these functions take question ids."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.clock import ROME
from bot.domain import JSON, Channel, IntakeStats, Person
from storage.session import Session


async def save_answer(
    tx: Session, person_id: int, question_id: str, value: JSON, now: datetime
) -> None:
    """An answer, or None for a skipped question; a new answer replaces the old one."""
    await tx.answers.save(person_id, question_id, value, now)


async def delete_answers(tx: Session, person_id: int, question_ids: Collection[str]) -> None:
    await tx.answers.delete(person_id, list(question_ids))


class StartOver(StrEnum):
    CLEARED = "cleared"
    KEPT = "kept"  # confirmed answers: the operator reads them, they are changed one by one


async def start_over(tx: Session, person: Person) -> StartOver:
    """Delete the answers to ask everything again, unless the intake is confirmed."""
    if person.intake_confirmed_at is not None:
        return StartOver.KEPT
    await tx.answers.clear(person.id)
    return StartOver.CLEARED


@dataclass(frozen=True)
class IntakeConfirmation:
    dropped: tuple[str, ...]  # answers to questions that left the script, now deleted
    first_time: bool  # only then is the statistics row written


async def confirm_intake(
    tx: Session,
    person: Person,
    answers: dict[str, JSON],
    current: Collection[str],
    channel: Channel,
    now: datetime,
) -> IntakeConfirmation:
    """The person confirms their answers. `current` are the script's question ids for these
    answers; the others are dropped. The first confirmation counts once in the statistics."""
    dropped = tuple(key for key in answers if key not in current)
    await delete_answers(tx, person.id, dropped)
    first_time = person.intake_confirmed_at is None
    await tx.people.confirm_intake(person.id, now)
    if first_time:
        kept = {k: v for k, v in answers.items() if k not in dropped}
        await tx.stats.add_intake(anonymous_stats(kept, channel, now, person.language))
    return IntakeConfirmation(dropped=dropped, first_time=first_time)


def anonymous_stats(
    answers: dict[str, JSON], channel: Channel, now: datetime, language: str | None = None
) -> IntakeStats:
    """The answers the annual report counts, without anything that points to the person."""

    def get(key: str) -> str | None:
        value = answers.get(key)
        return value if isinstance(value, str) else None

    return IntakeStats(
        month=now.strftime("%Y-%m"),
        channel=channel.value,
        residence=get("residence"),
        age_band=get("age_band"),
        gender=get("gender"),
        citizenship=get("citizenship"),
        status=get("status"),
        duration=get("duration"),
        education=get("education"),
        goal=get("goal"),
        day=now.astimezone(ROME).date().isoformat(),
        cpi=get("cpi"),
        language=language,
    )
