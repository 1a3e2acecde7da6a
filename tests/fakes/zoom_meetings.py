"""Meetings as :class:`tests.fakes.zoom_api.FakeZoom` creates, updates and reports them.

Create and update bodies are validated roughly as Zoom does (400, code 300); fields Zoom
would ignore are dropped. A 404 repeats the id asked for, as Zoom's does, so nothing may copy
Zoom's messages into logs.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from tests.fakes.zoom_wire import VALIDATION_FAILED, ApiError, JSONDict

FIRST_MEETING_ID: Final = 85_000_000_001
"""Above 2**32 like real Zoom ids, so a client that squeezes them into 32 bits shows it."""

_START_TIME_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z?")
_UPDATABLE: Final = frozenset({"topic", "type", "start_time", "duration", "timezone", "settings"})


def new_meeting(number: int, user_id: str, fields: JSONDict, created_at: datetime) -> JSONDict:
    """A meeting as Zoom stores it, from fields already checked by :func:`meeting_fields`."""
    return {
        "id": number,
        "user_id": user_id,
        "host_email": user_id,
        "type": 2,
        "timezone": "UTC",
        "settings": {},
        **fields,
        "join_url": f"https://zoom.example/j/{number}",
        "start_url": f"https://zoom.example/s/{number}?zak=secret",
        "created_at": _zulu(created_at),
    }


def update_meeting(meeting: JSONDict, body: JSONDict | None) -> None:
    """Apply a PATCH body; ``settings`` are merged, other fields replaced."""
    changes = meeting_fields(body, creating=False)
    settings = {**meeting["settings"], **changes.pop("settings", {})}
    meeting.update(changes, settings=settings)


def meeting_not_found(meeting_id: str) -> ApiError:
    return ApiError(404, {"code": 3001, "message": f"Meeting does not exist: {meeting_id}."})


def meeting_fields(body: JSONDict | None, *, creating: bool) -> JSONDict:
    """The fields of a create/update body, validated roughly as Zoom does (400, code 300)."""
    if body is None:
        if creating:
            return {}
        raise ApiError(400, VALIDATION_FAILED)
    fields = {key: copy.deepcopy(value) for key, value in body.items() if key in _UPDATABLE}
    if not _valid_meeting_fields(fields):
        raise ApiError(400, VALIDATION_FAILED)
    return fields


def _valid_meeting_fields(fields: JSONDict) -> bool:
    checks: dict[str, Callable[[Any], bool]] = {
        "topic": lambda v: isinstance(v, str) and len(v) <= 200,
        "type": lambda v: v in (1, 2, 3, 8) and not isinstance(v, bool),
        "start_time": lambda v: isinstance(v, str) and _START_TIME_RE.fullmatch(v) is not None,
        "duration": lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
        "timezone": lambda v: isinstance(v, str) and bool(v),
        "settings": lambda v: isinstance(v, dict),
    }
    return all(checks[key](value) for key, value in fields.items())


def _zulu(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
