"""Repositories of the back-office: accounts, sessions, login throttling, the audit log, its
keys, and the administrator's view of the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.domain import OutboxItem
from storage.outbox_repos import _item
from storage.repo_base import _dt, _Repo, _ts


@dataclass(frozen=True)
class DeskUser:
    id: int
    email: str
    name: str
    role: str
    operator_id: str | None
    password_hash: str
    disabled_at: datetime | None
    created_at: datetime

    @property
    def active(self) -> bool:
        return self.disabled_at is None


@dataclass(frozen=True)
class DeskSession:
    user: DeskUser
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class Throttle:
    failures: int
    locked_until: datetime | None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    user_id: int | None
    user_email: str | None
    action: str
    subject_type: str | None
    subject_id: str | None


def _user(row: aiosqlite.Row) -> DeskUser:
    return DeskUser(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        role=row["role"],
        operator_id=row["operator_id"],
        password_hash=row["password_hash"],
        disabled_at=_dt(row["disabled_at"]),
        created_at=datetime.fromisoformat(row["created_at"]),
    )


class DeskUsers(_Repo):
    async def add(
        self,
        email: str,
        name: str,
        role: str,
        operator_id: str | None,
        password_hash: str,
        now: datetime,
    ) -> int | None:
        """The new account's id, or None when the e-mail already has one."""
        row = await self._one(
            "INSERT INTO desk_users (email, name, role, operator_id, password_hash, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING RETURNING id",
            email,
            name,
            role,
            operator_id,
            password_hash,
            _ts(now),
        )
        return int(row["id"]) if row else None

    async def by_email(self, email: str) -> DeskUser | None:
        row = await self._one("SELECT * FROM desk_users WHERE email = ?", email)
        return _user(row) if row else None

    async def get(self, user_id: int) -> DeskUser | None:
        row = await self._one("SELECT * FROM desk_users WHERE id = ?", user_id)
        return _user(row) if row else None

    async def listing(self, role: str | None = None) -> list[DeskUser]:
        rows = await self._all(
            "SELECT * FROM desk_users WHERE CAST(? AS TEXT) IS NULL OR role = ? ORDER BY email",
            role,
            role,
        )
        return [_user(r) for r in rows]

    async def count(self) -> int:
        row = await self._one("SELECT COUNT(*) AS n FROM desk_users")
        return int(row["n"]) if row else 0

    async def disable(self, user_id: int, now: datetime) -> bool:
        return bool(
            await self._run(
                "UPDATE desk_users SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL",
                _ts(now),
                user_id,
            )
        )

    async def set_password(self, user_id: int, password_hash: str) -> None:
        await self._run(
            "UPDATE desk_users SET password_hash = ? WHERE id = ?", password_hash, user_id
        )


class DeskSessions(_Repo):
    async def add(
        self, token_hash: str, user_id: int, csrf_token: str, now: datetime, expires: datetime
    ) -> None:
        await self._run(
            "INSERT INTO desk_sessions (token_hash, user_id, csrf_token, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            token_hash,
            user_id,
            csrf_token,
            _ts(now),
            _ts(expires),
        )

    async def live(self, token_hash: str, now: datetime) -> DeskSession | None:
        """The session and its account, while neither has expired nor been disabled."""
        row = await self._one(
            "SELECT s.csrf_token, s.expires_at, u.* FROM desk_sessions s "
            "JOIN desk_users u ON u.id = s.user_id "
            "WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled_at IS NULL",
            token_hash,
            _ts(now),
        )
        if row is None:
            return None
        return DeskSession(_user(row), row["csrf_token"], datetime.fromisoformat(row["expires_at"]))

    async def created_at(self, token_hash: str) -> datetime | None:
        row = await self._one(
            "SELECT created_at FROM desk_sessions WHERE token_hash = ?", token_hash
        )
        return datetime.fromisoformat(row["created_at"]) if row else None

    async def extend(self, token_hash: str, expires: datetime) -> None:
        await self._run(
            "UPDATE desk_sessions SET expires_at = ? WHERE token_hash = ?", _ts(expires), token_hash
        )

    async def remove(self, token_hash: str) -> None:
        await self._run("DELETE FROM desk_sessions WHERE token_hash = ?", token_hash)

    async def remove_for_user(self, user_id: int) -> int:
        return await self._run("DELETE FROM desk_sessions WHERE user_id = ?", user_id)

    async def remove_expired(self, now: datetime) -> int:
        return await self._run("DELETE FROM desk_sessions WHERE expires_at <= ?", _ts(now))


class LoginFailures(_Repo):
    async def get(self, key: str) -> Throttle:
        row = await self._one(
            "SELECT failures, locked_until FROM desk_login_failures WHERE key = ?", key
        )
        if row is None:
            return Throttle(0, None)
        return Throttle(row["failures"], _dt(row["locked_until"]))

    async def record(self, key: str, failures: int, now: datetime, until: datetime | None) -> None:
        await self._run(
            "INSERT INTO desk_login_failures (key, failures, last_at, locked_until) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, "
            "last_at = excluded.last_at, locked_until = excluded.locked_until",
            key,
            failures,
            _ts(now),
            _ts(until) if until else None,
        )

    async def clear(self, key: str) -> None:
        await self._run("DELETE FROM desk_login_failures WHERE key = ?", key)

    async def forget_before(self, moment: datetime) -> int:
        return await self._run(
            "DELETE FROM desk_login_failures WHERE last_at < ? AND "
            "(locked_until IS NULL OR locked_until < ?)",
            _ts(moment),
            _ts(moment),
        )


class Audit(_Repo):
    async def add(
        self,
        user_id: int | None,
        action: str,
        subject_type: str | None,
        subject_id: str | None,
        now: datetime,
    ) -> None:
        await self._run(
            "INSERT INTO desk_audit (at, user_id, action, subject_type, subject_id) "
            "VALUES (?, ?, ?, ?, ?)",
            _ts(now),
            user_id,
            action,
            subject_type,
            subject_id,
        )

    async def recent(self, action: str | None = None, limit: int = 500) -> list[AuditEntry]:
        rows = await self._all(
            "SELECT a.*, u.email FROM desk_audit a LEFT JOIN desk_users u ON u.id = a.user_id "
            "WHERE CAST(? AS TEXT) IS NULL OR a.action = ? ORDER BY a.id DESC LIMIT ?",
            action,
            action,
            limit,
        )
        return [
            AuditEntry(
                id=r["id"],
                at=datetime.fromisoformat(r["at"]),
                user_id=r["user_id"],
                user_email=r["email"],
                action=r["action"],
                subject_type=r["subject_type"],
                subject_id=r["subject_id"],
            )
            for r in rows
        ]


class DeskKeys(_Repo):
    async def get_or_add(self, name: str, candidate: str) -> str:
        """The stored value of the key; `candidate` becomes it the first time."""
        await self._run(
            "INSERT INTO desk_keys (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            name,
            candidate,
        )
        row = await self._one("SELECT value FROM desk_keys WHERE name = ?", name)
        assert row is not None
        return str(row["value"])


class OutboxAdmin(_Repo):
    async def listing(self, statuses: tuple[str, ...], kind: str | None) -> list[OutboxItem]:
        marks = ", ".join("?" for _ in statuses)
        rows = await self._all(
            f"SELECT * FROM outbox WHERE status IN ({marks}) AND (CAST(? AS TEXT) IS NULL OR kind = ?) "
            "ORDER BY due_at, id LIMIT 1000",
            *statuses,
            kind,
            kind,
        )
        return [_item(r) for r in rows]

    async def get(self, item_id: int) -> OutboxItem | None:
        row = await self._one("SELECT * FROM outbox WHERE id = ?", item_id)
        return _item(row) if row else None

    async def kinds(self) -> list[str]:
        rows = await self._all("SELECT DISTINCT kind FROM outbox ORDER BY kind")
        return [r["kind"] for r in rows]

    async def retry_failed(self, item_id: int, now: datetime) -> bool:
        """A failed row goes back to pending, due now, with a fresh series of tries."""
        return bool(
            await self._run(
                "UPDATE outbox SET status = 'pending', due_at = ?, attempts = 0, "
                "claimed_until = NULL WHERE id = ? AND status = 'failed'",
                _ts(now),
                item_id,
            )
        )
