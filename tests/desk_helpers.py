"""Shared by the back-office tests: a cheap password hasher, accounts of every role, an HTTP
client on the back-office, and reading the CSRF token of a page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from argon2 import PasswordHasher

from bot.app import App
from bot.backoffice.desk_server import standalone
from bot.capabilities import accounts
from bot.capabilities.accounts import Role

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(autouse=True)
def cheap_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with its real algorithm but tiny costs: tests need not wait for it."""
    monkeypatch.setattr(
        accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


def email_of(role: Role) -> str:
    return f"{role.value}@example.org"


async def add_accounts(app: App) -> dict[Role, int]:
    """One account per role (the operator belongs to the first configured operator)."""
    operator = app.settings.agenda.operators[0].id
    ids = {}
    async with app.db.write() as tx:
        for role in Role:
            result = await accounts.add_user(
                tx,
                email_of(role),
                role,
                PASSWORD,
                app.clock.now(),
                name=f"Test {role.value}",
                operator_id=operator if role is Role.OPERATOR else None,
            )
            assert result.user_id is not None, result.problems
            ids[role] = result.user_id
    return ids


@pytest.fixture
async def client(app: App) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=standalone(app), client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, "the page has no CSRF token"
    return found.group(1)


async def login(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    form = await http.get("/desk/login")
    return await http.post(
        "/desk/login", data={"email": email, "password": password, "csrf": csrf_of(form)}
    )
