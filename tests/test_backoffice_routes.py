"""Every route of the back-office, with every role and with no session: the role check on
the server is the only way in, and no route ever answers with a 500."""

from __future__ import annotations

import re

import httpx
import pytest

from bot.app import App
from bot.backoffice.desk_routes import ROUTES, DeskRoute
from bot.capabilities.accounts import Role
from tests.desk_helpers import add_accounts, cheap_hasher, client, csrf_of, email_of, login

__all__ = ["cheap_hasher", "client"]

PARAMS = {
    "fmt": "csv",
    "item_id": "1",
    "user_id": "1",
    "workshop_id": "1",
    "broadcast_id": "1",
    "booking_id": "1",
    "person_id": "1",
    "step_id": "1",
    "company_id": "1",
    "profile_id": "1",
    "operator_id": "giulia",
    "closure_id": "1",
    "job_id": "1",
}


def concrete(route: DeskRoute) -> str:
    return "/desk" + re.sub(r"\{(\w+)(:\w+)?\}", lambda m: PARAMS[m.group(1)], route.path)


def test_every_route_that_shows_personal_data_needs_a_role() -> None:
    assert [r for r in ROUTES if r.personal and r.roles is None] == []
    assert {"/outbox", "/users", "/audit"} <= {r.path for r in ROUTES if r.personal}


@pytest.mark.parametrize("who", [None, *Role], ids=lambda w: w.value if w else "nobody")
async def test_every_route_with_every_role(
    app: App, client: httpx.AsyncClient, who: Role | None
) -> None:
    await add_accounts(app)
    csrf = ""
    if who is not None:
        await login(client, email_of(who))
        csrf = csrf_of(await client.get("/desk/"))
    leaks = []
    for route in ROUTES:
        for method in route.methods:
            path = concrete(route)
            if method == "GET":
                answer = await client.get(path)
            else:
                answer = await client.post(path, data={"csrf": csrf})
            assert answer.status_code < 500, (method, route.path, who)
            allowed = route.roles is None or (who is not None and who in route.roles)
            if not allowed and (
                answer.status_code < 300 or (answer.status_code == 303 and method == "POST")
            ):
                leaks.append((method, route.path))
            if not allowed and method == "GET":
                assert answer.status_code in (303, 403), (route.path, who)
            if route.path == "/logout" and who is not None and allowed:
                await login(client, email_of(who))
                csrf = csrf_of(await client.get("/desk/"))
    assert leaks == []
