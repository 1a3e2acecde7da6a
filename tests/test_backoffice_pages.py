"""The admin's pages: the outbox with retry, the users, and exporting lists."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import httpx
from openpyxl import load_workbook

from bot.app import App
from bot.capabilities import outbox_admin
from bot.capabilities.accounts import Role
from bot.capabilities.outbox_admin import RetryOutcome
from bot.domain import OutboxKind, OutboxStatus
from tests.desk_helpers import add_accounts, cheap_hasher, client, csrf_of, email_of, login

__all__ = ["cheap_hasher", "client"]


async def failed_message(app: App) -> int:
    now = app.clock.now()
    async with app.db.write() as tx:
        await tx.outbox.add(OutboxKind.DIGEST, now, now, operator_id="op-test")
        [item] = await tx.outbox.listing(("pending",))
        await tx.outbox.finish(item, OutboxStatus.FAILED, now, "Forbidden: bot was blocked")
    return item.id


async def test_the_outbox_shows_failed_messages_with_the_reason_and_retries_them(
    app: App, client: httpx.AsyncClient
) -> None:
    item_id = await failed_message(app)
    await add_accounts(app)
    await login(client, email_of(Role.ADMIN))
    page = await client.get("/desk/outbox?status=failed")
    assert "Forbidden: bot was blocked" in page.text
    assert f"/desk/outbox/{item_id}/retry" in page.text
    answer = await client.post(f"/desk/outbox/{item_id}/retry", data={"csrf": csrf_of(page)})
    assert answer.status_code == 303
    async with app.db.read() as tx:
        item = await tx.outbox_admin.get(item_id)
        entries = await tx.audit.recent("outbox.retry")
    assert item is not None
    assert (item.status, item.attempts) == ("pending", 0)
    assert [(e.subject_type, e.subject_id) for e in entries] == [("outbox", str(item_id))]
    again = await client.get(answer.headers["location"])
    assert "nothing to retry" not in again.text


async def test_retry_only_touches_failed_rows(app: App) -> None:
    item_id = await failed_message(app)
    async with app.db.write() as tx:
        assert (
            await outbox_admin.retry(tx, item_id, app.clock.now(), by=None) is RetryOutcome.RETRIED
        )
        assert (
            await outbox_admin.retry(tx, item_id, app.clock.now(), by=None)
            is RetryOutcome.NOT_FAILED
        )
        assert await outbox_admin.retry(tx, 999, app.clock.now(), by=None) is RetryOutcome.MISSING


async def test_exports_follow_the_filters_on_screen(app: App, client: httpx.AsyncClient) -> None:
    await failed_message(app)
    now = app.clock.now()
    async with app.db.write() as tx:
        await tx.outbox.add(OutboxKind.DIGEST, now + timedelta(hours=1), now, operator_id="op-test")
    await add_accounts(app)
    await login(client, email_of(Role.ADMIN))
    page = await client.get("/desk/outbox?status=failed")
    assert "/desk/outbox/export.xlsx?status=failed" in page.text
    answer = await client.get("/desk/outbox/export.csv?status=failed")
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert len(rows) == 2  # the header and the one failed row, not the waiting one
    workbook = await client.get("/desk/outbox/export.xlsx")
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet.max_row == 3  # waiting or failed: both
    assert (await client.get("/desk/outbox/export.pdf")).status_code == 404


async def test_exported_cells_never_run_as_formulas(app: App, client: httpx.AsyncClient) -> None:
    await add_accounts(app)
    await login(client, email_of(Role.ADMIN))
    page = await client.get("/desk/users")
    await client.post(
        "/desk/users",
        data={
            "csrf": csrf_of(page),
            "email": "x@example.org",
            "name": "=HYPERLINK(1)",
            "role": "viewer",
            "operator": "",
            "password": "a long password",
            "password2": "a long password",
        },
    )
    text = (await client.get("/desk/users/export.csv")).content.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text


async def test_the_admin_adds_and_disables_accounts(app: App, client: httpx.AsyncClient) -> None:
    await add_accounts(app)
    await login(client, email_of(Role.ADMIN))
    page = await client.get("/desk/users")
    form = {
        "csrf": csrf_of(page),
        "email": "new@example.org",
        "name": "Nuova",
        "role": "staff",
        "operator": "",
        "password": "short",
        "password2": "short",
    }
    refused = await client.post("/desk/users", data=form)
    assert refused.status_code == 400
    assert 'id="e-password"' in refused.text
    assert 'value="new@example.org"' in refused.text  # what was typed stays
    form |= {"password": "a long password", "password2": "a long password"}
    assert (await client.post("/desk/users", data=form)).status_code == 303
    async with app.db.read() as tx:
        added = await tx.desk_users.by_email("new@example.org")
    assert added is not None
    assert added.role == "staff"
    page = await client.get("/desk/users")
    disabled = await client.post(f"/desk/users/{added.id}/disable", data={"csrf": csrf_of(page)})
    assert disabled.status_code == 303
    async with app.db.read() as tx:
        after = await tx.desk_users.by_email("new@example.org")
    assert after is not None
    assert not after.active


async def test_the_admin_cannot_disable_their_own_account(
    app: App, client: httpx.AsyncClient
) -> None:
    ids = await add_accounts(app)
    await login(client, email_of(Role.ADMIN))
    page = await client.get("/desk/users")
    answer = await client.post(
        f"/desk/users/{ids[Role.ADMIN]}/disable", data={"csrf": csrf_of(page)}
    )
    assert answer.status_code == 400


async def test_each_role_has_its_own_home_page(app: App, client: httpx.AsyncClient) -> None:
    await add_accounts(app)
    await login(client, email_of(Role.OPERATOR))
    home = await client.get("/desk/")
    assert "/desk/outbox" not in home.text
    assert "agenda" in home.text


async def test_the_demo_configuration_seeds_one_account_per_role_once(app: App) -> None:
    from bot.backoffice.desk_server import demo_lines, seed_demo
    from bot.capabilities.accounts import DEMO_PASSWORD

    assert sorted(await seed_demo(app)) == sorted(email_of(r) for r in Role)
    assert await seed_demo(app) == []
    lines = demo_lines(app)
    assert lines[0] == "Back-office: http://127.0.0.1:8080/desk/"
    assert DEMO_PASSWORD in lines[1]
    # Whose appointments the demo operator sees, so a chat booking is looked for in the right place.
    assert lines[2] == (
        "operator@example.org is Giulia Bianchi and sees their appointments; "
        "admin@example.org sees everyone's."
    )
    # The operator account carries that operator's name, which the header shows.
    async with app.db.read() as tx:
        operator = await tx.desk_users.by_email(email_of(Role.OPERATOR))
    assert operator is not None
    assert operator.name == "Giulia Bianchi"


async def test_the_webhook_server_mounts_the_back_office(app: App) -> None:
    from bot.backoffice.desk_server import desk_routes
    from bot.handlers.web import build_web_app

    web = build_web_app(app.db, desk=desk_routes(app))
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        assert (await http.get("/healthz")).status_code == 200
        login_page = await http.get("/desk/login")
        assert login_page.status_code == 200
        assert "frame-ancestors 'none'" in login_page.headers["content-security-policy"]
