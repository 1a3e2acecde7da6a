"""Records shared by the parts of the fake Telegram Bot API (see ``telegram_api``)."""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

JSONDict = dict[str, Any]


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


def describe(call: Call) -> str:
    """One line of a timeout failure's "last calls"."""
    params = json.dumps(call.params, ensure_ascii=False, default=str)
    if len(params) > 200:
        params = params[:197] + "..."
    return f"  {call.method} -> {call.status} {params}"


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


class ApiError(Exception):
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


Handler = Callable[[Call], Awaitable[Any]]
"""A Bot API method: gets the recorded call, returns the envelope's ``result``."""
