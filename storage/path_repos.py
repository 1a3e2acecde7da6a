"""A person's path (steps recorded by operators), their follow-up answers and the proposals
made to them: the SQL of bot/capabilities/paths.py, outcome_followup.py and proposals.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot.domain import OutboxKind
from bot.placement import ContractType, InternshipEnd, PathStepKind, ProposalAnswer, WorkStatus
from storage.repo_base import _dt, _Repo, _ts


@dataclass
class PathStep:
    id: int
    person_id: int
    kind: PathStepKind
    started_on: date  # the referral, the course's start, the internship's, the hire, the start-up
    title: str = ""  # the course
    provider: str = ""  # the course's provider
    qualification: str = ""
    completed: bool | None = None  # the course
    company_name: str = ""  # the host (internship) or the employer (hire)
    company_id: int | None = None  # when the company is one of the desk's
    planned_end_on: date | None = None  # the internship's
    ended_on: date | None = None  # the course's end, the internship's actual end
    end_reason: InternshipEnd | None = None
    contract: ContractType | None = None
    internship_id: int | None = None  # the hire followed this internship
    recorded_by: int | None = None  # the desk user
    created_at: datetime | None = None


@dataclass
class FollowUpAnswer:
    """A self-declared outcome: the person's own words at a follow-up, not an operator's."""

    person_id: int
    months: int
    asked_at: datetime
    working: WorkStatus | None = None
    contract: ContractType | None = None  # None: not said, or "I don't know"
    same_company: bool | None = None  # with the company of their internship
    answered_at: datetime | None = None


@dataclass
class Proposal:
    id: int
    person_id: int
    profile_id: int
    reason: str
    proposed_by: int | None
    created_at: datetime
    answer: ProposalAnswer | None = None
    answered_at: datetime | None = None
    profile_title: str = ""
    company_name: str = ""
    profile_code: str = ""


_STEP_COLUMNS = (
    "person_id, kind, started_on, title, provider, qualification, completed, company_name, "
    "company_id, planned_end_on, ended_on, end_reason, contract, internship_id, recorded_by, "
    "created_at"
)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _flag(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def _int(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _step(row: aiosqlite.Row) -> PathStep:
    return PathStep(
        id=row["id"],
        person_id=row["person_id"],
        kind=PathStepKind(row["kind"]),
        started_on=date.fromisoformat(row["started_on"]),
        title=row["title"],
        provider=row["provider"],
        qualification=row["qualification"],
        completed=_flag(row["completed"]),
        company_name=row["company_name"],
        company_id=row["company_id"],
        planned_end_on=_day(row["planned_end_on"]),
        ended_on=_day(row["ended_on"]),
        end_reason=InternshipEnd(row["end_reason"]) if row["end_reason"] else None,
        contract=ContractType(row["contract"]) if row["contract"] else None,
        internship_id=row["internship_id"],
        recorded_by=row["recorded_by"],
        created_at=_dt(row["created_at"]),
    )


class PathSteps(_Repo):
    async def add(self, step: PathStep, now: datetime) -> int:
        return await self._insert(
            f"INSERT INTO path_steps ({_STEP_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            step.person_id,
            step.kind.value,
            step.started_on.isoformat(),
            step.title,
            step.provider,
            step.qualification,
            _int(step.completed),
            step.company_name,
            step.company_id,
            _iso(step.planned_end_on),
            _iso(step.ended_on),
            step.end_reason.value if step.end_reason else None,
            step.contract.value if step.contract else None,
            step.internship_id,
            step.recorded_by,
            _ts(now),
        )

    async def get(self, step_id: int) -> PathStep | None:
        row = await self._one("SELECT * FROM path_steps WHERE id = ?", step_id)
        return _step(row) if row else None

    async def of_person(self, person_id: int) -> list[PathStep]:
        rows = await self._all(
            "SELECT * FROM path_steps WHERE person_id = ? ORDER BY started_on, id", person_id
        )
        return [_step(r) for r in rows]

    async def end_internship(self, step_id: int, ended_on: date, reason: InternshipEnd) -> None:
        await self._run(
            "UPDATE path_steps SET ended_on = ?, end_reason = ? WHERE id = ?",
            ended_on.isoformat(),
            reason.value,
            step_id,
        )

    async def delete(self, step_id: int) -> None:
        await self._run("DELETE FROM path_steps WHERE id = ?", step_id)

    async def merge(self, source_id: int, target_id: int) -> None:
        """Two people became one (people.link): their paths, answers and proposals too."""
        for table in ("path_steps", "proposals"):
            await self._run(
                f"UPDATE {table} SET person_id = ? WHERE person_id = ?", target_id, source_id
            )
        await self._run(
            "DELETE FROM followup_answers WHERE person_id = ? AND months IN "
            "(SELECT months FROM followup_answers WHERE person_id = ?)",
            source_id,
            target_id,
        )
        await self._run(
            "UPDATE followup_answers SET person_id = ? WHERE person_id = ?", target_id, source_id
        )


def _answer(row: aiosqlite.Row) -> FollowUpAnswer:
    return FollowUpAnswer(
        person_id=row["person_id"],
        months=row["months"],
        asked_at=datetime.fromisoformat(row["asked_at"]),
        working=WorkStatus(row["working"]) if row["working"] else None,
        contract=ContractType(row["contract"]) if row["contract"] else None,
        same_company=_flag(row["same_company"]),
        answered_at=_dt(row["answered_at"]),
    )


class FollowUps(_Repo):
    async def asked(self, person_id: int, months: int, now: datetime) -> None:
        """The question went out: a row to fill, or the one already there kept."""
        await self._run(
            "INSERT INTO followup_answers (person_id, months, asked_at) VALUES (?, ?, ?) "
            "ON CONFLICT (person_id, months) DO NOTHING",
            person_id,
            months,
            _ts(now),
        )

    async def get(self, person_id: int, months: int) -> FollowUpAnswer | None:
        row = await self._one(
            "SELECT * FROM followup_answers WHERE person_id = ? AND months = ?",
            person_id,
            months,
        )
        return _answer(row) if row else None

    async def save(self, answer: FollowUpAnswer) -> None:
        await self._run(
            "UPDATE followup_answers SET working = ?, contract = ?, same_company = ?, "
            "answered_at = ? WHERE person_id = ? AND months = ?",
            answer.working.value if answer.working else None,
            answer.contract.value if answer.contract else None,
            _int(answer.same_company),
            _ts(answer.answered_at) if answer.answered_at else None,
            answer.person_id,
            answer.months,
        )

    async def of_person(self, person_id: int) -> list[FollowUpAnswer]:
        rows = await self._all(
            "SELECT * FROM followup_answers WHERE person_id = ? ORDER BY months", person_id
        )
        return [_answer(r) for r in rows]

    async def planned(self, person_id: int) -> list[int]:
        """The months of the follow-up questions still to go out."""
        rows = await self._all(
            "SELECT payload FROM outbox WHERE person_id = ? AND kind = ? AND status = 'pending'",
            person_id,
            OutboxKind.FOLLOWUP.value,
        )
        found = []
        for row in rows:
            months = _months_of(row["payload"])
            if months is not None:
                found.append(months)
        return sorted(found)

    async def drop_planned(self, person_id: int, reason: str) -> int:
        return await self._run(
            "UPDATE outbox SET status = 'dropped', last_error = ? "
            "WHERE person_id = ? AND kind = ? AND status = 'pending'",
            reason,
            person_id,
            OutboxKind.FOLLOWUP.value,
        )


def _months_of(payload: str) -> int | None:
    value = json.loads(payload or "{}").get("months")
    return value if isinstance(value, int) else None


_PROPOSAL_SELECT = (
    "SELECT p.*, j.title AS profile_title, j.code AS profile_code, c.name AS company_name "
    "FROM proposals p JOIN job_profiles j ON j.id = p.profile_id "
    "JOIN companies c ON c.id = j.company_id "
)


def _proposal(row: aiosqlite.Row) -> Proposal:
    return Proposal(
        id=row["id"],
        person_id=row["person_id"],
        profile_id=row["profile_id"],
        reason=row["reason"],
        proposed_by=row["proposed_by"],
        created_at=datetime.fromisoformat(row["created_at"]),
        answer=ProposalAnswer(row["answer"]) if row["answer"] else None,
        answered_at=_dt(row["answered_at"]),
        profile_title=row["profile_title"],
        company_name=row["company_name"],
        profile_code=row["profile_code"],
    )


class Proposals(_Repo):
    async def add(
        self, person_id: int, profile_id: int, reason: str, by: int | None, now: datetime
    ) -> int:
        return await self._insert(
            "INSERT INTO proposals (person_id, profile_id, reason, proposed_by, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            person_id,
            profile_id,
            reason,
            by,
            _ts(now),
        )

    async def get(self, proposal_id: int) -> Proposal | None:
        row = await self._one(_PROPOSAL_SELECT + "WHERE p.id = ?", proposal_id)
        return _proposal(row) if row else None

    async def of_person(self, person_id: int) -> list[Proposal]:
        rows = await self._all(_PROPOSAL_SELECT + "WHERE p.person_id = ? ORDER BY p.id", person_id)
        return [_proposal(r) for r in rows]

    async def of_profile(self, profile_id: int) -> list[Proposal]:
        rows = await self._all(
            _PROPOSAL_SELECT + "WHERE p.profile_id = ? ORDER BY p.id", profile_id
        )
        return [_proposal(r) for r in rows]

    async def answer(self, proposal_id: int, answer: ProposalAnswer, now: datetime) -> None:
        await self._run(
            "UPDATE proposals SET answer = ?, answered_at = ? WHERE id = ?",
            answer.value,
            _ts(now),
            proposal_id,
        )
