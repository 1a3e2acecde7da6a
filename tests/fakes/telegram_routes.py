"""The fake's HTTP layer: Bot API method calls and file downloads, as Starlette routes."""

from __future__ import annotations

import copy
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes import telegram_wire as wire
from tests.fakes.call_log import CallLog
from tests.fakes.telegram_chats import ChatStore
from tests.fakes.telegram_limits import Limits
from tests.fakes.telegram_records import ApiError, Call, Handler


def _not_found_response() -> Response:
    return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, 404)


class BotApiRoutes:
    """Records every call in ``log``, checks it, runs its handler and answers the envelope.

    ``handlers`` maps lower-cased method names to (canonical name, handler).
    """

    def __init__(
        self,
        token: str,
        handlers: dict[str, tuple[str, Handler]],
        log: CallLog[Call],
        limits: Limits,
        chats: ChatStore,
    ) -> None:
        self._token = token
        self._handlers = handlers
        self._log = log
        self._limits = limits
        self._chats = chats

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/bot{token}/{method}", self._api_endpoint, methods=["GET", "POST"]),
                Route("/file/bot{token}/{file_path:path}", self._file_endpoint, methods=["GET"]),
                Route("/{path:path}", self._not_found, methods=["GET", "POST"]),
            ]
        )

    async def _api_endpoint(self, request: Request) -> Response:
        """Record the call, run checks and the method, answer with a Bot API envelope."""
        name = str(request.path_params["method"])
        canonical, handler = self._handlers.get(name.lower(), (name, None))
        parse_error: ApiError | None = None
        try:
            params, uploads = await wire.read_params(request)
        except ApiError as err:
            params, uploads, parse_error = {}, {}, err
        call = Call(canonical, params, time.time(), uploads)
        self._log.calls.append(call)
        try:
            if parse_error is not None:
                raise parse_error
            self._precheck(str(request.path_params["token"]), handler, call)
            assert handler is not None
            status, body = 200, {"ok": True, "result": await handler(call)}
        except ApiError as err:
            status, body = err.code, err.envelope()
        call.status, call.response = status, copy.deepcopy(body)
        await self._log.notify()
        return JSONResponse(body, status_code=status)

    async def _file_endpoint(self, request: Request) -> Response:
        if request.path_params["token"] != self._token:
            return _not_found_response()
        stored = self._chats.file_at(str(request.path_params["file_path"]))
        if stored is None:
            return _not_found_response()
        return Response(stored.content, media_type=stored.mime_type)

    async def _not_found(self, request: Request) -> Response:
        return _not_found_response()

    def _precheck(self, token: str, handler: Handler | None, call: Call) -> None:
        """Token, method, then what :meth:`Limits.check` refuses, in that order."""
        if token != self._token:
            raise ApiError(401, "Unauthorized")
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        self._limits.check(call)
