"""Failures and delays a test schedules on :class:`tests.fakes.zoom_api.FakeZoom`.

Each rule matches a method and a path prefix and is used up once per matching request. They
are applied before authentication, so nothing else about the fake's state changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from dataclasses import dataclass
from typing import Final, TypeVar

from tests.fakes.zoom_wire import INVALID_TOKEN, VALIDATION_FAILED, ApiError, Call, JSONDict

_DEFAULT_FAILURE_BODIES: Final[dict[int, JSONDict]] = {
    400: VALIDATION_FAILED,
    401: INVALID_TOKEN,
    404: {"code": 3001, "message": "Meeting does not exist."},
    429: {
        "code": 429,
        "message": "You have reached the maximum per-second rate limit for this API. "
        "Try again later.",
    },
}


@dataclass
class Failure:
    """A failure scheduled by :meth:`FakeZoom.fail_next`."""

    method: str
    path_prefix: str
    status: int
    body: JSONDict
    headers: dict[str, str]
    remaining: int


@dataclass
class Stall:
    """A delay scheduled by :meth:`FakeZoom.stall_next`."""

    method: str
    path_prefix: str
    seconds: float
    remaining: int


class FaultSchedule:
    """The failures and stalls still to apply, in the order they were scheduled."""

    def __init__(self) -> None:
        self._failures: list[Failure] = []
        self._stalls: list[Stall] = []
        self._stopping = asyncio.Event()

    def fail(
        self,
        method: str,
        path_prefix: str,
        status: int,
        body: JSONDict | None,
        times: int,
        headers: dict[str, str] | None,
    ) -> None:
        """``body`` defaults to what Zoom sends for that status."""
        default = _DEFAULT_FAILURE_BODIES.get(status, {"code": status, "message": "Injected."})
        self._failures.append(
            Failure(
                method.upper(),
                path_prefix,
                status,
                copy.deepcopy(body if body is not None else default),
                dict(headers or {}),
                times,
            )
        )

    def stall(self, method: str, path_prefix: str, seconds: float, times: int) -> None:
        self._stalls.append(Stall(method.upper(), path_prefix, seconds, times))

    def hold_stalls(self) -> None:
        """Let stalls last their full time again (the fake is starting)."""
        self._stopping.clear()

    def release_stalls(self) -> None:
        """End every stall at once, so stopping the fake is not delayed."""
        self._stopping.set()

    async def stall_if_scheduled(self, call: Call) -> None:
        stall = _take_matching(self._stalls, call)
        if stall is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(stall.seconds):
                    await self._stopping.wait()

    def raise_scheduled_failure(self, call: Call) -> None:
        failure = _take_matching(self._failures, call)
        if failure is not None:
            raise ApiError(failure.status, copy.deepcopy(failure.body), failure.headers)


_R = TypeVar("_R", Failure, Stall)


def _take_matching(rules: list[_R], call: Call) -> _R | None:
    """The first scheduled rule matching ``call``, used up once per match."""
    for rule in rules:
        if rule.method == call.method and call.path.startswith(rule.path_prefix):
            rule.remaining -= 1
            if rule.remaining <= 0:
                rules.remove(rule)
            return rule
    return None
