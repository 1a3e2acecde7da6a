"""Repositories for appointments, the waitlist and the outbox."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import aiosqlite

from bot.domain import (
    ACTIVE_STATUSES,
    JSON,
    Booking,
    BookingStatus,
    MeetingMode,
    NextStep,
    OutboxItem,
    OutboxKind,
    OutboxStatus,
)
from storage.repo_base import _dt, _Repo, _ts


def _booking(row: aiosqlite.Row) -> Booking:
    return Booking(
        id=row["id"],
        person_id=row["person_id"],
        operator_id=row["operator_id"],
        starts_at=datetime.fromisoformat(row["starts_at"]),
        ends_at=datetime.fromisoformat(row["ends_at"]),
        status=BookingStatus(row["status"]),
        uid=row["uid"],
        sequence=row["sequence"],
        meeting_mode=MeetingMode(row["meeting_mode"]),
        hold_expires_at=_dt(row["hold_expires_at"]),
        zoom_meeting_id=row["zoom_meeting_id"],
        join_url=row["join_url"],
        start_url=row["start_url"],
        confirmed_at=_dt(row["confirmed_at"]),
        next_step=NextStep(row["next_step"]) if row["next_step"] else None,
        satisfaction=row["satisfaction"],
    )


class Bookings(_Repo):
    async def get(self, booking_id: int) -> Booking | None:
        row = await self._one("SELECT * FROM bookings WHERE id = ?", booking_id)
        return _booking(row) if row else None

    async def taken(self, start: datetime, end: datetime) -> set[tuple[str, datetime]]:
        """(operator, start) of every held or booked slot starting in [start, end)."""
        rows = await self._all(
            "SELECT operator_id, starts_at FROM bookings "
            "WHERE status IN ('held', 'booked') AND starts_at >= ? AND starts_at < ?",
            _ts(start),
            _ts(end),
        )
        return {(r["operator_id"], datetime.fromisoformat(r["starts_at"])) for r in rows}

    async def load_by_operator(self, start: datetime, end: datetime) -> dict[str, int]:
        rows = await self._all(
            "SELECT operator_id, COUNT(*) AS n FROM bookings WHERE status IN ('held', 'booked') "
            "AND starts_at >= ? AND starts_at < ? GROUP BY operator_id",
            _ts(start),
            _ts(end),
        )
        return {r["operator_id"]: r["n"] for r in rows}

    async def active_for(self, person_id: int) -> list[Booking]:
        rows = await self._all(
            "SELECT * FROM bookings WHERE person_id = ? AND status IN ('held', 'booked') "
            "ORDER BY starts_at",
            person_id,
        )
        return [_booking(r) for r in rows]

    async def of_person(self, person_id: int) -> list[Booking]:
        """Every appointment record of the person, in any state (for "my data")."""
        rows = await self._all(
            "SELECT * FROM bookings WHERE person_id = ? ORDER BY starts_at", person_id
        )
        return [_booking(r) for r in rows]

    async def forget_ended_before(self, moment: datetime) -> int:
        """Delete the records of appointments over before `moment` (the notice's retention);
        their outbox rows go with them."""
        return await self._run(
            "DELETE FROM bookings WHERE ends_at < ?",
            _ts(moment),
        )

    async def between(
        self, start: datetime, end: datetime, statuses: tuple[BookingStatus, ...] = ACTIVE_STATUSES
    ) -> list[Booking]:
        marks = ", ".join("?" for _ in statuses)
        rows = await self._all(
            f"SELECT * FROM bookings WHERE starts_at >= ? AND starts_at < ? "
            f"AND status IN ({marks}) ORDER BY starts_at, operator_id",
            _ts(start),
            _ts(end),
            *statuses,
        )
        return [_booking(r) for r in rows]

    async def create(
        self,
        *,
        person_id: int,
        operator_id: str,
        starts_at: datetime,
        ends_at: datetime,
        meeting_mode: MeetingMode,
        uid: str,
        now: datetime,
        status: BookingStatus = BookingStatus.BOOKED,
        hold_expires_at: datetime | None = None,
        join_url: str | None = None,
    ) -> Booking | None:
        """The new booking, or None when the slot is already held or booked by someone."""
        booking_id = await self._attempt_insert(
            "INSERT INTO bookings (person_id, operator_id, starts_at, ends_at, status, "
            "hold_expires_at, uid, meeting_mode, join_url, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            person_id,
            operator_id,
            _ts(starts_at),
            _ts(ends_at),
            status,
            _ts(hold_expires_at) if hold_expires_at else None,
            uid,
            meeting_mode,
            join_url,
            _ts(now),
            _ts(now),
        )
        if booking_id is None:
            return None
        return await self.get(booking_id)

    async def move(
        self,
        booking_id: int,
        *,
        operator_id: str,
        starts_at: datetime,
        ends_at: datetime,
        meeting_mode: MeetingMode,
        join_url: str | None,
        now: datetime,
    ) -> bool:
        """Take the new slot and release the old one in one statement; False if taken."""
        changed = await self._attempt(
            "UPDATE bookings SET operator_id = ?, starts_at = ?, ends_at = ?, "
            "meeting_mode = ?, join_url = ?, sequence = sequence + 1, confirmed_at = NULL, "
            "updated_at = ? WHERE id = ? AND status = 'booked'",
            operator_id,
            _ts(starts_at),
            _ts(ends_at),
            meeting_mode,
            join_url,
            _ts(now),
            booking_id,
        )
        return changed == 1

    async def set_status(
        self, booking_id: int, status: BookingStatus, now: datetime, *, only_from: BookingStatus
    ) -> bool:
        """Move the booking from one state to another; False if it was not in `only_from`
        (a stale read, or another transaction got there first)."""
        changed = await self._run(
            "UPDATE bookings SET status = ?, hold_expires_at = NULL, updated_at = ? "
            "WHERE id = ? AND status = ?",
            status,
            _ts(now),
            booking_id,
            only_from,
        )
        return changed == 1

    async def set_meeting(
        self, booking_id: int, meeting_id: str | None, join_url: str | None, start_url: str | None
    ) -> None:
        await self._run(
            "UPDATE bookings SET zoom_meeting_id = ?, join_url = ?, start_url = ? WHERE id = ?",
            meeting_id,
            join_url,
            start_url,
            booking_id,
        )

    async def confirm(self, booking_id: int, now: datetime) -> None:
        await self._run("UPDATE bookings SET confirmed_at = ? WHERE id = ?", _ts(now), booking_id)

    async def record_outcome(
        self, booking_id: int, status: BookingStatus, next_step: NextStep | None, now: datetime
    ) -> None:
        await self._run(
            "UPDATE bookings SET status = ?, next_step = COALESCE(?, next_step), updated_at = ? "
            "WHERE id = ?",
            status,
            next_step,
            _ts(now),
            booking_id,
        )

    async def record_satisfaction(self, booking_id: int, score: int) -> None:
        await self._run("UPDATE bookings SET satisfaction = ? WHERE id = ?", score, booking_id)

    async def expired_holds(self, now: datetime) -> list[Booking]:
        rows = await self._all(
            "SELECT * FROM bookings WHERE status = 'held' AND hold_expires_at <= ?", _ts(now)
        )
        return [_booking(r) for r in rows]


class Waitlist(_Repo):
    async def join(self, person_id: int, now: datetime) -> bool:
        """False if the person was already waiting (their place in the queue is kept)."""
        changed = await self._run(
            "INSERT INTO waitlist (person_id, joined_at) VALUES (?, ?) "
            "ON CONFLICT (person_id) DO NOTHING",
            person_id,
            _ts(now),
        )
        return changed == 1

    async def leave(self, person_id: int) -> bool:
        return await self._run("DELETE FROM waitlist WHERE person_id = ?", person_id) == 1

    async def contains(self, person_id: int) -> bool:
        return await self._one("SELECT 1 FROM waitlist WHERE person_id = ?", person_id) is not None

    async def first(self) -> int | None:
        """The person waiting longest who has no appointment now."""
        row = await self._one(
            "SELECT w.person_id FROM waitlist w WHERE NOT EXISTS (SELECT 1 FROM bookings b "
            "WHERE b.person_id = w.person_id AND b.status IN ('held', 'booked')) "
            "ORDER BY w.joined_at, w.person_id LIMIT 1"
        )
        return int(row["person_id"]) if row else None


def _item(row: aiosqlite.Row) -> OutboxItem:
    return OutboxItem(
        broadcast_id=row["broadcast_id"],
        workshop_id=row["workshop_id"],
        id=row["id"],
        kind=OutboxKind(row["kind"]),
        due_at=datetime.fromisoformat(row["due_at"]),
        person_id=row["person_id"],
        operator_id=row["operator_id"],
        booking_id=row["booking_id"],
        payload=json.loads(row["payload"]),
        not_after=_dt(row["not_after"]),
        status=OutboxStatus(row["status"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
        sent_at=_dt(row["sent_at"]),
    )


class Outbox(_Repo):
    async def add(
        self,
        kind: OutboxKind,
        due_at: datetime,
        now: datetime,
        *,
        person_id: int | None = None,
        operator_id: str | None = None,
        booking_id: int | None = None,
        payload: dict[str, JSON] | None = None,
        not_after: datetime | None = None,
        broadcast_id: int | None = None,
        workshop_id: int | None = None,
    ) -> None:
        await self._run(
            "INSERT INTO outbox (kind, person_id, operator_id, booking_id, payload, due_at, "
            "not_after, created_at, broadcast_id, workshop_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            kind,
            person_id,
            operator_id,
            booking_id,
            json.dumps(payload or {}, ensure_ascii=False, sort_keys=True),
            _ts(due_at),
            _ts(not_after) if not_after else None,
            _ts(now),
            broadcast_id,
            workshop_id,
        )

    async def drop_for_workshop(self, workshop_id: int, person_id: int, reason: str) -> int:
        return await self._run(
            "UPDATE outbox SET status = 'dropped', last_error = ? WHERE workshop_id = ? "
            "AND person_id = ? AND status = 'pending' AND broadcast_id IS NULL",
            reason,
            workshop_id,
            person_id,
        )

    async def pending_for(self, person_id: int, kind: OutboxKind) -> bool:
        row = await self._one(
            "SELECT 1 FROM outbox WHERE person_id = ? AND kind = ? AND status = 'pending'",
            person_id,
            kind,
        )
        return row is not None

    async def exists(
        self, kind: OutboxKind, operator_id: str | None, payload: dict[str, JSON]
    ) -> bool:
        row = await self._one(
            "SELECT 1 FROM outbox WHERE kind = ? AND operator_id IS NOT DISTINCT FROM ? AND payload = ?",
            kind,
            operator_id,
            json.dumps(payload, ensure_ascii=False, sort_keys=True),
        )
        return row is not None

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[OutboxItem]:
        """Due rows, marked as being sent until the lease ends. A row whose lease ended
        without a result (the process died mid-send) is claimed again; the returned items
        keep the status they had before this claim, so such re-claims can be counted."""
        rows = await self._all(
            "SELECT * FROM outbox WHERE due_at <= ? AND (status = 'pending' OR "
            "(status = 'sending' AND claimed_until < ?)) ORDER BY due_at, id LIMIT ?"
            # Other processes claim the rows this one has not locked; SQLite has one writer.
            + (" FOR UPDATE SKIP LOCKED" if self._postgresql else ""),
            _ts(now),
            _ts(now),
            limit,
        )
        items = [_item(r) for r in rows]
        for item in items:
            await self._run(
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1, "
                "claimed_until = ? WHERE id = ?",
                _ts(now + lease),
                item.id,
            )
            item.attempts += 1
        return items

    async def finish(
        self, item_id: int, status: OutboxStatus, now: datetime, error: str | None
    ) -> None:
        await self._run(
            "UPDATE outbox SET status = ?, last_error = ?, claimed_until = NULL, "
            "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END WHERE id = ?",
            status,
            error,
            status,
            _ts(now),
            item_id,
        )

    async def reported(self, item_id: int, status: str, error: str | None) -> None:
        """What the provider reported after sending: delivered or read moves a sent row
        forward (never back); failed or undelivered marks it failed with the reason."""
        if status in ("delivered", "read"):
            await self._run(
                "UPDATE outbox SET status = ? WHERE id = ? AND (status = 'sent' OR "
                "(status = 'delivered' AND ? = 'read'))",
                status,
                item_id,
                status,
            )
        elif status in ("failed", "undelivered"):
            await self._run(
                "UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?",
                error or status,
                item_id,
            )

    async def retry_at(self, item_id: int, moment: datetime, error: str) -> None:
        await self._run(
            "UPDATE outbox SET status = 'pending', due_at = ?, last_error = ?, "
            "claimed_until = NULL WHERE id = ?",
            _ts(moment),
            error,
            item_id,
        )

    async def drop_pending(
        self, booking_id: int, kinds: tuple[OutboxKind, ...], reason: str
    ) -> int:
        marks = ", ".join("?" for _ in kinds)
        return await self._run(
            f"UPDATE outbox SET status = 'dropped', last_error = ? WHERE booking_id = ? "
            f"AND status = 'pending' AND kind IN ({marks})",
            reason,
            booking_id,
            *kinds,
        )

    async def listing(self, statuses: tuple[str, ...], limit: int = 500) -> list[OutboxItem]:
        marks = ", ".join("?" for _ in statuses)
        rows = await self._all(
            f"SELECT * FROM outbox WHERE status IN ({marks}) ORDER BY due_at, id LIMIT ?",
            *statuses,
            limit,
        )
        return [_item(r) for r in rows]

    async def for_booking(self, booking_id: int) -> list[OutboxItem]:
        rows = await self._all(
            "SELECT * FROM outbox WHERE booking_id = ? ORDER BY due_at, id", booking_id
        )
        return [_item(r) for r in rows]

    async def counts(self) -> dict[str, int]:
        rows = await self._all("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
        return {r["status"]: r["n"] for r in rows}
