"""Fuzz 3: Telegram webhook bodies posted to the ASGI app with the right secret (see
tests/fuzz_support.py)."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.clock import ManualClock
from bot.handlers.web import TELEGRAM_PATH
from tests.fuzz_support import (
    CHECK_EVERY,
    ON_POSTGRESQL,
    OPERATORS,
    SECRET,
    SETTINGS,
    START,
    TELEGRAM_EXAMPLES,
    TELEGRAM_MINIMUM,
    TELEGRAM_POSTS,
    any_text,
    apologies,
    check_invariants,
    database_of,
    driver,
    forged_data,
    logged_errors,
    mutate,
    plain_text,
    weighted,
)
from tests.fuzz_web import (
    Web,
    web_app,
)

pytestmark = pytest.mark.slow


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=False),
        st.text(max_size=30),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=12), children, max_size=4),
    ),
    max_leaves=6,
)
UPDATE_KEYS = ("message", "edited_message", "callback_query", "my_chat_member")
# Random JSON goes where the bot reads nothing but the key's presence; fields the bot reads
# (text, from, chat, data, language_code, reply_markup) get random values of the type the
# Bot API documents. A value of another type is a known bug: see
# test_fields_of_the_wrong_type_in_an_authenticated_update.
MESSAGE_KEYS = (
    "voice",
    "photo",
    "sticker",
    "document",
    "location",
    "contact",
    "poll",
    "new_chat_members",
    "forward_origin",
    "reply_to_message",
    "dice",
    "venue",
)
OTHER_UPDATES = (
    "channel_post",
    "edited_channel_post",
    "inline_query",
    "chosen_inline_result",
    "poll",
    "poll_answer",
    "shipping_query",
)
READ_FIELDS = frozenset(
    {"text", "from", "chat", "message_id", "date", "reply_markup", "entities", "caption"}
)
USERS = (4100001, 4100002, 4100003, int(OPERATORS[0]), 777000, -4100001)


@dataclass(frozen=True)
class UpdateSpec:
    key: str
    user: int
    text: str
    data: str
    chat_type: str
    is_bot: bool
    language: str | None
    extra: dict[str, Any]
    message_extra: dict[str, Any]
    update_id: Any


def rarely(strategy: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Mostly an empty dict: random JSON is costly to generate and seldom needed."""
    return weighted((9, st.just({})), (1, strategy))


update_specs = st.builds(
    UpdateSpec,
    key=st.sampled_from(UPDATE_KEYS[:3] * 3 + UPDATE_KEYS[3:]),
    user=st.one_of(st.sampled_from(USERS), st.integers(-(2**53), 2**53)),
    text=any_text,
    data=weighted((3, st.just("")), (1, forged_data)),
    chat_type=st.sampled_from(("private",) * 6 + ("group", "supergroup", "channel", "")),
    is_bot=st.sampled_from((False,) * 9 + (True,)),
    # Strings or absent, as Telegram sends it; any other type is a known bug (see
    # test_fields_of_the_wrong_type_in_an_authenticated_update).
    language=st.one_of(st.sampled_from(("it", "en", "en-US", "pt-BR", "", None)), plain_text),
    extra=rarely(st.dictionaries(st.sampled_from(OTHER_UPDATES), json_values, max_size=2)),
    message_extra=rarely(
        st.dictionaries(
            st.one_of(st.sampled_from(MESSAGE_KEYS), st.text(max_size=10)), json_values, max_size=3
        ).map(lambda d: {k: v for k, v in d.items() if k not in READ_FIELDS})
    ),
    update_id=weighted(
        (12, st.integers(0, 2**31)), (1, st.integers()), (1, st.text(max_size=5)), (1, st.none())
    ),
)
# What is posted: mostly update-like dicts, sometimes any JSON, sometimes any bytes.
telegram_bodies = weighted(
    (8, update_specs),
    (1, json_values.map(lambda value: json.dumps(value).encode())),
    (1, st.binary(max_size=200)),
)


def dates_out_of_range(value: Any) -> bool:
    """A timestamp python-telegram-bot cannot turn into a datetime (a known bug: HTTP 500)."""
    if isinstance(value, dict):
        return any(
            ("date" in str(k) and isinstance(v, int | float) and not 0 <= v < 2**32)
            or dates_out_of_range(v)
            for k, v in value.items()
        )
    if isinstance(value, list):
        return any(dates_out_of_range(v) for v in value)
    return False


def lone_surrogates(value: Any) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, dict):
        return any(lone_surrogates(k) or lone_surrogates(v) for k, v in value.items())
    if isinstance(value, list):
        return any(lone_surrogates(v) for v in value)
    return False


def _typed(value: Any, kind: type | tuple[type, ...], *, required: bool = False) -> bool:
    if value is None:
        return not required
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


def _user(user: Any) -> bool:
    return (
        isinstance(user, dict)
        and _typed(user.get("id"), int, required=True)
        and type(user.get("is_bot")) is bool
        and _typed(user.get("language_code"), str)
    )


def _message(message: Any) -> bool:
    if not isinstance(message, dict):
        return False
    chat = message.get("chat")
    return (
        _typed(message.get("text"), str)
        and (message.get("from") is None or _user(message["from"]))
        and isinstance(chat, dict)
        and _typed(chat.get("id"), int, required=True)
        and _typed(chat.get("type"), str, required=True)
    )


def _callback_query(query: Any) -> bool:
    return (
        isinstance(query, dict)
        and _user(query.get("from"))
        and _typed(query.get("data"), str)
        and (query.get("message") is None or _message(query["message"]))
    )


def _chat_member(member: Any) -> bool:
    return (
        isinstance(member, dict)
        and _user(member.get("from"))
        and isinstance(member.get("new_chat_member"), dict)
        and _typed(member["new_chat_member"].get("status"), str, required=True)
    )


def telegram_could_send(body: bytes) -> bool:
    """Whether a body is something Telegram itself could post: not JSON at all (refused with
    400), or an update whose fields the bot reads have the types and presence the Bot API
    documents, with no lone surrogate and no date out of range. Anything else is a known bug
    (see test_fields_of_the_wrong_type_in_an_authenticated_update and
    test_an_authenticated_body_that_crashes_the_parser)."""
    try:
        update = json.loads(body)
    except ValueError:
        return True
    if not isinstance(update, dict):
        return True
    if lone_surrogates(update) or dates_out_of_range(update):
        return False
    checks: dict[str, Callable[[Any], bool]] = {
        "message": _message,
        "edited_message": _message,
        "callback_query": _callback_query,
        "my_chat_member": _chat_member,
    }
    return all(check(update[key]) for key, check in checks.items() if key in update)


@dataclass
class TelegramFuzz:
    web: Web
    handled: int = 0
    mutants: int = 0
    implausible: int = 0  # mutants Telegram could not send, left out

    def body(self, spec: UpdateSpec | bytes) -> bytes:
        if isinstance(spec, bytes):
            return spec
        user: dict[str, Any] = {
            "id": spec.user,
            "is_bot": spec.is_bot,
            "first_name": "Zed",
            "language_code": spec.language,
        }
        chat = {"id": spec.user, "type": spec.chat_type, "first_name": "Zed"}
        message: dict[str, Any] = {
            "message_id": abs(spec.user) % 100_000 + 1,
            "date": int(START.timestamp()),
            "chat": chat,
            "from": user,
            "text": spec.text,
            **spec.message_extra,
        }
        if spec.text.startswith("/"):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(spec.text.split(" ")[0])}
            ]
        update: dict[str, Any] = {"update_id": spec.update_id}
        if spec.key == "callback_query":
            update[spec.key] = {
                "id": str(spec.user),
                "from": user,
                "chat_instance": "fuzz",
                "data": spec.data,
                "message": message,
            }
        elif spec.key == "my_chat_member":
            update[spec.key] = {
                "chat": chat,
                "from": user,
                "date": 0,
                "old_chat_member": {"status": "member", "user": user},
                "new_chat_member": {"status": "kicked", "user": user, "until_date": 0},
            }
        else:
            update[spec.key] = message
        update.update(spec.extra)
        return json.dumps(update, ensure_ascii=spec.user % 2 == 0).encode("utf-8", "surrogatepass")

    async def post(self, spec: UpdateSpec | bytes, mutants: int, seed: int) -> None:
        headers = {
            "X-Telegram-Bot-Api-Secret-Token": SECRET,
            "Content-Type": "application/json",
        }
        body = self.body(spec)
        if await self.web.post(TELEGRAM_PATH, body, headers) == 200:
            self.handled += 1
        rng = random.Random(seed)
        for _ in range(mutants):
            mutant = mutate(body, rng)
            if not telegram_could_send(mutant):
                self.implausible += 1
                continue
            await self.web.post(TELEGRAM_PATH, mutant, headers)
            self.mutants += 1


def test_telegram_webhook_bodies(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    clock = ManualClock(START)
    started = time.perf_counter()
    database = database_of(tmp_path, "web.db", backend, request)
    with driver() as run, logged_errors() as errors:
        web = run.enter(web_app(tmp_path, clock, database))
        fuzz = TelegramFuzz(web)
        max_active = web.app.settings.agenda.rules.max_active_per_person
        examples = 0

        @settings(SETTINGS, max_examples=int(TELEGRAM_EXAMPLES * ON_POSTGRESQL[backend]))
        @given(
            st.lists(
                st.tuples(telegram_bodies, st.integers(0, 4), st.integers(0, 2**32)),
                min_size=TELEGRAM_POSTS[0],
                max_size=TELEGRAM_POSTS[1],
            )
        )
        def telegram_posts(specs: list[tuple[UpdateSpec | bytes, int, int]]) -> None:
            nonlocal examples
            for spec, mutants, seed in specs:
                run.run(fuzz.post(spec, mutants, seed))
            examples += 1
            full = examples % CHECK_EVERY == 0
            check_invariants(web.database, max_active, full=full)

        telegram_posts()
        # One wrong secret, for the record: refused before anything is read.
        wrong = run.run(
            web.post(TELEGRAM_PATH, b"{}", {"X-Telegram-Bot-Api-Secret-Token": SECRET[::-1]})
        )
        assert wrong == 403
        check_invariants(web.database, max_active, full=True)
        assert errors.lines() == []
        assert apologies(web.sent_texts()) == []
    elapsed = time.perf_counter() - started
    print(
        f"\nfuzz telegram: {web.posts} posts ({fuzz.mutants} mutants) in {examples} examples, "
        f"statuses "
        f"{dict(sorted(web.statuses.items()))}, {len(web.telegram.calls)} Bot API calls, "
        f"{elapsed:.1f} s ({web.posts / elapsed:.0f}/s)"
    )
    assert fuzz.handled > 1000
    print(f"Telegram fuzz: {web.posts} posts")
    assert web.posts >= TELEGRAM_MINIMUM * ON_POSTGRESQL[backend]
