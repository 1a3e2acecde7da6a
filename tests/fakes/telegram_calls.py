"""The fake's record of Bot API calls, and waiting on it with a readable timeout failure."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Final

from tests.fakes.telegram_records import Call

_RECENT_CALLS_SHOWN: Final = 8


def _describe(call: Call) -> str:
    params = json.dumps(call.params, ensure_ascii=False, default=str)
    if len(params) > 200:
        params = params[:197] + "..."
    return f"  {call.method} -> {call.status} {params}"


class CallLog:
    """``calls`` in arrival order; waiters re-check their condition whenever it changes."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._changed = asyncio.Condition()

    async def notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(
        self,
        check: Callable[[], bool],
        timeout: float,  # noqa: ASYNC109 - turns the deadline into a readable failure
        what: str,
    ) -> None:
        try:
            async with asyncio.timeout(timeout):
                async with self._changed:
                    await self._changed.wait_for(check)
        except TimeoutError:
            recent = "\n".join(_describe(c) for c in self.calls[-_RECENT_CALLS_SHOWN:])
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what}; last calls:\n{recent or '  none'}"
            ) from None
