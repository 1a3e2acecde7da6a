"""The administrator's and staff's command-line work on staff and workshops."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from bot.capabilities import companies, roles, seats
from bot.capabilities import workshop_admin as wa
from bot.content import load_sectors
from bot.domain import RegistrationStatus, Workshop
from bot.importfile import ImportFileError, read_rows, shape_problem
from bot.reports import local
from storage.db import Database


async def add_staff(db: Database, raw_id: str, name: str, now: datetime) -> tuple[str, bool]:
    try:
        async with db.write() as tx:
            member = await roles.add_staff(tx, raw_id, name, now)
    except roles.StaffIdError as exc:
        return f"Cannot add staff: {exc}", False
    return f"{member.telegram_id} is now staff.", True


async def remove_staff(db: Database, raw_id: str) -> tuple[str, bool]:
    async with db.write() as tx:
        removed = await roles.remove_staff(tx, raw_id)
    return f"{raw_id} {'removed' if removed else 'was not staff'}.", removed


async def staff_lines(db: Database) -> list[str]:
    async with db.read() as tx:
        members = await roles.staff_members(tx)
    return [f"{m.telegram_id}  {m.name}" for m in members] or ["no staff yet"]


WORKSHOP_FIELDS = ("title", "description", "starts", "duration", "capacity", "place", "link")
LIST_FIELDS = ("goals", "age_bands", "sectors", "languages")


def audience_codes() -> dict[str, tuple[str, ...]]:
    """The codes each audience field accepts, for --help."""
    codes = wa.AudienceCodes.of(load_sectors())
    return {field: getattr(codes, field) for field in LIST_FIELDS}


async def add_workshop(
    db: Database, raw: Mapping[str, object], codes: wa.AudienceCodes, created_by: str, now: datetime
) -> Workshop:
    """Check and create one workshop; InvalidWorkshop says what to fix."""
    draft = wa.validate(raw, now, codes)
    async with db.write() as tx:
        workshop = await wa.create_workshop(tx, draft, created_by, now)
        if raw.get("skills"):  # what it teaches, for matching's gaps; a wrong id undoes it
            await companies.tag_workshop(tx, workshop.id, raw["skills"], load_sectors())
        return workshop


async def import_workshops(
    db: Database, path: Path, codes: wa.AudienceCodes, now: datetime
) -> tuple[list[str], bool]:
    """Each row checked and created on its own; False when the file cannot be read or a row
    was skipped."""
    try:
        rows = read_rows(path, "workshop", (*WORKSHOP_FIELDS, *LIST_FIELDS, "skills"))
    except ImportFileError as exc:
        return [f"Cannot import {path}: {exc}"], False
    lines, imported = [], 0
    for number, raw in enumerate(rows, 1):
        odd = shape_problem(raw, WORKSHOP_FIELDS, (*LIST_FIELDS, "skills"))
        if odd is not None:
            lines.append(f"[{number}/{len(rows)}] skipped: {odd}")
            continue
        try:
            fields = {str(k): v for k, v in raw.items()}
            workshop = await add_workshop(db, fields, codes, "import", now)
        except (wa.InvalidWorkshop, companies.Invalid) as exc:
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
            seated = await seats.seats_taken(tx, w.id)
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
            if r.status in (RegistrationStatus.DECLINED, RegistrationStatus.CANCELLED):
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
