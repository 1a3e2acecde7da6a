"""The back-office's logins, sessions, CSRF, throttling, headers and audit log."""

from __future__ import annotations

from datetime import timedelta

import httpx

from bot.app import App
from bot.capabilities.accounts import Role
from bot.clock import ManualClock
from tests.desk_helpers import (
    PASSWORD,
    add_accounts,
    cheap_hasher,
    client,
    csrf_of,
    email_of,
    login,
)

__all__ = ["cheap_hasher", "client"]


async def test_login_opens_the_home_page_and_logout_closes_the_session(
    app: App, client: httpx.AsyncClient
) -> None:
    await add_accounts(app)
    answer = await login(client, email_of(Role.ADMIN))
    assert answer.status_code == 303
    assert answer.headers["location"] == "/desk/"
    home = await client.get("/desk/")
    assert home.status_code == 200
    assert "admin@example.org" in home.text
    assert 'lang="it"' in home.text  # Italian by default
    out = await client.post("/desk/logout", data={"csrf": csrf_of(home)})
    assert out.status_code == 303
    assert (await client.get("/desk/")).headers["location"] == "/desk/login"


async def test_the_session_cookie_is_http_only_lax_and_holds_no_account_data(
    app: App, client: httpx.AsyncClient
) -> None:
    await add_accounts(app)
    answer = await login(client, email_of(Role.STAFF))
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("desk_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/desk" in cookie
    assert "staff" not in cookie.split(";")[0]


async def test_a_wrong_password_is_refused_with_the_error_on_the_form(
    app: App, client: httpx.AsyncClient
) -> None:
    await add_accounts(app)
    answer = await login(client, email_of(Role.ADMIN), "not the password")
    assert answer.status_code == 400
    assert 'role="alert"' in answer.text
    assert "desk_session" not in answer.headers.get("set-cookie", "")


async def test_empty_fields_get_their_errors_next_to_them(client: httpx.AsyncClient) -> None:
    form = await client.get("/desk/login")
    answer = await client.post("/desk/login", data={"csrf": csrf_of(form)})
    assert answer.status_code == 400
    assert 'id="e-email"' in answer.text
    assert 'id="e-password"' in answer.text
    assert 'aria-describedby="e-email"' in answer.text


async def test_failed_logins_are_throttled_then_free_again(
    app: App, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    await add_accounts(app)
    for _ in range(5):
        assert (await login(client, email_of(Role.ADMIN), "wrong password")).status_code == 400
    # Locked now: even the right password is refused until the lock ends.
    locked = await login(client, email_of(Role.ADMIN))
    assert locked.status_code == 429
    clock.advance(timedelta(seconds=31))
    assert (await login(client, email_of(Role.ADMIN))).status_code == 303


async def test_a_post_without_the_csrf_token_is_refused(
    app: App, client: httpx.AsyncClient
) -> None:
    await add_accounts(app)
    await login(client, email_of(Role.ADMIN))
    answer = await client.post("/desk/logout", data={"csrf": "forged"})
    assert answer.status_code == 403
    assert (await client.get("/desk/")).status_code == 200  # still logged in
    no_token = await client.post("/desk/login", data={"email": "a@b.it", "password": "x"})
    assert no_token.status_code == 403


async def test_sessions_expire_when_idle(
    app: App, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    await add_accounts(app)
    await login(client, email_of(Role.VIEWER))
    clock.advance(timedelta(hours=1, minutes=59))
    assert (await client.get("/desk/")).status_code == 200
    clock.advance(timedelta(hours=2, minutes=1))
    assert (await client.get("/desk/")).headers["location"] == "/desk/login"


async def test_a_disabled_account_loses_its_session_and_cannot_log_in(
    app: App, client: httpx.AsyncClient
) -> None:
    ids = await add_accounts(app)
    await login(client, email_of(Role.STAFF))
    from bot.capabilities import accounts

    async with app.db.write() as tx:
        assert await accounts.disable_user(tx, ids[Role.STAFF], app.clock.now())
    assert (await client.get("/desk/")).headers["location"] == "/desk/login"
    assert (await login(client, email_of(Role.STAFF))).status_code == 400


async def test_every_response_carries_the_security_headers(
    app: App, client: httpx.AsyncClient
) -> None:
    for path in ("/desk/login", "/desk/static/desk.css", "/desk/no-such-page", "/desk/"):
        answer = await client.get(path)
        csp = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"


async def test_an_unknown_page_is_the_error_page_not_a_traceback(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/desk/no-such-page")
    assert answer.status_code == 404
    assert "<main" in answer.text


async def test_the_audit_log_records_logins_and_changes_without_message_text(
    app: App, client: httpx.AsyncClient
) -> None:
    await add_accounts(app)
    await login(client, email_of(Role.ADMIN), "wrong password")
    await login(client, email_of(Role.ADMIN))
    async with app.db.read() as tx:
        entries = await tx.audit.recent()
    actions = [e.action for e in entries]
    assert actions[:2] == ["login", "login.failed"]
    assert actions.count("user.add") == len(Role)
    page = await client.get("/desk/audit")
    assert page.status_code == 200
    assert "login.failed" in page.text
    assert PASSWORD not in page.text


async def test_english_from_the_same_catalogs(app: App, client: httpx.AsyncClient) -> None:
    form = await client.get("/desk/login")
    assert "Accedi" in form.text
    switched = await client.post(
        "/desk/language", data={"lang": "en", "next": "/desk/login", "csrf": csrf_of(form)}
    )
    assert switched.headers["location"] == "/desk/login"
    english = await client.get("/desk/login")
    assert 'lang="en"' in english.text
    assert "Log in" in english.text


async def test_the_language_switch_never_redirects_elsewhere(client: httpx.AsyncClient) -> None:
    form = await client.get("/desk/login")
    answer = await client.post(
        "/desk/language",
        data={"lang": "en", "next": "https://evil.example/", "csrf": csrf_of(form)},
    )
    assert answer.headers["location"] == "/desk/"


async def test_a_secure_cookie_behind_https(app: App) -> None:
    from dataclasses import replace

    from bot.backoffice.desk_server import standalone

    app.settings = replace(app.settings, public_url="https://sportello.example.org")
    await add_accounts(app)
    transport = httpx.ASGITransport(app=standalone(app))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        answer = await login(http, email_of(Role.ADMIN))
    assert "Secure" in answer.headers["set-cookie"]
