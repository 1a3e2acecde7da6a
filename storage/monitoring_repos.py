"""What the annual monitoring report reads: anonymous rows only, already grouped.

Nothing here touches a table with a person id: intake_stats (one anonymous row per confirmed
intake), monitoring_counts (the counters the triggers of migration 0006 keep) and the
workshops themselves. Everything comes back grouped and sorted, so the same database and
period always give the same figures in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.clock import ROME
from storage.repo_base import _Repo, _ts

INTAKE_COLUMNS = (
    "channel",
    "residence",
    "age_band",
    "gender",
    "citizenship",
    "status",
    "duration",
    "education",
    "goal",
    "cpi",
    "language",
)
PROFILE_COLUMNS = ("age_band", "gender", "status", "duration", "goal")


@dataclass(frozen=True)
class IntakeGroup:
    """Confirmed intakes that share a month and every answer."""

    month: str
    answers: dict[str, str]
    count: int


@dataclass(frozen=True)
class EventGroup:
    """Counted facts (a booking, an outcome, a seat...) sharing a month, event and profile."""

    month: str
    event: str
    channel: str
    profile: tuple[str, str, str, str, str]
    value: int
    count: int


@dataclass(frozen=True)
class SectorActivity:
    """The companies of one sector in a period: none of it is about a person."""

    sector: str  # a sector id of bot/data/sectors.toml
    companies_visited: int  # companies with a scouting visit in the period
    visits: int
    profiles: int  # job profiles opened (created) in the period
    openings: int  # their openings, as they stand now


@dataclass(frozen=True)
class WorkshopRow:
    month: str
    capacity: int


class MonitoringRepo(_Repo):
    async def intakes(self, first: date, last: date) -> list[IntakeGroup]:
        # Rows older than migration 0006 know only their month: they count as its first day.
        columns = ", ".join(f"COALESCE({c}, '')" for c in INTAKE_COLUMNS)
        rows = await self._all(
            f"SELECT month, {columns}, COUNT(*) AS n FROM intake_stats "
            "WHERE COALESCE(day, month || '-01') BETWEEN ? AND ? "
            f"GROUP BY month, {columns} ORDER BY month, {columns}",
            first.isoformat(),
            last.isoformat(),
        )
        return [
            IntakeGroup(
                month=r[0],
                answers={c: r[i + 1] for i, c in enumerate(INTAKE_COLUMNS)},
                count=int(r["n"]),
            )
            for r in rows
        ]

    async def events(self, first: date, last: date) -> list[EventGroup]:
        profile = ", ".join(PROFILE_COLUMNS)
        rows = await self._all(
            f"SELECT substr(day, 1, 7) AS month, event, channel, {profile}, value, "
            "SUM(count) AS n FROM monitoring_counts WHERE day BETWEEN ? AND ? "
            f"GROUP BY month, event, channel, {profile}, value "
            f"ORDER BY month, event, channel, {profile}, value",
            first.isoformat(),
            last.isoformat(),
        )
        return [
            EventGroup(
                month=r["month"],
                event=r["event"],
                channel=r["channel"],
                profile=(r["age_band"], r["gender"], r["status"], r["duration"], r["goal"]),
                value=int(r["value"]),
                count=int(r["n"]),
            )
            for r in rows
        ]

    async def count(self, day: str, event: str, person_id: int | None, delta: int) -> None:
        """One more (or, with delta -1, one fewer) fact counted under the person's profile as
        it is now; a count never goes below zero."""
        if delta < 0:
            await self._run(
                "UPDATE monitoring_counts SET count = count - 1 WHERE day = ? AND event = ? "
                "AND channel = '' AND value = -1 AND count > 0 "
                "AND (age_band, gender, status, duration, goal) = (SELECT "
                "COALESCE(v.age_band, ''), COALESCE(v.gender, ''), COALESCE(v.status, ''), "
                "COALESCE(v.duration, ''), COALESCE(v.goal, '') FROM (SELECT 1 AS one) AS o "
                "LEFT JOIN monitoring_profile v ON v.person_id = ?)",
                day,
                event,
                person_id,
            )
            return
        await self._run(
            "INSERT INTO monitoring_counts "
            "(day, event, channel, age_band, gender, status, duration, goal, value, count) "
            "SELECT ?, ?, '', COALESCE(v.age_band, ''), COALESCE(v.gender, ''), "
            "COALESCE(v.status, ''), COALESCE(v.duration, ''), COALESCE(v.goal, ''), -1, ? "
            "FROM (SELECT 1 AS one) AS o LEFT JOIN monitoring_profile v ON v.person_id = ? "
            "WHERE true ON CONFLICT "
            "(day, event, channel, age_band, gender, status, duration, goal, value) "
            "DO UPDATE SET count = monitoring_counts.count + excluded.count",
            day,
            event,
            delta,
            person_id,
        )

    async def companies(
        self, first: date, last: date, since: str, until: str
    ) -> list[SectorActivity]:
        """Visits dated from `first` to `last`, and profiles created from `since` (included) to
        `until` (excluded), UTC timestamps as stored; by sector, in sector order."""
        visits = await self._all(
            "SELECT c.sector, COUNT(DISTINCT c.id) AS companies, COUNT(*) AS visits "
            "FROM scouting_visits v JOIN companies c ON c.id = v.company_id "
            "WHERE v.visited_on BETWEEN ? AND ? GROUP BY c.sector",
            first.isoformat(),
            last.isoformat(),
        )
        profiles = await self._all(
            "SELECT c.sector, COUNT(*) AS profiles, SUM(j.openings) AS openings "
            "FROM job_profiles j JOIN companies c ON c.id = j.company_id "
            "WHERE j.created_at >= ? AND j.created_at < ? GROUP BY c.sector",
            since,
            until,
        )
        found: dict[str, list[int]] = {}
        for r in visits:
            found.setdefault(r["sector"], [0, 0, 0, 0])[:2] = [
                int(r["companies"]),
                int(r["visits"]),
            ]
        for r in profiles:
            found.setdefault(r["sector"], [0, 0, 0, 0])[2:] = [
                int(r["profiles"]),
                int(r["openings"]),
            ]
        return [SectorActivity(sector, *values) for sector, values in sorted(found.items())]

    async def workshops(self, first: date, last: date) -> list[WorkshopRow]:
        """Workshops held in the period (not cancelled), by their month in Lucca: the
        period's local midnights are turned into UTC here, as stored."""
        start = datetime.combine(first, time(0), ROME)
        end = datetime.combine(last + timedelta(days=1), time(0), ROME)
        rows = await self._all(
            "SELECT starts_at, capacity FROM workshops WHERE cancelled_at IS NULL "
            "AND starts_at >= ? AND starts_at < ? ORDER BY starts_at, id",
            _ts(start),
            _ts(end),
        )
        return [
            WorkshopRow(_month(datetime.fromisoformat(r["starts_at"])), int(r["capacity"]))
            for r in rows
        ]


def _month(moment: datetime) -> str:
    return moment.astimezone(ROME).date().isoformat()[:7]
