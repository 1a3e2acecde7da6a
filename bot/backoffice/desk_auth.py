"""Who is asking: the signed session cookie, the CSRF token of every POST, and the one wrapper
that checks a route's roles on the server before its handler runs."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.app import App
from bot.backoffice.desk_render import DEFAULT_LANGUAGE, LANGUAGES, render
from bot.capabilities import accounts
from bot.capabilities.accounts import Role
from bot.i18n import Translator
from storage.user_repos import DeskSession

log = logging.getLogger(__name__)

SESSION_COOKIE = "desk_session"
ANON_CSRF_COOKIE = "desk_csrf"
LANGUAGE_COOKIE = "desk_lang"
PREFIX = "/desk"
MAX_FORM = 16 * 1024
MAX_ID = 2**63 - 1  # SQLite's largest integer


class Desk:
    """What the back-office needs from the application, and its cookie signer."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.db = app.db
        self.clock = app.clock
        self.translators = app.engine.translators
        self.secure = (app.settings.public_url or "").startswith("https://")
        self.operator_ids = frozenset(op.id for op in app.settings.agenda.operators)
        self._signer: URLSafeTimedSerializer | None = None

    async def signer(self) -> URLSafeTimedSerializer:
        if self._signer is None:
            async with self.db.write() as tx:
                key = await tx.desk_keys.get_or_add("cookie", secrets.token_urlsafe(48))
            self._signer = URLSafeTimedSerializer(key, salt="desk-session")
        return self._signer


@dataclass
class DeskRequest:
    """One request, with its reader's session (if any), language and form."""

    request: Request
    desk: Desk
    translator: Translator
    session: DeskSession | None
    anon_csrf: str
    form: dict[str, str] = field(default_factory=dict)

    @property
    def user_id(self) -> int | None:
        return self.session.user.id if self.session else None

    @property
    def csrf(self) -> str:
        return self.session.csrf_token if self.session else self.anon_csrf

    def tr(self, message: str, **values: object) -> str:
        return self.translator.tr(message, **values)

    def page(self, template: str, status: int = 200, **values: object) -> Response:
        from bot.backoffice.desk_routes import nav_for

        response = render(
            template,
            self.translator,
            status,
            csrf=self.csrf,
            user=self.session.user if self.session else None,
            nav=nav_for(self.session.user.role if self.session else None),
            path=self.request.url.path,
            **values,
        )
        if not self.session and self.request.cookies.get(ANON_CSRF_COOKIE) != self.anon_csrf:
            set_cookie(response, self.desk, ANON_CSRF_COOKIE, self.anon_csrf)
        return response


Handler = Callable[[DeskRequest], Awaitable[Response]]


def set_cookie(
    response: Response, desk: Desk, name: str, value: str, max_age: int | None = None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        secure=desk.secure,
        httponly=True,
        samesite="lax",
    )


def redirect(path: str) -> Response:
    """After a POST, back to a page by GET (303): reloading does not resend the form."""
    return RedirectResponse(path, status_code=303)


def translator_for(desk: Desk, request: Request) -> Translator:
    language = request.cookies.get(LANGUAGE_COOKIE, DEFAULT_LANGUAGE)
    return desk.translators[language if language in LANGUAGES else DEFAULT_LANGUAGE]


async def session_token(desk: Desk, request: Request) -> str | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        token = (await desk.signer()).loads(raw, max_age=int(accounts.SESSION_MAX.total_seconds()))
    except BadSignature:
        return None
    return token if isinstance(token, str) else None


async def current_session(desk: Desk, request: Request) -> DeskSession | None:
    token = await session_token(desk, request)
    if token is None:
        return None
    async with desk.db.write() as tx:
        return await accounts.session_for(tx, token, desk.clock.now())


async def read_form(request: Request) -> dict[str, str] | None:
    """The url-encoded form, or None when it is not one or too large."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            return None
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError):
        return None


def refused(req: DeskRequest, status: int, title: str, text: str) -> Response:
    return req.page("error.html", status=status, title=title, text=text)


def guard(
    handler: Handler, desk: Desk, roles: Collection[Role] | None
) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint: the session, the role (None = anyone), and on POST the CSRF token, all
    checked here before the handler sees the request."""

    async def endpoint(request: Request) -> Response:
        session = await current_session(desk, request)
        anon = request.cookies.get(ANON_CSRF_COOKIE) or secrets.token_urlsafe(32)
        req = DeskRequest(request, desk, translator_for(desk, request), session, anon)
        if roles is not None and session is None:
            if request.method == "GET":
                return redirect(f"{PREFIX}/login")
            return refused(
                req, 401, req.tr("Please log in"), req.tr("Your session has ended: log in again.")
            )
        if roles is not None and session is not None and session.user.role not in roles:
            return refused(
                req, 403, req.tr("Not allowed"), req.tr("Your role cannot open this page.")
            )
        if any(isinstance(v, int) and v > MAX_ID for v in request.path_params.values()):
            # No row has such an id, and SQLite could not even compare it.
            return refused(req, 404, req.tr("Not found"), req.tr("There is no such page."))
        if request.method == "POST":
            form = await read_form(request)
            given = (form or {}).get("csrf", "")
            expected = session.csrf_token if session else request.cookies.get(ANON_CSRF_COOKIE, "")
            if (
                form is None
                or not expected
                or not hmac.compare_digest(given.encode(), expected.encode())
            ):
                log.warning("refused a back-office form without a valid CSRF token")
                return refused(
                    req,
                    403,
                    req.tr("Form expired"),
                    req.tr(
                        "The form was too old or came from elsewhere: open the page again and retry."
                    ),
                )
            req.form = form
        return await handler(req)

    return endpoint
