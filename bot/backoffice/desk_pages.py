"""Logging in and out, the language, the home page of each role, users and the audit log."""

from __future__ import annotations

import re

from starlette.responses import Response

from bot.backoffice.desk_auth import (
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    DeskRequest,
    redirect,
    session_token,
    set_cookie,
)
from bot.backoffice.desk_export import Listing, export_response, shown
from bot.backoffice.desk_render import LANGUAGES
from bot.capabilities import accounts
from bot.capabilities.accounts import ROLE_LABELS, LoginOutcome, Role
from bot.i18n import N_

SAFE_NEXT = re.compile(r"^/desk/[A-Za-z0-9/_.-]*$")


async def login_form(req: DeskRequest) -> Response:
    if req.session is not None:
        return redirect("/desk/")
    return req.page("login.html", title=req.tr("Log in"), errors={}, email="")


async def login(req: DeskRequest) -> Response:
    email = accounts.normal_email(req.form.get("email", ""))
    password = req.form.get("password", "")
    errors = {}
    if not email:
        errors["email"] = req.tr("Write your e-mail address.")
    if not password:
        errors["password"] = req.tr("Write your password.")
    if errors:
        return req.page("login.html", 400, title=req.tr("Log in"), errors=errors, email=email)
    client = req.request.client.host if req.request.client else "unknown"
    now = req.desk.clock.now()
    async with req.desk.db.write() as tx:
        result = await accounts.authenticate(tx, email, password, client, now)
        opened = None
        if result.outcome is LoginOutcome.OK and result.user is not None:
            opened = await accounts.open_session(tx, result.user, now)
    if opened is None:
        status, text = 400, req.tr("The e-mail or the password is wrong.")
        if result.outcome is LoginOutcome.THROTTLED and result.retry_at is not None:
            status = 429
            text = req.tr(
                "Too many failed attempts: try again after %(time)s.",
                time=req.translator.clock_time(result.retry_at),
            )
        errors = {"form": text}
        return req.page("login.html", status, title=req.tr("Log in"), errors=errors, email=email)
    response = redirect("/desk/")
    signed = (await req.desk.signer()).dumps(opened.token)
    max_age = int(accounts.SESSION_MAX.total_seconds())
    set_cookie(response, req.desk, SESSION_COOKIE, signed, max_age)
    return response


async def logout(req: DeskRequest) -> Response:
    token = await session_token(req.desk, req.request)
    if token is not None:
        async with req.desk.db.write() as tx:
            await accounts.close_session(tx, token, req.desk.clock.now())
    response = redirect("/desk/login")
    response.delete_cookie(SESSION_COOKIE, path="/desk")
    return response


async def language(req: DeskRequest) -> Response:
    chosen = req.form.get("lang", "")
    target = req.form.get("next", "")
    response = redirect(target if SAFE_NEXT.match(target) and ".." not in target else "/desk/")
    if chosen in LANGUAGES:
        set_cookie(response, req.desk, LANGUAGE_COOKIE, chosen, 365 * 24 * 3600)
    return response


def _role_filter(req: DeskRequest) -> str | None:
    raw = req.request.query_params.get("role", "")
    return raw if raw in {r.value for r in Role} else None


async def users_listing(req: DeskRequest) -> tuple[Listing, list[int], list[bool]]:
    role = _role_filter(req)
    async with req.desk.db.read() as tx:
        users = await tx.desk_users.listing(role)
    listing = Listing(
        name="users",
        title=req.tr("Accounts"),
        columns=[
            req.tr(c)
            for c in (
                N_("E-mail"),
                N_("Name"),
                N_("Role"),
                N_("Operator"),
                N_("State"),
                N_("Created"),
            )
        ],
        rows=[
            [
                u.email,
                u.name,
                req.tr(ROLE_LABELS[Role(u.role)]),
                u.operator_id,
                req.tr("active") if u.active else req.tr("disabled"),
                u.created_at,
            ]
            for u in users
        ],
        filters={"role": role or ""},
        filter_labels=[
            (req.tr("Role"), req.tr(ROLE_LABELS[Role(role)]) if role else req.tr("all"))
        ],
    )
    mine = req.user_id
    return listing, [u.id for u in users], [u.active and u.id != mine for u in users]


def _user_page(
    req: DeskRequest, listing: Listing, ids: list[int], can: list[bool], **values: object
) -> Response:
    roles = [(r.value, req.tr(ROLE_LABELS[r])) for r in Role]
    role = _role_filter(req) or ""
    operators = [("", req.tr("none")), *((o, o) for o in sorted(req.desk.operator_ids))]
    values.setdefault("errors", {})
    values.setdefault("form", {})
    return req.page(
        "users.html",
        int(str(values.pop("status", 200))),
        title=req.tr("Users"),
        listing=listing,
        cells=shown(listing, req.translator),
        ids=ids,
        can_disable=can,
        role_options=roles,
        operator_options=operators,
        filter_fields=[("role", req.tr("Role"), [("", req.tr("all")), *roles], role)],
        **values,
    )


async def users(req: DeskRequest) -> Response:
    listing, ids, can = await users_listing(req)
    notice = {
        "added": req.tr("The account was added."),
        "disabled": req.tr("The account was disabled."),
    }
    return _user_page(
        req, listing, ids, can, notice=notice.get(req.request.query_params.get("done", ""))
    )


async def users_export(req: DeskRequest) -> Response:
    listing, _ids, _can = await users_listing(req)
    return await export_listing(req, listing, "desk_user")


async def export_listing(req: DeskRequest, listing: Listing, subject: str) -> Response:
    fmt = req.request.path_params.get("fmt", "")
    response = export_response(listing, fmt, req.translator)
    if response is None:
        return req.page(
            "error.html", 404, title=req.tr("Not found"), text=req.tr("There is no such page.")
        )
    async with req.desk.db.write() as tx:
        await accounts.audit(tx, req.user_id, f"export.{fmt}", subject, None, req.desk.clock.now())
    return response


async def user_add(req: DeskRequest) -> Response:
    form = req.form
    errors: dict[str, str] = {}
    if form.get("password", "") != form.get("password2", ""):
        errors["password2"] = req.tr("The two passwords differ.")
    result = None
    if not errors:
        async with req.desk.db.write() as tx:
            result = await accounts.add_user(
                tx,
                form.get("email", ""),
                form.get("role", ""),
                form.get("password", ""),
                req.desk.clock.now(),
                name=form.get("name", "")[:200],
                operator_id=form.get("operator") or None,
                operator_ids=req.desk.operator_ids,
                by=req.user_id,
            )
        errors = {k: req.tr(v) for k, v in result.problems.items()}
    if errors:
        listing, ids, can = await users_listing(req)
        kept = {k: v for k, v in form.items() if k in ("email", "name", "role", "operator")}
        return _user_page(req, listing, ids, can, errors=errors, form=kept, status=400)
    return redirect("/desk/users?done=added")


async def user_disable(req: DeskRequest) -> Response:
    user_id = int(req.request.path_params["user_id"])
    if user_id == req.user_id:
        return req.page(
            "error.html",
            400,
            title=req.tr("Not possible"),
            text=req.tr("You cannot disable your own account."),
        )
    async with req.desk.db.write() as tx:
        await accounts.disable_user(tx, user_id, req.desk.clock.now(), by=req.user_id)
    return redirect("/desk/users?done=disabled")


AUDIT_ACTIONS = (
    "login",
    "login.failed",
    "logout",
    "user.add",
    "user.disable",
    "user.reset_password",
    "outbox.retry",
    "export.csv",
    "export.xlsx",
    "booking.outcome",
    "booking.next_step",
    "person.view",
    "person.json",
    "person.xlsx",
    "person.erase",
    "note.add",
    "hours.replace",
    "closure.add",
    "closure.remove",
    "booking.cancel",
    "people.search",
    "report.make",
)


async def audit_listing(req: DeskRequest) -> Listing:
    action = req.request.query_params.get("action", "")
    action = action if action in AUDIT_ACTIONS else ""
    async with req.desk.db.read() as tx:
        entries = await tx.audit.recent(action or None)
    return Listing(
        name="audit",
        title=req.tr("Audit log"),
        columns=[req.tr(c) for c in (N_("When"), N_("Who"), N_("Action"), N_("Subject"), N_("Id"))],
        rows=[
            [
                e.at,
                e.user_email or (req.tr("command line") if e.user_id is None else f"#{e.user_id}"),
                e.action,
                e.subject_type,
                e.subject_id,
            ]
            for e in entries
        ],
        filters={"action": action},
        filter_labels=[(req.tr("Action"), action or req.tr("all"))],
    )


async def audit(req: DeskRequest) -> Response:
    listing = await audit_listing(req)
    actions = [("", req.tr("all")), *((a, a) for a in AUDIT_ACTIONS)]
    return req.page(
        "audit.html",
        title=req.tr("Audit log"),
        listing=listing,
        cells=shown(listing, req.translator),
        filter_fields=[("action", req.tr("Action"), actions, listing.filters["action"])],
    )


async def audit_export(req: DeskRequest) -> Response:
    return await export_listing(req, await audit_listing(req), "desk_audit")
