"""The repositories of people and what they tell us: events, people and their identities,
consents, intake answers, conversation state and intake stats (the base `_Repo` is in
storage.repo_base; repositories are the only place with SQL, speaking domain objects)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import aiosqlite

from bot.domain import (
    JSON,
    Channel,
    Consent,
    Conversation,
    Identity,
    IntakeStats,
    Person,
)
from storage.repo_base import _dt, _Repo, _ts


def _person(row: aiosqlite.Row) -> Person:
    return Person(
        id=row["id"],
        created_at=datetime.fromisoformat(row["created_at"]),
        last_seen_at=datetime.fromisoformat(row["last_seen_at"]),
        language=row["language"],
        source=row["source"],
        unreachable_at=_dt(row["unreachable_at"]),
        intake_confirmed_at=_dt(row["intake_confirmed_at"]),
    )


class Events(_Repo):
    async def claim(self, key: str, now: datetime) -> bool:
        """Record an inbound event; False when it was handled before."""
        changed = await self._run(
            "INSERT INTO processed_events (dedupe_key, processed_at) VALUES (?, ?) "
            "ON CONFLICT (dedupe_key) DO NOTHING",
            key,
            _ts(now),
        )
        return changed == 1

    async def first_seen(self, keys: Sequence[str]) -> str | None:
        """The first of `keys` whose event was recorded (its turn committed), if any."""
        for key in keys:
            if await self._one("SELECT 1 FROM processed_events WHERE dedupe_key = ?", key):
                return key
        return None

    async def forget_before(self, moment: datetime) -> int:
        return await self._run("DELETE FROM processed_events WHERE processed_at < ?", _ts(moment))


class People(_Repo):
    async def by_identity(self, channel: Channel, external_id: str) -> Person | None:
        row = await self._one(
            "SELECT p.* FROM people p JOIN identities i ON i.person_id = p.id "
            "WHERE i.channel = ? AND i.external_id = ?",
            channel.value,
            external_id,
        )
        return _person(row) if row else None

    async def get(self, person_id: int) -> Person | None:
        row = await self._one("SELECT * FROM people WHERE id = ?", person_id)
        return _person(row) if row else None

    async def create(
        self, channel: Channel, external_id: str, now: datetime, language: str | None
    ) -> Person:
        person_id = await self._insert(
            "INSERT INTO people (created_at, last_seen_at, language) VALUES (?, ?, ?)",
            _ts(now),
            _ts(now),
            language,
        )
        await self._run(
            "INSERT INTO identities (channel, external_id, person_id, created_at) "
            "VALUES (?, ?, ?, ?)",
            channel.value,
            external_id,
            person_id,
            _ts(now),
        )
        return Person(id=person_id, created_at=now, last_seen_at=now, language=language)

    async def identities(self, person_id: int) -> list[Identity]:
        rows = await self._all(
            "SELECT * FROM identities WHERE person_id = ? ORDER BY created_at", person_id
        )
        return [
            Identity(
                channel=Channel(r["channel"]),
                external_id=r["external_id"],
                created_at=datetime.fromisoformat(r["created_at"]),
                last_inbound_at=_dt(r["last_inbound_at"]),
            )
            for r in rows
        ]

    async def external_ids(self, channel: Channel, person_id: int) -> list[str]:
        rows = await self._all(
            "SELECT external_id FROM identities WHERE channel = ? AND person_id = ?",
            channel.value,
            person_id,
        )
        return [r["external_id"] for r in rows]

    async def touch(
        self, person_id: int, channel: Channel, external_id: str, now: datetime
    ) -> None:
        """The person wrote to us: reachable again, and the channel's window restarts."""
        await self._run(
            "UPDATE people SET last_seen_at = ?, unreachable_at = NULL WHERE id = ?",
            _ts(now),
            person_id,
        )
        await self._run(
            "UPDATE identities SET last_inbound_at = ? WHERE channel = ? AND external_id = ?",
            _ts(now),
            channel.value,
            external_id,
        )

    async def identity(self, channel: Channel, external_id: str) -> Identity | None:
        row = await self._one(
            "SELECT * FROM identities WHERE channel = ? AND external_id = ?",
            channel.value,
            external_id,
        )
        if row is None:
            return None
        return Identity(
            channel=Channel(row["channel"]),
            external_id=row["external_id"],
            created_at=datetime.fromisoformat(row["created_at"]),
            last_inbound_at=_dt(row["last_inbound_at"]),
        )

    async def merge(self, source_id: int, target_id: int) -> None:
        """Make two people one: the source's identities, consents, bookings, and the answers
        and workshop places the target lacks move to the target; the source is then deleted."""
        await self._run(
            "UPDATE identities SET person_id = ? WHERE person_id = ?", target_id, source_id
        )
        await self._run(
            "UPDATE consents SET person_id = ? WHERE person_id = ?", target_id, source_id
        )
        # What the target already has stays; the source's copy goes with the source.
        await self._run(
            "UPDATE answers SET person_id = ? WHERE person_id = ? AND question NOT IN "
            "(SELECT question FROM answers WHERE person_id = ?)",
            target_id,
            source_id,
            target_id,
        )
        await self._run(
            "UPDATE bookings SET person_id = ? WHERE person_id = ?", target_id, source_id
        )
        await self._run("UPDATE outbox SET person_id = ? WHERE person_id = ?", target_id, source_id)
        await self._run(
            "UPDATE waitlist SET person_id = ? WHERE person_id = ? AND NOT EXISTS "
            "(SELECT 1 FROM waitlist WHERE person_id = ?)",
            target_id,
            source_id,
            target_id,
        )
        await self._run(
            "UPDATE registrations SET person_id = ? WHERE person_id = ? AND workshop_id NOT IN "
            "(SELECT workshop_id FROM registrations WHERE person_id = ?)",
            target_id,
            source_id,
            target_id,
        )
        await self._run(
            "UPDATE people SET intake_confirmed_at = COALESCE(intake_confirmed_at, "
            "(SELECT intake_confirmed_at FROM people WHERE id = ?)) WHERE id = ?",
            source_id,
            target_id,
        )
        await self._run("DELETE FROM people WHERE id = ?", source_id)

    async def set_language(self, person_id: int, language: str) -> None:
        await self._run("UPDATE people SET language = ? WHERE id = ?", language, person_id)

    async def set_source(self, person_id: int, source: str) -> bool:
        """The first link a person came from is kept; True if this one was recorded."""
        changed = await self._run(
            "UPDATE people SET source = ? WHERE id = ? AND source IS NULL", source, person_id
        )
        return changed == 1

    async def mark_unreachable(self, channel: Channel, external_id: str, now: datetime) -> None:
        await self._run(
            "UPDATE people SET unreachable_at = ? WHERE id = "
            "(SELECT person_id FROM identities WHERE channel = ? AND external_id = ?)",
            _ts(now),
            channel.value,
            external_id,
        )

    async def confirm_intake(self, person_id: int, now: datetime) -> None:
        await self._run(
            "UPDATE people SET intake_confirmed_at = ? WHERE id = ?", _ts(now), person_id
        )

    async def opted_in_reachable(self) -> list[int]:
        """People whose latest announcements choice is yes and whom we can reach."""
        rows = await self._all(
            "SELECT p.id FROM people p WHERE p.unreachable_at IS NULL AND (SELECT c.granted "
            "FROM consents c WHERE c.person_id = p.id AND c.kind = 'announcements' "
            "ORDER BY c.id DESC LIMIT 1) = 1 ORDER BY p.id"
        )
        return [r["id"] for r in rows]

    async def inactive_since(self, moment: datetime) -> list[int]:
        rows = await self._all("SELECT id FROM people WHERE last_seen_at < ?", _ts(moment))
        return [r["id"] for r in rows]

    async def erase(self, person_id: int, now: datetime) -> None:
        """Delete the person and, through ON DELETE CASCADE, everything linked to them."""
        await self._run("DELETE FROM people WHERE id = ?", person_id)
        await self._run(
            "INSERT INTO erasure_stats (month, count) VALUES (?, 1) "
            "ON CONFLICT (month) DO UPDATE SET count = erasure_stats.count + 1",
            now.astimezone(UTC).strftime("%Y-%m"),
        )


class Consents(_Repo):
    async def record(
        self, person_id: int, kind: str, version: str, granted: bool, now: datetime
    ) -> None:
        await self._run(
            "INSERT INTO consents (person_id, kind, version, granted, at) VALUES (?, ?, ?, ?, ?)",
            person_id,
            kind,
            version,
            int(granted),
            _ts(now),
        )

    async def latest(self, person_id: int, kind: str) -> Consent | None:
        row = await self._one(
            "SELECT * FROM consents WHERE person_id = ? AND kind = ? ORDER BY id DESC LIMIT 1",
            person_id,
            kind,
        )
        return self._consent(row) if row else None

    async def history(self, person_id: int) -> list[Consent]:
        rows = await self._all("SELECT * FROM consents WHERE person_id = ? ORDER BY id", person_id)
        return [self._consent(r) for r in rows]

    @staticmethod
    def _consent(row: aiosqlite.Row) -> Consent:
        return Consent(
            kind=row["kind"],
            version=row["version"],
            granted=bool(row["granted"]),
            at=datetime.fromisoformat(row["at"]),
        )


class Answers(_Repo):
    async def all(self, person_id: int) -> dict[str, JSON]:
        rows = await self._all(
            "SELECT question, value FROM answers WHERE person_id = ? ORDER BY answered_at",
            person_id,
        )
        return {r["question"]: json.loads(r["value"]) for r in rows}

    async def of_people(self, questions: tuple[str, ...]) -> dict[int, dict[str, JSON]]:
        """Some answers of everyone, for matching an audience without one query per person."""
        marks = ", ".join("?" for _ in questions)
        rows = await self._all(
            f"SELECT person_id, question, value FROM answers WHERE question IN ({marks})",
            *questions,
        )
        found: dict[int, dict[str, JSON]] = {}
        for r in rows:
            found.setdefault(r["person_id"], {})[r["question"]] = json.loads(r["value"])
        return found

    async def save(self, person_id: int, question: str, value: JSON, now: datetime) -> None:
        await self._run(
            "INSERT INTO answers (person_id, question, value, answered_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (person_id, question) DO UPDATE SET "
            "value = excluded.value, answered_at = excluded.answered_at",
            person_id,
            question,
            json.dumps(value, ensure_ascii=False),
            _ts(now),
        )

    async def delete(self, person_id: int, questions: list[str]) -> None:
        for question in questions:
            await self._run(
                "DELETE FROM answers WHERE person_id = ? AND question = ?", person_id, question
            )

    async def clear(self, person_id: int) -> None:
        await self._run("DELETE FROM answers WHERE person_id = ?", person_id)


class Conversations(_Repo):
    async def load(self, person_id: int) -> Conversation | None:
        row = await self._one("SELECT * FROM conversations WHERE person_id = ?", person_id)
        if row is None:
            return None
        return Conversation(
            step=row["step"],
            seq=row["seq"],
            data=json.loads(row["data"]),
            updated_at=datetime.fromisoformat(row["updated_at"]),
        )

    async def save(self, person_id: int, conversation: Conversation, now: datetime) -> None:
        await self._run(
            "INSERT INTO conversations (person_id, step, seq, data, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (person_id) DO UPDATE SET "
            "step = excluded.step, seq = excluded.seq, data = excluded.data, "
            "updated_at = excluded.updated_at",
            person_id,
            conversation.step,
            conversation.seq,
            json.dumps(conversation.data, ensure_ascii=False),
            _ts(now),
        )


class Stats(_Repo):
    async def add_intake(self, stats: IntakeStats) -> None:
        await self._run(
            "INSERT INTO intake_stats (month, channel, residence, age_band, gender, citizenship, "
            "status, duration, education, goal, day, cpi, language) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            stats.month,
            stats.channel,
            stats.residence,
            stats.age_band,
            stats.gender,
            stats.citizenship,
            stats.status,
            stats.duration,
            stats.education,
            stats.goal,
            stats.day,
            stats.cpi,
            stats.language,
        )

    async def intake_count(self) -> int:
        row = await self._one("SELECT COUNT(*) AS n FROM intake_stats")
        return int(row["n"]) if row else 0
