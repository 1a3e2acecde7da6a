"""The fake's private chats (users, messages both ways, files) and the Bot API methods that
send, edit and delete messages or fetch files."""

from __future__ import annotations

import copy
import itertools
import re
import time
from typing import Final

from tests.fakes import telegram_wire as wire
from tests.fakes.telegram_records import ApiError, Call, JSONDict, StoredFile

_COMMAND_RE: Final = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")

_NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


def _utf16_len(text: str) -> int:
    """Telegram measures entity offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _command_entities(text: str) -> list[JSONDict]:
    match = _COMMAND_RE.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": _utf16_len(match.group(0))}]


def _apply_markup(message: JSONDict, markup: JSONDict | None) -> None:
    if markup is None:
        message.pop("reply_markup", None)
    else:
        message["reply_markup"] = markup
    message["edit_date"] = int(time.time())


class ChatStore:
    """Every private chat and file.

    ``chats`` holds the bot's surviving messages in their latest state, ``sent_log`` every
    message the bot ever sent (deleted ones too, so ``next_message`` cursors stay valid).
    """

    def __init__(self, bot_user: JSONDict) -> None:
        self.bot_user = bot_user
        self.chats: dict[int, list[JSONDict]] = {}
        self.files: dict[str, StoredFile] = {}
        self.users: dict[int, JSONDict] = {}
        self.sent_log: dict[int, list[JSONDict]] = {}
        self._message_counters: dict[int, int] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._callback_counter = itertools.count(7_000_000_000_000_000_001)
        self._file_counter = itertools.count(1)
        self._file_paths: dict[str, str] = {}

    # ---------------------------------------------------------------- what users send

    def _remember_user(self, user_id: int, first_name: str, language_code: str) -> JSONDict:
        user: JSONDict = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language_code,
        }
        self.users[user_id] = user
        return user

    def user_message(
        self, user_id: int, text: str, *, first_name: str, language_code: str
    ) -> JSONDict:
        """A private text message from that user (commands get a bot_command entity)."""
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
        return message

    def callback_query(self, user_id: int, message_id: int, data: str) -> JSONDict:
        """A tap on a button of a stored bot message; ``data`` is not checked."""
        message = self._messages.get((user_id, message_id))
        if message is None:
            raise AssertionError(f"no bot message {message_id} in chat {user_id}")
        user = self.users.get(user_id) or self._remember_user(user_id, "Anna", "it")
        return {
            "id": str(next(self._callback_counter)),
            "from": user,
            "chat_instance": f"chat-instance-{user_id}",
            "data": data,
            "message": copy.deepcopy(message),
        }

    def store_file(self, content: bytes, filename: str, mime_type: str) -> StoredFile:
        number = next(self._file_counter)
        stored = StoredFile(
            f"FAKE-FILE-{number:06d}", f"U{number:06d}", filename, mime_type, content
        )
        self.files[stored.file_id] = stored
        self._file_paths[stored.file_path] = stored.file_id
        return stored

    def file_at(self, file_path: str) -> StoredFile | None:
        """The file served at ``/file/bot{token}/{file_path}``, if any."""
        file_id = self._file_paths.get(file_path)
        return None if file_id is None else self.files[file_id]

    # ---------------------------------------------------------------- what the bot sends

    def _private_chat(self, chat_id: int) -> JSONDict:
        user = self.users.get(chat_id, {})
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
        markup = wire.inline_markup(params)
        if markup is not None:
            message["reply_markup"] = markup
        self.chats.setdefault(chat_id, []).append(message)
        self._messages[(chat_id, message["message_id"])] = message
        self.sent_log.setdefault(chat_id, []).append(message)
        return message

    def _message_to_edit(self, params: JSONDict) -> JSONDict | None:
        """The stored message an edit targets; ``None`` for inline messages (not tracked)."""
        if "inline_message_id" in params:
            return None
        message = self._messages.get((wire.chat_id(params), wire.message_id(params)))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    def _document_for(self, call: Call) -> StoredFile:
        """Resolve sendDocument's ``document``: an upload, an attach:// part or a file_id."""
        value = call.params.get("document")
        field_name = "document"
        if isinstance(value, str) and value.startswith("attach://"):
            field_name = value.removeprefix("attach://")
        upload = call.uploads.get(field_name)
        if upload is not None:
            return self.store_file(upload.content, upload.filename, upload.content_type)
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        if value is None:
            raise ApiError(400, "Bad Request: there is no document in the request")
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    # ---------------------------------------------------------------- Bot API methods

    async def send_message(self, call: Call) -> JSONDict:
        chat_id = wire.chat_id(call.params)
        content: JSONDict = {"text": wire.checked_text(call.params)}
        if isinstance(call.params.get("entities"), list):
            content["entities"] = copy.deepcopy(call.params["entities"])
        return self._new_bot_message(chat_id, content, call.params)

    async def send_document(self, call: Call) -> JSONDict:
        chat_id = wire.chat_id(call.params)
        content: JSONDict = {"document": self._document_for(call).as_document()}
        caption = call.params.get("caption")
        if isinstance(caption, str) and caption:
            content["caption"] = caption
        return self._new_bot_message(chat_id, content, call.params)

    async def edit_message_text(self, call: Call) -> JSONDict | bool:
        """Telegram drops the inline keyboard when an edit omits reply_markup; so does this."""
        message = self._message_to_edit(call.params)
        text = wire.checked_text(call.params)
        markup = wire.inline_markup(call.params)
        if message is None:
            return True
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        if message["text"] == text and message.get("reply_markup") == markup:
            raise ApiError(400, _NOT_MODIFIED)
        message["text"] = text
        if isinstance(call.params.get("entities"), list):
            message["entities"] = copy.deepcopy(call.params["entities"])
        else:
            message.pop("entities", None)
        _apply_markup(message, markup)
        return message

    async def edit_message_reply_markup(self, call: Call) -> JSONDict | bool:
        message = self._message_to_edit(call.params)
        markup = wire.inline_markup(call.params)
        if message is None:
            return True
        if message.get("reply_markup") == markup:
            raise ApiError(400, _NOT_MODIFIED)
        _apply_markup(message, markup)
        return message

    async def get_file(self, call: Call) -> JSONDict:
        stored = self.files.get(str(call.params.get("file_id")))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    async def send_chat_action(self, call: Call) -> bool:
        wire.chat_id(call.params)
        if not isinstance(call.params.get("action"), str):
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    async def delete_message(self, call: Call) -> bool:
        chat_id, message_id = wire.chat_id(call.params), wire.message_id(call.params)
        message = self._messages.pop((chat_id, message_id), None)
        if message is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        self.chats[chat_id].remove(message)
        return True
