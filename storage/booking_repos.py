"""Repositories for appointments and the waitlist (the outbox is in storage.outbox_repos)."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.domain import (
    ACTIVE_STATUSES,
    Booking,
    BookingStatus,
    MeetingMode,
    NextStep,
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
