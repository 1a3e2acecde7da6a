"""Operators' weekly hours and the desk's closures as stored (migration 0012), and which of
them the TOML file has already seeded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from bot.slots import Window
from storage.repo_base import _Repo, _ts


@dataclass(frozen=True)
class Closure:
    id: int
    first: date
    last: date  # inclusive
    note: str


@dataclass(frozen=True)
class StoredAvailability:
    seeded: frozenset[str]  # scopes: "operator:<id>", "closures"
    windows: dict[str, tuple[Window, ...]] = field(default_factory=dict)
    closures: tuple[Closure, ...] = ()


def operator_scope(operator_id: str) -> str:
    return f"operator:{operator_id}"


CLOSURES_SCOPE = "closures"


class Availability(_Repo):
    async def stored(self) -> StoredAvailability:
        """Everything, in one round trip: the slot computation reads it on every turn that
        offers times, so a change made in the back-office counts at once."""
        rows = await self._all(
            "SELECT 's' AS kind, scope AS a, '' AS b, '' AS c, '' AS d FROM availability_seeded "
            "UNION ALL SELECT 'h', operator_id, CAST(weekday AS TEXT), starts, ends "
            "FROM operator_hours "
            "UNION ALL SELECT 'c', CAST(id AS TEXT), first_day, last_day, note FROM desk_closures"
        )
        seeded: set[str] = set()
        windows: dict[str, list[Window]] = {}
        closures: list[Closure] = []
        for row in rows:
            if row["kind"] == "s":
                seeded.add(row["a"])
            elif row["kind"] == "h":
                window = Window(
                    int(row["b"]), time.fromisoformat(row["c"]), time.fromisoformat(row["d"])
                )
                windows.setdefault(row["a"], []).append(window)
            else:
                closures.append(
                    Closure(
                        int(row["a"]),
                        date.fromisoformat(row["b"]),
                        date.fromisoformat(row["c"]),
                        row["d"],
                    )
                )
        return StoredAvailability(
            frozenset(seeded),
            {k: tuple(sorted(v, key=lambda w: (w.weekday, w.start))) for k, v in windows.items()},
            tuple(sorted(closures, key=lambda c: (c.first, c.last, c.id))),
        )

    async def mark_seeded(self, scope: str, now: datetime) -> bool:
        """True the first time: the caller then writes the scope's rows from the file."""
        changed = await self._run(
            "INSERT INTO availability_seeded (scope, seeded_at) VALUES (?, ?) "
            "ON CONFLICT (scope) DO NOTHING",
            scope,
            _ts(now),
        )
        return changed == 1

    async def replace_hours(
        self, operator_id: str, windows: Sequence[Window], now: datetime
    ) -> None:
        await self.mark_seeded(operator_scope(operator_id), now)
        await self._run("DELETE FROM operator_hours WHERE operator_id = ?", operator_id)
        for window in windows:
            await self._run(
                "INSERT INTO operator_hours (operator_id, weekday, starts, ends) "
                "VALUES (?, ?, ?, ?)",
                operator_id,
                window.weekday,
                f"{window.start:%H:%M}",
                f"{window.end:%H:%M}",
            )

    async def add_closure(self, first: date, last: date, note: str, now: datetime) -> int:
        await self.mark_seeded(CLOSURES_SCOPE, now)
        return await self._insert(
            "INSERT INTO desk_closures (first_day, last_day, note, created_at) VALUES (?, ?, ?, ?)",
            first.isoformat(),
            last.isoformat(),
            note,
            _ts(now),
        )

    async def remove_closure(self, closure_id: int) -> bool:
        return await self._run("DELETE FROM desk_closures WHERE id = ?", closure_id) == 1
