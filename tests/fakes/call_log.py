"""A fake's record of the calls it received, and waiting on it with a readable timeout
failure: shared by the Telegram, Twilio and Zoom fakes, each naming how a call reads."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Final, Generic, TypeVar

_RECENT_CALLS_SHOWN: Final = 8

CallT = TypeVar("CallT")


class CallLog(Generic[CallT]):
    """``calls`` in arrival order; waiters re-check their condition whenever it changes."""

    def __init__(self, describe: Callable[[CallT], str]) -> None:
        self.calls: list[CallT] = []
        self._describe = describe
        self._changed = asyncio.Condition()

    async def record(self, call: CallT) -> None:
        self.calls.append(call)
        await self.notify()

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
            shown = self.calls[-_RECENT_CALLS_SHOWN:]
            recent = "\n".join(self._describe(c) for c in shown)
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what}; last calls:\n{recent or '  none'}"
            ) from None
