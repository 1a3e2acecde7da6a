"""The one query matching runs: the people whose intake answers contain what is required.

It reads only the questions it is given, so what matching may look at is decided in
bot/capabilities/matching.py and nowhere else."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain import JSON
from storage.repo_base import _Repo, like_literal


@dataclass(frozen=True)
class Contains:
    """The answer (a JSON list) holds this code."""

    question: str
    code: str


@dataclass(frozen=True)
class OneOf:
    """The answer (a JSON string) is one of these codes."""

    question: str
    codes: tuple[str, ...]


Condition = Contains | OneOf


def _like(code: str) -> str:
    """The quoted code as a LIKE pattern: ids are JSON strings, so '"code"' is the whole
    element; `_` and `%` are escaped (skill ids have underscores)."""
    return f'%"{like_literal(code)}"%'


def _test(condition: Condition) -> tuple[str, list[str]]:
    """The SQL test on an answer's value, and its parameters."""
    if isinstance(condition, Contains):
        return "LIKE ? ESCAPE '\\'", [_like(condition.code)]
    marks = ", ".join("?" for _ in condition.codes)
    return f"IN ({marks})", [json.dumps(code) for code in condition.codes]


class Matching(_Repo):
    async def meeting(
        self, conditions: Sequence[Condition], shown: Sequence[str]
    ) -> list[tuple[int, dict[str, JSON]]]:
        """Everyone with a confirmed intake whose answers meet every condition, by person id,
        with their answers to the `shown` questions (and no other)."""
        # The first condition drives the query through the index on (question, person_id):
        # only the answers to its question are read, the others are looked up per person.
        sources, where, params = ["people p"], ["p.intake_confirmed_at IS NOT NULL"], []
        for number, c in enumerate(conditions):
            test, values = _test(c)
            if number == 0:
                sources = ["answers d", "JOIN people p ON p.id = d.person_id"]
                where.insert(0, f"d.question = ? AND d.value {test}")
            else:
                where.append(
                    "EXISTS (SELECT 1 FROM answers r WHERE r.person_id = p.id "
                    f"AND r.question = ? AND r.value {test})"
                )
            params += [c.question, *values]
        select, joined = "NULL AS question, NULL AS value", []
        if shown:
            marks = ", ".join("?" for _ in shown)
            select = "a.question, a.value"
            sources.append(f"LEFT JOIN answers a ON a.person_id = p.id AND a.question IN ({marks})")
            joined = list(shown)
        sql = (
            f"SELECT p.id AS person_id, {select} FROM {' '.join(sources)} "
            f"WHERE {' AND '.join(where)} ORDER BY p.id"
        )
        rows = await self._all(sql, *joined, *params)
        found: dict[int, dict[str, JSON]] = {}
        for r in rows:
            answers = found.setdefault(r["person_id"], {})
            if r["question"] is not None:
                answers[r["question"]] = json.loads(r["value"])
        return list(found.items())

    async def answers_of(self, person_id: int, questions: Sequence[str]) -> dict[str, JSON]:
        """One person's answers to these questions only (the reverse view)."""
        if not questions:
            return {}
        marks = ", ".join("?" for _ in questions)
        rows = await self._all(
            f"SELECT question, value FROM answers WHERE person_id = ? AND question IN ({marks})",
            person_id,
            *questions,
        )
        return {r["question"]: json.loads(r["value"]) for r in rows}

    async def declaring(self, skills: Sequence[str]) -> dict[str, int]:
        """How many people with a confirmed intake declare each skill: counts only."""
        found = {}
        for skill in skills:
            row = await self._one(
                "SELECT COUNT(*) AS n FROM answers a JOIN people p ON p.id = a.person_id "
                "WHERE a.question = ? AND a.value LIKE ? ESCAPE '\\' "
                "AND p.intake_confirmed_at IS NOT NULL",
                "skills." + skill.split(".", 1)[0],
                _like(skill),
            )
            found[skill] = int(row["n"]) if row else 0
        return found
