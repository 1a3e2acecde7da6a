"""Creating, checking, changing and cancelling workshops. `validate` is the one set of rules
for the chat, the command line, file imports and, later, the web: each field's check is a
function of its own, so the chat can ask again about one field with the same rule."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bot.agenda import Agenda
from bot.capabilities import messaging
from bot.capabilities.broadcasts import stop_broadcasts_for_workshop
from bot.capabilities.seats import open_for_answers, plan_reminders, seats_taken
from bot.clock import ROME
from bot.content import Sector
from bot.domain import Audience, OutboxKind, Workshop
from storage.session import Session

CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off posters
WHEN = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?\s+(\d{1,2})[:.](\d{2})\s*$")
ISO_WHEN = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})\s*$")
MAX_TITLE, MAX_DESCRIPTION, MAX_PLACE = 80, 500, 300
MIN_DURATION, MAX_DURATION, DEFAULT_DURATION = 15, 600, 90
MAX_CAPACITY = 500
AUDIENCE_FIELDS = ("goals", "age_bands", "sectors", "languages")
WORKSHOP_KINDS = messaging.WORKSHOP_KINDS


class Field(StrEnum):
    TITLE = "title"
    DESCRIPTION = "description"
    STARTS = "starts"
    DURATION = "duration"
    CAPACITY = "capacity"
    PLACE = "place or link"
    LINK = "link"
    GOALS = "goals"
    AGE_BANDS = "age_bands"
    SECTORS = "sectors"
    LANGUAGES = "languages"


@dataclass(frozen=True)
class ValidationProblem:
    field: Field
    message: str  # plain English, for the command line, imports and logs

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidWorkshop(ValueError):
    def __init__(self, problems: Iterable[ValidationProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class AudienceCodes:
    """The codes an audience may use: the intake's own answer ids."""

    goals: tuple[str, ...]
    age_bands: tuple[str, ...]
    sectors: tuple[str, ...]
    languages: tuple[str, ...]

    @classmethod
    def of(cls, sectors: Iterable[Sector]) -> AudienceCodes:
        from bot.flows.intake import AGE_BAND, GOAL, LANGUAGES  # the questions own the ids

        return cls(
            goals=tuple(i for i, _ in GOAL.choices),
            age_bands=tuple(i for i, _ in AGE_BAND.choices),
            sectors=tuple(s.id for s in sectors),
            # Italian is matched from the Italian-level answer (see broadcasts.matches).
            languages=("it", *(i for i, _ in LANGUAGES.choices)),
        )


@dataclass(frozen=True)
class WorkshopDraft:
    """A workshop that passed `validate`: the only thing `create_workshop` accepts."""

    title: str
    description: str
    starts_at: datetime
    duration_minutes: int
    place: str | None
    online_url: str | None
    capacity: int
    audience: Audience


class CancelResult(StrEnum):
    CANCELLED = "cancelled"
    ALREADY_CANCELLED = "already_cancelled"
    ALREADY_STARTED = "already_started"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def parse_moment(text: str, now: datetime) -> datetime | None:
    """ "2026-12-12 10:00", "12/12/2026 10:00", "12/12 10:00" (next one) -> a Rome moment."""
    iso = ISO_WHEN.match(text)
    if iso:
        year, month, day, hour, minute = iso.groups()
    else:
        match = WHEN.match(text)
        if match is None:
            return None
        day, month, year, hour, minute = match.groups()
    local_now = now.astimezone(ROME)
    full_year = int(year) + 2000 if year and len(year) == 2 else int(year or local_now.year)
    try:
        moment = datetime(full_year, int(month), int(day), int(hour), int(minute), tzinfo=ROME)
    except ValueError:
        return None
    if year is None and moment < local_now:
        moment = moment.replace(year=moment.year + 1)
    return moment


def check_text(field: Field, text: str, limit: int, required: bool) -> ValidationProblem | None:
    if (required and not text) or len(text) > limit:
        low = 1 if required else 0
        return ValidationProblem(field, f"{low} to {limit} characters")
    return None


def check_starts(value: object, now: datetime) -> datetime | ValidationProblem:
    if isinstance(value, datetime):
        moment: datetime | None = value if value.tzinfo else value.replace(tzinfo=ROME)
    else:
        moment = parse_moment(str(value or ""), now)
    if moment is None:
        return ValidationProblem(Field.STARTS, "a date and time like 2026-12-02 10:00")
    if moment <= now:
        return ValidationProblem(Field.STARTS, "that moment is in the past")
    return moment


def check_duration(value: object) -> int | ValidationProblem:
    minutes = _whole(value)
    if minutes is None or not MIN_DURATION <= minutes <= MAX_DURATION:
        return ValidationProblem(Field.DURATION, f"minutes, from {MIN_DURATION} to {MAX_DURATION}")
    return minutes


def check_capacity(value: object) -> int | ValidationProblem:
    seats = _whole(value)
    if seats is None or not 1 <= seats <= MAX_CAPACITY:
        return ValidationProblem(
            Field.CAPACITY, f"seats, from 1 to {MAX_CAPACITY} (a workshop needs at least one)"
        )
    return seats


def check_where(place: str, link: str) -> list[ValidationProblem]:
    problems = []
    if bool(place) == bool(link):
        problems.append(
            ValidationProblem(
                Field.PLACE, "give exactly one (an address, or the online room's https link)"
            )
        )
    if link and not link.startswith("https://"):
        problems.append(ValidationProblem(Field.LINK, "an https:// address"))
    for field, text in ((Field.PLACE, place), (Field.LINK, link)):
        if len(text) > MAX_PLACE:
            problems.append(ValidationProblem(field, f"at most {MAX_PLACE} characters"))
    return problems


def check_audience(audience: Audience, codes: AudienceCodes) -> list[ValidationProblem]:
    """Codes that match nobody are mistakes: say which, and which codes exist."""
    problems = []
    for name in AUDIENCE_FIELDS:
        valid: tuple[str, ...] = getattr(codes, name)
        unknown = [v for v in getattr(audience, name) if v not in valid]
        if unknown:
            problems.append(
                ValidationProblem(
                    Field(name),
                    f"unknown code {', '.join(unknown)}; the codes are {', '.join(valid)}",
                )
            )
    return problems


def validate(raw: Mapping[str, object], now: datetime, codes: AudienceCodes) -> WorkshopDraft:
    """Check a workshop's fields from any source; InvalidWorkshop lists everything to fix."""
    title, description = _text(raw.get("title")), _text(raw.get("description"))
    place, link = _text(raw.get("place")), _text(raw.get("link"))
    audience = Audience(**{k: _values(raw.get(k)) for k in AUDIENCE_FIELDS})
    starts = check_starts(raw.get("starts"), now)
    duration = check_duration(raw.get("duration", DEFAULT_DURATION))
    capacity = check_capacity(raw.get("capacity"))
    problems = [
        p
        for p in (
            check_text(Field.TITLE, title, MAX_TITLE, required=True),
            starts,
            check_text(Field.DESCRIPTION, description, MAX_DESCRIPTION, required=False),
            duration,
            capacity,
            *check_where(place, link),
            *check_audience(audience, codes),
        )
        if isinstance(p, ValidationProblem)
    ]
    if problems:
        raise InvalidWorkshop(problems)
    assert isinstance(starts, datetime)
    assert isinstance(duration, int)
    assert isinstance(capacity, int)
    return WorkshopDraft(
        title=title,
        description=description,
        starts_at=starts,
        duration_minutes=duration,
        place=place or None,
        online_url=link or None,
        capacity=capacity,
        audience=audience,
    )


def fields_of(workshop: Workshop) -> dict[str, object]:
    """A workshop as `validate`'s input, to change some fields and check the whole again."""
    return {
        "title": workshop.title,
        "description": workshop.description,
        "starts": workshop.starts_at,
        "duration": workshop.duration_minutes,
        "capacity": workshop.capacity,
        "place": workshop.place,
        "link": workshop.online_url,
        **workshop.audience.as_json(),
    }


async def create_workshop(
    tx: Session, draft: WorkshopDraft, created_by: str, now: datetime
) -> Workshop:
    return await tx.workshops.create(
        code=new_code(),
        title=draft.title,
        description=draft.description,
        starts_at=draft.starts_at,
        duration_minutes=draft.duration_minutes,
        place=draft.place,
        online_url=draft.online_url,
        capacity=draft.capacity,
        audience=draft.audience,
        created_by=created_by,
        now=now,
    )


async def update_workshop(
    tx: Session,
    agenda: Agenda,
    workshop: Workshop,
    changes: Mapping[str, object],
    now: datetime,
    codes: AudienceCodes,
) -> Workshop:
    """Change fields of an upcoming workshop; a new time re-plans the seated's reminders."""
    if not open_for_answers(workshop, now):
        raise InvalidWorkshop(
            [ValidationProblem(Field.STARTS, "it has already started or was cancelled")]
        )
    draft = validate({**fields_of(workshop), **changes}, now, codes)
    taken = await seats_taken(tx, workshop.id)
    if draft.capacity < taken:
        problem = ValidationProblem(Field.CAPACITY, f"{taken} seats are already taken")
        raise InvalidWorkshop([problem])
    updated = replace(workshop, **vars(draft))
    await tx.workshops.update(updated)
    if updated.starts_at != workshop.starts_at:
        await tx.workshops.drop_pending(
            workshop.id, (OutboxKind.WORKSHOP_REMINDER,), "workshop moved"
        )
        for registration in await tx.registrations.of_workshop(workshop.id):
            if registration.seat is not None:
                await plan_reminders(tx, agenda, updated, registration.person_id, now)
    return updated


async def cancel_workshop(tx: Session, workshop: Workshop, now: datetime) -> CancelResult:
    """Cancel it: nobody can take a seat, pending invitations and reminders are dropped."""
    if workshop.cancelled_at is not None:
        return CancelResult.ALREADY_CANCELLED
    if workshop.starts_at <= now:
        return CancelResult.ALREADY_STARTED
    if not await tx.workshops.cancel(workshop.id, now):
        return CancelResult.ALREADY_CANCELLED
    await stop_broadcasts_for_workshop(tx, workshop.id, now)
    await tx.workshops.drop_pending(workshop.id, WORKSHOP_KINDS, "workshop cancelled")
    return CancelResult.CANCELLED


def _text(value: object) -> str:
    return str(value).strip() if value is not None else ""


def _whole(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = _text(value)
    # isdigit alone lets "²" through, which int() refuses; six digits are plenty.
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else None


def _values(value: object) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)):
        return tuple(str(v).strip() for v in value if str(v).strip())
    if isinstance(value, str):
        # Codes never hold a comma: a list in a ;-separated spreadsheet may use commas.
        return tuple(v.strip() for v in re.split(r"[;,]", value) if v.strip())
    return ()
