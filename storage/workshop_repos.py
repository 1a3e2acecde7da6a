"""Repositories for staff, workshops, registrations and broadcasts."""

from __future__ import annotations

import json
from datetime import datetime

import aiosqlite

from bot.domain import (
    Audience,
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    OutboxKind,
    Registration,
    RegistrationStatus,
    Workshop,
)
from storage.repo_base import _dt, _Repo, _ts


def _workshop(row: aiosqlite.Row) -> Workshop:
    return Workshop(
        id=row["id"],
        code=row["code"],
        title=row["title"],
        description=row["description"],
        starts_at=datetime.fromisoformat(row["starts_at"]),
        duration_minutes=row["duration_minutes"],
        place=row["place"],
        online_url=row["online_url"],
        capacity=row["capacity"],
        audience=Audience.from_json(json.loads(row["audience"])),
        created_by=row["created_by"],
        cancelled_at=_dt(row["cancelled_at"]),
    )


SET_REGISTRATION = (
    "INSERT INTO registrations (workshop_id, person_id, status, seat, created_at, "
    "updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (workshop_id, person_id) DO "
    "UPDATE SET status = excluded.status, seat = excluded.seat, "
    "updated_at = excluded.updated_at"
)


def _registration(row: aiosqlite.Row) -> Registration:
    return Registration(
        id=row["id"],
        workshop_id=row["workshop_id"],
        person_id=row["person_id"],
        status=RegistrationStatus(row["status"]),
        seat=row["seat"],
    )


class Staff(_Repo):
    async def add(self, telegram_id: str, name: str, now: datetime) -> None:
        await self._run(
            "INSERT INTO staff (telegram_id, name, added_at) VALUES (?, ?, ?) "
            "ON CONFLICT (telegram_id) DO UPDATE SET name = excluded.name",
            telegram_id,
            name,
            _ts(now),
        )

    async def remove(self, telegram_id: str) -> bool:
        return await self._run("DELETE FROM staff WHERE telegram_id = ?", telegram_id) == 1

    async def listing(self) -> list[tuple[str, str]]:
        rows = await self._all("SELECT telegram_id, name FROM staff ORDER BY added_at")
        return [(r["telegram_id"], r["name"]) for r in rows]

    async def contains(self, telegram_id: str) -> bool:
        row = await self._one("SELECT 1 FROM staff WHERE telegram_id = ?", telegram_id)
        return row is not None


class Workshops(_Repo):
    async def create(
        self,
        *,
        code: str,
        title: str,
        description: str,
        starts_at: datetime,
        duration_minutes: int,
        place: str | None,
        online_url: str | None,
        capacity: int,
        audience: Audience,
        created_by: str,
        now: datetime,
    ) -> Workshop:
        workshop_id = await self._insert(
            "INSERT INTO workshops (code, title, description, starts_at, duration_minutes, "
            "place, online_url, capacity, audience, created_by, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            code,
            title,
            description,
            _ts(starts_at),
            duration_minutes,
            place,
            online_url,
            capacity,
            json.dumps(audience.as_json()),
            created_by,
            _ts(now),
        )
        found = await self.get(workshop_id)
        assert found is not None
        return found

    async def get(self, workshop_id: int) -> Workshop | None:
        row = await self._one("SELECT * FROM workshops WHERE id = ?", workshop_id)
        return _workshop(row) if row else None

    async def by_code(self, code: str) -> Workshop | None:
        row = await self._one("SELECT * FROM workshops WHERE code = ?", code)
        return _workshop(row) if row else None

    async def upcoming(self, now: datetime) -> list[Workshop]:
        rows = await self._all(
            "SELECT * FROM workshops WHERE starts_at > ? AND cancelled_at IS NULL "
            "ORDER BY starts_at",
            _ts(now),
        )
        return [_workshop(r) for r in rows]

    async def all(self) -> list[Workshop]:
        rows = await self._all("SELECT * FROM workshops ORDER BY starts_at")
        return [_workshop(r) for r in rows]

    async def update(self, workshop: Workshop) -> None:
        """Write a workshop's editable fields (everything but its code and creator)."""
        await self._run(
            "UPDATE workshops SET title = ?, description = ?, starts_at = ?, "
            "duration_minutes = ?, place = ?, online_url = ?, capacity = ?, audience = ? "
            "WHERE id = ?",
            workshop.title,
            workshop.description,
            _ts(workshop.starts_at),
            workshop.duration_minutes,
            workshop.place,
            workshop.online_url,
            workshop.capacity,
            json.dumps(workshop.audience.as_json()),
            workshop.id,
        )

    async def cancel(self, workshop_id: int, now: datetime) -> bool:
        """Mark it cancelled, once: False when it already was."""
        changed = await self._run(
            "UPDATE workshops SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL",
            _ts(now),
            workshop_id,
        )
        return changed == 1

    async def drop_pending(
        self, workshop_id: int, kinds: tuple[OutboxKind, ...], reason: str
    ) -> int:
        """Drop the workshop's pending outbox rows of these kinds (reminders, invitations)."""
        marks = ", ".join("?" for _ in kinds)
        return await self._run(
            f"UPDATE outbox SET status = 'dropped', last_error = ? WHERE workshop_id = ? "
            f"AND status = 'pending' AND kind IN ({marks})",
            reason,
            workshop_id,
            *kinds,
        )


class Registrations(_Repo):
    async def get(self, workshop_id: int, person_id: int) -> Registration | None:
        row = await self._one(
            "SELECT * FROM registrations WHERE workshop_id = ? AND person_id = ?",
            workshop_id,
            person_id,
        )
        return _registration(row) if row else None

    async def by_id(self, registration_id: int) -> Registration | None:
        row = await self._one("SELECT * FROM registrations WHERE id = ?", registration_id)
        return _registration(row) if row else None

    async def take_seat(self, workshop: Workshop, person_id: int, now: datetime) -> bool:
        """Give the person the lowest free seat; False when every seat is taken."""
        rows = await self._all(
            "SELECT seat FROM registrations WHERE workshop_id = ? AND seat IS NOT NULL",
            workshop.id,
        )
        taken = {r["seat"] for r in rows}
        for seat in range(1, workshop.capacity + 1):
            if seat in taken:
                continue
            if await self._set(
                workshop.id, person_id, RegistrationStatus.REGISTERED, seat, now, may_conflict=True
            ):
                return True
            # taken meanwhile by another process: try the next one
        return False

    async def wait(self, workshop_id: int, person_id: int, now: datetime) -> None:
        await self._set(workshop_id, person_id, RegistrationStatus.WAITING, None, now)

    async def release(
        self, workshop_id: int, person_id: int, status: RegistrationStatus, now: datetime
    ) -> bool:
        """Leave the workshop (cancelled, declined); True if a seat was freed."""
        current = await self.get(workshop_id, person_id)
        await self._set(workshop_id, person_id, status, None, now)
        return current is not None and current.seat is not None

    async def _set(
        self,
        workshop_id: int,
        person_id: int,
        status: RegistrationStatus,
        seat: int | None,
        now: datetime,
        *,
        may_conflict: bool = False,
    ) -> bool:
        """False when `may_conflict` and the seat was taken meanwhile (the unique index
        refused it); any other refusal raises."""
        params = (workshop_id, person_id, status, seat, _ts(now), _ts(now))
        if may_conflict:
            return await self._attempt(SET_REGISTRATION, *params) is not None
        await self._run(SET_REGISTRATION, *params)
        return True

    async def first_waiting(self, workshop_id: int) -> int | None:
        row = await self._one(
            "SELECT person_id FROM registrations WHERE workshop_id = ? AND status = 'waiting' "
            "ORDER BY updated_at, id LIMIT 1",
            workshop_id,
        )
        return int(row["person_id"]) if row else None

    async def of_workshop(self, workshop_id: int) -> list[Registration]:
        rows = await self._all(
            "SELECT * FROM registrations WHERE workshop_id = ? ORDER BY seat IS NULL, seat, "
            "updated_at",
            workshop_id,
        )
        return [_registration(r) for r in rows]

    async def of_person(self, person_id: int) -> list[Registration]:
        rows = await self._all(
            "SELECT * FROM registrations WHERE person_id = ? ORDER BY updated_at", person_id
        )
        return [_registration(r) for r in rows]

    async def set_attendance(self, registration_id: int, attended: bool, now: datetime) -> bool:
        """Present or absent, for someone who had a seat; False for anyone else."""
        changed = await self._run(
            "UPDATE registrations SET status = ?, updated_at = ? WHERE id = ? AND "
            "status IN ('registered', 'attended', 'absent')",
            RegistrationStatus.ATTENDED if attended else RegistrationStatus.ABSENT,
            _ts(now),
            registration_id,
        )
        return changed == 1


def _broadcast(row: aiosqlite.Row) -> Broadcast:
    return Broadcast(
        id=row["id"],
        kind=BroadcastKind(row["kind"]),
        workshop_id=row["workshop_id"],
        text=row["text"],
        audience=Audience.from_json(json.loads(row["audience"])),
        created_by=row["created_by"],
        created_at=datetime.fromisoformat(row["created_at"]),
        status=BroadcastStatus(row["status"]),
        total=row["total"],
        progress_message_id=row["progress_message_id"],
        progress_shown=row["progress_shown"],
        progress_chat=row["progress_chat"],
    )


class Broadcasts(_Repo):
    async def create(
        self,
        *,
        kind: BroadcastKind,
        workshop_id: int | None,
        text: str | None,
        audience: Audience,
        created_by: str,
        now: datetime,
        progress_chat: str | None = None,
    ) -> Broadcast:
        broadcast_id = await self._insert(
            "INSERT INTO broadcasts (kind, workshop_id, text, audience, created_by, "
            "created_at, status, progress_chat) VALUES (?, ?, ?, ?, ?, ?, 'draft', ?)",
            kind,
            workshop_id,
            text,
            json.dumps(audience.as_json()),
            created_by,
            _ts(now),
            progress_chat,
        )
        found = await self.get(broadcast_id)
        assert found is not None
        return found

    async def get(self, broadcast_id: int) -> Broadcast | None:
        row = await self._one("SELECT * FROM broadcasts WHERE id = ?", broadcast_id)
        return _broadcast(row) if row else None

    async def start(self, broadcast_id: int, total: int) -> bool:
        """draft -> sending, once: a second "Send" (or a second staff member) gets False."""
        return (
            await self._run(
                "UPDATE broadcasts SET status = 'sending', total = ? WHERE id = ? AND "
                "status = 'draft'",
                total,
                broadcast_id,
            )
            == 1
        )

    async def finish(self, broadcast_id: int, status: BroadcastStatus, now: datetime) -> None:
        await self._run(
            "UPDATE broadcasts SET status = ?, finished_at = ? WHERE id = ?",
            status,
            _ts(now),
            broadcast_id,
        )

    async def in_status(self, status: BroadcastStatus) -> list[Broadcast]:
        rows = await self._all("SELECT * FROM broadcasts WHERE status = ? ORDER BY id", status)
        return [_broadcast(r) for r in rows]

    async def of_staff(self, created_by: str, status: BroadcastStatus) -> list[Broadcast]:
        rows = await self._all(
            "SELECT * FROM broadcasts WHERE created_by = ? AND status = ? ORDER BY id",
            created_by,
            status,
        )
        return [_broadcast(r) for r in rows]

    async def show_progress(self, broadcast_id: int, message_id: str | None, text: str) -> None:
        await self._run(
            "UPDATE broadcasts SET progress_message_id = COALESCE(?, progress_message_id), "
            "progress_shown = ? WHERE id = ?",
            message_id,
            text,
            broadcast_id,
        )

    async def listing(self) -> list[Broadcast]:
        rows = await self._all("SELECT * FROM broadcasts ORDER BY id DESC")
        return [_broadcast(r) for r in rows]

    async def outcome(self, broadcast_id: int) -> dict[str, int]:
        """How its messages went: pending, sent, delivered, failed, blocked, no_template..."""
        rows = await self._all(
            "SELECT CASE WHEN status = 'failed' AND last_error LIKE 'blocked%' THEN 'blocked' "
            "ELSE status END AS state, COUNT(*) AS n FROM outbox WHERE broadcast_id = ? "
            "GROUP BY state",
            broadcast_id,
        )
        return {r["state"]: r["n"] for r in rows}

    async def stop_pending(self, broadcast_id: int) -> int:
        return await self._run(
            "UPDATE outbox SET status = 'dropped', last_error = 'stopped by staff' "
            "WHERE broadcast_id = ? AND status = 'pending'",
            broadcast_id,
        )
