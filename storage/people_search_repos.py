"""Finding people for the back-office: by a fragment of their name or WhatsApp number, all of
them (administrators) or only those booked with one operator."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from storage.repo_base import _Repo, like_literal

SEARCH_LIMIT = 200


@dataclass(frozen=True)
class Found:
    person_id: int
    name: str | None
    phone: str | None  # the WhatsApp number, E.164
    language: str | None
    last_seen_at: datetime


def _like(fragment: str) -> str:
    """A LIKE pattern matching the fragment anywhere, its own % and _ taken literally."""
    return f"%{like_literal(fragment.lower())}%"


class PeopleSearch(_Repo):
    async def find(
        self, name: str, digits: str, operator_id: str | None, limit: int = SEARCH_LIMIT
    ) -> list[Found]:
        """People whose name contains `name` and whose WhatsApp number contains `digits`
        (either may be empty, not both), latest seen first."""
        where = ["1 = 1"]
        params: list[object] = []
        if name:
            where.append(
                "EXISTS (SELECT 1 FROM answers a WHERE a.person_id = p.id "
                "AND a.question = 'name' AND LOWER(a.value) LIKE ? ESCAPE '\\')"
            )
            params.append(_like(name))
        if digits:
            where.append(
                "EXISTS (SELECT 1 FROM identities i WHERE i.person_id = p.id "
                "AND i.channel = 'whatsapp' AND i.external_id LIKE ? ESCAPE '\\')"
            )
            params.append(_like(digits))
        if operator_id is not None:
            where.append(
                "EXISTS (SELECT 1 FROM bookings b WHERE b.person_id = p.id AND b.operator_id = ?)"
            )
            params.append(operator_id)
        rows = await self._all(
            "SELECT p.id, p.language, p.last_seen_at, "
            "(SELECT a.value FROM answers a WHERE a.person_id = p.id AND a.question = 'name') "
            "AS name, (SELECT MIN(i.external_id) FROM identities i WHERE i.person_id = p.id "
            "AND i.channel = 'whatsapp') AS phone "
            f"FROM people p WHERE {' AND '.join(where)} ORDER BY p.last_seen_at DESC, p.id DESC "
            "LIMIT ?",
            *params,
            limit,
        )
        return [
            Found(
                r["id"],
                _name(r["name"]),
                r["phone"],
                r["language"],
                datetime.fromisoformat(r["last_seen_at"]),
            )
            for r in rows
        ]


def _name(value: str | None) -> str | None:
    decoded = json.loads(value) if value else None
    return decoded if isinstance(decoded, str) else None
