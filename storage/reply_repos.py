"""Replies due: the outbox row that sends a person the current question again unless the
answers to their message are marked delivered (at-least-once replies across a crash)."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime

from bot.domain import OutboxItem, OutboxKind
from storage.outbox_repos import _item
from storage.repo_base import _Repo, _ts

KIND = OutboxKind.RESEND
# Well below SQLite's limit on host parameters (32766), two per mark.
CHUNK = 400

ReplyDue = tuple[int, str]
"""(outbox row id, the event's dedupe key): row ids can be reused once a row is deleted, so
a late mark names the event too, and never removes a later event's row."""


def _payload(event_key: str) -> str:
    return json.dumps({"answers": event_key}, ensure_ascii=False, sort_keys=True)


class RepliesDue(_Repo):
    async def plan(
        self, person_id: int, event_key: str, due_at: datetime, not_after: datetime, now: datetime
    ) -> ReplyDue:
        """The answers to `event_key` are due: this row replaces the person's pending one."""
        await self._run(
            "DELETE FROM outbox WHERE person_id = ? AND kind = ? AND status = 'pending'",
            person_id,
            KIND,
        )
        row_id = await self._insert(
            "INSERT INTO outbox (kind, person_id, payload, due_at, not_after, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            KIND,
            person_id,
            _payload(event_key),
            _ts(due_at),
            _ts(not_after),
            _ts(now),
        )
        return row_id, event_key

    async def left_before(
        self, person_id: int, event_key: str, before: datetime
    ) -> OutboxItem | None:
        """The pending row of `event_key` if it was planned before `before`: by an earlier
        process, which may have died before sending the answers or before marking them."""
        row = await self._one(
            "SELECT * FROM outbox WHERE person_id = ? AND kind = ? AND status = 'pending' "
            "AND payload = ? AND created_at < ?",
            person_id,
            KIND,
            _payload(event_key),
            _ts(before),
        )
        return _item(row) if row is not None else None

    async def pending(self, person_id: int, event_key: str) -> OutboxItem | None:
        """The pending row of `event_key`, whoever planned it."""
        row = await self._one(
            "SELECT * FROM outbox WHERE person_id = ? AND kind = ? AND status = 'pending' "
            "AND payload = ?",
            person_id,
            KIND,
            _payload(event_key),
        )
        return _item(row) if row is not None else None

    async def delivered(self, marks: Collection[ReplyDue]) -> int:
        """The answers went out: their rows are not needed (one already being sent is left
        to the dispatcher). Looked up by id; deleted only if the row is still the one planned
        for that event (each event's key is in exactly one row)."""
        ordered = sorted(marks)
        removed = 0
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]
            marks_sql = ", ".join("?" for _ in chunk)
            removed += await self._run(
                f"DELETE FROM outbox WHERE id IN ({marks_sql}) AND kind = ? "
                f"AND status = 'pending' AND payload IN ({marks_sql})",
                *(row_id for row_id, _key in chunk),
                KIND,
                *(_payload(key) for _row_id, key in chunk),
            )
        return removed
