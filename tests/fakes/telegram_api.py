"""A fake Telegram Bot API server for tests.

The real python-telegram-bot library is pointed at this server through its base URL and
talks to it over real HTTP on loopback, so tests exercise the library's actual request
encoding, response parsing, error mapping and polling loop instead of mocks::

    async with FakeTelegram() as fake:
        app = (
            ApplicationBuilder()
            .token(fake.token)
            .base_url(f"{fake.url}/bot")
            .base_file_url(f"{fake.url}/file/bot")
            .build()
        )
        ...
        fake.send_text(42, "/start")
        reply = await fake.next_message(42)

Things worth knowing about how python-telegram-bot talks to the Bot API (22.x):

* Plain calls are NOT sent as a JSON body: they are ``application/x-www-form-urlencoded``
  where every non-string value is JSON-encoded (``chat_id=42``,
  ``reply_markup={"inline_keyboard": ...}``) and strings are sent raw. Uploads use
  ``multipart/form-data`` with the same per-field encoding. The fake therefore decodes every
  form value as JSON unless the parameter is known to be a string (see ``_STRING_PARAMS``);
  a real JSON body is accepted as well.
* The library maps HTTP status codes, not ``error_code``, to exceptions (403 ``Forbidden``,
  400 ``BadRequest``, 401/404 ``InvalidToken``, 409 ``Conflict``, anything else
  ``NetworkError``), and raises ``RetryAfter`` whenever the envelope carries
  ``parameters.retry_after``.
* The fake is served by ``tests/fakes/loopback.py``, which binds its socket with an explicit
  ``IPPROTO_TCP``: asyncio enables TCP_NODELAY only for such sockets, and without it every
  response took ~40 ms (Nagle + delayed ACK).
* If any update in a getUpdates batch fails to parse, the whole batch is dropped and the offset
  is not advanced, so the Updater fetches the same batch again forever: an update payload that
  python-telegram-bot cannot parse makes a polling bot spin. Malformed payloads sent through
  :meth:`FakeTelegram.send_update` must still be parseable by ``telegram.Update.de_json``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import math
import os
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeGuard
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.loopback import LoopbackServer

JSONDict = dict[str, Any]

FAKE_TOKEN: Final = "123456:TEST-fake-token-not-real"
"""Default token: deliberately unlike a real one so it can never be mistaken for a secret."""

_REAL_TOKEN_RE: Final = re.compile(r"[0-9]{8,10}:AA[A-Za-z0-9_-]{33}")

_STRING_PARAMS: Final = frozenset(
    {
        "action",
        "business_connection_id",
        "callback_query_id",
        "caption",
        "description",
        "document",
        "emoji",
        "file_id",
        "inline_message_id",
        "ip_address",
        "language_code",
        "message_effect_id",
        "name",
        "parse_mode",
        "query",
        "secret_token",
        "short_description",
        "text",
        "title",
        "url",
    }
)
"""Parameters whose form value must stay a string even when it looks like JSON (e.g. "123")."""

_COMMAND_RE: Final = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_BOT_COMMAND_NAME_RE: Final = re.compile(r"[a-z0-9_]{1,32}")
_HEADER_PARAM_RE: Final = re.compile(r';\s*([\w*-]+)=(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))')

_MAX_TEXT_LENGTH: Final = 4096
_MAX_CALLBACK_DATA_BYTES: Final = 64
_RECENT_CALLS_SHOWN: Final = 8

_NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_BLOCKED: Final = "Forbidden: bot was blocked by the user"
_OLD_QUERY: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
_POLL_CONFLICT: Final = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_WEBHOOK_CONFLICT: Final = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


# --------------------------------------------------------------------------------------------
# Public records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request, exactly as the client sent it."""

    field: str
    filename: str
    content_type: str
    content: bytes


@dataclass
class Call:
    """One Bot API request received by the fake.

    ``status`` is ``None`` while the request is still being answered (only a long-polling
    getUpdates is ever observed in that state); ``response`` is a snapshot of the envelope.
    """

    method: str
    params: JSONDict
    timestamp: float
    uploads: dict[str, Upload] = field(default_factory=dict)
    status: int | None = None
    response: JSONDict | None = None

    @property
    def ok(self) -> bool:
        """Whether the fake answered this call successfully."""
        return self.status == 200


@dataclass(frozen=True)
class StoredFile:
    """A file known to the fake: uploaded by the bot or registered by a test."""

    file_id: str
    file_unique_id: str
    filename: str
    mime_type: str
    content: bytes

    @property
    def file_path(self) -> str:
        """Relative path served under ``/file/bot{token}/`` (keeps the original extension)."""
        return f"documents/{self.file_unique_id}{os.path.splitext(self.filename)[1]}"

    def as_document(self) -> JSONDict:
        """The Bot API ``Document`` object describing this file."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.filename,
            "mime_type": self.mime_type,
            "file_size": len(self.content),
        }


# --------------------------------------------------------------------------------------------
# Internal helpers
# --------------------------------------------------------------------------------------------


class _ApiError(Exception):
    """Raised by handlers to answer with a Bot API error envelope instead of a result."""

    def __init__(self, code: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def envelope(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass
class _Failure:
    """A failure scheduled by :meth:`FakeTelegram.fail_next`."""

    error: _ApiError
    remaining: int


@dataclass
class _Queued:
    """An update waiting in the getUpdates queue.

    ``forced`` marks a redelivery: it must reach the client even though its update_id is
    below the offset the client already confirmed, so only a confirmation sent *after* it was
    delivered may drop it.
    """

    update_id: int
    update: JSONDict
    forced: bool = False
    delivered: bool = False

    def confirmed_by(self, offset: int) -> bool:
        return self.update_id < offset and (self.delivered or not self.forced)


class _TokenBucket:
    """Classic token bucket: ``rate`` tokens per second, bursts up to ``max(1, rate)``."""

    def __init__(self, rate: float, now: float) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.updated = now

    def seconds_until_token(self, now: float) -> float:
        """Refill for the elapsed time and tell how long until one whole token is available."""
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1.0


class _Pulse:
    """Wakes every current waiter; safe to fire from synchronous code.

    ``asyncio.Condition.notify_all`` needs its lock, which synchronous helpers such as
    :meth:`FakeTelegram.send_text` cannot take. Waiters must re-check their predicate after
    waking; since there is no await between the check and :meth:`wait` capturing the current
    event, no wake-up can be lost.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self) -> None:
        await self._event.wait()


Handler = Callable[[Call], Awaitable[Any]]


def _coerce(name: str, raw: str) -> Any:
    """Decode one form value the way python-telegram-bot encoded it (JSON unless a string)."""
    if name in _STRING_PARAMS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _header_params(value: str) -> dict[str, str]:
    """Parse ``; key="value"`` pairs of a header such as Content-Disposition."""
    params: dict[str, str] = {}
    for match in _HEADER_PARAM_RE.finditer(value):
        quoted, bare = match.group(2), match.group(3)
        if quoted is not None:
            # httpx escapes quotes as %22 and backslashes as a double backslash.
            params[match.group(1).lower()] = quoted.replace("%22", '"').replace("\\\\", "\\")
        else:
            params[match.group(1).lower()] = bare
    return params


def _part_headers(head: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in head.decode("utf-8", "replace").split("\r\n"):
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers


def _parse_multipart(body: bytes, boundary: str) -> tuple[JSONDict, dict[str, Upload]]:
    """Split a multipart/form-data body into plain fields and file parts.

    Written by hand because Starlette's form parser needs python-multipart, which the
    project does not depend on.
    """
    params: JSONDict = {}
    uploads: dict[str, Upload] = {}
    for chunk in body.split(b"--" + boundary.encode("latin-1"))[1:]:
        if chunk.startswith(b"--"):
            break  # closing delimiter
        head, _, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        headers = _part_headers(head)
        disposition = _header_params(headers.get("content-disposition", ""))
        name = disposition.get("name")
        if name is None:
            continue
        if "filename" in disposition:
            content_type = headers.get("content-type", "application/octet-stream")
            uploads[name] = Upload(name, disposition["filename"], content_type, content)
        else:
            params[name] = _coerce(name, content.decode("utf-8", "replace"))
    return params, uploads


async def _read_params(request: Request) -> tuple[JSONDict, dict[str, Upload]]:
    """Collect parameters from the query string and a JSON, form or multipart body."""
    params: JSONDict = {k: _coerce(k, v) for k, v in request.query_params.multi_items()}
    uploads: dict[str, Upload] = {}
    body = await request.body()
    if not body:
        return params, uploads
    content_type = request.headers.get("content-type", "")
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime == "application/json":
        try:
            decoded = json.loads(body)
        except ValueError:
            raise _ApiError(400, "Bad Request: can't parse JSON") from None
        if not isinstance(decoded, dict):
            raise _ApiError(400, "Bad Request: parameters must be a JSON object")
        params.update(decoded)
    elif mime == "application/x-www-form-urlencoded":
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        params.update({k: _coerce(k, v) for k, v in pairs})
    elif mime == "multipart/form-data":
        boundary = _header_params(content_type).get("boundary")
        if not boundary:
            raise _ApiError(400, "Bad Request: multipart boundary is missing")
        fields, uploads = _parse_multipart(body, boundary)
        params.update(fields)
    return params, uploads


def _utf16_len(text: str) -> int:
    """Telegram measures entity offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _command_entities(text: str) -> list[JSONDict]:
    match = _COMMAND_RE.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": _utf16_len(match.group(0))}]


def _is_int(value: object) -> TypeGuard[int]:
    """JSON booleans are Python ints; Telegram does not accept them as integers."""
    return isinstance(value, int) and not isinstance(value, bool)


def _int_param(params: JSONDict, name: str, default: int) -> int:
    value = params.get(name, default)
    if not _is_int(value):
        raise _ApiError(400, f"Bad Request: invalid {name} specified")
    return int(value)


def _seconds_param(params: JSONDict, name: str) -> float:
    value = params.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _ApiError(400, f"Bad Request: invalid {name} specified")
    return max(0.0, float(value))


def _chat_id(params: JSONDict) -> int:
    value = params.get("chat_id")
    if value is None or value == "":
        raise _ApiError(400, "Bad Request: chat_id is empty")
    if not _is_int(value):
        raise _ApiError(400, "Bad Request: chat not found")
    return int(value)


def _message_id(params: JSONDict) -> int:
    value = params.get("message_id")
    if not _is_int(value):
        raise _ApiError(400, "Bad Request: message identifier is not specified")
    return int(value)


def _inline_markup(params: JSONDict) -> JSONDict | None:
    """The inline keyboard to echo back in the Message, validated like Telegram does.

    Telegram only echoes inline keyboards (reply keyboards are not part of ``Message``); the
    raw ``reply_markup`` of any kind stays visible in :attr:`Call.params`.
    """
    markup = params.get("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _ApiError(400, "Bad Request: can't parse inline keyboard button")
    for button in itertools.chain.from_iterable(rows):
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise _ApiError(400, "Bad Request: can't parse inline keyboard button")
        data = button.get("callback_data")
        if data is not None and not (
            isinstance(data, str) and 1 <= len(data.encode("utf-8")) <= _MAX_CALLBACK_DATA_BYTES
        ):
            raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return copy.deepcopy(markup)


def _checked_text(params: JSONDict) -> str:
    text = params.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _ApiError(400, "Bad Request: message text is empty")
    # With a parse_mode the limit applies after markup is stripped, which the fake does not do.
    if "parse_mode" not in params and len(text) > _MAX_TEXT_LENGTH:
        raise _ApiError(400, "Bad Request: message is too long")
    return text


def _targets_chat(method: str) -> bool:
    """Methods that deliver something into a chat, hence fail when the user blocked the bot."""
    return method.startswith(("send", "edit", "copyMessage", "forwardMessage"))


def _is_rate_limited(method: str) -> bool:
    """Methods that count as messages for flood control (chat actions do not)."""
    return _targets_chat(method) and method != "sendChatAction"


def _scope_key(scope: object) -> str:
    if scope is None:
        scope = {"type": "default"}
    if not isinstance(scope, dict):
        raise _ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
    return json.dumps(scope, sort_keys=True)


def _describe(call: Call) -> str:
    params = json.dumps(call.params, ensure_ascii=False, default=str)
    if len(params) > 200:
        params = params[:197] + "..."
    return f"  {call.method} -> {call.status} {params}"


# --------------------------------------------------------------------------------------------
# The fake server
# --------------------------------------------------------------------------------------------


class FakeTelegram:
    """An in-process, loopback-only stand-in for the Telegram Bot API.

    State is plain attributes so tests can assert on it directly:

    * ``calls``: every request received, in arrival order.
    * ``chats[chat_id]``: messages the bot sent to that chat, in their latest state after
      edits; deleted messages are removed.
    * ``files[file_id]``: uploaded and registered files, with their bytes.
    * ``commands[(scope_json, language_code)]``: commands stored by setMyCommands.
    * ``callback_answers[callback_query_id]``: parameters of answerCallbackQuery calls.
    * ``throttled``: how many calls were refused with 429 by the rate limiter.

    Create it inside the test's event loop (e.g. in an async fixture): its asyncio primitives
    bind to the loop that first uses them. Behaviours copied from Telegram on purpose, because
    bots must cope with them: message ids are shared by both sides of a private chat; an edit
    that omits ``reply_markup`` removes the inline keyboard; an edit that changes nothing is a
    400 "message is not modified"; callback_data over 64 bytes is a 400; a callback query can
    be answered only once; a newer getUpdates ends an older waiting one with 409.
    """

    def __init__(
        self,
        *,
        token: str = FAKE_TOKEN,
        global_rate: float | None = None,
        per_chat_rate: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        bot_username: str = "sportello_test_bot",
        bot_first_name: str = "Sportello Test",
    ) -> None:
        """Create a stopped server; ``clock`` feeds the rate limiter (inject one to test it)."""
        if _REAL_TOKEN_RE.fullmatch(token):
            raise ValueError("FakeTelegram refuses tokens shaped like real bot tokens")
        prefix = token.split(":", 1)[0]
        self._token = token
        self.bot_user: JSONDict = {
            "id": int(prefix) if prefix.isdigit() else 123456,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.calls: list[Call] = []
        self.chats: dict[int, list[JSONDict]] = {}
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.callback_answers: dict[str, JSONDict] = {}
        self.webhook_url = ""
        self.throttled = 0

        self._clock = clock
        self._global_bucket = None if global_rate is None else _TokenBucket(global_rate, clock())
        self._per_chat_rate = per_chat_rate
        self._chat_buckets: dict[int, _TokenBucket] = {}
        self._failures: dict[str, deque[_Failure]] = {}
        self._blocked: set[int] = set()

        self._pending: list[_Queued] = []
        self._history: dict[int, JSONDict] = {}
        self._next_update_id = 1000
        self._poll_generation = 0
        self._open_callback_queries: set[str] = set()
        self._callback_counter = itertools.count(7_000_000_000_000_000_001)
        self._users: dict[int, JSONDict] = {}
        self._message_counters: dict[int, int] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._sent_log: dict[int, list[JSONDict]] = {}
        self._cursors: dict[int, int] = {}
        self._file_counter = itertools.count(1)
        self._file_paths: dict[str, str] = {}

        self._calls_changed = asyncio.Condition()
        self._updates_pulse = _Pulse()
        self._stopping = False
        self._handlers = self._build_handlers()
        self._server = LoopbackServer(self._build_app(), name="FakeTelegram")

    # ---------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Serve on an OS-assigned loopback port inside the running event loop."""
        if self._server.running:
            raise RuntimeError("FakeTelegram is already running")
        self._stopping = False
        await self._server.start()

    async def stop(self) -> None:
        """Stop serving; pending long polls return ``[]`` at once so shutdown is not delayed."""
        if not self._server.running:
            return
        self._stopping = True
        self._updates_pulse.fire()
        await self._server.stop()

    @property
    def url(self) -> str:
        """Root URL of the running server, e.g. ``http://127.0.0.1:PORT``."""
        return self._server.url

    @property
    def token(self) -> str:
        """The only token this server accepts; any other answers 401."""
        return self._token

    # ---------------------------------------------------------------- driving the bot

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        language_code: str = "it",
        first_name: str = "Anna",
    ) -> int:
        """Queue a private text message from a user (commands get a bot_command entity)."""
        user = self._remember_user(user_id, first_name, language_code)
        message: JSONDict = {
            "message_id": self._next_message_id(user_id),
            "from": user,
            "chat": self._private_chat(user_id),
            "date": int(time.time()),
            "text": text,
        }
        entities = _command_entities(text)
        if entities:
            message["entities"] = entities
        return self._enqueue({"update_id": self._new_update_id(), "message": message})

    def send_update(self, raw: JSONDict) -> int:
        """Queue an arbitrary update (voice, photo, edited_message, odd payloads...).

        ``update_id`` is assigned when missing. The payload must still be parseable by
        python-telegram-bot, otherwise its Updater refetches the batch forever (see module doc).
        """
        update = copy.deepcopy(raw)
        if "update_id" not in update:
            update["update_id"] = self._new_update_id()
        elif not _is_int(update["update_id"]):
            raise TypeError("update_id must be an int")
        else:
            self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
        return self._enqueue(update)

    def press_button(self, user_id: int, message_id: int, data: str) -> int:
        """Queue a callback_query as if the user tapped a button of a stored bot message.

        ``data`` is not checked against the keyboard, so stale or forged presses can be tested.
        """
        message = self._stored_message(user_id, message_id)
        user = self._users.get(user_id) or self._remember_user(user_id, "Anna", "it")
        query: JSONDict = {
            "id": str(next(self._callback_counter)),
            "from": user,
            "chat_instance": f"chat-instance-{user_id}",
            "data": data,
            "message": copy.deepcopy(message),
        }
        return self._enqueue({"update_id": self._new_update_id(), "callback_query": query})

    def redeliver(self, update_id: int) -> int:
        """Queue an already queued update again, with the same update_id.

        Telegram never does this on its own, but a crash between processing and confirming
        makes it happen, so de-duplication must be testable. The copy is re-queued at the end
        *regardless of the confirmed offset*: it is exempt from confirmation until it has been
        delivered, and it is delivered in a batch of its own, so the client's "last update_id
        + 1" offset arithmetic neither skips nor repeats other updates.
        """
        if update_id not in self._history:
            raise AssertionError(f"update {update_id} was never queued")
        return self._enqueue(copy.deepcopy(self._history[update_id]), forced=True)

    def register_file(
        self, content: bytes, filename: str, mime_type: str = "application/octet-stream"
    ) -> JSONDict:
        """Store a file as if a user had sent it; returns its ``Document`` for send_update.

        The bot can then fetch it with getFile and download it from ``base_file_url``.
        """
        return self._store_file(content, filename, mime_type).as_document()

    # ---------------------------------------------------------------- failure injection

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str,
        times: int = 1,
        *,
        retry_after: int | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` answer with this error envelope.

        ``retry_after`` adds ``parameters.retry_after``, which python-telegram-bot needs to
        raise ``RetryAfter``.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        parameters = None if retry_after is None else {"retry_after": retry_after}
        failure = _Failure(_ApiError(error_code, description, parameters), times)
        self._failures.setdefault(method.lower(), deque()).append(failure)

    def block_user(self, chat_id: int) -> None:
        """From now on every send/edit to this chat answers 403 as if the user blocked the bot."""
        self._blocked.add(chat_id)

    def unblock_user(self, chat_id: int) -> None:
        """Undo :meth:`block_user`."""
        self._blocked.discard(chat_id)

    # ---------------------------------------------------------------- observing the bot

    async def wait_for(
        self,
        predicate: Callable[[Sequence[Call]], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 - a built-in deadline keeps every test bounded
    ) -> None:
        """Wait until ``predicate(calls)`` holds; re-checked whenever a call is recorded."""
        what = getattr(predicate, "__name__", "predicate")
        await self._wait_until(lambda: predicate(self.calls), timeout, what)

    async def next_message(
        self,
        chat_id: int,
        timeout: float = 10.0,  # noqa: ASYNC109 - a built-in deadline keeps every test bounded
    ) -> JSONDict:
        """The next message (sendMessage / sendDocument) the bot sent to ``chat_id``.

        Each chat has its own cursor, so successive calls walk through the conversation. The
        returned dict is live: it reflects later edits.
        """
        cursor = self._cursors.get(chat_id, 0)
        await self._wait_until(
            lambda: len(self._sent_log.get(chat_id, ())) > cursor,
            timeout,
            f"message #{cursor + 1} to chat {chat_id}",
        )
        self._cursors[chat_id] = cursor + 1
        return self._sent_log[chat_id][cursor]

    def last_message(self, chat_id: int) -> JSONDict:
        """The most recent surviving bot message in ``chat_id``, in its current state."""
        messages = self.chats.get(chat_id)
        if not messages:
            raise AssertionError(f"the bot has no message in chat {chat_id}")
        return messages[-1]

    @staticmethod
    def buttons(message: JSONDict) -> list[tuple[str, str]]:
        """(text, callback_data) of the message's inline keyboard, row by row.

        Buttons without callback_data (URL buttons etc.) are skipped.
        """
        rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        return [
            (str(button["text"]), str(button["callback_data"]))
            for row in rows
            for button in row
            if "callback_data" in button
        ]

    def my_commands(self, language_code: str = "", scope: JSONDict | None = None) -> list[JSONDict]:
        """Commands stored by setMyCommands for that scope (default scope when ``None``)."""
        return self.commands.get((_scope_key(scope), language_code), [])

    async def _wait_until(
        self,
        check: Callable[[], bool],
        timeout: float,  # noqa: ASYNC109 - turns the deadline into a readable failure
        what: str,
    ) -> None:
        try:
            async with asyncio.timeout(timeout):
                async with self._calls_changed:
                    await self._calls_changed.wait_for(check)
        except TimeoutError:
            recent = "\n".join(_describe(c) for c in self.calls[-_RECENT_CALLS_SHOWN:])
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what}; last calls:\n{recent or '  none'}"
            ) from None

    async def _notify_calls(self) -> None:
        async with self._calls_changed:
            self._calls_changed.notify_all()

    # ---------------------------------------------------------------- HTTP layer

    def _build_app(self) -> Starlette:
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
        parse_error: _ApiError | None = None
        try:
            params, uploads = await _read_params(request)
        except _ApiError as err:
            params, uploads, parse_error = {}, {}, err
        call = Call(canonical, params, time.time(), uploads)
        self.calls.append(call)
        try:
            if parse_error is not None:
                raise parse_error
            self._precheck(str(request.path_params["token"]), handler, call)
            assert handler is not None
            status, body = 200, {"ok": True, "result": await handler(call)}
        except _ApiError as err:
            status, body = err.code, err.envelope()
        call.status, call.response = status, copy.deepcopy(body)
        await self._notify_calls()
        return JSONResponse(body, status_code=status)

    async def _file_endpoint(self, request: Request) -> Response:
        file_id = self._file_paths.get(str(request.path_params["file_path"]))
        if request.path_params["token"] != self._token or file_id is None:
            return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
        stored = self.files[file_id]
        return Response(stored.content, media_type=stored.mime_type)

    async def _not_found(self, request: Request) -> Response:
        return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, 404)

    def _precheck(self, token: str, handler: Handler | None, call: Call) -> None:
        """Token, method, injected failures, blocked users and flood control, in that order."""
        if token != self._token:
            raise _ApiError(401, "Unauthorized")
        if handler is None:
            raise _ApiError(404, "Not Found: method not found")
        self._raise_scheduled_failure(call.method)
        chat_id = call.params.get("chat_id")
        chat = int(chat_id) if _is_int(chat_id) else None
        if _targets_chat(call.method) and chat in self._blocked:
            raise _ApiError(403, _BLOCKED)
        if _is_rate_limited(call.method):
            self._take_rate_tokens(chat)

    def _raise_scheduled_failure(self, method: str) -> None:
        queue = self._failures.get(method.lower())
        if not queue:
            return
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.popleft()
        raise failure.error

    def _take_rate_tokens(self, chat_id: int | None) -> None:
        """Refuse with 429 unless both the global and the per-chat bucket have a token."""
        now = self._clock()
        candidates = (self._global_bucket, self._chat_bucket(chat_id, now))
        buckets = [bucket for bucket in candidates if bucket is not None]
        wait = max((bucket.seconds_until_token(now) for bucket in buckets), default=0.0)
        if wait > 0:
            self.throttled += 1
            retry_after = max(1, math.ceil(wait))
            raise _ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
        for bucket in buckets:
            bucket.take()

    def _chat_bucket(self, chat_id: int | None, now: float) -> _TokenBucket | None:
        if self._per_chat_rate is None or chat_id is None:
            return None
        if chat_id not in self._chat_buckets:
            self._chat_buckets[chat_id] = _TokenBucket(self._per_chat_rate, now)
        return self._chat_buckets[chat_id]

    def _build_handlers(self) -> dict[str, tuple[str, Handler]]:
        handlers: dict[str, Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "sendDocument": self._send_document,
            "getFile": self._get_file,
            "sendChatAction": self._send_chat_action,
            "deleteMessage": self._delete_message,
            "close": self._always_true,
            "logOut": self._always_true,
        }
        # Telegram matches method names case-insensitively.
        return {name.lower(): (name, handler) for name, handler in handlers.items()}

    # ---------------------------------------------------------------- update queue

    def _new_update_id(self) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        return update_id

    def _enqueue(self, update: JSONDict, *, forced: bool = False) -> int:
        update_id = int(update["update_id"])
        self._history[update_id] = copy.deepcopy(update)
        query = update.get("callback_query")
        if isinstance(query, dict) and isinstance(query.get("id"), str):
            self._open_callback_queries.add(query["id"])
        self._pending.append(_Queued(update_id, update, forced))
        self._updates_pulse.fire()
        return update_id

    def _confirm_updates(self, offset: int) -> None:
        """Apply getUpdates' offset: drop confirmed updates (negative keeps only the last N)."""
        if offset < 0:
            self._pending = self._pending[offset:]
        elif offset > 0:
            self._pending = [q for q in self._pending if not q.confirmed_by(offset)]

    def _take_batch(self, limit: int) -> list[JSONDict]:
        """Next updates to deliver; a redelivered update always travels alone (see redeliver)."""
        if not self._pending:
            return []
        if self._pending[0].forced:
            chosen = self._pending[:1]
        else:
            chosen = list(itertools.takewhile(lambda q: not q.forced, self._pending))[:limit]
        for queued in chosen:
            queued.delivered = True
        return [copy.deepcopy(queued.update) for queued in chosen]

    # ---------------------------------------------------------------- chats and messages

    def _remember_user(self, user_id: int, first_name: str, language_code: str) -> JSONDict:
        user: JSONDict = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language_code,
        }
        self._users[user_id] = user
        return user

    def _private_chat(self, chat_id: int) -> JSONDict:
        user = self._users.get(chat_id, {})
        return {"id": chat_id, "type": "private", "first_name": user.get("first_name", "User")}

    def _next_message_id(self, chat_id: int) -> int:
        """Message ids are per chat and shared by both sides, as in Telegram private chats."""
        self._message_counters[chat_id] = self._message_counters.get(chat_id, 0) + 1
        return self._message_counters[chat_id]

    def _new_bot_message(self, chat_id: int, content: JSONDict, params: JSONDict) -> JSONDict:
        message: JSONDict = {
            "message_id": self._next_message_id(chat_id),
            "from": dict(self.bot_user),
            "chat": self._private_chat(chat_id),
            "date": int(time.time()),
            **content,
        }
        markup = _inline_markup(params)
        if markup is not None:
            message["reply_markup"] = markup
        self.chats.setdefault(chat_id, []).append(message)
        self._messages[(chat_id, message["message_id"])] = message
        self._sent_log.setdefault(chat_id, []).append(message)
        return message

    def _stored_message(self, chat_id: int, message_id: int) -> JSONDict:
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise AssertionError(f"no bot message {message_id} in chat {chat_id}")
        return message

    def _message_to_edit(self, params: JSONDict) -> JSONDict | None:
        """The stored message an edit targets; ``None`` for inline messages (not tracked)."""
        if "inline_message_id" in params:
            return None
        message = self._messages.get((_chat_id(params), _message_id(params)))
        if message is None:
            raise _ApiError(400, "Bad Request: message to edit not found")
        return message

    def _store_file(self, content: bytes, filename: str, mime_type: str) -> StoredFile:
        number = next(self._file_counter)
        stored = StoredFile(
            f"FAKE-FILE-{number:06d}", f"U{number:06d}", filename, mime_type, content
        )
        self.files[stored.file_id] = stored
        self._file_paths[stored.file_path] = stored.file_id
        return stored

    def _document_for(self, call: Call) -> StoredFile:
        """Resolve sendDocument's ``document``: an upload, an attach:// part or a file_id."""
        value = call.params.get("document")
        field_name = "document"
        if isinstance(value, str) and value.startswith("attach://"):
            field_name = value.removeprefix("attach://")
        upload = call.uploads.get(field_name)
        if upload is not None:
            return self._store_file(upload.content, upload.filename, upload.content_type)
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        if value is None:
            raise _ApiError(400, "Bad Request: there is no document in the request")
        raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    # ---------------------------------------------------------------- Bot API methods

    async def _always_true(self, call: Call) -> bool:
        return True

    async def _get_me(self, call: Call) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _get_updates(self, call: Call) -> list[JSONDict]:
        """Long polling: answer as soon as updates exist, on timeout, or when stopping.

        A newer getUpdates ends an older one still waiting with 409, as Telegram does; this
        also retires polls whose client already gave up (e.g. a stopped Updater).
        """
        if self.webhook_url:
            raise _ApiError(409, _WEBHOOK_CONFLICT)
        offset = _int_param(call.params, "offset", 0)
        limit = min(max(_int_param(call.params, "limit", 100), 1), 100)
        timeout = _seconds_param(call.params, "timeout")
        self._confirm_updates(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_pulse.fire()
        await self._notify_calls()  # lets tests observe the poll (and its offset) while it waits
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise _ApiError(409, _POLL_CONFLICT)
            batch = self._take_batch(limit)
            remaining = deadline - loop.time()
            if batch or self._stopping or remaining <= 0:
                return batch
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await self._updates_pulse.wait()

    async def _delete_webhook(self, call: Call) -> bool:
        self.webhook_url = ""
        if call.params.get("drop_pending_updates") is True:
            self._pending.clear()
        return True

    async def _set_webhook(self, call: Call) -> bool:
        url = call.params.get("url", "")
        if not isinstance(url, str):
            raise _ApiError(400, "Bad Request: invalid webhook URL specified")
        self.webhook_url = url
        if call.params.get("drop_pending_updates") is True:
            self._pending.clear()
        return True

    async def _get_webhook_info(self, call: Call) -> JSONDict:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }

    async def _set_my_commands(self, call: Call) -> bool:
        commands = call.params.get("commands")
        if not isinstance(commands, list):
            raise _ApiError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            if not (
                isinstance(command, dict)
                and isinstance(command.get("command"), str)
                and _BOT_COMMAND_NAME_RE.fullmatch(command["command"])
                and isinstance(command.get("description"), str)
                and 1 <= len(command["description"]) <= 256
            ):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        key = self._commands_key(call.params)
        self.commands[key] = copy.deepcopy(commands)
        return True

    async def _get_my_commands(self, call: Call) -> list[JSONDict]:
        return copy.deepcopy(self.commands.get(self._commands_key(call.params), []))

    async def _delete_my_commands(self, call: Call) -> bool:
        self.commands.pop(self._commands_key(call.params), None)
        return True

    @staticmethod
    def _commands_key(params: JSONDict) -> tuple[str, str]:
        language_code = params.get("language_code", "")
        if not isinstance(language_code, str):
            raise _ApiError(400, "Bad Request: invalid language code specified")
        return _scope_key(params.get("scope")), language_code

    async def _send_message(self, call: Call) -> JSONDict:
        chat_id = _chat_id(call.params)
        content: JSONDict = {"text": _checked_text(call.params)}
        if isinstance(call.params.get("entities"), list):
            content["entities"] = copy.deepcopy(call.params["entities"])
        return self._new_bot_message(chat_id, content, call.params)

    async def _send_document(self, call: Call) -> JSONDict:
        chat_id = _chat_id(call.params)
        content: JSONDict = {"document": self._document_for(call).as_document()}
        caption = call.params.get("caption")
        if isinstance(caption, str) and caption:
            content["caption"] = caption
        return self._new_bot_message(chat_id, content, call.params)

    async def _edit_message_text(self, call: Call) -> JSONDict | bool:
        """Telegram drops the inline keyboard when an edit omits reply_markup; so does this."""
        message = self._message_to_edit(call.params)
        text = _checked_text(call.params)
        markup = _inline_markup(call.params)
        if message is None:
            return True
        if "text" not in message:
            raise _ApiError(400, "Bad Request: there is no text in the message to edit")
        if message["text"] == text and message.get("reply_markup") == markup:
            raise _ApiError(400, _NOT_MODIFIED)
        message["text"] = text
        if isinstance(call.params.get("entities"), list):
            message["entities"] = copy.deepcopy(call.params["entities"])
        else:
            message.pop("entities", None)
        self._apply_markup(message, markup)
        return message

    async def _edit_message_reply_markup(self, call: Call) -> JSONDict | bool:
        message = self._message_to_edit(call.params)
        markup = _inline_markup(call.params)
        if message is None:
            return True
        if message.get("reply_markup") == markup:
            raise _ApiError(400, _NOT_MODIFIED)
        self._apply_markup(message, markup)
        return message

    @staticmethod
    def _apply_markup(message: JSONDict, markup: JSONDict | None) -> None:
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())

    async def _answer_callback_query(self, call: Call) -> bool:
        """Each query can be answered once, as on Telegram (a second answer is a 400)."""
        query_id = call.params.get("callback_query_id")
        if not isinstance(query_id, str) or query_id not in self._open_callback_queries:
            raise _ApiError(400, _OLD_QUERY)
        self._open_callback_queries.discard(query_id)
        self.callback_answers[query_id] = copy.deepcopy(call.params)
        return True

    async def _get_file(self, call: Call) -> JSONDict:
        stored = self.files.get(str(call.params.get("file_id")))
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    async def _send_chat_action(self, call: Call) -> bool:
        _chat_id(call.params)
        if not isinstance(call.params.get("action"), str):
            raise _ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    async def _delete_message(self, call: Call) -> bool:
        chat_id, message_id = _chat_id(call.params), _message_id(call.params)
        message = self._messages.pop((chat_id, message_id), None)
        if message is None:
            raise _ApiError(400, "Bad Request: message to delete not found")
        self.chats[chat_id].remove(message)
        return True
