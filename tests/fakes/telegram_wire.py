"""How python-telegram-bot's requests are decoded, and how their parameters are checked.

Plain calls are form-encoded with every non-string value JSON-encoded, uploads are multipart
with the same per-field encoding (see the ``telegram_api`` module docstring); the checks
answer with the errors Telegram gives for the same mistakes.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from typing import Any, Final, TypeGuard
from urllib.parse import parse_qsl

from starlette.requests import Request

from tests.fakes.telegram_records import ApiError, JSONDict, Upload

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

_HEADER_PARAM_RE: Final = re.compile(r';\s*([\w*-]+)=(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))')

_MAX_TEXT_LENGTH: Final = 4096
_MAX_CALLBACK_DATA_BYTES: Final = 64


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


async def read_params(request: Request) -> tuple[JSONDict, dict[str, Upload]]:
    """Collect parameters from the query string and a JSON, form or multipart body."""
    params: JSONDict = {k: _coerce(k, v) for k, v in request.query_params.multi_items()}
    body = await request.body()
    if not body:
        return params, {}
    fields, uploads = _body_params(request.headers.get("content-type", ""), body)
    params.update(fields)
    return params, uploads


def _body_params(content_type: str, body: bytes) -> tuple[JSONDict, dict[str, Upload]]:
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime == "application/json":
        try:
            decoded = json.loads(body)
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON") from None
        if not isinstance(decoded, dict):
            raise ApiError(400, "Bad Request: parameters must be a JSON object")
        return decoded, {}
    if mime == "application/x-www-form-urlencoded":
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: _coerce(k, v) for k, v in pairs}, {}
    if mime == "multipart/form-data":
        boundary = _header_params(content_type).get("boundary")
        if not boundary:
            raise ApiError(400, "Bad Request: multipart boundary is missing")
        return _parse_multipart(body, boundary)
    return {}, {}


def is_int(value: object) -> TypeGuard[int]:
    """JSON booleans are Python ints; Telegram does not accept them as integers."""
    return isinstance(value, int) and not isinstance(value, bool)


def int_param(params: JSONDict, name: str, default: int) -> int:
    value = params.get(name, default)
    if not is_int(value):
        raise ApiError(400, f"Bad Request: invalid {name} specified")
    return int(value)


def seconds_param(params: JSONDict, name: str) -> float:
    value = params.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ApiError(400, f"Bad Request: invalid {name} specified")
    return max(0.0, float(value))


def chat_id(params: JSONDict) -> int:
    value = params.get("chat_id")
    if value is None or value == "":
        raise ApiError(400, "Bad Request: chat_id is empty")
    if not is_int(value):
        raise ApiError(400, "Bad Request: chat not found")
    return int(value)


def message_id(params: JSONDict) -> int:
    value = params.get("message_id")
    if not is_int(value):
        raise ApiError(400, "Bad Request: message identifier is not specified")
    return int(value)


def inline_markup(params: JSONDict) -> JSONDict | None:
    """The inline keyboard to echo back in the Message, validated like Telegram does.

    Telegram only echoes inline keyboards (reply keyboards are not part of ``Message``); the
    raw ``reply_markup`` of any kind stays visible in :attr:`Call.params`.
    """
    markup = params.get("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError(400, "Bad Request: can't parse inline keyboard button")
    for button in itertools.chain.from_iterable(rows):
        _check_button(button)
    return copy.deepcopy(markup)


def _check_button(button: object) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise ApiError(400, "Bad Request: can't parse inline keyboard button")
    data = button.get("callback_data")
    if data is not None and not (
        isinstance(data, str) and 1 <= len(data.encode("utf-8")) <= _MAX_CALLBACK_DATA_BYTES
    ):
        raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


def checked_text(params: JSONDict) -> str:
    text = params.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    # With a parse_mode the limit applies after markup is stripped, which the fake does not do.
    if "parse_mode" not in params and len(text) > _MAX_TEXT_LENGTH:
        raise ApiError(400, "Bad Request: message is too long")
    return text
