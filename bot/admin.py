"""The administrator's and staff's command-line work on staff and workshops."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from bot import workshops as ws
from bot.clock import ROME
from bot.content import load_sectors
from bot.domain import Audience, Workshop
from bot.flows.intake import AGE_BAND, GOAL, LANGUAGES
from bot.importfile import ImportFileError, read_rows, shape_problem
from bot.reports import local
from storage.db import Database

LIST_FIELDS = ("goals", "age_bands", "sectors", "languages")


class WorkshopInputError(Exception):
    pass


def workshop_fields(raw: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Check one workshop's fields (from the command line, TOML or CSV); say what to fix."""
    problems = []
    title = str(raw.get("title", "")).strip()
    if not title or len(title) > 80:
        problems.append("title: 1 to 80 characters")
    starts = raw.get("starts")
    if isinstance(starts, datetime):
        starts_at: datetime | None = starts if starts.tzinfo else starts.replace(tzinfo=ROME)
    else:
        starts_at = _moment(str(starts or ""))
    if starts_at is None:
        problems.append("starts: a date and time like 2026-12-02 10:00")
    elif starts_at <= now:
        problems.append("starts: that moment is in the past")
    duration, capacity = _whole(raw.get("duration", 90)), _whole(raw.get("capacity"))
    if duration is None or not 15 <= duration <= 600:
        problems.append("duration: minutes, from 15 to 600")
    if capacity is None or not 1 <= capacity <= 500:
        problems.append("capacity: seats, from 1 to 500 (a workshop needs at least one)")
    place, link = raw.get("place") or None, raw.get("link") or None
    if bool(place) == bool(link):
        problems.append(
            "place or link: give exactly one (an address, or the online room's https link)"
        )
    if link and not str(link).startswith("https://"):
        problems.append("link: an https:// address")
    audience = Audience(**{k: _values(raw.get(k)) for k in LIST_FIELDS})
    problems += audience_problems(audience)
    if problems:
        raise WorkshopInputError("; ".join(problems))
    return {
        "title": title,
        "description": str(raw.get("description", "")).strip(),
        "starts_at": starts_at,
        "duration_minutes": duration,
        "place": str(place) if place else None,
        "online_url": str(link) if link else None,
        "capacity": capacity,
        "audience": audience,
    }


def audience_codes() -> dict[str, tuple[str, ...]]:
    """The codes each audience field accepts: the ids of the intake's options."""
    return {
        "goals": tuple(code for code, _ in GOAL.choices),
        "age_bands": tuple(code for code, _ in AGE_BAND.choices),
        "sectors": tuple(sector.id for sector in load_sectors()),
        # Italian counts for people who speak it well (see workshops.matches).
        "languages": ("it", *(code for code, _ in LANGUAGES.choices)),
    }


def audience_problems(audience: Audience) -> list[str]:
    """A code that matches no possible answer would silently shrink the audience to nobody."""
    problems = []
    for field, valid in audience_codes().items():
        unknown = [code for code in getattr(audience, field) if code not in valid]
        if unknown:
            problems.append(f"{field}: unknown {', '.join(unknown)} (valid: {', '.join(valid)})")
    return problems


def _moment(text: str) -> datetime | None:
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M", "%d/%m/%Y %H.%M"):
        try:
            return datetime.strptime(text.strip(), pattern).replace(tzinfo=ROME)
        except ValueError:
            continue
    return None


def _whole(value: object) -> int | None:
    text = str(value).strip() if value is not None else ""
    # isdigit alone lets "²" through, which int() refuses; six digits are plenty.
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else None


def _values(value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v).strip() for v in value if str(v).strip())
    if isinstance(value, str):
        # Codes never hold a comma: a list in a ;-separated spreadsheet may use commas.
        return tuple(v.strip() for v in re.split(r"[;,]", value) if v.strip())
    return ()


async def add_workshop(
    db: Database, fields: dict[str, Any], created_by: str, now: datetime
) -> Workshop:
    async with db.write() as tx:
        return await tx.workshops.create(
            code=ws.new_code(), created_by=created_by, now=now, **fields
        )


WORKSHOP_FIELDS = ("title", "description", "starts", "duration", "capacity", "place", "link")


async def import_workshops(db: Database, path: Path, now: datetime) -> tuple[list[str], bool]:
    """Each row checked and created on its own; False when the file cannot be read."""
    try:
        rows = read_rows(path, "workshop", (*WORKSHOP_FIELDS, *LIST_FIELDS))
    except ImportFileError as exc:
        return [f"Cannot import {path}: {exc}"], False
    lines, imported = [], 0
    for number, raw in enumerate(rows, 1):
        odd = shape_problem(raw, WORKSHOP_FIELDS, LIST_FIELDS)
        if odd is not None:
            lines.append(f"[{number}/{len(rows)}] skipped: {odd}")
            continue
        try:
            fields = workshop_fields({str(k): v for k, v in raw.items()}, now)
            workshop = await add_workshop(db, fields, "import", now)
        except WorkshopInputError as exc:
            lines.append(f"[{number}/{len(rows)}] skipped: {exc}")
            continue
        imported += 1
        lines.append(f"[{number}/{len(rows)}] {workshop.code}  {workshop.title}")
    lines.append(f"imported {imported} of {len(rows)} workshops")
    return lines, imported == len(rows)


async def workshop_lines(db: Database) -> list[str]:
    async with db.read() as tx:
        found = await tx.workshops.all()
        lines = []
        for w in found:
            seated = sum(1 for r in await tx.registrations.of_workshop(w.id) if r.seat is not None)
            lines.append(f"{w.code}  {local(w.starts_at)}  {seated}/{w.capacity}  {w.title}")
    return lines or ["no workshops yet"]


async def attendee_lines(db: Database, code: str) -> list[str] | None:
    """None when no workshop has that code."""
    async with db.read() as tx:
        workshop = await tx.workshops.by_code(code)
        if workshop is None:
            return None
        lines = [f"{workshop.code}  {workshop.title}  {local(workshop.starts_at)}"]
        for r in await tx.registrations.of_workshop(workshop.id):
            if r.status in ("declined", "cancelled"):
                continue
            name = (await tx.answers.all(r.person_id)).get("name")
            shown = name if isinstance(name, str) else "—"
            lines.append(f"  seat {r.seat or '-':>3}  {r.status:<10} {shown}")
    return lines


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start=ws_{code}"


def qr_png(url: str, target: Path) -> None:
    """A PNG QR code of the deep link, pure Python (no imaging library needed)."""
    import qrcode
    from qrcode.image.pure import PyPNGImage

    image = qrcode.make(url, image_factory=PyPNGImage, box_size=10, border=4)
    with target.open("wb") as handle:
        image.save(handle)
