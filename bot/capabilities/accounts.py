"""Back-office accounts: adding, disabling, passwords (argon2), logging in with throttling,
server-side sessions, and the audit log.

Each function takes the open unit of work (`db.write()`; hashing runs in a thread, so not
`write_inline`). Problems come back as gettext message ids keyed by form field, for the
web form to show next to the field and the command line to print.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum, StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.i18n import N_
from storage.session import Session
from storage.user_repos import DeskSession, DeskUser

# argon2id with the library's defaults (RFC 9106's second recommendation); tests swap in a
# cheap hasher.
HASHER = PasswordHasher()
MIN_PASSWORD = 10
SESSION_IDLE = timedelta(hours=2)
SESSION_MAX = timedelta(hours=12)
# Failed logins: this many are free, then each further one locks the key for twice as long.
ACCOUNT_FREE_TRIES = 5
CLIENT_FREE_TRIES = 20
FIRST_LOCK = timedelta(seconds=30)
LONGEST_LOCK = timedelta(minutes=15)
DEMO_PASSWORD = "sportello-demo"
DEMO_DOMAIN = "example.org"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
# A hash to verify against when the account does not exist, so both cases take as long.
_ABSENT = HASHER.hash(secrets.token_hex(16))


class Role(StrEnum):
    OPERATOR = "operator"
    STAFF = "staff"
    ADMIN = "admin"
    VIEWER = "viewer"


ROLE_LABELS = {
    Role.OPERATOR: N_("Operator"),
    Role.STAFF: N_("Staff"),
    Role.ADMIN: N_("Administrator"),
    Role.VIEWER: N_("Viewer"),
}


@dataclass(frozen=True)
class AddResult:
    user_id: int | None
    problems: dict[str, str] = field(default_factory=dict)


class LoginOutcome(Enum):
    OK = "ok"
    WRONG = "wrong"  # unknown e-mail, wrong password or disabled: the same answer to all
    THROTTLED = "throttled"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: DeskUser | None = None
    retry_at: datetime | None = None


@dataclass(frozen=True)
class OpenedSession:
    token: str
    session: DeskSession


def normal_email(raw: str) -> str:
    return raw.strip().lower()


def password_problem(password: str, email: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return N_("The password needs at least 10 characters.")
    if password.strip().lower() == email:
        return N_("The password cannot be the e-mail address.")
    return None


def new_user_problems(
    email: str,
    role: str,
    password: str,
    operator_id: str | None,
    operator_ids: Collection[str] | None = None,
) -> dict[str, str]:
    """What is wrong with a new account, by field; empty when it can be added."""
    problems: dict[str, str] = {}
    if len(email) > 254 or not EMAIL.match(email):
        problems["email"] = N_("Write an e-mail address, like name@example.org.")
    if role not in {r.value for r in Role}:
        problems["role"] = N_("Choose one of the roles.")
    elif role == Role.OPERATOR and not operator_id:
        problems["operator"] = N_("An operator account needs the operator it belongs to.")
    elif role != Role.OPERATOR and operator_id:
        problems["operator"] = N_("Only operator accounts belong to an operator.")
    if operator_id and operator_ids is not None and operator_id not in operator_ids:
        problems["operator"] = N_("There is no operator with that id.")
    problem = password_problem(password, email)
    if problem:
        problems["password"] = problem
    return problems


async def add_user(
    tx: Session,
    email: str,
    role: str,
    password: str,
    now: datetime,
    *,
    name: str = "",
    operator_id: str | None = None,
    operator_ids: Collection[str] | None = None,
    by: int | None = None,
) -> AddResult:
    email = normal_email(email)
    operator_id = (operator_id or "").strip() or None
    problems = new_user_problems(email, role, password, operator_id, operator_ids)
    if problems:
        return AddResult(None, problems)
    hashed = await asyncio.to_thread(HASHER.hash, password)
    user_id = await tx.desk_users.add(email, name.strip(), role, operator_id, hashed, now)
    if user_id is None:
        return AddResult(None, {"email": N_("There is already an account with that e-mail.")})
    await audit(tx, by, "user.add", "desk_user", user_id, now)
    return AddResult(user_id)


async def disable_user(tx: Session, user_id: int, now: datetime, *, by: int | None = None) -> bool:
    """Disable the account and end its sessions; False when it was already disabled."""
    if not await tx.desk_users.disable(user_id, now):
        return False
    await tx.desk_sessions.remove_for_user(user_id)
    await audit(tx, by, "user.disable", "desk_user", user_id, now)
    return True


async def reset_password(
    tx: Session, user: DeskUser, password: str, now: datetime, *, by: int | None = None
) -> str | None:
    """Set a new password and end the account's sessions; the problem, if any."""
    problem = password_problem(password, user.email)
    if problem:
        return problem
    await tx.desk_users.set_password(user.id, await asyncio.to_thread(HASHER.hash, password))
    await tx.desk_sessions.remove_for_user(user.id)
    await audit(tx, by, "user.reset_password", "desk_user", user.id, now)
    return None


def _keys(email: str, client: str) -> tuple[str, str]:
    digest = hashlib.sha256(email.encode()).hexdigest()[:32]
    return f"account:{digest}", f"client:{client}"


def _lock(failures: int, free: int, now: datetime) -> datetime | None:
    if failures < free:
        return None
    return now + min(LONGEST_LOCK, FIRST_LOCK * (1 << min(failures - free, 10)))


def _verify(stored: str, password: str) -> bool:
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


async def authenticate(
    tx: Session, email: str, password: str, client: str, now: datetime
) -> LoginResult:
    """Check a login. Each key (the account, the client's address) gets a few free failures,
    then is locked for a time that doubles with every further failure."""
    email = normal_email(email)
    keys = _keys(email, client)
    states = [await tx.login_failures.get(key) for key in keys]
    locked = [s.locked_until for s in states if s.locked_until and s.locked_until > now]
    if locked:
        return LoginResult(LoginOutcome.THROTTLED, retry_at=max(locked))
    user = await tx.desk_users.by_email(email)
    matches = await asyncio.to_thread(_verify, user.password_hash if user else _ABSENT, password)
    if user is not None and user.active and matches:
        for key in keys:
            await tx.login_failures.clear(key)
        if HASHER.check_needs_rehash(user.password_hash):
            await tx.desk_users.set_password(user.id, HASHER.hash(password))
        await audit(tx, user.id, "login", "desk_user", user.id, now)
        return LoginResult(LoginOutcome.OK, user)
    for key, state, free in zip(keys, states, (ACCOUNT_FREE_TRIES, CLIENT_FREE_TRIES), strict=True):
        failures = state.failures + 1
        await tx.login_failures.record(key, failures, now, _lock(failures, free, now))
    await audit(tx, user.id if user else None, "login.failed", None, None, now)
    return LoginResult(LoginOutcome.WRONG)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(tx: Session, user: DeskUser, now: datetime) -> OpenedSession:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = now + SESSION_IDLE
    await tx.desk_sessions.add(_token_hash(token), user.id, csrf, now, expires)
    return OpenedSession(token, DeskSession(user, csrf, expires))


async def session_for(tx: Session, token: str, now: datetime) -> DeskSession | None:
    """The live session of a token, its idle time renewed (never past SESSION_MAX)."""
    found = await tx.desk_sessions.live(_token_hash(token), now)
    if found is None:
        return None
    if found.expires_at - now < SESSION_IDLE / 2:
        created = await tx.desk_sessions.created_at(_token_hash(token))
        renewed = min(now + SESSION_IDLE, (created or now) + SESSION_MAX)
        if renewed > found.expires_at:
            await tx.desk_sessions.extend(_token_hash(token), renewed)
    return found


async def close_session(tx: Session, token: str, now: datetime) -> None:
    found = await tx.desk_sessions.live(_token_hash(token), now)
    await tx.desk_sessions.remove(_token_hash(token))
    if found is not None:
        await audit(tx, found.user.id, "logout", "desk_user", found.user.id, now)


async def audit(
    tx: Session,
    user_id: int | None,
    action: str,
    subject_type: str | None,
    subject_id: int | str | None,
    now: datetime,
) -> None:
    """Record who did what to which subject (by internal id: never text or personal data)."""
    subject = None if subject_id is None else str(subject_id)
    await tx.audit.add(user_id, action, subject_type, subject, now)


def demo_email(role: Role) -> str:
    return f"{role.value}@{DEMO_DOMAIN}"


async def ensure_demo_accounts(
    tx: Session, operators: Mapping[str, str], now: datetime
) -> list[str]:
    """On the demo configuration, one account per role (password DEMO_PASSWORD), when there
    are no accounts yet; the e-mails of those added. `operators` maps each operator's id to
    their name: the operator account is the first one's, and carries that name, so the
    header says whose agenda it is."""
    if await tx.desk_users.count():
        return []
    added = []
    for role in Role:
        operator = sorted(operators)[0] if role == Role.OPERATOR and operators else None
        if role == Role.OPERATOR and operator is None:
            continue
        result = await add_user(
            tx,
            demo_email(role),
            role,
            DEMO_PASSWORD,
            now,
            name=f"Demo {role.value}" if operator is None else operators[operator],
            operator_id=operator,
            operator_ids=list(operators),
        )
        if result.user_id is not None:
            added.append(demo_email(role))
    return added
