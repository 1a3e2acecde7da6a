"""The back-office as a Starlette app mounted at /desk: the route table wrapped in the role
check, security headers on every response, and an error page instead of a traceback.
`desk_mount(app)` goes into the webhook server; `serve_desk(app)` serves it alone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.app import App
from bot.backoffice.desk_auth import PREFIX, Desk, guard, translator_for
from bot.backoffice.desk_render import STATIC, render
from bot.backoffice.desk_routes import ROUTES, DeskRoute
from bot.capabilities import accounts
from bot.serving import WebLimits, raise_descriptor_limit, uvicorn_config

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; form-action 'self'; base-uri 'none'; object-src 'none'; "
    "frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeaders:
    """Adds the headers to every response, pages, files and errors alike; pages (which may
    show personal data) are not kept in caches."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith(PREFIX + "/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.decode().lower() not in SECURITY_HEADERS
                ]
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def _safe(
    route: DeskRoute, endpoint: Callable[[Request], Awaitable[Response]], desk: Desk
) -> Callable[[Request], Awaitable[Response]]:
    """Any failure becomes the error page, logged by route and exception type only."""

    async def run(request: Request) -> Response:
        try:
            return await endpoint(request)
        except Exception as exc:
            log.error(
                "back-office %s %s failed: %s", route.methods[0], route.path, type(exc).__name__
            )
            return _error_page(desk, request, 500)

    return run


def _error_page(desk: Desk, request: Request, status: int) -> Response:
    translator = translator_for(desk, request)
    texts = {
        404: (translator.tr("Not found"), translator.tr("There is no such page.")),
        405: (translator.tr("Not allowed"), translator.tr("This page cannot be used that way.")),
    }
    title, text = texts.get(
        status,
        (
            translator.tr("Something went wrong"),
            translator.tr("The page could not be shown. Nothing was lost: try again in a moment."),
        ),
    )
    return render(
        "error.html",
        translator,
        status,
        title=title,
        text=text,
        csrf="",
        user=None,
        nav=[],
        path="",
    )


def desk_app(app: App) -> Starlette:
    """The back-office itself, to be mounted at /desk."""
    desk = Desk(app)
    routes: list[Route | Mount] = [
        Route(r.path, _safe(r, guard(r.handler, desk, r.roles), desk), methods=list(r.methods))
        for r in ROUTES
    ]
    routes.append(Mount("/static", StaticFiles(directory=STATIC), name="static"))

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        return _error_page(desk, request, status)

    inner = Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    inner.add_middleware(SecurityHeaders)
    return inner


def desk_mount(app: App) -> Mount:
    """What the webhook server mounts: the back-office under /desk."""
    return Mount(PREFIX, app=desk_app(app))


def desk_routes(app: App) -> list[BaseRoute]:
    """The routes that serve the back-office at the root of a web server: /desk/..., and / and
    /desk sending to /desk/."""

    async def to_desk(request: Request) -> Response:
        return RedirectResponse(PREFIX + "/", status_code=307)

    return [Route("/", to_desk), Route(PREFIX, to_desk), desk_mount(app)]


def standalone(app: App) -> Starlette:
    return Starlette(routes=desk_routes(app))


async def seed_demo(app: App) -> list[str]:
    """Demo accounts on the demo configuration (config/example.toml): the e-mails added."""
    if app.settings.config_file is not None:
        return []
    operators = {op.id: op.name for op in app.settings.agenda.operators}
    async with app.db.write() as tx:
        return await accounts.ensure_demo_accounts(tx, operators, app.clock.now())


def demo_lines(app: App) -> list[str]:
    """What to print at start on the demo configuration: where and how to log in."""
    base = f"http://{app.settings.host}:{app.settings.port}{PREFIX}/"
    lines = [f"Back-office: {base}"]
    if app.settings.config_file is None:
        emails = ", ".join(accounts.demo_email(r) for r in accounts.Role)
        lines.append(f"Demo accounts: {emails}; password: {accounts.DEMO_PASSWORD}")
        # The demo operator is one of the two operators: say whose agenda it sees, so a
        # booking made in the chat with the other is looked for with the administrator.
        operators = sorted(app.settings.agenda.operators, key=lambda op: op.id)
        if operators:
            lines.append(
                f"{accounts.demo_email(accounts.Role.OPERATOR)} is {operators[0].name} and sees "
                f"their appointments; {accounts.demo_email(accounts.Role.ADMIN)} sees everyone's."
            )
    return lines


class _QuietServer(uvicorn.Server):
    """uvicorn without its signal handlers: beside the console chat, Ctrl-C is the chat's."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _server(app: App, descriptors: int, *, signals: bool = True) -> uvicorn.Server:
    limits = WebLimits.for_descriptors(descriptors)
    config = uvicorn_config(standalone(app), app.settings.host, app.settings.port, limits)
    return uvicorn.Server(config) if signals else _QuietServer(config)


async def _serve(server: uvicorn.Server) -> None:
    try:
        await server.serve()
    except SystemExit:  # uvicorn's answer to a port it cannot bind; the chat goes on
        log.error("the back-office could not listen: is SPORTELLO_PORT taken?")
    except Exception as exc:  # the chat goes on without it; the log says why
        log.error("the back-office stopped: %s", type(exc).__name__)


async def serve_desk(app: App) -> int:
    """`sportello desk`: only the back-office, on SPORTELLO_HOST:SPORTELLO_PORT."""
    await seed_demo(app)
    for line in demo_lines(app):
        print(line)
    await _serve(_server(app, raise_descriptor_limit()))
    return 0


@contextlib.asynccontextmanager
async def desk_beside(app: App, descriptors: int) -> AsyncIterator[None]:
    """The back-office served for as long as the block runs (the console chat's company:
    with no credentials, `sportello run` is the chat and the back-office together)."""
    await seed_demo(app)
    for line in demo_lines(app):
        print(line)
    server = _server(app, descriptors, signals=False)
    task = asyncio.create_task(_serve(server))
    try:
        yield
    finally:
        server.should_exit = True
        await task
