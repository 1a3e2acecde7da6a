"""What providers report about messages after sending them (Twilio status callbacks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain import Channel
from storage.repo_base import _Repo, _ts


@dataclass
class DeliveryRecord:
    provider_id: str
    outbox_id: int | None
    status: str
    error_code: str | None


class Deliveries(_Repo):
    async def add(
        self,
        provider_id: str,
        channel: Channel,
        outbox_id: int | None,
        status: str,
        now: datetime,
        *,
        template: bool = False,
    ) -> None:
        await self._run(
            "INSERT INTO deliveries (provider_id, outbox_id, channel, status, created_at, "
            "updated_at, template) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (provider_id) DO NOTHING",
            provider_id,
            outbox_id,
            channel.value,
            status,
            _ts(now),
            _ts(now),
            int(template),
        )

    async def templates_since(self, channel: Channel, moment: datetime) -> int:
        row = await self._one(
            "SELECT COUNT(*) AS n FROM deliveries WHERE channel = ? AND template = 1 "
            "AND created_at >= ?",
            channel.value,
            _ts(moment),
        )
        return int(row["n"]) if row else 0

    async def update(
        self, provider_id: str, status: str, error_code: str | None, now: datetime
    ) -> DeliveryRecord | None:
        """Record a reported status; None for a message we never sent."""
        changed = await self._run(
            "UPDATE deliveries SET status = ?, error_code = COALESCE(?, error_code), "
            "updated_at = ? WHERE provider_id = ?",
            status,
            error_code,
            _ts(now),
            provider_id,
        )
        if changed == 0:
            return None
        row = await self._one("SELECT * FROM deliveries WHERE provider_id = ?", provider_id)
        assert row is not None
        return DeliveryRecord(
            row["provider_id"], row["outbox_id"], row["status"], row["error_code"]
        )
