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
  form value as JSON unless the parameter is known to be a string (see ``_STRING_PARAMS``
  in ``telegram_wire``); a real JSON body is accepted as well.
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

:class:`FakeTelegram` only wires together the parts that live in the other ``telegram_*``
modules of this package: ``telegram_wire`` (decoding and checking parameters),
``telegram_limits`` (refusals), ``telegram_updates`` (getUpdates, webhooks),
``telegram_chats`` (messages, files), ``telegram_profile`` (getMe, commands),
``call_log`` (the call record, shared with the other fakes) and ``telegram_routes`` (HTTP).
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable, Sequence
from typing import Final

from tests.fakes import telegram_wire as wire
from tests.fakes.call_log import CallLog
from tests.fakes.loopback import LoopbackServer
from tests.fakes.telegram_chats import ChatStore
from tests.fakes.telegram_limits import Limits
from tests.fakes.telegram_profile import BotProfile, scope_key
from tests.fakes.telegram_records import (
    ApiError,
    Call,
    Handler,
    JSONDict,
    StoredFile,
    Upload,
    describe,
)
from tests.fakes.telegram_routes import BotApiRoutes
from tests.fakes.telegram_updates import UpdateQueue

__all__ = ["FAKE_TOKEN", "Call", "FakeTelegram", "JSONDict", "StoredFile", "Upload"]

FAKE_TOKEN: Final = "123456:TEST-fake-token-not-real"
"""Default token: deliberately unlike a real one so it can never be mistaken for a secret."""

_REAL_TOKEN_RE: Final = re.compile(r"[0-9]{8,10}:AA[A-Za-z0-9_-]{33}")


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
        self._token = token
        self._profile = BotProfile(token, bot_first_name, bot_username)
        self._log: CallLog[Call] = CallLog(describe)
        self._chats = ChatStore(self._profile.bot_user)
        self._limits = Limits(global_rate, per_chat_rate, clock)
        self._updates = UpdateQueue(self._log.notify)
        # Aliases of the parts' containers (never rebound), so tests keep plain attributes.
        self.bot_user = self._profile.bot_user
        self.calls = self._log.calls
        self.chats = self._chats.chats
        self.files = self._chats.files
        self.commands = self._profile.commands
        self.callback_answers = self._updates.callback_answers
        self._history = self._updates.history
        self._cursors: dict[int, int] = {}
        routes = BotApiRoutes(token, self._build_handlers(), self._log, self._limits, self._chats)
        self._server = LoopbackServer(routes.app(), name="FakeTelegram")

    @property
    def webhook_url(self) -> str:
        """The URL set by setWebhook; empty when polling."""
        return self._updates.webhook_url

    @webhook_url.setter
    def webhook_url(self, url: str) -> None:
        self._updates.webhook_url = url

    @property
    def throttled(self) -> int:
        """How many calls were refused with 429 by the rate limiter."""
        return self._limits.throttled

    @throttled.setter
    def throttled(self, count: int) -> None:
        self._limits.throttled = count

    def _build_handlers(self) -> dict[str, tuple[str, Handler]]:
        handlers: dict[str, Handler] = {
            "getMe": self._profile.get_me,
            "getUpdates": self._updates.get_updates,
            "deleteWebhook": self._updates.delete_webhook,
            "setWebhook": self._updates.set_webhook,
            "getWebhookInfo": self._updates.get_webhook_info,
            "setMyCommands": self._profile.set_my_commands,
            "getMyCommands": self._profile.get_my_commands,
            "deleteMyCommands": self._profile.delete_my_commands,
            "sendMessage": self._chats.send_message,
            "editMessageText": self._chats.edit_message_text,
            "editMessageReplyMarkup": self._chats.edit_message_reply_markup,
            "answerCallbackQuery": self._updates.answer_callback_query,
            "sendDocument": self._chats.send_document,
            "getFile": self._chats.get_file,
            "sendChatAction": self._chats.send_chat_action,
            "deleteMessage": self._chats.delete_message,
            "close": self._profile.always_true,
            "logOut": self._profile.always_true,
        }
        # Telegram matches method names case-insensitively.
        return {name.lower(): (name, handler) for name, handler in handlers.items()}

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
        self._updates.stopping = False
        await self._server.start()

    async def stop(self) -> None:
        """Stop serving; pending long polls return ``[]`` at once so shutdown is not delayed."""
        if not self._server.running:
            return
        self._updates.stop_polls()
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
        message = self._chats.user_message(
            user_id, text, first_name=first_name, language_code=language_code
        )
        return self._updates.enqueue(
            {"update_id": self._updates.new_update_id(), "message": message}
        )

    def send_update(self, raw: JSONDict) -> int:
        """Queue an arbitrary update (voice, photo, edited_message, odd payloads...).

        ``update_id`` is assigned when missing. The payload must still be parseable by
        python-telegram-bot, otherwise its Updater refetches the batch forever (see module doc).
        """
        update = copy.deepcopy(raw)
        if "update_id" not in update:
            update["update_id"] = self._updates.new_update_id()
        elif not wire.is_int(update["update_id"]):
            raise TypeError("update_id must be an int")
        else:
            self._updates.skip_past(int(update["update_id"]))
        return self._updates.enqueue(update)

    def press_button(self, user_id: int, message_id: int, data: str) -> int:
        """Queue a callback_query as if the user tapped a button of a stored bot message.

        ``data`` is not checked against the keyboard, so stale or forged presses can be tested.
        """
        query = self._chats.callback_query(user_id, message_id, data)
        update = {"update_id": self._updates.new_update_id(), "callback_query": query}
        return self._updates.enqueue(update)

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
        return self._updates.enqueue(copy.deepcopy(self._history[update_id]), forced=True)

    def register_file(
        self, content: bytes, filename: str, mime_type: str = "application/octet-stream"
    ) -> JSONDict:
        """Store a file as if a user had sent it; returns its ``Document`` for send_update.

        The bot can then fetch it with getFile and download it from ``base_file_url``.
        """
        return self._chats.store_file(content, filename, mime_type).as_document()

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
        parameters = None if retry_after is None else {"retry_after": retry_after}
        self._limits.fail_next(method, ApiError(error_code, description, parameters), times)

    def block_user(self, chat_id: int) -> None:
        """From now on every send/edit to this chat answers 403 as if the user blocked the bot."""
        self._limits.block(chat_id)

    def unblock_user(self, chat_id: int) -> None:
        """Undo :meth:`block_user`."""
        self._limits.unblock(chat_id)

    # ---------------------------------------------------------------- observing the bot

    async def wait_for(
        self,
        predicate: Callable[[Sequence[Call]], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 - a built-in deadline keeps every test bounded
    ) -> None:
        """Wait until ``predicate(calls)`` holds; re-checked whenever a call is recorded."""
        what = getattr(predicate, "__name__", "predicate")
        await self._log.wait_until(lambda: predicate(self.calls), timeout, what)

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
        sent = self._chats.sent_log
        await self._log.wait_until(
            lambda: len(sent.get(chat_id, ())) > cursor,
            timeout,
            f"message #{cursor + 1} to chat {chat_id}",
        )
        self._cursors[chat_id] = cursor + 1
        return sent[chat_id][cursor]

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
        return self.commands.get((scope_key(scope), language_code), [])
