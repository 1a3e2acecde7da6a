"""Operators' hours and the desk's booking rules, read from the TOML file and checked (the
[booking] table's own reading is in bot/booking_table.py; this module reads [[operator]]).

Every problem is reported at once, each naming the table and key to fix, so an administrator
corrects the whole file in one go. The slot computation itself lives in bot/slots.py.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlparse

from bot.booking_table import booking_rules, time_range, unknown_keys
from bot.setting_values import MAIL_ADDRESS
from bot.slots import WEEKDAYS, BookingRules, Operator, Window, minute_of_day

MEETING_MODES = ("room", "api")
OPERATOR_ID = re.compile(r"^[a-z0-9_]{1,16}$")
DIGEST_ROUTES = ("telegram", "email", "both")
OPERATOR_KEYS = frozenset(
    {"id", "name", "telegram_id", "meeting", "room_url", "zoom_user", "hours", "email", "digest"}
)


class BookingConfigError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _day_windows(
    path: str, weekday: int, value: object, slot_minutes: int, problems: list[str]
) -> list[Window]:
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list):
        problems.append(f"{path}: should be a list like ['09:00-13:00', '14:30-17:30'].")
        return []
    windows: list[Window] = []
    for text in texts:
        bounds = time_range(text)
        if bounds is None:
            problems.append(f"{path}: '{text}' should look like '09:00-13:00'.")
        elif bounds[1] <= bounds[0]:
            problems.append(f"{path}: '{text}' ends before it starts; the end must be later.")
        elif minute_of_day(bounds[1]) - minute_of_day(bounds[0]) < slot_minutes:
            problems.append(
                f"{path}: '{text}' is shorter than one appointment ({slot_minutes} minutes); "
                "make it longer or remove it."
            )
        else:
            windows.append(Window(weekday, *bounds))
    windows.sort(key=lambda w: w.start)
    for before, after in itertools.pairwise(windows):
        if after.start < before.end:
            problems.append(
                f"{path}: '{_range_text(before)}' and '{_range_text(after)}' overlap; "
                "merge them or move one."
            )
    return windows


def _windows(
    path: str, value: object, slot_minutes: int, problems: list[str]
) -> tuple[Window, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        problems.append(f"{path}: should be a table like [operator.hours] mon = ['09:00-13:00'].")
        return ()
    windows: list[Window] = []
    for key, day_value in value.items():
        if key not in WEEKDAYS:
            problems.append(f"{path}.{key}: unknown weekday; use one of {' '.join(WEEKDAYS)}.")
            continue
        windows += _day_windows(
            f"{path}.{key}", WEEKDAYS.index(key), day_value, slot_minutes, problems
        )
    return tuple(sorted(windows, key=lambda w: (w.weekday, w.start)))


def _https_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parsed = urlparse(value.strip())
    return parsed.scheme == "https" and bool(parsed.netloc)


def _meeting(path: str, item: Mapping[str, Any], problems: list[str]) -> str:
    meeting = item.get("meeting")
    if meeting == "room" and not _https_url(item.get("room_url")):
        problems.append(
            f"{path} room_url: meeting = 'room' needs the operator's personal Zoom room as an "
            "https link, e.g. room_url = 'https://zoom.us/j/1234567890'."
        )
    elif meeting == "api" and not (
        isinstance(item.get("zoom_user"), str) and item["zoom_user"].strip()
    ):
        problems.append(
            f"{path} zoom_user: meeting = 'api' needs the operator's Zoom user id or e-mail, "
            "e.g. zoom_user = 'giulia.bianchi@comune.lucca.it'."
        )
    elif meeting not in MEETING_MODES:
        problems.append(
            f"{path} meeting: '{meeting}' is not a meeting mode; use 'room' (a fixed personal "
            "Zoom room, with room_url) or 'api' (a meeting created through Zoom, with zoom_user)."
        )
    return str(meeting)


def _telegram_id(path: str, value: object, problems: list[str]) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    problems.append(
        f"{path} telegram_id: '{value}' should be the operator's numeric Telegram user id, "
        "without quotes, e.g. telegram_id = 100000001."
    )
    return None


def _email(path: str, value: object, problems: list[str]) -> str | None:
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else ""
    if MAIL_ADDRESS.match(text):
        return text
    problems.append(
        f"{path} email: '{value}' is not an e-mail address; write it like "
        "email = 'giulia.bianchi@comune.lucca.it'."
    )
    return None


def _digest_route(path: str, item: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    """The operator's e-mail and where their digest goes; by default Telegram when they
    have a Telegram id, else e-mail."""
    email = _email(path, item.get("email"), problems)
    has_telegram = item.get("telegram_id") is not None
    digest = item.get("digest", "telegram" if has_telegram or email is None else "email")
    if digest not in DIGEST_ROUTES:
        problems.append(
            f"{path} digest: '{digest}' is not a choice; use 'telegram', 'email' or 'both'."
        )
        return {"email": email}
    if digest in ("email", "both") and item.get("email") is None:
        problems.append(f"{path} digest: '{digest}' needs the operator's email = '...'.")
    if digest in ("telegram", "both") and not has_telegram and "digest" in item:
        problems.append(f"{path} digest: '{digest}' needs the operator's telegram_id.")
    return {"email": email, "digest": str(digest)}


def _optional_text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _operator(
    index: int, item: Mapping[str, Any], slot_minutes: int, problems: list[str]
) -> Operator:
    raw_id = item.get("id")
    valid_id = isinstance(raw_id, str) and OPERATOR_ID.match(raw_id) is not None
    path = f"[[operator]] '{raw_id}'" if valid_id else f"[[operator]] #{index + 1}"
    if not valid_id:
        problems.append(
            f"{path} id: '{raw_id}' should be 1 to 16 lowercase letters, digits or '_', "
            "e.g. id = 'giulia'; it must never change once people have booked."
        )
    problems.extend(unknown_keys(path, item, OPERATOR_KEYS))
    name = item.get("name")
    if not (isinstance(name, str) and name.strip()):
        problems.append(
            f"{path} name: give the operator's full name, e.g. name = 'Giulia Bianchi'."
        )
    return Operator(
        id=str(raw_id),
        name=str(name).strip(),
        telegram_id=_telegram_id(path, item.get("telegram_id"), problems),
        meeting=_meeting(path, item, problems),
        room_url=_optional_text(item.get("room_url")),
        zoom_user=_optional_text(item.get("zoom_user")),
        windows=_windows(f"{path} hours", item.get("hours"), slot_minutes, problems),
        **_digest_route(path, item, problems),
    )


def _operators(
    items: Sequence[Mapping[str, Any]], slot_minutes: int, problems: list[str]
) -> tuple[Operator, ...]:
    if not items:
        problems.append(
            "[[operator]]: add at least one [[operator]] with id, name, meeting and "
            "[operator.hours], or nobody can book."
        )
        return ()
    operators: list[Operator] = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            problems.append(f"[[operator]] #{index + 1}: should be a table; write [[operator]].")
            continue
        operators.append(_operator(index, item, slot_minutes, problems))
    seen: set[str] = set()
    for operator in operators:
        if operator.id in seen:
            problems.append(
                f"[[operator]] '{operator.id}' id: used by more than one operator; "
                "give each a different id."
            )
        seen.add(operator.id)
    return tuple(operators)


def parse_booking(
    table: Mapping[str, Any], operators: Sequence[Mapping[str, Any]]
) -> tuple[BookingRules, tuple[Operator, ...]]:
    """The [booking] table and the [[operator]] list, checked; every problem reported at once."""
    problems: list[str] = []
    rules = booking_rules(table, problems)
    parsed = _operators(operators, rules.slot_minutes, problems)
    if problems:
        raise BookingConfigError(problems)
    return rules, parsed


def _range_text(window: Window) -> str:
    return f"{window.start:%H:%M}-{window.end:%H:%M}"
