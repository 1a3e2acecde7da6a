"""Repositories for the back-office's view of one person: private notes, and the person's
appointments and workshops as the record page and the agenda read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain import Booking, BookingStatus, RegistrationStatus
from storage.booking_repos import _booking
from storage.repo_base import _Repo, _ts


@dataclass(frozen=True)
class Note:
    id: int
    person_id: int
    author: str | None  # the author's name or e-mail; None once the account is gone
    body: str
    created_at: datetime


@dataclass(frozen=True)
class WorkshopSeat:
    workshop_id: int
    title: str
    starts_at: datetime
    status: RegistrationStatus
    seat: int | None
    created_at: datetime


class Notes(_Repo):
    async def add(self, person_id: int, author_id: int | None, body: str, now: datetime) -> int:
        return await self._insert(
            "INSERT INTO person_notes (person_id, author_id, body, created_at) VALUES (?, ?, ?, ?)",
            person_id,
            author_id,
            body,
            _ts(now),
        )

    async def of_person(self, person_id: int) -> list[Note]:
        rows = await self._all(
            "SELECT n.*, COALESCE(NULLIF(u.name, ''), u.email) AS author FROM person_notes n "
            "LEFT JOIN desk_users u ON u.id = n.author_id WHERE n.person_id = ? ORDER BY n.id",
            person_id,
        )
        return [
            Note(
                r["id"],
                r["person_id"],
                r["author"],
                r["body"],
                datetime.fromisoformat(r["created_at"]),
            )
            for r in rows
        ]


class Records(_Repo):
    async def bookings_of(self, person_id: int) -> list[Booking]:
        """Every appointment of the person, in any state, the latest first."""
        rows = await self._all(
            "SELECT * FROM bookings WHERE person_id = ? ORDER BY starts_at DESC", person_id
        )
        return [_booking(r) for r in rows]

    async def booked_with(self, person_id: int, operator_id: str) -> bool:
        """Whether the person has (or had) an appointment with that operator."""
        row = await self._one(
            "SELECT 1 FROM bookings WHERE person_id = ? AND operator_id = ? LIMIT 1",
            person_id,
            operator_id,
        )
        return row is not None

    async def agenda(
        self,
        start: datetime,
        end: datetime,
        operator_id: str | None,
        statuses: tuple[BookingStatus, ...],
    ) -> list[Booking]:
        """The appointments starting in [start, end), of one operator or of all."""
        marks = ", ".join("?" for _ in statuses)
        where = "starts_at >= ? AND starts_at < ? AND status IN (" + marks + ")"
        params: list[object] = [_ts(start), _ts(end), *statuses]
        if operator_id is not None:
            where += " AND operator_id = ?"
            params.append(operator_id)
        rows = await self._all(
            f"SELECT * FROM bookings WHERE {where} ORDER BY starts_at, operator_id", *params
        )
        return [_booking(r) for r in rows]

    async def workshops_of(self, person_id: int) -> list[WorkshopSeat]:
        rows = await self._all(
            "SELECT r.workshop_id, w.title, w.starts_at, r.status, r.seat, r.created_at "
            "FROM registrations r JOIN workshops w ON w.id = r.workshop_id "
            "WHERE r.person_id = ? ORDER BY w.starts_at DESC",
            person_id,
        )
        return [
            WorkshopSeat(
                r["workshop_id"],
                r["title"],
                datetime.fromisoformat(r["starts_at"]),
                RegistrationStatus(r["status"]),
                r["seat"],
                datetime.fromisoformat(r["created_at"]),
            )
            for r in rows
        ]
