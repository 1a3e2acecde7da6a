"""The administrator's and staff's command-line work on staff and workshops."""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.capabilities import roles, seats
from bot.capabilities import workshop_admin as wa
from bot.domain import RegistrationStatus, Workshop
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


def read_workshop_file(path: Path) -> list[dict[str, Any]]:
    """[[workshop]] tables of a TOML file, or the rows of a CSV file with a header."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".toml":
        return list(tomllib.loads(text).get("workshop", []))
    return list(csv.DictReader(io.StringIO(text)))


async def add_workshop(
    db: Database, raw: Mapping[str, object], codes: wa.AudienceCodes, created_by: str, now: datetime
) -> Workshop:
    """Check and create one workshop; InvalidWorkshop says what to fix."""
    draft = wa.validate(raw, now, codes)
    async with db.write() as tx:
        return await wa.create_workshop(tx, draft, created_by, now)


async def import_workshops(
    db: Database, path: Path, codes: wa.AudienceCodes, now: datetime
) -> list[str]:
    rows = read_workshop_file(path)
    lines, imported = [], 0
    for number, raw in enumerate(rows, 1):
        try:
            workshop = await add_workshop(db, raw, codes, "import", now)
        except wa.InvalidWorkshop as exc:
            lines.append(f"[{number}/{len(rows)}] skipped: {exc}")
            continue
        imported += 1
        lines.append(f"[{number}/{len(rows)}] {workshop.code}  {workshop.title}")
    lines.append(f"imported {imported} of {len(rows)} workshops")
    return lines


async def workshop_lines(db: Database) -> list[str]:
    async with db.read() as tx:
        found = await tx.workshops.all()
        lines = []
        for w in found:
            seated = await seats.seats_taken(tx, w.id)
            lines.append(f"{w.code}  {local(w.starts_at)}  {seated}/{w.capacity}  {w.title}")
    return lines or ["no workshops yet"]


async def attendee_lines(db: Database, code: str) -> list[str]:
    async with db.read() as tx:
        workshop = await tx.workshops.by_code(code)
        if workshop is None:
            return [f"no workshop with the code {code}"]
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
