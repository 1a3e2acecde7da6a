"""What can refuse a Bot API call before it runs: injected failures, blocks, flood control."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from tests.fakes import telegram_wire as wire
from tests.fakes.telegram_records import ApiError, Call

_BLOCKED: Final = "Forbidden: bot was blocked by the user"


@dataclass
class _Failure:
    """A failure scheduled by :meth:`Limits.fail_next`."""

    error: ApiError
    remaining: int


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


def _targets_chat(method: str) -> bool:
    """Methods that deliver something into a chat, hence fail when the user blocked the bot."""
    return method.startswith(("send", "edit", "copyMessage", "forwardMessage"))


def _is_rate_limited(method: str) -> bool:
    """Methods that count as messages for flood control (chat actions do not)."""
    return _targets_chat(method) and method != "sendChatAction"


class Limits:
    """Refuses calls the way Telegram would; ``throttled`` counts the 429 answers."""

    def __init__(
        self, global_rate: float | None, per_chat_rate: float | None, clock: Callable[[], float]
    ) -> None:
        self.throttled = 0
        self._clock = clock
        self._global_bucket = None if global_rate is None else _TokenBucket(global_rate, clock())
        self._per_chat_rate = per_chat_rate
        self._chat_buckets: dict[int, _TokenBucket] = {}
        self._failures: dict[str, deque[_Failure]] = {}
        self._blocked: set[int] = set()

    def fail_next(self, method: str, error: ApiError, times: int) -> None:
        """Answer the next ``times`` calls of ``method`` with ``error``."""
        if times < 1:
            raise ValueError("times must be at least 1")
        self._failures.setdefault(method.lower(), deque()).append(_Failure(error, times))

    def block(self, chat_id: int) -> None:
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def check(self, call: Call) -> None:
        """Injected failures, blocked users and flood control, in that order."""
        self._raise_scheduled_failure(call.method)
        chat_id = call.params.get("chat_id")
        chat = int(chat_id) if wire.is_int(chat_id) else None
        if _targets_chat(call.method) and chat in self._blocked:
            raise ApiError(403, _BLOCKED)
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
            raise ApiError(
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
