"""The administrator's outbox: what waits or failed, and sending a failed message again."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from bot.capabilities.accounts import audit
from bot.domain import OutboxItem, OutboxStatus
from storage.session import Session

WAITING = ("pending", "sending")
STATUSES = tuple(OutboxStatus)


class RetryOutcome(Enum):
    RETRIED = "retried"
    NOT_FAILED = "not_failed"  # it was sent, dropped or is already waiting: nothing to do
    MISSING = "missing"


async def listing(tx: Session, status: str | None, kind: str | None) -> list[OutboxItem]:
    """Rows of one status (any of those waiting or failed when None), of one kind or all."""
    statuses = (status,) if status in STATUSES else (*WAITING, "failed")
    return await tx.outbox_admin.listing(statuses, kind or None)


async def retry(tx: Session, item_id: int, now: datetime, *, by: int | None) -> RetryOutcome:
    """Put a failed row back in the queue, due now, with a fresh series of tries."""
    if await tx.outbox_admin.retry_failed(item_id, now):
        await audit(tx, by, "outbox.retry", "outbox", item_id, now)
        return RetryOutcome.RETRIED
    found = await tx.outbox_admin.get(item_id)
    return RetryOutcome.MISSING if found is None else RetryOutcome.NOT_FAILED
