"""Repositories for companies, their job profiles (skills and conditions) and scouting visits,
and the skills workshops teach."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot.placement import ConditionKind, ProfileState, SkillImportance
from storage.repo_base import _Repo, _ts


@dataclass(frozen=True)
class Company:
    id: int
    name: str
    sector: str
    ateco: str | None
    contact_name: str | None
    contact: str | None
    area: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class CompanyRow:
    """A line of the companies list."""

    company: Company
    profiles: int
    open_profiles: int
    openings: int  # of the open profiles
    last_visit: date | None


@dataclass(frozen=True)
class JobProfile:
    id: int
    company_id: int
    code: str
    title: str
    openings: int
    state: ProfileState
    essential: tuple[str, ...]  # skill ids, in the order given
    desirable: tuple[str, ...]
    conditions: Mapping[ConditionKind, tuple[str, ...]]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ScoutingVisit:
    id: int
    company_id: int
    visited_on: date
    operator_id: str
    notes: str
    created_at: datetime


@dataclass(frozen=True)
class Demand:
    """How much open profiles ask for one skill."""

    skill_id: str
    essential: int  # open profiles where it is essential
    desirable: int
    openings: int  # openings of those profiles


@dataclass(frozen=True)
class Teaching:
    workshop_id: int
    code: str
    title: str
    starts_at: datetime


def _company(r: aiosqlite.Row) -> Company:
    return Company(
        id=r["id"],
        name=r["name"],
        sector=r["sector"],
        ateco=r["ateco"],
        contact_name=r["contact_name"],
        contact=r["contact"],
        area=r["area"],
        created_at=datetime.fromisoformat(r["created_at"]),
        updated_at=datetime.fromisoformat(r["updated_at"]),
    )


class Companies(_Repo):
    async def get(self, company_id: int) -> Company | None:
        row = await self._one("SELECT * FROM companies WHERE id = ?", company_id)
        return _company(row) if row else None

    async def by_key(self, name_key: str) -> Company | None:
        row = await self._one("SELECT * FROM companies WHERE name_key = ?", name_key)
        return _company(row) if row else None

    async def create(self, values: Mapping[str, str | None], name_key: str, now: datetime) -> int:
        return await self._insert(
            "INSERT INTO companies (name, name_key, sector, ateco, contact_name, contact, area, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values["name"],
            name_key,
            values["sector"],
            values.get("ateco"),
            values.get("contact_name"),
            values.get("contact"),
            values.get("area"),
            _ts(now),
            _ts(now),
        )

    async def update(
        self, company_id: int, values: Mapping[str, str | None], name_key: str, now: datetime
    ) -> None:
        await self._run(
            "UPDATE companies SET name = ?, name_key = ?, sector = ?, ateco = ?, "
            "contact_name = ?, contact = ?, area = ?, updated_at = ? WHERE id = ?",
            values["name"],
            name_key,
            values["sector"],
            values.get("ateco"),
            values.get("contact_name"),
            values.get("contact"),
            values.get("area"),
            _ts(now),
            company_id,
        )

    async def listing(self) -> list[CompanyRow]:
        rows = await self._all(
            "SELECT c.*, "
            "(SELECT COUNT(*) FROM job_profiles p WHERE p.company_id = c.id) AS profiles, "
            "(SELECT COUNT(*) FROM job_profiles p WHERE p.company_id = c.id "
            " AND p.state = 'open') AS open_profiles, "
            "(SELECT COALESCE(SUM(p.openings), 0) FROM job_profiles p WHERE p.company_id = c.id "
            " AND p.state = 'open') AS openings, "
            "(SELECT MAX(v.visited_on) FROM scouting_visits v WHERE v.company_id = c.id) "
            " AS last_visit "
            "FROM companies c ORDER BY c.name_key"
        )
        return [
            CompanyRow(
                _company(r),
                int(r["profiles"]),
                int(r["open_profiles"]),
                int(r["openings"]),  # SUM of a BIGINT is numeric (Decimal) on PostgreSQL
                date.fromisoformat(r["last_visit"]) if r["last_visit"] else None,
            )
            for r in rows
        ]


class JobProfiles(_Repo):
    async def _complete(self, rows: list[aiosqlite.Row]) -> list[JobProfile]:
        """The profiles of these rows with their skills and conditions: two more queries."""
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        marks = ", ".join("?" for _ in ids)
        skills: dict[int, dict[str, list[str]]] = {i: {} for i in ids}
        for s in await self._all(
            f"SELECT profile_id, skill_id, importance FROM job_profile_skills "
            f"WHERE profile_id IN ({marks}) ORDER BY profile_id, skill_id",
            *ids,
        ):
            skills[s["profile_id"]].setdefault(s["importance"], []).append(s["skill_id"])
        conditions: dict[int, dict[ConditionKind, list[str]]] = {i: {} for i in ids}
        for c in await self._all(
            f"SELECT profile_id, kind, value FROM job_profile_conditions "
            f"WHERE profile_id IN ({marks}) ORDER BY profile_id, kind, value",
            *ids,
        ):
            conditions[c["profile_id"]].setdefault(ConditionKind(c["kind"]), []).append(c["value"])
        return [
            JobProfile(
                id=r["id"],
                company_id=r["company_id"],
                code=r["code"],
                title=r["title"],
                openings=r["openings"],
                state=ProfileState(r["state"]),
                essential=tuple(skills[r["id"]].get(SkillImportance.ESSENTIAL, ())),
                desirable=tuple(skills[r["id"]].get(SkillImportance.DESIRABLE, ())),
                conditions={k: tuple(v) for k, v in conditions[r["id"]].items()},
                created_at=datetime.fromisoformat(r["created_at"]),
                updated_at=datetime.fromisoformat(r["updated_at"]),
            )
            for r in rows
        ]

    async def get(self, profile_id: int) -> JobProfile | None:
        rows = await self._all("SELECT * FROM job_profiles WHERE id = ?", profile_id)
        found = await self._complete(rows)
        return found[0] if found else None

    async def by_code(self, code: str) -> JobProfile | None:
        rows = await self._all("SELECT * FROM job_profiles WHERE code = ?", code)
        found = await self._complete(rows)
        return found[0] if found else None

    async def of_company(self, company_id: int) -> list[JobProfile]:
        rows = await self._all(
            "SELECT * FROM job_profiles WHERE company_id = ? ORDER BY id", company_id
        )
        return await self._complete(rows)

    async def in_state(self, state: ProfileState) -> list[JobProfile]:
        rows = await self._all("SELECT * FROM job_profiles WHERE state = ? ORDER BY id", state)
        return await self._complete(rows)

    async def every(self) -> list[JobProfile]:
        return await self._complete(await self._all("SELECT * FROM job_profiles ORDER BY id"))

    async def save(
        self,
        company_id: int,
        code: str,
        title: str,
        openings: int,
        state: ProfileState,
        now: datetime,
    ) -> int:
        """Create the profile, or update the one with this code (re-imports); its id."""
        await self._run(
            "INSERT INTO job_profiles (company_id, code, title, openings, state, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET "
            "company_id = excluded.company_id, title = excluded.title, "
            "openings = excluded.openings, state = excluded.state, "
            "updated_at = excluded.updated_at",
            company_id,
            code,
            title,
            openings,
            state,
            _ts(now),
            _ts(now),
        )
        row = await self._one("SELECT id FROM job_profiles WHERE code = ?", code)
        assert row is not None
        return int(row["id"])

    async def set_state(self, profile_id: int, state: ProfileState, now: datetime) -> bool:
        changed = await self._run(
            "UPDATE job_profiles SET state = ?, updated_at = ? WHERE id = ?",
            state,
            _ts(now),
            profile_id,
        )
        return changed == 1

    async def set_skills(
        self, profile_id: int, essential: Iterable[str], desirable: Iterable[str]
    ) -> None:
        await self._run("DELETE FROM job_profile_skills WHERE profile_id = ?", profile_id)
        for importance, skills in (
            (SkillImportance.ESSENTIAL, essential),
            (SkillImportance.DESIRABLE, desirable),
        ):
            for skill in skills:
                await self._run(
                    "INSERT INTO job_profile_skills (profile_id, skill_id, importance) "
                    "VALUES (?, ?, ?) ON CONFLICT (profile_id, skill_id) DO NOTHING",
                    profile_id,
                    skill,
                    importance,
                )

    async def set_conditions(
        self, profile_id: int, conditions: Mapping[ConditionKind, Iterable[str]]
    ) -> None:
        await self._run("DELETE FROM job_profile_conditions WHERE profile_id = ?", profile_id)
        for kind, values in conditions.items():
            for value in values:
                await self._run(
                    "INSERT INTO job_profile_conditions (profile_id, kind, value) "
                    "VALUES (?, ?, ?) ON CONFLICT (profile_id, kind, value) DO NOTHING",
                    profile_id,
                    kind,
                    value,
                )

    async def demand(self) -> list[Demand]:
        """The skills open profiles ask for, most asked first (then by id: stable)."""
        rows = await self._all(
            "SELECT s.skill_id, "
            "SUM(CASE WHEN s.importance = 'essential' THEN 1 ELSE 0 END) AS essential, "
            "SUM(CASE WHEN s.importance = 'desirable' THEN 1 ELSE 0 END) AS desirable, "
            "SUM(p.openings) AS openings "
            "FROM job_profile_skills s JOIN job_profiles p ON p.id = s.profile_id "
            "WHERE p.state = 'open' GROUP BY s.skill_id "
            "ORDER BY COUNT(*) DESC, SUM(p.openings) DESC, s.skill_id"
        )
        return [
            Demand(r["skill_id"], int(r["essential"]), int(r["desirable"]), int(r["openings"] or 0))
            for r in rows
        ]


class ScoutingVisits(_Repo):
    async def add(
        self, company_id: int, visited_on: date, operator_id: str, notes: str, now: datetime
    ) -> int:
        return await self._insert(
            "INSERT INTO scouting_visits (company_id, visited_on, operator_id, notes, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            company_id,
            visited_on.isoformat(),
            operator_id,
            notes,
            _ts(now),
        )

    async def of_company(self, company_id: int) -> list[ScoutingVisit]:
        rows = await self._all(
            "SELECT * FROM scouting_visits WHERE company_id = ? ORDER BY visited_on DESC, id DESC",
            company_id,
        )
        return [
            ScoutingVisit(
                r["id"],
                r["company_id"],
                date.fromisoformat(r["visited_on"]),
                r["operator_id"],
                r["notes"],
                datetime.fromisoformat(r["created_at"]),
            )
            for r in rows
        ]


class WorkshopSkills(_Repo):
    async def set_for(self, workshop_id: int, skills: Iterable[str]) -> None:
        await self._run("DELETE FROM workshop_skills WHERE workshop_id = ?", workshop_id)
        for skill in skills:
            await self._run(
                "INSERT INTO workshop_skills (workshop_id, skill_id) VALUES (?, ?) "
                "ON CONFLICT (workshop_id, skill_id) DO NOTHING",
                workshop_id,
                skill,
            )

    async def of_workshop(self, workshop_id: int) -> list[str]:
        rows = await self._all(
            "SELECT skill_id FROM workshop_skills WHERE workshop_id = ? ORDER BY skill_id",
            workshop_id,
        )
        return [r["skill_id"] for r in rows]

    async def teaching(self, skills: Iterable[str], after: datetime) -> dict[str, list[Teaching]]:
        """The workshops still to come, not cancelled, that teach each of these skills."""
        wanted = sorted(set(skills))
        if not wanted:
            return {}
        marks = ", ".join("?" for _ in wanted)
        rows = await self._all(
            f"SELECT s.skill_id, w.id, w.code, w.title, w.starts_at FROM workshop_skills s "
            f"JOIN workshops w ON w.id = s.workshop_id WHERE s.skill_id IN ({marks}) "
            f"AND w.cancelled_at IS NULL AND w.starts_at > ? ORDER BY w.starts_at, w.id",
            *wanted,
            _ts(after),
        )
        found: dict[str, list[Teaching]] = {}
        for r in rows:
            found.setdefault(r["skill_id"], []).append(
                Teaching(r["id"], r["code"], r["title"], datetime.fromisoformat(r["starts_at"]))
            )
        return found


@dataclass(frozen=True)
class GapRow:
    """One skill asked for by open profiles, next to how many people declare it."""

    sector_id: str
    sector_label: str  # message ids, translated where shown
    skill_id: str
    skill_label: str
    profiles: int  # open profiles asking for it (essential or desirable)
    essential: int  # of which as essential
    openings: int
    people: int  # people with a confirmed intake who declare it
