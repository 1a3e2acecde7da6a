"""Locks that serialise work across processes on PostgreSQL. On SQLite a write transaction
(BEGIN IMMEDIATE) already excludes every other writer, so these cost nothing there."""

from __future__ import annotations

import hashlib

from storage.repo_base import _Repo


def _key(text: str) -> tuple[int, int]:
    """Two signed 32-bit ints from a stable hash (pg_advisory_xact_lock(int, int))."""
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return (
        int.from_bytes(digest[:4], "big", signed=True),
        int.from_bytes(digest[4:], "big", signed=True),
    )


class Locks(_Repo):
    async def person(self, channel: str, external_id: str) -> None:
        """Until the transaction ends, no other process handles this identity's messages."""
        if self._postgresql:
            high, low = _key(f"{channel}:{external_id}")
            await self._all(
                "SELECT pg_advisory_xact_lock(CAST(? AS INTEGER), CAST(? AS INTEGER))",
                high,
                low,
            )
