"""The outbox repository: every message planned for later (reminders, notices, invitations),
claimed by the dispatcher, finished, retried or dropped; `_item` reads its rows."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import aiosqlite

from bot.domain import (
    JSON,
    OutboxItem,
    OutboxKind,
    OutboxStatus,
)
from storage.repo_base import _dt, _Repo, _ts


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

    async def renew(self, item: OutboxItem, until: datetime) -> bool:
        """A new lease on a row the claim that read `item` still holds; False when the row
        was claimed again since, or is no longer being sent."""
        changed = await self._run(
            "UPDATE outbox SET claimed_until = ? WHERE id = ? AND status = 'sending' "
            "AND attempts = ?",
            _ts(until),
            item.id,
            item.attempts,
        )
        return changed == 1

    async def finish(
        self, item: OutboxItem, status: OutboxStatus, now: datetime, error: str | None
    ) -> bool:
        """The row's result, unless it was claimed again since `item` was read (another
        process took it over when the lease ended): then the result is that process's."""
        changed = await self._run(
            "UPDATE outbox SET status = ?, last_error = ?, claimed_until = NULL, "
            "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END "
            "WHERE id = ? AND attempts = ?",
            status,
            error,
            status,
            _ts(now),
            item.id,
            item.attempts,
        )
        return changed == 1

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

    async def retry_at(self, item: OutboxItem, moment: datetime, error: str) -> bool:
        """Back to pending until `moment`, unless claimed again since `item` was read: a row
        another process has sent, or is sending, must not be put back in line."""
        changed = await self._run(
            "UPDATE outbox SET status = 'pending', due_at = ?, last_error = ?, "
            "claimed_until = NULL WHERE id = ? AND attempts = ?",
            _ts(moment),
            error,
            item.id,
            item.attempts,
        )
        return changed == 1

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
